package openai

import (
	"reflect"
	"testing"

	"github.com/nexus-gateway/nexus/internal/catalog"
	"github.com/nexus-gateway/nexus/internal/fastpath"
)

func presetQuirks(t *testing.T, typ string) quirks {
	t.Helper()
	p, ok := catalog.Preset(typ)
	if !ok {
		t.Fatalf("no preset %s", typ)
	}
	return compileQuirks(p.Quirks)
}

// The OpenAI reasoning-model rule of SPEC §5.6, as the openai preset's data.
func TestOpenAIPresetReasoningModels(t *testing.T) {
	qs := presetQuirks(t, "openai")
	for model, want := range map[string]bool{
		"gpt-5": true, "gpt-5-mini": true, "gpt-5.1-codex": true, "o1": true, "o3-mini": true, "o4-mini-2025-04-16": true,
		"openai/gpt-5": true, "o9-preview": true, "GPT-5": true,
		"gpt-4o": false, "gpt-4.1-mini": false, "omni-moderation-latest": false, "o": false, "o0": false, "deepseek-chat": false,
	} {
		if got := qs.editsFor(model) != nil; got != want {
			t.Errorf("%q: quirk applies = %v, want %v", model, got, want)
		}
	}
	if got, want := qs.editsFor("o3"), fastpath.ReasoningEdits(); !reflect.DeepEqual(got, want) {
		t.Errorf("o3 edits = %+v, want %+v", got, want)
	}
}

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
	}
	for _, c := range cases {
		if got := presetQuirks(t, c.typ).editsFor(c.model); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %s: edits %+v, want %+v", c.typ, c.model, got, c.want)
		}
	}
}

// Two matching rules apply together, in table order, without touching the
// compiled slices.
func TestQuirksCombine(t *testing.T) {
	qs := compileQuirks([]catalog.Quirk{
		{Models: []string{"m-"}, Drop: []string{"seed"}},
		{Drop: []string{"user"}},
	})
	got := qs.editsFor("m-1")
	want := []fastpath.Edit{{Param: "seed"}, {Param: "user"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("edits %+v, want %+v", got, want)
	}
	if len(qs[0].edits) != 1 || len(qs.editsFor("other")) != 1 {
		t.Fatalf("compiled table changed: %+v", qs)
	}
}

func TestReasoningModel(t *testing.T) {
	for model, want := range map[string]bool{"o3-mini": true, "openai/gpt-5": true, "gpt-4o": false, "omni-moderation-latest": false} {
		if got := reasoningModel(model); got != want {
			t.Errorf("reasoningModel(%q) = %v, want %v", model, got, want)
		}
	}
}
