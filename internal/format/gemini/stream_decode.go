package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// StreamDecoder turns streamGenerateContent frames (each SSE data payload,
// or each element of the JSON-array form, is one whole
// GenerateContentResponse) into canonical events. It is per request and not
// safe for concurrent use.
//
// Text parts feed a text block and thought parts a reasoning block; a block
// closes when the other kind (or a call) arrives. A functionCall arrives
// whole and becomes BlockStart + one Delta with the complete args + BlockStop;
// a streamed call (partialArgs) is assembled first and emitted the same way,
// so no call ever carries partial or empty arguments. Usage is reported as a
// snapshot on Start (input side) and before Finish (the last frame's counts,
// which are cumulative); the frame carrying finishReason emits Finish, as
// tool_calls when any call was seen. EOF after it is End, before it an error.
type StreamDecoder struct {
	started  bool
	finished bool // Finish emitted
	done     bool // terminal: an error was emitted or returned, or Close ran

	responseID string
	next       int // next block index
	open       int // index of the open text/reasoning block, -1 if none
	openKind   canonical.PartType
	calls      int // function calls seen

	pending    *argsBuilder // streamed call being assembled
	pendingIdx int
	usage      canonical.Usage
	haveUsage  bool
	sentUsage  canonical.Usage // last snapshot emitted
	sentAnyUse bool

	// One json.Decoder for the whole stream: unlike json.Unmarshal it keeps
	// its scanner, buffer and decode state between frames, and frames after
	// the first decode into the reused body. This keeps a frame at a couple
	// of allocations (its text) instead of two dozen.
	src      frameSource
	dec      *json.Decoder
	consumed int64
	body     frameBody
}

// frameSource feeds one frame at a time to the json.Decoder.
type frameSource struct{ b []byte }

func (s *frameSource) Read(p []byte) (int, error) {
	if len(s.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.b)
	s.b = s.b[n:]
	return n, nil
}

// NewStreamDecoder returns a decoder for one response stream.
func NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{open: -1}
}

// Decode handles one frame. eventName is ignored (Gemini sends data-only
// frames). A frame that is not a GenerateContentResponse fails the stream
// with an upstream_error; an {"error":…} frame becomes a terminal EventError.
func (d *StreamDecoder) Decode(eventName string, data []byte, out []canonical.Event) ([]canonical.Event, error) {
	if d.done {
		return out, nil
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || string(data) == "[DONE]" {
		return out, nil
	}
	f, first, err := d.read(data)
	if err != nil {
		d.done = true
		return out, &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway,
			Message: "upstream sent a malformed stream frame", Cause: fmt.Errorf("gemini: decode stream frame: %w", err)}
	}
	if f.Error != nil {
		d.done = true
		return append(out, canonical.Event{Type: canonical.EventError, Err: DecodeError(0, data)}), nil
	}
	if !d.started {
		d.started = true
		d.responseID = first.ResponseID
		start := canonical.Event{Type: canonical.EventStart, ID: first.ResponseID, Model: first.ModelVersion}
		if u := &f.UsageMetadata; u.PromptTokenCount > 0 || u.CachedContentTokenCount > 0 {
			start.Usage = &canonical.Usage{InputTokens: u.PromptTokenCount, CacheReadTokens: u.CachedContentTokenCount}
		}
		out = append(out, start)
	}
	if f.UsageMetadata.present() {
		d.usage = usageFromWire(&f.UsageMetadata)
		d.haveUsage = true
	}
	if d.finished {
		// Late frames may still refine usage; content after the stop signal is ignored.
		return d.emitUsage(out), nil
	}
	c := firstCandidate(f.Candidates)
	if c != nil {
		for j := range c.Content.Parts {
			out = d.part(&c.Content.Parts[j], out)
		}
	}
	switch {
	case c != nil && c.FinishReason != "":
		out = d.finish(finishFromWire(c.FinishReason, d.calls > 0), out)
	case c == nil && f.PromptFeedback != nil && f.PromptFeedback.BlockReason != "":
		out = d.finish(canonical.FinishContentFilter, out)
	}
	return out, nil
}

