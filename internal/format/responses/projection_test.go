package responses

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Projections: what a round trip must keep, with the wire's equivalent
// spellings made equal (string content vs one text part, developer vs
// system, defaults written or left out).

// normalizeRequest rewrites a Responses request into a comparable form.
func normalizeRequest(m map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range m {
		out[k] = v
	}
	if s, _ := out["instructions"].(string); s == "" {
		delete(out, "instructions")
	}
	if b, _ := out["stream"].(bool); !b {
		delete(out, "stream")
	}
	delete(out, "nexus")
	if s, ok := out["input"].(string); ok {
		out["input"] = []any{map[string]any{"role": "user", "content": s}}
	}
	if items, ok := out["input"].([]any); ok {
		var norm []any
		for _, it := range items {
			if n := normalizeItem(it.(map[string]any)); n != nil {
				norm = append(norm, n)
			}
		}
		out["input"] = norm
	}
	if tools, ok := out["tools"].([]any); ok {
		for _, t := range tools {
			tm := t.(map[string]any)
			if d, ok := tm["description"]; ok && (d == nil || d == "") {
				delete(tm, "description")
			}
		}
	}
	return out
}

// normalizeItem gives message items one spelling; nil drops an empty message.
func normalizeItem(it map[string]any) map[string]any {
	n := map[string]any{}
	for k, v := range it {
		n[k] = v
	}
	if _, ok := n["type"]; !ok && n["role"] != nil {
		n["type"] = "message"
	}
	if n["type"] != "message" {
		return n
	}
	if n["role"] == "developer" {
		n["role"] = "system"
	}
	delete(n, "status")
	var parts []any
	switch c := n["content"].(type) {
	case string:
		if c != "" {
			parts = []any{map[string]any{"type": "text", "text": c}}
		}
	case []any:
		for _, p := range c {
			parts = append(parts, normalizePart(p.(map[string]any)))
		}
	}
	if len(parts) == 0 {
		return nil
	}
	n["content"] = parts
	return n
}

func normalizePart(p map[string]any) map[string]any {
	n := map[string]any{}
	for k, v := range p {
		n[k] = v
	}
	switch n["type"] {
	case "input_text", "output_text":
		n["type"] = "text"
	}
	for _, k := range []string{"annotations", "logprobs"} {
		if a, ok := n[k].([]any); ok && len(a) == 0 {
			delete(n, k)
		}
	}
	return n
}

// normalizeResponse makes got comparable with want: echo members our
// encoder adds by default are dropped when the upstream object had none,
// and empty annotation / logprob lists are equal to absent ones.
func normalizeResponse(got, want map[string]any) (map[string]any, map[string]any) {
	g, w := map[string]any{}, map[string]any{}
	for k, v := range got {
		if _, kept := want[k]; kept || !isEchoDefault(k) {
			g[k] = v
		}
	}
	for k, v := range want {
		w[k] = v
	}
	for _, m := range []map[string]any{g, w} {
		items, _ := m["output"].([]any)
		for _, it := range items {
			im := it.(map[string]any)
			if parts, ok := im["content"].([]any); ok {
				for i, p := range parts {
					parts[i] = normalizePart(p.(map[string]any))
				}
			}
		}
	}
	return g, w
}

func isEchoDefault(k string) bool {
	for _, d := range echoDefaults() {
		if d.key == k {
			return true
		}
	}
	return false
}

// piece is one content part, summary part or function call of a stream.
type piece struct {
	Kind   string // text, refusal, reasoning, call
	Text   string // text, or call arguments
	CallID string
	Name   string
}

// streamView is what a client reconstructs from a stream.
type streamView struct {
	Pieces []piece
	Status string
	Reason string
	Usage  *canonical.Usage
	Error  string
}

func (v streamView) String() string { return fmt.Sprintf("%+v", struct{ streamView }{v}) }

