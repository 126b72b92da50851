package openai

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// maxToolCalls bounds the tool calls tracked in one stream so hostile input
// cannot make the per-fragment lookup quadratic.
const maxToolCalls = 1024

// toolState follows one streamed tool call. Fragments that arrive before
// the function name are buffered: a block opens only once it can say which
// tool it calls.
type toolState struct {
	wireIndex int
	id, name  string
	block     int // canonical block index; -1 until opened
	pending   []byte
	argsSeen  bool
}

// StreamDecoder turns the SSE frames of one OpenAI-family chat stream into
// canonical events. It is per-request and not safe for concurrent use.
//
// OpenAI has no explicit content blocks, so the decoder makes them: a run
// of deltas of one kind (reasoning, text, refusal, or one tool call) is one
// block, closed when another kind starts or the turn finishes. Finish is
// held back until [DONE] (or EOF after a finish_reason) because OpenAI
// sends usage after the finish chunk and canonical order is Usage, Finish.
type StreamDecoder struct {
	chunk wireChunk

	started  bool
	done     bool
	finished bool // a finish_reason was seen
	finish   canonical.FinishReason

	nextIndex int
	open      int // open block index, -1 when none
	openKind  canonical.PartType
	curTool   *toolState
	tools     []*toolState
	called    bool // a tool call block was opened
	refused   bool // a refusal block was opened
}

// NewStreamDecoder returns a decoder for one stream.
func NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{open: -1}
}

// Decode consumes one SSE frame and appends the events it yields. A frame
// that is not valid JSON ends the stream with a 502 error return; an
// {"error":…} frame becomes an EventError. Frames after the end are ignored.
func (d *StreamDecoder) Decode(eventName string, data []byte, out []canonical.Event) ([]canonical.Event, error) {
	if d.done {
		return out, nil
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return out, nil
	}
	if string(data) == "[DONE]" {
		return d.end(out), nil
	}
	if err := d.parse(data); err != nil {
		d.done = true
		return out, badUpstream("upstream sent a malformed stream frame")
	}
	c := &d.chunk
	if eventName == "error" || c.Error.present() {
		return d.streamError(data, out), nil
	}
	var ch *chunkChoice
	for i := range c.Choices {
		if c.Choices[i].Index == 0 {
			ch = &c.Choices[i]
			break
		}
	}
	if ch == nil && c.Usage == nil {
		// Azure's prompt_filter_results preamble and other choice-less frames.
		return out, nil
	}
	out = d.start(out)
	if ch != nil {
		var err error
		if out, err = d.delta(ch, out); err != nil {
			d.done = true
			return out, err
		}
	}
	if c.Usage != nil && !d.done {
		u := c.Usage.toCanonical()
		out = append(out, canonical.Event{Type: canonical.EventUsage, Usage: &u})
	}
	return out, nil
}

// parse decodes data into the reused chunk, zeroing what the previous frame
// left: encoding/json reuses slice elements without clearing them.
func (d *StreamDecoder) parse(data []byte) error {
	choices := d.chunk.Choices[:cap(d.chunk.Choices)]
	clear(choices)
	d.chunk = wireChunk{Choices: choices[:0]}
	return json.Unmarshal(data, &d.chunk)
}

func (d *StreamDecoder) start(out []canonical.Event) []canonical.Event {
	if d.started {
		return out
	}
	d.started = true
	return append(out, canonical.Event{Type: canonical.EventStart, ID: d.chunk.ID.str(), Model: d.chunk.Model.str()})
}

