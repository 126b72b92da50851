package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// env returns a getenv backed by a map.
func env(kv map[string]string) func(string) string {
	return func(k string) string { return kv[k] }
}

func mustParse(t *testing.T, yaml string, getenv func(string) string) *Config {
	t.Helper()
	c, err := Parse("test.yaml", []byte(yaml), getenv)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c
}

func price(p *float64) float64 {
	if p == nil {
		return -1
	}
	return *p
}

func TestParseMinimalFileFillsDefaults(t *testing.T) {
	c := mustParse(t, "providers:\n  - name: oa\n    type: openai\n    api_key: k1\n", nil)
	checks := []struct {
		name      string
		got, want any
	}{
		{"listen", c.Listen, DefaultListen},
		{"database", c.Database, "sqlite://./nexus.db"},
		{"secret_file", c.SecretFile, "./nexus.secret"},
		{"log.level", c.Log.Level, "info"},
		{"log.format", c.Log.Format, "json"},
		{"max_body_bytes", c.Limits.MaxBodyBytes, int64(32 << 20)},
		{"max_in_flight", c.Limits.MaxInFlight, 0},
		{"timeouts", c.Timeouts, Timeouts{10 * time.Second, 60 * time.Second, 120 * time.Second, 600 * time.Second, 30 * time.Second}},
		{"source", c.Source, "test.yaml"},
		{"base_url", c.Providers[0].BaseURL, "https://api.openai.com/v1"},
		{"wire", c.Providers[0].WireFormat, "openai"},
		{"auth", c.Providers[0].AuthStyle, "bearer"},
		{"api_version", c.Providers[0].APIVersion, ""},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
	// No models: block, so the provider serves its catalogue.
	names := modelNames(c)
	for _, want := range []string{"gpt-4o-mini", "gpt-5", "text-embedding-3-large"} {
		if !slices.Contains(names, want) {
			t.Errorf("catalogue model %s not served; got %v", want, names)
		}
	}
	if slices.Contains(names, "claude-sonnet-4-5") {
		t.Error("an openai provider must not serve anthropic models")
	}
	for _, m := range c.Models {
		if m.Provider != "oa" {
			t.Errorf("%s served by %q, want oa", m.Name, m.Provider)
		}
	}
}

func modelNames(c *Config) []string {
	var out []string
	for _, m := range c.Models {
		out = append(out, m.Name)
	}
	return out
}

func TestParseKeepsExplicitValues(t *testing.T) {
	c := mustParse(t, `
listen: 0.0.0.0:8080
database: postgres://nexus:pw@db:5432/nexus?sslmode=disable
secret_file: /run/secrets/nexus
log: {level: debug, format: text}
limits: {max_body_bytes: 1048576, max_in_flight: -1}
timeouts: {connect: 1s, first_byte: 2s, idle: 3s, total: 4s, drain: 5s}
providers:
  - name: az
    type: azure-openai
    base_url: https://res.openai.azure.com/openai/
    api_key: k
    api_version: "2025-03-01-preview"
    headers: {X-Team: search}
    timeouts: {first_byte: 7s}
models: []
`, nil)
	p := c.Providers[0]
	if c.Listen != "0.0.0.0:8080" || c.SecretFile != "/run/secrets/nexus" || c.Log.Level != "debug" || c.Log.Format != "text" || c.Log.FlushInterval != DefaultLogFlush ||
		c.Limits != (Limits{1 << 20, -1}) || c.Timeouts != (Timeouts{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second, 5 * time.Second}) {
		t.Errorf("top level not kept: %+v", c)
	}
	if p.BaseURL != "https://res.openai.azure.com/openai" {
		t.Errorf("base_url = %q, want trailing slash trimmed", p.BaseURL)
	}
	if p.APIVersion != "2025-03-01-preview" || p.AuthStyle != "api-key" || p.Headers["X-Team"] != "search" || p.Timeouts.FirstByte != 7*time.Second {
		t.Errorf("provider not kept: %+v %v", p, p.Headers)
	}
	if len(c.Models) != 0 {
		t.Errorf("empty models: block must serve nothing, got %v", modelNames(c))
	}
}

func TestAzureDefaultsAPIVersion(t *testing.T) {
	c := mustParse(t, "providers:\n  - {name: az, type: azure-openai, base_url: 'https://x.openai.azure.com', api_key: k}\nmodels: []\n", nil)
	if got := c.Providers[0].APIVersion; got != "2024-10-21" {
		t.Errorf("api_version = %q, want the preset default", got)
	}
}

func TestEmptyFileGivesDefaultsAndNoProviders(t *testing.T) {
	for _, src := range []string{"", "# only a comment\n", "---\n"} {
		c := mustParse(t, src, nil)
		if c.Listen != DefaultListen || len(c.Providers) != 0 || len(c.Models) != 0 {
			t.Errorf("%q: got listen %q, %d providers, %d models", src, c.Listen, len(c.Providers), len(c.Models))
		}
	}
}

func TestModelsBlockTakesMissingFieldsFromCatalogue(t *testing.T) {
	c := mustParse(t, `
providers:
  - {name: oa, type: openai, api_key: k}
  - {name: az, type: azure-openai, base_url: "https://r.openai.azure.com", api_key: k}
  - {name: local, type: ollama}
models:
  - name: cheap
    provider: oa
    upstream_model: gpt-4o-mini
    pricing: {input: 0.1}
  - name: emb
    provider: oa
    upstream_model: text-embedding-3-small
  - name: plain
    provider: oa
    upstream_model: gpt-4o
    features: []
    context_window: 1000
  - name: deployment
    provider: az
    upstream_model: gpt-4o
  - name: llama
    provider: local
`, nil)
	byName := map[string]Model{}
	for _, m := range c.Models {
		byName[m.Name] = m
	}
	cheap := byName["cheap"]
	if price(cheap.Pricing.Input) != 0.1 || price(cheap.Pricing.Output) != 0.60 || price(cheap.Pricing.CachedInput) != 0.075 {
		t.Errorf("cheap pricing = in %v out %v cached %v; want file input, catalogue rest",
			price(cheap.Pricing.Input), price(cheap.Pricing.Output), price(cheap.Pricing.CachedInput))
	}
	if cheap.ContextWindow != 128_000 || cheap.Type != "chat" || cheap.Lifecycle != "ga" {
		t.Errorf("cheap = %+v", cheap)
	}
	if emb := byName["emb"]; emb.Type != "embedding" {
		t.Errorf("emb type = %q, want embedding from the catalogue", emb.Type)
	}
	plain := byName["plain"]
	if plain.Features == nil || len(plain.Features) != 0 || plain.ContextWindow != 1000 || plain.MaxOutput != 16_384 {
		t.Errorf("plain: explicit empty features and context window must win: %+v", plain)
	}
	if dep := byName["deployment"]; dep.Pricing == nil || price(dep.Pricing.Input) != 2.50 {
		t.Errorf("azure deployment of gpt-4o should borrow OpenAI prices: %+v", dep)
	}
	llama := byName["llama"]
	if llama.UpstreamModel != "llama" || llama.Type != "chat" || llama.Pricing != nil || llama.Features != nil {
		t.Errorf("unknown model must default upstream to name, type chat, and stay unpriced: %+v", llama)
	}
}

func TestCatalogueModelsFirstProviderOfATypeWins(t *testing.T) {
	c := mustParse(t, `
providers:
  - {name: team-a, type: anthropic, api_key: a}
  - {name: team-b, type: anthropic, api_key: b}
  - {name: gm, type: gemini, api_key: g}
`, nil)
	count := map[string]int{}
	for _, m := range c.Models {
		count[m.Provider]++
		if m.Name == "claude-sonnet-4-0" && !slices.Contains(m.Aliases, "claude-sonnet-4-20250514") {
			t.Errorf("catalogue aliases not served: %+v", m)
		}
	}
	if count["team-a"] == 0 || count["team-b"] != 0 || count["gm"] == 0 {
		t.Errorf("models per provider = %v; want team-a and gm only", count)
	}
}

func TestProviderTimeoutsInheritGlobal(t *testing.T) {
	c := mustParse(t, `
timeouts: {connect: 2s, idle: 50s, drain: 9s}
providers:
  - name: a
    type: anthropic
    api_key: k
    timeouts: {first_byte: 90s, idle: 5s}
models: []
`, nil)
	got := c.ProviderTimeouts(c.Providers[0])
	want := Timeouts{Connect: 2 * time.Second, FirstByte: 90 * time.Second, Idle: 5 * time.Second, Total: DefaultTotalTimeout, Drain: 9 * time.Second}
	if got != want {
		t.Errorf("ProviderTimeouts = %+v, want %+v", got, want)
	}
}

func TestSecretFileDefaultsBesideSqliteFile(t *testing.T) {
	tests := []struct{ db, want string }{
		{"sqlite://./nexus.db", "./nexus.secret"},
		{"sqlite:///var/lib/nexus/gw.sqlite3", "/var/lib/nexus/gw.secret"},
		{"sqlite://data/nexus", "data/nexus.secret"},
		{"sqlite://./nexus.db?_pragma=busy_timeout(5000)", "./nexus.secret"},
		{"sqlite://:memory:", DefaultSecretFile},
		{"postgres://u@h/db", DefaultSecretFile},
	}
	for _, tt := range tests {
		if got := secretFileFor(tt.db); got != tt.want {
			t.Errorf("secretFileFor(%q) = %q, want %q", tt.db, got, tt.want)
		}
	}
	c := mustParse(t, "database: sqlite://./state/gw.db\n", nil)
	if c.SecretFile != "./state/gw.secret" {
		t.Errorf("SecretFile = %q", c.SecretFile)
	}
}

func TestInFlightCap(t *testing.T) {
	tests := []struct {
		setting, procs, want int
		enabled              bool
	}{
		{0, 4, 4096, true},
		{0, 0, 1024, true},
		{-1, 4, 0, false},
		{50, 4, 50, true},
	}
	for _, tt := range tests {
		n, ok := Limits{MaxInFlight: tt.setting}.InFlightCap(tt.procs)
		if n != tt.want || ok != tt.enabled {
			t.Errorf("InFlightCap(%d) with max_in_flight %d = %d,%v want %d,%v", tt.procs, tt.setting, n, ok, tt.want, tt.enabled)
		}
	}
}

func TestExampleConfigLoads(t *testing.T) {
	path := filepath.Join("..", "..", "examples", "nexus.yaml")
	c, err := Load(path, env(map[string]string{"ANTHROPIC_API_KEY": "real-anthropic"}))
	if err != nil {
		t.Fatalf("Load(%s): %v", path, err)
	}
	want := map[string]struct{ base, key, wire string }{
		"openai":    {"http://127.0.0.1:9001/v1", "mock-openai-key", "openai"},
		"anthropic": {"http://127.0.0.1:9001", "real-anthropic", "anthropic"},
		"gemini":    {"http://127.0.0.1:9001/v1beta", "mock-gemini-key", "gemini"},
	}
	if len(c.Providers) != len(want) {
		t.Fatalf("providers = %d, want %d", len(c.Providers), len(want))
	}
	for _, p := range c.Providers {
		w := want[p.Name]
		if p.BaseURL != w.base || p.APIKey != w.key || p.WireFormat != w.wire {
			t.Errorf("%s = base %q key %q wire %q, want %+v", p.Name, p.BaseURL, p.APIKey, p.WireFormat, w)
		}
	}
	if c.Source != path || len(c.Models) == 0 {
		t.Errorf("source %q, %d models", c.Source, len(c.Models))
	}
	for _, m := range c.Models {
		if _, ok := c.Provider(m.Provider); !ok {
			t.Errorf("model %s refers to missing provider %s", m.Name, m.Provider)
		}
	}
}

func TestLoadMissingFileWrapsError(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "absent.yaml"), nil)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("Load(absent) = %v, want a wrapped not-exist error", err)
	}
	if !strings.Contains(err.Error(), "absent.yaml") {
		t.Errorf("error %q does not name the file", err)
	}
}

