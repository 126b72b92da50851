package gemini

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// TestResponseFixturesRoundTrip: each recorded response decodes to the
// golden canonical form and re-encodes to a body equal on the projection
// (parts, finish reason, usage counts, ids, prompt block).
func TestResponseFixturesRoundTrip(t *testing.T) {
	for _, name := range fixtureFiles(t, "gemini", ".response.json") {
		t.Run(strings.TrimSuffix(name, ".response.json"), func(t *testing.T) {
			body := readFixture(t, "gemini", name)
			resp, err := DecodeResponse(body)
			if err != nil {
				t.Fatalf("DecodeResponse: %v", err)
			}
			golden(t, strings.TrimSuffix(name, ".json")+".canonical.json", resp)
			wire, err := EncodeResponse(resp)
			if err != nil {
				t.Fatalf("EncodeResponse: %v", err)
			}
			got, want := responseProjection(t, wire), responseProjection(t, body)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("re-encoded response differs:\n got: %s\nwant: %s", clip(g), clip(w))
			}
			again, err := DecodeResponse(wire)
			if err != nil {
				t.Fatalf("DecodeResponse(re-encoded): %v", err)
			}
			if !reflect.DeepEqual(again.Content, resp.Content) || again.FinishReason != resp.FinishReason || !reflect.DeepEqual(again.Usage, resp.Usage) {
				t.Errorf("canonical changed across a Gemini round trip:\n got %+v\nwant %+v", again, resp)
			}
		})
	}
}

func responseProjection(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	p := map[string]any{"model": m["modelVersion"], "id": m["responseId"]}
	if c := at(m, "candidates", 0); c != nil {
		var parts []any
		for _, part := range asList(at(c, "content", "parts")) {
			pp := partProjection(t, part.(map[string]any))
			if pp["text"] == "" && pp["signature"] == nil {
				continue // an empty text part carries nothing
			}
			parts = append(parts, pp)
		}
		p["parts"] = parts
		p["finish"] = at(c, "finishReason")
	}
	if pf, ok := m["promptFeedback"].(map[string]any); ok && len(asList(m["candidates"])) == 0 {
		p["blocked"] = str(pf["blockReason"])
	}
	if u, ok := m["usageMetadata"].(map[string]any); ok {
		keep := map[string]any{}
		for _, k := range []string{"promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount", "cachedContentTokenCount", "totalTokenCount"} {
			if v, ok := u[k]; ok && v != 0.0 {
				keep[k] = v
			}
		}
		p["usage"] = keep
	}
	return p
}

