package anthropic

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func ptr[T any](v T) *T { return &v }

func text(s string) canonical.Part { return canonical.Part{Type: canonical.PartText, Text: s} }

func userMsg(parts ...canonical.Part) canonical.Message {
	return canonical.Message{Role: canonical.RoleUser, Parts: parts}
}

func baseReq(mutate func(r *canonical.Request)) *canonical.Request {
	r := &canonical.Request{Model: "m", MaxTokens: ptr(100), Messages: []canonical.Message{userMsg(text("hi"))}}
	if mutate != nil {
		mutate(r)
	}
	return r
}

// encodeJSON runs EncodeRequest and parses the body generically.
func encodeJSON(t *testing.T, req *canonical.Request, model string) (map[string]any, []canonical.Coercion) {
	t.Helper()
	body, coerced, err := EncodeRequest(req, model)
	if err != nil {
		t.Fatalf("EncodeRequest: %v", err)
	}
	if strings.Contains(string(body), `"nexus"`) {
		t.Errorf("body leaks the nexus key: %s", body)
	}
	return parseJSON(t, body), coerced
}

func TestEncodeRequestFillsMaxTokensPerModelFamily(t *testing.T) {
	cases := []struct {
		model string
		want  int
	}{
		{"claude-haiku-4-5", 8192},
		{"claude-opus-4-1-20250805", 32000},
		{"claude-sonnet-4-5", 64000},
		{"claude-3-7-sonnet-latest", 8192},
		{"claude-3-5-sonnet-20241022", 8192},
		{"claude-3-opus-20240229", 4096},
		{"claude-3-haiku-20240307", 4096},
		{"claude-3-5-haiku-latest", 8192},
		{"anthropic.claude-sonnet-4-20250514-v1:0", 64000},
		{"some-other-model", 8192},
	}
	for _, c := range cases {
		t.Run(c.model, func(t *testing.T) {
			body, coerced := encodeJSON(t, baseReq(func(r *canonical.Request) { r.MaxTokens = nil }), c.model)
			if body["max_tokens"] != float64(c.want) {
				t.Errorf("max_tokens = %v, want %d", body["max_tokens"], c.want)
			}
			want := canonical.Coercion{Field: "max_tokens", To: strconv.Itoa(c.want) + "_model_default"}
			if !slices.Contains(coerced, want) {
				t.Errorf("coercions %v, want %v", coerced, want)
			}
		})
	}
	body, coerced := encodeJSON(t, baseReq(nil), "claude-sonnet-4-5")
	if body["max_tokens"] != float64(100) || len(coerced) != 0 {
		t.Errorf("explicit max_tokens: got %v, coerced %v", body["max_tokens"], coerced)
	}
}

