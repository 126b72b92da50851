package responses

import (
	"bytes"
	"encoding/json"
	"net/http"
	"unicode/utf8"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// maxItems bounds the output items tracked in one stream so hostile input
// cannot allocate without limit.
const maxItems = 4096

// rawRef keeps the raw bytes of a value without copying them. It aliases
// the frame being decoded and is only valid during one Decode call.
type rawRef []byte

func (r *rawRef) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// str decodes the value as a string, "" when it is not one. Text without
// escapes (most deltas) costs one allocation, the result.
func (r rawRef) str() string {
	if len(r) < 2 || r[0] != '"' || r[len(r)-1] != '"' {
		return ""
	}
	in := r[1 : len(r)-1]
	if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
		return string(in)
	}
	var s string
	if json.Unmarshal(r, &s) != nil {
		return ""
	}
	return s
}

// name returns the unquoted bytes of a string value without escapes (event
// types), nil otherwise; comparing string(name) allocates nothing.
func (r rawRef) name() []byte {
	if len(r) < 2 || r[0] != '"' || r[len(r)-1] != '"' || bytes.IndexByte(r, '\\') >= 0 {
		return nil
	}
	return r[1 : len(r)-1]
}

// wireEvent is one Responses stream frame; only the members the decoder
// reads are declared, the rest (logprobs, obfuscation, …) are skipped.
type wireEvent struct {
	Type         rawRef `json:"type"`
	OutputIndex  int    `json:"output_index"`
	ContentIndex int    `json:"content_index"`
	SummaryIndex int    `json:"summary_index"`
	Delta        rawRef `json:"delta"`
	Text         rawRef `json:"text"`
	Refusal      rawRef `json:"refusal"`
	Arguments    rawRef `json:"arguments"`
	Item         rawRef `json:"item"`
	Part         rawRef `json:"part"`
	Response     rawRef `json:"response"`
}

// decPart follows one content or summary part of an item.
type decPart struct {
	block  int // canonical index; -1 until opened
	deltas bool
	closed bool
}

// decItem follows one output item.
type decItem struct {
	typ      string
	call     canonical.ToolCall
	block    int // function_call: canonical index, -1 until opened
	args     bool
	pending  []byte // arguments that came before the call could be named
	content  []decPart
	summary  []decPart
	anyBlock bool
	closed   bool // function_call block stopped
	done     bool
}

// StreamDecoder turns the SSE frames of one Responses stream into canonical
// events. Each content part, summary part and function call becomes one
// canonical block; response.completed / response.incomplete close what is
// open and give Usage, Finish and End; response.failed and error events
// become EventError. Built-in tool events (web search, file search, code
// interpreter, …) have no canonical form and are skipped — SPEC §5.8
// accepts that loss on the canonical lane. It also tracks the stream's
// sequence numbers (Position) so a relay can end it with a well-numbered
// response.failed. Per-request, not safe for concurrent use.
type StreamDecoder struct {
	ev wireEvent

	started  bool
	done     bool
	id       string
	model    string
	created  int64
	nextSeq  int
	next     int // next canonical block index
	items    []decItem
	open     int // canonical blocks currently open
	called   bool
	refused  bool
	sawItems bool
}

// NewStreamDecoder returns a decoder for one stream.
func NewStreamDecoder() *StreamDecoder { return &StreamDecoder{} }

// Position returns the next sequence number and the response id, model and
// created_at seen so far: what EncodeStreamErrorAt needs to end a relayed
// stream consistently.
func (d *StreamDecoder) Position() StreamPosition {
	return StreamPosition{Sequence: d.nextSeq, ResponseID: d.id, Model: d.model, CreatedAt: d.created}
}

