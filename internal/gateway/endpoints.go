package gateway

import (
	"net/http"

	"github.com/nexus-gateway/nexus/internal/catalogapi"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/cost"
	"github.com/nexus-gateway/nexus/internal/estimate"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/route"
)

// servedModels joins the configuration's models with their providers, for
// the read-only endpoints (catalogue, estimate). Hidden rule-only targets are
// left out: they are not reachable by name.
type servedModels struct {
	cfg    *config.Config
	router *route.Router
	prices *cost.Table
}

func (s servedModels) provider(name string) config.Provider {
	p, _ := s.cfg.Provider(name)
	return p
}

// List implements catalogapi.Models.
func (s servedModels) List() []catalogapi.Entry {
	out := make([]catalogapi.Entry, 0, len(s.cfg.Models))
	for _, m := range s.cfg.Models {
		if rm, ok := s.router.Lookup(m.Name); !ok || rm.Hidden {
			continue
		}
		e := catalogapi.Entry{ID: m.Name, DisplayName: m.Name, Provider: m.Provider, UpstreamModel: m.UpstreamModel,
			Type: m.Type, Aliases: m.Aliases, Features: m.Features, MaxContextTokens: m.ContextWindow,
			MaxOutputTokens: m.MaxOutput, Lifecycle: m.Lifecycle, InputModalities: []string{"text"}, OutputModalities: []string{"text"}}
		if m.Type == "embedding" {
			e.OutputModalities = []string{"embedding"}
		}
		for _, f := range m.Features {
			if f == "vision" {
				e.InputModalities = []string{"text", "image"}
			}
		}
		if p := m.Pricing; p != nil {
			e.InputPrice, e.OutputPrice, e.CachedReadPrice, e.CacheWritePrice = p.Input, p.Output, p.CachedInput, p.CacheWrite
		}
		out = append(out, e)
	}
	return out
}

// Resolve implements estimate.Models.
func (s servedModels) Resolve(name string) (estimate.Model, bool) {
	rm, ok := s.router.Lookup(name)
	if !ok || rm.Hidden {
		return estimate.Model{}, false
	}
	for _, m := range s.cfg.Models {
		if m.Name != rm.Name {
			continue
		}
		price, _ := s.prices.Lookup(m.Name)
		return estimate.Model{Code: m.Name, Provider: m.Provider, ProviderType: s.provider(m.Provider).Type,
			UpstreamModel: m.UpstreamModel, Type: m.Type, Aliases: m.Aliases, Price: price,
			MaxOutput: m.MaxOutput, ContextWindow: m.ContextWindow, Features: m.Features}, true
	}
	return estimate.Model{}, false
}

// allowedFor applies the router's allowlist rule to a model code, so the
// read-only endpoints hide exactly what the data plane refuses.
func (s servedModels) allowedFor(k *pipeline.Key, code string) bool {
	if k == nil || len(k.AllowedModels) == 0 {
		return true
	}
	m, ok := s.router.Lookup(code)
	return ok && route.Allowed(k.AllowedModels, m)
}

var _ http.Handler = (*catalogapi.Handler)(nil)
