// Package gemini is the upstream adapter for Gemini generateContent: the
// model goes in the URL, the key in x-goog-api-key, and streams are always
// requested as SSE (alt=sse). Gemini-shaped callers get the byte path (only
// the gateway's "nexus" key is removed); others are translated with
// format/gemini.
package gemini

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	geminifmt "github.com/nexus-gateway/nexus/internal/format/gemini"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// Adapter calls one Gemini-wire provider.
type Adapter struct {
	ep          *provider.Endpoint
	now         func() time.Time
	maxResponse int64
	bufs        provider.BufferPool
}

// Options tunes an Adapter; the zero value works.
type Options struct {
	Now              func() time.Time
	MaxResponseBytes int64 // default 10 MiB
}

// New builds the adapter for ep.
func New(ep *provider.Endpoint, opt Options) *Adapter {
	if ep.Client == nil {
		ep.Client = provider.NewClient(ep.Timeouts)
	}
	if ep.AuthStyle == "" {
		ep.AuthStyle = "x-goog-api-key"
	}
	a := &Adapter{ep: ep, now: opt.Now, maxResponse: opt.MaxResponseBytes}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxResponse <= 0 {
		a.maxResponse = 10 << 20
	}
	return a
}

// Do sends x to the provider as target t.
func (a *Adapter) Do(ctx context.Context, x *pipeline.Exchange, t pipeline.Target) (*pipeline.Response, error) {
	if x.Endpoint == pipeline.EndpointEmbeddings {
		return a.embed(ctx, x, t)
	}
	// A body holding another provider's tagged reasoning signature (the
	// conversation moved here from another model) is translated, which
	// drops what this provider could not verify.
	same := x.Ingress == pipeline.ShapeGemini && x.Fast != nil && !canonical.CarriesForeignSignature(x.Body, string(pipeline.ShapeGemini))
	bp := a.bufs.Get()
	body, err := a.prepare(*bp, x, t, same)
	if err != nil {
		a.bufs.Put(bp)
		return nil, err
	}
	u := a.ep.BaseURL + "/models/" + url.PathEscape(t.UpstreamModel)
	if x.Stream {
		u += ":streamGenerateContent?alt=sse"
	} else {
		u += ":generateContent"
	}
	h := make(http.Header, 8)
	provider.CopyRequestHeaders(h, x.Header, x.Ingress, pipeline.ShapeGemini)
	resp, call, err := a.ep.Send(ctx, x, provider.Outbound{
		URL: u, Body: body, Header: h,
		Release: func() { *bp = body[:0]; a.bufs.Put(bp) },
	}, a.now)
	if err != nil {
		return nil, err
	}
	return a.ep.Answer(call, resp, x, same, &wire, &a.bufs, a.maxResponse, a.now)
}

// wire is the Gemini codec as the shared answer handling sees it.
var wire = provider.Wire{
	Shape:          pipeline.ShapeGemini,
	DecodeError:    geminifmt.DecodeError,
	DecodeResponse: geminifmt.DecodeResponse,
	NewDecoder:     func() provider.StreamDecoder { return geminifmt.NewStreamDecoder() },
	NewTap:         func() provider.Tap { return newTap() },
}

func (a *Adapter) prepare(dst []byte, x *pipeline.Exchange, t pipeline.Target, same bool) ([]byte, error) {
	if same {
		// Gemini bodies carry no model; the splice only drops "nexus".
		body, _, err := x.Fast.Rewrite(dst, t.UpstreamModel, fastpath.Options{})
		return body, err
	}
	req, err := x.Request()
	if err != nil {
		return nil, err
	}
	body, coerced, err := geminifmt.EncodeRequest(req, t.UpstreamModel)
	if err != nil {
		return nil, err
	}
	x.Coerced = append(x.Coerced, coerced...)
	return append(dst, body...), nil
}

// tap follows a Gemini stream relayed byte for byte. Every Gemini frame is a
// whole response that may carry usageMetadata, so each is decoded; a stream
// is complete at EOF once a finishReason was seen (Gemini has no end marker).
type tap struct {
	dec      *geminifmt.StreamDecoder
	buf      []canonical.Event
	usage    *canonical.Usage
	finished bool
	failed   bool
}

func newTap() *tap {
	return &tap{dec: geminifmt.NewStreamDecoder(), buf: make([]canonical.Event, 0, 8)}
}

func (t *tap) Observe(ev sse.Event) bool {
	var err error
	if len(ev.Data) == 0 {
		// A bare JSON error object after the data frames (see
		// DecodeStray) ends the stream; the client gets its bytes as sent.
		t.buf, err = t.dec.DecodeStray(ev.Raw, t.buf[:0])
	} else {
		t.buf, err = t.dec.Decode(ev.Name, ev.Data, t.buf[:0])
	}
	if err != nil {
		return false
	}
	for _, e := range t.buf {
		if e.Usage != nil {
			u := *e.Usage
			t.usage = &u
		}
		switch e.Type {
		case canonical.EventFinish:
			t.finished = true
		case canonical.EventError:
			// An in-band error frame is already the caller's terminal frame.
			t.failed = true
			return true
		}
	}
	return false
}

func (t *tap) AtEOF() ([]byte, bool)   { return nil, t.finished }
func (t *tap) Usage() *canonical.Usage { return t.usage }