func (d *StreamDecoder) delta(ch *chunkChoice, out []canonical.Event) ([]canonical.Event, error) {
	dl := &ch.Delta
	reasoning := dl.ReasoningContent
	if reasoning == "" {
		reasoning = dl.Reasoning
	}
	if reasoning != "" {
		out = d.text(canonical.PartReasoning, string(reasoning), out)
	}
	if dl.Content.reasoning != "" {
		out = d.text(canonical.PartReasoning, dl.Content.reasoning, out)
	}
	if dl.Content.text != "" {
		out = d.text(canonical.PartText, dl.Content.text, out)
	}
	if dl.Refusal != "" {
		out = d.text(canonical.PartRefusal, string(dl.Refusal), out)
	}
	var err error
	for i := range dl.ToolCalls {
		if out, err = d.toolDelta(&dl.ToolCalls[i], out); err != nil {
			return out, err
		}
	}
	if fc := dl.FunctionCall; fc != nil {
		zero := 0
		if out, err = d.toolDelta(&chunkToolCall{Index: &zero, Function: *fc}, out); err != nil {
			return out, err
		}
	}
	if ch.FinishReason != "" {
		out = d.onFinish(string(ch.FinishReason), out)
	}
	return out, nil
}

// text appends a text/reasoning/refusal delta, opening a block of that kind
// unless one is already open.
func (d *StreamDecoder) text(kind canonical.PartType, s string, out []canonical.Event) []canonical.Event {
	if d.open < 0 || d.openKind != kind {
		out = d.closeOpen(out)
		out = d.openBlock(kind, nil, out)
		d.refused = d.refused || kind == canonical.PartRefusal
	}
	return append(out, canonical.Event{Type: canonical.EventDelta, Index: d.open, Delta: s})
}

func (d *StreamDecoder) openBlock(kind canonical.PartType, tc *canonical.ToolCall, out []canonical.Event) []canonical.Event {
	d.open, d.openKind = d.nextIndex, kind
	d.nextIndex++
	return append(out, canonical.Event{Type: canonical.EventBlockStart, Index: d.open, Block: &canonical.Part{Type: kind, ToolCall: tc}})
}

// closeOpen ends the open block. A tool call that produced no argument
// text gets "{}" first, so no call ever reaches a client without arguments.
func (d *StreamDecoder) closeOpen(out []canonical.Event) []canonical.Event {
	if d.open < 0 {
		return out
	}
	if t := d.curTool; t != nil {
		if !t.argsSeen {
			out = append(out, canonical.Event{Type: canonical.EventDelta, Index: d.open, Delta: "{}"})
			t.argsSeen = true
		}
		d.curTool = nil
	}
	out = append(out, canonical.Event{Type: canonical.EventBlockStop, Index: d.open})
	d.open = -1
	return out
}

func (d *StreamDecoder) toolDelta(tc *chunkToolCall, out []canonical.Event) ([]canonical.Event, error) {
	t, err := d.findTool(tc)
	if err != nil {
		return out, err
	}
	if t.id == "" {
		t.id = string(tc.ID)
	}
	if t.name == "" {
		t.name = string(tc.Function.Name)
	}
	args := string(tc.Function.Arguments)
	switch {
	case t.block < 0 && t.name == "":
		t.pending = append(t.pending, args...)
		return out, nil
	case t.block < 0:
		out = d.openTool(t, out)
	case t != d.curTool:
		if args == "" {
			return out, nil // a repeated header of a finished call adds nothing
		}
		return out, badUpstream("upstream sent arguments for a tool call after another block started")
	}
	if args != "" {
		t.argsSeen = true
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: t.block, Delta: args})
	}
	return out, nil
}

func (d *StreamDecoder) openTool(t *toolState, out []canonical.Event) []canonical.Event {
	out = d.closeOpen(out)
	if t.id == "" {
		t.id = "call_" + strconv.Itoa(d.nextIndex)
	}
	out = d.openBlock(canonical.PartToolCall, &canonical.ToolCall{ID: t.id, Name: t.name}, out)
	t.block, d.curTool, d.called = d.open, t, true
	if len(t.pending) > 0 {
		t.argsSeen = true
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: t.block, Delta: string(t.pending)})
		t.pending = nil
	}
	return out
}

