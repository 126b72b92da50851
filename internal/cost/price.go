// Package cost prices token usage (SPEC §11.8): a per-model price table
// built from the served models, and the one cost formula every route uses,
// whatever shape the usage came in and whether it was streamed.
//
// Money is kept in integer micro-dollars (int64) so sums never drift; USD
// converts to float64 for display only. Prices are USD per million tokens,
// so a price is also "micro-dollars per token": 1234 tokens at $2.50/1M cost
// 1234 × 2.5 = 3085 µ$. Prices are resolved once, when a price is turned
// into a rate, to a millionth of a micro-dollar per token (6 decimals of the
// per-million price), so the arithmetic after that is exact integer math.
//
// A model without a price is never free: nil prices stay nil, and a cost
// computed from usage a nil price would have to cover is flagged Unpriced.
package cost

import (
	"math"

	"github.com/nexus-gateway/nexus/internal/catalog"
	"github.com/nexus-gateway/nexus/internal/config"
)

// Price is what one model costs, in USD per million tokens. A nil field is
// unknown, never zero. CachedRead and CacheWrite fall back to Input when nil
// (providers that do not discount cache reads bill them as input). A model
// with neither Input nor Output is unpriced.
type Price struct {
	Input, Output, CachedRead, CacheWrite *float64
}

// Priced reports whether at least one of the input and output prices is
// known. A priced model may still be partially priced (an embedding model
// has no output price); Compute flags usage that falls on a missing price.
func (p Price) Priced() bool { return p.Input != nil || p.Output != nil }

// Or returns p with every nil field taken from base: p overrides base field
// by field.
func (p Price) Or(base Price) Price {
	pick := func(v, def *float64) *float64 {
		if v != nil {
			return v
		}
		return def
	}
	return Price{
		Input:      pick(p.Input, base.Input),
		Output:     pick(p.Output, base.Output),
		CachedRead: pick(p.CachedRead, base.CachedRead),
		CacheWrite: pick(p.CacheWrite, base.CacheWrite),
	}
}

// PriceFromCatalog returns the built-in list price of a catalogue model.
func PriceFromCatalog(m catalog.Model) Price {
	return Price{Input: m.InputPrice, Output: m.OutputPrice, CachedRead: m.CachedReadPrice, CacheWrite: m.CacheWritePrice}
}

// PriceFromConfig returns the price a configuration file sets for a model;
// nil (no pricing block) is the zero Price, i.e. nothing known.
func PriceFromConfig(p *config.Pricing) Price {
	if p == nil {
		return Price{}
	}
	return Price{Input: p.Input, Output: p.Output, CachedRead: p.CachedInput, CacheWrite: p.CacheWrite}
}

// PriceFrom resolves a model's price: the configuration's fields win, field
// by field, and the catalogue fills the rest. cat may be nil (the model is
// not in the catalogue). config.Load already merges the catalogue into
// models[].pricing, so for a loaded config PriceFromConfig alone gives the
// same answer; PriceFrom is for callers holding the two separately.
func PriceFrom(override *config.Pricing, cat *catalog.Model) Price {
	p := PriceFromConfig(override)
	if cat != nil {
		p = p.Or(PriceFromCatalog(*cat))
	}
	return p
}

// rateScale is the fixed-point scale of a rate: a rate is the per-million
// price times 1e6, so cost in µ$ = tokens × rate / rateScale.
const rateScale = 1_000_000

// rate is a price in fixed point; ok is false when the price is unknown.
type rate struct {
	v  uint64
	ok bool
}

// maxPrice bounds a per-million price so its fixed-point value fits in an
// int64 with room to spare ($1e9 per million tokens is far beyond any list price).
const maxPrice = 1e9

// toRate converts a price to fixed point. Negative, NaN and infinite prices
// are treated as unknown: configuration validation rejects them, and a
// price that cannot be trusted must not make tokens free.
func toRate(p *float64) rate {
	if p == nil || math.IsNaN(*p) || *p < 0 || *p > maxPrice {
		return rate{}
	}
	return rate{v: uint64(math.Round(*p * rateScale)), ok: true}
}

// rates is a Price in fixed point, with the cache fallbacks applied.
type rates struct {
	in, out, read, write rate
}

func ratesOf(p Price) rates {
	r := rates{in: toRate(p.Input), out: toRate(p.Output), read: toRate(p.CachedRead), write: toRate(p.CacheWrite)}
	if !r.read.ok {
		r.read = r.in
	}
	if !r.write.ok {
		r.write = r.in
	}
	return r
}

func (r rates) priced() bool { return r.in.ok || r.out.ok }
