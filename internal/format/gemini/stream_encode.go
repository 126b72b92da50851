package gemini

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// EventWriter receives encoded frames: the gateway's SSE writer (name "" =
// no "event:" line) or an ArrayWriter. data is only valid during the call.
type EventWriter interface {
	WriteEvent(name string, data []byte) error
}

// StreamOptions configures a StreamEncoder.
type StreamOptions struct {
	// Model is shown as modelVersion (the routed model code); "" falls back
	// to the model named by EventStart.
	Model string
	// ID is shown as responseId; "" generates one from Rand.
	ID string
	// Created (unix seconds) is unused: Gemini frames carry no timestamp.
	// It is here so every codec takes the same options.
	Created int64
	// IncludeUsage is OpenAI-only; Gemini always reports usage on the
	// terminal frame.
	IncludeUsage bool
	// Rand supplies the bytes of a generated ID; nil means crypto/rand.
	Rand io.Reader
}

// StreamEncoder renders canonical events in the Gemini stream grammar (SPEC
// §6.5): every text or thought delta is one frame holding one part;
// function calls are buffered and emitted whole when their block stops
// (arguments that are not a JSON object go out as {"_raw": "<text>"}); the
// terminal frame, written on End, carries empty parts, finishReason, index 0
// and usageMetadata. Deferring it to End means usage reported after Finish
// (OpenAI's trailing usage chunk) still reaches the client. No [DONE].
type StreamEncoder struct {
	model, id string
	buf       []byte
	blocks    []encBlock
	usage     canonical.Usage
	haveUsage bool
	finish    canonical.FinishReason
	done      bool
	scratch   bytes.Buffer
}

type encBlock struct {
	kind   canonical.PartType
	active bool
	skip   bool // redacted reasoning: nothing a Gemini client can use
	id     string
	name   string
	sig    string
	args   []byte
	// issuer signed a reasoning block ("" unknown); another provider's
	// signature is shown tagged (canonical.ShowSignature), once.
	issuer   string
	sigShown bool
}

// NewStreamEncoder returns an encoder for one response stream.
func NewStreamEncoder(opts StreamOptions) *StreamEncoder {
	e := &StreamEncoder{model: opts.Model, id: opts.ID}
	if e.id == "" {
		e.id = generateID(opts.Rand)
	}
	return e
}

