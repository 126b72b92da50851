package openai

import "github.com/nexus-gateway/nexus/internal/catalog"

// reasoningModel reports whether OpenAI's reasoning-model rule (gpt-5*,
// o1–o9*, SPEC §5.6) covers model; the rule itself lives in the catalogue.
func reasoningModel(model string) bool {
	p, _ := catalog.Preset("openai")
	for i := range p.Quirks {
		if p.Quirks[i].Matches(model) {
			return true
		}
	}
	return false
}
