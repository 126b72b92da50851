package openai

import (
	"crypto/rand"
	"encoding/hex"
	"io"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// EventWriter receives SSE frames; name "" means no "event:" line. data is
// only valid during the call (the encoder reuses its buffer).
type EventWriter interface {
	WriteEvent(name string, data []byte) error
}

// StreamOptions configures a StreamEncoder. The zero value works: a random
// id, created 0, no model, no usage chunk.
type StreamOptions struct {
	Model        string    // routed model code shown to the client
	ID           string    // response id; "" = "chatcmpl-" + 24 hex digits read from Rand
	Created      int64     // unix seconds shown in every chunk
	IncludeUsage bool      // client asked for stream_options.include_usage: send the trailing usage chunk
	Rand         io.Reader // randomness for the generated id; nil = crypto/rand
}

// maxBlocks bounds the block table so a corrupt index cannot allocate wildly.
const maxBlocks = 1 << 16

type encBlock struct {
	kind     canonical.PartType
	tool     int // ordinal among tool calls: the wire's tool_calls[].index
	argsSent bool
}

// StreamEncoder renders canonical events in the OpenAI chat chunk grammar
// (SPEC §6.2). Every frame is appended into one reused buffer, so a steady
// stream allocates nothing per event. Per-request, not concurrency-safe.
type StreamEncoder struct {
	opts   StreamOptions
	head   []byte // {"id":…,"object":"chat.completion.chunk","created":…,"model":…,"choices":[
	buf    []byte
	blocks []encBlock

	tools    int
	usage    canonical.Usage
	hasUsage bool
	called   bool
	refused  bool // refusal text was written
	started  bool
	finished bool
	ended    bool
}

// NewStreamEncoder prepares an encoder for one response stream.
func NewStreamEncoder(opts StreamOptions) *StreamEncoder {
	if opts.ID == "" {
		opts.ID = newChunkID(opts.Rand)
	}
	h := make([]byte, 0, 96+len(opts.ID)+len(opts.Model))
	h = append(h, `{"id":`...)
	h = appendJSONString(h, opts.ID)
	h = append(h, `,"object":"chat.completion.chunk","created":`...)
	h = appendInt(h, opts.Created)
	h = append(h, `,"model":`...)
	h = appendJSONString(h, opts.Model)
	h = append(h, `,"choices":[`...)
	return &StreamEncoder{opts: opts, head: h, buf: make([]byte, 0, 512)}
}

// ID returns the response id shown in every chunk.
func (e *StreamEncoder) ID() string { return e.opts.ID }

func newChunkID(r io.Reader) string {
	if r == nil {
		r = rand.Reader
	}
	var b [12]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "chatcmpl-nexus" // the id is cosmetic; a broken source must not fail the stream
	}
	return "chatcmpl-" + hex.EncodeToString(b[:])
}

// Encode writes the frames for one event. Events after End or Error are
// ignored. Content OpenAI chunks cannot show (images, redacted reasoning,
// signatures) writes nothing.
func (e *StreamEncoder) Encode(ev canonical.Event, w EventWriter) error {
	if e.ended {
		return nil
	}
	switch ev.Type {
	case canonical.EventStart:
		return e.ensureStarted(w)
	case canonical.EventBlockStart:
		return e.blockStart(ev, w)
	case canonical.EventDelta:
		return e.delta(ev, w)
	case canonical.EventBlockStop:
		if b := e.block(ev.Index); b != nil && b.kind == canonical.PartToolCall && !b.argsSent {
			b.argsSent = true
			return e.toolArgs(b.tool, "{}", w)
		}
	case canonical.EventUsage:
		e.setUsage(ev.Usage)
	case canonical.EventFinish:
		e.setUsage(ev.Usage)
		return e.finish(ev.Finish, w)
	case canonical.EventEnd:
		return e.end(w)
	case canonical.EventError:
		e.ended = true
		name, data := EncodeStreamError(ev.Err)
		return w.WriteEvent(name, data)
	}
	return nil
}

func (e *StreamEncoder) setUsage(u *canonical.Usage) {
	if u != nil {
		e.usage, e.hasUsage = *u, true
	}
}

// block returns the table entry for a block index, growing the table.
func (e *StreamEncoder) block(i int) *encBlock {
	if i < 0 || i >= maxBlocks {
		return nil
	}
	for len(e.blocks) <= i {
		e.blocks = append(e.blocks, encBlock{})
	}
	return &e.blocks[i]
}

