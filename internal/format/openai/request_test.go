package openai

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func ptr[T any](v T) *T { return &v }

func TestDecodeRequestMapsEveryVariant(t *testing.T) {
	body := `{
	  "model": "gpt-4o",
	  "messages": [
	    {"role": "developer", "content": "Be brief."},
	    {"role": "system", "content": [{"type": "text", "text": "Use metric units."}]},
	    {"role": "user", "name": "ann", "content": [
	      {"type": "text", "text": "Look:"},
	      {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0K", "detail": "low"}},
	      {"type": "image_url", "image_url": "https://example.com/a.jpg"},
	      {"type": "input_audio", "input_audio": {"data": "UklGRg==", "format": "wav"}},
	      {"type": "file", "file": {"file_data": "data:application/pdf;base64,JVBERi0=", "filename": "a.pdf"}},
	      {"type": "file", "file": {"file_id": "file-123"}},
	      {"type": "text", "text": "cached", "cache_control": {"type": "ephemeral", "ttl": "1h"}}
	    ]},
	    {"role": "assistant", "reasoning": "thinking…", "content": null, "tool_calls": [
	      {"id": "c1", "type": "function", "function": {"name": "f", "arguments": ""}},
	      {"id": "c2", "type": "function", "function": {"name": "g", "arguments": {"x": 1}}}
	    ]},
	    {"role": "tool", "tool_call_id": "c1", "content": "one"},
	    {"role": "tool", "tool_call_id": "c2", "content": [{"type": "text", "text": "two"}]},
	    {"role": "system", "content": "late system"},
	    {"role": "assistant", "content": [{"type": "thinking", "thinking": [{"type": "text", "text": "hm"}]}, {"type": "text", "text": "ok"}], "refusal": "no"}
	  ],
	  "max_tokens": 10, "max_completion_tokens": 20, "stop": "END", "seed": 7, "top_k": 3,
	  "frequency_penalty": 0.5, "presence_penalty": -0.5, "reasoning_effort": "low", "user": "u1",
	  "metadata": {"k": "v"}, "stream": true, "stream_options": {"include_usage": true},
	  "tool_choice": {"type": "function", "function": {"name": "f"}}, "parallel_tool_calls": false,
	  "response_format": {"type": "json_schema", "json_schema": {"name": "r", "schema": {"type": "object"}, "strict": true}},
	  "tools": [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}],
	  "logit_bias": {"50256": -100}, "thinking": {"type": "enabled"}, "service_tier": null,
	  "nexus": {"ext": {"anthropic": {"thinking": {"type": "enabled", "budget_tokens": 2000}}}},
	  "some_future_field": {"ignored": true}
	}`
	req, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if got := []string{req.System[0].Text, req.System[1].Text}; !reflect.DeepEqual(got, []string{"Be brief.", "Use metric units."}) {
		t.Errorf("system = %v", got)
	}
	user := req.Messages[0]
	if user.Role != canonical.RoleUser || user.Name != "ann" || len(user.Parts) != 7 {
		t.Fatalf("user message = %+v", user)
	}
	img := user.Parts[1].Media
	if user.Parts[1].Type != canonical.PartImage || img.MIMEType != "image/png" || len(img.Data) == 0 || img.URL != "" || img.Detail != "low" {
		t.Errorf("data-URL image = %+v", img)
	}
	if m := user.Parts[2].Media; m.URL != "https://example.com/a.jpg" || m.Data != nil {
		t.Errorf("bare-string image_url = %+v", m)
	}
	if p := user.Parts[3]; p.Type != canonical.PartAudio || p.Media.MIMEType != "audio/wav" || string(p.Media.Data) != "RIFF" {
		t.Errorf("audio = %+v", p.Media)
	}
	if p := user.Parts[4]; p.Type != canonical.PartDocument || p.Media.MIMEType != "application/pdf" || p.Media.Title != "a.pdf" || string(p.Media.Data) != "%PDF-" {
		t.Errorf("file_data = %+v", p.Media)
	}
	if p := user.Parts[5]; p.Media.FileID != "file-123" {
		t.Errorf("file_id = %+v", p.Media)
	}
	if p := user.Parts[6]; p.CacheControl != "ephemeral" || p.CacheTTL != "1h" {
		t.Errorf("cache marker = %q %q", p.CacheControl, p.CacheTTL)
	}
	asst := req.Messages[1]
	if asst.Parts[0].Type != canonical.PartReasoning || asst.Parts[0].Text != "thinking…" {
		t.Errorf("reasoning alias = %+v", asst.Parts[0])
	}
	if tc := asst.Parts[1].ToolCall; tc.Arguments != "{}" {
		t.Errorf("empty arguments = %q, want {}", tc.Arguments)
	}
	if tc := asst.Parts[2].ToolCall; tc.Arguments != `{"x":1}` {
		t.Errorf("object arguments = %q", tc.Arguments)
	}
	tool := req.Messages[2]
	if tool.Role != canonical.RoleTool || len(tool.Parts) != 2 {
		t.Fatalf("consecutive tool messages not merged: %+v", tool)
	}
	if r := tool.Parts[1].ToolResult; r.CallID != "c2" || r.Name != "g" || r.Content[0].Text != "two" {
		t.Errorf("tool result = %+v", r)
	}
	if m := req.Messages[3]; m.Role != canonical.RoleSystem || m.Parts[0].Text != "late system" {
		t.Errorf("late system message = %+v", m)
	}
	last := req.Messages[4]
	kinds := []canonical.PartType{last.Parts[0].Type, last.Parts[1].Type, last.Parts[2].Type}
	if !reflect.DeepEqual(kinds, []canonical.PartType{canonical.PartReasoning, canonical.PartText, canonical.PartRefusal}) {
		t.Errorf("assistant part order = %v", kinds)
	}
	if *req.MaxTokens != 20 {
		t.Errorf("max_completion_tokens must win, got %d", *req.MaxTokens)
	}
	if !reflect.DeepEqual(req.Stop, []string{"END"}) || *req.Seed != 7 || *req.TopK != 3 || *req.FrequencyPenalty != 0.5 || *req.PresencePenalty != -0.5 {
		t.Errorf("sampling = stop %v seed %v topk %v", req.Stop, *req.Seed, *req.TopK)
	}
	if !req.Stream || !req.IncludeUsage || req.ReasoningEffort != "low" || req.User != "u1" || req.Metadata["k"] != "v" {
		t.Errorf("flags = %+v", req)
	}
	if *req.ToolChoice != (canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: "f"}) || *req.ParallelToolCalls {
		t.Errorf("tool choice = %+v", req.ToolChoice)
	}
	if rf := req.ResponseFormat; rf.Type != canonical.FormatJSONSchema || rf.Name != "r" || string(rf.Schema) != `{"type": "object"}` || !*rf.Strict {
		t.Errorf("response_format = %+v", rf)
	}
	if string(req.Ext.Get("openai", "logit_bias")) != `{"50256": -100}` || string(req.Ext.Get("openai", "thinking")) != `{"type": "enabled"}` {
		t.Errorf("lifted fields = %v", req.Ext["openai"])
	}
	if req.Ext.Get("openai", "service_tier") != nil {
		t.Error("a null field was lifted")
	}
	if !strings.Contains(string(req.Ext.Get("anthropic", "thinking")), "budget_tokens") {
		t.Errorf("nexus.ext not read: %v", req.Ext)
	}
}

