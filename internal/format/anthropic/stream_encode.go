package anthropic

import (
	"crypto/rand"
	"fmt"
	"io"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// EventWriter receives encoded SSE frames; the gateway's SSE writer
// satisfies it. name "" means no "event:" line. data is only valid during
// the call: the encoder reuses its buffer for the next frame.
type EventWriter interface {
	WriteEvent(name string, data []byte) error
}

// StreamOptions configures a StreamEncoder. The zero value works: the id is
// then generated from crypto/rand and the model taken from EventStart.
type StreamOptions struct {
	// Model is the routed model code shown in message_start; "" = the
	// model named by EventStart.
	Model string
	// ID is the message id to show; "" = generate one from Rand. An id not
	// in Anthropic's msg_ form gets the prefix.
	ID string
	// Created is unused by the Anthropic grammar (kept for a uniform
	// options type across codecs).
	Created int64
	// IncludeUsage is unused: Anthropic streams always carry usage.
	IncludeUsage bool
	// Rand is the randomness for generated ids (message and tool call);
	// nil = crypto/rand. Inject a fixed reader for deterministic output.
	Rand io.Reader
}

// encBlock maps a canonical block index to its wire block.
type encBlock struct {
	canon   int
	wire    int
	kind    canonical.PartType
	dropped bool // a part Anthropic streams cannot show (images)
	sealed  bool // redacted thinking: its content came whole in the start frame
	open    bool
	// issuer is who signed a thinking block ("" unknown); a signature from
	// another provider is shown tagged (canonical.ShowSignature), once.
	issuer   string
	sigShown bool
}

// StreamEncoder writes canonical events in the Anthropic Messages grammar
// (SPEC §6.3): message_start, ping, content blocks with contiguous indexes
// in open order, then message_delta (stop_reason, cumulative usage) and
// message_stop. Per-request, not safe for concurrent use.
type StreamEncoder struct {
	opts        StreamOptions
	buf         []byte
	blocks      []encBlock
	nextWire    int
	usage       canonical.Usage
	finish      canonical.FinishReason
	stopSeq     string
	started     bool
	done        bool
	sawToolCall bool
}

// NewStreamEncoder returns an encoder for one response stream.
func NewStreamEncoder(opts StreamOptions) *StreamEncoder {
	return &StreamEncoder{opts: opts, buf: make([]byte, 0, 512), blocks: make([]encBlock, 0, 4)}
}

// Encode writes the frames for one event. The terminal message_delta and
// message_stop are written on EventEnd, not EventFinish, because upstreams
// that report usage after the finish (OpenAI) still need it in
// message_delta. Events after the stream ended are ignored.
func (e *StreamEncoder) Encode(ev canonical.Event, w EventWriter) error {
	if e.done {
		return nil
	}
	switch ev.Type {
	case canonical.EventStart:
		if e.started {
			return nil
		}
		if ev.Usage != nil {
			e.usage = *ev.Usage
		}
		return e.start(ev.ID, ev.Model, w)
	case canonical.EventError:
		e.done = true
		name, data := EncodeStreamError(ev.Err)
		return w.WriteEvent(name, data)
	case canonical.EventUsage:
		if ev.Usage != nil {
			e.usage = *ev.Usage
		}
		return nil
	case canonical.EventFinish:
		e.finish, e.stopSeq = ev.Finish, ev.StopSequence
		if ev.Usage != nil {
			e.usage = *ev.Usage
		}
		return nil
	}
	if err := e.start("", "", w); err != nil {
		return err
	}
	switch ev.Type {
	case canonical.EventBlockStart:
		return e.blockStart(ev, w)
	case canonical.EventDelta:
		return e.delta(ev, w)
	case canonical.EventBlockStop:
		if b := e.find(ev.Index); b != nil {
			return e.stopBlock(b, w)
		}
		return nil
	case canonical.EventEnd:
		return e.end(w)
	}
	return nil
}

// start writes message_start and ping once; content events arriving first
// (a decoder that has no start signal) trigger it lazily.
func (e *StreamEncoder) start(id, model string, w EventWriter) error {
	if e.started {
		return nil
	}
	e.started = true
	if e.opts.ID != "" {
		id = e.opts.ID
	}
	switch {
	case id == "":
		id = "msg_" + e.randomID()
	case !strings.HasPrefix(id, "msg_"):
		id = "msg_" + id
	}
	if e.opts.Model != "" {
		model = e.opts.Model
	}
	b := append(e.buf[:0], `{"type":"message_start","message":{"id":`...)
	b = appendString(b, id)
	b = append(b, `,"type":"message","role":"assistant","model":`...)
	b = appendString(b, model)
	b = append(b, `,"content":[],"stop_reason":null,"stop_sequence":null,"usage":`...)
	b = appendUsage(b, rawFromCanonical(e.usage))
	b = append(b, "}}"...)
	e.buf = b
	if err := w.WriteEvent("message_start", b); err != nil {
		return fmt.Errorf("anthropic: write message_start: %w", err)
	}
	e.buf = append(e.buf[:0], `{"type":"ping"}`...)
	if err := w.WriteEvent("ping", e.buf); err != nil {
		return fmt.Errorf("anthropic: write ping: %w", err)
	}
	return nil
}

// randomID returns 24 base62 characters from opts.Rand (crypto/rand when
// nil). A failing reader still yields a usable, if predictable, id.
func (e *StreamEncoder) randomID() string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	r := e.opts.Rand
	if r == nil {
		r = rand.Reader
	}
	var raw [24]byte
	_, _ = io.ReadFull(r, raw[:])
	for i, c := range raw {
		raw[i] = alphabet[int(c)%len(alphabet)]
	}
	return string(raw[:])
}