// TestEncodeRequestRefusesWhatAnthropicCannotHonour: lossy translation is a
// 400 nexus_field_unsupported naming the field, never a silent drop.
func TestEncodeRequestRefusesWhatAnthropicCannotHonour(t *testing.T) {
	img := func(m canonical.Media) canonical.Part { return canonical.Part{Type: canonical.PartImage, Media: &m} }
	cases := []struct {
		name      string
		mutate    func(r *canonical.Request)
		wantParam string
	}{
		{"temperature above Anthropic's range", func(r *canonical.Request) { r.Temperature = ptr(1.5) }, "temperature"},
		{"image detail high", func(r *canonical.Request) {
			r.Messages = []canonical.Message{userMsg(img(canonical.Media{URL: "https://x/y.png", Detail: "high"}))}
		}, "messages[0].content[0].detail"},
		{"image on a non-http URL", func(r *canonical.Request) {
			r.Messages = []canonical.Message{userMsg(img(canonical.Media{URL: "gs://bucket/y.png", MIMEType: "image/png"}))}
		}, "messages[0].content[0].url"},
		{"image type Anthropic does not read", func(r *canonical.Request) {
			r.Messages = []canonical.Message{userMsg(img(canonical.Media{Data: []byte("BM..."), MIMEType: "image/bmp"}))}
		}, "messages[0].content[0].mime_type"},
		{"document that is neither PDF nor text", func(r *canonical.Request) {
			r.Messages = []canonical.Message{userMsg(canonical.Part{Type: canonical.PartDocument, Media: &canonical.Media{Data: []byte{1, 2}, MIMEType: "application/zip"}})}
		}, "messages[0].content[0].mime_type"},
		{"tool call arguments that are not an object", func(r *canonical.Request) {
			r.Messages = append(r.Messages, canonical.Message{Role: canonical.RoleAssistant, Parts: []canonical.Part{{
				Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "c1", Name: "f", Arguments: `{"a":`},
			}}})
		}, "messages[1].content[0].arguments"},
		{"image in an assistant turn", func(r *canonical.Request) {
			r.Messages = append(r.Messages, canonical.Message{Role: canonical.RoleAssistant, Parts: []canonical.Part{img(canonical.Media{URL: "https://x/y.png"})}})
		}, "messages[1].content[0]"},
		{"system prompt with an image", func(r *canonical.Request) {
			r.System = []canonical.Part{img(canonical.Media{URL: "https://x/y.png"})}
		}, "system[0]"},
		{"unknown nexus.ext.anthropic key", func(r *canonical.Request) {
			r.Ext.Set("anthropic", "thinkng", json.RawMessage(`{}`))
		}, "nexus.ext.anthropic.thinkng"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, _, err := EncodeRequest(baseReq(c.mutate), "claude-sonnet-4-5")
			var ce *canonical.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *canonical.Error", err)
			}
			if ce.Status != 400 || ce.Kind != canonical.KindInvalidRequest || ce.Type != "nexus_field_unsupported" || ce.Param != c.wantParam {
				t.Errorf("got %d %s %s param=%q, want 400 invalid_request nexus_field_unsupported param=%q", ce.Status, ce.Kind, ce.Type, ce.Param, c.wantParam)
			}
			if !strings.Contains(ce.Message, "not supported by anthropic targets") {
				t.Errorf("message %q does not say why", ce.Message)
			}
		})
	}
}

// TestEncodeRequestDropsOnlyDocumentedHints: each hint is removed from the
// body and reported as a coercion.
func TestEncodeRequestDropsOnlyDocumentedHints(t *testing.T) {
	cases := []struct {
		name    string
		mutate  func(r *canonical.Request)
		absent  string
		coerced canonical.Coercion
	}{
		{"seed", func(r *canonical.Request) { r.Seed = ptr(int64(7)) }, "seed", canonical.Coercion{Field: "seed", To: "removed"}},
		{"reasoning_effort", func(r *canonical.Request) { r.ReasoningEffort = "high" }, "reasoning_effort", canonical.Coercion{Field: "reasoning_effort", To: "removed"}},
		{"openai metadata labels", func(r *canonical.Request) { r.Metadata = map[string]string{"team": "a"} }, "metadata", canonical.Coercion{Field: "metadata", To: "removed"}},
		{"image detail low", func(r *canonical.Request) {
			r.Messages = []canonical.Message{userMsg(canonical.Part{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x/y.png", Detail: "low"}})}
		}, "detail", canonical.Coercion{Field: "detail", To: "removed"}},
		{"message name", func(r *canonical.Request) { r.Messages[0].Name = "bob" }, "name", canonical.Coercion{Field: "name", To: "removed"}},
		{"unsigned reasoning from another provider", func(r *canonical.Request) {
			r.Messages = append(r.Messages, canonical.Message{Role: canonical.RoleAssistant, Parts: []canonical.Part{
				{Type: canonical.PartReasoning, Text: "thought"}, text("answer"),
			}})
		}, "thinking", canonical.Coercion{Field: "reasoning", To: "removed"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, coerced := encodeJSON(t, baseReq(c.mutate), "claude-sonnet-4-5")
			if !slices.Contains(coerced, c.coerced) {
				t.Errorf("coercions %v lack %v", coerced, c.coerced)
			}
			if strings.Contains(mustJSON(t, body), `"`+c.absent+`"`) {
				t.Errorf("%q still in body: %s", c.absent, mustJSON(t, body))
			}
		})
	}
}

func TestEncodeRequestToolChoice(t *testing.T) {
	tools := []canonical.Tool{{Name: "f"}}
	cases := []struct {
		name     string
		choice   *canonical.ToolChoice
		parallel *bool
		want     any
	}{
		{"none stays none", &canonical.ToolChoice{Mode: canonical.ToolChoiceNone}, ptr(false), map[string]any{"type": "none"}},
		{"auto", &canonical.ToolChoice{Mode: canonical.ToolChoiceAuto}, nil, map[string]any{"type": "auto"}},
		{"required is any", &canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}, nil, map[string]any{"type": "any"}},
		{"named tool", &canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: "f"}, ptr(false),
			map[string]any{"type": "tool", "name": "f", "disable_parallel_tool_use": true}},
		{"parallel off without a choice", nil, ptr(false), map[string]any{"type": "auto", "disable_parallel_tool_use": true}},
		{"parallel on is the default", nil, ptr(true), nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _ := encodeJSON(t, baseReq(func(r *canonical.Request) {
				r.Tools, r.ToolChoice, r.ParallelToolCalls = tools, c.choice, c.parallel
			}), "claude-sonnet-4-5")
			if !reflect.DeepEqual(body["tool_choice"], c.want) {
				t.Errorf("tool_choice = %v, want %v", body["tool_choice"], c.want)
			}
		})
	}
}