// DecodeStray handles bytes of a frame that carries no data field. Gemini
// reports an error that happens mid-stream as a bare JSON object after the
// last data frame (recorded in shared/fixtures/errors/
// gemini-stream-error-mid-stream; the genai SDK reads it the same way): an
// {"error":…} object there is the stream's terminal EventError. Anything
// else (comments, keep-alives) yields nothing.
func (d *StreamDecoder) DecodeStray(raw []byte, out []canonical.Event) ([]canonical.Event, error) {
	raw = bytes.TrimSpace(raw)
	if d.done || len(raw) == 0 || raw[0] != '{' {
		return out, nil
	}
	var probe struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(raw, &probe) != nil || isNull(probe.Error) {
		return out, nil
	}
	d.done = true
	return append(out, canonical.Event{Type: canonical.EventError, Err: DecodeError(0, raw)}), nil
}

// read decodes one frame. The first frame is read whole (its ids start the
// stream); later ones into d.body, whose slices are reused after zeroing,
// since encoding/json decodes into existing elements without clearing the
// fields a frame leaves out.
func (d *StreamDecoder) read(data []byte) (*frameBody, *genResponse, error) {
	if d.dec == nil {
		d.dec = json.NewDecoder(&d.src)
	}
	d.src.b = data
	d.consumed += int64(len(data))
	var err error
	var first *genResponse
	f := &d.body
	if !d.started {
		first = &genResponse{}
		err = d.dec.Decode(first)
		f = &first.frameBody
	} else {
		cands := d.body.Candidates[:cap(d.body.Candidates)]
		var parts []part
		if len(cands) > 0 {
			parts = cands[0].Content.Parts[:cap(cands[0].Content.Parts)]
			clear(parts)
		}
		clear(cands)
		if len(cands) > 0 {
			cands[0].Content.Parts = parts[:0]
		}
		d.body = frameBody{Candidates: cands[:0]}
		err = d.dec.Decode(&d.body)
	}
	if err == nil && d.dec.InputOffset() != d.consumed {
		err = errors.New("trailing data after the JSON object")
	}
	return f, first, err
}

func (d *StreamDecoder) part(p *part, out []canonical.Event) []canonical.Event {
	p.merge()
	if fc := p.FunctionCall; fc != nil {
		return d.functionCall(fc, p.ThoughtSignature, out)
	}
	if p.Thought {
		if p.Text == "" && p.ThoughtSignature == "" {
			return out
		}
		out = d.ensureOpen(canonical.PartReasoning, out)
		return append(out, canonical.Event{Type: canonical.EventDelta, Index: d.open, Delta: p.Text, Signature: p.ThoughtSignature})
	}
	if p.Text == "" && p.ThoughtSignature == "" {
		return out // e.g. the empty text part Gemini 3 sends with finishReason
	}
	if p.InlineData != nil || p.FileData != nil || p.FunctionResponse != nil || p.unsupportedKind() != "" {
		return out // no stream event kind for media or code execution
	}
	out = d.ensureOpen(canonical.PartText, out)
	return append(out, canonical.Event{Type: canonical.EventDelta, Index: d.open, Delta: p.Text, Signature: p.ThoughtSignature})
}

// ensureOpen makes the open text/reasoning block one of kind.
func (d *StreamDecoder) ensureOpen(kind canonical.PartType, out []canonical.Event) []canonical.Event {
	if d.open >= 0 && d.openKind == kind {
		return out
	}
	out = d.closeOpen(out)
	d.open, d.openKind = d.next, kind
	d.next++
	block := &canonical.Part{Type: kind}
	if kind == canonical.PartReasoning {
		block.Reasoning = &canonical.Reasoning{Provider: provider} // signatures in this block are Gemini's
	}
	return append(out, canonical.Event{Type: canonical.EventBlockStart, Index: d.open, Block: block})
}

