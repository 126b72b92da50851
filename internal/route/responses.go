package route

import (
	"fmt"
	"net/http"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/format/responses"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// ResponsesMode says how a rule serves /v1/responses requests for targets
// that do not serve the Responses API natively (SPEC §5.8).
type ResponsesMode string

const (
	// ResponsesNative (the default) serves Responses requests only with
	// targets that speak the Responses API: a request whose primary target
	// does not is refused with responses_not_supported.
	ResponsesNative ResponsesMode = "native"
	// ResponsesDowngrade also lets chat targets serve stateless requests:
	// the request is translated to chat and the answer back. Stateful ones
	// (previous_response_id, store, built-in tools, …) are still refused by
	// the guard, with a 400 naming the parameter.
	ResponsesDowngrade ResponsesMode = "downgrade"
)

// responsesTargets applies the Responses routability rule to the planned
// targets. The decision is made against the primary target (the first one):
//   - primary not native: refused, unless the rule allows the downgrade
//     and the guard passes; then every target may serve;
//   - primary native: native targets serve; a chat target stays only as a
//     fallback the request could be downgraded to (the rule allows it and
//     the guard passes), so a failover never silently drops stored state.
//
// The guard reads the body once, and only when a chat target is involved.
func responsesTargets(q *query, p *plan, out []*target, tr *trace) ([]*target, error) {
	if q.endpoint != pipeline.EndpointResponses || len(out) == 0 {
		return out, nil
	}
	downgrade := p.rule != nil && p.rule.Responses == ResponsesDowngrade
	var refused *canonical.Error
	guarded := false
	guard := func() *canonical.Error {
		if !guarded && q.x != nil { // Explain has no body: only the mode counts
			guarded = true
			refused = responses.Guard(q.x.Body)
		}
		return refused
	}
	if primary := out[0]; !primary.pt.Responses {
		if !downgrade {
			return nil, notNative(primary)
		}
		if e := guard(); e != nil {
			return nil, e
		}
		return out, nil
	}
	keep := out[:0]
	for _, t := range out {
		switch {
		case t.pt.Responses:
		case !downgrade:
			if tr != nil {
				tr.exclude(t, "does not serve the Responses API natively and the rule does not allow responses: downgrade")
			}
			continue
		case guard() != nil:
			if tr != nil {
				tr.exclude(t, "does not serve the Responses API natively, and the request cannot be downgraded: "+refused.Message)
			}
			continue
		}
		keep = append(keep, t)
	}
	return keep, nil
}

// notNative is the default refusal of a Responses request whose primary
// target speaks only chat (SPEC §5.8): Responses-shaped, naming the provider
// and the way out.
func notNative(t *target) *canonical.Error {
	return &canonical.Error{
		Kind: canonical.KindEndpointUnsupported, Status: http.StatusBadRequest,
		Code: "responses_not_supported", Type: "invalid_request_error", Param: "model",
		Message: fmt.Sprintf("model %q is served by provider %q (%s), which does not serve the Responses API natively",
			t.model.Name, t.model.Provider, t.model.ProviderType),
		Hint: "use /v1/chat/completions, a model of an openai or azure-openai provider, " +
			"or a route with responses: downgrade (stateless requests only)",
	}
}