// generateID makes a responseId shaped like Google's (22 URL-safe chars).
func generateID(r io.Reader) string {
	if r == nil {
		r = rand.Reader
	}
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "nexus-response"
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// Encode writes the frames for one event (zero or more).
func (e *StreamEncoder) Encode(ev canonical.Event, w EventWriter) error {
	if e.done {
		return nil
	}
	switch ev.Type {
	case canonical.EventStart:
		if e.model == "" {
			e.model = ev.Model
		}
		if ev.Usage != nil {
			e.usage, e.haveUsage = *ev.Usage, true
		}
	case canonical.EventBlockStart:
		b := e.block(ev.Index)
		*b = encBlock{kind: canonical.PartText, active: true, args: b.args[:0]}
		if p := ev.Block; p != nil {
			b.kind = p.Type
			if p.ToolCall != nil {
				b.id, b.name, b.sig = p.ToolCall.ID, p.ToolCall.Name, p.ToolCall.ThoughtSignature
				b.args = append(b.args, p.ToolCall.Arguments...) // normally empty; kept if a decoder sent some
			}
			b.skip = p.Type == canonical.PartReasoning && p.Reasoning != nil && p.Reasoning.Redacted
			if p.Type == canonical.PartReasoning && p.Reasoning != nil {
				b.issuer = p.Reasoning.Provider
			}
		}
	case canonical.EventDelta:
		return e.delta(ev, w)
	case canonical.EventBlockStop:
		if ev.Index >= 0 && ev.Index < len(e.blocks) {
			return e.stopBlock(&e.blocks[ev.Index], w)
		}
	case canonical.EventUsage:
		if ev.Usage != nil {
			e.usage, e.haveUsage = *ev.Usage, true
		}
	case canonical.EventFinish:
		e.finish = ev.Finish
		if ev.Usage != nil {
			e.usage, e.haveUsage = *ev.Usage, true
		}
	case canonical.EventEnd:
		for i := range e.blocks {
			if err := e.stopBlock(&e.blocks[i], w); err != nil {
				return err
			}
		}
		e.done = true
		return e.terminal(w)
	case canonical.EventError:
		e.done = true
		name, data := EncodeStreamError(ev.Err)
		return w.WriteEvent(name, data)
	}
	return nil
}

func (e *StreamEncoder) block(i int) *encBlock {
	if i < 0 {
		i = 0
	}
	for len(e.blocks) <= i {
		e.blocks = append(e.blocks, encBlock{kind: canonical.PartText})
	}
	return &e.blocks[i]
}

func (e *StreamEncoder) delta(ev canonical.Event, w EventWriter) error {
	b := e.block(ev.Index)
	if b.skip {
		return nil
	}
	switch b.kind {
	case canonical.PartToolCall:
		b.args = append(b.args, ev.Delta...)
		return nil
	case canonical.PartImage, canonical.PartDocument, canonical.PartAudio, canonical.PartToolResult:
		return nil // no delta form in the Gemini grammar
	}
	if ev.Delta == "" && ev.Signature == "" {
		return nil
	}
	e.begin()
	e.buf = append(e.buf, `{"text":`...)
	e.buf = appendString(e.buf, ev.Delta)
	if b.kind == canonical.PartReasoning {
		e.buf = append(e.buf, `,"thought":true`...)
	}
	if sig := ev.Signature; sig != "" {
		if b.kind == canonical.PartReasoning && !b.sigShown {
			sig, b.sigShown = canonical.ShowSignature(provider, b.issuer, sig), true
		}
		e.buf = append(e.buf, `,"thoughtSignature":`...)
		e.buf = appendString(e.buf, sig)
	}
	e.buf = append(e.buf, '}')
	e.endFrame("")
	return w.WriteEvent("", e.buf)
}

// stopBlock closes a block; for a tool call it writes the whole call.
func (e *StreamEncoder) stopBlock(b *encBlock, w EventWriter) error {
	if !b.active {
		return nil
	}
	b.active = false
	if b.kind != canonical.PartToolCall {
		return nil
	}
	e.begin()
	e.buf = append(e.buf, `{"functionCall":{`...)
	if id := wireID(b.id); id != "" {
		e.buf = append(e.buf, `"id":`...)
		e.buf = appendString(e.buf, id)
		e.buf = append(e.buf, ',')
	}
	e.buf = append(e.buf, `"name":`...)
	e.buf = appendString(e.buf, b.name)
	e.buf = append(e.buf, `,"args":`...)
	e.buf = e.appendArgs(e.buf, b.args)
	e.buf = append(e.buf, '}')
	if b.sig != "" {
		e.buf = append(e.buf, `,"thoughtSignature":`...)
		e.buf = appendString(e.buf, b.sig)
	}
	e.buf = append(e.buf, '}')
	e.endFrame("")
	return w.WriteEvent("", e.buf)
}

// appendArgs writes buffered argument text as an object: {} when empty,
// compacted when it is an object, else {"_raw": text} so the client still
// sees what the model produced.
func (e *StreamEncoder) appendArgs(dst, args []byte) []byte {
	t := bytes.TrimSpace(args)
	if len(t) == 0 {
		return append(dst, '{', '}')
	}
	if t[0] == '{' {
		e.scratch.Reset()
		if err := json.Compact(&e.scratch, t); err == nil {
			return append(dst, e.scratch.Bytes()...)
		}
	}
	dst = append(dst, `{"_raw":`...)
	dst = appendString(dst, string(args))
	return append(dst, '}')
}

func (e *StreamEncoder) terminal(w EventWriter) error {
	e.begin()
	e.endFrame(finishToWire(e.finish))
	return w.WriteEvent("", e.buf)
}

// begin starts a frame up to the opening of the parts array.
func (e *StreamEncoder) begin() {
	e.buf = append(e.buf[:0], `{"candidates":[{"content":{"role":"model","parts":[`...)
}

// endFrame closes the parts array and candidate; a terminal frame (finish
// set) adds finishReason and usageMetadata.
func (e *StreamEncoder) endFrame(finish string) {
	e.buf = append(e.buf, `]}`...)
	if finish != "" {
		e.buf = append(e.buf, `,"finishReason":`...)
		e.buf = appendString(e.buf, finish)
	}
	e.buf = append(e.buf, `,"index":0}]`...)
	if finish != "" && e.haveUsage {
		u := usageToWire(e.usage)
		e.buf = append(e.buf, `,"usageMetadata":{"promptTokenCount":`...)
		e.buf = strconv.AppendInt(e.buf, int64(u.PromptTokenCount), 10)
		e.buf = appendIntField(e.buf, "candidatesTokenCount", u.CandidatesTokenCount)
		e.buf = appendIntField(e.buf, "totalTokenCount", u.TotalTokenCount)
		if u.CachedContentTokenCount > 0 {
			e.buf = appendIntField(e.buf, "cachedContentTokenCount", u.CachedContentTokenCount)
		}
		if u.ThoughtsTokenCount > 0 {
			e.buf = appendIntField(e.buf, "thoughtsTokenCount", u.ThoughtsTokenCount)
		}
		e.buf = append(e.buf, '}')
	}
	if e.model != "" {
		e.buf = append(e.buf, `,"modelVersion":`...)
		e.buf = appendString(e.buf, e.model)
	}
	e.buf = append(e.buf, `,"responseId":`...)
	e.buf = appendString(e.buf, e.id)
	e.buf = append(e.buf, '}')
}
