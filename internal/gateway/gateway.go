// Package gateway assembles a working gateway from a configuration: store,
// key authentication, rate limiter, provider adapters, router, stage chain
// and the ingress server with its health endpoints. It is the composition
// root shared by `nexus serve` and the end-to-end tests, so both run the very
// same wiring.
package gateway

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/auth"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/ingress"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
	"github.com/nexus-gateway/nexus/internal/provider/anthropic"
	"github.com/nexus-gateway/nexus/internal/provider/gemini"
	"github.com/nexus-gateway/nexus/internal/provider/openai"
	"github.com/nexus-gateway/nexus/internal/ratelimit"
	"github.com/nexus-gateway/nexus/internal/route"
	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/vkey"
)

// Options configure New. Config is required.
type Options struct {
	Config *config.Config
	Logger *slog.Logger        // nil: discard
	Getenv func(string) string // nil: no environment
	Now    func() time.Time    // nil: time.Now
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
	ownsDB      bool
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
	adapters, err := buildAdapters(cfg, stored, o.Now)
	if err != nil {
		g.Close()
		return nil, err
	}
	g.Router, err = route.New(routeModels(cfg), adapters)
	if err != nil {
		g.Close()
		return nil, err
	}
	inFlight, ok := cfg.Limits.InFlightCap(0)
	if !ok {
		inFlight = -1
	}
	srv := ingress.New(ingress.Config{
		Auth:         auth.New(g.Store, hasher, o.Now),
		Limiter:      ratelimit.New(o.Now),
		Handler:      pipeline.Chain(g.Router),
		Logger:       o.Logger,
		Now:          o.Now,
		MaxBodyBytes: cfg.Limits.MaxBodyBytes,
		MaxInFlight:  inFlight,
		Extra: map[string]http.Handler{
			"GET /healthz": http.HandlerFunc(healthz),
			"GET /readyz":  g.readyz(),
		},
	})
	g.Handler = srv
	return g, nil
}

// Close releases the store when the gateway opened it.
func (g *Gateway) Close() error {
	if g.ownsDB && g.Store != nil {
		return g.Store.Close()
	}
	return nil
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

func buildAdapters(cfg *config.Config, stored map[string]string, now func() time.Time) (map[string]route.Adapter, error) {
	out := make(map[string]route.Adapter, len(cfg.Providers))
	for _, p := range cfg.Providers {
		t := cfg.ProviderTimeouts(p)
		ep := &provider.Endpoint{
			Name:       p.Name,
			Type:       p.Type,
			Wire:       pipeline.Shape(p.WireFormat),
			BaseURL:    strings.TrimRight(p.BaseURL, "/"),
			APIKey:     provider.Secret(p.APIKey),
			APIVersion: p.APIVersion,
			AuthStyle:  p.AuthStyle,
			Headers:    p.Headers,
			Timeouts:   provider.Timeouts{Connect: t.Connect, FirstByte: t.FirstByte, Idle: t.Idle, Total: t.Total},
		}
		if k, ok := stored[p.Name]; ok {
			ep.APIKey = provider.Secret(k)
		}
		switch ep.Wire {
		case pipeline.ShapeOpenAI:
			out[p.Name] = openai.New(ep, openai.Options{Now: now})
		case pipeline.ShapeAnthropic:
			out[p.Name] = anthropic.New(ep, anthropic.Options{Now: now})
		case pipeline.ShapeGemini:
			out[p.Name] = gemini.New(ep, gemini.Options{Now: now})
		default:
			return nil, fmt.Errorf("provider %s: no adapter for the %q wire", p.Name, p.WireFormat)
		}
	}
	return out, nil
}

func routeModels(cfg *config.Config) []route.Model {
	wire := map[string]config.Provider{}
	for _, p := range cfg.Providers {
		wire[p.Name] = p
	}
	out := make([]route.Model, 0, len(cfg.Models))
	for _, m := range cfg.Models {
		p := wire[m.Provider]
		out = append(out, route.Model{Name: m.Name, Aliases: m.Aliases, Provider: m.Provider, ProviderType: p.Type,
			Wire: pipeline.Shape(p.WireFormat), UpstreamModel: m.UpstreamModel, Type: m.Type})
	}
	return out
}
