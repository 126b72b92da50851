package gemini

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func TestDecodeRequestRejectsBadBodiesWithParam(t *testing.T) {
	tests := []struct {
		name      string
		body      string
		wantParam string
		wantType  string
		wantInMsg string
	}{
		{"empty body", ``, "", "invalid_request_error", "empty"},
		{"not JSON", `{"contents":[`, "", "invalid_request_error", "not valid JSON"},
		{"text of wrong type", `{"contents":[{"parts":[{"text":5}]}]}`, "contents.parts.text", "invalid_request_error", "must be a string"},
		{"contents of wrong type", `{"contents":"hi"}`, "contents", "invalid_request_error", "an array"},
		{"unknown role", `{"contents":[{"role":"bot","parts":[{"text":"x"}]}]}`, "contents[0].role", "invalid_request_error", `"bot"`},
		{"several candidates", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"candidateCount":2}}`, "generationConfig.candidateCount", "nexus_field_unsupported", "one candidate"},
		{"code execution part", `{"contents":[{"role":"model","parts":[{"executableCode":{"language":"PYTHON","code":"1"}}]}]}`, "contents[0].parts[0].executableCode", "nexus_field_unsupported", "code-execution"},
		{"bad base64", `{"contents":[{"parts":[{"inlineData":{"mimeType":"image/png","data":"!!!"}}]}]}`, "contents[0].parts[0].inlineData.data", "invalid_request_error", "base64"},
		{"call in user turn", `{"contents":[{"role":"user","parts":[{"functionCall":{"name":"f"}}]}]}`, "contents[0].parts[0].functionCall", "invalid_request_error", "model turns"},
		{"call args not object", `{"contents":[{"role":"model","parts":[{"functionCall":{"name":"f","args":[1]}}]}]}`, "contents[0].parts[0].functionCall.args", "invalid_request_error", "object"},
		{"unknown calling mode", `{"contents":[{"parts":[{"text":"x"}]}],"toolConfig":{"functionCallingConfig":{"mode":"SOMETIMES"}}}`, "toolConfig.functionCallingConfig.mode", "invalid_request_error", "SOMETIMES"},
		{"fractional topK", `{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"topK":2.5}}`, "generationConfig.topK", "invalid_request_error", "integer"},
		{"image in system", `{"systemInstruction":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}}]},"contents":[{"parts":[{"text":"x"}]}]}`, "systemInstruction.parts[0]", "nexus_field_unsupported", "text parts only"},
		{"declaration without name", `{"contents":[{"parts":[{"text":"x"}]}],"tools":[{"functionDeclarations":[{"description":"d"}]}]}`, "tools[0].functionDeclarations[0].name", "invalid_request_error", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tt.body))
			var ce *canonical.Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *canonical.Error, got %v", err)
			}
			if ce.Kind != canonical.KindInvalidRequest || ce.Status != 400 {
				t.Errorf("kind/status = %s/%d, want invalid_request/400", ce.Kind, ce.Status)
			}
			if ce.Param != tt.wantParam || ce.Type != tt.wantType {
				t.Errorf("param/type = %q/%q, want %q/%q", ce.Param, ce.Type, tt.wantParam, tt.wantType)
			}
			if !strings.Contains(ce.Message, tt.wantInMsg) {
				t.Errorf("message %q lacks %q", ce.Message, tt.wantInMsg)
			}
		})
	}
}

// Google's REST docs use proto field names (system_instruction,
// inline_data…) and a lone object for parts; both must decode.
func TestDecodeRequestAcceptsSnakeCaseAndSingleObjects(t *testing.T) {
	body := `{
	  "system_instruction": {"parts": {"text": "You are a cat."}},
	  "contents": {"role": "user", "parts": [
	    {"text": "What is this?"},
	    {"inline_data": {"mime_type": "image/png", "data": "iVBORw0KGgo="}},
	    {"file_data": {"mime_type": "application/pdf", "file_uri": "https://generativelanguage.googleapis.com/v1beta/files/abc"}}
	  ]},
	  "tools": [{"function_declarations": [{"name": "f", "parameters_json_schema": {"type": "object"}}]}],
	  "tool_config": {"function_calling_config": {"mode": "ANY", "allowed_function_names": ["f"]}},
	  "generation_config": {"max_output_tokens": 64, "stop_sequences": "END", "top_k": 40.0, "response_mime_type": "application/json"},
	  "safety_settings": [{"category": "HARM_CATEGORY_HARASSMENT", "threshold": "BLOCK_NONE"}],
	  "cached_content": "cachedContents/xyz",
	  "someFutureField": {"ignored": true}
	}`
	req, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.System) != 1 || req.System[0].Text != "You are a cat." {
		t.Errorf("system = %+v", req.System)
	}
	if len(req.Messages) != 1 || len(req.Messages[0].Parts) != 3 {
		t.Fatalf("messages = %+v", req.Messages)
	}
	img, doc := req.Messages[0].Parts[1], req.Messages[0].Parts[2]
	if img.Type != canonical.PartImage || img.Media.MIMEType != "image/png" || string(img.Media.Data[:4]) != "\x89PNG" {
		t.Errorf("image part = %+v", img)
	}
	if doc.Type != canonical.PartDocument || doc.Media.URL == "" || doc.Media.MIMEType != "application/pdf" {
		t.Errorf("file part = %+v", doc)
	}
	if len(req.Tools) != 1 || string(req.Tools[0].Parameters) != `{"type":"object"}` {
		t.Errorf("tools = %+v", req.Tools)
	}
	if req.ToolChoice == nil || req.ToolChoice.Mode != canonical.ToolChoiceTool || req.ToolChoice.Name != "f" {
		t.Errorf("tool choice = %+v", req.ToolChoice)
	}
	if req.MaxTokens == nil || *req.MaxTokens != 64 || req.TopK == nil || *req.TopK != 40 {
		t.Errorf("max tokens / topK = %v / %v", req.MaxTokens, req.TopK)
	}
	if len(req.Stop) != 1 || req.Stop[0] != "END" {
		t.Errorf("stop = %v", req.Stop)
	}
	if req.ResponseFormat == nil || req.ResponseFormat.Type != canonical.FormatJSONObject {
		t.Errorf("response format = %+v", req.ResponseFormat)
	}
	if got := string(req.Ext.Get("gemini", "safety_settings")); !strings.Contains(got, "BLOCK_NONE") {
		t.Errorf("safety settings ext = %s", got)
	}
	if got := string(req.Ext.Get("gemini", "cached_content")); got != `"cachedContents/xyz"` {
		t.Errorf("cached content ext = %s", got)
	}
}

func TestDecodeRequestURLSafeBase64(t *testing.T) {
	// google-genai (Python) sends URL-safe base64; bytes 0xfb 0xff → "-_8".
	body := `{"contents":[{"parts":[{"inlineData":{"mimeType":"image/jpeg","data":"_9j_-_8"}}]}]}`
	req, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	got := req.Messages[0].Parts[0].Media.Data
	want := []byte{0xff, 0xd8, 0xff, 0xfb, 0xff}
	if string(got) != string(want) {
		t.Errorf("data = % x, want % x", got, want)
	}
}

func TestDecodeRequestToolConfig(t *testing.T) {
	tools := `"tools":[{"functionDeclarations":[{"name":"a"},{"name":"b"},{"name":"c"}]}]`
	tests := []struct {
		name     string
		config   string
		want     canonical.ToolChoice
		keepsExt bool
	}{
		{"AUTO", `{"functionCallingConfig":{"mode":"AUTO"}}`, canonical.ToolChoice{Mode: canonical.ToolChoiceAuto}, false},
		{"NONE stays none", `{"functionCallingConfig":{"mode":"NONE"}}`, canonical.ToolChoice{Mode: canonical.ToolChoiceNone}, false},
		{"ANY", `{"functionCallingConfig":{"mode":"ANY"}}`, canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}, false},
		{"ANY one name is that tool", `{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["b"]}}`, canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: "b"}, false},
		{"ANY over all tools", `{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["c","a","b"]}}`, canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}, false},
		{"ANY over a subset keeps ext", `{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["a","b"]}}`, canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}, true},
		{"VALIDATED keeps ext", `{"functionCallingConfig":{"mode":"VALIDATED"}}`, canonical.ToolChoice{Mode: canonical.ToolChoiceAuto}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := DecodeRequest([]byte(`{"contents":[{"parts":[{"text":"x"}]}],` + tools + `,"toolConfig":` + tt.config + `}`))
			if err != nil {
				t.Fatal(err)
			}
			if req.ToolChoice == nil || *req.ToolChoice != tt.want {
				t.Errorf("tool choice = %+v, want %+v", req.ToolChoice, tt.want)
			}
			ext := req.Ext.Get("gemini", "tool_config")
			if (ext != nil) != tt.keepsExt {
				t.Errorf("ext tool_config = %s, want kept=%v", ext, tt.keepsExt)
			}
			// Same-family trip: the wire gets back the same config.
			wire, _, err := EncodeRequest(req, "gemini-2.5-flash")
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				ToolConfig struct {
					FunctionCallingConfig struct {
						Mode string `json:"mode"`
					} `json:"functionCallingConfig"`
				} `json:"toolConfig"`
			}
			if err := json.Unmarshal(wire, &got); err != nil {
				t.Fatal(err)
			}
			var orig struct {
				FunctionCallingConfig struct {
					Mode string `json:"mode"`
				} `json:"functionCallingConfig"`
			}
			_ = json.Unmarshal([]byte(tt.config), &orig)
			if got.ToolConfig.FunctionCallingConfig.Mode != orig.FunctionCallingConfig.Mode {
				t.Errorf("re-encoded mode = %q, want %q", got.ToolConfig.FunctionCallingConfig.Mode, orig.FunctionCallingConfig.Mode)
			}
		})
	}
}

// Gemini pairs id-less responses with calls by name and order; decode must
// give each response the synthesized id of the call it answers.
func TestDecodeRequestPairsIDlessResponsesWithCalls(t *testing.T) {
	body := `{"contents":[
	  {"role":"user","parts":[{"text":"sum twice"}]},
	  {"role":"model","parts":[
	    {"functionCall":{"name":"sum","args":{"x":1}}},
	    {"functionCall":{"name":"mul","args":{}}},
	    {"functionCall":{"name":"sum","args":{"x":2}}}]},
	  {"role":"user","parts":[
	    {"functionResponse":{"name":"sum","response":{"r":1}}},
	    {"functionResponse":{"name":"sum","response":{"r":2}}},
	    {"functionResponse":{"name":"mul","response":{"r":0}}},
	    {"text":"and now?"}]}]}`
	req, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Messages) != 4 {
		t.Fatalf("want user, assistant, tool, user; got %d messages", len(req.Messages))
	}
	calls := req.Messages[1].Parts
	results := req.Messages[2].Parts
	if req.Messages[2].Role != canonical.RoleTool || req.Messages[3].Role != canonical.RoleUser {
		t.Fatalf("roles = %s, %s", req.Messages[2].Role, req.Messages[3].Role)
	}
	wantPairs := [][2]int{{0, 0}, {1, 2}, {2, 1}} // result i answers call j
	for _, p := range wantPairs {
		got, want := results[p[0]].ToolResult.CallID, calls[p[1]].ToolCall.ID
		if got != want || got == "" {
			t.Errorf("result %d call id = %q, want %q", p[0], got, want)
		}
	}
	if calls[0].ToolCall.ID == calls[2].ToolCall.ID {
		t.Errorf("two calls share id %q", calls[0].ToolCall.ID)
	}
	// Back to Gemini: one model turn, one user turn holding the responses
	// and the text, and no made-up ids on the wire.
	wire, _, err := EncodeRequest(req, "gemini-2.5-pro")
	if err != nil {
		t.Fatal(err)
	}
	var out outRequest
	if err := json.Unmarshal(wire, &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Contents) != 3 || len(out.Contents[2].Parts) != 4 {
		t.Fatalf("contents = %s", wire)
	}
	if strings.Contains(string(wire), syntheticIDPrefix) {
		t.Errorf("synthesized ids leaked to the wire: %s", wire)
	}
}

func TestDecodeRequestLiftsAndMapsProviderFields(t *testing.T) {
	body := `{"contents":[{"parts":[{"text":"x"}]}],
	  "tools":[{"googleSearch":{}},{"functionDeclarations":[{"name":"f","parameters":{"type":"OBJECT","properties":{"n":{"type":"STRING","nullable":true}}}}]}],
	  "generationConfig":{"thinkingConfig":{"thinkingLevel":"HIGH"},"responseMimeType":"application/json",
	    "responseSchema":{"type":"ARRAY","items":{"type":"STRING","enum":["OBJECT"]}},"mediaResolution":"MEDIA_RESOLUTION_LOW","presencePenalty":0.5},
	  "nexus":{"ext":{"gemini":{"thinking_config":{"thinking_budget":1}},"anthropic":{"thinking":{"type":"enabled","budget_tokens":2000}}}}}`
	req, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := string(req.Ext.Get("gemini", "tools")); got != `[{"googleSearch":{}}]` {
		t.Errorf("ext tools = %s", got)
	}
	if got := string(req.Tools[0].Parameters); got != `{"type":"object","properties":{"n":{"type":["string","null"]}}}` {
		t.Errorf("parameters = %s", got)
	}
	if req.ResponseFormat == nil || string(req.ResponseFormat.Schema) != `{"type":"array","items":{"type":"string","enum":["OBJECT"]}}` {
		t.Errorf("response format = %+v", req.ResponseFormat)
	}
	if got := string(req.Ext.Get("gemini", "thinking_config")); got != `{"thinkingLevel":"HIGH"}` {
		t.Errorf("native thinkingConfig must win over nexus.ext: %s", got)
	}
	if req.ReasoningEffort != "high" {
		t.Errorf("reasoning effort = %q", req.ReasoningEffort)
	}
	if got := string(req.Ext.Get("anthropic", "thinking")); got != `{"type":"enabled","budget_tokens":2000}` {
		t.Errorf("other providers' ext = %s", got)
	}
	if got := string(req.Ext.Get("gemini", "generation_config")); got != `{"mediaResolution":"MEDIA_RESOLUTION_LOW"}` {
		t.Errorf("generation_config ext = %s", got)
	}
	if req.PresencePenalty == nil || *req.PresencePenalty != 0.5 {
		t.Errorf("presence penalty = %v", req.PresencePenalty)
	}
}

func TestEffortFromThinking(t *testing.T) {
	tests := []struct{ cfg, want string }{
		{`{"thinkingBudget":0}`, "minimal"},
		{`{"thinking_budget":1024}`, "low"},
		{`{"thinkingBudget":8000}`, "medium"},
		{`{"thinkingBudget":24576}`, "high"},
		{`{"thinkingBudget":-1}`, ""},
		{`{"thinkingLevel":"low"}`, "low"},
		{`{"includeThoughts":true}`, ""},
	}
	for _, tt := range tests {
		if got := effortFromThinking(json.RawMessage(tt.cfg)); got != tt.want {
			t.Errorf("effortFromThinking(%s) = %q, want %q", tt.cfg, got, tt.want)
		}
	}
}
