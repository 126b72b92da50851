package gateway

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
	"github.com/nexus-gateway/nexus/internal/provider/anthropic"
	"github.com/nexus-gateway/nexus/internal/provider/gemini"
	"github.com/nexus-gateway/nexus/internal/provider/openai"
	"github.com/nexus-gateway/nexus/internal/route"
)

// adapterFunc builds the adapter that sends one credential of a provider.
type adapterFunc func(p config.Provider, c config.Credential) (route.Adapter, error)

// newRouter builds the router from the configuration: served models,
// providers with one adapter per credential, rules and policies.
func newRouter(cfg *config.Config, adapterFor adapterFunc, stored map[string]string, now func() time.Time, rnd func() float64) (*route.Router, error) {
	o := route.Options{
		Models: routeModels(cfg),
		Retry:  retryPolicy(cfg.Retry),
		Health: route.HealthPolicy{Window: cfg.Health.Window, MinSamples: cfg.Health.MinSamples,
			FailureThreshold: cfg.Health.FailureThreshold, RateLimitThreshold: cfg.Health.RateLimitThreshold,
			RateLimitWindow: cfg.Health.RateLimitWindow, Cooldown: cfg.Health.Cooldown,
			RateLimitCooldown: cfg.Health.RateLimitCooldown, AuthCooldown: cfg.Health.AuthCooldown},
		Auto: route.AutoPolicy{Policy: route.AutoMode(cfg.Auto.Policy), Candidates: cfg.Auto.Candidates, MaxTargets: cfg.Auto.MaxTargets},
		Now:  now,
		Rand: rnd,
	}
	for _, p := range cfg.Providers {
		rp := route.Provider{Name: p.Name}
		for _, c := range credentialsOf(p, stored) {
			a, err := adapterFor(p, c)
			if err != nil {
				return nil, err
			}
			rp.Credentials = append(rp.Credentials, route.Credential{Name: c.Name, Weight: c.Weight, Adapter: a})
		}
		o.Providers = append(o.Providers, rp)
	}
	hidden := map[string]bool{}
	for _, r := range cfg.Routes {
		rule := route.Rule{
			Name: r.Name, Strategy: route.Strategy(r.Strategy), Policy: route.AutoMode(r.Policy),
			Responses: route.ResponsesMode(r.Responses),
			Match:     route.Match{Models: r.Match.Models, Keys: r.Match.Keys, Labels: r.Match.Labels, Tags: r.Match.Tags},
		}
		for _, s := range r.Match.Ingress {
			rule.Match.Ingress = append(rule.Match.Ingress, pipeline.Shape(s))
		}
		rp := retryPolicy(r.Retry)
		rule.Retry = &rp
		for _, t := range r.Targets {
			spec := route.TargetSpec{Model: t.Model, Provider: t.Provider, UpstreamModel: t.UpstreamModel, Weight: t.Weight, Priority: t.Priority}
			// A provider + upstream id no served model sends becomes a
			// hidden model: reachable through this route only.
			if m, served := cfg.TargetModel(t); !served && !hidden[t.Provider+"/"+t.UpstreamModel] {
				hidden[t.Provider+"/"+t.UpstreamModel] = true
				rm := routeModel(cfg, m)
				rm.Hidden = true
				o.Models = append(o.Models, rm)
			}
			rule.Targets = append(rule.Targets, spec)
		}
		o.Rules = append(o.Rules, rule)
	}
	return route.New(o)
}

// credentialsOf lists a provider's keys: its credentials: list, or its one
// key (from the file or the store) as a credential named "default".
func credentialsOf(p config.Provider, stored map[string]string) []config.Credential {
	if len(p.Credentials) > 0 {
		return p.Credentials
	}
	key := p.APIKey
	if k, ok := stored[p.Name]; ok {
		key = k
	}
	return []config.Credential{{Name: "default", APIKey: key, Weight: 1}}
}

// upstreamAdapters builds real adapters. The credentials of one provider
// share its HTTP client (one connection pool per upstream host); each has
// its own Endpoint, so an attempt sends, and scrubs, exactly its own key.
func upstreamAdapters(cfg *config.Config, now func() time.Time) adapterFunc {
	clients := map[string]*http.Client{}
	return func(p config.Provider, c config.Credential) (route.Adapter, error) {
		t := cfg.ProviderTimeouts(p)
		timeouts := provider.Timeouts{Connect: t.Connect, FirstByte: t.FirstByte, Idle: t.Idle, Total: t.Total}
		client := clients[p.Name]
		if client == nil {
			client = provider.NewClient(timeouts)
			clients[p.Name] = client
		}
		ep := &provider.Endpoint{
			Name:       p.Name,
			Type:       p.Type,
			Wire:       pipeline.Shape(p.WireFormat),
			BaseURL:    strings.TrimRight(p.BaseURL, "/"),
			APIKey:     provider.Secret(c.APIKey),
			APIVersion: p.APIVersion,
			AuthStyle:  p.AuthStyle,
			Headers:    p.Headers,
			Timeouts:   timeouts,
			Client:     client,
		}
		switch ep.Wire {
		case pipeline.ShapeOpenAI:
			return openai.New(ep, openai.Options{Now: now, Quirks: p.AllQuirks()}), nil
		case pipeline.ShapeAnthropic:
			return anthropic.New(ep, anthropic.Options{Now: now, Quirks: p.AllQuirks()}), nil
		case pipeline.ShapeGemini:
			return gemini.New(ep, gemini.Options{Now: now}), nil
		}
		return nil, fmt.Errorf("provider %s: no adapter for the %q wire", p.Name, p.WireFormat)
	}
}

// ExplainRouter builds the router `nexus route explain` plans with: the
// very rules, models and policies the gateway would use, over adapters
// that never call out (so no provider key is needed or opened).
func ExplainRouter(cfg *config.Config, now func() time.Time) (*route.Router, error) {
	if now == nil {
		now = time.Now
	}
	return newRouter(cfg, func(config.Provider, config.Credential) (route.Adapter, error) { return offline{}, nil }, nil, now, nil)
}

type offline struct{}

func (offline) Do(context.Context, *pipeline.Exchange, pipeline.Target) (*pipeline.Response, error) {
	return nil, errors.New("explain-only router: no upstream calls")
}

func retryPolicy(r config.Retry) route.RetryPolicy {
	var on []route.RetryClass // nil: every class; empty: none
	if r.On != nil {
		on = make([]route.RetryClass, 0, len(r.On))
		for _, c := range r.On {
			on = append(on, route.RetryClass(c))
		}
	}
	return route.RetryPolicy{Attempts: r.Attempts, On: on, Backoff: r.Backoff, BackoffMax: r.BackoffMax,
		Jitter: r.Jitter, RetryAfterMax: r.RetryAfterMax}
}

func routeModels(cfg *config.Config) []route.Model {
	out := make([]route.Model, 0, len(cfg.Models))
	for _, m := range cfg.Models {
		out = append(out, routeModel(cfg, m))
	}
	return out
}

func routeModel(cfg *config.Config, m config.Model) route.Model {
	p, _ := cfg.Provider(m.Provider)
	rm := route.Model{Name: m.Name, Aliases: m.Aliases, Provider: m.Provider, ProviderType: p.Type,
		Wire: pipeline.Shape(p.WireFormat), UpstreamModel: m.UpstreamModel, Type: m.Type,
		Features: m.Features, ContextWindow: m.ContextWindow, Responses: p.NativeResponses()}
	if m.Pricing != nil {
		rm.InputPrice, rm.OutputPrice = m.Pricing.Input, m.Pricing.Output
	}
	return rm
}
