package provider

import (
	"net/http"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Wire is what the shared answer handling needs from one upstream chat wire:
// its codec's decoders and its byte-relay tap. Each vendor adapter holds one.
type Wire struct {
	Shape          pipeline.Shape
	DecodeError    func(status int, body []byte) *canonical.Error
	DecodeResponse func(body []byte) (*canonical.Response, error)
	NewDecoder     func() StreamDecoder
	NewTap         func() Tap
	// Usage reads the usage of a same-shape unary answer cheaply; nil means
	// decode it with DecodeResponse.
	Usage func(body []byte) *canonical.Usage
	// Coalesce lets the byte relay hand out every buffered frame at once
	// (only for wires whose same-shape callers take SSE bytes as they are).
	Coalesce bool
}

// Answer turns the upstream's answer into the Response ingress writes: an
// error normalised by the wire's codec, a byte relay or a translating stream,
// the unary bytes (same shape) or their canonical decoding. It owns call and
// resp.Body from here on.
func (ep *Endpoint) Answer(call *Call, resp *http.Response, x *pipeline.Exchange, same bool, w *Wire,
	pool *BufferPool, maxBytes int64, now func() time.Time) (*pipeline.Response, error) {
	hdr := FilterResponseHeaders(resp.Header, w.Shape, ep.APIKey)
	if resp.StatusCode >= 400 {
		defer call.Close()
		defer resp.Body.Close()
		return nil, ep.UpstreamError(call, resp, hdr, w.DecodeError, now())
	}
	if x.Stream && IsEventStream(resp.Header) {
		if same {
			r := NewRelay(ep, call, resp.Body, w.NewTap(), x, now)
			r.Coalesce = w.Coalesce
			return &pipeline.Response{Status: resp.StatusCode, Header: hdr, Stream: r}, nil
		}
		return &pipeline.Response{Status: http.StatusOK, Stream: NewTranslator(ep, call, resp.Body, w.NewDecoder(), x, now)}, nil
	}
	defer call.Close()
	defer resp.Body.Close()
	out, release, err := ep.ReadUnary(call, resp, pool, maxBytes)
	if err != nil {
		return nil, err
	}
	x.UpstreamTotal = now().Sub(x.UpstreamStart)
	if !same {
		defer release()
		cr, err := w.DecodeResponse(out)
		if err != nil {
			return nil, UndecodableAnswer(ep.Name, err)
		}
		return &pipeline.Response{Status: http.StatusOK, Canonical: cr, Usage: cr.Usage}, nil
	}
	// Same shape: the bytes go back untouched; only usage is read from them.
	r := &pipeline.Response{Status: resp.StatusCode, Header: hdr, Body: out, Release: release}
	if w.Usage != nil {
		r.Usage = w.Usage(out)
	} else if cr, err := w.DecodeResponse(out); err == nil {
		r.Usage = cr.Usage
	}
	return r, nil
}
