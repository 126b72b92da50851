package catalog

import (
	"math"
	"slices"
	"testing"
)

func TestBuiltinEntriesAreWellFormed(t *testing.T) {
	seen := map[string]string{} // provider type + name/alias -> owning model
	for _, m := range Builtin() {
		if m.Name == "" || m.UpstreamModel == "" {
			t.Errorf("%+v: empty name or upstream model", m)
		}
		if _, ok := Preset(m.ProviderType); !ok {
			t.Errorf("%s: provider type %q has no preset", m.Name, m.ProviderType)
		}
		if m.Type != TypeChat && m.Type != TypeEmbedding {
			t.Errorf("%s: type %q", m.Name, m.Type)
		}
		switch m.Lifecycle {
		case LifecycleGA, LifecyclePreview, LifecycleDeprecated:
		default:
			t.Errorf("%s: lifecycle %q", m.Name, m.Lifecycle)
		}
		for i, f := range m.Features {
			if !IsFeature(f) {
				t.Errorf("%s: unknown feature %q", m.Name, f)
			}
			if slices.Contains(m.Features[:i], f) {
				t.Errorf("%s: feature %q listed twice", m.Name, f)
			}
		}
		if m.ContextWindow < 0 || m.MaxOutput < 0 || (m.ContextWindow > 0 && m.MaxOutput > m.ContextWindow) {
			t.Errorf("%s: limits ctx=%d out=%d", m.Name, m.ContextWindow, m.MaxOutput)
		}
		for _, p := range []*float64{m.InputPrice, m.OutputPrice, m.CachedReadPrice, m.CacheWritePrice} {
			if p != nil && (*p < 0 || math.IsNaN(*p) || math.IsInf(*p, 0)) {
				t.Errorf("%s: bad price %v", m.Name, *p)
			}
		}
		if m.CachedReadPrice != nil && m.InputPrice != nil && *m.CachedReadPrice > *m.InputPrice {
			t.Errorf("%s: cached read price %v above input price %v", m.Name, *m.CachedReadPrice, *m.InputPrice)
		}
		if m.Type == TypeEmbedding && (m.OutputPrice != nil || m.MaxOutput != 0 || len(m.Features) != 0) {
			t.Errorf("%s: embedding model with output price, max output or chat features", m.Name)
		}
		for _, n := range append([]string{m.Name}, m.Aliases...) {
			k := m.ProviderType + "/" + n
			if prev, dup := seen[k]; dup {
				t.Errorf("%s: name %q already used by %s", m.Name, n, prev)
			}
			seen[k] = m.Name
		}
	}
}

func TestBuiltinCoversRequiredModels(t *testing.T) {
	want := map[string][]string{
		"openai": {"gpt-4o", "gpt-4o-mini", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "o3", "o3-mini", "o4-mini",
			"gpt-5", "gpt-5-mini", "gpt-5-nano", "text-embedding-3-small", "text-embedding-3-large"},
		"anthropic": {"claude-opus-4-1", "claude-opus-4-5", "claude-sonnet-4-5", "claude-sonnet-4-0",
			"claude-sonnet-4-20250514", "claude-3-7-sonnet-latest", "claude-haiku-4-5", "claude-3-5-haiku-latest"},
		"gemini":   {"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash", "gemini-embedding-001", "text-embedding-004"},
		"glm":      {"glm-4.6", "glm-4.5", "glm-4.5-air", "embedding-3"},
		"deepseek": {"deepseek-chat", "deepseek-reasoner"},
		"mistral":  {"mistral-large-latest", "mistral-small-latest"},
		"groq":     {"llama-3.3-70b-versatile"},
		"xai":      {"grok-4"},
	}
	for typ, names := range want {
		for _, n := range names {
			if _, ok := Lookup(typ, n); !ok {
				t.Errorf("Lookup(%q, %q) not found", typ, n)
			}
		}
	}
}

func TestLookupResolvesAliasToCanonicalEntry(t *testing.T) {
	m, ok := Lookup("anthropic", "claude-sonnet-4-20250514")
	if !ok || m.Name != "claude-sonnet-4-0" || m.UpstreamModel != "claude-sonnet-4-0" {
		t.Fatalf("Lookup alias = %+v, %v", m, ok)
	}
	if _, ok := Lookup("openai", "claude-sonnet-4-0"); ok {
		t.Error("Lookup must not match a model of another provider type")
	}
}

