package provider

import (
	"bytes"
	"context"
	"errors"
	"io"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// Tap watches a same-shape stream as it is relayed byte for byte: it reads
// usage from the frames that carry it and recognises the wire's terminal
// signal. It must be cheap on frames it does not care about.
type Tap interface {
	// Observe inspects one frame and reports whether it was the terminal one.
	Observe(ev sse.Event) (done bool)
	// AtEOF is called when the upstream ended without a terminal frame. It
	// returns a frame to append (nil for none) and whether the stream may be
	// treated as complete (e.g. the finish reason was already seen).
	AtEOF() (tail []byte, complete bool)
	Usage() *canonical.Usage
}

// Relay is a pull stream that hands out upstream SSE frames unchanged.
type Relay struct {
	ep   *Endpoint
	call *Call
	body io.ReadCloser
	rd   *sse.Reader
	tap  Tap
	x    *pipeline.Exchange
	now  func() time.Time
	done bool
	fail error
	tail []byte // a frame the tap asked for at EOF, sent after the last upstream frame

	// Coalesce hands out, as one Frame, every complete frame already
	// buffered behind the first: one write, one scrub and one pass through
	// the stream wrappers per upstream read instead of per frame. Only for
	// callers that use Raw alone (SSE ingress of the same wire); Data and
	// Name are then empty.
	Coalesce bool
}

// NewRelay wraps an upstream SSE body. The idle watchdog starts now.
func NewRelay(ep *Endpoint, call *Call, body io.ReadCloser, tap Tap, x *pipeline.Exchange, now func() time.Time) *Relay {
	wb := call.WatchBody(body)
	return &Relay{ep: ep, call: call, body: wb, rd: ep.reader(wb), tap: tap, x: x, now: now}
}

// reader takes a frame reader from the endpoint's pool: each keeps its
// 16 KiB buffer from one stream to the next, which a fresh reader would
// allocate and zero on its first read.
func (e *Endpoint) reader(src io.Reader) *sse.Reader {
	if rd, ok := e.readers.Get().(*sse.Reader); ok {
		rd.Reset(src)
		return rd
	}
	return sse.NewReader(src, 0)
}

// release returns rd to the pool. Frames it handed out (views of its
// buffer) must not be used after this.
func (e *Endpoint) release(rd *sse.Reader) {
	rd.Reset(nil)
	e.readers.Put(rd)
}

// Next returns the next frame's raw bytes.
func (r *Relay) Next(ctx context.Context) (pipeline.Frame, error) {
	if r.tail != nil {
		tail := r.tail
		r.tail = nil
		return pipeline.Frame{Raw: tail}, nil
	}
	if r.done {
		return pipeline.Frame{}, io.EOF
	}
	if r.fail != nil {
		return pipeline.Frame{}, r.fail
	}
	ev, err := r.rd.Next()
	switch {
	case err == nil:
	case errors.Is(err, io.EOF) || errors.Is(err, sse.ErrTruncated):
		// A final frame without its blank line still counts: it is the
		// terminal one, or one the answer is complete with (a Gemini stream
		// whose only frame is a blocked prompt ends with a single CRLF, and
		// Gemini's mid-stream error is a bare JSON object with no data field).
		// Trailing bytes are completed so the grammar holds.
		if len(ev.Data) > 0 || len(bytes.TrimSpace(ev.Raw)) > 0 {
			last := pipeline.Frame{Raw: Scrub(completeFrame(ev.Raw), r.ep.APIKey), Data: ev.Data, Name: ev.Name}
			if r.tap.Observe(ev) {
				r.finish()
				return last, nil
			}
			if tail, ok := r.tap.AtEOF(); ok {
				r.finish()
				r.tail = tail // sent by the next call, before io.EOF
				return last, nil
			}
			r.fail = StreamCut(r.ep.Name, err)
			return pipeline.Frame{}, r.fail
		}
		if tail, ok := r.tap.AtEOF(); ok {
			r.finish()
			if tail != nil {
				return pipeline.Frame{Raw: tail}, nil
			}
			return pipeline.Frame{}, io.EOF
		}
		r.fail = StreamCut(r.ep.Name, err)
		return pipeline.Frame{}, r.fail
	default:
		r.fail = MidStreamError(r.call, r.ep.Name, err)
		return pipeline.Frame{}, r.fail
	}
	if r.tap.Observe(ev) {
		r.finish()
	}
	if r.Coalesce && !r.done {
		if f := r.coalesce(ev); r.fail == nil {
			return f, nil
		}
		return pipeline.Frame{}, r.fail
	}
	// Scrub costs one substring search per frame and allocates only when an
	// upstream echoed our credential.
	return pipeline.Frame{Raw: Scrub(ev.Raw, r.ep.APIKey), Data: ev.Data, Name: ev.Name}, nil
}

// coalesce joins to first (the frame Next just returned) every complete
// frame already buffered, each still shown to the tap, stopping after the
// terminal one. The frames are consecutive in the reader's buffer and
// NextBuffered never reads, so the batch is one view of that buffer (valid
// until the next call, like a single frame), not a copy.
func (r *Relay) coalesce(first sse.Event) pipeline.Frame {
	mark := r.rd.Mark()
	joined := false
	for !r.done {
		ev, ok := r.rd.NextBuffered()
		if !ok {
			break
		}
		joined = true
		if r.tap.Observe(ev) {
			r.finish()
		}
	}
	if !joined {
		return pipeline.Frame{Raw: Scrub(first.Raw, r.ep.APIKey), Data: first.Data, Name: first.Name}
	}
	span, ok := r.rd.Since(mark)
	if !ok { // cannot happen: nothing was read since the mark
		r.fail = MidStreamError(r.call, r.ep.Name, errors.New("sse: frame buffer moved while joining frames"))
		return pipeline.Frame{}
	}
	return pipeline.Frame{Raw: Scrub(span, r.ep.APIKey)}
}

// completeFrame ends a frame cut before its blank line with the line
// ending it already uses, so no stray line follows it: strict SSE readers
// (the genai SDK splits on the first "\n\n" or "\r\n\r\n") reject one.
func completeFrame(raw []byte) []byte {
	switch {
	case len(raw) >= 2 && raw[len(raw)-2] == '\r' && raw[len(raw)-1] == '\n':
		return append(raw, '\r', '\n')
	case len(raw) >= 1 && raw[len(raw)-1] == '\n':
		return append(raw, '\n')
	}
	return append(raw, '\n', '\n')
}

func (r *Relay) finish() {
	r.done = true
	r.x.UpstreamTotal = r.now().Sub(r.x.UpstreamStart)
}

// Usage is what the tap read so far.
func (r *Relay) Usage() *canonical.Usage { return r.tap.Usage() }

// Ready reports a complete frame already buffered (or the end reached).
func (r *Relay) Ready() bool { return r.done || r.fail != nil || r.rd.Buffered() }

// Close releases the upstream connection.
func (r *Relay) Close() error {
	err := r.body.Close()
	r.call.Close()
	if r.rd != nil {
		r.ep.release(r.rd)
		r.rd = nil
		r.done = true // a Next after Close ends the stream instead of reading
	}
	return err
}

// StreamDecoder turns one upstream wire's SSE frames into canonical events;
// format/<wire> packages provide them.
type StreamDecoder interface {
	Decode(eventName string, data []byte, out []canonical.Event) ([]canonical.Event, error)
	Close(out []canonical.Event) ([]canonical.Event, error)
}

// StrayDecoder is implemented by decoders whose wire can put meaning in a
// frame without a data field (Gemini's bare JSON error object mid-stream).
type StrayDecoder interface {
	DecodeStray(raw []byte, out []canonical.Event) ([]canonical.Event, error)
}

// Translator is a pull stream that decodes upstream frames into canonical
// events for an ingress of another shape to encode.
type Translator struct {
	ep   *Endpoint
	call *Call
	body io.ReadCloser
	rd   *sse.Reader
	dec  StreamDecoder
	x    *pipeline.Exchange
	now  func() time.Time
	buf  []canonical.Event
	ev   EventState
}

// NewTranslator wraps an upstream SSE body with a wire decoder.
func NewTranslator(ep *Endpoint, call *Call, body io.ReadCloser, dec StreamDecoder, x *pipeline.Exchange, now func() time.Time) *Translator {
	wb := call.WatchBody(body)
	return &Translator{ep: ep, call: call, body: wb, rd: ep.reader(wb), dec: dec, x: x, now: now, buf: make([]canonical.Event, 0, 8)}
}

// Next returns the canonical events of the next upstream frame(s). An
// EventError from the decoder (an upstream error frame, a cut stream) is
// returned as the stream's error so ingress writes its terminal frame.
func (t *Translator) Next(ctx context.Context) (pipeline.Frame, error) {
	for {
		if t.ev.Fail != nil {
			return pipeline.Frame{}, t.ev.Fail
		}
		if t.ev.Ended {
			return pipeline.Frame{}, io.EOF
		}
		ev, err := t.rd.Next()
		t.buf = t.buf[:0]
		var derr error
		if len(ev.Data) > 0 {
			t.buf, derr = t.dec.Decode(ev.Name, ev.Data, t.buf)
		} else if sd, ok := t.dec.(StrayDecoder); ok && len(ev.Raw) > 0 {
			t.buf, derr = sd.DecodeStray(ev.Raw, t.buf)
		}
		switch {
		case derr != nil:
			t.ev.Fail = canonical.As(derr)
		case err == nil:
		case errors.Is(err, io.EOF) || errors.Is(err, sse.ErrTruncated):
			t.buf, derr = t.dec.Close(t.buf)
			if derr != nil {
				t.ev.Fail = canonical.As(derr)
			}
			t.ev.Ended = true
			t.x.UpstreamTotal = t.now().Sub(t.x.UpstreamStart)
		default:
			t.ev.Fail = MidStreamError(t.call, t.ep.Name, err)
		}
		if out, ferr := t.scan(); ferr != nil || len(out) > 0 {
			return pipeline.Frame{Events: out}, ferr
		}
	}
}

// scan records what the decoded events say and returns those to deliver
// (events before an in-band error come first; the error follows).
func (t *Translator) scan() ([]canonical.Event, error) {
	ended := t.ev.Ended
	out := t.ev.Scan(t.buf, t.ep.Name)
	if t.ev.Ended && !ended {
		t.x.UpstreamTotal = t.now().Sub(t.x.UpstreamStart)
	}
	if t.ev.Fail != nil && len(out) == 0 {
		return nil, t.ev.Fail
	}
	return out, nil
}

// EventState is what a translated stream's events have said so far: the
// last usage, whether its end came, and the error an in-band error event
// carries (or a cut, when the event carries none).
type EventState struct {
	Usage *canonical.Usage
	Ended bool
	Fail  error
}

// Scan records what evs say and returns the events to deliver: all of them,
// or those before an error event, whose error becomes Fail.
func (st *EventState) Scan(evs []canonical.Event, provider string) []canonical.Event {
	for i := range evs {
		switch ev := &evs[i]; ev.Type {
		case canonical.EventUsage, canonical.EventStart, canonical.EventFinish:
			if ev.Usage != nil {
				u := *ev.Usage
				st.Usage = &u
			}
		case canonical.EventEnd:
			st.Ended = true
		case canonical.EventError:
			if ev.Err != nil {
				st.Fail = ev.Err
			} else {
				st.Fail = StreamCut(provider, nil)
			}
			return evs[:i]
		}
	}
	return evs
}

// Usage is the last usage snapshot seen.
func (t *Translator) Usage() *canonical.Usage { return t.ev.Usage }

// Ready reports a complete upstream frame already buffered (or the end).
func (t *Translator) Ready() bool { return t.ev.Ended || t.ev.Fail != nil || t.rd.Buffered() }

// Close releases the upstream connection.
func (t *Translator) Close() error {
	err := t.body.Close()
	t.call.Close()
	if t.rd != nil {
		t.ep.release(t.rd)
		t.rd = nil
		t.ev.Ended = true // a Next after Close ends the stream instead of reading
	}
	return err
}
