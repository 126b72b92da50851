package responses

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// roles lists the message roles of req.
func roles(req *canonical.Request) string {
	var b strings.Builder
	for i, m := range req.Messages {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(string(m.Role))
		b.WriteByte(':')
		for j, p := range m.Parts {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(string(p.Type))
		}
	}
	return b.String()
}

// stateOf decodes the kept Responses state of ext into a generic map.
func stateOf(t *testing.T, ext canonical.Ext) map[string]any {
	t.Helper()
	raw := ext.Get(providerKey, ExtKey)
	if raw == nil {
		return nil
	}
	return generic(t, raw)
}

func TestDecodeRequestMapping(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, req *canonical.Request)
	}{
		{
			name: "a string input is one user message and instructions the system prompt",
			body: `{"model":"m","instructions":"Be brief.","input":"Hello"}`,
			check: func(t *testing.T, req *canonical.Request) {
				if roles(req) != "user:text" || req.Messages[0].Parts[0].Text != "Hello" || len(req.System) != 1 || req.System[0].Text != "Be brief." {
					t.Errorf("%s system %v", roles(req), req.System)
				}
			},
		},
		{
			name: "developer and system items stay system messages in place",
			body: `{"input":[{"role":"user","content":"a"},{"role":"developer","content":"b"},{"type":"message","role":"system","content":[{"type":"input_text","text":"c"}]}]}`,
			check: func(t *testing.T, req *canonical.Request) {
				if roles(req) != "user:text system:text system:text" || req.System != nil {
					t.Errorf("%s system %v", roles(req), req.System)
				}
			},
		},
		{
			name: "reasoning, assistant text and calls are one turn; outputs one tool turn named after the calls",
			body: `{"input":[{"role":"user","content":"q"},
				{"type":"reasoning","id":"rs_1","summary":[{"type":"summary_text","text":"s1"},{"type":"summary_text","text":"s2"}],"encrypted_content":"enc"},
				{"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"Let me check.","annotations":[]}]},
				{"type":"function_call","id":"fc_1","call_id":"call_1","name":"weather","arguments":"{\"city\":\"Rome\"}"},
				{"type":"function_call","call_id":"call_2","name":"time","arguments":""},
				{"type":"function_call_output","call_id":"call_1","output":"sunny"},
				{"type":"function_call_output","call_id":"call_2","output":[{"type":"input_text","text":"noon"}]},
				{"role":"user","content":"thanks"}]}`,
			check: func(t *testing.T, req *canonical.Request) {
				if want := "user:text assistant:reasoning,reasoning,text,tool_call,tool_call tool:tool_result,tool_result user:text"; roles(req) != want {
					t.Fatalf("%s\nwant %s", roles(req), want)
				}
				a := req.Messages[1].Parts
				if a[0].Reasoning.Data != "enc" || !a[0].Reasoning.Summary || a[1].Reasoning.Data != "" || a[1].Text != "s2" {
					t.Errorf("reasoning parts %+v %+v", a[0].Reasoning, a[1].Reasoning)
				}
				if tc := a[4].ToolCall; tc.ID != "call_2" || tc.Name != "time" || tc.Arguments != "{}" {
					t.Errorf("second call %+v", tc)
				}
				res := req.Messages[2].Parts
				if res[0].ToolResult.Name != "weather" || res[1].ToolResult.Name != "time" || res[1].ToolResult.Content[0].Text != "noon" {
					t.Errorf("results %+v %+v", res[0].ToolResult, res[1].ToolResult)
				}
				notes := stateOf(t, req.Ext)["item_notes"].([]any)
				if len(notes) != 3 {
					t.Errorf("kept notes %v, want the ids of rs_1, msg_1 and fc_1", notes)
				}
			},
		},
		{
			name: "an assistant message after assistant text starts a new turn",
			body: `{"input":[{"role":"assistant","content":"one"},{"role":"assistant","content":"two"},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"}]}`,
			check: func(t *testing.T, req *canonical.Request) {
				if roles(req) != "assistant:text assistant:text,tool_call" {
					t.Errorf("%s", roles(req))
				}
			},
		},
		{
			name: "images and files become media",
			body: `{"input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,iVBORw0KGgo=","detail":"low"},
				{"type":"input_image","image_url":"https://x.test/a.jpg"},{"type":"input_image","file_id":"file-1","detail":"high"},
				{"type":"input_file","file_data":"data:application/pdf;base64,JVBERi0=","filename":"a.pdf"},{"type":"input_file","file_url":"https://x.test/b.pdf"}]}]}`,
			check: func(t *testing.T, req *canonical.Request) {
				p := req.Messages[0].Parts
				if m := p[0].Media; m.MIMEType != "image/png" || string(m.Data) != "\x89PNG\r\n\x1a\n" || m.Detail != "low" {
					t.Errorf("data image %+v", m)
				}
				if p[1].Media.URL != "https://x.test/a.jpg" || p[2].Media.FileID != "file-1" || p[2].Media.Detail != "high" {
					t.Errorf("url/file images %+v %+v", p[1].Media, p[2].Media)
				}
				if m := p[3].Media; p[3].Type != canonical.PartDocument || m.MIMEType != "application/pdf" || string(m.Data) != "%PDF-" || m.Title != "a.pdf" {
					t.Errorf("file %+v", m)
				}
				if p[4].Media.URL != "https://x.test/b.pdf" {
					t.Errorf("file url %+v", p[4].Media)
				}
			},
		},
		{
			name: "parameters, text format, reasoning effort and lifted members",
			body: `{"model":"gpt-5","input":"x","max_output_tokens":50,"temperature":0.2,"top_p":0.9,"parallel_tool_calls":false,
				"metadata":{"k":"v"},"user":"u1","stream":true,"reasoning":{"effort":"low","summary":"auto"},
				"text":{"format":{"type":"json_schema","name":"City","schema":{"type":"object"},"strict":true,"description":"d"},"verbosity":"low"},
				"service_tier":"flex","prompt_cache_key":"pk","safety_identifier":"sid","store":false,"include":["reasoning.encrypted_content"],
				"previous_response_id":null,"truncation":"disabled","nexus":{"ext":{"anthropic":{"thinking":{"type":"enabled"}}}}}`,
			check: func(t *testing.T, req *canonical.Request) {
				if *req.MaxTokens != 50 || *req.Temperature != 0.2 || *req.TopP != 0.9 || *req.ParallelToolCalls || req.Metadata["k"] != "v" ||
					req.User != "u1" || !req.Stream || !req.IncludeUsage || req.ReasoningEffort != "low" {
					t.Errorf("parameters %+v", req)
				}
				rf := req.ResponseFormat
				if rf.Type != canonical.FormatJSONSchema || rf.Name != "City" || string(rf.Schema) != `{"type":"object"}` || !*rf.Strict || rf.Description != "d" {
					t.Errorf("format %+v", rf)
				}
				for k, want := range map[string]string{"verbosity": `"low"`, "service_tier": `"flex"`, "prompt_cache_key": `"pk"`, "safety_identifier": `"sid"`} {
					if got := string(req.Ext.Get(providerKey, k)); got != want {
						t.Errorf("Ext openai %s = %s, want %s", k, got, want)
					}
				}
				if string(req.Ext.Get("anthropic", "thinking")) != `{"type":"enabled"}` {
					t.Errorf("nexus ext lost: %v", req.Ext)
				}
				st := stateOf(t, req.Ext)
				want := map[string]any{"store": false, "include": []any{"reasoning.encrypted_content"}, "previous_response_id": nil,
					"truncation": "disabled", "reasoning": map[string]any{"summary": "auto"}}
				if !reflect.DeepEqual(st, want) {
					t.Errorf("state %v\nwant %v", st, want)
				}
			},
		},
		{
			name: "built-in tools, a built-in tool_choice and native items are kept with their place",
			body: `{"input":[{"role":"user","content":"a"},{"type":"item_reference","id":"msg_9"},{"type":"web_search_call","id":"ws_1","status":"completed"},{"role":"assistant","content":"b"}],
				"tools":[{"type":"web_search"},{"type":"function","name":"f","parameters":{"type":"object"}}],"tool_choice":{"type":"web_search"}}`,
			check: func(t *testing.T, req *canonical.Request) {
				if roles(req) != "user:text assistant:text" || len(req.Tools) != 1 || req.Tools[0].Name != "f" || req.ToolChoice != nil {
					t.Fatalf("%s tools %v choice %v", roles(req), req.Tools, req.ToolChoice)
				}
				st := stateOf(t, req.Ext)
				natives := st["builtin_tool_calls"].([]any)
				if len(natives) != 2 || natives[0].(map[string]any)["message"] != 1.0 || natives[0].(map[string]any)["part"] != 0.0 {
					t.Errorf("natives %v", natives)
				}
				tools := st["builtin_tools"].([]any)
				if len(tools) != 1 || tools[0].(map[string]any)["index"] != 0.0 {
					t.Errorf("builtin tools %v", tools)
				}
				if !reflect.DeepEqual(st["tool_choice"], map[string]any{"type": "web_search"}) {
					t.Errorf("tool_choice %v", st["tool_choice"])
				}
			},
		},
		{
			name: "tool_choice forms",
			body: `{"input":"x","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"function","name":"f"}}`,
			check: func(t *testing.T, req *canonical.Request) {
				if tc := req.ToolChoice; tc.Mode != canonical.ToolChoiceTool || tc.Name != "f" || req.Tools[0].Parameters != nil {
					t.Errorf("choice %+v tools %+v", tc, req.Tools)
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, err := DecodeRequest([]byte(tc.body))
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			tc.check(t, req)
		})
	}
}

