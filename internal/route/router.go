// Package route turns the requested model into an ordered list of targets
// and calls them until one answers. It is the terminal stage of the chain.
//
// A request is planned first (plan.go): the first matching rule (rules.go)
// orders its targets by its strategy (strategy.go), or the model's own
// catalogue entry is the one target, or "auto" ranks every model the key may
// use (auto.go); the key's allowlist, the request's needs (capability.go) and
// open circuits (health.go) then remove targets. The executor (executor.go)
// walks the plan with retries, backoff and failover (retry.go), choosing a
// provider credential per attempt (credentials.go). Explain (explain.go)
// runs the very same planning and reports it.
package route

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Adapter calls one provider with one credential; provider/<vendor>
// packages implement it.
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
	// Features are catalogue feature names (vision, function_calling,
	// json_schema, streaming, thinking, …). nil means unknown: the model is
	// then assumed to serve anything; an empty non-nil list means none.
	Features      []string
	ContextWindow int // tokens; 0 = unknown
	// Prices in USD per million tokens; nil = unknown.
	InputPrice, OutputPrice *float64
	// Hidden models are reachable only as a rule target (provider +
	// upstream_model), never by name, and are no "auto" candidates.
	Hidden bool
	// Responses: the provider serves the OpenAI Responses API natively
	// (SPEC §5.8); other targets get /v1/responses requests only when a
	// rule allows the downgrade to chat.
	Responses bool
}

// Provider is one configured upstream account with its credentials.
type Provider struct {
	Name        string
	Credentials []Credential // at least one
}

// Credential is one key of a provider, bound to the adapter that sends it.
type Credential struct {
	Name    string
	Weight  int // selection weight; 0 = 1
	Adapter Adapter
}

// Options configure New. Models and Providers are required; every other
// zero field takes its documented default.
type Options struct {
	Models    []Model
	Providers []Provider
	Rules     []Rule
	Retry     RetryPolicy // default for rules without their own and for catalogue routes; zero = DefaultRetry()
	Health    HealthPolicy
	Auto      AutoPolicy
	Now       func() time.Time // nil: time.Now
	// Rand returns a uniform number in [0,1); it must be safe for
	// concurrent use. nil: math/rand/v2.
	Rand func() float64
	// Sleep waits d or until ctx ends (backoff); nil: a timer.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Router is the terminal stage. After New it is safe for concurrent use:
// its maps are read-only, and the mutable state (health, credential benches,
// round-robin counters) lives in small per-target structures.
type Router struct {
	models    map[string]*Model // served models by name and alias
	served    []*Model          // distinct served models, in configuration order
	targets   []*target         // one per model (served and hidden), same order as Options.Models
	byModel   map[*Model]*target
	providers map[string]*upstream
	rules     []*rule
	retry     RetryPolicy
	health    HealthPolicy
	auto      AutoPolicy
	now       func() time.Time
	rand      func() float64
	sleep     func(ctx context.Context, d time.Duration) error
}

// New builds a router. It fails on duplicate model names, models of unknown
// providers, providers without credentials and rules naming unknown targets.
func New(o Options) (*Router, error) {
	r := &Router{
		models:    make(map[string]*Model, len(o.Models)*2),
		byModel:   make(map[*Model]*target, len(o.Models)),
		providers: make(map[string]*upstream, len(o.Providers)),
		retry:     o.Retry.withDefaults(),
		health:    o.Health.withDefaults(),
		auto:      o.Auto.withDefaults(),
		now:       o.Now,
		rand:      o.Rand,
		sleep:     o.Sleep,
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.rand == nil {
		r.rand = rand.Float64
	}
	if r.sleep == nil {
		r.sleep = sleepCtx
	}
	for _, p := range o.Providers {
		u, err := newUpstream(p)
		if err != nil {
			return nil, err
		}
		if _, dup := r.providers[p.Name]; dup {
			return nil, fmt.Errorf("route: provider %q is defined twice", p.Name)
		}
		r.providers[p.Name] = u
	}
	health := map[string]*health{} // targets of the same provider and upstream model share one
	models := make([]Model, len(o.Models))
	copy(models, o.Models)
	for i := range models {
		m := &models[i]
		u := r.providers[m.Provider]
		if u == nil {
			return nil, fmt.Errorf("route: model %q names provider %q which is not configured", m.Name, m.Provider)
		}
		key := m.Provider + "/" + m.UpstreamModel
		h := health[key]
		if h == nil {
			h = newHealth(&r.health)
			health[key] = h
		}
		t := newTarget(m, u, key, h)
		r.targets = append(r.targets, t)
		r.byModel[m] = t
		if m.Hidden {
			continue
		}
		r.served = append(r.served, m)
		for _, n := range append([]string{m.Name}, m.Aliases...) {
			if n == AutoModel {
				return nil, fmt.Errorf("route: model name %q is reserved for the smart router", n)
			}
			if _, dup := r.models[n]; dup {
				return nil, fmt.Errorf("route: model name %q is defined twice", n)
			}
			r.models[n] = m
		}
	}
	for i := range o.Rules {
		cr, err := r.compileRule(i, o.Rules[i])
		if err != nil {
			return nil, err
		}
		r.rules = append(r.rules, cr)
	}
	return r, nil
}

// Lookup finds a served model by name or alias.
func (r *Router) Lookup(name string) (*Model, bool) {
	m, ok := r.models[name]
	return m, ok
}

// Models lists the distinct served models in configuration order.
func (r *Router) Models() []*Model {
	return append([]*Model(nil), r.served...)
}

// Serve plans x's route and runs it: the terminal stage of the chain.
func (r *Router) Serve(ctx context.Context, x *pipeline.Exchange) (*pipeline.Response, error) {
	q := queryFor(x)
	var p plan
	var buf [8]*target
	targets, err := r.plan(&q, &p, buf[:0], nil)
	if err != nil {
		return nil, err
	}
	if p.reason != "" {
		x.RouteReason = p.reason
		x.SetHeader(HeaderRouteReason, p.reason)
	}
	return r.execute(ctx, x, &p, targets)
}

// Header names the router reads or writes.
const (
	HeaderRouteTag    = "X-Nexus-Route-Tag"    // client tag that rules may match
	HeaderRouteReason = "X-Nexus-Route-Reason" // why "auto" chose its model
)

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

// anyGlob reports whether some pattern matches s.
func anyGlob(patterns []string, s string) bool {
	for _, p := range patterns {
		if Glob(p, s) {
			return true
		}
	}
	return false
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