// findTool returns the state a fragment belongs to, creating it for a new
// call. A fragment that reuses an index with a different id is a new call
// (some compatible servers send every call at index 0).
func (d *StreamDecoder) findTool(tc *chunkToolCall) (*toolState, error) {
	id := string(tc.ID)
	for i := len(d.tools) - 1; i >= 0; i-- {
		t := d.tools[i]
		switch {
		case tc.Index != nil && t.wireIndex != *tc.Index:
			continue
		case tc.Index == nil && id == "" && t == d.curTool:
		case tc.Index == nil && (id == "" || t.id != id):
			continue
		case id != "" && t.id != "" && t.id != id:
			continue
		}
		return t, nil
	}
	if len(d.tools) >= maxToolCalls {
		return nil, badUpstream("upstream stream holds too many tool calls")
	}
	t := &toolState{wireIndex: len(d.tools), block: -1}
	if tc.Index != nil {
		t.wireIndex = *tc.Index
	}
	d.tools = append(d.tools, t)
	return t, nil
}

// flushTools closes the open block and opens, then closes, calls whose
// name never arrived, so their buffered arguments are not lost.
func (d *StreamDecoder) flushTools(out []canonical.Event) []canonical.Event {
	out = d.closeOpen(out)
	for _, t := range d.tools {
		if t.block < 0 {
			out = d.openTool(t, out)
			out = d.closeOpen(out)
		}
	}
	return out
}

func (d *StreamDecoder) onFinish(reason string, out []canonical.Event) []canonical.Event {
	if d.finished {
		return out // OpenRouter repeats finish_reason; the first one stands
	}
	out = d.flushTools(out)
	r, failed := finishFromWire(reason)
	if failed {
		d.done = true
		return append(out, canonical.Event{Type: canonical.EventError, Err: badUpstream("upstream generation failed (finish_reason " + reason + ")")})
	}
	switch {
	case r == canonical.FinishStop && d.called:
		r = canonical.FinishToolCalls
	case r == canonical.FinishStop && d.refused:
		r = canonical.FinishRefusal // as DecodeResponse: the model refused
	}
	d.finished, d.finish = true, r
	return out
}

// end handles [DONE]: the wire's terminal signal.
func (d *StreamDecoder) end(out []canonical.Event) []canonical.Event {
	out = d.start(out)
	if !d.finished {
		out = d.onFinish("stop", out)
		if d.done {
			return out
		}
	}
	out = d.flushTools(out) // content that arrived after finish_reason
	d.done = true
	return append(out,
		canonical.Event{Type: canonical.EventFinish, Finish: d.finish},
		canonical.Event{Type: canonical.EventEnd})
}

// streamError turns an in-stream error frame into EventError. After a
// finish_reason the turn is already complete (OpenRouter follows a length
// finish with an error restating it), so only its usage is kept.
func (d *StreamDecoder) streamError(data []byte, out []canonical.Event) []canonical.Event {
	if d.chunk.Usage != nil {
		out = d.start(out)
		u := d.chunk.Usage.toCanonical()
		out = append(out, canonical.Event{Type: canonical.EventUsage, Usage: &u})
	}
	if d.finished {
		return out
	}
	d.done = true
	e := &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error", Message: "upstream stream reported an error"}
	if we := parseErrorBody(data); we != nil {
		if we.Message != "" {
			e.Message = we.Message
		}
		if we.Type != nil {
			e.Type = *we.Type
		}
		if code := codeString(we.Code); code != "" {
			e.Code = code
			if n, err := strconv.Atoi(code); err == nil && n >= 400 && n < 600 {
				e.Status, e.Kind = n, canonical.KindForStatus(n)
			}
		}
	}
	return append(out, canonical.Event{Type: canonical.EventError, Err: e})
}

// Close is called at upstream EOF. Without [DONE] or a finish_reason the
// stream was cut, which is reported as an error, never as a normal finish.
// A finish_reason without [DONE] still completes the turn (usage may then
// be missing).
func (d *StreamDecoder) Close(out []canonical.Event) ([]canonical.Event, error) {
	if d.done {
		return out, nil
	}
	d.done = true
	if !d.finished {
		return append(out, canonical.Event{Type: canonical.EventError, Err: &canonical.Error{
			Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error",
			Message: "upstream stream ended before completion",
		}}), nil
	}
	out = d.flushTools(out)
	return append(out,
		canonical.Event{Type: canonical.EventFinish, Finish: d.finish},
		canonical.Event{Type: canonical.EventEnd}), nil
}
