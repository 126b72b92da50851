package openai

import "testing"

func TestReasoningModel(t *testing.T) {
	for model, want := range map[string]bool{
		"gpt-5": true, "gpt-5-mini": true, "gpt-5.1-codex": true, "o1": true, "o3-mini": true, "o4-mini-2025-04-16": true,
		"openai/gpt-5": true, "o9-preview": true,
		"gpt-4o": false, "gpt-4.1-mini": false, "omni-moderation-latest": false, "o": false, "o0": false, "deepseek-chat": false,
	} {
		if got := reasoningModel(model); got != want {
			t.Errorf("reasoningModel(%q) = %v, want %v", model, got, want)
		}
	}
}
