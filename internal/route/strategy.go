package route

import (
	"math"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// target is one (provider, model) pair the executor may call, with what
// planning needs to judge it, computed once at start-up.
type target struct {
	model *Model
	prov  *upstream
	pt    pipeline.Target
	key   string  // provider/upstream-model: health is shared per key
	h     *health //
	caps  capSet
	known bool    // features are known (else assumed capable)
	price float64 // blended USD per 1M tokens (3 input : 1 output)
	// priced reports whether price is known.
	priced bool
	tier   int // 1 small, 2 mid, 3 large: from the blended price (auto.go)
}

func newTarget(m *Model, u *upstream, key string, h *health) *target {
	t := &target{model: m, prov: u, key: key, h: h,
		pt: pipeline.Target{Provider: m.Provider, ProviderType: m.ProviderType, Wire: m.Wire, Model: m.Name, UpstreamModel: m.UpstreamModel, Responses: m.Responses}}
	if m.Features != nil {
		t.known = true
		for _, f := range m.Features {
			t.caps |= featureCaps[f]
		}
	}
	switch {
	case m.InputPrice != nil && m.OutputPrice != nil:
		t.price, t.priced = (3**m.InputPrice+*m.OutputPrice)/4, true
	case m.InputPrice != nil:
		t.price, t.priced = *m.InputPrice, true
	}
	t.tier = tierOf(t)
	return t
}

// order appends the rule's targets to dst in the order its strategy gives
// for this request. Priority groups come in ascending priority; the
// strategy orders the targets inside each group. With peek (Explain) it
// changes no state and draws nothing: weighted groups come in their most
// likely order (heaviest first), round robin at its current turn.
func (r *Router) order(cr *rule, dst []*target, peek bool) []*target {
	var turn uint64
	if cr.Strategy == StrategyRoundRobin {
		if peek {
			turn = cr.rr.Load()
		} else {
			turn = cr.rr.Add(1) - 1
		}
	}
	for g := 0; g+1 < len(cr.groups); g++ {
		grp := cr.targets[cr.groups[g]:cr.groups[g+1]]
		start := len(dst)
		switch cr.Strategy {
		case StrategyWeighted:
			if peek {
				for _, rt := range grp {
					dst = append(dst, rt.t)
				}
				sortBy(dst[start:], func(t *target) float64 { return -float64(cr.weightOf(t)) })
				break
			}
			dst = appendWeighted(dst, grp, r.rand)
		case StrategyRoundRobin:
			k := int(turn % uint64(len(grp)))
			for i := range grp {
				dst = append(dst, grp[(k+i)%len(grp)].t)
			}
		default:
			for _, rt := range grp {
				dst = append(dst, rt.t)
			}
		}
		switch cr.Strategy {
		case StrategyLatency:
			sortBy(dst[start:], func(t *target) float64 { return float64(t.h.latencyEWMA()) })
		case StrategyCost:
			sortBy(dst[start:], priceKey)
		}
	}
	return dst
}

// priceKey sorts unpriced targets last.
func priceKey(t *target) float64 {
	if !t.priced {
		return math.Inf(1)
	}
	return t.price
}

// appendWeighted appends grp in weighted random order: the first by weight
// among all, the next by weight among the rest, and so on, so fallbacks
// follow the same odds.
func appendWeighted(dst []*target, grp []ruleTarget, rnd func() float64) []*target {
	if len(grp) > 64 {
		// Beyond a bitmask's reach: fall back to listed order (no rule has
		// that many targets in one group in practice).
		for _, rt := range grp {
			dst = append(dst, rt.t)
		}
		return dst
	}
	var taken uint64
	for range grp {
		total := 0
		for i, rt := range grp {
			if taken&(1<<i) == 0 {
				total += rt.weight
			}
		}
		n := int(rnd() * float64(total))
		for i, rt := range grp {
			if taken&(1<<i) != 0 {
				continue
			}
			if n < rt.weight || i == lastFree(grp, taken) {
				taken |= 1 << i
				dst = append(dst, rt.t)
				break
			}
			n -= rt.weight
		}
	}
	return dst
}

func lastFree(grp []ruleTarget, taken uint64) int {
	for i := len(grp) - 1; i >= 0; i-- {
		if taken&(1<<i) == 0 {
			return i
		}
	}
	return -1
}

// sortBy is a stable insertion sort on a key computed once per target:
// target lists are short, and this allocates nothing.
func sortBy(ts []*target, key func(*target) float64) {
	var buf [16]float64
	keys := buf[:0]
	if len(ts) > len(buf) {
		keys = make([]float64, 0, len(ts))
	}
	for _, t := range ts {
		keys = append(keys, key(t))
	}
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && keys[j] < keys[j-1]; j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

// firstShare is the probability that each target of the rule's first
// priority group is tried first (Explain); deterministic strategies give the
// whole share to their first target.
func (cr *rule) firstShare(t *target, first *target) float64 {
	if len(cr.groups) < 2 {
		return 0
	}
	grp := cr.targets[cr.groups[0]:cr.groups[1]]
	switch cr.Strategy {
	case StrategyWeighted:
		total, w := 0, 0
		for _, rt := range grp {
			total += rt.weight
			if rt.t == t {
				w = rt.weight
			}
		}
		if total == 0 {
			return 0
		}
		return float64(w) / float64(total)
	case StrategyRoundRobin:
		for _, rt := range grp {
			if rt.t == t {
				return 1 / float64(len(grp))
			}
		}
		return 0
	}
	if t == first {
		return 1
	}
	return 0
}

func (cr *rule) weightOf(t *target) int {
	for _, rt := range cr.targets {
		if rt.t == t {
			return rt.weight
		}
	}
	return 0
}
