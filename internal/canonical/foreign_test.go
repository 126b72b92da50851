package canonical

import (
	"encoding/json"
	"reflect"
	"testing"
)

func TestExtForeign(t *testing.T) {
	raw := func(s string) json.RawMessage { return json.RawMessage(s) }
	cases := []struct {
		name      string
		ext       Ext
		target    string
		coerced   []Coercion
		wantParam string
	}{
		{"own provider's keys are left to its encoder", Ext{"anthropic": {"server_tools": raw(`[{}]`)}}, "anthropic", nil, ""},
		{"openai hints are removed and reported", Ext{"openai": {"service_tier": raw(`"flex"`), "store": raw(`true`)}}, "anthropic",
			[]Coercion{{"service_tier", "removed"}, {"store", "removed"}}, ""},
		{"logprobs true is refused", Ext{"openai": {"logprobs": raw(`true`)}}, "gemini", nil, "logprobs"},
		{"logprobs false is only a hint", Ext{"openai": {"logprobs": raw(`false`)}}, "gemini", []Coercion{{"logprobs", "removed"}}, ""},
		{"text-only modalities are a hint", Ext{"openai": {"modalities": raw(`["text"]`)}}, "anthropic", []Coercion{{"modalities", "removed"}}, ""},
		{"audio modality is refused", Ext{"openai": {"modalities": raw(`["text","audio"]`)}}, "anthropic", nil, "modalities"},
		{"a non-empty logit_bias is refused", Ext{"openai": {"logit_bias": raw(`{"50256":-100}`)}}, "anthropic", nil, "logit_bias"},
		{"anthropic server tools are refused elsewhere", Ext{"anthropic": {"server_tools": raw(`[{"type":"web_search_20250305"}]`)}}, "openai", nil, "tools"},
		{"anthropic thinking is removed elsewhere", Ext{"anthropic": {"thinking": raw(`{"type":"enabled","budget_tokens":1024}`)}}, "gemini",
			[]Coercion{{"thinking", "removed"}}, ""},
		{"gemini safety settings are a hint", Ext{"gemini": {"safety_settings": raw(`[{}]`)}}, "openai", []Coercion{{"safetySettings", "removed"}}, ""},
		{"gemini googleSearch is refused", Ext{"gemini": {"tools": raw(`[{"googleSearch":{}}]`)}}, "anthropic", nil, "tools"},
		{"gemini cached content is refused", Ext{"gemini": {"cached_content": raw(`"cachedContents/x"`)}}, "openai", nil, "cachedContent"},
		{"unknown nexus.ext keys are removed", Ext{"mistral": {"safe_prompt": raw(`true`)}}, "openai", []Coercion{{"safe_prompt", "removed"}}, ""},
		{"null values are dropped without a report", Ext{"openai": {"audio": raw(`null`)}}, "anthropic", nil, ""},
		{"responses state is internal", Ext{"openai": {"responses": raw(`{"store":true}`)}}, "anthropic", nil, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			coerced, param, why := tc.ext.Foreign(tc.target)
			if param != tc.wantParam {
				t.Fatalf("param = %q (%s), want %q", param, why, tc.wantParam)
			}
			if param != "" && why == "" {
				t.Error("a refusal without a reason")
			}
			if param == "" && !reflect.DeepEqual(coerced, tc.coerced) {
				t.Errorf("coerced = %v, want %v", coerced, tc.coerced)
			}
		})
	}
}
