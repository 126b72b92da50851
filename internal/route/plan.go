package route

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// plan is how one request is routed; the ordered targets are returned
// beside it (kept out of the struct so the caller's backing array can stay
// on its stack).
type plan struct {
	rule   *rule  // nil: catalogue entry or default "auto"
	model  *Model // the served model the request names, if any
	retry  *RetryPolicy
	auto   bool
	mode   AutoMode
	reason string // why "auto" chose (X-Nexus-Route-Reason)
	forced bool   // every target's circuit is open: try them regardless
}

// trace collects what Explain reports; nil on the request path, where
// planning records nothing.
type trace struct {
	rules    []RuleCheck
	excluded []Exclusion
}

// exclude records why t was dropped. Callers check tr != nil first so the
// request path never builds the text.
func (tr *trace) exclude(t *target, why string) {
	tr.excluded = append(tr.excluded, Exclusion{Target: t.ref(), Reason: why})
}

// plan fills p for q and appends the ordered targets to dst: rule,
// candidates, then the filters in SPEC §7.4 order — key allowlist,
// capabilities, open circuits — and health ordering. Serve and Explain both
// call it; only Explain passes a trace.
func (r *Router) plan(q *query, p *plan, dst []*target, tr *trace) ([]*target, error) {
	now := r.now()
	m := r.models[q.model]
	p.model, p.retry, p.mode = m, &r.retry, r.auto.Policy
	for _, c := range r.rules {
		why := c.mismatch(q, m, tr != nil)
		if tr != nil {
			tr.rules = append(tr.rules, RuleCheck{Name: c.Name, Matched: why == "", Why: why})
		}
		if why == "" {
			p.rule = c
			break
		}
	}
	cands := dst[:0]
	switch cr := p.rule; {
	case cr != nil && cr.Strategy == StrategyAuto:
		p.auto, p.mode, p.retry = true, cr.policy, &cr.retry
		cands = r.autoCandidates(cr, cands)
	case cr != nil:
		p.retry = &cr.retry
		cands = r.order(cr, cands, tr != nil)
	case q.model == AutoModel:
		p.auto = true
		cands = r.autoCandidates(nil, cands)
	case m != nil:
		cands = append(cands, r.byModel[m])
	}
	if len(cands) == 0 {
		return nil, canonical.Errorf(canonical.KindInvalidRequest, http.StatusNotFound, "model_not_found",
			"the model %q does not exist or is not served by this gateway", q.model).WithParam("model")
	}

	out := cands[:0]
	for _, t := range cands {
		if q.key != nil && !Allowed(q.key.AllowedModels, t.model) {
			if tr != nil {
				tr.exclude(t, "key allowlist "+list(q.key.AllowedModels)+" does not admit it")
			}
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, canonical.Errorf(canonical.KindAuth, http.StatusForbidden, "MODEL_NOT_ALLOWED",
			"this virtual key may not use the model %q (nor any target it routes to)", q.model).WithParam("model")
	}

	cands, out = out, out[:0]
	var first string
	var lacking []string // "capability (model)", for the refusal
	for _, t := range cands {
		if c := t.missing(q); c != "" {
			if first == "" {
				first = c
			}
			lacking = append(lacking, c+" ("+t.model.Name+")")
			if tr != nil {
				tr.exclude(t, "cannot serve this request: "+capabilityText(c, q))
			}
			continue
		}
		out = append(out, t)
	}
	if len(out) == 0 {
		return nil, refusal(q, first, lacking)
	}

	if p.auto {
		p.reason = r.rankAuto(p.mode, q, out)
		if len(out) > r.auto.MaxTargets {
			if tr != nil {
				for _, t := range out[r.auto.MaxTargets:] {
					tr.exclude(t, fmt.Sprintf("auto (%s) ranked it below the first %d", p.mode, r.auto.MaxTargets))
				}
			}
			out = out[:r.auto.MaxTargets]
		}
	}

	out, err := responsesTargets(q, p, out, tr)
	if err != nil {
		return nil, err
	}

	// Open circuits re-route traffic, they never refuse it on their own:
	// when every remaining target's circuit is open (a single-target model
	// whose provider is failing, say) all of them are tried anyway, as the
	// provider's own error is a better answer than a gateway refusal.
	open := 0
	for _, t := range out {
		if o, _ := t.h.open(now); o {
			open++
		}
	}
	if open == len(out) {
		p.forced = true
	} else if open > 0 {
		cands, out = out, out[:0]
		for _, t := range cands {
			if o, until := t.h.open(now); o {
				if tr != nil {
					tr.exclude(t, "circuit open until "+until.UTC().Format(time.RFC3339))
				}
				continue
			}
			out = append(out, t)
		}
	}
	if len(out) > 1 {
		// Healthy first, then degraded, then unhealthy; stable, so the
		// strategy's order holds within a class.
		sortBy(out, func(t *target) float64 { return classRank(t.h.class(now)) })
	}
	return out, nil
}

func classRank(c string) float64 {
	switch c {
	case Degraded:
		return 1
	case Unhealthy:
		return 2
	}
	return 0
}

// refusal is the 400 for a request no remaining target can serve: it names
// the capability, never silently downgrading the request.
func refusal(q *query, first string, lacking []string) *canonical.Error {
	e := &canonical.Error{Kind: canonical.KindNoCompatible, Status: http.StatusBadRequest,
		Code: "no_compatible_provider", Type: "no_compatible_provider", Param: first,
		Message: fmt.Sprintf("no target for model %q can serve this request: %s", q.model, capabilityText(first, q))}
	if len(lacking) > 1 {
		e.Hint = "targets lacking a capability: " + strings.Join(lacking, ", ")
	}
	return e
}

func capabilityText(c string, q *query) string {
	switch c {
	case CapTools:
		return "it uses tools (function calling), which the model does not support"
	case CapVision:
		return "it contains images, which the model does not accept"
	case CapJSONSchema:
		return "it asks for JSON-schema structured output, which the model does not support"
	case CapStreaming:
		return "it asks for a stream, which the model does not support"
	case CapContextWindow:
		return fmt.Sprintf("the prompt (about %d tokens) exceeds the model's context window", q.size/4)
	case CapIngressShape:
		return fmt.Sprintf("requests of the %s shape cannot be translated to the model's wire", q.ingress)
	case CapEndpoint:
		return fmt.Sprintf("the model does not serve %s requests", endpointName(q))
	}
	return "it needs " + c
}

func endpointName(q *query) string {
	if q.endpoint == "" {
		return "chat"
	}
	return string(q.endpoint)
}
