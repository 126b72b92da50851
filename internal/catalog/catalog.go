// Package catalog holds the gateway's built-in knowledge about models and
// providers: a model catalogue with list prices and limits, and the provider
// presets (default base URL, wire family, auth style, env vars) that let a
// provider be configured with little more than a type and a key.
//
// Everything here is data. Functions return freshly built values on every
// call so callers may modify what they get without affecting anyone else;
// the package keeps no state.
package catalog

// Model types.
const (
	TypeChat      = "chat"
	TypeEmbedding = "embedding"
)

// Lifecycle stages.
const (
	LifecycleGA         = "ga"
	LifecyclePreview    = "preview"
	LifecycleDeprecated = "deprecated"
)

// Model features. The set is closed so configuration typos can be caught.
const (
	FeatureVision          = "vision"
	FeatureFunctionCalling = "function_calling"
	FeatureJSONMode        = "json_mode"
	FeatureJSONSchema      = "json_schema"
	FeatureThinking        = "thinking"
	FeatureStreaming       = "streaming"
)

// Features returns every known feature name, in a stable order.
func Features() []string {
	return []string{
		FeatureVision, FeatureFunctionCalling, FeatureJSONMode,
		FeatureJSONSchema, FeatureThinking, FeatureStreaming,
	}
}

// IsFeature reports whether name is a known feature.
func IsFeature(name string) bool {
	switch name {
	case FeatureVision, FeatureFunctionCalling, FeatureJSONMode,
		FeatureJSONSchema, FeatureThinking, FeatureStreaming:
		return true
	}
	return false
}

// Model is one catalogue entry.
type Model struct {
	Name          string   // what clients send in "model", e.g. "gpt-4o-mini"
	ProviderType  string   // a preset type, e.g. "openai", "anthropic", "gemini"
	UpstreamModel string   // the id sent upstream (usually == Name)
	Aliases       []string // other names clients may use (dated snapshots and the like)
	Type          string   // TypeChat | TypeEmbedding
	Features      []string // subset of Features()
	ContextWindow int      // tokens; 0 = unknown
	MaxOutput     int      // tokens; 0 = unknown or not applicable
	Lifecycle     string   // LifecycleGA | LifecyclePreview | LifecycleDeprecated

	// Prices in USD per million tokens; nil = unknown (never silently 0,
	// because quota enforcement treats an unpriced model differently from a
	// free one). CachedReadPrice is the price of prompt tokens served from the
	// provider's prompt cache; CacheWritePrice the price of writing them (the
	// 5-minute rate for Anthropic). Embedding models leave OutputPrice nil:
	// they produce no output tokens.
	InputPrice, OutputPrice, CachedReadPrice, CacheWritePrice *float64
}

// HasFeature reports whether m lists feature f.
func (m Model) HasFeature(f string) bool {
	for _, x := range m.Features {
		if x == f {
			return true
		}
	}
	return false
}

// Matches reports whether name is m's name or one of its aliases.
func (m Model) Matches(name string) bool {
	if m.Name == name {
		return true
	}
	for _, a := range m.Aliases {
		if a == name {
			return true
		}
	}
	return false
}

// Builtin returns the built-in catalogue. Each call builds a fresh slice
// (including fresh price pointers), so callers may modify the result.
func Builtin() []Model {
	var out []Model
	out = append(out, openAIModels()...)
	out = append(out, anthropicModels()...)
	out = append(out, geminiModels()...)
	out = append(out, otherModels()...)
	return out
}

// ForProvider returns the built-in models whose ProviderType is typ.
func ForProvider(typ string) []Model {
	var group []Model
	switch typ {
	case "openai":
		return openAIModels()
	case "anthropic":
		return anthropicModels()
	case "gemini":
		return geminiModels()
	default:
		group = otherModels()
	}
	out := group[:0]
	for _, m := range group {
		if m.ProviderType == typ {
			out = append(out, m)
		}
	}
	return out
}

// Lookup finds the built-in model of provider type typ whose name or alias is
// name. It builds the table on each call: meant for start-up, not for the
// request path (copy what you need into your own index).
func Lookup(typ, name string) (Model, bool) {
	for _, m := range ForProvider(typ) {
		if m.Matches(name) {
			return m, true
		}
	}
	return Model{}, false
}

// usd returns a fresh pointer to a price, so no two catalogue entries (or two
// calls to Builtin) share one.
func usd(v float64) *float64 { return &v }

// Feature sets shared by many entries. They are functions, not variables,
// so every model gets its own slice.
func chatFull() []string {
	return []string{FeatureVision, FeatureFunctionCalling, FeatureJSONMode, FeatureJSONSchema, FeatureStreaming}
}

func chatFullThinking() []string {
	return append(chatFull(), FeatureThinking)
}

func toolsText() []string {
	return []string{FeatureFunctionCalling, FeatureJSONMode, FeatureStreaming}
}
