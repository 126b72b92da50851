package anthropic

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const fixtureDir = "testdata/fixtures/anthropic-messages"

// frame is one SSE frame as the gateway's reader hands it over.
type frame struct {
	name string
	data []byte
}

// parseSSE splits a recorded event stream into frames (LF or CRLF lines,
// blank line ends a frame). A final frame without its blank line is still
// returned, as the gateway's reader does (with ErrTruncated).
func parseSSE(t testing.TB, raw []byte) []frame {
	t.Helper()
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	var frames []frame
	var cur frame
	has := false
	flush := func() {
		if has {
			frames = append(frames, cur)
		}
		cur, has = frame{}, false
	}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case line == "":
			flush()
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			cur.name, has = strings.TrimPrefix(strings.TrimPrefix(line, "event:"), " "), true
		case strings.HasPrefix(line, "data:"):
			d := strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " ")
			if cur.data != nil {
				cur.data = append(cur.data, '\n')
			}
			cur.data, has = append(cur.data, d...), true
		}
	}
	flush()
	return frames
}

// parseChunks rebuilds frames from a vercel *.chunks.txt (one data payload
// per line, event lines stripped by the recorder: the decoder must rely on
// the payload's own type).
func parseChunks(raw []byte) []frame {
	var frames []frame
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		frames = append(frames, frame{data: []byte(line)})
	}
	return frames
}

func loadFrames(t testing.TB, path string) []frame {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".chunks.txt") {
		return parseChunks(raw)
	}
	return parseSSE(t, raw)
}

// decodeFrames runs a whole stream through a fresh decoder, Close included.
func decodeFrames(t testing.TB, frames []frame) []canonical.Event {
	t.Helper()
	d := NewStreamDecoder()
	var evs []canonical.Event
	var err error
	for i, f := range frames {
		if evs, err = d.Decode(f.name, f.data, evs); err != nil {
			t.Fatalf("frame %d (%s): %v", i, f.name, err)
		}
	}
	if evs, err = d.Close(evs); err != nil {
		t.Fatalf("close: %v", err)
	}
	return evs
}

// recorder is an EventWriter that keeps copies of the frames.
type recorder struct{ frames []frame }

func (r *recorder) WriteEvent(name string, data []byte) error {
	r.frames = append(r.frames, frame{name: name, data: append([]byte(nil), data...)})
	return nil
}

func (r *recorder) sse() []byte {
	var b bytes.Buffer
	for _, f := range r.frames {
		if f.name != "" {
			b.WriteString("event: " + f.name + "\n")
		}
		b.WriteString("data: ")
		b.Write(f.data)
		b.WriteString("\n\n")
	}
	return b.Bytes()
}

func encodeEvents(t testing.TB, opts StreamOptions, evs []canonical.Event) *recorder {
	t.Helper()
	enc := NewStreamEncoder(opts)
	rec := &recorder{}
	for i, ev := range evs {
		if err := enc.Encode(ev, rec); err != nil {
			t.Fatalf("encode event %d: %v", i, err)
		}
	}
	return rec
}

// golden compares got (marshalled as indented JSON) with the named golden
// file, rewriting it under -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(want, b) {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\n got: %s", path, b)
	}
}

// goldenEvent is a readable rendering of canonical.Event for golden files.
type goldenEvent struct {
	Type         string           `json:"type"`
	Index        *int             `json:"index,omitempty"`
	Block        *canonical.Part  `json:"block,omitempty"`
	Delta        string           `json:"delta,omitempty"`
	Signature    string           `json:"signature,omitempty"`
	ID           string           `json:"id,omitempty"`
	Model        string           `json:"model,omitempty"`
	Usage        *canonical.Usage `json:"usage,omitempty"`
	Finish       string           `json:"finish,omitempty"`
	StopSequence string           `json:"stop_sequence,omitempty"`
	Err          *goldenErr       `json:"error,omitempty"`
}

type goldenErr struct {
	Kind    canonical.Kind `json:"kind"`
	Status  int            `json:"status"`
	Type    string         `json:"type,omitempty"`
	Message string         `json:"message"`
}

