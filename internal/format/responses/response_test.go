package responses

import (
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func TestDecodeResponseFinish(t *testing.T) {
	msg := `{"type":"message","role":"assistant","content":[{"type":"output_text","text":"x"}]}`
	call := `{"type":"function_call","call_id":"c","name":"f","arguments":""}`
	tests := []struct {
		name, body string
		finish     canonical.FinishReason
	}{
		{"completed text is stop", `{"object":"response","status":"completed","output":[` + msg + `]}`, canonical.FinishStop},
		{"completed with a call is tool_calls", `{"object":"response","status":"completed","output":[` + msg + `,` + call + `]}`, canonical.FinishToolCalls},
		{"incomplete for max_output_tokens is length", `{"object":"response","status":"incomplete","incomplete_details":{"reason":"max_output_tokens"},"output":[` + msg + `]}`, canonical.FinishLength},
		{"completed with a refusal part is a refusal", `{"object":"response","status":"completed","output":[{"type":"message","role":"assistant","content":[{"type":"refusal","refusal":"no"}]}]}`, canonical.FinishRefusal},
		{"incomplete for content_filter", `{"object":"response","status":"incomplete","incomplete_details":{"reason":"content_filter"},"output":[]}`, canonical.FinishContentFilter},
		{"incomplete for an unknown reason is length", `{"object":"response","status":"incomplete","incomplete_details":{"reason":"other"},"output":[]}`, canonical.FinishLength},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := DecodeResponse([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if resp.FinishReason != tc.finish {
				t.Errorf("finish %s, want %s", resp.FinishReason, tc.finish)
			}
			if status, _ := terminalStatus(resp.FinishReason); status != generic(t, []byte(tc.body))["status"] {
				t.Errorf("re-encoding would show status %s", status)
			}
		})
	}
	resp, err := DecodeResponse([]byte(`{"object":"response","status":"completed","output":[` + call + `]}`))
	if err != nil || resp.Content[0].ToolCall.Arguments != "{}" {
		t.Fatalf("empty arguments: %v %+v", err, resp)
	}
}

func TestDecodeResponseFailures(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		kind       canonical.Kind
		code       string
	}{
		{"a failed response is its error", `{"object":"response","status":"failed","error":{"code":"rate_limit_exceeded","message":"slow"}}`, 429, canonical.KindRateLimited, "rate_limit_exceeded"},
		{"a failed response with an invalid prompt", `{"object":"response","status":"failed","error":{"code":"invalid_prompt","message":"no"}}`, 400, canonical.KindInvalidRequest, "invalid_prompt"},
		{"an error body in a 200", `{"error":{"message":"x","type":"server_error"}}`, 502, canonical.KindUpstream, ""},
		{"a chat completion is not a Responses object", `{"object":"chat.completion","choices":[]}`, 502, canonical.KindUpstream, "upstream_error"},
		{"not JSON", `<html>`, 502, canonical.KindUpstream, "upstream_error"},
		{"output of the wrong type", `{"object":"response","output":{}}`, 502, canonical.KindUpstream, "upstream_error"},
		{"a malformed item", `{"object":"response","output":[{"type":"function_call","call_id":"c"}]}`, 502, canonical.KindUpstream, "upstream_error"},
		{"a function_call_output in output", `{"object":"response","output":[{"type":"function_call_output","call_id":"c","output":"x"}]}`, 502, canonical.KindUpstream, "upstream_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeResponse([]byte(tc.body))
			ce, ok := err.(*canonical.Error)
			if !ok || ce.Status != tc.status || ce.Kind != tc.kind || ce.Code != tc.code || ce.Message == "" {
				t.Fatalf("err = %#v", err)
			}
		})
	}
}

func TestEncodeResponseTranslated(t *testing.T) {
	t.Run("ids: upstream ids prefixed, none derived from the content", func(t *testing.T) {
		r := &canonical.Response{ID: "msg_01abc", Content: []canonical.Part{{Type: canonical.PartText, Text: "x"}}}
		if b, _ := EncodeResponse(r); generic(t, b)["id"] != "resp_msg_01abc" {
			t.Errorf("prefixed id %v", generic(t, b)["id"])
		}
		r.ID = ""
		a, _ := EncodeResponse(r)
		b, _ := EncodeResponse(r)
		id := generic(t, a)["id"].(string)
		if id != generic(t, b)["id"] || !strings.HasPrefix(id, "resp_") || len(id) != len("resp_")+48 {
			t.Errorf("derived ids %v %v", id, generic(t, b)["id"])
		}
		r.Content[0].Text = "y"
		if c, _ := EncodeResponse(r); generic(t, c)["id"] == id {
			t.Error("different content derived the same id")
		}
	})
	t.Run("echo members take stateless defaults and service_tier comes from Ext", func(t *testing.T) {
		r := &canonical.Response{ID: "resp_1", Model: "m", Content: []canonical.Part{{Type: canonical.PartText, Text: "x"}}}
		r.Ext.Set(providerKey, "service_tier", jsonString("flex"))
		b := generic(t, mustEncode(t, r))
		if b["store"] != false || b["tool_choice"] != "auto" || b["truncation"] != "disabled" || b["service_tier"] != "flex" || b["usage"] != nil || b["error"] != nil {
			t.Errorf("object %v", b)
		}
	})
	t.Run("redacted reasoning is left out, encrypted reasoning kept", func(t *testing.T) {
		r := &canonical.Response{ID: "resp_1", Content: []canonical.Part{
			{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Redacted: true, Data: "anthropic-opaque"}},
			{Type: canonical.PartReasoning, Text: "sum", Reasoning: &canonical.Reasoning{Summary: true, Data: "gAAA"}},
			{Type: canonical.PartText, Text: "x"}}}
		out := generic(t, mustEncode(t, r))["output"].([]any)
		if len(out) != 2 {
			t.Fatalf("output %v", out)
		}
		rs := out[0].(map[string]any)
		if rs["encrypted_content"] != "gAAA" || len(rs["summary"].([]any)) != 1 || strings.Contains(string(mustEncode(t, r)), "anthropic-opaque") {
			t.Errorf("reasoning item %v", rs)
		}
	})
	t.Run("content a Responses output cannot carry is a 502", func(t *testing.T) {
		r := &canonical.Response{Content: []canonical.Part{{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x.test/a.png"}}}}
		_, err := EncodeResponse(r)
		if ce, ok := err.(*canonical.Error); !ok || ce.Status != 502 {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a kept non-terminal status is shown again", func(t *testing.T) {
		resp, err := DecodeResponse([]byte(`{"id":"resp_q","object":"response","status":"queued","output":[],"background":true}`))
		if err != nil {
			t.Fatal(err)
		}
		b := generic(t, mustEncode(t, resp))
		if b["status"] != "queued" || b["background"] != true {
			t.Errorf("object %v", b)
		}
	})
}

func mustEncode(t *testing.T, r *canonical.Response) []byte {
	t.Helper()
	b, err := EncodeResponse(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
