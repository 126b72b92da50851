package cost

import (
	"math"
	"math/bits"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Breakdown is the cost of one request in integer micro-dollars (µ$), per
// component of SPEC §11.8. Total is the sum of the four billed components;
// Reasoning is the part of Output spent on reasoning tokens, reported
// separately and never added again.
type Breakdown struct {
	UncachedInput int64 // input tokens not served from or written to the prompt cache
	CacheRead     int64 // prompt-cache reads, at the cached-read price
	CacheWrite    int64 // prompt-cache writes, at the cache-write price
	Output        int64 // all output tokens, reasoning included
	Reasoning     int64 // reasoning tokens at the output price (inside Output)
	Total         int64 // UncachedInput + CacheRead + CacheWrite + Output

	// CacheReadSavings is what the cache reads saved against the input price
	// (cache analytics, SPEC §11.8 cache_read_savings_usd); never negative.
	CacheReadSavings int64

	// Unpriced is set when the usage has tokens that a missing price would
	// have to cover (both prices unknown, or e.g. output tokens on a model
	// with no output price). The components then hold what the known prices
	// cover, and Total must not be taken as the cost.
	Unpriced bool
}

// Compute prices usage u at price p (SPEC §11.8):
//
//	uncached      = max(0, input − cacheRead − cacheWrite)
//	UncachedInput = uncached   × input price
//	CacheRead     = cacheRead  × cached-read price (input price when unset)
//	CacheWrite    = cacheWrite × cache-write price (input price when unset)
//	Output        = output     × output price   (output includes reasoning)
//	Reasoning     = reasoning  × output price   (breakdown only)
//	Total         = UncachedInput + CacheRead + CacheWrite + Output
//
// Usage follows the canonical convention: InputTokens already includes
// cache reads and writes (so they are never counted twice), OutputTokens
// already includes reasoning. Embeddings report input only, so they cost
// input × input price. Each component is rounded half up to the whole
// micro-dollar on its own, and Total is the sum of the rounded components,
// so the parts shown always add up to the total. Negative counts are
// treated as zero.
func Compute(p Price, u canonical.Usage) Breakdown {
	return ratesOf(p).compute(u)
}

func (r rates) compute(u canonical.Usage) Breakdown {
	in, out := nonNeg(u.InputTokens), nonNeg(u.OutputTokens)
	read, write, reason := nonNeg(u.CacheReadTokens), nonNeg(u.CacheWriteTokens), nonNeg(u.ReasoningTokens)
	var uncached uint64
	if read+write < in { // unsigned: compare before subtracting
		uncached = in - read - write
	}
	var b Breakdown
	var missing bool
	b.UncachedInput, missing = charge(uncached, r.in, missing)
	b.CacheRead, missing = charge(read, r.read, missing)
	b.CacheWrite, missing = charge(write, r.write, missing)
	b.Output, missing = charge(out, r.out, missing)
	b.Reasoning, _ = charge(reason, r.out, false)
	b.Total = sat(sat(b.UncachedInput, b.CacheRead), sat(b.CacheWrite, b.Output))
	if r.in.ok && read > 0 {
		full, _ := charge(read, r.in, false)
		if s := full - b.CacheRead; s > 0 {
			b.CacheReadSavings = s
		}
	}
	b.Unpriced = missing || !r.priced()
	return b
}

// charge prices n tokens at rate r, rounding half up to the micro-dollar.
// Tokens on an unknown rate cost nothing here but set missing.
func charge(n uint64, r rate, missing bool) (int64, bool) {
	if n == 0 {
		return 0, missing
	}
	if !r.ok {
		return 0, true
	}
	hi, lo := bits.Mul64(n, r.v)
	lo, carry := bits.Add64(lo, rateScale/2, 0)
	hi += carry
	if hi >= rateScale { // the quotient would not fit in 64 bits
		return math.MaxInt64, missing
	}
	q, _ := bits.Div64(hi, lo, rateScale)
	if q > math.MaxInt64 {
		return math.MaxInt64, missing
	}
	return int64(q), missing
}

// sat adds two non-negative amounts, saturating instead of wrapping.
func sat(a, b int64) int64 {
	if s := a + b; s >= a {
		return s
	}
	return math.MaxInt64
}

func nonNeg(n int) uint64 {
	if n < 0 {
		return 0
	}
	return uint64(n)
}

// USD converts micro-dollars to dollars, for display (JSON answers, logs).
// Keep sums in micro-dollars; convert only at the edge.
func USD(micros int64) float64 { return float64(micros) / 1e6 }
