package cost

import (
	"math"
	"strconv"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/catalog"
	"github.com/nexus-gateway/nexus/internal/config"
)

func TestComputeFollowsTheFormula(t *testing.T) {
	cases := []struct {
		name  string
		price Price
		usage canonical.Usage
		want  Breakdown
	}{
		{"plain chat: 1234 × 2.50 = 3085, 200 × 10 = 2000",
			gpt4o, canonical.Usage{InputTokens: 1234, OutputTokens: 200},
			Breakdown{UncachedInput: 3085, Output: 2000, Total: 5085}},
		{"cache reads leave the uncached part: (1000 − 600) × 2.50 = 1000, 600 × 1.25 = 750",
			gpt4o, canonical.Usage{InputTokens: 1000, CacheReadTokens: 600},
			Breakdown{UncachedInput: 1000, CacheRead: 750, Total: 1750, CacheReadSavings: 750}},
		{"nil cache prices fall back to input: 100 read × 0.30 = 30 and 50 written × 0.30 = 15",
			flash25, canonical.Usage{InputTokens: 200, CacheReadTokens: 100, CacheWriteTokens: 50},
			Breakdown{UncachedInput: 15, CacheRead: 30, CacheWrite: 15, Total: 60}},
		{"cache counts above the prompt never make the uncached part negative",
			sonnet, canonical.Usage{InputTokens: 10, CacheReadTokens: 8, CacheWriteTokens: 8},
			// 8 × 0.30 = 2.4 → 2; 8 × 3.75 = 30; savings 8 × 3 = 24 − 2 = 22.
			Breakdown{CacheRead: 2, CacheWrite: 30, Total: 32, CacheReadSavings: 22}},
		{"reasoning is reported inside output, not added: 300 × 4.40 = 1320",
			o3mini, canonical.Usage{OutputTokens: 1000, ReasoningTokens: 300},
			Breakdown{Output: 4400, Reasoning: 1320, Total: 4400}},
		{"rounding half up: 7 × 0.075 = 0.525 → 1",
			price(0.075, 0, -1, -1), canonical.Usage{InputTokens: 7},
			Breakdown{UncachedInput: 1, Total: 1}},
		{"rounding half up at exactly one half: 5 × 0.1 = 0.5 → 1",
			price(0.1, 0, -1, -1), canonical.Usage{InputTokens: 5},
			Breakdown{UncachedInput: 1, Total: 1}},
		{"below one half rounds down: 4 × 0.1 = 0.4 → 0",
			price(0.1, 0, -1, -1), canonical.Usage{InputTokens: 4},
			Breakdown{}},
		{"each component is rounded on its own and the total is their sum: 0.6 → 1 twice",
			price(0.2, 0.2, -1, -1), canonical.Usage{InputTokens: 3, OutputTokens: 3},
			Breakdown{UncachedInput: 1, Output: 1, Total: 2}},
		{"price zero is free and priced",
			price(0, 0, -1, -1), canonical.Usage{InputTokens: 1000, OutputTokens: 1000},
			Breakdown{}},
		{"no price at all is unpriced, never free",
			Price{}, canonical.Usage{InputTokens: 10, OutputTokens: 10},
			Breakdown{Unpriced: true}},
		{"an unpriced model with no usage is still unpriced",
			Price{}, canonical.Usage{},
			Breakdown{Unpriced: true}},
		{"output tokens on a model without an output price are flagged",
			price(1, -1, -1, -1), canonical.Usage{InputTokens: 10, OutputTokens: 5},
			Breakdown{UncachedInput: 10, Total: 10, Unpriced: true}},
		{"an embedding model (no output price, no output) is priced",
			embedSmall, canonical.Usage{InputTokens: 500_000},
			Breakdown{UncachedInput: 10_000, Total: 10_000}},
		{"input tokens on a model with only an output price are flagged",
			price(-1, 2, -1, -1), canonical.Usage{InputTokens: 10, OutputTokens: 5},
			Breakdown{Output: 10, Total: 10, Unpriced: true}},
		{"negative counts count as zero",
			gpt4o, canonical.Usage{InputTokens: -5, OutputTokens: -1, CacheReadTokens: -3},
			Breakdown{}},
		{"a negative price is not trusted: treated as unknown",
			Price{Input: f(-1), Output: f(-1)}, canonical.Usage{InputTokens: 10},
			Breakdown{Unpriced: true}},
		{"a NaN price is treated as unknown",
			Price{Input: f(math.NaN()), Output: f(1)}, canonical.Usage{InputTokens: 10, OutputTokens: 1},
			Breakdown{Output: 1, Total: 1, Unpriced: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := Compute(c.price, c.usage); got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestComputeSaturatesInsteadOfWrapping(t *testing.T) {
	huge := Price{Input: f(1e9), Output: f(1e9)}
	// 2^31 − 1 tokens at 1e9 µ$ each is about 2.1e18 per component: large but exact.
	got := Compute(huge, canonical.Usage{InputTokens: math.MaxInt32, OutputTokens: math.MaxInt32})
	if want := int64(math.MaxInt32) * 1e9; got.UncachedInput != want || got.Total != 2*want {
		t.Fatalf("got %+v, want %d per component", got, want)
	}
	// Token counts no upstream could report overflow 64 bits: saturate.
	got = Compute(huge, canonical.Usage{InputTokens: math.MaxInt, OutputTokens: math.MaxInt})
	if got.UncachedInput != math.MaxInt64 || got.Output != math.MaxInt64 || got.Total != math.MaxInt64 {
		t.Errorf("overflowing amounts must saturate at MaxInt64, got %+v", got)
	}
}

func TestUSDConvertsMicroDollars(t *testing.T) {
	cases := []struct {
		micros int64
		want   float64
	}{{0, 0}, {1, 0.000001}, {5085, 0.005085}, {12_300_000, 12.3}}
	for _, c := range cases {
		if got := USD(c.micros); got != c.want {
			t.Errorf("USD(%d) = %v, want %v", c.micros, got, c.want)
		}
	}
}

func TestPriceFromOverridesFieldByField(t *testing.T) {
	cat := catalog.Model{InputPrice: f(3), OutputPrice: f(15), CachedReadPrice: f(0.3), CacheWritePrice: f(3.75)}
	cases := []struct {
		name     string
		override *config.Pricing
		cat      *catalog.Model
		want     Price
	}{
		{"no override: the catalogue", nil, &cat, price(3, 15, 0.3, 3.75)},
		{"override one field, keep the rest", &config.Pricing{Output: f(12)}, &cat, price(3, 12, 0.3, 3.75)},
		{"override everything", &config.Pricing{Input: f(1), Output: f(2), CachedInput: f(0.5), CacheWrite: f(1.5)}, &cat, price(1, 2, 0.5, 1.5)},
		{"override zero is a price, not a gap", &config.Pricing{Input: f(0)}, &cat, price(0, 15, 0.3, 3.75)},
		{"no catalogue entry: the override alone", &config.Pricing{Input: f(1)}, nil, price(1, -1, -1, -1)},
		{"nothing known: unpriced", nil, nil, Price{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := PriceFrom(c.override, c.cat)
			if !samePrice(got, c.want) {
				t.Errorf("got %s, want %s", show(got), show(c.want))
			}
		})
	}
}

func TestPriceFromCatalogMatchesBuiltinList(t *testing.T) {
	m, ok := catalog.Lookup("anthropic", "claude-sonnet-4-5")
	if !ok {
		t.Skip("catalogue no longer lists claude-sonnet-4-5")
	}
	p := PriceFromCatalog(m)
	if !samePrice(p, Price{Input: m.InputPrice, Output: m.OutputPrice, CachedRead: m.CachedReadPrice, CacheWrite: m.CacheWritePrice}) || !p.Priced() {
		t.Errorf("catalogue price not carried over: %s", show(p))
	}
}

func TestPricedNeedsInputOrOutput(t *testing.T) {
	cases := []struct {
		p    Price
		want bool
	}{
		{Price{}, false},
		{Price{CachedRead: f(1), CacheWrite: f(1)}, false},
		{Price{Input: f(0)}, true},
		{Price{Output: f(1)}, true},
	}
	for _, c := range cases {
		if got := c.p.Priced(); got != c.want {
			t.Errorf("%s: Priced() = %v, want %v", show(c.p), got, c.want)
		}
	}
}

func f(v float64) *float64 { return &v }

func samePrice(a, b Price) bool {
	eq := func(x, y *float64) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	return eq(a.Input, b.Input) && eq(a.Output, b.Output) && eq(a.CachedRead, b.CachedRead) && eq(a.CacheWrite, b.CacheWrite)
}

func show(p Price) string {
	s := func(v *float64) string {
		if v == nil {
			return "nil"
		}
		return strconv.FormatFloat(*v, 'g', -1, 64)
	}
	return "{" + s(p.Input) + " " + s(p.Output) + " " + s(p.CachedRead) + " " + s(p.CacheWrite) + "}"
}
