package openai

import "testing"

func TestReasoningModel(t *testing.T) {
	for model, want := range map[string]bool{"o3-mini": true, "openai/gpt-5": true, "gpt-4o": false, "omni-moderation-latest": false} {
		if got := reasoningModel(model); got != want {
			t.Errorf("reasoningModel(%q) = %v, want %v", model, got, want)
		}
	}
}