func (e *StreamEncoder) ensureStarted(w EventWriter) error {
	if e.started {
		return nil
	}
	e.started = true
	b := append(e.buf[:0], e.head...)
	b = append(b, `{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`...)
	return e.flush(b, w)
}

func (e *StreamEncoder) blockStart(ev canonical.Event, w EventWriter) error {
	if err := e.ensureStarted(w); err != nil {
		return err
	}
	b := e.block(ev.Index)
	if b == nil || ev.Block == nil {
		return nil
	}
	b.kind = ev.Block.Type
	if b.kind != canonical.PartToolCall || ev.Block.ToolCall == nil {
		return nil
	}
	b.tool = e.tools
	e.tools++
	e.called = true
	tc := ev.Block.ToolCall
	buf := append(e.buf[:0], e.head...)
	buf = append(buf, `{"index":0,"delta":{"tool_calls":[{"index":`...)
	buf = appendInt(buf, int64(b.tool))
	buf = append(buf, `,"id":`...)
	buf = appendJSONString(buf, tc.ID)
	buf = append(buf, `,"type":"function","function":{"name":`...)
	buf = appendJSONString(buf, tc.Name)
	buf = append(buf, `,"arguments":""}}]},"logprobs":null,"finish_reason":null}]}`...)
	return e.flush(buf, w)
}

func (e *StreamEncoder) delta(ev canonical.Event, w EventWriter) error {
	if ev.Delta == "" {
		return nil // signature-only or empty deltas have no chat form
	}
	if err := e.ensureStarted(w); err != nil {
		return err
	}
	kind := canonical.PartText // a delta without BlockStart is shown as text
	b := e.block(ev.Index)
	if b != nil && b.kind != "" {
		kind = b.kind
	}
	var field string
	switch kind {
	case canonical.PartText:
		field = `{"index":0,"delta":{"content":`
	case canonical.PartReasoning:
		field = `{"index":0,"delta":{"reasoning_content":`
	case canonical.PartRefusal:
		e.refused = true
		field = `{"index":0,"delta":{"refusal":`
	case canonical.PartToolCall:
		b.argsSent = true
		return e.toolArgs(b.tool, ev.Delta, w)
	default:
		return nil
	}
	buf := append(e.buf[:0], e.head...)
	buf = append(buf, field...)
	buf = appendJSONString(buf, ev.Delta)
	buf = append(buf, `},"logprobs":null,"finish_reason":null}]}`...)
	return e.flush(buf, w)
}

func (e *StreamEncoder) toolArgs(tool int, args string, w EventWriter) error {
	buf := append(e.buf[:0], e.head...)
	buf = append(buf, `{"index":0,"delta":{"tool_calls":[{"index":`...)
	buf = appendInt(buf, int64(tool))
	buf = append(buf, `,"function":{"arguments":`...)
	buf = appendJSONString(buf, args)
	buf = append(buf, `}}]},"logprobs":null,"finish_reason":null}]}`...)
	return e.flush(buf, w)
}

func (e *StreamEncoder) finish(r canonical.FinishReason, w EventWriter) error {
	if e.finished {
		return nil
	}
	if err := e.ensureStarted(w); err != nil {
		return err
	}
	e.finished = true
	buf := append(e.buf[:0], e.head...)
	buf = append(buf, `{"index":0,"delta":{},"logprobs":null,"finish_reason":"`...)
	buf = append(buf, finishToWire(r, e.called, e.refused)...)
	buf = append(buf, `"}]}`...)
	return e.flush(buf, w)
}

// end writes the terminal chunks: the finish chunk if it was not sent, the
// usage chunk (choices:[]) when the client asked for it, then [DONE].
func (e *StreamEncoder) end(w EventWriter) error {
	if err := e.finish(canonical.FinishStop, w); err != nil {
		return err
	}
	e.ended = true
	if e.opts.IncludeUsage && e.hasUsage {
		buf := append(e.buf[:0], e.head...)
		buf = append(buf, `],"usage":`...)
		buf = appendUsage(buf, &e.usage)
		buf = append(buf, '}')
		if err := e.flush(buf, w); err != nil {
			return err
		}
	}
	return w.WriteEvent("", []byte("[DONE]")) // OpenAI's end-of-stream sentinel (SPEC §6.2)
}

func (e *StreamEncoder) flush(buf []byte, w EventWriter) error {
	e.buf = buf
	return w.WriteEvent("", buf)
}
