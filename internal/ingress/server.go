// Package ingress is the HTTP face of the gateway: one route per API shape,
// key carriers per route, the body cap, model/stream extraction, running the
// pipeline, and writing the answer — JSON, or SSE flushed per event — with
// errors in the caller's own envelope. It never names a provider or a store.
package ingress

import (
	"context"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Authenticator resolves a presented virtual key.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*pipeline.Key, error)
}

// Limiter is the per-key requests-per-minute limiter.
type Limiter interface {
	Allow(key string, rpm int) (ok bool, retryAfter time.Duration)
}

// Config wires a Server. Zero values take the documented defaults.
type Config struct {
	Auth    Authenticator    // required
	Limiter Limiter          // nil: no per-key RPM limit
	Handler pipeline.Handler // required: the stage chain ending in the router
	Logger  *slog.Logger     // nil: discard
	// NewID returns a fresh request id (default: a UUID version 7, time
	// ordered, see newUUIDv7).
	NewID func() string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// MaxBodyBytes caps request bodies (default 32 MiB).
	MaxBodyBytes int64
	// MaxInFlight is the admission cap on concurrent proxied requests
	// (0: 1024 × GOMAXPROCS, negative: no cap).
	MaxInFlight int
	// Extra registers additional handlers on the mux (health, models, …).
	Extra map[string]http.Handler
	// Observer, when set, is told about every finished data-plane request
	// (accounting and the audit trail hang off it). It runs after the last
	// byte was written and must not block.
	Observer Observer
}

// Observer sees each request once it is over: status is what the caller was
// told (or, mid-stream, the real outcome), e the error if any.
type Observer interface {
	Finished(x *pipeline.Exchange, status int, e *canonical.Error, end time.Time)
}

// Server serves the data plane.
type Server struct {
	cfg      Config
	mux      *http.ServeMux
	inFlight atomic.Int64
	bodies   bodyPool
}

// New builds the server and its route table.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.NewID == nil {
		now := cfg.Now
		cfg.NewID = func() string { return newUUIDv7(now()) }
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = 32 << 20
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = 1024 * gomaxprocs()
	}
	s := &Server{cfg: cfg, mux: http.NewServeMux()}
	for _, r := range s.routes() {
		s.mux.Handle(r.path, s.endpoint(r))
	}
	for p, h := range cfg.Extra {
		s.mux.Handle(p, h)
	}
	s.mux.HandleFunc("/", s.notFound)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// notFound answers unknown routes in the OpenAI envelope, the default shape.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	id := s.requestID(r)
	w.Header().Set(hdrRequestID, id)
	e := canonical.Errorf(canonical.KindInvalidRequest, http.StatusNotFound, "route_not_found",
		"no route for %s %s", r.Method, r.URL.Path)
	writeError(w, shapeFor(r.URL.Path), e)
	s.logLine(r, id, nil, http.StatusNotFound, e, s.cfg.Now())
}