func TestDecodeRequestRejectsWithPath(t *testing.T) {
	cases := []struct {
		name, body, param, typ string
	}{
		{"malformed JSON", `{"model":`, "", "invalid_request_error"},
		{"not an object", `[1,2]`, "", "invalid_request_error"},
		{"null body", `null`, "", "invalid_request_error"},
		{"no messages", `{"model":"m"}`, "messages", "invalid_request_error"},
		{"wrong role type", `{"messages":[{"role":"user","content":"a"},{"role":5}]}`, "messages[1].role", "invalid_request_error"},
		{"wrong temperature type", `{"messages":[{"role":"user"}],"temperature":"hot"}`, "temperature", "invalid_request_error"},
		{"wrong tool_call type", `{"messages":[{"role":"assistant","tool_calls":[{"id":"a","function":{"name":"f"}},{"id":7}]}]}`, "messages[0].tool_calls[1].id", "invalid_request_error"},
		{"unknown role", `{"messages":[{"role":"robot","content":"x"}]}`, "messages[0].role", "invalid_request_error"},
		{"missing role", `{"messages":[{"content":"x"}]}`, "messages[0].role", "invalid_request_error"},
		{"function role", `{"messages":[{"role":"function","name":"f","content":"x"}]}`, "messages[0].role", "nexus_field_unsupported"},
		{"n above one", `{"n":2,"messages":[{"role":"user","content":"x"}]}`, "n", "nexus_field_unsupported"},
		{"legacy functions", `{"functions":[{"name":"f"}],"messages":[{"role":"user","content":"x"}]}`, "functions", "nexus_field_unsupported"},
		{"tool without call id", `{"messages":[{"role":"tool","content":"x"}]}`, "messages[0].tool_call_id", "invalid_request_error"},
		{"content number", `{"messages":[{"role":"user","content":5}]}`, "messages[0].content", "invalid_request_error"},
		{"bad base64 image", `{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,@@@"}}]}]}`, "messages[0].content[0].image_url.url", "invalid_request_error"},
		{"unknown part", `{"messages":[{"role":"user","content":[{"type":"video","video":{}}]}]}`, "messages[0].content[0].type", "nexus_field_unsupported"},
		{"image in system", `{"messages":[{"role":"system","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, "messages[0].content", "invalid_request_error"},
		{"custom tool", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"custom","custom":{"name":"c"}}]}`, "tools[0].type", "nexus_field_unsupported"},
		{"tool without name", `{"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{}}]}`, "tools[0].function.name", "invalid_request_error"},
		{"allowed_tools choice", `{"messages":[{"role":"user","content":"x"}],"tool_choice":{"type":"allowed_tools"}}`, "tool_choice.type", "nexus_field_unsupported"},
		{"unknown choice", `{"messages":[{"role":"user","content":"x"}],"tool_choice":"any"}`, "tool_choice", "invalid_request_error"},
		{"stop number", `{"messages":[{"role":"user","content":"x"}],"stop":3}`, "stop", "invalid_request_error"},
		{"unknown response_format", `{"messages":[{"role":"user","content":"x"}],"response_format":{"type":"xml"}}`, "response_format.type", "invalid_request_error"},
		{"bad nexus ext", `{"messages":[{"role":"user","content":"x"}],"nexus":{"ext":{"anthropic":5}}}`, "nexus.ext.anthropic", "invalid_request_error"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tc.body))
			var ce *canonical.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *canonical.Error", err)
			}
			if ce.Status != 400 || ce.Kind != canonical.KindInvalidRequest || ce.Param != tc.param || ce.Type != tc.typ || ce.Message == "" {
				t.Errorf("got status %d kind %s param %q type %q msg %q; want param %q type %q", ce.Status, ce.Kind, ce.Param, ce.Type, ce.Message, tc.param, tc.typ)
			}
		})
	}
}

