package route

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Query describes a request for Explain. Needs are given, not detected.
type Query struct {
	Model   string
	Key     *pipeline.Key  // nil: no key (key rules do not match, no allowlist applies)
	Ingress pipeline.Shape // "" = openai
	Tag     string         // X-Nexus-Route-Tag value
	Stream  bool
	// What the request would contain.
	Tools, Images, JSONSchema, Reasoning bool
	PromptTokens                         int // estimated prompt size; 0 = small
}

// TargetRef names a target.
type TargetRef struct {
	Model         string // client-facing model code
	Provider      string
	UpstreamModel string
}

func (t TargetRef) String() string { return t.Model + " via " + t.Provider + "/" + t.UpstreamModel }

func (t *target) ref() TargetRef {
	return TargetRef{Model: t.model.Name, Provider: t.model.Provider, UpstreamModel: t.model.UpstreamModel}
}

// RuleCheck is one rule as evaluated for the request.
type RuleCheck struct {
	Name    string
	Matched bool
	Why     string // why it did not match
}

// Exclusion is a configured target the request would not use, and why.
type Exclusion struct {
	Target TargetRef
	Reason string
}

// PlannedTarget is one target of the plan, in order.
type PlannedTarget struct {
	TargetRef
	// FirstShare is the chance that this target is tried first: the weight
	// share for weighted rules, 1/n for round robin, 1 or 0 otherwise.
	FirstShare  float64
	Weight      int // from a weighted rule; 0 otherwise
	Priority    int
	Tier        int
	Price       float64 // blended USD per 1M tokens; valid when Priced
	Priced      bool
	Health      Snapshot
	Credentials []CredentialInfo
}

// Explanation is what Explain reports: the same planning the request path
// runs, with the reasons it records only here.
type Explanation struct {
	Query    Query
	Rules    []RuleCheck // evaluated in order, up to the first match
	Rule     string      // matched rule; "" for a catalogue or default-auto route
	Route    string      // one line: which route and strategy
	Reason   string      // auto: why the first target was chosen
	Targets  []PlannedTarget
	Excluded []Exclusion
	Retry    RetryPolicy
	// Error is what the client would get when no target remains.
	Error *canonical.Error
}

// Explain plans q without sending anything and reports the ordered targets
// and, for every other configured target, why it is not used. It changes no
// state: no round-robin turn, no random draw (weighted groups are shown
// heaviest first, with their odds).
func (r *Router) Explain(in Query) *Explanation {
	q := query{model: in.Model, key: in.Key, ingress: in.Ingress, endpoint: pipeline.EndpointChat, tag: in.Tag,
		stream: in.Stream, translatable: true, size: in.PromptTokens * 4}
	if q.ingress == "" {
		q.ingress = pipeline.ShapeOpenAI
	}
	if q.ingress == pipeline.ShapeResponses {
		q.endpoint = pipeline.EndpointResponses // only the rule's mode decides: there is no body to guard
	}
	q.known = needTools | needImages | needJSONSchema | needReasoning
	for _, f := range []struct {
		on bool
		n  need
	}{{in.Tools, needTools}, {in.Images, needImages}, {in.JSONSchema, needJSONSchema}, {in.Reasoning, needReasoning}} {
		if f.on {
			q.set |= f.n
		}
	}
	var p plan
	tr := &trace{}
	targets, err := r.plan(&q, &p, nil, tr)
	e := &Explanation{Query: in, Rules: tr.rules, Excluded: tr.excluded, Reason: p.reason, Retry: r.retry}
	if p.retry != nil {
		e.Retry = *p.retry
	}
	if err != nil {
		e.Error = canonical.As(err)
	}
	now := r.now()
	switch {
	case p.rule != nil:
		e.Rule = p.rule.Name
		e.Route = fmt.Sprintf("rule %q, strategy %s", p.rule.Name, p.rule.Strategy)
		if p.auto {
			e.Route += " (" + string(p.mode) + ")"
		}
	case p.auto:
		e.Route = "smart router, policy " + string(p.mode) + " (no rule matched)"
	case p.model != nil:
		e.Route = fmt.Sprintf("catalogue entry of %q (no rule matched)", p.model.Name)
	default:
		e.Route = "none: no rule matched and no model has this name"
	}
	if p.forced {
		e.Route += "; every target's circuit is open, so all are tried anyway"
	}
	for _, t := range targets {
		pt := PlannedTarget{TargetRef: t.ref(), Tier: t.tier, Price: t.price, Priced: t.priced,
			Health: t.h.snapshot(now), Credentials: t.prov.info(now)}
		if p.rule != nil && !p.auto {
			pt.Priority = p.rule.priorityOf(t)
			if p.rule.Strategy == StrategyWeighted {
				pt.Weight = p.rule.weightOf(t)
			}
			pt.FirstShare = p.rule.firstShare(t, targets[0])
		} else if t == targets[0] {
			pt.FirstShare = 1
		}
		e.Targets = append(e.Targets, pt)
	}
	r.explainOthers(e, &p)
	return e
}

// explainOthers adds every configured target the plan neither uses nor
// already excluded, with the reason it was never a candidate.
func (r *Router) explainOthers(e *Explanation, p *plan) {
	seen := map[TargetRef]bool{}
	for _, t := range e.Targets {
		seen[t.TargetRef] = true
	}
	for _, x := range e.Excluded {
		seen[x.Target] = true
	}
	why := map[string]string{}
	for _, c := range e.Rules {
		why[c.Name] = c.Why
	}
	for _, t := range r.allTargets() {
		ref := t.ref()
		if seen[ref] {
			continue
		}
		seen[ref] = true
		e.Excluded = append(e.Excluded, Exclusion{Target: ref, Reason: r.otherReason(t, p, why)})
	}
}

