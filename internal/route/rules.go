package route

import (
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// AutoModel is the requested model that asks the smart router to choose.
const AutoModel = "auto"

// Strategy names how a rule orders its targets.
type Strategy string

const (
	StrategyPriority   Strategy = "priority"    // listed order (default)
	StrategyWeighted   Strategy = "weighted"    // weighted random order
	StrategyRoundRobin Strategy = "round_robin" // rotate the first target per request
	StrategyLatency    Strategy = "latency"     // lowest observed latency first
	StrategyCost       Strategy = "cost"        // lowest catalogue price first, unpriced last
	StrategyAuto       Strategy = "auto"        // the smart router ranks the candidates
)

// Strategies lists every strategy, for validation messages.
func Strategies() []Strategy {
	return []Strategy{StrategyPriority, StrategyWeighted, StrategyRoundRobin, StrategyLatency, StrategyCost, StrategyAuto}
}

// Rule routes the requests it matches to its targets. Rules are tried in
// order and the first match wins.
type Rule struct {
	Name     string
	Match    Match
	Strategy Strategy // "" = priority
	// Policy is the smart-router policy of a StrategyAuto rule; "" = the
	// default (Options.Auto.Policy).
	Policy AutoMode
	// Targets in configuration order. A StrategyAuto rule may leave them
	// empty: every served chat model is then a candidate.
	Targets []TargetSpec
	Retry   *RetryPolicy // nil = Options.Retry
	// Responses says how the rule serves /v1/responses requests whose
	// target does not serve the Responses API natively: refused (the
	// default) or downgraded to chat when stateless.
	Responses ResponsesMode
}

// Match says which requests a rule takes. Empty fields match everything;
// the non-empty ones must all match.
type Match struct {
	// Models are globs over the requested model string; when it names a
	// served model, its canonical name and aliases are matched too (so a
	// rule for "gpt-4o-mini" also takes requests for its alias "mini").
	Models []string
	Keys   []string          // globs over the virtual key's id or name
	Labels map[string]string // every label must be present with this value
	// Ingress lists the API shapes the request may arrive in.
	Ingress []pipeline.Shape
	// Tags are globs over the X-Nexus-Route-Tag header's comma-separated values.
	Tags []string
}

// TargetSpec names one target of a rule: a served model (by name or
// alias), or a provider and the upstream model id to send.
type TargetSpec struct {
	Model         string
	Provider      string
	UpstreamModel string
	Weight        int // 1–1000; 0 = 1
	Priority      int // lower is tried first; equal priorities form one group
}

// rule is a Rule ready to evaluate.
type rule struct {
	Rule
	index   int
	targets []ruleTarget // sorted by priority, stable
	groups  []int        // start index of each priority group, plus len(targets)
	retry   RetryPolicy
	policy  AutoMode
	rr      atomic.Uint64 // round-robin position
}

type ruleTarget struct {
	t        *target
	weight   int
	priority int
}

func (r *Router) compileRule(i int, in Rule) (*rule, error) {
	cr := &rule{Rule: in, index: i, retry: r.retry, policy: in.Policy}
	if in.Name == "" {
		cr.Name = fmt.Sprintf("rule-%d", i+1)
	}
	if cr.Strategy == "" {
		cr.Strategy = StrategyPriority
	}
	if !validStrategy(cr.Strategy) {
		return nil, fmt.Errorf("route: rule %q: unknown strategy %q", cr.Name, cr.Strategy)
	}
	if cr.policy == "" {
		cr.policy = r.auto.Policy
	}
	if !validMode(cr.policy) {
		return nil, fmt.Errorf("route: rule %q: unknown auto policy %q", cr.Name, cr.policy)
	}
	switch cr.Responses {
	case "":
		cr.Responses = ResponsesNative
	case ResponsesNative, ResponsesDowngrade:
	default:
		return nil, fmt.Errorf("route: rule %q: unknown responses mode %q", cr.Name, cr.Responses)
	}
	if in.Retry != nil {
		cr.retry = in.Retry.withDefaults()
	}
	if len(in.Targets) == 0 && cr.Strategy != StrategyAuto {
		return nil, fmt.Errorf("route: rule %q has no targets", cr.Name)
	}
	for j, ts := range in.Targets {
		t, err := r.resolveTarget(ts)
		if err != nil {
			return nil, fmt.Errorf("route: rule %q target %d: %w", cr.Name, j+1, err)
		}
		w := ts.Weight
		if w <= 0 {
			w = 1
		}
		cr.targets = append(cr.targets, ruleTarget{t: t, weight: w, priority: ts.Priority})
	}
	sort.SliceStable(cr.targets, func(a, b int) bool { return cr.targets[a].priority < cr.targets[b].priority })
	for j := range cr.targets {
		if j == 0 || cr.targets[j].priority != cr.targets[j-1].priority {
			cr.groups = append(cr.groups, j)
		}
	}
	cr.groups = append(cr.groups, len(cr.targets))
	return cr, nil
}

// resolveTarget finds the target a spec names: a served model by name or
// alias, else the model (served or hidden) of that provider and upstream id.
func (r *Router) resolveTarget(ts TargetSpec) (*target, error) {
	if ts.Model != "" {
		m, ok := r.models[ts.Model]
		if !ok {
			return nil, fmt.Errorf("model %q is not served", ts.Model)
		}
		return r.byModel[m], nil
	}
	for _, t := range r.targets {
		if t.model.Provider == ts.Provider && t.model.UpstreamModel == ts.UpstreamModel {
			return t, nil
		}
	}
	return nil, fmt.Errorf("no model of provider %q sends %q (add it to the models or as a hidden model)", ts.Provider, ts.UpstreamModel)
}

func validStrategy(s Strategy) bool {
	for _, v := range Strategies() {
		if s == v {
			return true
		}
	}
	return false
}

// mismatch returns why the rule does not take q ("" when it does). m is
// the served model q names, or nil. Only Explain asks for the reason in
// words (verbose); the request path gets a constant, allocating nothing.
func (cr *rule) mismatch(q *query, m *Model, verbose bool) string {
	const no = "no match"
	mt := &cr.Match
	if len(mt.Models) > 0 && !modelMatches(mt.Models, q.model, m) {
		if !verbose {
			return no
		}
		return fmt.Sprintf("model %q not in %s", q.model, list(mt.Models))
	}
	if len(mt.Ingress) > 0 && !containsShape(mt.Ingress, q.ingress) {
		if !verbose {
			return no
		}
		return fmt.Sprintf("ingress %s not in %s", q.ingress, shapes(mt.Ingress))
	}
	if len(mt.Keys) > 0 && (q.key == nil || !anyGlob(mt.Keys, q.key.ID) && !anyGlob(mt.Keys, q.key.Name)) {
		switch {
		case !verbose:
			return no
		case q.key == nil:
			return "no key, rule wants " + list(mt.Keys)
		}
		return fmt.Sprintf("key %q not in %s", q.key.Name, list(mt.Keys))
	}
	for k, v := range mt.Labels {
		if q.key == nil || q.key.Labels[k] != v {
			if !verbose {
				return no
			}
			return fmt.Sprintf("key label %s is not %q", k, v)
		}
	}
	if len(mt.Tags) > 0 && !tagMatches(mt.Tags, q.tag) {
		switch {
		case !verbose:
			return no
		case q.tag == "":
			return "no " + HeaderRouteTag + ", rule wants " + list(mt.Tags)
		}
		return fmt.Sprintf("tag %q not in %s", q.tag, list(mt.Tags))
	}
	return ""
}

func modelMatches(globs []string, requested string, m *Model) bool {
	if anyGlob(globs, requested) {
		return true
	}
	if m == nil {
		return false
	}
	if anyGlob(globs, m.Name) {
		return true
	}
	for _, a := range m.Aliases {
		if anyGlob(globs, a) {
			return true
		}
	}
	return false
}

func tagMatches(globs []string, header string) bool {
	for header != "" {
		var tag string
		tag, header, _ = strings.Cut(header, ",")
		if tag = strings.TrimSpace(tag); tag != "" && anyGlob(globs, tag) {
			return true
		}
	}
	return false
}

func containsShape(list []pipeline.Shape, s pipeline.Shape) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func list(globs []string) string { return "[" + strings.Join(globs, ", ") + "]" }

func shapes(s []pipeline.Shape) string {
	out := make([]string, len(s))
	for i, v := range s {
		out[i] = string(v)
	}
	return list(out)
}