func eventTypeName(t canonical.EventType) string {
	switch t {
	case canonical.EventStart:
		return "start"
	case canonical.EventBlockStart:
		return "block_start"
	case canonical.EventDelta:
		return "delta"
	case canonical.EventBlockStop:
		return "block_stop"
	case canonical.EventUsage:
		return "usage"
	case canonical.EventFinish:
		return "finish"
	case canonical.EventEnd:
		return "end"
	case canonical.EventError:
		return "error"
	}
	return "unknown"
}

func goldenEvents(evs []canonical.Event) []goldenEvent {
	out := make([]goldenEvent, 0, len(evs))
	for _, ev := range evs {
		g := goldenEvent{
			Type: eventTypeName(ev.Type), Block: ev.Block, Delta: ev.Delta, Signature: ev.Signature,
			ID: ev.ID, Model: ev.Model, Usage: ev.Usage, Finish: string(ev.Finish), StopSequence: ev.StopSequence,
		}
		switch ev.Type {
		case canonical.EventBlockStart, canonical.EventDelta, canonical.EventBlockStop:
			i := ev.Index
			g.Index = &i
		}
		if ev.Err != nil {
			g.Err = &goldenErr{Kind: ev.Err.Kind, Status: ev.Err.Status, Type: ev.Err.Type, Message: ev.Err.Message}
		}
		out = append(out, g)
	}
	return out
}

// streamProjection is what a stream promises to keep: per block its kind and
// concatenated content, tool calls with full arguments, finish, last usage.
type streamProjection struct {
	ID, Model    string
	Blocks       []blockProjection
	Finish       canonical.FinishReason
	StopSequence string
	Usage        canonical.Usage
	Ended        bool
	ErrKind      canonical.Kind
}

type blockProjection struct {
	Type      canonical.PartType
	Text      string
	Signature string
	Redacted  string
	ToolID    string
	ToolName  string
	Closed    bool
}

func projectStream(t testing.TB, evs []canonical.Event) streamProjection {
	t.Helper()
	var p streamProjection
	byIndex := map[int]int{}
	for i, ev := range evs {
		switch ev.Type {
		case canonical.EventStart:
			p.ID, p.Model = ev.ID, ev.Model
		case canonical.EventBlockStart:
			if ev.Index != len(p.Blocks) {
				t.Fatalf("event %d: block index %d opened out of order (want %d)", i, ev.Index, len(p.Blocks))
			}
			b := blockProjection{Type: ev.Block.Type}
			if tc := ev.Block.ToolCall; tc != nil {
				b.ToolID, b.ToolName = tc.ID, tc.Name
			}
			if r := ev.Block.Reasoning; r != nil && r.Redacted {
				b.Redacted = r.Data
			}
			byIndex[ev.Index] = len(p.Blocks)
			p.Blocks = append(p.Blocks, b)
		case canonical.EventDelta:
			bi, ok := byIndex[ev.Index]
			if !ok || p.Blocks[bi].Closed {
				t.Fatalf("event %d: delta for block %d that is not open", i, ev.Index)
			}
			p.Blocks[bi].Text += ev.Delta
			p.Blocks[bi].Signature += ev.Signature
		case canonical.EventBlockStop:
			bi, ok := byIndex[ev.Index]
			if !ok {
				t.Fatalf("event %d: stop for unknown block %d", i, ev.Index)
			}
			p.Blocks[bi].Closed = true
		case canonical.EventUsage:
			p.Usage = *ev.Usage
		case canonical.EventFinish:
			p.Finish, p.StopSequence = ev.Finish, ev.StopSequence
		case canonical.EventEnd:
			p.Ended = true
		case canonical.EventError:
			p.ErrKind = ev.Err.Kind
		}
	}
	return p
}

// ---- wire projections (generic JSON) ----

func parseJSON(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("parse %s: %v", b, err)
	}
	return m
}