// projectFrames reconstructs a stream the way a client does: from deltas,
// with *.done events filling parts that got none, and the terminal event's
// status and usage.
func projectFrames(t testing.TB, frames []frame) streamView {
	t.Helper()
	var v streamView
	index := map[string]int{} // "<output>/<c|s|call>/<part>" → piece
	deltas := map[int]bool{}
	at := func(key string, kind string) *piece {
		i, ok := index[key]
		if !ok {
			i = len(v.Pieces)
			index[key] = i
			v.Pieces = append(v.Pieces, piece{Kind: kind})
		}
		return &v.Pieces[i]
	}
	for _, f := range frames {
		var e struct {
			Type         string          `json:"type"`
			OutputIndex  int             `json:"output_index"`
			ContentIndex int             `json:"content_index"`
			SummaryIndex int             `json:"summary_index"`
			Delta        string          `json:"delta"`
			Text         *string         `json:"text"`
			Refusal      *string         `json:"refusal"`
			Arguments    *string         `json:"arguments"`
			Item         json.RawMessage `json:"item"`
			Part         json.RawMessage `json:"part"`
			Response     json.RawMessage `json:"response"`
			Error        *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal([]byte(f.data), &e); err != nil {
			t.Fatalf("frame %q: %v", f.data, err)
		}
		c := fmt.Sprintf("%d/c/%d", e.OutputIndex, e.ContentIndex)
		s := fmt.Sprintf("%d/s/%d", e.OutputIndex, e.SummaryIndex)
		call := fmt.Sprintf("%d/call", e.OutputIndex)
		add := func(key, kind, text string, delta bool) {
			p := at(key, kind)
			i := index[key]
			if delta {
				deltas[i] = true
				p.Text += text
			} else if !deltas[i] {
				p.Text = text
			}
		}
		switch e.Type {
		case "response.output_item.added", "response.output_item.done":
			var it struct {
				Type      string `json:"type"`
				CallID    string `json:"call_id"`
				Name      string `json:"name"`
				Arguments string `json:"arguments"`
			}
			_ = json.Unmarshal(e.Item, &it)
			if it.Type == "function_call" {
				p := at(call, "call")
				p.CallID, p.Name = it.CallID, it.Name
				if e.Type == "response.output_item.done" {
					add(call, "call", it.Arguments, false)
				}
			}
		case "response.content_part.added":
			var p struct{ Type string }
			_ = json.Unmarshal(e.Part, &p)
			kind := map[string]string{"output_text": "text", "refusal": "refusal", "reasoning_text": "reasoning"}[p.Type]
			if kind != "" {
				at(c, kind)
			}
		case "response.output_text.delta":
			add(c, "text", e.Delta, true)
		case "response.refusal.delta":
			add(c, "refusal", e.Delta, true)
		case "response.reasoning_text.delta":
			add(c, "reasoning", e.Delta, true)
		case "response.output_text.done":
			add(c, "text", *e.Text, false)
		case "response.refusal.done":
			add(c, "refusal", *e.Refusal, false)
		case "response.reasoning_summary_part.added":
			at(s, "reasoning")
		case "response.reasoning_summary_text.delta":
			add(s, "reasoning", e.Delta, true)
		case "response.reasoning_summary_text.done":
			add(s, "reasoning", *e.Text, false)
		case "response.function_call_arguments.delta":
			add(call, "call", e.Delta, true)
		case "response.function_call_arguments.done":
			add(call, "call", *e.Arguments, false)
		case "response.completed", "response.incomplete":
			var r struct {
				Status            string
				IncompleteDetails *struct{ Reason string } `json:"incomplete_details"`
				Usage             *wireUsage
			}
			if err := json.Unmarshal(e.Response, &r); err != nil {
				t.Fatal(err)
			}
			v.Status = r.Status
			if r.IncompleteDetails != nil {
				v.Reason = r.IncompleteDetails.Reason
			}
			if r.Usage != nil {
				u := r.Usage.toCanonical()
				v.Usage = &u
			}
		case "response.failed":
			var r struct {
				Error struct{ Message string }
			}
			_ = json.Unmarshal(e.Response, &r)
			v.Error = r.Error.Message
		case "error":
			if e.Error != nil {
				v.Error = e.Error.Message
			}
		}
	}
	for i := range v.Pieces {
		if v.Pieces[i].Kind == "call" && v.Pieces[i].Text == "" {
			v.Pieces[i].Text = "{}"
		}
	}
	return v
}

// projectEvents is projectFrames for canonical events.
func projectEvents(evs []canonical.Event) streamView {
	var v streamView
	byIndex := map[int]int{}
	for _, ev := range evs {
		switch ev.Type {
		case canonical.EventBlockStart:
			p := piece{}
			switch ev.Block.Type {
			case canonical.PartText:
				p.Kind = "text"
			case canonical.PartRefusal:
				p.Kind = "refusal"
			case canonical.PartReasoning:
				p.Kind = "reasoning"
			case canonical.PartToolCall:
				p.Kind, p.CallID, p.Name = "call", ev.Block.ToolCall.ID, ev.Block.ToolCall.Name
			default:
				continue
			}
			byIndex[ev.Index] = len(v.Pieces)
			v.Pieces = append(v.Pieces, p)
		case canonical.EventDelta:
			if i, ok := byIndex[ev.Index]; ok {
				v.Pieces[i].Text += ev.Delta
			}
		case canonical.EventUsage:
			u := *ev.Usage
			v.Usage = &u
		case canonical.EventFinish:
			v.Status, v.Reason = terminalStatus(ev.Finish)
		case canonical.EventError:
			v.Error = ev.Err.Message
		}
	}
	return v
}

// checkGrammar asserts SPEC §6.4 on an encoded stream: names match types;
// sequence numbers count from 0; created and in_progress first; items
// announced with increasing output_index and closed once; deltas only on
// open items and parts; one terminal frame, last, whose output equals the
// items as output_item.done showed them.
func checkGrammar(t testing.TB, frames []frame) {
	t.Helper()
	if len(frames) < 3 {
		t.Fatalf("stream of %d frames", len(frames))
	}
	type itemState struct {
		id     string
		done   bool
		final  any
		parts  map[string]bool // open content/summary parts
		closed map[string]bool
	}
	var items []*itemState
	var respID string
	for i, f := range frames {
		var e map[string]any
		if err := json.Unmarshal([]byte(f.data), &e); err != nil {
			t.Fatalf("frame %d is not JSON: %v", i, err)
		}
		typ, _ := e["type"].(string)
		if typ != f.name {
			t.Fatalf("frame %d: event %q carries type %q", i, f.name, typ)
		}
		if seq, ok := e["sequence_number"].(float64); !ok || int(seq) != i {
			t.Fatalf("frame %d (%s): sequence_number %v", i, typ, e["sequence_number"])
		}
		if strings.HasPrefix(f.data, `{"error"`) {
			t.Fatalf("frame %d has a top-level error member (SDKs treat it as a transport error)", i)
		}
		terminal := typ == evCompleted || typ == evIncomplete || typ == evFailed
		if terminal != (i == len(frames)-1) {
			t.Fatalf("frame %d: %s, terminal=%v, of %d frames", i, typ, terminal, len(frames))
		}
		switch {
		case i == 0 && typ != evCreated, i == 1 && typ != evInProgress && !terminal:
			t.Fatalf("frame %d is %s", i, typ)
		}
		if r, ok := e["response"].(map[string]any); ok {
			if respID == "" {
				respID, _ = r["id"].(string)
			}
			if r["id"] != respID || r["object"] != "response" {
				t.Fatalf("frame %d: response id %v object %v", i, r["id"], r["object"])
			}
		}
		oi, hasOI := e["output_index"].(float64)
		var it *itemState
		if hasOI && typ != evItemAdded {
			if int(oi) >= len(items) || items[int(oi)].done {
				t.Fatalf("frame %d (%s): output_index %v not open", i, typ, oi)
			}
			it = items[int(oi)]
			if id, ok := e["item_id"]; ok && id != it.id {
				t.Fatalf("frame %d: item_id %v, want %s", i, id, it.id)
			}
		}
		partKey := func() string {
			if si, ok := e["summary_index"].(float64); ok {
				return fmt.Sprintf("s%d", int(si))
			}
			return fmt.Sprintf("c%v", e["content_index"])
		}
		switch typ {
		case evItemAdded:
			if int(oi) != len(items) {
				t.Fatalf("frame %d: item added at %v, want %d", i, oi, len(items))
			}
			item := e["item"].(map[string]any)
			items = append(items, &itemState{id: item["id"].(string), parts: map[string]bool{}, closed: map[string]bool{}})
		case evItemDone:
			if len(it.parts) > 0 {
				t.Fatalf("frame %d: item %d done with open parts %v", i, int(oi), it.parts)
			}
			it.done, it.final = true, e["item"]
		case evPartAdded, evSummaryPartAdded:
			k := partKey()
			if it.parts[k] || it.closed[k] {
				t.Fatalf("frame %d: part %s added twice", i, k)
			}
			it.parts[k] = true
		case evPartDone, evSummaryPartDone:
			k := partKey()
			if !it.parts[k] {
				t.Fatalf("frame %d: part %s done but not open", i, k)
			}
			delete(it.parts, k)
			it.closed[k] = true
		case evTextDelta, evRefusalDelta, evSummaryDelta, evTextDone, evRefusalDone, evSummaryDone:
			if k := partKey(); !it.parts[k] {
				t.Fatalf("frame %d (%s): part %s not open", i, typ, k)
			}
		case evCompleted, evIncomplete:
			r := e["response"].(map[string]any)
			out, _ := r["output"].([]any)
			if len(out) != len(items) {
				t.Fatalf("terminal output has %d items, stream had %d", len(out), len(items))
			}
			for k, o := range out {
				if !items[k].done || !reflect.DeepEqual(o, items[k].final) {
					t.Fatalf("terminal output[%d] = %v\nwant %v", k, o, items[k].final)
				}
			}
			wantStatus := map[string]string{evCompleted: statusCompleted, evIncomplete: statusIncomplete}[typ]
			if r["status"] != wantStatus {
				t.Fatalf("%s with status %v", typ, r["status"])
			}
		}
	}
}