func TestDecodeRequestRefusals(t *testing.T) {
	tests := []struct {
		name, body, param, typ string
	}{
		{"not an object", `[]`, "", "invalid_request_error"},
		{"not JSON", `{"input":`, "", "invalid_request_error"},
		{"temperature of the wrong type", `{"input":"x","temperature":"hot"}`, "temperature", "invalid_request_error"},
		{"input of the wrong type", `{"input":5}`, "input", "invalid_request_error"},
		{"an item without a role or type", `{"input":[{"content":"x"}]}`, "input[0].type", "invalid_request_error"},
		{"an unknown role", `{"input":[{"role":"robot","content":"x"}]}`, "input[0].role", "invalid_request_error"},
		{"content of the wrong type", `{"input":[{"role":"user","content":7}]}`, "input[0].content", "invalid_request_error"},
		{"a content part without a type", `{"input":[{"role":"user","content":[{"text":"x"}]}]}`, "input[0].content[0].type", "invalid_request_error"},
		{"a call without a name", `{"input":[{"type":"function_call","call_id":"c","arguments":"{}"}]}`, "input[0].name", "invalid_request_error"},
		{"arguments that are not JSON text", `{"input":[{"type":"function_call","call_id":"c","name":"f","arguments":5}]}`, "input[0].arguments", "invalid_request_error"},
		{"an output without call_id", `{"input":[{"type":"function_call_output","output":"x"}]}`, "input[0].call_id", "invalid_request_error"},
		{"a refusal inside a function output", `{"input":[{"type":"function_call_output","call_id":"c","output":[{"type":"refusal","refusal":"no"}]}]}`, "input[0].output[0].type", "nexus_field_unsupported"},
		{"an image with broken base64", `{"input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,!!"}]}]}`, "input[0].content[0].image_url", "invalid_request_error"},
		{"an image with nothing to show", `{"input":[{"role":"user","content":[{"type":"input_image","detail":"auto"}]}]}`, "input[0].content[0].image_url", "invalid_request_error"},
		{"a summary part of the wrong type", `{"input":[{"type":"reasoning","id":"r","summary":[{"type":"text","text":"x"}]}]}`, "input[0].summary[0].type", "invalid_request_error"},
		{"a function tool without a name", `{"input":"x","tools":[{"type":"function"}]}`, "tools[0].name", "invalid_request_error"},
		{"a tool without a type", `{"input":"x","tools":[{"name":"f"}]}`, "tools[0].type", "invalid_request_error"},
		{"parameters that are not a schema object", `{"input":"x","tools":[{"type":"function","name":"f","parameters":[1]}]}`, "tools[0].parameters", "invalid_request_error"},
		{"an unknown tool_choice", `{"input":"x","tool_choice":"sometimes"}`, "tool_choice", "invalid_request_error"},
		{"a function tool_choice without a name", `{"input":"x","tool_choice":{"type":"function"}}`, "tool_choice.name", "invalid_request_error"},
		{"an unknown text format", `{"input":"x","text":{"format":{"type":"yaml"}}}`, "text.format.type", "invalid_request_error"},
		{"reasoning that is not an object", `{"input":"x","reasoning":"high"}`, "reasoning", "invalid_request_error"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(tc.body))
			ce, ok := err.(*canonical.Error)
			if !ok || ce.Status != 400 || ce.Kind != canonical.KindInvalidRequest || ce.Param != tc.param || ce.Type != tc.typ {
				t.Fatalf("err = %#v, want 400 %s at %q", err, tc.typ, tc.param)
			}
			if ce.Message == "" || strings.Contains(ce.Message, "hot") {
				t.Errorf("message %q is empty or echoes input", ce.Message)
			}
		})
	}
}

