package route

import (
	"math"
	"strings"
)

// AutoMode is a smart-router policy for model "auto".
type AutoMode string

const (
	AutoCheapest AutoMode = "cheapest" // the cheapest model that can serve the request
	AutoBalanced AutoMode = "balanced" // the cheapest model whose tier fits the request's demands
	AutoQuality  AutoMode = "quality"  // the highest tier, reasoning models first when the request hints at reasoning
)

// AutoModes lists the policies, for validation messages.
func AutoModes() []AutoMode { return []AutoMode{AutoCheapest, AutoBalanced, AutoQuality} }

func validMode(m AutoMode) bool {
	for _, v := range AutoModes() {
		if m == v {
			return true
		}
	}
	return false
}

// AutoPolicy configures model "auto" when no rule takes it.
type AutoPolicy struct {
	Policy AutoMode // "" = balanced
	// Candidates are globs over served model names; empty = every served
	// chat model. The key's allowlist and the request's needs narrow them
	// further.
	Candidates []string
	// MaxTargets is how many ranked models become targets (the best first,
	// the others as fallbacks); 0 = 3.
	MaxTargets int
}

func (p AutoPolicy) withDefaults() AutoPolicy {
	if p.Policy == "" {
		p.Policy = AutoBalanced
	}
	if p.MaxTargets <= 0 {
		p.MaxTargets = 3
	}
	return p
}

// Tier thresholds on the blended price (USD per 1M tokens, 3 input : 1
// output). With list prices this puts gpt-4o-mini, gpt-4.1-nano and
// gpt-5-nano in tier 1; gpt-4.1-mini, gpt-5-mini, claude-haiku-4-5 and
// gemini-2.5-flash in tier 2; gpt-4o, gpt-4.1, gpt-5, o3 and
// claude-sonnet-4-5 in tier 3. Price is the one quality signal every
// catalogue entry has; unpriced models are assumed mid-tier.
const (
	tier2From = 0.5
	tier3From = 3.0
	// Requests estimated above longPrompt tokens want a stronger model.
	longPrompt = 8000
)

func tierOf(t *target) int {
	switch {
	case !t.priced:
		return 2
	case t.price >= tier3From:
		return 3
	case t.price >= tier2From:
		return 2
	}
	return 1
}

// demand is what a request asks of a model's tier, and why.
type demand struct {
	tier      int
	reasoning bool
	why       []string
}

func demandOf(q *query) demand {
	d := demand{tier: 1}
	bump := func(cond bool, why string) {
		if cond {
			d.tier++
			d.why = append(d.why, why)
		}
	}
	bump(q.has(needTools), "tools")
	bump(q.has(needImages), "images")
	bump(q.tokens() > longPrompt, "long")
	if q.has(needReasoning) {
		d.reasoning = true
		d.tier = 3
		d.why = append(d.why, "reasoning")
	}
	d.tier = min(d.tier, 3)
	return d
}

// rankAuto orders capable candidates by policy and returns the reason for
// the first. Ranking is a pure function of the request, the catalogue and
// the observed latencies, so equal inputs and state give equal choices.
func (r *Router) rankAuto(mode AutoMode, q *query, cands []*target) string {
	if len(cands) == 0 {
		return ""
	}
	d := demandOf(q)
	var buf [16]autoKey
	keys := buf[:0]
	if len(cands) > len(buf) {
		keys = make([]autoKey, 0, len(cands))
	}
	for _, t := range cands {
		keys = append(keys, autoKeyOf(mode, d, t))
	}
	for i := 1; i < len(cands); i++ {
		for j := i; j > 0 && keys[j].less(&keys[j-1]); j-- {
			keys[j], keys[j-1] = keys[j-1], keys[j]
			cands[j], cands[j-1] = cands[j-1], cands[j]
		}
	}
	return autoReason(mode, d, cands[0], keys[0].fits)
}

// autoKey is a lexicographic sort key: earlier fields win.
type autoKey struct {
	fits    int     // 1 when the model meets the demand (balanced, quality+reasoning), else 0
	a, b, c float64 // policy-specific, ascending
	name    string  // final tie-break, so the order is total
}

func (k *autoKey) less(o *autoKey) bool {
	switch {
	case k.fits != o.fits:
		return k.fits > o.fits
	case k.a != o.a:
		return k.a < o.a
	case k.b != o.b:
		return k.b < o.b
	case k.c != o.c:
		return k.c < o.c
	}
	return k.name < o.name
}

func autoKeyOf(mode AutoMode, d demand, t *target) autoKey {
	lat := float64(t.h.latencyEWMA()) // unmeasured = 0: a new model gets measured by the next request
	price := priceKey(t)
	thinking := t.caps&capThinking != 0
	k := autoKey{name: t.model.Name}
	switch mode {
	case AutoCheapest:
		k.a, k.b = price, lat
	case AutoQuality:
		if d.reasoning && thinking {
			k.fits = 1
		}
		// Highest tier first; within a tier the dearer model (price is the
		// quality proxy), then the faster.
		k.a, k.b, k.c = -float64(t.tier), -finite(price), lat
	default: // balanced
		if t.tier >= d.tier && (!d.reasoning || thinking || !t.known) {
			k.fits = 1
			// Among fitting models: cheapest, with prices within 25 % of
			// each other counted equal so the faster one wins.
			k.a, k.b, k.c = priceBucket(price), lat, price
		} else {
			// None fits: the closest tier, then the cheapest.
			k.a, k.b, k.c = -float64(t.tier), price, lat
		}
	}
	return k
}

func finite(v float64) float64 {
	if math.IsInf(v, 0) {
		return 0
	}
	return v
}

// priceBucket groups prices on a ×1.25 log scale.
func priceBucket(p float64) float64 {
	if math.IsInf(p, 1) {
		return p
	}
	return math.Floor(math.Log(p+1e-6) / math.Log(1.25))
}

func autoReason(mode AutoMode, d demand, t *target, fits int) string {
	var b strings.Builder
	b.WriteString("auto ")
	b.WriteString(string(mode))
	b.WriteString(": ")
	if len(d.why) > 0 {
		b.WriteString(strings.Join(d.why, "+"))
	} else {
		b.WriteString("plain")
	}
	b.WriteString(" request, needs tier ")
	b.WriteString(itoa(d.tier))
	b.WriteString("; ")
	b.WriteString(t.model.Name)
	b.WriteString(" (tier ")
	b.WriteString(itoa(t.tier))
	b.WriteString(") ")
	switch {
	case mode == AutoCheapest:
		b.WriteString("is the cheapest capable")
	case mode == AutoQuality:
		b.WriteString("ranks highest")
	case fits == 1:
		b.WriteString("is the cheapest that fits")
	default:
		b.WriteString("is the closest fit")
	}
	return b.String()
}

// autoCandidates lists the targets "auto" may choose from: the rule's
// targets when it has any, else every served chat model the Candidates
// globs admit.
func (r *Router) autoCandidates(cr *rule, dst []*target) []*target {
	if cr != nil && len(cr.targets) > 0 {
		for _, rt := range cr.targets {
			dst = append(dst, rt.t)
		}
		return dst
	}
	for _, m := range r.served {
		if m.Type == "embedding" {
			continue
		}
		if len(r.auto.Candidates) > 0 && !anyGlob(r.auto.Candidates, m.Name) {
			continue
		}
		dst = append(dst, r.byModel[m])
	}
	return dst
}
