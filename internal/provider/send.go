package provider

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// BufferPool recycles request and response buffers across calls.
type BufferPool struct{ p sync.Pool }

// Get returns an empty buffer.
func (bp *BufferPool) Get() *[]byte {
	if v := bp.p.Get(); v != nil {
		b := v.(*[]byte)
		*b = (*b)[:0]
		return b
	}
	b := make([]byte, 0, 16<<10)
	return &b
}

// Put returns a buffer; oversized ones are dropped so one huge body does not
// pin memory.
func (bp *BufferPool) Put(b *[]byte) {
	if cap(*b) > 1<<20 {
		return
	}
	bp.p.Put(b)
}

// Outbound is one upstream request ready to send.
type Outbound struct {
	URL string
	// Body is sent as is; Release (optional) is called once the transport
	// is done with it — possibly after Send returns.
	Body    []byte
	Release func()
	// Header receives the wire-specific headers (auth, versions, …).
	Header http.Header
}

// Send performs the upstream call under a new Call: the request context
// derives from ctx (a client disconnect cancels it), total/idle watchdogs
// armed. It records upstream timing on x. On error the call is closed.
func (ep *Endpoint) Send(ctx context.Context, x *pipeline.Exchange, out Outbound, now func() time.Time) (*http.Response, *Call, error) {
	req, err := http.NewRequest(http.MethodPost, out.URL, nil)
	if err != nil {
		if out.Release != nil {
			out.Release()
		}
		return nil, nil, &canonical.Error{Kind: canonical.KindInternal, Status: http.StatusInternalServerError, Message: "bad provider base URL", Cause: err}
	}
	call := NewCall(ctx, ep.Timeouts)
	req = req.WithContext(call.Ctx)
	req.Body = &requestBody{r: bytes.NewReader(out.Body), release: out.Release}
	req.ContentLength = int64(len(out.Body))
	if out.Header != nil {
		req.Header = out.Header
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range ep.Headers {
		req.Header.Set(k, v)
	}
	ep.SetAuth(req.Header)
	if x.Stream {
		req.Header.Set("Accept", "text/event-stream")
	}
	x.UpstreamStart = now()
	resp, err := ep.Client.Do(req)
	if err != nil {
		terr := TransportError(call, ep.Name, err) // classify before Close sets its own cause
		call.Close()
		return nil, nil, terr
	}
	x.UpstreamTTFB = now().Sub(x.UpstreamStart)
	return resp, call, nil
}

// requestBody releases its pooled buffer when the transport closes it.
type requestBody struct {
	r       *bytes.Reader
	once    sync.Once
	release func()
}

func (b *requestBody) Read(p []byte) (int, error) { return b.r.Read(p) }
func (b *requestBody) Close() error {
	if b.release != nil {
		b.once.Do(b.release)
	}
	return nil
}

// ReadUnary reads a whole non-streamed answer into a pooled buffer, bounded
// by max bytes, scrubbing any echo of the credential. release returns the
// buffer; the body is valid until then.
func (ep *Endpoint) ReadUnary(call *Call, resp *http.Response, pool *BufferPool, max int64) (body []byte, release func(), err error) {
	bp := pool.Get()
	buf := bytes.NewBuffer(*bp)
	_, rerr := buf.ReadFrom(io.LimitReader(resp.Body, max+1))
	out := buf.Bytes()
	release = func() { *bp = out[:0]; pool.Put(bp) }
	if rerr != nil {
		release()
		return nil, nil, TransportError(call, ep.Name, rerr)
	}
	if int64(len(out)) > max {
		release()
		return nil, nil, canonical.Errorf(canonical.KindUpstream, http.StatusBadGateway, "upstream_response_too_large",
			"the answer of provider %s exceeds the gateway's response size limit", ep.Name)
	}
	return Scrub(out, ep.APIKey), release, nil
}

// UpstreamError reads an error answer and normalises it with the wire's
// decoder, keeping the raw (scrubbed) body for same-shape callers.
func (ep *Endpoint) UpstreamError(call *Call, resp *http.Response, hdr http.Header, decode func(int, []byte) *canonical.Error, now time.Time) error {
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil && len(raw) == 0 {
		return TransportError(call, ep.Name, err)
	}
	raw = Scrub(raw, ep.APIKey)
	e := decode(resp.StatusCode, raw)
	if ra := RetryAfter(resp.Header, now); ra > 0 {
		e.RetryAfter = ra
	}
	e.Upstream = &canonical.UpstreamError{Format: string(ep.Wire), Body: raw, Header: hdr}
	return e
}

// UndecodableAnswer is the 502 for a success body the gateway cannot read.
func UndecodableAnswer(provider string, err error) *canonical.Error {
	return &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error",
		Message: "provider " + provider + " answered with a body the gateway could not read", Cause: err}
}

// IsEventStream reports an SSE content type.
func IsEventStream(h http.Header) bool {
	ct := h.Get("Content-Type")
	return len(ct) >= 17 && ct[:17] == "text/event-stream"
}