// TestEncodeRequestShapesTheConversation: tool messages become user turns
// of tool_result blocks, same-role turns merge, results come first in a
// turn, system messages are hoisted.
func TestEncodeRequestShapesTheConversation(t *testing.T) {
	req := baseReq(func(r *canonical.Request) {
		r.System = []canonical.Part{text("be brief")}
		r.Messages = []canonical.Message{
			userMsg(text("weather in Paris and Rome?")),
			{Role: canonical.RoleAssistant, Parts: []canonical.Part{
				text(""), // OpenAI sends content "" next to tool calls
				{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "c1", Name: "w", Arguments: `{"city":"Paris"}`}},
				{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "c2", Name: "w", Arguments: ""}},
			}},
			userMsg(text("also tell a joke")),
			{Role: canonical.RoleTool, Parts: []canonical.Part{{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{CallID: "c1", Content: []canonical.Part{text("20C")}}}}},
			{Role: canonical.RoleTool, Parts: []canonical.Part{{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{CallID: "c2", IsError: true, Content: []canonical.Part{text("down"), text("retry later")}}}}},
			{Role: canonical.RoleSystem, Parts: []canonical.Part{text("answer in French")}},
		}
	})
	body, coerced := encodeJSON(t, req, "claude-sonnet-4-5")
	want := []any{
		map[string]any{"role": "user", "content": []any{map[string]any{"type": "text", "text": "weather in Paris and Rome?"}}},
		map[string]any{"role": "assistant", "content": []any{
			map[string]any{"type": "tool_use", "id": "c1", "name": "w", "input": map[string]any{"city": "Paris"}},
			map[string]any{"type": "tool_use", "id": "c2", "name": "w", "input": map[string]any{}},
		}},
		map[string]any{"role": "user", "content": []any{
			map[string]any{"type": "tool_result", "tool_use_id": "c1", "content": "20C"},
			map[string]any{"type": "tool_result", "tool_use_id": "c2", "is_error": true, "content": []any{
				map[string]any{"type": "text", "text": "down"}, map[string]any{"type": "text", "text": "retry later"},
			}},
			map[string]any{"type": "text", "text": "also tell a joke"},
		}},
	}
	if !reflect.DeepEqual(body["messages"], want) {
		t.Errorf("messages\n got: %s\nwant: %s", mustJSON(t, body["messages"]), mustJSON(t, want))
	}
	wantSystem := []any{map[string]any{"type": "text", "text": "be brief"}, map[string]any{"type": "text", "text": "answer in French"}}
	if !reflect.DeepEqual(body["system"], wantSystem) {
		t.Errorf("system = %s", mustJSON(t, body["system"]))
	}
	if !slices.Contains(coerced, canonical.Coercion{Field: "messages.system", To: "system"}) {
		t.Errorf("hoisting not reported: %v", coerced)
	}
}

