package cost

import (
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func testTable(t *testing.T) *Table {
	t.Helper()
	tb, err := NewTable([]Entry{
		{Model: "gpt-4o", Provider: "openai", UpstreamModel: "gpt-4o", Price: gpt4o},
		{Model: "claude-sonnet-4-5", Aliases: []string{"claude-sonnet-4-5-20250929", "claude-sonnet-4-5"}, Provider: "anthropic",
			UpstreamModel: "claude-sonnet-4-5", Price: sonnet},
		{Model: "local-llama", Provider: "ollama", UpstreamModel: "llama3"}, // no price known
		{Model: "text-embedding-3-small", Provider: "openai", UpstreamModel: "text-embedding-3-small", Price: embedSmall},
	})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

func TestTableLooksUpCodesAndAliases(t *testing.T) {
	tb := testTable(t)
	cases := []struct {
		name        string
		known       bool
		priced      bool
		wantInPrice float64
	}{
		{"gpt-4o", true, true, 2.50},
		{"claude-sonnet-4-5-20250929", true, true, 3},
		{"local-llama", true, false, 0},
		{"llama3", false, false, 0}, // upstream ids are not client names
		{"nope", false, false, 0},
	}
	for _, c := range cases {
		p, ok := tb.Lookup(c.name)
		if ok != c.known || p.Priced() != c.priced {
			t.Errorf("%s: known %v priced %v, want %v %v", c.name, ok, p.Priced(), c.known, c.priced)
		}
		if c.priced && *p.Input != c.wantInPrice {
			t.Errorf("%s: input price %v, want %v", c.name, *p.Input, c.wantInPrice)
		}
	}
}

func TestTableCostAndEstimate(t *testing.T) {
	tb := testTable(t)
	cases := []struct {
		name       string
		model      string
		usage      canonical.Usage
		wantMicros int64
		wantPriced bool
	}{
		// 1000 × 2.50 = 2500; 100 × 10 = 1000.
		{"priced chat", "gpt-4o", canonical.Usage{InputTokens: 1000, OutputTokens: 100}, 3500, true},
		// 1517 prompt (1111 read, 403 written): 9 + 333 + 1511 + 495 = 2348 (see the recorded transcript test).
		{"alias with cache", "claude-sonnet-4-5-20250929",
			canonical.Usage{InputTokens: 1517, OutputTokens: 33, CacheReadTokens: 1111, CacheWriteTokens: 403}, 2348, true},
		{"known but unpriced", "local-llama", canonical.Usage{InputTokens: 10, OutputTokens: 10}, 0, false},
		{"unknown model", "nope", canonical.Usage{InputTokens: 10}, 0, false},
		// 1_000_000 × 0.02 = 20000.
		{"embeddings", "text-embedding-3-small", canonical.Usage{InputTokens: 1_000_000}, 20000, true},
		{"output on an embedding model has no price", "text-embedding-3-small", canonical.Usage{InputTokens: 1, OutputTokens: 1}, 0, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, priced := tb.Cost(c.model, c.usage)
			if got != c.wantMicros || priced != c.wantPriced {
				t.Errorf("Cost = %d, %v; want %d, %v", got, priced, c.wantMicros, c.wantPriced)
			}
		})
	}
	// Estimate is Cost with no cache discount.
	if got, ok := tb.Estimate("gpt-4o", 1000, 100); got != 3500 || !ok {
		t.Errorf("Estimate = %d, %v; want 3500, true", got, ok)
	}
	if _, ok := tb.Estimate("local-llama", 1, 1); ok {
		t.Error("an unpriced model must not estimate as priced")
	}
	if b, ok := tb.Breakdown("nope", canonical.Usage{}); ok || !b.Unpriced {
		t.Errorf("unknown model: %+v, %v; want Unpriced and not ok", b, ok)
	}
}

func TestNewTableRejectsAmbiguousNames(t *testing.T) {
	cases := []struct {
		name    string
		entries []Entry
		wantErr string
	}{
		{"same code twice", []Entry{{Model: "a"}, {Model: "a"}}, `"a"`},
		{"alias clashes with a code", []Entry{{Model: "a"}, {Model: "b", Aliases: []string{"a"}}}, `"a"`},
		{"empty name", []Entry{{Model: "", Provider: "p"}}, "no model name"},
	}
	for _, c := range cases {
		_, err := NewTable(c.entries)
		if err == nil || !strings.Contains(err.Error(), c.wantErr) {
			t.Errorf("%s: err %v, want one mentioning %s", c.name, err, c.wantErr)
		}
	}
}

func TestNilTableKnowsNothing(t *testing.T) {
	var tb *Table
	if _, ok := tb.Lookup("gpt-4o"); ok {
		t.Error("nil table found a model")
	}
	if _, priced := tb.Cost("gpt-4o", canonical.Usage{InputTokens: 1}); priced {
		t.Error("nil table priced a model")
	}
}

func BenchmarkTableCost(b *testing.B) {
	tb, err := NewTable([]Entry{{Model: "claude-sonnet-4-5", Price: sonnet}})
	if err != nil {
		b.Fatal(err)
	}
	u := canonical.Usage{InputTokens: 1517, OutputTokens: 33, CacheReadTokens: 1111, CacheWriteTokens: 403}
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := tb.Cost("claude-sonnet-4-5", u); !ok {
			b.Fatal("unpriced")
		}
	}
}

func BenchmarkCompute(b *testing.B) {
	u := canonical.Usage{InputTokens: 1517, OutputTokens: 33, CacheReadTokens: 1111, CacheWriteTokens: 403, ReasoningTokens: 10}
	b.ReportAllocs()
	for b.Loop() {
		_ = Compute(sonnet, u)
	}
}