func (d *StreamDecoder) closeOpen(out []canonical.Event) []canonical.Event {
	if d.open < 0 {
		return out
	}
	out = append(out, canonical.Event{Type: canonical.EventBlockStop, Index: d.open})
	d.open = -1
	return out
}

// functionCall handles a whole call, or the opening/continuation/closing
// piece of a streamed one: a named piece starts a call, pieces without a
// name feed the pending call, and a piece without willContinue ends it.
func (d *StreamDecoder) functionCall(fc *functionCall, sig string, out []canonical.Event) []canonical.Event {
	if fc.Name != "" {
		out = d.closePending(out)
		out = d.closeOpen(out)
		id := fc.ID
		if id == "" {
			id = syntheticID(d.responseID, d.calls)
		}
		d.calls++
		idx := d.next
		d.next++
		out = append(out, canonical.Event{Type: canonical.EventBlockStart, Index: idx, Block: &canonical.Part{
			Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: id, Name: fc.Name, ThoughtSignature: sig},
		}})
		if !fc.WillContinue && len(fc.PartialArgs) == 0 {
			args, err := argsText(fc.Args)
			if err != nil {
				// Not an object: keep the model's text rather than lose it.
				args = string(argsWrap(fc.Args))
			}
			out = append(out, canonical.Event{Type: canonical.EventDelta, Index: idx, Delta: args},
				canonical.Event{Type: canonical.EventBlockStop, Index: idx})
			return out
		}
		d.pending, d.pendingIdx = &argsBuilder{}, idx
	}
	if d.pending == nil {
		return out // a continuation with no call open: nothing to attach it to
	}
	for _, pa := range fc.PartialArgs {
		d.pending.add(pa)
	}
	if !fc.WillContinue {
		out = d.closePending(out)
	}
	return out
}

func (d *StreamDecoder) closePending(out []canonical.Event) []canonical.Event {
	if d.pending == nil {
		return out
	}
	args := d.pending.json()
	d.pending = nil
	return append(out, canonical.Event{Type: canonical.EventDelta, Index: d.pendingIdx, Delta: args},
		canonical.Event{Type: canonical.EventBlockStop, Index: d.pendingIdx})
}

func (d *StreamDecoder) finish(reason canonical.FinishReason, out []canonical.Event) []canonical.Event {
	if reason == canonical.FinishStop && d.calls > 0 {
		reason = canonical.FinishToolCalls
	}
	out = d.closePending(out)
	out = d.closeOpen(out)
	out = d.emitUsage(out)
	d.finished = true
	return append(out, canonical.Event{Type: canonical.EventFinish, Finish: reason})
}

// emitUsage appends the current snapshot if it differs from the last sent.
func (d *StreamDecoder) emitUsage(out []canonical.Event) []canonical.Event {
	if !d.haveUsage || (d.sentAnyUse && d.sentUsage == d.usage) {
		return out
	}
	u := d.usage
	d.sentUsage, d.sentAnyUse = u, true
	return append(out, canonical.Event{Type: canonical.EventUsage, Usage: &u})
}

// Close is called at upstream EOF. After a finishReason it appends End;
// otherwise the stream was cut: the last usage snapshot (for billing) and an
// upstream_error 502, never a normal finish.
func (d *StreamDecoder) Close(out []canonical.Event) ([]canonical.Event, error) {
	if d.done {
		return out, nil
	}
	d.done = true
	if d.finished {
		return append(out, canonical.Event{Type: canonical.EventEnd}), nil
	}
	out = d.emitUsage(out)
	return append(out, canonical.Event{Type: canonical.EventError, Err: &canonical.Error{
		Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Message: "upstream stream ended before completion",
	}}), nil
}

// argsWrap renders non-object args as {"_raw": "<text>"}.
func argsWrap(raw json.RawMessage) []byte {
	return append(appendString([]byte(`{"_raw":`), string(bytes.TrimSpace(raw))), '}')
}