func TestEncodeRequestMapsMediaSources(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n0000")
	cases := []struct {
		name string
		part canonical.Part
		want map[string]any
	}{
		{"image bytes", canonical.Part{Type: canonical.PartImage, Media: &canonical.Media{Data: png}},
			map[string]any{"type": "image", "source": map[string]any{"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgowMDAw"}}},
		{"image data URL", canonical.Part{Type: canonical.PartImage, Media: &canonical.Media{URL: "data:image/jpeg;base64,/9j/AA=="}},
			map[string]any{"type": "image", "source": map[string]any{"type": "base64", "media_type": "image/jpeg", "data": "/9j/AA=="}}},
		{"image URL", canonical.Part{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x/y.png", Detail: "auto"}},
			map[string]any{"type": "image", "source": map[string]any{"type": "url", "url": "https://x/y.png"}}},
		{"pdf bytes", canonical.Part{Type: canonical.PartDocument, Media: &canonical.Media{Data: []byte("%PDF-1.4"), MIMEType: "application/pdf", Title: "r"}},
			map[string]any{"type": "document", "title": "r", "source": map[string]any{"type": "base64", "media_type": "application/pdf", "data": "JVBERi0xLjQ="}}},
		{"text document", canonical.Part{Type: canonical.PartDocument, Media: &canonical.Media{Data: []byte("hello"), MIMEType: "text/markdown"}},
			map[string]any{"type": "document", "source": map[string]any{"type": "text", "media_type": "text/plain", "data": "hello"}}},
		{"cache marker with ttl", canonical.Part{Type: canonical.PartText, Text: "big", CacheControl: "ephemeral", CacheTTL: "1h"},
			map[string]any{"type": "text", "text": "big", "cache_control": map[string]any{"type": "ephemeral", "ttl": "1h"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body, _ := encodeJSON(t, baseReq(func(r *canonical.Request) { r.Messages = []canonical.Message{userMsg(c.part)} }), "claude-sonnet-4-5")
			got := body["messages"].([]any)[0].(map[string]any)["content"].([]any)[0]
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("block\n got: %s\nwant: %s", mustJSON(t, got), mustJSON(t, c.want))
			}
		})
	}
}

// TestEncodeRequestCarriesParametersAndExtensions covers the sampling,
// structured output, user and nexus.ext mapping.
func TestEncodeRequestCarriesParametersAndExtensions(t *testing.T) {
	req := baseReq(func(r *canonical.Request) {
		r.Temperature, r.TopP, r.TopK = ptr(0.2), ptr(0.9), ptr(5)
		r.Stop = []string{"END"}
		r.User = "u-1"
		r.Stream = true
		r.Tools = []canonical.Tool{{Name: "f", CacheControl: "ephemeral"}}
		r.ResponseFormat = &canonical.ResponseFormat{Type: canonical.FormatJSONSchema, Name: "x", Schema: json.RawMessage(`{"type":"object"}`)}
		r.Ext.Set("anthropic", "thinking", json.RawMessage(`{"type":"enabled","budget_tokens":2048}`))
		r.Ext.Set("anthropic", "output_config", json.RawMessage(`{"effort":"low"}`))
		r.Ext.Set("gemini", "thinking_config", json.RawMessage(`{"thinking_budget":1}`))
	})
	body, coerced := encodeJSON(t, req, "claude-sonnet-4-5")
	want := map[string]any{
		"model": "claude-sonnet-4-5", "max_tokens": float64(100), "temperature": 0.2, "top_p": 0.9, "top_k": float64(5),
		"stop_sequences": []any{"END"}, "stream": true,
		"metadata":      map[string]any{"user_id": "u-1"},
		"thinking":      map[string]any{"type": "enabled", "budget_tokens": float64(2048)},
		"output_config": map[string]any{"effort": "low", "format": map[string]any{"type": "json_schema", "schema": map[string]any{"type": "object"}}},
		"tools":         []any{map[string]any{"name": "f", "input_schema": map[string]any{"type": "object", "properties": map[string]any{}}, "cache_control": map[string]any{"type": "ephemeral"}}},
		"messages":      body["messages"],
	}
	if !reflect.DeepEqual(body, want) {
		t.Errorf("body\n got: %s\nwant: %s", mustJSON(t, body), mustJSON(t, want))
	}
	// Gemini's thinking_config cannot reach Anthropic: it is removed, and
	// reported like every other dropped hint (canonical.Ext.Foreign).
	if want := []canonical.Coercion{{Field: "generationConfig.thinkingConfig", To: "removed"}}; !reflect.DeepEqual(coerced, want) {
		t.Errorf("coercions %v, want %v", coerced, want)
	}
}

func TestEncodeRequestJSONObjectBecomesSystemInstruction(t *testing.T) {
	req := baseReq(func(r *canonical.Request) {
		r.System = []canonical.Part{text("you are terse")}
		r.ResponseFormat = &canonical.ResponseFormat{Type: canonical.FormatJSONObject}
	})
	body, coerced := encodeJSON(t, req, "claude-sonnet-4-5")
	want := []any{map[string]any{"type": "text", "text": "you are terse"}, map[string]any{"type": "text", "text": jsonObjectInstruction}}
	if !reflect.DeepEqual(body["system"], want) {
		t.Errorf("system = %s", mustJSON(t, body["system"]))
	}
	if _, ok := body["output_config"]; ok {
		t.Error("json_object must not become output_config")
	}
	if !slices.Contains(coerced, canonical.Coercion{Field: "response_format", To: "system_instruction"}) {
		t.Errorf("coercions %v", coerced)
	}
}

// TestDecodeRequestRejectsMalformedBodies: every failure is a 400
// invalid_request naming the offending field.
func TestDecodeRequestRejectsMalformedBodies(t *testing.T) {
	cases := []struct {
		name, body, param string
	}{
		{"not JSON", `{"model":`, ""},
		{"array body", `[1]`, ""},
		{"max_tokens as string", `{"model":"m","max_tokens":"10","messages":[]}`, "max_tokens"},
		{"messages not an array", `{"model":"m","messages":{}}`, "messages"},
		{"unknown role", `{"model":"m","messages":[{"role":"system","content":"x"}]}`, "messages[0].role"},
		{"content missing", `{"model":"m","messages":[{"role":"user"}]}`, "messages[0].content"},
		{"content a number", `{"model":"m","messages":[{"role":"user","content":3}]}`, "messages[0].content"},
		{"block without type", `{"model":"m","messages":[{"role":"user","content":[{"text":"x"}]}]}`, "messages[0].content[0].type"},
		{"bad base64", `{"model":"m","messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"%%"}}]}]}`, "messages[0].content[0].source.data"},
		{"tool_result from the assistant", `{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_result","tool_use_id":"x"}]}]}`, "messages[0].content[0].type"},
		{"tool_use input not an object", `{"model":"m","messages":[{"role":"assistant","content":[{"type":"tool_use","id":"a","name":"f","input":[1]}]}]}`, "messages[0].content[0].input"},
		{"system block not text", `{"model":"m","messages":[],"system":[{"type":"image"}]}`, "system[0].type"},
		{"unknown tool_choice", `{"model":"m","messages":[],"tool_choice":{"type":"maybe"}}`, "tool_choice.type"},
		{"tool without name", `{"model":"m","messages":[],"tools":[{"input_schema":{}}]}`, "tools[0].name"},
		{"nexus ext not an object", `{"model":"m","messages":[],"nexus":{"ext":[1]}}`, "nexus.ext"},
		{"output format not json_schema", `{"model":"m","messages":[],"output_config":{"format":{"type":"xml"}}}`, "output_config.format.type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := DecodeRequest([]byte(c.body))
			var ce *canonical.Error
			if !errors.As(err, &ce) {
				t.Fatalf("err = %v, want *canonical.Error", err)
			}
			if ce.Status != 400 || ce.Kind != canonical.KindInvalidRequest || ce.Param != c.param || ce.Message == "" {
				t.Errorf("got %d %s param=%q msg=%q, want 400 invalid_request param=%q", ce.Status, ce.Kind, ce.Param, ce.Message, c.param)
			}
		})
	}
}