// allTargets lists served models' targets, then hidden rule targets.
func (r *Router) allTargets() []*target {
	var out []*target
	for _, t := range r.targets {
		if !t.model.Hidden {
			out = append(out, t)
		}
	}
	for _, t := range r.targets {
		if t.model.Hidden {
			out = append(out, t)
		}
	}
	return out
}

func (r *Router) otherReason(t *target, p *plan, ruleWhy map[string]string) string {
	for _, cr := range r.rules {
		if cr == p.rule || !cr.lists(t) {
			continue
		}
		why, evaluated := ruleWhy[cr.Name]
		if !evaluated {
			return fmt.Sprintf("a target of rule %q, which was not evaluated (rule %q matched first)", cr.Name, p.rule.Name)
		}
		return fmt.Sprintf("a target of rule %q, which did not match: %s", cr.Name, why)
	}
	switch {
	case p.rule != nil && p.auto && len(p.rule.targets) > 0:
		return fmt.Sprintf("not an auto candidate of rule %q", p.rule.Name)
	case p.auto && t.model.Type == "embedding":
		return "an embedding model is no auto candidate"
	case p.auto:
		return "not an auto candidate (outside auto.candidates)"
	case p.rule != nil:
		return fmt.Sprintf("rule %q does not list it", p.rule.Name)
	case p.model != nil:
		return fmt.Sprintf("the request names %q, served by its own catalogue entry", p.model.Name)
	}
	return "no rule or model routes this request to it"
}

func (cr *rule) lists(t *target) bool {
	for _, rt := range cr.targets {
		if rt.t == t {
			return true
		}
	}
	return false
}

func (cr *rule) priorityOf(t *target) int {
	for _, rt := range cr.targets {
		if rt.t == t {
			return rt.priority
		}
	}
	return 0
}

// WriteText renders the explanation for a terminal.
func (e *Explanation) WriteText(w io.Writer) error {
	var b strings.Builder
	q := e.Query
	line := func(label, format string, args ...any) {
		fmt.Fprintf(&b, "%-9s %s\n", label, fmt.Sprintf(format, args...))
	}
	key := "none"
	if q.Key != nil {
		key = q.Key.Name
		if key == "" {
			key = q.Key.ID
		}
		if len(q.Key.AllowedModels) > 0 {
			key += " (allowlist " + list(q.Key.AllowedModels) + ")"
		}
	}
	ingress := q.Ingress
	if ingress == "" {
		ingress = pipeline.ShapeOpenAI
	}
	line("request", "model %s, key %s, ingress %s, tag %s, needs %s", q.Model, key, ingress, orDash(q.Tag), needsText(q))
	for i, c := range e.Rules {
		label := ""
		if i == 0 {
			label = "rules"
		}
		if c.Matched {
			line(label, "%d. %s: match", i+1, c.Name)
		} else {
			line(label, "%d. %s: no match (%s)", i+1, c.Name, c.Why)
		}
	}
	if len(e.Rules) == 0 {
		line("rules", "none configured")
	}
	line("route", "%s", e.Route)
	if e.Reason != "" {
		line("reason", "%s", e.Reason)
	}
	line("retry", "%s", e.Retry)
	for i, t := range e.Targets {
		label := ""
		if i == 0 {
			label = "targets"
		}
		odds := ""
		if t.FirstShare > 0 && t.FirstShare < 1 {
			odds = fmt.Sprintf("  first in %.0f%% of requests", t.FirstShare*100)
		}
		line(label, "%d. %s%s  %s", i+1, t.TargetRef, odds, t.details())
	}
	for i, x := range e.Excluded {
		label := ""
		if i == 0 {
			label = "excluded"
		}
		line(label, "%s: %s", x.Target, x.Reason)
	}
	if e.Error != nil {
		line("result", "%d %s: %s", e.Error.Status, e.Error.Code, e.Error.Message)
	} else if len(e.Targets) > 0 {
		line("result", "served by %s unless it fails", e.Targets[0].TargetRef)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func (t *PlannedTarget) details() string {
	var parts []string
	if t.Weight > 0 {
		parts = append(parts, fmt.Sprintf("weight %d", t.Weight))
	}
	if t.Priority != 0 {
		parts = append(parts, fmt.Sprintf("priority %d", t.Priority))
	}
	price := "unpriced"
	if t.Priced {
		price = fmt.Sprintf("$%.3g/M", t.Price)
	}
	parts = append(parts, fmt.Sprintf("tier %d", t.Tier), price, t.Health.Class, "circuit "+t.Health.Circuit)
	if t.Health.Latency > 0 {
		parts = append(parts, "latency "+t.Health.Latency.Round(time.Millisecond).String())
	}
	if len(t.Credentials) > 1 {
		var cs []string
		for _, c := range t.Credentials {
			s := fmt.Sprintf("%s:%d", c.Name, c.Weight)
			if !c.BenchedUntil.IsZero() {
				s += " benched (" + c.Reason + ")"
			}
			cs = append(cs, s)
		}
		parts = append(parts, "credentials "+strings.Join(cs, ","))
	}
	return strings.Join(parts, "  ")
}

func needsText(q Query) string {
	var n []string
	for _, f := range []struct {
		on   bool
		name string
	}{{q.Stream, "stream"}, {q.Tools, CapTools}, {q.Images, CapVision}, {q.JSONSchema, CapJSONSchema}, {q.Reasoning, "reasoning"}} {
		if f.on {
			n = append(n, f.name)
		}
	}
	if q.PromptTokens > 0 {
		n = append(n, fmt.Sprintf("%d prompt tokens", q.PromptTokens))
	}
	if len(n) == 0 {
		return "nothing special"
	}
	return strings.Join(n, ", ")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
