package openai

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	openaifmt "github.com/nexus-gateway/nexus/internal/format/openai"
	"github.com/nexus-gateway/nexus/internal/format/responses"
	"github.com/nexus-gateway/nexus/internal/jsonscan"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// responses serves a /v1/responses request natively (SPEC §5.8): the body
// goes upstream as bytes with only the model spliced (and "nexus" removed),
// and the answer comes back as it is when it is a Responses answer. The
// content decides, not the configuration: a chat answer is translated, an
// unknown one refused.
func (a *Adapter) responses(ctx context.Context, x *pipeline.Exchange, t pipeline.Target) (*pipeline.Response, error) {
	bp := a.bufs.Get()
	// No ForceUsage: a Responses stream always ends with its usage. The
	// provider's quirks apply as on chat: gpt-5 and o-series reject
	// temperature and top_p on /v1/responses too
	// (errors/openai-responses-400-temperature-unsupported).
	body, _, err := x.Fast.Rewrite(*bp, t.UpstreamModel,
		fastpath.Options{Edits: a.quirks.EditsFor(t.UpstreamModel), Coerced: &x.Coerced})
	if err != nil {
		a.bufs.Put(bp)
		return nil, err
	}
	h := make(http.Header, 8)
	// A Responses caller is an OpenAI client: its OpenAI headers pass.
	provider.CopyRequestHeaders(h, x.Header, pipeline.ShapeOpenAI, pipeline.ShapeOpenAI)
	resp, call, err := a.ep.Send(ctx, x, provider.Outbound{
		URL: a.url(t, "responses"), Body: body, Header: h,
		Release: func() { *bp = body[:0]; a.bufs.Put(bp) },
	}, a.now)
	if err != nil {
		return nil, err
	}
	hdr := provider.FilterResponseHeaders(resp.Header, pipeline.ShapeOpenAI, a.ep.APIKey)
	if resp.StatusCode >= 400 {
		defer call.Close()
		defer resp.Body.Close()
		err := a.ep.UpstreamError(call, resp, hdr, responses.DecodeError, a.now())
		var ce *canonical.Error
		if errors.As(err, &ce) && ce.Upstream != nil {
			// The upstream's error is already in the Responses envelope:
			// the caller gets it verbatim (SPEC §9.1).
			ce.Upstream.Format = string(pipeline.ShapeResponses)
		}
		return nil, err
	}
	if x.Stream && provider.IsEventStream(resp.Header) {
		lt := &laneTap{}
		relay := provider.NewRelay(a.ep, call, resp.Body, lt, x, a.now)
		return &pipeline.Response{Status: resp.StatusCode, Header: hdr, Stream: &responsesStream{relay: relay, tap: lt, provider: a.ep.Name}}, nil
	}
	defer call.Close()
	defer resp.Body.Close()
	out, release, err := a.ep.ReadUnary(call, resp, &a.bufs, a.maxResponse)
	if err != nil {
		return nil, err
	}
	x.UpstreamTotal = a.now().Sub(x.UpstreamStart)
	kind, usage := classifyUnary(out)
	switch kind {
	case responses.AnswerResponses:
		r := &pipeline.Response{Status: resp.StatusCode, Header: hdr, Body: out, Release: release}
		if usage != nil {
			if u, ok := responses.ReadUsage(usage); ok {
				r.Usage = &u
			}
		}
		return r, nil
	case responses.AnswerChat:
		defer release()
		cr, err := openaifmt.DecodeResponse(out)
		if err != nil {
			return nil, provider.UndecodableAnswer(a.ep.Name, err)
		}
		return &pipeline.Response{Status: http.StatusOK, Canonical: cr, Usage: cr.Usage}, nil
	}
	release()
	return nil, &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error",
		Message: "provider " + a.ep.Name + " answered the Responses request with neither a response nor a chat completion"}
}

var unaryKeys = []string{"object", "usage"}

// classifyUnary reads the top-level object and finds usage in one scan of
// the body (which it also validates): the verbatim answer is never decoded.
// usage is a {"usage":…} document ReadUsage takes, nil when there is none.
func classifyUnary(body []byte) (responses.Answer, []byte) {
	var m [2]jsonscan.Member
	if jsonscan.Object(body, unaryKeys, m[:]) != nil || !m[0].Found {
		return responses.AnswerUnknown, nil
	}
	obj, _ := jsonscan.String(body, m[0])
	var usage []byte
	if m[1].Found && !jsonscan.IsNull(body, m[1]) {
		raw := jsonscan.Raw(body, m[1])
		usage = make([]byte, 0, len(raw)+10)
		usage = append(append(append(usage, `{"usage":`...), raw...), '}')
	}
	switch obj {
	case "response":
		return responses.AnswerResponses, usage
	case "chat.completion":
		return responses.AnswerChat, nil
	}
	return responses.AnswerUnknown, nil
}