// TestEncodeRequestPutsStateBack: kept built-in tools, native items and
// stateful members go back where they were.
func TestEncodeRequestPutsStateBack(t *testing.T) {
	body := `{"model":"gpt-5","previous_response_id":"resp_1","store":true,"truncation":"auto","background":false,
		"input":[{"role":"user","content":"a"},{"type":"item_reference","id":"msg_9"},{"type":"reasoning","id":"rs_1","summary":[]},
			{"type":"web_search_call","id":"ws_1","status":"completed"},{"type":"message","id":"msg_2","role":"assistant","status":"completed","phase":"final_answer","content":[{"type":"output_text","text":"b","annotations":[{"type":"url_citation","url":"https://x.test"}]}]}],
		"tools":[{"type":"function","name":"f","parameters":{"type":"object"},"strict":true},{"type":"web_search"},{"type":"function","name":"g","parameters":{"type":"object"},"strict":false}],
		"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[{"type":"function","name":"f"}]}}`
	req, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Model = "gpt-5"
	wire, coerced, err := EncodeRequest(req, "gpt-5-2025-08-07")
	if err != nil || len(coerced) != 0 {
		t.Fatalf("EncodeRequest: %v, coerced %v", err, coerced)
	}
	got := generic(t, wire)
	want := generic(t, []byte(body))
	want["model"] = "gpt-5-2025-08-07"
	if g, w := normalizeRequest(got), normalizeRequest(want); !reflect.DeepEqual(g, w) {
		t.Errorf("re-encoded\n %v\nwant %v", g, w)
	}
	types := []string{}
	for _, it := range got["input"].([]any) {
		typ, _ := it.(map[string]any)["type"].(string)
		types = append(types, typ)
	}
	if want := []string{"message", "item_reference", "reasoning", "web_search_call", "message"}; !reflect.DeepEqual(types, want) {
		t.Errorf("item order %v, want %v", types, want)
	}
}

