package config

import (
	"slices"
	"strings"
	"time"
	"unicode"
)

// Closed vocabularies of the routing keys; the route package implements
// each value (validation here keeps config free of a dependency on it).
var (
	routeStrategies = []string{"priority", "weighted", "round_robin", "latency", "cost", "auto"}
	autoPolicies    = []string{"cheapest", "balanced", "quality"}
	retryClasses    = []string{"network", "timeout", "429", "5xx"}
	ingressShapes   = []string{"openai", "anthropic", "gemini", "openai-responses"}
	responsesModes  = []string{"native", "downgrade"}
)

// inFile reports whether path was written in the file. Without a source
// (a Config built by hand) every field counts as written.
func (c *Config) inFile(path string) bool {
	if c.src == nil || c.src.file == SourceDefaults {
		return true
	}
	_, ok := c.src.lines[path]
	return ok
}

// applyRoutingDefaults fills the retry, health and auto blocks, and merges
// each route's retry keys over the global retry block.
func (c *Config) applyRoutingDefaults() {
	r := &c.Retry
	if r.Attempts == 0 {
		r.Attempts = DefaultRetryAttempts
	}
	if r.On == nil {
		r.On = slices.Clone(retryClasses)
	}
	fillDur(&r.Backoff, DefaultRetryBackoff)
	fillDur(&r.BackoffMax, DefaultRetryBackoffMax)
	fillDur(&r.RetryAfterMax, DefaultRetryAfterMax)
	// A written "jitter: 0" means none; only an absent one takes the default.
	if r.Jitter == 0 && (c.src == nil || !hasLine(c.src, "retry.jitter")) {
		r.Jitter = DefaultRetryJitter
	}

	h := &c.Health
	fillDur(&h.Window, DefaultHealthWindow)
	fillDur(&h.RateLimitWindow, DefaultRateLimitWindow)
	fillDur(&h.Cooldown, DefaultCooldown)
	fillDur(&h.RateLimitCooldown, DefaultRateLimitCooldown)
	fillDur(&h.AuthCooldown, DefaultAuthCooldown)
	fillInt(&h.MinSamples, DefaultMinSamples)
	fillInt(&h.FailureThreshold, DefaultFailureThreshold)
	fillInt(&h.RateLimitThreshold, DefaultRateLimitThreshold)

	if c.Auto.Policy == "" {
		c.Auto.Policy = DefaultAutoPolicy
	}
	fillInt(&c.Auto.MaxTargets, DefaultAutoMaxTargets)

	for i := range c.Routes {
		rt := &c.Routes[i]
		if rt.Strategy == "" {
			rt.Strategy = "priority"
		}
		if rt.Responses == "" {
			rt.Responses = "native"
		}
		if rt.Strategy == "auto" && rt.Policy == "" {
			rt.Policy = c.Auto.Policy
		}
		for j := range rt.Targets {
			fillInt(&rt.Targets[j].Weight, 1)
		}
		own := rt.Retry
		rt.Retry = c.Retry
		rt.Retry.On = slices.Clone(c.Retry.On)
		if own.Attempts != 0 {
			rt.Retry.Attempts = own.Attempts
		}
		if own.On != nil {
			rt.Retry.On = own.On
		}
		if own.Backoff != 0 {
			rt.Retry.Backoff = own.Backoff
		}
		if own.BackoffMax != 0 {
			rt.Retry.BackoffMax = own.BackoffMax
		}
		if own.RetryAfterMax != 0 {
			rt.Retry.RetryAfterMax = own.RetryAfterMax
		}
		if own.Jitter != 0 || (c.src != nil && hasLine(c.src, index("routes", i)+".retry.jitter")) {
			rt.Retry.Jitter = own.Jitter
		}
	}
	for i := range c.Providers {
		for j := range c.Providers[i].Credentials {
			fillInt(&c.Providers[i].Credentials[j].Weight, 1)
		}
	}
}

func hasLine(s *source, path string) bool {
	_, ok := s.lines[path]
	return ok
}

func fillDur(v *time.Duration, def time.Duration) {
	if *v == 0 {
		*v = def
	}
}

func fillInt(v *int, def int) {
	if *v == 0 {
		*v = def
	}
}

