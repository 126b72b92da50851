package openai

import "strings"

// reasoningModel reports the OpenAI reasoning models of SPEC §5.6 (gpt-5*,
// o1–o9*), which reject two things every other chat model accepts:
//   - max_tokens: 400 "Unsupported parameter: 'max_tokens' is not supported
//     with this model. Use 'max_completion_tokens' instead."
//     (shared/fixtures/errors/openai-chat-400-max-tokens-unsupported,
//     recorded by vercel/ai on a reasoning model);
//   - temperature / top_p: 400 "Unsupported parameter: 'temperature' is not
//     supported with this model." (errors/openai-responses-400-temperature-unsupported).
//
// The adapter moves max_tokens to max_completion_tokens and drops the
// sampling parameters, reporting each in X-Nexus-Coerced. A routing prefix
// ("openai/gpt-5" on aggregators) is ignored.
func reasoningModel(model string) bool {
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		model = model[i+1:]
	}
	if strings.HasPrefix(model, "gpt-5") {
		return true
	}
	return len(model) >= 2 && model[0] == 'o' && model[1] >= '1' && model[1] <= '9'
}
