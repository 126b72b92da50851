package provider

import (
	"reflect"
	"testing"

	"github.com/nexus-gateway/nexus/internal/catalog"
	"github.com/nexus-gateway/nexus/internal/fastpath"
)

func presetQuirks(t *testing.T, typ string) Quirks {
	t.Helper()
	p, ok := catalog.Preset(typ)
	if !ok {
		t.Fatalf("no preset %s", typ)
	}
	return CompileQuirks(p.Quirks)
}

// The OpenAI reasoning-model rule of SPEC §5.6, as the openai preset's data.
func TestOpenAIPresetReasoningModels(t *testing.T) {
	qs := presetQuirks(t, "openai")
	for model, want := range map[string]bool{
		"gpt-5": true, "gpt-5-mini": true, "gpt-5.1-codex": true, "o1": true, "o3-mini": true, "o4-mini-2025-04-16": true,
		"openai/gpt-5": true, "o9-preview": true, "GPT-5": true,
		"gpt-4o": false, "gpt-4.1-mini": false, "omni-moderation-latest": false, "o": false, "o0": false, "deepseek-chat": false,
	} {
		if got := qs.EditsFor(model) != nil; got != want {
			t.Errorf("%q: quirk applies = %v, want %v", model, got, want)
		}
	}
	if got, want := qs.EditsFor("o3"), fastpath.ReasoningEdits(); !reflect.DeepEqual(got, want) {
		t.Errorf("o3 edits = %+v, want %+v", got, want)
	}
}

var (
	anthropicNoSampling = []fastpath.Edit{{Param: "temperature"}, {Param: "top_k"}, {Param: "top_p"}}
	anthropicOneSampler = []fastpath.Edit{{Param: "top_p", With: "temperature"}}
)

func TestVendorPresetQuirks(t *testing.T) {
	cases := []struct {
		typ, model string
		want       []fastpath.Edit
	}{
		{"moonshot", "kimi-k2.5", []fastpath.Edit{{Param: "temperature"}, {Param: "top_p"}}},
		{"moonshot", "kimi-k2.6-preview", []fastpath.Edit{{Param: "temperature"}, {Param: "top_p"}}},
		{"moonshot", "kimi-k2-0905-preview", nil},
		{"moonshot", "moonshot-v1-8k", nil},
		{"deepseek", "deepseek-reasoner", []fastpath.Edit{{Param: "tool_choice", Keep: []string{"auto", "none"}}}},
		{"deepseek", "deepseek-v4-pro-2026", []fastpath.Edit{{Param: "tool_choice", Keep: []string{"auto", "none"}}}},
		{"deepseek", "deepseek-chat", nil},
		{"openrouter", "openai/gpt-5-mini", fastpath.ReasoningEdits()},
		{"openrouter", "anthropic/claude-sonnet-4", nil},
		{"azure-openai", "gpt-5-mini", fastpath.ReasoningEdits()},
		{"groq", "openai/gpt-oss-120b", nil},
		{"mistral", "o3", nil}, // rules are per vendor: a mistral model named o3 is not OpenAI's
		// Anthropic 4.x sampling (SPEC §5.6): Opus 4.7/4.8 take no sampling
		// parameter; other 4.x models take temperature or top_p, not both.
		{"anthropic", "claude-opus-4-7", append(anthropicNoSampling[:3:3], anthropicOneSampler...)},
		{"anthropic", "claude-opus-4-8-20261001", append(anthropicNoSampling[:3:3], anthropicOneSampler...)},
		{"anthropic", "claude-sonnet-4-5-20250929", anthropicOneSampler},
		{"anthropic", "claude-opus-4-1", anthropicOneSampler},
		{"anthropic", "claude-haiku-4-5", anthropicOneSampler},
		{"anthropic", "claude-sonnet-4-6", anthropicOneSampler},
		{"anthropic", "claude-3-5-haiku-latest", nil},
		{"anthropic", "claude-3-7-sonnet-20250219", nil},
	}
	for _, c := range cases {
		if got := presetQuirks(t, c.typ).EditsFor(c.model); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s: edits %+v, want %+v", c.typ, c.model, got, c.want)
		}
	}
}

// Two matching rules apply together, in table order, without touching the
// compiled slices.
func TestQuirksCombine(t *testing.T) {
	qs := CompileQuirks([]catalog.Quirk{
		{Models: []string{"m-"}, Drop: []string{"seed"}},
		{Drop: []string{"user"}},
	})
	got := qs.EditsFor("m-1")
	want := []fastpath.Edit{{Param: "seed"}, {Param: "user"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("edits %+v, want %+v", got, want)
	}
	if len(qs[0].Edits) != 1 || len(qs.EditsFor("other")) != 1 {
		t.Fatalf("compiled table changed: %+v", qs)
	}
}