// checkRouting validates routes, retry, health and auto.
func (c *Config) checkRouting(e *errs) {
	checkRetry(e, "retry", c.Retry, func(string) bool { return true })
	h := c.Health
	for _, f := range []struct {
		key string
		bad bool
	}{
		{"window", h.Window < 0}, {"rate_limit_window", h.RateLimitWindow < 0}, {"cooldown", h.Cooldown < 0},
		{"rate_limit_cooldown", h.RateLimitCooldown < 0}, {"auth_cooldown", h.AuthCooldown < 0},
		{"min_samples", h.MinSamples < 0}, {"failure_threshold", h.FailureThreshold < 0}, {"rate_limit_threshold", h.RateLimitThreshold < 0},
	} {
		if f.bad {
			e.add("health."+f.key, "must not be negative")
		}
	}
	if !slices.Contains(autoPolicies, c.Auto.Policy) {
		e.add("auto.policy", "want one of %s, got %s", strings.Join(autoPolicies, ", "), quoteShort(c.Auto.Policy))
	}
	if c.Auto.MaxTargets < 1 || c.Auto.MaxTargets > 10 {
		e.add("auto.max_targets", "want 1 to 10")
	}
	checkGlobs(e, "auto.candidates", c.Auto.Candidates)

	names := map[string]string{}
	catchAll := ""
	for i, rt := range c.Routes {
		path := index("routes", i)
		switch {
		case rt.Name == "":
			e.empty(path+".name", "required (explain and logs refer to rules by name)")
		case names[rt.Name] != "":
			e.add(path+".name", "duplicate route name %q (already used by %s)", rt.Name, names[rt.Name])
		default:
			names[rt.Name] = path
		}
		if catchAll != "" {
			e.add(path, "unreachable: %s above matches every request (rules are tried in order; move it last)", catchAll)
		}
		if rt.Match.isEmpty() {
			catchAll = path
		}
		c.checkRoute(e, path, rt)
	}
}

func (m RouteMatch) isEmpty() bool {
	return len(m.Models) == 0 && len(m.Keys) == 0 && len(m.Labels) == 0 && len(m.Ingress) == 0 && len(m.Tags) == 0
}

func (c *Config) checkRoute(e *errs, path string, rt Route) {
	checkGlobs(e, path+".match.models", rt.Match.Models)
	checkGlobs(e, path+".match.keys", rt.Match.Keys)
	checkGlobs(e, path+".match.tags", rt.Match.Tags)
	for j, s := range rt.Match.Ingress {
		if !slices.Contains(ingressShapes, s) {
			e.add(index(path+".match.ingress", j), "want one of %s, got %s", strings.Join(ingressShapes, ", "), quoteShort(s))
		}
	}
	if !slices.Contains(routeStrategies, rt.Strategy) {
		e.add(path+".strategy", "want one of %s, got %s", strings.Join(routeStrategies, ", "), quoteShort(rt.Strategy))
	}
	switch {
	case rt.Policy != "" && rt.Strategy != "auto":
		e.add(path+".policy", "only for strategy auto")
	case rt.Strategy == "auto" && !slices.Contains(autoPolicies, rt.Policy):
		e.add(path+".policy", "want one of %s, got %s", strings.Join(autoPolicies, ", "), quoteShort(rt.Policy))
	}
	if !slices.Contains(responsesModes, rt.Responses) {
		e.add(path+".responses", "want one of %s, got %s", strings.Join(responsesModes, ", "), quoteShort(rt.Responses))
	}
	if len(rt.Targets) == 0 && rt.Strategy != "auto" {
		e.empty(path+".targets", "at least one target is required (only strategy auto may leave them out)")
	}
	for j, t := range rt.Targets {
		c.checkRouteTarget(e, index(path+".targets", j), t)
	}
	checkRetry(e, path+".retry", rt.Retry, func(key string) bool { return c.inFile(path + ".retry." + key) })
}