func BenchmarkParseExample(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "..", "examples", "nexus.yaml"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Parse("nexus.yaml", data, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestStoredCredentialReplacesAPIKey(t *testing.T) {
	ok := "providers:\n  - name: openai\n    type: openai\n    credential: store\n"
	if _, err := Parse("c.yaml", []byte(ok), noEnv); err != nil {
		t.Fatalf("credential: store without api_key must be valid: %v", err)
	}
	both := "providers:\n  - name: openai\n    type: openai\n    credential: store\n    api_key: sk-x\n"
	if _, err := Parse("c.yaml", []byte(both), noEnv); err == nil || !strings.Contains(err.Error(), "not both") {
		t.Fatalf("err = %v", err)
	}
	bad := "providers:\n  - name: openai\n    type: openai\n    credential: vault\n"
	if _, err := Parse("c.yaml", []byte(bad), noEnv); err == nil || !strings.Contains(err.Error(), "c.yaml:4") {
		t.Fatalf("err = %v", err)
	}
}

// log.flush_interval: unset is the default, an explicit 0 writes through,
// a negative one is refused with file and line.
func TestLogFlushInterval(t *testing.T) {
	base := "providers: []\nmodels: []\n"
	if c := mustParse(t, base, nil); c.Log.FlushInterval != DefaultLogFlush {
		t.Fatalf("default = %v", c.Log.FlushInterval)
	}
	if c := mustParse(t, "log:\n  flush_interval: 0s\n"+base, nil); c.Log.FlushInterval != 0 {
		t.Fatalf("explicit 0s = %v", c.Log.FlushInterval)
	}
	if c := mustParse(t, "log:\n  flush_interval: 250ms\n"+base, nil); c.Log.FlushInterval != 250*time.Millisecond {
		t.Fatalf("250ms = %v", c.Log.FlushInterval)
	}
	_, err := Parse("n.yaml", []byte("log:\n  flush_interval: -1s\n"+base), nil)
	if err == nil || !strings.Contains(err.Error(), "n.yaml:2: log.flush_interval: must not be negative") {
		t.Fatalf("negative: %v", err)
	}
}