func (e *StreamEncoder) find(canon int) *encBlock {
	for i := len(e.blocks) - 1; i >= 0; i-- {
		if e.blocks[i].canon == canon {
			return &e.blocks[i]
		}
	}
	return nil
}

func (e *StreamEncoder) blockStart(ev canonical.Event, w EventWriter) error {
	if e.find(ev.Index) != nil {
		return nil // repeated start: keep the first
	}
	p := ev.Block
	if p == nil {
		p = &canonical.Part{Type: canonical.PartText}
	}
	b := encBlock{canon: ev.Index, kind: p.Type}
	buf := append(e.buf[:0], `{"type":"content_block_start","index":`...)
	buf = appendInt(buf, e.nextWire)
	buf = append(buf, `,"content_block":`...)
	switch p.Type {
	case canonical.PartText, canonical.PartRefusal:
		buf = append(buf, `{"type":"text","text":""}`...)
	case canonical.PartReasoning:
		if r := p.Reasoning; r != nil && r.Redacted {
			b.sealed = true
			buf = append(buf, `{"type":"redacted_thinking","data":`...)
			buf = appendString(buf, r.Data)
			buf = append(buf, '}')
		} else {
			buf = append(buf, `{"type":"thinking","thinking":"","signature":""}`...)
			if r := p.Reasoning; r != nil {
				b.issuer = r.Provider
			}
		}
	case canonical.PartToolCall:
		var id, name string
		if tc := p.ToolCall; tc != nil {
			id, name = tc.ID, tc.Name
		}
		if id == "" {
			id = "toolu_" + e.randomID()
		}
		e.sawToolCall = true
		buf = append(buf, `{"type":"tool_use","id":`...)
		buf = appendString(buf, id)
		buf = append(buf, `,"name":`...)
		buf = appendString(buf, name)
		buf = append(buf, `,"input":{}}`...)
	default:
		b.dropped = true
		e.blocks = append(e.blocks, b)
		return nil
	}
	buf = append(buf, '}')
	e.buf = buf
	b.wire, b.open = e.nextWire, true
	e.nextWire++
	e.blocks = append(e.blocks, b)
	if err := w.WriteEvent("content_block_start", buf); err != nil {
		return fmt.Errorf("anthropic: write content_block_start: %w", err)
	}
	return nil
}

func (e *StreamEncoder) delta(ev canonical.Event, w EventWriter) error {
	b := e.find(ev.Index)
	if b == nil {
		// A delta without a start: open a text block for it rather than lose it.
		if err := e.blockStart(canonical.Event{Type: canonical.EventBlockStart, Index: ev.Index}, w); err != nil {
			return err
		}
		b = e.find(ev.Index)
	}
	if b.dropped || b.sealed || !b.open {
		return nil
	}
	switch b.kind {
	case canonical.PartToolCall:
		return e.writeDelta(b.wire, "input_json_delta", "partial_json", ev.Delta, w)
	case canonical.PartReasoning:
		if err := e.writeDelta(b.wire, "thinking_delta", "thinking", ev.Delta, w); err != nil {
			return err
		}
		sig := ev.Signature
		if sig != "" && !b.sigShown {
			sig, b.sigShown = canonical.ShowSignature(provider, b.issuer, sig), true
		}
		return e.writeDelta(b.wire, "signature_delta", "signature", sig, w)
	}
	return e.writeDelta(b.wire, "text_delta", "text", ev.Delta, w)
}

func (e *StreamEncoder) writeDelta(wire int, typ, field, s string, w EventWriter) error {
	if s == "" {
		return nil
	}
	b := append(e.buf[:0], `{"type":"content_block_delta","index":`...)
	b = appendInt(b, wire)
	b = append(b, `,"delta":{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","`...)
	b = append(b, field...)
	b = append(b, `":`...)
	b = appendString(b, s)
	b = append(b, "}}"...)
	e.buf = b
	if err := w.WriteEvent("content_block_delta", b); err != nil {
		return fmt.Errorf("anthropic: write content_block_delta: %w", err)
	}
	return nil
}

func (e *StreamEncoder) stopBlock(b *encBlock, w EventWriter) error {
	if b.dropped || !b.open {
		return nil
	}
	b.open = false
	buf := append(e.buf[:0], `{"type":"content_block_stop","index":`...)
	buf = appendInt(buf, b.wire)
	buf = append(buf, '}')
	e.buf = buf
	if err := w.WriteEvent("content_block_stop", buf); err != nil {
		return fmt.Errorf("anthropic: write content_block_stop: %w", err)
	}
	return nil
}

// end closes open blocks and writes message_delta and message_stop. The
// usage in message_delta repeats the input side: translated upstreams
// (OpenAI) only know it at the end, and the SDKs take it from there.
func (e *StreamEncoder) end(w EventWriter) error {
	for i := range e.blocks {
		if err := e.stopBlock(&e.blocks[i], w); err != nil {
			return err
		}
	}
	e.done = true
	b := append(e.buf[:0], `{"type":"message_delta","delta":{"stop_reason":"`...)
	b = append(b, stopFromFinish(e.finish, e.stopSeq, e.sawToolCall)...)
	b = append(b, `","stop_sequence":`...)
	b = appendStringOrNull(b, e.stopSeq)
	b = append(b, `},"usage":`...)
	b = appendUsage(b, rawFromCanonical(e.usage))
	b = append(b, '}')
	e.buf = b
	if err := w.WriteEvent("message_delta", b); err != nil {
		return fmt.Errorf("anthropic: write message_delta: %w", err)
	}
	e.buf = append(e.buf[:0], `{"type":"message_stop"}`...)
	if err := w.WriteEvent("message_stop", e.buf); err != nil {
		return fmt.Errorf("anthropic: write message_stop: %w", err)
	}
	return nil
}