func TestDecodeRequestToleratesUnknownFields(t *testing.T) {
	req, err := DecodeRequest([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi","x":1}],"brand_new_field":{"a":[1]}}`))
	if err != nil {
		t.Fatal(err)
	}
	if req.Model != "m" || len(req.Messages) != 1 || req.Messages[0].Parts[0].Text != "hi" {
		t.Errorf("decoded %+v", req)
	}
}

// TestDecodeRequestLiftsAnthropicOnlyFields: native fields without a
// canonical home ride in Ext["anthropic"] and come back on encode.
func TestDecodeRequestLiftsAnthropicOnlyFields(t *testing.T) {
	body := `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"q"}],
	"thinking":{"type":"enabled","budget_tokens":1024},"service_tier":"standard_only","output_config":{"effort":"high"},
	"tools":[{"type":"web_search_20250305","name":"web_search","max_uses":3},{"name":"f","input_schema":{"type":"object"}}],
	"nexus":{"ext":{"anthropic":{"thinking":{"type":"disabled"}},"gemini":{"thinking_config":{"thinking_budget":5}}}}}`
	req, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	wantExt := map[string]string{
		"thinking":      `{"type":"enabled","budget_tokens":1024}`, // the native field wins over nexus.ext
		"service_tier":  `"standard_only"`,
		"output_config": `{"effort":"high"}`,
		"server_tools":  `[{"type":"web_search_20250305","name":"web_search","max_uses":3}]`,
	}
	for k, v := range wantExt {
		if got := string(req.Ext.Get("anthropic", k)); got != v {
			t.Errorf("Ext[anthropic][%s] = %s, want %s", k, got, v)
		}
	}
	if got := string(req.Ext.Get("gemini", "thinking_config")); got != `{"thinking_budget":5}` {
		t.Errorf("other providers' ext lost: %s", got)
	}
	if len(req.Tools) != 1 || req.Tools[0].Name != "f" {
		t.Errorf("client tools = %+v", req.Tools)
	}
	out, _ := encodeJSON(t, req, "claude-sonnet-4-5")
	if got := mustJSON(t, out["tools"]); !strings.Contains(got, "web_search_20250305") || !strings.Contains(got, `"max_uses": 3`) {
		t.Errorf("server tool not re-emitted: %s", got)
	}
	if out["service_tier"] != "standard_only" || out["output_config"].(map[string]any)["effort"] != "high" {
		t.Errorf("lifted fields not re-emitted: %s", mustJSON(t, out))
	}
}

// TestNativeBlocksKeepTheirPlace: server-tool blocks have no canonical
// part; they survive an Anthropic→canonical→Anthropic trip at their
// original position.
func TestNativeBlocksKeepTheirPlace(t *testing.T) {
	body := `{"model":"m","max_tokens":10,"messages":[
	{"role":"user","content":"news?"},
	{"role":"assistant","content":[{"type":"text","text":"Searching."},
	 {"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"news"}},
	 {"type":"web_search_tool_result","tool_use_id":"srvtoolu_1","content":[{"type":"web_search_result","url":"https://n","title":"N","encrypted_content":"abc"}]},
	 {"type":"text","text":"Here is the news."}]},
	{"role":"user","content":[{"type":"image","source":{"type":"file","file_id":"file_1"}},{"type":"text","text":"and this?"}]}]}`
	req, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if n := len(req.Messages[1].Parts); n != 2 {
		t.Fatalf("assistant parts = %d, want the 2 text parts", n)
	}
	out, _, err := EncodeRequest(req, "m")
	if err != nil {
		t.Fatal(err)
	}
	got, want := projectRequest(parseJSON(t, out)), projectRequest(parseJSON(t, []byte(body)))
	if !reflect.DeepEqual(got, want) {
		t.Errorf("native blocks moved or lost\n got: %s\nwant: %s", mustJSON(t, got), mustJSON(t, want))
	}
}

func TestDecodeRequestSplitsToolResultsFromUserText(t *testing.T) {
	body := `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[
	{"type":"tool_result","tool_use_id":"a","content":[{"type":"text","text":"r1"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]},
	{"type":"tool_result","tool_use_id":"b","is_error":true},
	{"type":"text","text":"thanks"}]}]}`
	req, err := DecodeRequest([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	want := []canonical.Message{
		{Role: canonical.RoleTool, Parts: []canonical.Part{
			{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{CallID: "a", Content: []canonical.Part{
				text("r1"), {Type: canonical.PartImage, Media: &canonical.Media{MIMEType: "image/png", Data: []byte{0, 0, 0}}},
			}}},
			{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{CallID: "b", IsError: true}},
		}},
		{Role: canonical.RoleUser, Parts: []canonical.Part{text("thanks")}},
	}
	if !reflect.DeepEqual(req.Messages, want) {
		t.Errorf("messages\n got: %s\nwant: %s", mustJSON(t, req.Messages), mustJSON(t, want))
	}
}
