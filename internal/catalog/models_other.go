package catalog

// Models of the OpenAI-compatible vendors. Prices are only filled where the
// vendor publishes a USD list price; everything else stays nil (unknown).
func otherModels() []Model {
	m := func(typ, name string, ctx, maxOut int, features []string) Model {
		return Model{
			Name: name, ProviderType: typ, UpstreamModel: name, Type: TypeChat,
			Features: features, ContextWindow: ctx, MaxOutput: maxOut, Lifecycle: LifecycleGA,
		}
	}
	priced := func(mod Model, in, out float64) Model {
		mod.InputPrice, mod.OutputPrice = usd(in), usd(out)
		return mod
	}
	withCache := func(mod Model, cached float64) Model {
		mod.CachedReadPrice = usd(cached)
		return mod
	}
	glmThinking := func() []string { return append(toolsText(), FeatureThinking) }

	return []Model{
		// GLM (Zhipu): USD list prices of the international platform (z.ai);
		// open.bigmodel.cn bills in CNY at its own rates.
		priced(m("glm", "glm-4.6", 200_000, 128_000, glmThinking()), 0.60, 2.20),
		priced(m("glm", "glm-4.5", 128_000, 96_000, glmThinking()), 0.60, 2.20),
		priced(m("glm", "glm-4.5-air", 128_000, 96_000, glmThinking()), 0.20, 1.10),
		{
			Name: "embedding-3", ProviderType: "glm", UpstreamModel: "embedding-3",
			Type: TypeEmbedding, Lifecycle: LifecycleGA,
		},

		// DeepSeek (https://api-docs.deepseek.com/quick_start/pricing): both
		// names serve the same model, chat without and reasoner with thinking.
		withCache(priced(m("deepseek", "deepseek-chat", 128_000, 8_192, toolsText()), 0.28, 0.42), 0.028),
		withCache(priced(m("deepseek", "deepseek-reasoner", 128_000, 64_000,
			[]string{FeatureFunctionCalling, FeatureJSONMode, FeatureStreaming, FeatureThinking}), 0.28, 0.42), 0.028),

		// Mistral: "-latest" names move between generations with different
		// prices and limits, so only the stable small-model price is filled.
		m("mistral", "mistral-large-latest", 0, 0, []string{FeatureFunctionCalling, FeatureJSONMode, FeatureJSONSchema, FeatureStreaming}),
		priced(m("mistral", "mistral-small-latest", 128_000, 0,
			[]string{FeatureVision, FeatureFunctionCalling, FeatureJSONMode, FeatureJSONSchema, FeatureStreaming}), 0.10, 0.30),

		// Groq (https://groq.com/pricing).
		priced(m("groq", "llama-3.3-70b-versatile", 131_072, 32_768, toolsText()), 0.59, 0.79),

		// xAI (https://docs.x.ai/docs/models).
		withCache(priced(m("xai", "grok-4", 256_000, 0,
			[]string{FeatureVision, FeatureFunctionCalling, FeatureJSONMode, FeatureJSONSchema, FeatureStreaming, FeatureThinking}), 3.00, 15.00), 0.75),
	}
}