// Usage in canonical equals what Gemini reported: output includes thoughts,
// input includes cached content (SPEC §5.10).
func TestDecodeResponseUsage(t *testing.T) {
	tests := []struct {
		fixture string
		want    canonical.Usage
	}{
		{"raw-max-tokens-nonstream.response.json", canonical.Usage{InputTokens: 9, OutputTokens: 10 + 38, ReasoningTokens: 38}},
		{"thinking-nonstream.response.json", canonical.Usage{InputTokens: 29, OutputTokens: 736 + 1001, ReasoningTokens: 1001}},
		{"text-nonstream.response.json", canonical.Usage{InputTokens: 13, OutputTokens: 8}},
		{"max-tokens-thinking-empty.response.json", canonical.Usage{InputTokens: 15, OutputTokens: 2, ReasoningTokens: 2}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			resp, err := DecodeResponse(readFixture(t, "gemini", tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if resp.Usage == nil || *resp.Usage != tt.want {
				t.Errorf("usage = %+v, want %+v", resp.Usage, tt.want)
			}
		})
	}
	cached := `{"candidates":[{"content":{"role":"model","parts":[{"text":"hi"}]},"finishReason":"STOP"}],
	  "usageMetadata":{"promptTokenCount":1200,"cachedContentTokenCount":1024,"candidatesTokenCount":3,"thoughtsTokenCount":5,"totalTokenCount":1208}}`
	resp, err := DecodeResponse([]byte(cached))
	if err != nil {
		t.Fatal(err)
	}
	want := canonical.Usage{InputTokens: 1200, OutputTokens: 8, CacheReadTokens: 1024, ReasoningTokens: 5}
	if *resp.Usage != want {
		t.Errorf("cached usage = %+v, want %+v", *resp.Usage, want)
	}
	wire, _ := EncodeResponse(resp)
	if !strings.Contains(string(wire), `"usageMetadata":{"promptTokenCount":1200,"candidatesTokenCount":3,"totalTokenCount":1208,"cachedContentTokenCount":1024,"thoughtsTokenCount":5}`) {
		t.Errorf("re-encoded usage = %s", wire)
	}
}

func TestFinishReasonMapping(t *testing.T) {
	tests := []struct {
		wire   string
		called bool
		want   canonical.FinishReason
	}{
		{"STOP", false, canonical.FinishStop},
		{"", false, canonical.FinishStop},
		{"OTHER", false, canonical.FinishStop},
		{"STOP", true, canonical.FinishToolCalls},
		{"MAX_TOKENS", true, canonical.FinishLength},
		{"SAFETY", false, canonical.FinishContentFilter},
		{"RECITATION", false, canonical.FinishContentFilter},
		{"PROHIBITED_CONTENT", false, canonical.FinishContentFilter},
		{"SPII", false, canonical.FinishContentFilter},
		{"BLOCKLIST", false, canonical.FinishContentFilter},
		{"IMAGE_SAFETY", false, canonical.FinishContentFilter},
		{"MODEL_ARMOR", false, canonical.FinishContentFilter},
		{"LANGUAGE", false, canonical.FinishContentFilter},
		{"MALFORMED_FUNCTION_CALL", false, canonical.FinishToolCalls},
		{"UNEXPECTED_TOOL_CALL", false, canonical.FinishToolCalls},
	}
	for _, tt := range tests {
		if got := finishFromWire(tt.wire, tt.called); got != tt.want {
			t.Errorf("finishFromWire(%q, %v) = %s, want %s", tt.wire, tt.called, got, tt.want)
		}
	}
	out := map[canonical.FinishReason]string{
		canonical.FinishStop: "STOP", canonical.FinishToolCalls: "STOP", canonical.FinishLength: "MAX_TOKENS",
		canonical.FinishContentFilter: "SAFETY", canonical.FinishRefusal: "SAFETY", canonical.FinishPause: "STOP", "": "STOP",
	}
	for f, want := range out {
		if got := finishToWire(f); got != want {
			t.Errorf("finishToWire(%q) = %s, want %s", f, got, want)
		}
	}
}

func TestDecodeResponseEdgeCases(t *testing.T) {
	t.Run("blocked prompt", func(t *testing.T) {
		resp, err := DecodeResponse([]byte(`{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":4,"totalTokenCount":4}}`))
		if err != nil {
			t.Fatal(err)
		}
		if resp.FinishReason != canonical.FinishContentFilter || len(resp.Content) != 0 {
			t.Errorf("got %+v", resp)
		}
		wire, _ := EncodeResponse(resp)
		if !strings.Contains(string(wire), `"candidates":[],"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"}`) {
			t.Errorf("re-encoded = %s", wire)
		}
	})
	t.Run("function calls get stable ids", func(t *testing.T) {
		body := readFixture(t, "gemini", "firebase-parallel-function-calls.response.json")
		a, _ := DecodeResponse(body)
		b, _ := DecodeResponse(body)
		ids := map[string]bool{}
		for i := range a.Content {
			id := a.Content[i].ToolCall.ID
			if id == "" || id != b.Content[i].ToolCall.ID || ids[id] {
				t.Errorf("call %d id %q not stable and unique", i, id)
			}
			ids[id] = true
		}
		if a.FinishReason != canonical.FinishToolCalls {
			t.Errorf("finish = %s", a.FinishReason)
		}
	})
	t.Run("malformed body", func(t *testing.T) {
		_, err := DecodeResponse([]byte(`{"candidates":7}`))
		ce := canonical.As(err)
		if ce.Kind != canonical.KindUpstream || ce.Status != 502 {
			t.Errorf("got %v", err)
		}
	})
	t.Run("error body", func(t *testing.T) {
		_, err := DecodeResponse(readFixture(t, "errors", "gemini-503-overloaded.response.json"))
		ce := canonical.As(err)
		if ce.Kind != canonical.KindUpstream || ce.Status != 503 || ce.Type != "UNAVAILABLE" {
			t.Errorf("got %+v", ce)
		}
	})
}

func TestEncodeResponseFromOtherShapes(t *testing.T) {
	resp := &canonical.Response{
		ID: "msg_1", Model: "claude-x", FinishReason: canonical.FinishToolCalls,
		Content: []canonical.Part{
			{Type: canonical.PartReasoning, Text: "thinking", Reasoning: &canonical.Reasoning{Signature: "sig"}},
			{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Redacted: true, Data: "x"}},
			{Type: canonical.PartText, Text: "I'll check."},
			{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "toolu_1", Name: "w", Arguments: `{"q": 1}`}},
		},
		Usage: &canonical.Usage{InputTokens: 10, OutputTokens: 7, ReasoningTokens: 3},
	}
	wire, err := EncodeResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"candidates":[{"content":{"role":"model","parts":[{"text":"thinking","thought":true,"thoughtSignature":"sig"},{"text":"I'll check."},{"functionCall":{"id":"toolu_1","name":"w","args":{"q":1}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":10,"candidatesTokenCount":4,"totalTokenCount":17,"thoughtsTokenCount":3},"modelVersion":"claude-x","responseId":"msg_1"}`
	if string(wire) != want {
		t.Errorf("got  %s\nwant %s", wire, want)
	}
}
