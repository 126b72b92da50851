package config

import (
	"strings"
	"testing"
)

func TestDefaultDiscoversProvidersFromEnvironment(t *testing.T) {
	c := Default(env(map[string]string{
		"OPENAI_API_KEY":    "sk-o",
		"OPENAI_BASE_URL":   "http://127.0.0.1:9001/v1/",
		"GOOGLE_API_KEY":    "g-fallback", // GEMINI_API_KEY unset: second name is used
		"GLM_API_KEY":       "glm-2",
		"ZHIPUAI_API_KEY":   "glm-1", // first name wins
		"OLLAMA_BASE_URL":   "http://127.0.0.1:11434/v1",
		"ANTHROPIC_API_KEY": "",          // set but empty: not discovered
		"GROQ_BASE_URL":     "https://x", // base URL alone does not enable a keyed provider
	}))
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	want := map[string]struct{ key, base, auth string }{
		"openai": {"sk-o", "http://127.0.0.1:9001/v1", "bearer"},
		"gemini": {"g-fallback", "https://generativelanguage.googleapis.com/v1beta", "x-goog-api-key"},
		"glm":    {"glm-1", "https://open.bigmodel.cn/api/paas/v4", "bearer"},
		"ollama": {"", "http://127.0.0.1:11434/v1", "none"},
	}
	if len(c.Providers) != len(want) {
		t.Fatalf("providers = %v, want %d", c.Providers, len(want))
	}
	for _, p := range c.Providers {
		w, ok := want[p.Name]
		if !ok || p.Type != p.Name || p.APIKey != w.key || p.BaseURL != w.base || p.AuthStyle != w.auth {
			t.Errorf("provider %v (key match %v), want %+v", p, p.APIKey == w.key, w)
		}
	}
	if c.Source != SourceDefaults || c.Listen != DefaultListen || c.SecretFile != "./nexus.secret" {
		t.Errorf("defaults not applied: %v", c)
	}
	served := map[string]string{}
	for _, m := range c.Models {
		served[m.Name] = m.Provider
	}
	for name, prov := range map[string]string{"gpt-4o-mini": "openai", "gemini-2.5-pro": "gemini", "glm-4.6": "glm"} {
		if served[name] != prov {
			t.Errorf("model %s served by %q, want %q", name, served[name], prov)
		}
	}
	if _, ok := served["claude-sonnet-4-5"]; ok {
		t.Error("anthropic models served without an anthropic key")
	}
}

// With nothing in the environment the server still starts, serving no models.
func TestDefaultWithEmptyEnvironmentHasNoProviders(t *testing.T) {
	for _, getenv := range []func(string) string{nil, env(nil)} {
		c := Default(getenv)
		if len(c.Providers) != 0 || len(c.Models) != 0 {
			t.Errorf("providers %v, models %d", c.Providers, len(c.Models))
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate: %v", err)
		}
	}
}

func TestDefaultKeyOptionalPresetNeedsNoKey(t *testing.T) {
	c := Default(env(map[string]string{"VLLM_BASE_URL": "http://10.0.0.5:8000/v1"}))
	if len(c.Providers) != 1 || c.Providers[0].Name != "vllm" || c.Providers[0].APIKey != "" {
		t.Fatalf("providers = %v", c.Providers)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("vllm without a key must be valid: %v", err)
	}
}

// Values taken from the environment are only checked by Validate, whose
// errors name the variable that supplied (or failed to supply) them.
func TestDefaultValidateNamesEnvironmentVariables(t *testing.T) {
	c := Default(env(map[string]string{
		"AZURE_OPENAI_API_KEY": "az",
		"MISTRAL_API_KEY":      "m",
		"MISTRAL_BASE_URL":     "mistral.example",
	}))
	err := c.Validate()
	if err == nil {
		t.Fatal("Validate succeeded")
	}
	for _, want := range []string{
		"defaults: providers[0].base_url: required for type azure-openai (environment variable AZURE_OPENAI_ENDPOINT is empty)",
		"defaults: providers[1].base_url: want an absolute http:// or https:// URL (value from environment variable MISTRAL_BASE_URL)",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("missing %q in:\n%s", want, err)
		}
	}
}

func TestAnchorsAndAliasesShareValues(t *testing.T) {
	c := mustParse(t, `
x-slow: &slow
  first_byte: 5m
  idle: 10m
providers:
  - name: a
    type: openai
    api_key: &key k-shared
    timeouts: *slow
  - name: b
    type: openai-compatible
    base_url: http://127.0.0.1:8081/v1
    api_key: *key
    timeouts: *slow
models: []
`, nil)
	for _, p := range c.Providers {
		if p.APIKey != "k-shared" || p.Timeouts.FirstByte.Minutes() != 5 || p.Timeouts.Idle.Minutes() != 10 {
			t.Errorf("%s: key %v timeouts %+v", p.Name, p.APIKey == "k-shared", p.Timeouts)
		}
	}
}
