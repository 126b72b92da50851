package catalog

import (
	"net/url"
	"slices"
	"testing"
)

func TestPresetsCoverRequiredTypes(t *testing.T) {
	for _, typ := range []string{"openai", "openai-compatible", "anthropic", "gemini", "azure-openai", "glm",
		"deepseek", "mistral", "groq", "together", "fireworks", "xai", "perplexity", "moonshot",
		"openrouter", "ollama", "vllm", "lmstudio"} {
		if _, ok := Preset(typ); !ok {
			t.Errorf("Preset(%q) missing", typ)
		}
	}
	if _, ok := Preset("nope"); ok {
		t.Error(`Preset("nope") found`)
	}
}

func TestPresetsAreWellFormed(t *testing.T) {
	types := PresetTypes()
	for i, p := range Presets() {
		if slices.Contains(types[:i], p.Type) {
			t.Errorf("%s: duplicate type", p.Type)
		}
		switch p.WireFormat {
		case WireOpenAI, WireAnthropic, WireGemini:
		default:
			t.Errorf("%s: wire format %q", p.Type, p.WireFormat)
		}
		switch p.AuthStyle {
		case AuthBearer, AuthXAPIKey, AuthXGoogAPIKey, AuthAPIKeyHeader:
		case AuthNone:
			if len(p.EnvKey) != 0 {
				t.Errorf("%s: auth none but env keys %v", p.Type, p.EnvKey)
			}
		default:
			t.Errorf("%s: auth style %q", p.Type, p.AuthStyle)
		}
		if p.BaseURL != "" {
			u, err := url.Parse(p.BaseURL)
			if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
				t.Errorf("%s: base URL %q not absolute http(s)", p.Type, p.BaseURL)
			}
			// Remote vendors must be reached over TLS; plain http is only
			// for servers on this machine.
			if u.Scheme == "http" && u.Hostname() != "127.0.0.1" {
				t.Errorf("%s: plain-http base URL to a remote host", p.Type)
			}
		}
		if p.BaseURL == "" && p.Type != "openai-compatible" && p.EnvBaseURL == "" {
			t.Errorf("%s: no default base URL and no env var to supply one", p.Type)
		}
	}
}

func TestPresetSpecifics(t *testing.T) {
	tests := []struct {
		typ, wire, auth, baseURL, envBase string
		envKey                            []string
	}{
		{"openai", WireOpenAI, AuthBearer, "https://api.openai.com/v1", "OPENAI_BASE_URL", []string{"OPENAI_API_KEY"}},
		{"openai-compatible", WireOpenAI, AuthBearer, "", "", nil},
		{"anthropic", WireAnthropic, AuthXAPIKey, "https://api.anthropic.com", "ANTHROPIC_BASE_URL", []string{"ANTHROPIC_API_KEY"}},
		{"gemini", WireGemini, AuthXGoogAPIKey, "https://generativelanguage.googleapis.com/v1beta", "GEMINI_BASE_URL", []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}},
		{"azure-openai", WireOpenAI, AuthAPIKeyHeader, "", "AZURE_OPENAI_ENDPOINT", []string{"AZURE_OPENAI_API_KEY"}},
		{"glm", WireOpenAI, AuthBearer, "https://open.bigmodel.cn/api/paas/v4", "GLM_BASE_URL", []string{"ZHIPUAI_API_KEY", "GLM_API_KEY"}},
		{"ollama", WireOpenAI, AuthNone, "http://127.0.0.1:11434/v1", "OLLAMA_BASE_URL", nil},
		{"vllm", WireOpenAI, AuthBearer, "http://127.0.0.1:8000/v1", "VLLM_BASE_URL", []string{"VLLM_API_KEY"}},
		{"lmstudio", WireOpenAI, AuthNone, "http://127.0.0.1:1234/v1", "LMSTUDIO_BASE_URL", nil},
	}
	for _, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			p, _ := Preset(tt.typ)
			if p.WireFormat != tt.wire || p.AuthStyle != tt.auth || p.BaseURL != tt.baseURL ||
				p.EnvBaseURL != tt.envBase || !slices.Equal(p.EnvKey, tt.envKey) {
				t.Errorf("got %+v", p)
			}
		})
	}
	if p, _ := Preset("azure-openai"); p.APIVersion == "" {
		t.Error("azure-openai preset has no default api version")
	}
	if p, _ := Preset("vllm"); !p.KeyOptional {
		t.Error("vllm key must be optional")
	}
}

func TestPresetsReturnIndependentCopies(t *testing.T) {
	a, _ := Preset("gemini")
	a.EnvKey[0] = "MUTATED"
	b, _ := Preset("gemini")
	if b.EnvKey[0] != "GEMINI_API_KEY" {
		t.Fatal("mutating a preset's EnvKey leaked into the next call")
	}
}