func TestPublishedPrices(t *testing.T) {
	tests := []struct {
		typ, name            string
		in, out, read, write float64 // -1 = must be unknown (nil)
	}{
		{"openai", "gpt-4o-mini", 0.15, 0.60, 0.075, -1},
		{"openai", "gpt-4o", 2.50, 10, 1.25, -1},
		{"openai", "gpt-5", 1.25, 10, 0.125, -1},
		{"openai", "text-embedding-3-small", 0.02, -1, -1, -1},
		{"anthropic", "claude-sonnet-4-5", 3, 15, 0.30, 3.75},
		{"anthropic", "claude-opus-4-1", 15, 75, 1.50, 18.75},
		{"anthropic", "claude-haiku-4-5", 1, 5, 0.10, 1.25},
		{"gemini", "gemini-2.5-flash", 0.30, 2.50, -1, -1},
		{"gemini", "text-embedding-004", -1, -1, -1, -1},
		{"mistral", "mistral-large-latest", -1, -1, -1, -1},
		{"glm", "embedding-3", -1, -1, -1, -1},
	}
	check := func(t *testing.T, label string, got *float64, want float64) {
		t.Helper()
		switch {
		case want < 0 && got != nil:
			t.Errorf("%s = %v, want unknown (nil)", label, *got)
		case want >= 0 && got == nil:
			t.Errorf("%s unknown, want %v", label, want)
		case want >= 0 && math.Abs(*got-want) > 1e-12:
			t.Errorf("%s = %v, want %v", label, *got, want)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := Lookup(tt.typ, tt.name)
			if !ok {
				t.Fatal("not in catalogue")
			}
			check(t, "input", m.InputPrice, tt.in)
			check(t, "output", m.OutputPrice, tt.out)
			check(t, "cached read", m.CachedReadPrice, tt.read)
			check(t, "cache write", m.CacheWritePrice, tt.write)
		})
	}
}

// Anthropic documents cache pricing as multiples of the input price; the
// table spells the numbers out, so check they agree with the rule.
func TestAnthropicCachePricesFollowMultipliers(t *testing.T) {
	for _, m := range ForProvider("anthropic") {
		if m.InputPrice == nil || m.CachedReadPrice == nil || m.CacheWritePrice == nil {
			t.Errorf("%s: missing price", m.Name)
			continue
		}
		in := *m.InputPrice
		if math.Abs(*m.CachedReadPrice-in*0.1) > 1e-9 || math.Abs(*m.CacheWritePrice-in*1.25) > 1e-9 {
			t.Errorf("%s: read %v write %v for input %v", m.Name, *m.CachedReadPrice, *m.CacheWritePrice, in)
		}
	}
}

func TestBuiltinReturnsIndependentCopies(t *testing.T) {
	a := Builtin()
	orig, _ := Lookup(a[0].ProviderType, a[0].Name)
	*a[0].InputPrice = 999
	a[0].Features[0] = "mutated"
	a[0].Name = "mutated"
	b := Builtin()
	if b[0].Name != orig.Name || *b[0].InputPrice != *orig.InputPrice || b[0].Features[0] != orig.Features[0] {
		t.Fatalf("mutating one Builtin() result changed another: %+v", b[0])
	}
	// Entries built by the same helper must not share slices either.
	x, y := ForProvider("openai"), ForProvider("openai")
	x[0].Features = append(x[0].Features[:0], "changed")
	if y[0].Features[0] == "changed" || x[1].Features[0] == "changed" {
		t.Fatal("feature slices are shared between entries or calls")
	}
}

func BenchmarkLookup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, ok := Lookup("xai", "grok-4"); !ok {
			b.Fatal("missing")
		}
	}
}

// ForProvider takes a shortcut per vendor group; it must agree with
// filtering the full table.
func TestForProviderMatchesFilteringBuiltin(t *testing.T) {
	for _, typ := range PresetTypes() {
		var want []string
		for _, m := range Builtin() {
			if m.ProviderType == typ {
				want = append(want, m.Name)
			}
		}
		var got []string
		for _, m := range ForProvider(typ) {
			got = append(got, m.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("ForProvider(%q) = %v, want %v", typ, got, want)
		}
	}
}
