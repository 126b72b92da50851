// Package gateway assembles a working gateway from a configuration: store,
// key authentication, rate limiter, provider adapters, router, stage chain
// and the ingress server with its health endpoints. It is the composition
// root shared by `nexus serve` and the end-to-end tests, so both run the very
// same wiring.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nexus-gateway/nexus/internal/audit"
	"github.com/nexus-gateway/nexus/internal/auth"
	"github.com/nexus-gateway/nexus/internal/catalogapi"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/estimate"
	"github.com/nexus-gateway/nexus/internal/ingress"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/quota"
	"github.com/nexus-gateway/nexus/internal/ratelimit"
	"github.com/nexus-gateway/nexus/internal/route"
	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/usage"
	"github.com/nexus-gateway/nexus/internal/vkey"
)

// Options configure New. Config is required.
type Options struct {
	Config *config.Config
	Logger *slog.Logger        // nil: discard
	Getenv func(string) string // nil: no environment
	Now    func() time.Time    // nil: time.Now
	// Rand feeds weighted choices (routes, credentials) and backoff jitter:
	// uniform in [0,1), safe for concurrent use. nil: math/rand/v2.
	Rand func() float64
	// Store, when set, is used instead of opening Config.Database (tests).
	Store *store.DB
}

// Gateway is a built, ready-to-serve gateway.
type Gateway struct {
	Handler http.Handler
	Store   *store.DB
	Router  *route.Router
	// DatabaseDSN is the store the gateway uses (for tools that open it too).
	DatabaseDSN string
	// Audit is the asynchronous audit-trail writer; Quota the quota stage
	// (nil when no quota rule is configured).
	Audit  *audit.Writer
	Quota  *quota.Stage
	ownsDB bool
}

// New builds the gateway.
func New(ctx context.Context, o Options) (*Gateway, error) {
	cfg := o.Config
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	g := &Gateway{Store: o.Store, DatabaseDSN: cfg.Database}
	if g.Store == nil {
		db, err := store.Open(ctx, cfg.Database)
		if err != nil {
			return nil, fmt.Errorf("open store: %w", err)
		}
		g.Store, g.ownsDB = db, true
	}
	secrets, err := ServerSecrets(cfg, o.Getenv, true)
	if err != nil {
		g.Close()
		return nil, err
	}
	hasher, err := vkey.NewHasher(secrets...)
	if err != nil {
		g.Close()
		return nil, err
	}
	stored, err := storedKeys(ctx, cfg, g.Store, o.Getenv)
	if err != nil {
		g.Close()
		return nil, err
	}
	g.Router, err = newRouter(cfg, upstreamAdapters(cfg, o.Now), stored, o.Now, o.Rand)
	if err != nil {
		g.Close()
		return nil, err
	}
	inFlight, ok := cfg.Limits.InFlightCap(0)
	if !ok {
		inFlight = -1
	}
	prices, err := costTable(cfg)
	if err != nil {
		g.Close()
		return nil, err
	}
	var stages []pipeline.Stage
	if len(cfg.Quotas.Rules) > 0 {
		if g.Quota, err = quota.New(cfg.Quotas, prices, o.Logger, o.Now); err != nil {
			g.Close()
			return nil, fmt.Errorf("quotas: %w", err)
		}
		stages = append(stages, g.Quota)
	}
	g.Audit, err = audit.NewWriter(g.Store, audit.Options{QueueSize: cfg.Audit.QueueSize, SpoolDir: cfg.Audit.SpoolDir,
		CaptureBodies: cfg.Audit.CaptureBodies, MaxBodyBytes: int(cfg.Audit.MaxBodyBytes), Logger: o.Logger, Now: o.Now})
	if err != nil {
		g.Close()
		return nil, fmt.Errorf("audit: %w", err)
	}
	keys := auth.New(g.Store, hasher, o.Now)
	limiter := ratelimit.New(o.Now)
	models := servedModels{cfg: cfg, router: g.Router, prices: prices}
	catalogue, err := catalogapi.New(catalogapi.Config{Models: models, Auth: keys, Limiter: limiter, Now: o.Now,
		Allowed: func(k *pipeline.Key, e catalogapi.Entry) bool { return models.allowedFor(k, e.ID) }})
	if err != nil {
		g.Close()
		return nil, err
	}
	extra := map[string]http.Handler{
		"GET /healthz":          http.HandlerFunc(healthz),
		"GET /readyz":           g.readyz(),
		catalogapi.ListPath:     catalogue,
		catalogapi.DetailPrefix: catalogue,
		"/v1/estimate": &estimate.Handler{Models: models, Auth: keys, Limiter: limiter, Now: o.Now,
			Allowed: func(k *pipeline.Key, m estimate.Model) bool { return models.allowedFor(k, m.Code) }},
	}
	uo := usage.Options{Auth: keys, Store: g.Store, Limiter: limiter, Now: o.Now, Logger: o.Logger}
	if g.Quota != nil {
		uo.Quota = keyBudget(g.Quota, o.Logger)
	}
	for p, h := range usage.New(uo).Routes() {
		extra[p] = h
	}
	srv := ingress.New(ingress.Config{
		Auth:         keys,
		Limiter:      limiter,
		Handler:      pipeline.Chain(g.Router, stages...),
		Logger:       o.Logger,
		Now:          o.Now,
		MaxBodyBytes: cfg.Limits.MaxBodyBytes,
		MaxInFlight:  inFlight,
		Extra:        extra,
		Observer:     &accountant{prices: prices, audit: g.Audit, log: o.Logger},
	})
	g.Handler = srv
	return g, nil
}

// Close drains the audit trail (after the HTTP server stopped, every record
// of a finished request reaches the store or the spool), stops the quota
// stage, and releases the store when the gateway opened it.
func (g *Gateway) Close() error {
	var errs []error
	if g.Audit != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		errs = append(errs, g.Audit.Close(ctx))
		cancel()
	}
	if g.Quota != nil {
		errs = append(errs, g.Quota.Close())
	}
	if g.ownsDB && g.Store != nil {
		errs = append(errs, g.Store.Close())
	}
	return errors.Join(errs...)
}

func healthz(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"status":"ok","service":"ai-gateway"}`))
}

// readyz reports ready when the store answers; the config is loaded by
// construction (New fails otherwise).
func (g *Gateway) readyz() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		checks := map[string]string{"config": "ok", "store": "ok"}
		status := http.StatusOK
		if err := g.Store.Ping(ctx); err != nil {
			checks["store"] = "unavailable"
			status = http.StatusServiceUnavailable
		}
		out, _ := json.Marshal(map[string]any{"status": map[bool]string{true: "ready", false: "not_ready"}[status == 200], "checks": checks})
		w.WriteHeader(status)
		_, _ = w.Write(out)
	})
}