// projectRequest keeps what the codec promises to carry across a round
// trip: roles, content blocks (text, media, tool calls and args, results,
// thinking), system, sampling, tools, tool_choice, thinking, metadata,
// structured output. Encodings that mean the same are normalized: string
// content vs one text block, merged same-role turns, output_format vs
// output_config.format, defaults (is_error false, empty description).
func projectRequest(m map[string]any) map[string]any {
	p := map[string]any{}
	for _, k := range []string{"model", "max_tokens", "temperature", "top_p", "top_k", "stop_sequences", "thinking",
		"metadata", "service_tier", "container", "mcp_servers", "context_management", "cache_control", "inference_geo", "speed"} {
		if v, ok := m[k]; ok && v != nil {
			p[k] = v
		}
	}
	if m["stream"] == true {
		p["stream"] = true
	}
	if s := m["system"]; s != nil {
		p["system"] = projectBlocks(s)
	}
	var msgs []any
	lastRole := ""
	for _, raw := range asSlice(m["messages"]) {
		msg := raw.(map[string]any)
		role, _ := msg["role"].(string)
		blocks := projectBlocks(msg["content"])
		if role == lastRole {
			prev := msgs[len(msgs)-1].(map[string]any)
			prev["content"] = append(prev["content"].([]any), blocks...)
			continue
		}
		msgs = append(msgs, map[string]any{"role": role, "content": blocks})
		lastRole = role
	}
	p["messages"] = msgs
	var tools []any
	for _, raw := range asSlice(m["tools"]) {
		tools = append(tools, projectTool(raw.(map[string]any)))
	}
	if tools != nil {
		p["tools"] = tools
	}
	if tc, ok := m["tool_choice"].(map[string]any); ok {
		c := map[string]any{"type": tc["type"]}
		if n, ok := tc["name"]; ok {
			c["name"] = n
		}
		if tc["disable_parallel_tool_use"] == true {
			c["disable_parallel_tool_use"] = true
		}
		p["tool_choice"] = c
	}
	cfg := map[string]any{}
	if oc, ok := m["output_config"].(map[string]any); ok {
		for k, v := range oc {
			cfg[k] = v
		}
	}
	if of, ok := m["output_format"]; ok && of != nil {
		cfg["format"] = of
	}
	if len(cfg) > 0 {
		p["output_config"] = cfg
	}
	return p
}

func asSlice(v any) []any {
	s, _ := v.([]any)
	return s
}

func projectBlocks(v any) []any {
	if s, ok := v.(string); ok {
		return []any{map[string]any{"type": "text", "text": s}}
	}
	var out []any
	for _, raw := range asSlice(v) {
		b := raw.(map[string]any)
		switch b["type"] {
		case "text":
			nb := map[string]any{"type": "text", "text": b["text"]}
			if cc, ok := b["cache_control"]; ok {
				nb["cache_control"] = cc
			}
			out = append(out, nb)
		case "tool_result":
			nb := map[string]any{"type": "tool_result", "tool_use_id": b["tool_use_id"]}
			if c, ok := b["content"]; ok && c != nil {
				nb["content"] = projectBlocks(c)
			}
			if b["is_error"] == true {
				nb["is_error"] = true
			}
			if cc, ok := b["cache_control"]; ok {
				nb["cache_control"] = cc
			}
			out = append(out, nb)
		default:
			out = append(out, b)
		}
	}
	return out
}

func projectTool(t map[string]any) map[string]any {
	if typ, _ := t["type"].(string); typ != "" && typ != "custom" {
		return t // server tool: kept verbatim
	}
	p := map[string]any{"name": t["name"], "input_schema": t["input_schema"]}
	if d, _ := t["description"].(string); d != "" {
		p["description"] = d
	}
	for _, k := range []string{"strict", "cache_control"} {
		if v, ok := t[k]; ok {
			p[k] = v
		}
	}
	return p
}

// projectResponse keeps id, model, content blocks, stop reason and sequence,
// usage counts and stop_details.
func projectResponse(m map[string]any) map[string]any {
	p := map[string]any{
		"id": m["id"], "model": m["model"], "stop_reason": m["stop_reason"],
		"stop_sequence": m["stop_sequence"], "content": projectBlocks(m["content"]),
	}
	u, _ := m["usage"].(map[string]any)
	pu := map[string]any{}
	for _, k := range []string{"input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens"} {
		v, ok := u[k]
		if !ok {
			v = float64(0)
		}
		pu[k] = v
	}
	p["usage"] = pu
	if sd, ok := m["stop_details"]; ok && sd != nil {
		p["stop_details"] = sd
	}
	return p
}

func mustJSON(t testing.TB, v any) string {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
