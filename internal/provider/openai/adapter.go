// Package openai is the upstream adapter for OpenAI and every
// OpenAI-compatible vendor (a vendor is configuration: base URL, auth style).
// For OpenAI-shaped callers it takes the same-shape fast path: the request
// body is forwarded as bytes with the model rewritten, and the answer is
// relayed as bytes, streams frame by frame. Callers of other shapes are
// translated through the canonical model with format/openai.
package openai

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	openaifmt "github.com/nexus-gateway/nexus/internal/format/openai"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
)

// Adapter calls one OpenAI-wire provider.
type Adapter struct {
	ep          *provider.Endpoint
	now         func() time.Time
	maxResponse int64
	bufs        sync.Pool
}

// Options tunes an Adapter; the zero value works.
type Options struct {
	Now              func() time.Time
	MaxResponseBytes int64 // cap on a unary answer held in memory (default 10 MiB)
}

// New builds the adapter for ep.
func New(ep *provider.Endpoint, opt Options) *Adapter {
	if ep.Client == nil {
		ep.Client = provider.NewClient(ep.Timeouts)
	}
	a := &Adapter{ep: ep, now: opt.Now, maxResponse: opt.MaxResponseBytes}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxResponse <= 0 {
		a.maxResponse = 10 << 20
	}
	a.bufs.New = func() any { b := make([]byte, 0, 16<<10); return &b }
	return a
}

// Do sends x to the provider as target t.
func (a *Adapter) Do(ctx context.Context, x *pipeline.Exchange, t pipeline.Target) (*pipeline.Response, error) {
	same := x.Ingress == pipeline.ShapeOpenAI && x.Fast != nil
	bp := a.bufs.Get().(*[]byte)
	body, err := a.prepare((*bp)[:0], x, t, same)
	if err != nil {
		a.bufs.Put(bp)
		return nil, err
	}
	req, err := http.NewRequest(http.MethodPost, a.ep.BaseURL+"/chat/completions", nil)
	if err != nil {
		a.bufs.Put(bp)
		return nil, &canonical.Error{Kind: canonical.KindInternal, Status: http.StatusInternalServerError, Message: "bad provider base URL", Cause: err}
	}
	call := provider.NewCall(ctx, a.ep.Timeouts)
	req = req.WithContext(call.Ctx)
	// The transport may read the request body after Do returns (it closes it
	// from its own goroutine), so the pooled buffer goes back only on Close.
	req.Body = &requestBody{r: bytes.NewReader(body), release: func() { *bp = body[:0]; a.bufs.Put(bp) }}
	req.ContentLength = int64(len(body))
	h := req.Header
	h.Set("Content-Type", "application/json")
	provider.CopyRequestHeaders(h, x.Header, x.Ingress, pipeline.ShapeOpenAI)
	for k, v := range a.ep.Headers {
		h.Set(k, v)
	}
	a.ep.SetAuth(h)
	if x.Stream {
		h.Set("Accept", "text/event-stream")
	}

	x.UpstreamStart = a.now()
	resp, err := a.ep.Client.Do(req)
	if err != nil {
		terr := provider.TransportError(call, a.ep.Name, err) // classify before Close sets its own cause
		call.Close()
		return nil, terr
	}
	x.UpstreamTTFB = a.now().Sub(x.UpstreamStart)
	hdr := provider.FilterResponseHeaders(resp.Header, pipeline.ShapeOpenAI, a.ep.APIKey)

	if resp.StatusCode >= 400 {
		defer call.Close()
		defer resp.Body.Close()
		return nil, a.upstreamError(call, resp, hdr)
	}
	if x.Stream && isEventStream(resp.Header) {
		if same {
			return &pipeline.Response{Status: resp.StatusCode, Header: hdr,
				Stream: provider.NewRelay(a.ep, call, resp.Body, &tap{}, x, a.now)}, nil
		}
		return &pipeline.Response{Status: http.StatusOK,
			Stream: provider.NewTranslator(a.ep, call, resp.Body, openaifmt.NewStreamDecoder(), x, a.now)}, nil
	}
	defer call.Close()
	defer resp.Body.Close()
	return a.unary(call, resp, hdr, x, same)
}