// laneTap decides a stream's lane on its first frame with data (SPEC §5.8):
// response.* events are relayed verbatim while a Tee reads their usage, end
// and sequence; chat chunks and anything else are decoded to canonical
// events (responsesStream), never relayed.
type laneTap struct {
	lane    responses.Answer
	decided bool
	tee     responses.Tee
	chat    tap
}

func (t *laneTap) Observe(ev sse.Event) bool {
	if !t.decided {
		if t.lane, t.decided = responses.ClassifyFrame(ev.Name, ev.Data); !t.decided {
			return false
		}
	}
	if t.lane == responses.AnswerChat {
		return t.chat.Observe(ev)
	}
	t.tee.Observe(ev.Name, ev.Data)
	// OpenAI follows an in-band error event with response.failed: relay
	// until that one (or the end), so the client sees the whole grammar.
	return t.tee.Done() && !isErrorEvent(ev)
}

// isErrorEvent reports an in-band "error" event, named or only typed.
func isErrorEvent(ev sse.Event) bool {
	if ev.Name != "" {
		return ev.Name == "error"
	}
	head := ev.Data[:min(len(ev.Data), 64)]
	return bytes.Contains(head, []byte(`"type":"error"`))
}

// AtEOF: a stream is complete only with its terminal event (or, for chat,
// its finish reason); no tail frame, as the translated lanes end with the
// encoder's own terminal frame.
func (t *laneTap) AtEOF() ([]byte, bool) {
	if t.lane == responses.AnswerChat {
		_, ok := t.chat.AtEOF()
		return nil, ok
	}
	return nil, t.tee.Done()
}

func (t *laneTap) Usage() *canonical.Usage {
	if t.lane == responses.AnswerChat {
		return t.chat.Usage()
	}
	if u, ok := t.tee.Usage(); ok {
		return &u
	}
	return nil
}

// responsesStream is the answer of a native Responses target. In the
// verbatim lane it hands out the relay's frames as they are; a failure is
// returned as a *responses.RelayError carrying the stream's position, so
// ingress writes response.failed with the next sequence number. In the
// other lanes each frame's data is decoded (chat chunks with the chat
// codec, unknown frames with the Responses decoder) and ingress encodes
// the events in the Responses grammar.
type responsesStream struct {
	relay    *provider.Relay
	tap      *laneTap
	provider string
	dec      provider.StreamDecoder
	events   []canonical.Event
	// ev: usage, the end (EventEnd, or the decoder closed) and an in-band
	// error, returned after the events before it.
	ev provider.EventState
}

func (s *responsesStream) Next(ctx context.Context) (pipeline.Frame, error) {
	for {
		if s.ev.Fail != nil {
			return pipeline.Frame{}, s.ev.Fail
		}
		f, err := s.relay.Next(ctx)
		if !s.tap.decided || s.tap.lane == responses.AnswerResponses {
			return f, s.relayed(err)
		}
		if s.dec == nil {
			if s.tap.lane == responses.AnswerChat {
				s.dec = openaifmt.NewStreamDecoder()
			} else {
				s.dec = responses.NewStreamDecoder()
			}
		}
		var derr error
		s.events = s.events[:0]
		switch {
		case err == nil && len(f.Data) > 0:
			s.events, derr = s.dec.Decode(f.Name, f.Data, s.events)
		case errors.Is(err, io.EOF) && !s.ev.Ended:
			s.ev.Ended = true
			s.events, derr = s.dec.Close(s.events)
		}
		if derr != nil {
			return pipeline.Frame{}, canonical.As(derr)
		}
		if out := s.ev.Scan(s.events, s.provider); len(out) > 0 {
			return pipeline.Frame{Events: out}, nil
		}
		if s.ev.Fail != nil {
			return pipeline.Frame{}, s.ev.Fail
		}
		if err != nil {
			return pipeline.Frame{}, err
		}
	}
}

// relayed maps the verbatim lane's errors: a cut or stall becomes a
// RelayError at the Tee's position; an upstream response.failed that was
// already relayed ends the stream as a failure with nothing more to send.
func (s *responsesStream) relayed(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF):
		if e := s.tap.tee.Err(); e != nil {
			return &responses.RelayError{Err: e, Pos: s.tap.tee.Position(), Sent: true}
		}
		return err
	}
	return &responses.RelayError{Err: canonical.As(err), Pos: s.tap.tee.Position()}
}

func (s *responsesStream) Usage() *canonical.Usage {
	if s.dec != nil {
		return s.ev.Usage
	}
	return s.relay.Usage()
}

func (s *responsesStream) Ready() bool  { return s.relay.Ready() }
func (s *responsesStream) Close() error { return s.relay.Close() }

var (
	_ pipeline.Stream = (*responsesStream)(nil)
	_ provider.Tap    = (*laneTap)(nil)
)
