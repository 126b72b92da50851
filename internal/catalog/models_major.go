package catalog

// OpenAI list prices (USD per 1M tokens) as published on
// https://openai.com/api/pricing (standard tier). Limits from the model pages.
func openAIModels() []Model {
	chat := func(name string, in, out, cached float64, ctx, maxOut int, features []string) Model {
		return Model{
			Name: name, ProviderType: "openai", UpstreamModel: name, Type: TypeChat,
			Features: features, ContextWindow: ctx, MaxOutput: maxOut, Lifecycle: LifecycleGA,
			InputPrice: usd(in), OutputPrice: usd(out), CachedReadPrice: usd(cached),
		}
	}
	embed := func(name string, in float64) Model {
		return Model{
			Name: name, ProviderType: "openai", UpstreamModel: name, Type: TypeEmbedding,
			ContextWindow: 8191, Lifecycle: LifecycleGA, InputPrice: usd(in),
		}
	}
	// The o-series without vision (o3-mini) still does tools and structured output.
	reasoningText := func() []string {
		return []string{FeatureFunctionCalling, FeatureJSONMode, FeatureJSONSchema, FeatureStreaming, FeatureThinking}
	}
	const gpt41Ctx = 1_047_576
	return []Model{
		chat("gpt-4o", 2.50, 10.00, 1.25, 128_000, 16_384, chatFull()),
		chat("gpt-4o-mini", 0.15, 0.60, 0.075, 128_000, 16_384, chatFull()),
		chat("gpt-4.1", 2.00, 8.00, 0.50, gpt41Ctx, 32_768, chatFull()),
		chat("gpt-4.1-mini", 0.40, 1.60, 0.10, gpt41Ctx, 32_768, chatFull()),
		chat("gpt-4.1-nano", 0.10, 0.40, 0.025, gpt41Ctx, 32_768, chatFull()),
		chat("o3", 2.00, 8.00, 0.50, 200_000, 100_000, chatFullThinking()),
		chat("o3-mini", 1.10, 4.40, 0.55, 200_000, 100_000, reasoningText()),
		chat("o4-mini", 1.10, 4.40, 0.275, 200_000, 100_000, chatFullThinking()),
		chat("gpt-5", 1.25, 10.00, 0.125, 400_000, 128_000, chatFullThinking()),
		chat("gpt-5-mini", 0.25, 2.00, 0.025, 400_000, 128_000, chatFullThinking()),
		chat("gpt-5-nano", 0.05, 0.40, 0.005, 400_000, 128_000, chatFullThinking()),
		embed("text-embedding-3-small", 0.02),
		embed("text-embedding-3-large", 0.13),
	}
}

// Anthropic list prices from https://www.anthropic.com/pricing. Cache reads
// cost 0.1x and 5-minute cache writes 1.25x the input price; they are spelled
// out rather than computed so no float rounding creeps into the table.
// Aliases are the dated snapshot ids the undated names currently point at.
func anthropicModels() []Model {
	type price struct{ in, out, read, write float64 }
	claude := func(name string, aliases []string, p price, maxOut int, lifecycle string, features []string) Model {
		return Model{
			Name: name, ProviderType: "anthropic", UpstreamModel: name, Aliases: aliases,
			Type: TypeChat, Features: features, ContextWindow: 200_000, MaxOutput: maxOut,
			Lifecycle: lifecycle, InputPrice: usd(p.in), OutputPrice: usd(p.out),
			CachedReadPrice: usd(p.read), CacheWritePrice: usd(p.write),
		}
	}
	opus45 := price{5, 25, 0.50, 6.25}
	opus41 := price{15, 75, 1.50, 18.75}
	sonnet := price{3, 15, 0.30, 3.75}
	haiku45 := price{1, 5, 0.10, 1.25}
	haiku35 := price{0.80, 4, 0.08, 1.00}
	thinking := func() []string {
		return []string{FeatureVision, FeatureFunctionCalling, FeatureStreaming, FeatureThinking}
	}
	plain := func() []string {
		return []string{FeatureVision, FeatureFunctionCalling, FeatureStreaming}
	}
	return []Model{
		claude("claude-opus-4-5", []string{"claude-opus-4-5-20251101"}, opus45, 64_000, LifecycleGA, thinking()),
		claude("claude-opus-4-1", []string{"claude-opus-4-1-20250805"}, opus41, 32_000, LifecycleGA, thinking()),
		claude("claude-sonnet-4-5", []string{"claude-sonnet-4-5-20250929"}, sonnet, 64_000, LifecycleGA, thinking()),
		claude("claude-sonnet-4-0", []string{"claude-sonnet-4-20250514"}, sonnet, 64_000, LifecycleGA, thinking()),
		claude("claude-3-7-sonnet-latest", []string{"claude-3-7-sonnet-20250219"}, sonnet, 64_000, LifecycleDeprecated, thinking()),
		claude("claude-haiku-4-5", []string{"claude-haiku-4-5-20251001"}, haiku45, 64_000, LifecycleGA, thinking()),
		claude("claude-3-5-haiku-latest", []string{"claude-3-5-haiku-20241022"}, haiku35, 8_192, LifecycleGA, plain()),
	}
}

// Gemini Developer API paid-tier prices from https://ai.google.dev/pricing
// for text input at the lowest context tier. Context-cache prices changed
// several times and are tiered, so they are left unknown.
func geminiModels() []Model {
	gem := func(name string, in, out float64, maxOut int, features []string) Model {
		return Model{
			Name: name, ProviderType: "gemini", UpstreamModel: name, Type: TypeChat,
			Features: features, ContextWindow: 1_048_576, MaxOutput: maxOut, Lifecycle: LifecycleGA,
			InputPrice: usd(in), OutputPrice: usd(out),
		}
	}
	embed := func(name string, in *float64, lifecycle string) Model {
		return Model{
			Name: name, ProviderType: "gemini", UpstreamModel: name, Type: TypeEmbedding,
			ContextWindow: 2048, Lifecycle: lifecycle, InputPrice: in,
		}
	}
	return []Model{
		gem("gemini-2.5-pro", 1.25, 10.00, 65_536, chatFullThinking()),
		gem("gemini-2.5-flash", 0.30, 2.50, 65_536, chatFullThinking()),
		gem("gemini-2.5-flash-lite", 0.10, 0.40, 65_536, chatFullThinking()),
		gem("gemini-2.0-flash", 0.10, 0.40, 8_192, chatFull()),
		embed("gemini-embedding-001", usd(0.15), LifecycleGA),
		// text-embedding-004 had no paid price (free tier only) and has been
		// superseded by gemini-embedding-001.
		embed("text-embedding-004", nil, LifecycleDeprecated),
	}
}
