package responses

import (
	"strings"
	"testing"
)

func TestGuard(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		param string // "" = passes
		why   string // a word the message must contain
	}{
		{"a stateless request passes", `{"model":"m","input":"hi","store":false,"truncation":"disabled","previous_response_id":null}`, "", ""},
		{"an empty previous_response_id passes", `{"input":"hi","previous_response_id":""}`, "", ""},
		{"function tools, calls, outputs and reasoning pass", `{"input":[{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"https://x.test/a.png"}]},
			{"type":"reasoning","id":"rs","summary":[]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"x"}],
			"tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"f"}}`, "", ""},
		{"store absent passes (nothing asks to keep it)", `{"input":"hi"}`, "", ""},
		{"a body that is not JSON passes to DecodeRequest", `{"input":`, "", ""},
		{"previous_response_id", `{"input":"hi","previous_response_id":"resp_123"}`, "previous_response_id", "store"},
		{"conversation", `{"input":"hi","conversation":"conv_1"}`, "conversation", "state"},
		{"store true", `{"input":"hi","store":true}`, "store", "store:false"},
		{"background", `{"input":"hi","background":true}`, "background", "background"},
		{"truncation auto", `{"input":"hi","truncation":"auto"}`, "truncation", "truncation"},
		{"a stored prompt", `{"prompt":{"id":"pmpt_1"}}`, "prompt", "template"},
		{"web_search", `{"input":"hi","tools":[{"type":"function","name":"f"},{"type":"web_search"}]}`, "tools[1].type", "web_search"},
		{"web_search_preview", `{"tools":[{"type":"web_search_preview"}]}`, "tools[0].type", "built-in"},
		{"file_search", `{"tools":[{"type":"file_search","vector_store_ids":["vs"]}]}`, "tools[0].type", "file_search"},
		{"computer_use_preview", `{"tools":[{"type":"computer_use_preview"}]}`, "tools[0].type", "computer_use_preview"},
		{"image_generation", `{"tools":[{"type":"image_generation"}]}`, "tools[0].type", "image_generation"},
		{"mcp", `{"tools":[{"type":"mcp","server_label":"x"}]}`, "tools[0].type", "mcp"},
		{"code_interpreter", `{"tools":[{"type":"code_interpreter"}]}`, "tools[0].type", "code_interpreter"},
		{"custom", `{"tools":[{"type":"custom","name":"x"}]}`, "tools[0].type", "custom"},
		{"apply_patch", `{"tools":[{"type":"apply_patch"}]}`, "tools[0].type", "apply_patch"},
		{"tool_search", `{"tools":[{"type":"tool_search"}]}`, "tools[0].type", "tool_search"},
		{"function_shell", `{"tools":[{"type":"function_shell"}]}`, "tools[0].type", "function_shell"},
		{"a built-in tool_choice", `{"tool_choice":{"type":"file_search"}}`, "tool_choice.type", "file_search"},
		{"allowed_tools", `{"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[]}}`, "tool_choice.type", "allowed_tools"},
		{"an item_reference", `{"input":[{"role":"user","content":"a"},{"type":"item_reference","id":"msg_1"}]}`, "input[1].type", "stored"},
		{"a built-in tool call item", `{"input":[{"type":"web_search_call","id":"ws","status":"completed"}]}`, "input[0].type", "web_search_call"},
		{"a message part with no chat form", `{"input":[{"role":"user","content":[{"type":"input_audio"}]}]}`, "input[0].content[0].type", "input_audio"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := Guard([]byte(tc.body))
			if tc.param == "" {
				if e != nil {
					t.Fatalf("refused: %v", e)
				}
				return
			}
			if e == nil {
				t.Fatal("passed")
			}
			if e.Status != 400 || e.Type != "unsupported_feature" || e.Code != GuardCode || e.Param != tc.param || !strings.Contains(e.Message, tc.why) {
				t.Errorf("got %d %s %s %q %q, want param %q and a message about %q", e.Status, e.Type, e.Code, e.Param, e.Message, tc.param, tc.why)
			}
			body := generic(t, EncodeError(e))["error"].(map[string]any)
			if body["type"] != "unsupported_feature" || body["code"] != GuardCode || body["param"] != tc.param || body["message"] != e.Message {
				t.Errorf("rendered %v", body)
			}
		})
	}
}

// TestGuardAgreesWithDecode: whatever DecodeRequest keeps aside rather than
// translating is something the guard refuses.
func TestGuardAgreesWithDecode(t *testing.T) {
	for _, body := range []string{
		`{"input":[{"type":"compaction","encrypted_content":"x"}]}`,
		`{"input":[{"role":"assistant","content":[{"type":"output_audio","data":"x"}]}]}`,
		`{"tools":[{"type":"namespace","name":"x"}]}`,
		`{"tool_choice":{"type":"mcp","server_label":"x"}}`,
	} {
		req, err := DecodeRequest([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if stateOf(t, req.Ext) == nil {
			t.Errorf("%s: nothing kept", body)
		}
		if Guard([]byte(body)) == nil {
			t.Errorf("%s: kept by DecodeRequest but passed by the guard", body)
		}
	}
}
