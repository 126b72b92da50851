package ingress

import (
	"net/http"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/auth"
	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	"github.com/nexus-gateway/nexus/internal/format/embeddings"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/ratelimit"
)

// endpoint runs one data-plane request in SPEC §1 order: admission, auth
// (headers only), rate limit, body read, model extraction, the chain, write.
func (s *Server) endpoint(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := s.cfg.Now()
		id := s.requestID(r)
		h := w.Header()
		h.Set(hdrRequestID, id)
		if v := r.Header.Get("X-Request-Id"); v != "" && safeID(v) {
			h.Set("X-Request-Id", v)
		}
		x := &pipeline.Exchange{ID: id, Start: start, Ingress: rt.shape, Endpoint: rt.endpoint, Header: r.Header}
		status, err := s.serve(w, r, rt, x)
		if err != nil && !err.written && r.Context().Err() == nil {
			setRouteHeaders(h, x)
			writeError(w, rt.shape, err.Error)
		}
		var ce *canonical.Error
		if err != nil {
			ce = err.Error
		}
		s.logLine(r, id, x, status, ce, start)
		if s.cfg.Observer != nil {
			s.cfg.Observer.Finished(x, status, ce, s.cfg.Now())
		}
	})
}

// failure is an error plus whether it was already written (mid-stream).
type failure struct {
	*canonical.Error
	written bool
}

func fail(e *canonical.Error) (int, *failure) { return e.Status, &failure{Error: e} }

const statusClientClosed = 499

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route, x *pipeline.Exchange) (int, *failure) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return fail(methodNotAllowed(r.Method))
	}
	if rt.modelInPath {
		model, stream, perr := geminiTarget(r.PathValue("target"))
		if perr != nil {
			return fail(perr)
		}
		x.Model, x.Stream = model, stream
	}
	if s.cfg.MaxInFlight > 0 {
		n := s.inFlight.Add(1)
		defer s.inFlight.Add(-1)
		if n > int64(s.cfg.MaxInFlight) {
			w.Header().Set("Retry-After", "1")
			e := canonical.Errorf(canonical.KindRateLimited, http.StatusTooManyRequests, "gateway_overloaded",
				"the gateway is at its in-flight request limit; retry shortly")
			return fail(e)
		}
	}
	ctx := r.Context()

	key, err := s.cfg.Auth.Authenticate(ctx, auth.Extract(r.Header, rt.carriers))
	if err != nil {
		return fail(canonical.As(err))
	}
	x.Key = key
	if key.RPM > 0 {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(key.RPM))
		if s.cfg.Limiter != nil {
			if ok, wait := s.cfg.Limiter.Allow(key.ID, key.RPM); !ok {
				secs := ratelimit.RetryAfterSeconds(wait)
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				e := canonical.Errorf(canonical.KindRateLimited, http.StatusTooManyRequests, "RATE_LIMITED",
					"this virtual key is limited to %d requests per minute", key.RPM).
					WithHint("retry after " + strconv.Itoa(secs) + "s")
				return fail(e)
			}
		}
	}

	body, release, err := s.readBody(r)
	if err != nil {
		return fail(canonical.As(err))
	}
	defer release()
	x.Body = body

	fb, err := fastpath.Peek(body)
	if err != nil {
		return fail(canonical.As(err))
	}
	x.Fast = &fb
	x.Decode = codecs[rt.shape].decode
	if rt.endpoint == pipeline.EndpointEmbeddings {
		x.Decode, x.DecodeEmbeddings = nil, embeddings.DecodeOpenAIRequest
	}
	if !rt.modelInPath {
		x.Model, x.Stream = fb.Model(), fb.Stream()
	}
	if rt.modelParam != "" {
		x.Model = r.PathValue(rt.modelParam) // the path names the model; the body's is ignored
	}
	if rt.endpoint == pipeline.EndpointEmbeddings && x.Model == "auto" {
		return fail(canonical.Errorf(canonical.KindInvalidRequest, http.StatusBadRequest, "auto_not_supported",
			"model \"auto\" is for chat; name an embedding model").WithParam("model"))
	}
	if x.Model == "" {
		return fail(canonical.Errorf(canonical.KindInvalidRequest, http.StatusBadRequest, "model_required",
			"model is required").WithParam("model"))
	}

	resp, err := s.cfg.Handler.Serve(ctx, x)
	if err != nil {
		return fail(canonical.As(err))
	}
	if resp.Stream != nil {
		// Gemini streams SSE with ?alt=sse and a JSON array otherwise, as Google does.
		array := rt.shape == pipeline.ShapeGemini && r.URL.Query().Get("alt") != "sse"
		return s.writeStream(w, r, rt.shape, x, resp, array)
	}
	return s.writeUnary(w, rt.shape, x, resp)
}
