package config

import (
	"time"

	"github.com/goccy/go-yaml/ast"
)

// This file holds the routing part of the schema: routes, the retry and
// health policies, the smart router ("auto") and provider credentials.
// docs/routing.md is the reference for every key.

// Documented routing defaults.
const (
	DefaultRetryAttempts      = 2
	DefaultRetryBackoff       = 250 * time.Millisecond
	DefaultRetryBackoffMax    = 5 * time.Second
	DefaultRetryJitter        = 0.2
	DefaultRetryAfterMax      = 10 * time.Second
	DefaultHealthWindow       = 5 * time.Minute
	DefaultMinSamples         = 5
	DefaultFailureThreshold   = 5
	DefaultRateLimitThreshold = 5
	DefaultRateLimitWindow    = 10 * time.Second
	DefaultCooldown           = 30 * time.Second
	DefaultRateLimitCooldown  = 60 * time.Second
	DefaultAuthCooldown       = 10 * time.Minute
	DefaultAutoPolicy         = "balanced"
	DefaultAutoMaxTargets     = 3
)

// Route is one routing rule. Rules are tried in file order; the first whose
// match conditions all hold routes the request. A request no rule takes
// goes to the catalogue entry of the model it names.
type Route struct {
	Name     string // required, unique; explain and logs name rules by it
	Match    RouteMatch
	Strategy string // priority (default) | weighted | round_robin | latency | cost | auto
	Policy   string // strategy auto only: cheapest | balanced | quality; default auto.policy
	Targets  []RouteTarget
	// Retry is the effective policy: the route's own retry: keys over the
	// global retry: block, field by field.
	Retry Retry
	// Responses says how /v1/responses requests are served when the
	// route's primary target does not serve the Responses API natively:
	// "native" (default: refused with responses_not_supported) or
	// "downgrade" (stateless requests translated to chat and back).
	Responses string
}

// RouteMatch lists the conditions of a rule; empty ones match everything.
type RouteMatch struct {
	Models  []string          // globs over the requested model (and the served model's name and aliases)
	Keys    []string          // globs over the virtual key's id or name
	Labels  map[string]string // key labels that must all be equal
	Ingress []string          // openai | anthropic | gemini | openai-responses
	Tags    []string          // globs over the X-Nexus-Route-Tag header's values
}

// RouteTarget is a served model (Model, by name or alias) or a provider
// and the upstream model id to send it (Provider + UpstreamModel).
type RouteTarget struct {
	Model         string
	Provider      string
	UpstreamModel string
	Weight        int // 1–1000; 0 (absent) = 1
	Priority      int // lower first; equal priorities form one group
}

// Retry is a retry policy (SPEC §7.7).
type Retry struct {
	Attempts      int           // per target, 1–5; default 2
	On            []string      // network | timeout | 429 | 5xx; default all four; [] = none
	Backoff       time.Duration // before the first retry, doubling; default 250ms
	BackoffMax    time.Duration // default 5s
	Jitter        float64       // ± fraction of each backoff, 0–1; default 0.2
	RetryAfterMax time.Duration // longest upstream Retry-After waited for; default 10s
}

// Health tunes passive health tracking, circuit breakers and credential benches.
type Health struct {
	Window             time.Duration // error-rate window; default 5m
	MinSamples         int           // attempts in the window before the rate counts; default 5
	FailureThreshold   int           // consecutive failures opening a target's circuit; default 5
	RateLimitThreshold int           // 429s within RateLimitWindow opening it; default 5
	RateLimitWindow    time.Duration // default 10s
	Cooldown           time.Duration // open circuit until a half-open probe; default 30s
	RateLimitCooldown  time.Duration // credential bench after a 429 without Retry-After; default 60s
	AuthCooldown       time.Duration // credential bench after a 401/403; default 10m
}

// Auto configures model "auto" when no rule takes it.
type Auto struct {
	Policy     string   // cheapest | balanced (default) | quality
	Candidates []string // globs over served model names; default every chat model
	MaxTargets int      // ranked models tried, best first; default 3
}

// Credential is one of several keys of a provider (providers[].credentials).
type Credential struct {
	Name   string // required, unique within the provider: [a-z0-9_-]+
	APIKey string // secret
	Weight int    // selection weight 1–1000; 0 (absent) = 1
}

func (d *decoder) retry(path string, n ast.Node, r *Retry) {
	d.object(path, n, false, []field{
		{"attempts", func(p string, v ast.Node) { r.Attempts = d.smallInt(p, v) }},
		{"on", func(p string, v ast.Node) {
			// Present means chosen: an empty list retries nothing.
			if r.On = d.strList(p, v); r.On == nil {
				r.On = []string{}
			}
		}},
		{"backoff", func(p string, v ast.Node) { r.Backoff = d.duration(p, v) }},
		{"backoff_max", func(p string, v ast.Node) { r.BackoffMax = d.duration(p, v) }},
		{"jitter", func(p string, v ast.Node) {
			if f := d.number(p, v); f != nil {
				r.Jitter = *f
			}
		}},
		{"retry_after_max", func(p string, v ast.Node) { r.RetryAfterMax = d.duration(p, v) }},
	})
}