// prepare builds the upstream body: spliced bytes on the fast path, an
// encoding of the canonical request otherwise.
func (a *Adapter) prepare(dst []byte, x *pipeline.Exchange, t pipeline.Target, same bool) ([]byte, error) {
	if same {
		body, forced, err := x.Fast.Rewrite(dst, t.UpstreamModel, fastpath.Options{ForceUsage: true})
		x.ForcedUsage = forced
		return body, err
	}
	req, err := x.Request()
	if err != nil {
		return nil, err
	}
	r := *req
	r.IncludeUsage = r.Stream // usage must be known whatever the caller asked
	body, coerced, err := openaifmt.EncodeRequest(&r, t.UpstreamModel)
	if err != nil {
		return nil, err
	}
	x.Coerced = append(x.Coerced, coerced...)
	return append(dst, body...), nil
}

func isEventStream(h http.Header) bool {
	ct := h.Get("Content-Type")
	return len(ct) >= 17 && ct[:17] == "text/event-stream"
}

// unary reads a whole non-streamed answer. Holding it (bounded) lets the
// gateway set Content-Length and read usage without a second request.
func (a *Adapter) unary(call *provider.Call, resp *http.Response, hdr http.Header, x *pipeline.Exchange, same bool) (*pipeline.Response, error) {
	bp := a.bufs.Get().(*[]byte)
	buf := bytes.NewBuffer((*bp)[:0])
	_, err := buf.ReadFrom(io.LimitReader(resp.Body, a.maxResponse+1))
	out := buf.Bytes()
	release := func() { *bp = out[:0]; a.bufs.Put(bp) }
	if err != nil {
		release()
		return nil, provider.TransportError(call, a.ep.Name, err)
	}
	if int64(len(out)) > a.maxResponse {
		release()
		return nil, canonical.Errorf(canonical.KindUpstream, http.StatusBadGateway, "upstream_response_too_large",
			"the answer of provider %s exceeds the gateway's response size limit", a.ep.Name)
	}
	x.UpstreamTotal = a.now().Sub(x.UpstreamStart)
	out = provider.Scrub(out, a.ep.APIKey)
	if !same {
		defer release()
		cr, err := openaifmt.DecodeResponse(out)
		if err != nil {
			return nil, canonical.Errorf(canonical.KindUpstream, http.StatusBadGateway, "upstream_error",
				"provider %s answered with a body the gateway could not read", a.ep.Name)
		}
		return &pipeline.Response{Status: http.StatusOK, Canonical: cr, Usage: cr.Usage}, nil
	}
	r := &pipeline.Response{Status: resp.StatusCode, Header: hdr, Body: out, Release: release}
	if u, ok := usageFromBody(out); ok {
		r.Usage = &u
	}
	return r, nil
}

func (a *Adapter) upstreamError(call *provider.Call, resp *http.Response, hdr http.Header) error {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil && len(raw) == 0 {
		return provider.TransportError(call, a.ep.Name, err)
	}
	raw = provider.Scrub(raw, a.ep.APIKey)
	e := openaifmt.DecodeError(resp.StatusCode, raw)
	if ra := provider.RetryAfter(resp.Header, a.now()); ra > 0 {
		e.RetryAfter = ra
	}
	e.Upstream = &canonical.UpstreamError{Format: string(pipeline.ShapeOpenAI), Body: raw, Header: hdr}
	return e
}

// requestBody releases its pooled buffer when the transport closes it.
type requestBody struct {
	r       *bytes.Reader
	once    sync.Once
	release func()
}

func (b *requestBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *requestBody) Close() error               { b.once.Do(b.release); return nil }
