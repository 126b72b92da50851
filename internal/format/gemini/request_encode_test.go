package gemini

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func user(text string) canonical.Message {
	return canonical.Message{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: text}}}
}

func call(id, name, args string) canonical.Part {
	return canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: id, Name: name, Arguments: args}}
}

func result(id, name, text string, isErr bool) canonical.Message {
	return canonical.Message{Role: canonical.RoleTool, Parts: []canonical.Part{{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{
		CallID: id, Name: name, IsError: isErr, Content: []canonical.Part{{Type: canonical.PartText, Text: text}},
	}}}}
}

func assistant(parts ...canonical.Part) canonical.Message {
	return canonical.Message{Role: canonical.RoleAssistant, Parts: parts}
}

// encodeJSON encodes and returns the body parsed generically.
func encodeJSON(t *testing.T, req *canonical.Request, model string) (map[string]any, []canonical.Coercion) {
	t.Helper()
	body, coerced, err := EncodeRequest(req, model)
	if err != nil {
		t.Fatalf("EncodeRequest: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("encoded body is not JSON: %v", err)
	}
	return m, coerced
}

// at walks a generic JSON value by keys and indexes.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, _ := v.(map[string]any)
			v = m[k]
		case int:
			l, _ := v.([]any)
			if k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

func TestEncodeRequestToolResults(t *testing.T) {
	req := &canonical.Request{Messages: []canonical.Message{
		user("weather in Paris and Rome?"),
		assistant(call("call_1", "weather", `{"city":"Paris"}`), call("call_2", "weather", `{"city":"Rome"}`)),
		result("call_1", "", `{"temp":21}`, false), // name resolved from the call
		result("call_2", "", "sunny, 25C", false),  // plain text is wrapped
		user("thanks"),
	}}
	m, _ := encodeJSON(t, req, "gemini-2.5-flash")
	contents := at(m, "contents").([]any)
	if len(contents) != 3 {
		t.Fatalf("want user, model, user(responses+text); got %s", mustJSON(contents))
	}
	parts := at(contents[2], "parts").([]any)
	if len(parts) != 3 {
		t.Fatalf("responses and follow-up text should share one user turn: %s", mustJSON(parts))
	}
	if got := mustJSON(at(parts[0], "functionResponse")); got != `{"id":"call_1","name":"weather","response":{"temp":21}}` {
		t.Errorf("object result = %s", got)
	}
	if got := mustJSON(at(parts[1], "functionResponse", "response")); got != `{"result":"sunny, 25C"}` {
		t.Errorf("text result = %s", got)
	}
	if at(parts[2], "text") != "thanks" {
		t.Errorf("follow-up text = %s", mustJSON(parts[2]))
	}
	if got := mustJSON(at(contents[1], "parts", 1, "functionCall")); got != `{"args":{"city":"Rome"},"id":"call_2","name":"weather"}` {
		t.Errorf("call = %s", got)
	}
}

func TestEncodeRequestErrorResultUsesErrorKey(t *testing.T) {
	req := &canonical.Request{Messages: []canonical.Message{
		user("x"), assistant(call("c", "f", "")), result("c", "f", "boom", true),
	}}
	m, _ := encodeJSON(t, req, "")
	if got := mustJSON(at(m, "contents", 2, "parts", 0, "functionResponse", "response")); got != `{"error":"boom"}` {
		t.Errorf("error result = %s", got)
	}
	if got := mustJSON(at(m, "contents", 1, "parts", 0, "functionCall", "args")); got != `{}` {
		t.Errorf("empty arguments must become {}: %s", got)
	}
}

func TestEncodeRequestRefusals(t *testing.T) {
	img := func(m canonical.Media) canonical.Message {
		return canonical.Message{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartImage, Media: &m}}}
	}
	tests := []struct {
		name      string
		req       canonical.Request
		wantParam string
	}{
		{"tool result with unknown call", canonical.Request{Messages: []canonical.Message{user("x"), result("nope", "", "r", false)}}, "messages[1].parts[0].tool_result.name"},
		{"image detail high", canonical.Request{Messages: []canonical.Message{img(canonical.Media{URL: "https://x/a.png", Detail: "high"})}}, "messages[0].parts[0].detail"},
		{"late system message", canonical.Request{Messages: []canonical.Message{user("x"), {Role: canonical.RoleSystem, Parts: []canonical.Part{{Type: canonical.PartText, Text: "s"}}}}}, "messages[1]"},
		{"image in tool result", canonical.Request{Messages: []canonical.Message{user("x"), assistant(call("c", "f", "{}")), {Role: canonical.RoleTool, Parts: []canonical.Part{{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{CallID: "c", Content: []canonical.Part{{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x/a.png"}}}}}}}}}, "messages[2].parts[0].tool_result.content[0]"},
		{"foreign file id", canonical.Request{Messages: []canonical.Message{img(canonical.Media{FileID: "file-abc"})}}, "messages[0].parts[0].file_id"},
		{"image in system", canonical.Request{System: []canonical.Part{{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x"}}}, Messages: []canonical.Message{user("x")}}, "system[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := EncodeRequest(&tt.req, "gemini-2.5-flash")
			var ce *canonical.Error
			if !errors.As(err, &ce) {
				t.Fatalf("want *canonical.Error, got %v", err)
			}
			if ce.Status != 400 || ce.Kind != canonical.KindInvalidRequest || ce.Type != "nexus_field_unsupported" || ce.Param != tt.wantParam {
				t.Errorf("got %d %s %s param=%q, want 400 invalid_request nexus_field_unsupported param=%q", ce.Status, ce.Kind, ce.Type, ce.Param, tt.wantParam)
			}
			if !strings.Contains(ce.Message, "is not supported by gemini targets") {
				t.Errorf("message = %q", ce.Message)
			}
		})
	}
}

func TestEncodeRequestHintsBecomeCoercions(t *testing.T) {
	strict := true
	noParallel := false
	req := &canonical.Request{
		System: []canonical.Part{{Type: canonical.PartText, Text: "sys", CacheControl: "ephemeral"}},
		Messages: []canonical.Message{
			{Role: canonical.RoleUser, Name: "bob", Parts: []canonical.Part{
				{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://example.com/cat.png?x=1", Detail: "low"}},
			}},
			assistant(
				canonical.Part{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Redacted: true, Data: "opaque"}},
				call("c", "f", `{"a":`), // truncated JSON from a model
			),
		},
		Tools:             []canonical.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`), Strict: &strict}},
		ParallelToolCalls: &noParallel,
		User:              "u-1",
		Metadata:          map[string]string{"k": "v"},
	}
	m, coerced := encodeJSON(t, req, "gemini-2.5-flash")
	got := map[string]string{}
	for _, c := range coerced {
		got[c.Field] = c.To
	}
	want := map[string]string{
		"cache_control": "removed", "messages.name": "removed", "image_url.detail": "removed", "reasoning": "removed",
		"tool_calls.arguments": "wrapped_raw", "tools.strict": "removed", "parallel_tool_calls": "removed",
		"user": "removed", "metadata": "removed",
	}
	if mustJSON(got) != mustJSON(want) {
		t.Errorf("coercions = %v, want %v", got, want)
	}
	if got := mustJSON(at(m, "contents", 0, "parts", 0, "fileData")); got != `{"fileUri":"https://example.com/cat.png?x=1","mimeType":"image/png"}` {
		t.Errorf("url image = %s", got)
	}
	if got := mustJSON(at(m, "contents", 1, "parts")); got != `[{"functionCall":{"args":{"_raw":"{\"a\":"},"id":"c","name":"f"}}]` {
		t.Errorf("model parts = %s", got)
	}
	for _, k := range []string{"user", "metadata", "nexus", "parallelToolCalls"} {
		if _, ok := m[k]; ok {
			t.Errorf("key %q must not be sent", k)
		}
	}
}

func TestEncodeRequestToolChoice(t *testing.T) {
	tests := []struct {
		choice canonical.ToolChoice
		want   string
	}{
		{canonical.ToolChoice{Mode: canonical.ToolChoiceAuto}, `{"functionCallingConfig":{"mode":"AUTO"}}`},
		{canonical.ToolChoice{Mode: canonical.ToolChoiceNone}, `{"functionCallingConfig":{"mode":"NONE"}}`},
		{canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}, `{"functionCallingConfig":{"mode":"ANY"}}`},
		{canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: "f"}, `{"functionCallingConfig":{"allowedFunctionNames":["f"],"mode":"ANY"}}`},
	}
	for _, tt := range tests {
		t.Run(string(tt.choice.Mode), func(t *testing.T) {
			c := tt.choice
			req := &canonical.Request{Messages: []canonical.Message{user("x")}, Tools: []canonical.Tool{{Name: "f"}}, ToolChoice: &c}
			m, _ := encodeJSON(t, req, "gemini-2.5-flash")
			if got := mustJSON(m["toolConfig"]); got != tt.want {
				t.Errorf("toolConfig = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestEncodeRequestThinking(t *testing.T) {
	tests := []struct {
		name      string
		model     string
		effort    string
		ext       string
		want      string
		coercedTo string
	}{
		{"gemini 3 gets a level", "gemini-3-pro-preview", "high", "", `{"thinkingLevel":"high"}`, "thinking_level"},
		{"2.5 gets a budget", "models/gemini-2.5-flash", "medium", "", `{"thinkingBudget":8192}`, "thinking_budget"},
		{"2.0 cannot think", "gemini-2.0-flash", "low", "", `null`, "removed"},
		{"ext wins and is camelCased", "gemini-2.5-pro", "low", `{"thinking_budget":2048,"include_thoughts":true}`, `{"includeThoughts":true,"thinkingBudget":2048}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := &canonical.Request{Messages: []canonical.Message{user("x")}, ReasoningEffort: tt.effort}
			if tt.ext != "" {
				req.Ext.Set("gemini", "thinking_config", json.RawMessage(tt.ext))
			}
			m, coerced := encodeJSON(t, req, tt.model)
			if got := mustJSON(at(m, "generationConfig", "thinkingConfig")); got != tt.want {
				t.Errorf("thinkingConfig = %s, want %s", got, tt.want)
			}
			var to string
			for _, c := range coerced {
				if c.Field == "reasoning_effort" {
					to = c.To
				}
			}
			if to != tt.coercedTo {
				t.Errorf("reasoning_effort coerced to %q, want %q", to, tt.coercedTo)
			}
		})
	}
	_, _, err := EncodeRequest(&canonical.Request{Messages: []canonical.Message{user("x")}, ReasoningEffort: "extreme"}, "gemini-2.5-pro")
	if err == nil {
		t.Error("unknown effort must be refused")
	}
}

// Gemini 3 rejects function-call history without a thought signature; the
// placeholder goes on the first call of a turn only when none has one.
func TestEncodeRequestSignaturePlaceholder(t *testing.T) {
	signed := call("c2", "f", "{}")
	signed.ToolCall.ThoughtSignature = "real-sig"
	req := &canonical.Request{Messages: []canonical.Message{
		user("x"),
		assistant(canonical.Part{Type: canonical.PartText, Text: "calling"}, call("c1", "f", "{}"), call("c1b", "f", "{}")),
		result("c1", "f", "1", false), result("c1b", "f", "2", false),
		assistant(signed),
		result("c2", "f", "3", false),
	}}
	m, coerced := encodeJSON(t, req, "gemini-3-pro-preview")
	if got := at(m, "contents", 1, "parts", 1, "thoughtSignature"); got != skipSignature {
		t.Errorf("first call of unsigned turn: signature %v", got)
	}
	if got := at(m, "contents", 1, "parts", 2, "thoughtSignature"); got != nil {
		t.Errorf("parallel calls after the first get no signature, got %v", got)
	}
	if got := at(m, "contents", 3, "parts", 0, "thoughtSignature"); got != "real-sig" {
		t.Errorf("a real signature is kept: %v", got)
	}
	if len(coerced) != 1 || coerced[0].String() != "thought_signature->"+skipSignature {
		t.Errorf("coercions = %v", coerced)
	}
	m, _ = encodeJSON(t, req, "gemini-2.5-flash")
	if got := at(m, "contents", 1, "parts", 1, "thoughtSignature"); got != nil {
		t.Errorf("2.5 needs no placeholder, got %v", got)
	}
}

func TestEncodeRequestMediaAndFormats(t *testing.T) {
	req := &canonical.Request{
		System: []canonical.Part{{Type: canonical.PartText, Text: "a"}},
		Messages: []canonical.Message{
			{Role: canonical.RoleSystem, Parts: []canonical.Part{{Type: canonical.PartText, Text: "b"}}},
			{Role: canonical.RoleUser, Parts: []canonical.Part{
				{Type: canonical.PartImage, Media: &canonical.Media{URL: "data:image/png;base64,iVBORw0KGgo="}},
				{Type: canonical.PartDocument, Media: &canonical.Media{MIMEType: "application/pdf", Data: []byte("%PDF-1.4")}},
				{Type: canonical.PartText, Text: "answer", ThoughtSignature: "sig-text"},
			}},
		},
		ResponseFormat:   &canonical.ResponseFormat{Type: canonical.FormatJSONSchema, Name: "city", Schema: json.RawMessage(`{"type":"object","properties":{"c":{"type":"string"}}}`)},
		Temperature:      ptr(0.2),
		TopP:             ptr(0.9),
		TopK:             ptr(40),
		MaxTokens:        ptr(100),
		Stop:             []string{"END"},
		Seed:             ptr(int64(7)),
		FrequencyPenalty: ptr(0.1),
	}
	m, _ := encodeJSON(t, req, "gemini-2.5-flash")
	if got := mustJSON(m["systemInstruction"]); got != `{"parts":[{"text":"a"},{"text":"b"}]}` {
		t.Errorf("leading system message joins the instruction: %s", got)
	}
	if got := mustJSON(at(m, "contents", 0, "parts", 0)); got != `{"inlineData":{"data":"iVBORw0KGgo=","mimeType":"image/png"}}` {
		t.Errorf("data URL = %s", got)
	}
	if got := mustJSON(at(m, "contents", 0, "parts", 1)); got != `{"inlineData":{"data":"JVBERi0xLjQ=","mimeType":"application/pdf"}}` {
		t.Errorf("bytes = %s", got)
	}
	if got := mustJSON(at(m, "contents", 0, "parts", 2)); got != `{"text":"answer","thoughtSignature":"sig-text"}` {
		t.Errorf("signed text = %s", got)
	}
	want := `{"frequencyPenalty":0.1,"maxOutputTokens":100,"responseJsonSchema":{"properties":{"c":{"type":"string"}},"type":"object"},"responseMimeType":"application/json","seed":7,"stopSequences":["END"],"temperature":0.2,"topK":40,"topP":0.9}`
	if got := mustJSON(m["generationConfig"]); got != want {
		t.Errorf("generationConfig = %s\nwant %s", got, want)
	}
	req.ResponseFormat = &canonical.ResponseFormat{Type: canonical.FormatJSONObject}
	m, _ = encodeJSON(t, req, "gemini-2.5-flash")
	if at(m, "generationConfig", "responseMimeType") != "application/json" || at(m, "generationConfig", "responseJsonSchema") != nil {
		t.Errorf("json_object = %s", mustJSON(m["generationConfig"]))
	}
}

func TestEncodeRequestAppliesProviderExt(t *testing.T) {
	req := &canonical.Request{Messages: []canonical.Message{user("x")}, Tools: []canonical.Tool{{Name: "f"}}, Temperature: ptr(0.5)}
	req.Ext.Set("gemini", "tools", json.RawMessage(`[{"googleSearch":{}}]`))
	req.Ext.Set("gemini", "safety_settings", json.RawMessage(`[{"category":"HARM_CATEGORY_HATE_SPEECH","threshold":"BLOCK_NONE"}]`))
	req.Ext.Set("gemini", "generation_config", json.RawMessage(`{"temperature":1.5,"responseModalities":["TEXT"]}`))
	req.Ext.Set("anthropic", "thinking", json.RawMessage(`{"type":"enabled"}`))
	m, _ := encodeJSON(t, req, "gemini-2.5-flash")
	if got := mustJSON(m["tools"]); got != `[{"functionDeclarations":[{"name":"f"}]},{"googleSearch":{}}]` {
		t.Errorf("tools = %s", got)
	}
	if got := mustJSON(m["safetySettings"]); !strings.Contains(got, "BLOCK_NONE") {
		t.Errorf("safety settings = %s", got)
	}
	if got := mustJSON(m["generationConfig"]); got != `{"responseModalities":["TEXT"],"temperature":0.5}` {
		t.Errorf("canonical temperature must win over ext: %s", got)
	}
	if strings.Contains(mustJSON(m), "enabled") {
		t.Errorf("another provider's ext leaked: %s", mustJSON(m))
	}
}