func (d *decoder) health(path string, n ast.Node, h *Health) {
	d.object(path, n, false, []field{
		{"window", func(p string, v ast.Node) { h.Window = d.duration(p, v) }},
		{"min_samples", func(p string, v ast.Node) { h.MinSamples = d.smallInt(p, v) }},
		{"failure_threshold", func(p string, v ast.Node) { h.FailureThreshold = d.smallInt(p, v) }},
		{"rate_limit_threshold", func(p string, v ast.Node) { h.RateLimitThreshold = d.smallInt(p, v) }},
		{"rate_limit_window", func(p string, v ast.Node) { h.RateLimitWindow = d.duration(p, v) }},
		{"cooldown", func(p string, v ast.Node) { h.Cooldown = d.duration(p, v) }},
		{"rate_limit_cooldown", func(p string, v ast.Node) { h.RateLimitCooldown = d.duration(p, v) }},
		{"auth_cooldown", func(p string, v ast.Node) { h.AuthCooldown = d.duration(p, v) }},
	})
}

func (d *decoder) auto(path string, n ast.Node, a *Auto) {
	d.object(path, n, false, []field{
		{"policy", func(p string, v ast.Node) { a.Policy = d.str(p, v) }},
		{"candidates", func(p string, v ast.Node) { a.Candidates = d.strList(p, v) }},
		{"max_targets", func(p string, v ast.Node) { a.MaxTargets = d.smallInt(p, v) }},
	})
}

func (d *decoder) route(path string, n ast.Node) Route {
	var r Route
	d.object(path, n, false, []field{
		{"name", func(p string, v ast.Node) { r.Name = d.str(p, v) }},
		{"match", func(p string, v ast.Node) {
			d.object(p, v, false, []field{
				{"models", func(p string, v ast.Node) { r.Match.Models = d.strList(p, v) }},
				{"keys", func(p string, v ast.Node) { r.Match.Keys = d.strList(p, v) }},
				{"labels", func(p string, v ast.Node) { r.Match.Labels = d.strMap(p, v) }},
				{"ingress", func(p string, v ast.Node) { r.Match.Ingress = d.strList(p, v) }},
				{"tags", func(p string, v ast.Node) { r.Match.Tags = d.strList(p, v) }},
			})
		}},
		{"strategy", func(p string, v ast.Node) { r.Strategy = d.str(p, v) }},
		{"policy", func(p string, v ast.Node) { r.Policy = d.str(p, v) }},
		{"targets", func(p string, v ast.Node) {
			items, _ := d.list(p, v)
			for i, item := range items {
				r.Targets = append(r.Targets, d.routeTarget(index(p, i), item))
			}
		}},
		{"retry", func(p string, v ast.Node) { d.retry(p, v, &r.Retry) }},
		{"responses", func(p string, v ast.Node) { r.Responses = d.str(p, v) }},
	})
	return r
}

func (d *decoder) routeTarget(path string, n ast.Node) RouteTarget {
	var t RouteTarget
	d.object(path, n, false, []field{
		{"model", func(p string, v ast.Node) { t.Model = d.str(p, v) }},
		{"provider", func(p string, v ast.Node) { t.Provider = d.str(p, v) }},
		{"upstream_model", func(p string, v ast.Node) { t.UpstreamModel = d.str(p, v) }},
		{"weight", func(p string, v ast.Node) { t.Weight = d.weight(p, v) }},
		{"priority", func(p string, v ast.Node) { t.Priority = d.smallInt(p, v) }},
	})
	return t
}

func (d *decoder) credential(path string, n ast.Node) Credential {
	var c Credential
	d.object(path, n, false, []field{
		{"name", func(p string, v ast.Node) { c.Name = d.str(p, v) }},
		{"api_key", func(p string, v ast.Node) { c.APIKey = d.str(p, v) }},
		{"weight", func(p string, v ast.Node) { c.Weight = d.weight(p, v) }},
	})
	return c
}

// weight decodes a selection weight. A written 0 is refused here, where
// its line is known: after decoding it would be indistinguishable from an
// absent weight, which means 1.
func (d *decoder) weight(path string, n ast.Node) int {
	w := d.smallInt(path, n)
	if (w < 1 || w > 1000) && !d.errs.bad[path] {
		d.fail(n, path, "must be between 1 and 1000 (remove the entry to stop using it)")
		return 0
	}
	return w
}