func (c *Config) checkRouteTarget(e *errs, path string, t RouteTarget) {
	switch {
	case t.Model != "" && (t.Provider != "" || t.UpstreamModel != ""):
		e.add(path, "give either model, or provider and upstream_model, not both")
	case t.Model != "":
		if !c.servesModel(t.Model) {
			e.add(path+".model", "no served model or alias is called %s", quoteShort(t.Model))
		}
	case t.Provider == "" && t.UpstreamModel == "":
		e.add(path, "needs model, or provider and upstream_model")
	case t.Provider == "":
		e.empty(path+".provider", "required with upstream_model")
	case t.UpstreamModel == "":
		e.empty(path+".upstream_model", "required with provider")
	default:
		if _, ok := c.Provider(t.Provider); !ok {
			e.add(path+".provider", "unknown provider %s (configured: %s)", quoteShort(t.Provider), c.providerNames())
		}
	}
	if t.Weight < 0 || t.Weight > 1000 {
		e.add(path+".weight", "must be between 1 and 1000")
	}
	if t.Priority < -1000 || t.Priority > 1000 {
		e.add(path+".priority", "want -1000 to 1000")
	}
}

// checkRetry validates a retry policy; only keys that pass check are
// looked at (a route reports its own keys, not the inherited ones).
func checkRetry(e *errs, path string, r Retry, check func(key string) bool) {
	if check("attempts") && (r.Attempts < 1 || r.Attempts > 5) {
		e.add(path+".attempts", "want 1 to 5 attempts per target")
	}
	if check("on") {
		for j, v := range r.On {
			switch {
			case !slices.Contains(retryClasses, v):
				e.add(index(path+".on", j), "want one of %s, got %s", strings.Join(retryClasses, ", "), quoteShort(v))
			case slices.Contains(r.On[:j], v):
				e.add(index(path+".on", j), "%q listed twice", v)
			}
		}
	}
	for _, f := range []struct {
		key string
		bad bool
	}{{"backoff", r.Backoff < 0}, {"backoff_max", r.BackoffMax < 0}, {"retry_after_max", r.RetryAfterMax < 0}} {
		if f.bad && check(f.key) {
			e.add(path+"."+f.key, "must not be negative")
		}
	}
	if check("backoff_max") && r.BackoffMax >= 0 && r.BackoffMax < r.Backoff {
		e.add(path+".backoff_max", "must not be below backoff (%s)", r.Backoff)
	}
	if check("jitter") && (r.Jitter < 0 || r.Jitter > 1) {
		e.add(path+".jitter", "want a fraction from 0 to 1")
	}
}

func checkGlobs(e *errs, path string, globs []string) {
	for j, g := range globs {
		if strings.TrimSpace(g) == "" {
			e.add(index(path, j), "must not be empty")
		}
	}
}

// checkCredentials validates a provider's credentials list. Keys are
// secrets and are never quoted.
func checkCredentials(e *errs, path string, creds []Credential) {
	seen := map[string]string{}
	for j, cr := range creds {
		cp := index(path, j)
		switch {
		case cr.Name == "":
			e.empty(cp+".name", "required")
		case !validProviderName(cr.Name):
			e.add(cp+".name", "%s: use lower-case letters, digits, _ and - only", quoteShort(cr.Name))
		case seen[cr.Name] != "":
			e.add(cp+".name", "duplicate credential name %q (already used by %s)", cr.Name, seen[cr.Name])
		default:
			seen[cr.Name] = cp
		}
		switch {
		case cr.APIKey == "":
			e.empty(cp+".api_key", "required")
		case strings.ContainsFunc(cr.APIKey, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
			e.add(cp+".api_key", "contains whitespace or control characters (a trailing newline from a key file?)")
		}
		if cr.Weight < 0 || cr.Weight > 1000 {
			e.add(cp+".weight", "must be between 1 and 1000")
		}
	}
}

// TargetModel resolves a route target to a model: the served model it
// names (by name or alias, or by provider and upstream id); otherwise a
// model built for the target alone, with catalogue data for its upstream id
// (served false: reachable only through the route, never by name).
func (c *Config) TargetModel(t RouteTarget) (m Model, served bool) {
	for _, m := range c.Models {
		if t.Model != "" && (m.Name == t.Model || slices.Contains(m.Aliases, t.Model)) {
			return m, true
		}
		if t.Model == "" && m.Provider == t.Provider && m.UpstreamModel == t.UpstreamModel {
			return m, true
		}
	}
	m = Model{Name: t.UpstreamModel, Provider: t.Provider, UpstreamModel: t.UpstreamModel}
	c.completeModel(&m)
	return m, false
}