func TestEncodeRequestFromOtherShapes(t *testing.T) {
	yes := true
	k, seed, pen := 5, int64(7), 0.5
	base := func() *canonical.Request {
		return &canonical.Request{Model: "m", Messages: []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: "hi"}}}}}
	}
	tests := []struct {
		name    string
		mutate  func(r *canonical.Request)
		param   string // refusal param; "" = success
		coerced []canonical.Coercion
		check   func(t *testing.T, body map[string]any)
	}{
		{
			name: "system parts join into instructions",
			mutate: func(r *canonical.Request) {
				r.System = []canonical.Part{{Type: canonical.PartText, Text: "one"}, {Type: canonical.PartText, Text: "two"}}
			},
			check: func(t *testing.T, b map[string]any) {
				if b["instructions"] != "one\n\ntwo" {
					t.Errorf("instructions %q", b["instructions"])
				}
			},
		},
		{
			name: "sampling hints without a Responses parameter are dropped as coercions",
			mutate: func(r *canonical.Request) {
				r.TopK, r.Seed, r.FrequencyPenalty, r.PresencePenalty = &k, &seed, &pen, &pen
			},
			coerced: []canonical.Coercion{{Field: "top_k", To: "removed"}, {Field: "seed", To: "removed"}, {Field: "frequency_penalty", To: "removed"}, {Field: "presence_penalty", To: "removed"}},
			check: func(t *testing.T, b map[string]any) {
				for _, k := range []string{"top_k", "seed", "frequency_penalty", "presence_penalty"} {
					if _, ok := b[k]; ok {
						t.Errorf("%s was sent", k)
					}
				}
			},
		},
		{name: "stop sequences are refused", mutate: func(r *canonical.Request) { r.Stop = []string{"END"} }, param: "stop"},
		{
			name: "foreign reasoning is dropped, tool calls and results become items",
			mutate: func(r *canonical.Request) {
				r.Messages = append(r.Messages,
					canonical.Message{Role: canonical.RoleAssistant, Parts: []canonical.Part{
						{Type: canonical.PartReasoning, Text: "thinking", Reasoning: &canonical.Reasoning{Signature: "sig"}},
						{Type: canonical.PartText, Text: "ok"}, {Type: canonical.PartRefusal, Text: " but no"},
						{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "c1", Name: "f", Arguments: `{"a":1}`}}}},
					canonical.Message{Role: canonical.RoleTool, Parts: []canonical.Part{{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{
						CallID: "c1", IsError: true, Content: []canonical.Part{{Type: canonical.PartText, Text: "err"}, {Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x.test/i.png"}}}}}}})
			},
			coerced: []canonical.Coercion{{Field: "reasoning", To: "removed"}, {Field: "refusal", To: "text"}, {Field: "tool_result.is_error", To: "removed"}},
			check: func(t *testing.T, b map[string]any) {
				in := b["input"].([]any)
				if len(in) != 4 {
					t.Fatalf("input %v", in)
				}
				if m := in[1].(map[string]any); m["role"] != "assistant" || m["content"] != "ok but no" {
					t.Errorf("assistant %v", m)
				}
				if c := in[2].(map[string]any); c["type"] != "function_call" || c["call_id"] != "c1" || c["arguments"] != `{"a":1}` {
					t.Errorf("call %v", c)
				}
				out := in[3].(map[string]any)["output"].([]any)
				if len(out) != 2 || out[1].(map[string]any)["image_url"] != "https://x.test/i.png" || out[1].(map[string]any)["detail"] != "auto" {
					t.Errorf("output %v", out)
				}
			},
		},
		{
			name: "tools without a strict flag are sent non-strict, with an empty schema when they had none",
			mutate: func(r *canonical.Request) {
				r.Tools = []canonical.Tool{{Name: "f"}, {Name: "g", Strict: &yes, Parameters: json.RawMessage(`{"type":"object"}`)}}
				r.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}
			},
			check: func(t *testing.T, b map[string]any) {
				tools := b["tools"].([]any)
				f, g := tools[0].(map[string]any), tools[1].(map[string]any)
				if f["strict"] != false || !reflect.DeepEqual(f["parameters"], map[string]any{"type": "object", "properties": map[string]any{}}) || g["strict"] != true {
					t.Errorf("tools %v", tools)
				}
				if b["tool_choice"] != "required" {
					t.Errorf("tool_choice %v", b["tool_choice"])
				}
			},
		},
		{
			name: "document bytes get a filename, image bytes a data URL",
			mutate: func(r *canonical.Request) {
				r.Messages[0].Parts = append(r.Messages[0].Parts,
					canonical.Part{Type: canonical.PartDocument, Media: &canonical.Media{MIMEType: "application/pdf", Data: []byte("%PDF-")}},
					canonical.Part{Type: canonical.PartImage, Media: &canonical.Media{MIMEType: "image/png", Data: []byte{1, 2}}})
			},
			check: func(t *testing.T, b map[string]any) {
				parts := b["input"].([]any)[0].(map[string]any)["content"].([]any)
				doc, img := parts[1].(map[string]any), parts[2].(map[string]any)
				if doc["filename"] != "document.pdf" || doc["file_data"] != "data:application/pdf;base64,JVBERi0=" || img["image_url"] != "data:image/png;base64,AQI=" {
					t.Errorf("parts %v", parts)
				}
			},
		},
		{
			name: "a streamed request asks for a stream and json_object output",
			mutate: func(r *canonical.Request) {
				r.Stream, r.ResponseFormat = true, &canonical.ResponseFormat{Type: canonical.FormatJSONObject}
			},
			check: func(t *testing.T, b map[string]any) {
				if b["stream"] != true || !reflect.DeepEqual(b["text"], map[string]any{"format": map[string]any{"type": "json_object"}}) {
					t.Errorf("stream %v text %v", b["stream"], b["text"])
				}
			},
		},
		{name: "audio input is refused", mutate: func(r *canonical.Request) {
			r.Messages[0].Parts = []canonical.Part{{Type: canonical.PartAudio, Media: &canonical.Media{MIMEType: "audio/wav", Data: []byte{1}}}}
		}, param: "messages[0].parts[0]"},
		{name: "image bytes without a MIME type are refused", mutate: func(r *canonical.Request) {
			r.Messages[0].Parts = []canonical.Part{{Type: canonical.PartImage, Media: &canonical.Media{Data: []byte{1}}}}
		}, param: "messages[0].parts[0]"},
		{name: "a non-text system part is refused", mutate: func(r *canonical.Request) {
			r.System = []canonical.Part{{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x.test/a.png"}}}
		}, param: "system[0]"},
		{name: "a forced tool_choice without tools is refused", mutate: func(r *canonical.Request) {
			r.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: "f"}
		}, param: "tool_choice"},
		{name: "json_schema without a schema is refused", mutate: func(r *canonical.Request) {
			r.ResponseFormat = &canonical.ResponseFormat{Type: canonical.FormatJSONSchema, Name: "x"}
		}, param: "response_format.schema"},
		{name: "an image in an assistant turn is refused", mutate: func(r *canonical.Request) {
			r.Messages = append(r.Messages, canonical.Message{Role: canonical.RoleAssistant, Parts: []canonical.Part{{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x.test/a.png"}}}})
		}, param: "messages[1].parts[0]"},
		{name: "a damaged kept state is refused", mutate: func(r *canonical.Request) {
			r.Ext.Set(providerKey, ExtKey, json.RawMessage(`[1]`))
		}, param: "nexus.ext.openai.responses"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.mutate(r)
			wire, coerced, err := EncodeRequest(r, "up")
			if tc.param != "" {
				ce, ok := err.(*canonical.Error)
				if !ok || ce.Status != 400 || ce.Type != "nexus_field_unsupported" || ce.Param != tc.param {
					t.Fatalf("err = %#v, want a refusal of %s", err, tc.param)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(coerced, tc.coerced) {
				t.Errorf("coerced %v, want %v", coerced, tc.coerced)
			}
			b := generic(t, wire)
			if b["model"] != "up" {
				t.Errorf("model %v", b["model"])
			}
			if tc.check != nil {
				tc.check(t, b)
			}
		})
	}
}

// TestDowngradeCarriesNothingStateful: for every recorded request the guard
// lets through, the canonical form a chat target sees has no kept built-in
// tool, native item or tool_choice, and Ext["openai"] holds only chat-wire
// parameters besides the state the chat codec skips.
func TestDowngradeCarriesNothingStateful(t *testing.T) {
	n := 0
	for _, path := range fixtures(t, true, ".request.json") {
		body := mustRead(t, path)
		if Guard(body) != nil {
			continue
		}
		n++
		req, err := DecodeRequest(body)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		st := stateOf(t, req.Ext)
		for _, k := range []string{keyBuiltinTools, keyNatives, "tool_choice", "previous_response_id", "conversation", "prompt"} {
			if v, ok := st[k]; ok && v != nil {
				t.Errorf("%s: guard passed a request keeping %s = %v", path, k, v)
			}
		}
		for k := range req.Ext[providerKey] {
			switch k {
			case ExtKey, "service_tier", "prompt_cache_key", "safety_identifier", "verbosity":
			default:
				t.Errorf("%s: Ext openai %q would reach a chat upstream", path, k)
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d recorded requests pass the guard", n)
	}
}