// Decode consumes one SSE frame (its event name and data) and appends the
// events it yields. A frame that is not JSON ends the stream with a 502
// error return. Frames after the end are ignored.
func (d *StreamDecoder) Decode(eventName string, data []byte, out []canonical.Event) ([]canonical.Event, error) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' && d.done {
		return out, nil
	}
	if data[0] == '{' {
		// Counted even after the end: a relay forwards those frames too.
		d.nextSeq = nextSequence(d.nextSeq, data)
	}
	if d.done {
		return out, nil
	}
	if string(data) == "[DONE]" {
		return d.Close(out)
	}
	d.ev = wireEvent{}
	if err := json.Unmarshal(data, &d.ev); err != nil {
		d.done = true
		return out, badUpstream("upstream sent a malformed stream frame")
	}
	ev := &d.ev
	typ := ev.Type.name()
	if typ == nil {
		typ = []byte(eventName)
	}
	switch string(typ) {
	case "response.created", "response.in_progress", "response.queued":
		return d.start(out, ev.Response), nil
	case "response.completed", "response.incomplete":
		return d.finish(out, string(typ) == "response.incomplete")
	case "response.failed":
		var r struct {
			Error json.RawMessage `json:"error"`
		}
		_ = json.Unmarshal(ev.Response, &r) // a damaged object still fails the stream
		return d.fail(out, failedError(r.Error)), nil
	case "error":
		// {"type":"error","error":{…}} as OpenAI sends it, or the flat
		// {"type":"error","code","message"} of the API reference.
		var env struct {
			Error json.RawMessage `json:"error"`
		}
		inner := json.RawMessage(data)
		if json.Unmarshal(data, &env) == nil && rawKind(env.Error) == '{' {
			inner = env.Error
		}
		return d.fail(out, failedError(inner)), nil
	}
	out = d.start(out, nil)
	it, err := d.item(ev.OutputIndex)
	if err != nil {
		d.done = true
		return out, err
	}
	switch string(typ) {
	case "response.output_item.added":
		return d.itemAdded(out, it)
	case "response.output_item.done":
		return d.itemDone(out, it)
	case "response.content_part.added":
		return d.partAdded(out, it), nil
	case "response.output_text.delta":
		return d.partDelta(out, it, &it.content, ev.ContentIndex, canonical.PartText, false), nil
	case "response.refusal.delta":
		return d.partDelta(out, it, &it.content, ev.ContentIndex, canonical.PartRefusal, false), nil
	case "response.reasoning_text.delta":
		return d.partDelta(out, it, &it.content, ev.ContentIndex, canonical.PartReasoning, false), nil
	case "response.output_text.done":
		return d.partFill(out, it, &it.content, ev.ContentIndex, canonical.PartText, ev.Text), nil
	case "response.refusal.done":
		return d.partFill(out, it, &it.content, ev.ContentIndex, canonical.PartRefusal, ev.Refusal), nil
	case "response.reasoning_text.done":
		return d.partFill(out, it, &it.content, ev.ContentIndex, canonical.PartReasoning, ev.Text), nil
	case "response.content_part.done":
		return d.partDone(out, it, &it.content, ev.ContentIndex), nil
	case "response.reasoning_summary_part.added":
		out, _ = d.openPart(out, it, &it.summary, ev.SummaryIndex, canonical.PartReasoning, true)
		return out, nil
	case "response.reasoning_summary_text.delta":
		return d.partDelta(out, it, &it.summary, ev.SummaryIndex, canonical.PartReasoning, true), nil
	case "response.reasoning_summary_text.done":
		return d.partFill(out, it, &it.summary, ev.SummaryIndex, canonical.PartReasoning, ev.Text), nil
	case "response.reasoning_summary_part.done":
		return d.partDone(out, it, &it.summary, ev.SummaryIndex), nil
	case "response.function_call_arguments.delta":
		return d.argsDelta(out, it, ev.Delta.str()), nil
	case "response.function_call_arguments.done":
		if !it.args {
			return d.argsDelta(out, it, ev.Arguments.str()), nil
		}
	}
	return out, nil
}

// start emits EventStart once, taking id and model from the response object
// of response.created when there is one.
func (d *StreamDecoder) start(out []canonical.Event, resp rawRef) []canonical.Event {
	if len(resp) > 0 && d.id == "" {
		var r struct {
			ID        string  `json:"id"`
			Model     string  `json:"model"`
			CreatedAt float64 `json:"created_at"`
		}
		if json.Unmarshal(resp, &r) == nil {
			d.id, d.model, d.created = r.ID, r.Model, int64(r.CreatedAt)
		}
	}
	if d.started {
		return out
	}
	d.started = true
	return append(out, canonical.Event{Type: canonical.EventStart, ID: d.id, Model: d.model})
}

func (d *StreamDecoder) item(i int) (*decItem, error) {
	if i < 0 || i >= maxItems {
		return nil, badUpstream("upstream stream holds too many output items")
	}
	for len(d.items) <= i {
		d.items = append(d.items, decItem{block: -1})
	}
	return &d.items[i], nil
}

// finish handles response.completed and response.incomplete.
func (d *StreamDecoder) finish(out []canonical.Event, incomplete bool) ([]canonical.Event, error) {
	out = d.start(out, d.ev.Response)
	var r struct {
		Status            string `json:"status"`
		IncompleteDetails *struct {
			Reason string `json:"reason"`
		} `json:"incomplete_details"`
		Usage  *wireUsage        `json:"usage"`
		Output []json.RawMessage `json:"output"`
	}
	if json.Unmarshal(d.ev.Response, &r) != nil {
		d.done = true
		return out, badUpstream("upstream sent a malformed terminal response")
	}
	if !d.sawItems {
		// A server that streamed nothing but the final object: read its output.
		for i, raw := range r.Output {
			if it, err := d.item(i); err == nil {
				d.ev.Item = rawRef(raw)
				if out, err = d.itemDone(out, it); err != nil {
					return out, err
				}
			}
		}
	}
	out = d.closeAll(out)
	status := statusCompleted
	if incomplete || r.Status == statusIncomplete {
		status = statusIncomplete
	}
	reason := ""
	if r.IncompleteDetails != nil {
		reason = r.IncompleteDetails.Reason
	}
	if r.Usage != nil {
		u := r.Usage.toCanonical()
		out = append(out, canonical.Event{Type: canonical.EventUsage, Usage: &u})
	}
	d.done = true
	return append(out,
		canonical.Event{Type: canonical.EventFinish, Finish: finishFor(status, reason, d.called, d.refused)},
		canonical.Event{Type: canonical.EventEnd}), nil
}

func (d *StreamDecoder) fail(out []canonical.Event, e *canonical.Error) []canonical.Event {
	d.done = true
	return append(out, canonical.Event{Type: canonical.EventError, Err: e})
}

// Close is called at upstream EOF (and on a stray [DONE]). A stream that did
// not reach response.completed / incomplete / failed was cut, which is an
// error, never a normal finish.
func (d *StreamDecoder) Close(out []canonical.Event) ([]canonical.Event, error) {
	if d.done {
		return out, nil
	}
	return d.fail(out, &canonical.Error{
		Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error",
		Message: "upstream stream ended before completion",
	}), nil
}
