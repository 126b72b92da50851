package openai

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func TestDecodeResponseFailures(t *testing.T) {
	cases := []struct {
		name, body string
		status     int
		msg        string
	}{
		{"not JSON", `<html>`, 502, "upstream response is not a valid chat completion"},
		{"no choices", `{"id":"x","choices":[]}`, 502, "upstream response has no choices"},
		{"error in a 200 body", `{"error":{"message":"model overloaded","type":"server_error"}}`, 502, "model overloaded"},
		{"failed generation", `{"choices":[{"index":0,"message":{"role":"assistant","content":"a"},"finish_reason":"network_error"}]}`, 502, "upstream generation failed (finish_reason network_error)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeResponse([]byte(tc.body))
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status != tc.status || ce.Kind != canonical.KindUpstream || ce.Message != tc.msg {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

func TestDecodeResponseNormalizes(t *testing.T) {
	body := `{"id":"r","model":"m","created":5,"choices":[{"index":1,"message":{"content":"other"},"finish_reason":"stop"},
	  {"index":0,"message":{"role":"assistant","content":"see","reasoning":"why","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}],
	  "usage":{"prompt_tokens":10,"completion_tokens":4,"total_tokens":14,"prompt_cache_hit_tokens":6}}`
	resp, err := DecodeResponse([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if resp.FinishReason != canonical.FinishToolCalls {
		t.Errorf("text and a tool call with stop finished as %s, want tool_calls", resp.FinishReason)
	}
	kinds := []canonical.PartType{}
	for _, p := range resp.Content {
		kinds = append(kinds, p.Type)
	}
	if !reflect.DeepEqual(kinds, []canonical.PartType{canonical.PartReasoning, canonical.PartText, canonical.PartToolCall}) || resp.Content[1].Text != "see" {
		t.Errorf("content of choice 0 = %+v", resp.Content)
	}
	if *resp.Usage != (canonical.Usage{InputTokens: 10, OutputTokens: 4, CacheReadTokens: 6}) {
		t.Errorf("usage = %+v", *resp.Usage)
	}
}

func TestEncodeResponse(t *testing.T) {
	cases := []struct {
		name string
		resp canonical.Response
		want string
	}{
		// A refusal whose text is in the refusal field ends as "stop", as
		// OpenAI reports one; without text (Anthropic's stop_reason refusal)
		// content_filter is the only OpenAI word for withheld output.
		{"refusal with text finishes as stop", canonical.Response{ID: "r", Model: "m", Created: 3, FinishReason: canonical.FinishRefusal,
			Content: []canonical.Part{{Type: canonical.PartRefusal, Text: "no"}}},
			`{"id":"r","object":"chat.completion","created":3,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"no"},"logprobs":null,"finish_reason":"stop"}]}`},
		{"refusal without text shows content_filter", canonical.Response{ID: "r", Model: "m", Created: 3, FinishReason: canonical.FinishRefusal},
			`{"id":"r","object":"chat.completion","created":3,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null},"logprobs":null,"finish_reason":"content_filter"}]}`},
		{"tool call with stop finishes as tool_calls; empty args become {}", canonical.Response{ID: "r", Model: "m", FinishReason: canonical.FinishStop,
			Content: []canonical.Part{{Type: canonical.PartText, Text: "a<b"}, {Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "c", Name: "f"}}},
			Usage:   &canonical.Usage{InputTokens: 3, OutputTokens: 2}},
			`{"id":"r","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"a<b","refusal":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"total_tokens":5}}`},
		{"reasoning, usage details and ext", canonical.Response{ID: "r", Model: "m", FinishReason: canonical.FinishLength,
			Content: []canonical.Part{{Type: canonical.PartReasoning, Text: "hm", Reasoning: &canonical.Reasoning{Signature: "s"}}, {Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Redacted: true, Data: "x"}}},
			Usage:   &canonical.Usage{InputTokens: 9, OutputTokens: 8, CacheReadTokens: 7, ReasoningTokens: 6},
			Ext:     canonical.Ext{"openai": {"service_tier": json.RawMessage(`"default"`)}}},
			`{"id":"r","object":"chat.completion","created":0,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":null,"reasoning_content":"hm"},"logprobs":null,"finish_reason":"length"}],"usage":{"prompt_tokens":9,"completion_tokens":8,"total_tokens":17,"prompt_tokens_details":{"cached_tokens":7},"completion_tokens_details":{"reasoning_tokens":6}},"service_tier":"default"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := EncodeResponse(&tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
	_, err := EncodeResponse(&canonical.Response{Content: []canonical.Part{{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x"}}}})
	var ce *canonical.Error
	if !errors.As(err, &ce) || ce.Status != 502 {
		t.Errorf("image output: err = %v, want a 502 instead of a silent drop", err)
	}
}

// TestUsageEqualsUpstream: canonical usage carries exactly what the upstream
// reported, cached and reasoning tokens included, for every recorded body
// and stream and for each vendor alias.
func TestUsageEqualsUpstream(t *testing.T) {
	for _, path := range fixtures(t, ".response.json") {
		body, _ := os.ReadFile(path)
		raw, _ := generic(t, body)["usage"].(map[string]any)
		resp, err := DecodeResponse(body)
		if err != nil {
			t.Fatal(err)
		}
		want := projectUsage(raw)
		if want != nil {
			want.Total = want.Prompt + want.Completion
		}
		if got := usageOf(resp.Usage); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: usage %+v, upstream said %+v", path, got, want)
		}
	}
	for _, path := range fixtures(t, ".response.sse", ".chunks.txt") {
		frames := loadFrames(t, path)
		var want *usageProj
		for _, f := range frames {
			var m map[string]any
			if json.Unmarshal([]byte(f.data), &m) == nil {
				if u, ok := m["usage"].(map[string]any); ok {
					want = projectUsage(u)
					want.Total = want.Prompt + want.Completion
				}
			}
		}
		if got := projectEvents(decodeFrames(t, frames)).Usage; !reflect.DeepEqual(got, want) {
			t.Errorf("%s: stream usage %+v, upstream said %+v", path, got, want)
		}
	}
	aliases := []struct {
		name, usage string
		want        canonical.Usage
	}{
		{"openai details", `{"prompt_tokens":100,"completion_tokens":50,"prompt_tokens_details":{"cached_tokens":80},"completion_tokens_details":{"reasoning_tokens":30}}`,
			canonical.Usage{InputTokens: 100, OutputTokens: 50, CacheReadTokens: 80, ReasoningTokens: 30}},
		{"deepseek hit tokens", `{"prompt_tokens":100,"completion_tokens":5,"prompt_cache_hit_tokens":64,"prompt_cache_miss_tokens":36}`,
			canonical.Usage{InputTokens: 100, OutputTokens: 5, CacheReadTokens: 64}},
		{"moonshot prompt_cache_tokens", `{"prompt_tokens":10,"completion_tokens":1,"prompt_cache_tokens":8}`,
			canonical.Usage{InputTokens: 10, OutputTokens: 1, CacheReadTokens: 8}},
		{"moonshot cached_tokens", `{"prompt_tokens":10,"completion_tokens":1,"cached_tokens":9}`,
			canonical.Usage{InputTokens: 10, OutputTokens: 1, CacheReadTokens: 9}},
		{"total only", `{"prompt_tokens":10,"total_tokens":25}`,
			canonical.Usage{InputTokens: 10, OutputTokens: 15}},
	}
	for _, tc := range aliases {
		body := `{"choices":[{"index":0,"message":{"content":"x"},"finish_reason":"stop"}],"usage":` + tc.usage + `}`
		resp, err := DecodeResponse([]byte(body))
		if err != nil {
			t.Fatal(err)
		}
		if *resp.Usage != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, *resp.Usage, tc.want)
		}
		d := NewStreamDecoder()
		evs, _ := d.Decode("", []byte(`{"choices":[],"usage":`+tc.usage+`}`), nil)
		if len(evs) != 2 || *evs[1].Usage != tc.want {
			t.Errorf("%s in a stream: %+v", tc.name, evs)
		}
	}
}
