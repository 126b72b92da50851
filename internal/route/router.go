// Package route resolves the requested model to targets and calls them. It is
// the terminal stage of the chain. (Routing rules, retries, fallbacks and
// health arrive with the routing issue; today a model has one target.)
package route

import (
	"context"
	"fmt"
	"net/http"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Adapter calls one provider; provider/<vendor> packages implement it.
type Adapter interface {
	Do(ctx context.Context, x *pipeline.Exchange, t pipeline.Target) (*pipeline.Response, error)
}

// Model is one catalogue entry the router can serve.
type Model struct {
	Name          string
	Aliases       []string
	Provider      string
	ProviderType  string
	Wire          pipeline.Shape
	UpstreamModel string
	Type          string // chat | embedding
}

// Router is the terminal stage.
type Router struct {
	models   map[string]*Model // by name and alias
	adapters map[string]Adapter
}

// New builds a router over models; adapters are keyed by provider name.
func New(models []Model, adapters map[string]Adapter) (*Router, error) {
	r := &Router{models: make(map[string]*Model, len(models)), adapters: adapters}
	for i := range models {
		m := &models[i]
		if adapters[m.Provider] == nil {
			return nil, fmt.Errorf("route: model %q names provider %q which has no adapter", m.Name, m.Provider)
		}
		for _, n := range append([]string{m.Name}, m.Aliases...) {
			if _, dup := r.models[n]; dup {
				return nil, fmt.Errorf("route: model name %q is defined twice", n)
			}
			r.models[n] = m
		}
	}
	return r, nil
}

// Lookup finds a model by name or alias.
func (r *Router) Lookup(name string) (*Model, bool) {
	m, ok := r.models[name]
	return m, ok
}

// Models lists the distinct catalogue entries.
func (r *Router) Models() []*Model {
	seen := map[*Model]bool{}
	var out []*Model
	for _, m := range r.models {
		if !seen[m] {
			seen[m] = true
			out = append(out, m)
		}
	}
	return out
}

// Serve resolves x.Model and calls the target.
func (r *Router) Serve(ctx context.Context, x *pipeline.Exchange) (*pipeline.Response, error) {
	m, ok := r.models[x.Model]
	if !ok {
		return nil, canonical.Errorf(canonical.KindInvalidRequest, http.StatusNotFound, "model_not_found",
			"the model %q does not exist or is not served by this gateway", x.Model).WithParam("model")
	}
	if x.Key != nil && !Allowed(x.Key.AllowedModels, m) {
		return nil, canonical.Errorf(canonical.KindAuth, http.StatusForbidden, "MODEL_NOT_ALLOWED",
			"this virtual key may not use the model %q", x.Model).WithParam("model")
	}
	t := pipeline.Target{Provider: m.Provider, ProviderType: m.ProviderType, Wire: m.Wire, Model: m.Name, UpstreamModel: m.UpstreamModel}
	x.Target = t
	x.Attempts++
	return r.adapters[m.Provider].Do(ctx, x, t)
}

// Allowed reports whether a key's model globs admit m. A glob may name the
// model code, the upstream model id, or "provider/upstream-model"; an empty
// list admits everything.
func Allowed(globs []string, m *Model) bool {
	if len(globs) == 0 {
		return true
	}
	for _, g := range globs {
		if Glob(g, m.Name) || Glob(g, m.UpstreamModel) || Glob(g, m.Provider+"/"+m.UpstreamModel) {
			return true
		}
		for _, a := range m.Aliases {
			if Glob(g, a) {
				return true
			}
		}
	}
	return false
}

// Glob matches s against pattern where '*' is any run of characters and the
// match is anchored at both ends. No other metacharacters: model ids contain
// dots, slashes and brackets that must match literally.
func Glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
