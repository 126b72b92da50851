package ingress

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/format/embeddings"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

const (
	hdrRequestID      = "X-Nexus-Request-Id"
	hdrRoutedModel    = "X-Nexus-Routed-Model"
	hdrRoutedProvider = "X-Nexus-Routed-Provider"
	hdrAttempts       = "X-Nexus-Attempts"
	hdrCoerced        = "X-Nexus-Coerced"
)

// setRouteHeaders reports what routing did; sent on every proxied response,
// errors included, once a target was chosen.
func setRouteHeaders(h http.Header, x *pipeline.Exchange) {
	if x == nil {
		return
	}
	for k, v := range x.ResponseHeader {
		h[k] = v
	}
	if x.Target.Provider == "" {
		return
	}
	h.Set(hdrRoutedModel, x.Target.Model)
	h.Set(hdrRoutedProvider, x.Target.Provider)
	h.Set(hdrAttempts, strconv.Itoa(max(x.Attempts, 1)))
	if len(x.Coerced) > 0 {
		v := x.Coerced[0].String()
		for _, c := range x.Coerced[1:] {
			v += "," + c.String()
		}
		h.Set(hdrCoerced, v)
	}
}

func copyHeaders(dst, src http.Header) {
	for k, v := range src {
		dst[k] = v
	}
}

func (s *Server) writeUnary(w http.ResponseWriter, shape pipeline.Shape, x *pipeline.Exchange, resp *pipeline.Response) (int, *failure) {
	if resp.Release != nil {
		defer resp.Release()
	}
	x.Usage = resp.Usage
	body := resp.Body
	if resp.Embeddings != nil {
		format := ""
		if er, err := x.EmbeddingRequest(); err == nil {
			format = er.EncodingFormat
		}
		resp.Embeddings.Model = x.Target.Model
		b, err := embeddings.EncodeOpenAIResponse(resp.Embeddings, format)
		if err != nil {
			return fail(&canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error",
				Message: "the provider's embeddings could not be expressed in this API shape", Cause: err})
		}
		body = b
	}
	if resp.Canonical != nil {
		// A translated answer shows the routed model code, as translated
		// streams do.
		resp.Canonical.Model = x.Target.Model
		if resp.Canonical.Created == 0 {
			resp.Canonical.Created = x.Start.Unix()
		}
		b, err := codecs[shape].encodeResponse(resp.Canonical)
		if err != nil {
			return fail(&canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error",
				Message: "the provider's answer could not be expressed in this API shape", Cause: err})
		}
		body = b
	}
	h := w.Header()
	copyHeaders(h, resp.Header) // Nexus headers are written after and win
	setRouteHeaders(h, x)
	h.Set("Server-Timing", serverTiming(s.cfg.Now().Sub(x.Start), x.UpstreamTTFB, x.UpstreamTotal))
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
	return status, nil
}

// serverTiming renders SPEC §8.1's Server-Timing: gateway time is the total
// minus the upstream's, never negative.
func serverTiming(total, ttfb, upstream time.Duration) string {
	ms := func(d time.Duration) string { return strconv.FormatFloat(float64(d)/1e6, 'f', 2, 64) }
	if upstream <= 0 {
		return "gw;dur=" + ms(total)
	}
	return "gw;dur=" + ms(max(total-upstream, 0)) + ", upstream-ttfb;dur=" + ms(ttfb) + ", upstream-total;dur=" + ms(upstream)
}

// writeStream relays a streamed answer. The first frame is awaited before
// anything is written, so a failure before the first byte still gets a
// proper status and JSON error; after it, an error becomes the one terminal
// error frame of the caller's grammar (SPEC §6.8). array selects Gemini's
// JSON-array stream instead of SSE.
func (s *Server) writeStream(w http.ResponseWriter, r *http.Request, shape pipeline.Shape, x *pipeline.Exchange, resp *pipeline.Response, array bool) (int, *failure) {
	st := resp.Stream
	defer st.Close()
	defer func() { x.Usage = st.Usage() }()
	ctx := r.Context()
	f, err := st.Next(ctx)
	if err != nil && !errors.Is(err, io.EOF) {
		if ctx.Err() != nil {
			return statusClientClosed, &failure{Error: clientClosed(err)}
		}
		return fail(canonical.As(err))
	}
	h := w.Header()
	copyHeaders(h, resp.Header)
	setRouteHeaders(h, x)
	out := newStreamSink(w, shape, x, array)
	status := resp.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	for err == nil {
		// Hold the flush while the next frame is already buffered: every
		// frame still leaves before the gateway waits on the upstream.
		out.hold(st.Ready())
		if werr := out.frame(f); werr != nil {
			if ctx.Err() != nil || errors.Is(werr, errClientWrite) {
				return statusClientClosed, &failure{Error: clientClosed(werr), written: true}
			}
			err = werr
			break
		}
		f, err = st.Next(ctx)
	}
	out.hold(false)
	if errors.Is(err, io.EOF) {
		_ = out.close()
		return status, nil
	}
	if ctx.Err() != nil {
		return statusClientClosed, &failure{Error: clientClosed(err), written: true}
	}
	ce := canonical.As(err)
	if name, data, ok := out.errorFrame(err, ce); ok {
		_ = out.sink.WriteEvent(name, data)
	}
	_ = out.close()
	// The HTTP status is already 200; the log keeps the real outcome.
	return ce.Status, &failure{Error: ce, written: true}
}

func clientClosed(err error) *canonical.Error {
	return &canonical.Error{Kind: canonical.KindUpstream, Status: statusClientClosed, Code: "CLIENT_CLOSED",
		Message: "client closed the request", Cause: err}
}
