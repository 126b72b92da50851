package catalog

// Wire families: the upstream protocol an adapter speaks.
const (
	WireOpenAI    = "openai"
	WireAnthropic = "anthropic"
	WireGemini    = "gemini"
)

// Auth styles: how the provider key is presented upstream.
const (
	AuthBearer       = "bearer"         // Authorization: Bearer <key>
	AuthXAPIKey      = "x-api-key"      // x-api-key: <key> (Anthropic)
	AuthXGoogAPIKey  = "x-goog-api-key" // x-goog-api-key: <key> (Gemini)
	AuthAPIKeyHeader = "api-key"        // api-key: <key> (Azure OpenAI)
	AuthNone         = "none"           // no credential (local servers)
)

// ProviderPreset describes a provider type: everything the gateway can know
// about it before any configuration is read.
type ProviderPreset struct {
	Type       string   // provider type key, e.g. "openai"
	WireFormat string   // WireOpenAI | WireAnthropic | WireGemini
	BaseURL    string   // default base URL; "" = must be configured
	EnvKey     []string // env vars holding its API key, first non-empty wins
	EnvBaseURL string   // env var overriding the base URL; "" = none
	AuthStyle  string   // AuthBearer | AuthXAPIKey | AuthXGoogAPIKey | AuthAPIKeyHeader | AuthNone

	// KeyOptional marks servers that authenticate with a key only when one
	// was configured on them (vLLM's --api-key), so an empty key is valid.
	KeyOptional bool
	// APIVersion is the default api-version query parameter (Azure only).
	APIVersion string
	// Quirks are the request rewrites the vendor needs (OpenAI and
	// Anthropic wires).
	Quirks []Quirk
}

// Presets returns every provider preset, freshly built on each call.
func Presets() []ProviderPreset {
	compat := func(typ, baseURL, envKey, envBase string) ProviderPreset {
		return ProviderPreset{
			Type: typ, WireFormat: WireOpenAI, BaseURL: baseURL,
			EnvKey: []string{envKey}, EnvBaseURL: envBase, AuthStyle: AuthBearer,
		}
	}
	local := func(typ, baseURL, envBase string) ProviderPreset {
		return ProviderPreset{
			Type: typ, WireFormat: WireOpenAI, BaseURL: baseURL,
			EnvBaseURL: envBase, AuthStyle: AuthNone,
		}
	}
	withQuirks := func(p ProviderPreset, q ...Quirk) ProviderPreset {
		p.Quirks = q
		return p
	}
	return []ProviderPreset{
		withQuirks(compat("openai", "https://api.openai.com/v1", "OPENAI_API_KEY", "OPENAI_BASE_URL"), openAIReasoningQuirk()),
		// Any other OpenAI-shaped server: nothing to default, nothing to
		// discover from the environment. Such servers often front OpenAI's
		// own models (LiteLLM, corporate proxies), so the reasoning-model
		// rule applies by model name as it does on OpenAI.
		{Type: "openai-compatible", WireFormat: WireOpenAI, AuthStyle: AuthBearer, Quirks: []Quirk{openAIReasoningQuirk()}},
		{
			Type: "anthropic", WireFormat: WireAnthropic, BaseURL: "https://api.anthropic.com",
			EnvKey: []string{"ANTHROPIC_API_KEY"}, EnvBaseURL: "ANTHROPIC_BASE_URL", AuthStyle: AuthXAPIKey,
			Quirks: []Quirk{anthropicNoSamplingQuirk(), anthropicOneSamplerQuirk()},
		},
		{
			Type: "gemini", WireFormat: WireGemini, BaseURL: "https://generativelanguage.googleapis.com/v1beta",
			EnvKey: []string{"GEMINI_API_KEY", "GOOGLE_API_KEY"}, EnvBaseURL: "GEMINI_BASE_URL", AuthStyle: AuthXGoogAPIKey,
		},
		{
			// The endpoint is per Azure resource, so there is no default.
			Type: "azure-openai", WireFormat: WireOpenAI,
			EnvKey: []string{"AZURE_OPENAI_API_KEY"}, EnvBaseURL: "AZURE_OPENAI_ENDPOINT",
			AuthStyle: AuthAPIKeyHeader, APIVersion: "2024-10-21",
			// Deployments of gpt-5*/o* models have OpenAI's restrictions;
			// the rule matches when the deployment is named after the model.
			Quirks: []Quirk{openAIReasoningQuirk()},
		},
		{
			Type: "glm", WireFormat: WireOpenAI, BaseURL: "https://open.bigmodel.cn/api/paas/v4",
			EnvKey: []string{"ZHIPUAI_API_KEY", "GLM_API_KEY"}, EnvBaseURL: "GLM_BASE_URL", AuthStyle: AuthBearer,
		},
		withQuirks(compat("deepseek", "https://api.deepseek.com", "DEEPSEEK_API_KEY", "DEEPSEEK_BASE_URL"), deepseekThinkingQuirk()),
		compat("mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "MISTRAL_BASE_URL"),
		compat("groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "GROQ_BASE_URL"),
		compat("together", "https://api.together.xyz/v1", "TOGETHER_API_KEY", "TOGETHER_BASE_URL"),
		compat("fireworks", "https://api.fireworks.ai/inference/v1", "FIREWORKS_API_KEY", "FIREWORKS_BASE_URL"),
		compat("xai", "https://api.x.ai/v1", "XAI_API_KEY", "XAI_BASE_URL"),
		{
			Type: "perplexity", WireFormat: WireOpenAI, BaseURL: "https://api.perplexity.ai",
			EnvKey: []string{"PERPLEXITY_API_KEY", "PPLX_API_KEY"}, EnvBaseURL: "PERPLEXITY_BASE_URL", AuthStyle: AuthBearer,
		},
		withQuirks(compat("moonshot", "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY", "MOONSHOT_BASE_URL"), moonshotFixedSamplingQuirk()),
		// OpenRouter forwards "openai/gpt-5" and friends to OpenAI, so
		// OpenAI's rule applies to those ids (the routing prefix is ignored).
		withQuirks(compat("openrouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "OPENROUTER_BASE_URL"), openAIReasoningQuirk()),
		local("ollama", "http://127.0.0.1:11434/v1", "OLLAMA_BASE_URL"),
		{
			Type: "vllm", WireFormat: WireOpenAI, BaseURL: "http://127.0.0.1:8000/v1",
			EnvKey: []string{"VLLM_API_KEY"}, EnvBaseURL: "VLLM_BASE_URL", AuthStyle: AuthBearer, KeyOptional: true,
		},
		local("lmstudio", "http://127.0.0.1:1234/v1", "LMSTUDIO_BASE_URL"),
	}
}

// Preset returns the preset of provider type typ.
func Preset(typ string) (ProviderPreset, bool) {
	for _, p := range Presets() {
		if p.Type == typ {
			return p, true
		}
	}
	return ProviderPreset{}, false
}

// PresetTypes returns every provider type key, in preset order.
func PresetTypes() []string {
	ps := Presets()
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Type
	}
	return out
}