func userText(s string) canonical.Message {
	return canonical.Message{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: s}}}
}

func TestEncodeRequestRefusesWhatOpenAICannotTake(t *testing.T) {
	img := func(m canonical.Media) canonical.Message {
		return canonical.Message{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartImage, Media: &m}}}
	}
	cases := []struct {
		name  string
		req   canonical.Request
		param string
	}{
		{"image by file id", canonical.Request{Messages: []canonical.Message{img(canonical.Media{FileID: "f"})}}, "messages[0].parts[0].media.file_id"},
		{"image by gs uri", canonical.Request{Messages: []canonical.Message{img(canonical.Media{URL: "gs://b/x.png"})}}, "messages[0].parts[0].media.url"},
		{"image bytes without mime", canonical.Request{Messages: []canonical.Message{img(canonical.Media{Data: []byte{1}})}}, "messages[0].parts[0].media.mime_type"},
		{"ogg audio", canonical.Request{Messages: []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{
			{Type: canonical.PartAudio, Media: &canonical.Media{Data: []byte{1}, MIMEType: "audio/ogg"}}}}}}, "messages[0].parts[0].media.mime_type"},
		{"text document", canonical.Request{Messages: []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{
			{Type: canonical.PartDocument, Media: &canonical.Media{Data: []byte("hi"), MIMEType: "text/plain"}}}}}}, "messages[0].parts[0].media.mime_type"},
		{"document by url", canonical.Request{Messages: []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{
			{Type: canonical.PartDocument, Media: &canonical.Media{URL: "https://x/a.pdf"}}}}}}, "messages[0].parts[0].media.url"},
		{"image in tool result", canonical.Request{Messages: []canonical.Message{{Role: canonical.RoleTool, Parts: []canonical.Part{
			{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{CallID: "c", Content: []canonical.Part{{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x/y.png"}}}}}}}}},
			"messages[0].parts[0].tool_result.content[0]"},
		{"image in assistant", canonical.Request{Messages: []canonical.Message{{Role: canonical.RoleAssistant, Parts: []canonical.Part{
			{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x/y.png"}}}}}}, "messages[0].parts[0]"},
		{"image in a later system message", canonical.Request{Messages: []canonical.Message{{Role: canonical.RoleSystem, Parts: []canonical.Part{
			{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x/y.png"}}}}}}, "messages[0].parts[0]"},
		{"image in system", canonical.Request{System: []canonical.Part{{Type: canonical.PartImage}}, Messages: []canonical.Message{userText("x")}}, "system[0]"},
		{"forced tool without tools", canonical.Request{Messages: []canonical.Message{userText("x")}, ToolChoice: &canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}}, "tool_choice"},
		{"schema output without schema", canonical.Request{Messages: []canonical.Message{userText("x")}, ResponseFormat: &canonical.ResponseFormat{Type: canonical.FormatJSONSchema}}, "response_format.schema"},
		{"invalid ext JSON", canonical.Request{Messages: []canonical.Message{userText("x")}, Ext: canonical.Ext{"openai": {"store": json.RawMessage("{")}}}, "nexus.ext.openai.store"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := EncodeRequest(&tc.req, "gpt-4o")
			var ce *canonical.Error
			if !errors.As(err, &ce) {
				t.Fatalf("want refusal, got %v", err)
			}
			if ce.Status != 400 || ce.Param != tc.param || ce.Kind != canonical.KindInvalidRequest {
				t.Errorf("got %d param %q type %q; want param %q", ce.Status, ce.Param, ce.Type, tc.param)
			}
			if tc.name != "invalid ext JSON" && (ce.Type != "nexus_field_unsupported" || !strings.Contains(ce.Message, "not supported by openai targets")) {
				t.Errorf("type %q message %q", ce.Type, ce.Message)
			}
		})
	}
}

func TestEncodeRequestDropsHintsAsCoercions(t *testing.T) {
	req := canonical.Request{
		Model:  "client-model",
		System: []canonical.Part{{Type: canonical.PartText, Text: "sys", CacheControl: "ephemeral"}},
		TopK:   ptr(5),
		Messages: []canonical.Message{
			userText("q"),
			{Role: canonical.RoleAssistant, Parts: []canonical.Part{
				{Type: canonical.PartReasoning, Text: "signed", Reasoning: &canonical.Reasoning{Signature: "sig"}},
				{Type: canonical.PartReasoning, Text: "plain"},
				{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "c", Name: "f", Arguments: `{"a":1}`, ThoughtSignature: "ts"}},
			}},
			{Role: canonical.RoleTool, Parts: []canonical.Part{{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{CallID: "c", IsError: true, Content: []canonical.Part{{Type: canonical.PartText, Text: "boom"}}}}}},
		},
		Tools: []canonical.Tool{{Name: "f"}},
	}
	body, coerced, err := EncodeRequest(&req, "gpt-4o-2024")
	if err != nil {
		t.Fatal(err)
	}
	want := []canonical.Coercion{{Field: "top_k", To: "removed"}, {Field: "cache_control", To: "removed"}, {Field: "reasoning", To: "removed"}, {Field: "thought_signature", To: "removed"}, {Field: "tool_result.is_error", To: "removed"}}
	if !reflect.DeepEqual(coerced, want) {
		t.Errorf("coercions = %v, want %v", coerced, want)
	}
	m := generic(t, body)
	if m["model"] != "gpt-4o-2024" {
		t.Errorf("model = %v, want the upstream model", m["model"])
	}
	if _, ok := m["top_k"]; ok {
		t.Error("top_k was sent")
	}
	asst := m["messages"].([]any)[2].(map[string]any)
	if asst["reasoning_content"] != "plain" {
		t.Errorf("reasoning_content = %v, want only the unsigned reasoning", asst["reasoning_content"])
	}
	if _, ok := asst["content"]; ok {
		t.Errorf("assistant with only tool calls carries content %v", asst["content"])
	}
	toolMsg := m["messages"].([]any)[3].(map[string]any)
	if toolMsg["role"] != "tool" || toolMsg["tool_call_id"] != "c" || toolMsg["content"] != "boom" {
		t.Errorf("tool message = %v", toolMsg)
	}
}

func TestEncodeRequestToolChoiceAndStreamRules(t *testing.T) {
	tools := []canonical.Tool{{Name: "f", Parameters: json.RawMessage(`{"type":"object"}`)}}
	cases := []struct {
		name string
		req  canonical.Request
		want map[string]any // members that must equal; nil value = must be absent
	}{
		{"none stays none", canonical.Request{Tools: tools, ToolChoice: &canonical.ToolChoice{Mode: canonical.ToolChoiceNone}},
			map[string]any{"tool_choice": "none"}},
		{"none without tools is omitted", canonical.Request{ToolChoice: &canonical.ToolChoice{Mode: canonical.ToolChoiceNone}, ParallelToolCalls: ptr(false)},
			map[string]any{"tool_choice": nil, "parallel_tool_calls": nil, "tools": nil}},
		{"required", canonical.Request{Tools: tools, ToolChoice: &canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}, ParallelToolCalls: ptr(false)},
			map[string]any{"tool_choice": "required", "parallel_tool_calls": false}},
		{"named", canonical.Request{Tools: tools, ToolChoice: &canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: "f"}},
			map[string]any{"tool_choice": map[string]any{"type": "function", "function": map[string]any{"name": "f"}}}},
		{"stream forces usage", canonical.Request{Stream: true},
			map[string]any{"stream": true, "stream_options": map[string]any{"include_usage": true}}},
		{"no stream no options", canonical.Request{},
			map[string]any{"stream": nil, "stream_options": nil}},
		{"ext spliced, owned keys and responses skipped", canonical.Request{Ext: canonical.Ext{
			"openai":    {"store": json.RawMessage(`true`), "model": json.RawMessage(`"evil"`), "responses": json.RawMessage(`{"store":true}`), "logit_bias": json.RawMessage(`{"1":2}`)},
			"anthropic": {"thinking": json.RawMessage(`{"type":"enabled"}`)},
		}}, map[string]any{"store": true, "model": "up", "responses": nil, "logit_bias": map[string]any{"1": 2.0}, "thinking": nil, "nexus": nil}},
		{"json_schema gets a name", canonical.Request{ResponseFormat: &canonical.ResponseFormat{Type: canonical.FormatJSONSchema, Schema: json.RawMessage(`{"type":"object"}`)}},
			map[string]any{"response_format": map[string]any{"type": "json_schema", "json_schema": map[string]any{"name": "response", "schema": map[string]any{"type": "object"}}}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.req.Messages = []canonical.Message{userText("x")}
			body, _, err := EncodeRequest(&tc.req, "up")
			if err != nil {
				t.Fatal(err)
			}
			m := generic(t, body)
			for k, want := range tc.want {
				got, ok := m[k]
				if want == nil {
					if ok {
						t.Errorf("%s = %v, want absent", k, got)
					}
					continue
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s = %#v, want %#v", k, got, want)
				}
			}
		})
	}
}

func TestEncodeRequestContentForms(t *testing.T) {
	req := canonical.Request{
		System: []canonical.Part{{Type: canonical.PartText, Text: "a"}, {Type: canonical.PartText, Text: "b"}},
		Messages: []canonical.Message{
			{Role: canonical.RoleUser, Parts: []canonical.Part{
				{Type: canonical.PartText, Text: "see <this> & that"},
				{Type: canonical.PartImage, Media: &canonical.Media{Data: []byte("PNG"), MIMEType: "image/png", Detail: "low"}},
				{Type: canonical.PartAudio, Media: &canonical.Media{Data: []byte("ID3"), MIMEType: "audio/mpeg"}},
				{Type: canonical.PartDocument, Media: &canonical.Media{Data: []byte("%PDF"), MIMEType: "application/pdf", Title: "x.pdf"}},
			}},
			{Role: canonical.RoleAssistant, Parts: []canonical.Part{{Type: canonical.PartText, Text: "one "}, {Type: canonical.PartText, Text: "two"}}},
			// Anthropic-style: results and text in one user turn.
			{Role: canonical.RoleUser, Parts: []canonical.Part{
				{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{CallID: "c1", Content: []canonical.Part{{Type: canonical.PartText, Text: "r1"}, {Type: canonical.PartText, Text: "r2"}}}},
				{Type: canonical.PartText, Text: "and?"},
			}},
			{Role: canonical.RoleSystem, Name: "ops", Parts: []canonical.Part{{Type: canonical.PartText, Text: "mid"}}},
			// A user turn of results only yields tool messages and no empty user message.
			{Role: canonical.RoleUser, Parts: []canonical.Part{
				{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{CallID: "c2"}},
			}},
		},
	}
	body, _, err := EncodeRequest(&req, "m")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), `"see <this> & that"`) {
		t.Errorf("text was HTML-escaped: %s", body)
	}
	var got struct {
		Messages []json.RawMessage `json:"messages"`
	}
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"role":"system","content":"a"}`,
		`{"role":"system","content":"b"}`,
		`{"role":"user","content":[{"type":"text","text":"see <this> & that"},{"type":"image_url","image_url":{"url":"data:image/png;base64,UE5H","detail":"low"}},{"type":"input_audio","input_audio":{"data":"SUQz","format":"mp3"}},{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERg==","filename":"x.pdf"}}]}`,
		`{"role":"assistant","content":"one two"}`,
		`{"role":"tool","content":[{"type":"text","text":"r1"},{"type":"text","text":"r2"}],"tool_call_id":"c1"}`,
		`{"role":"user","content":"and?"}`,
		`{"role":"system","name":"ops","content":"mid"}`,
		`{"role":"tool","content":"","tool_call_id":"c2"}`,
	}
	if len(got.Messages) != len(want) {
		t.Fatalf("got %d messages: %s", len(got.Messages), body)
	}
	for i := range want {
		if string(got.Messages[i]) != want[i] {
			t.Errorf("message %d:\n got %s\nwant %s", i, got.Messages[i], want[i])
		}
	}
}
