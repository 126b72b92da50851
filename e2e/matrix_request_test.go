package e2e

import (
	"encoding/json"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// Request-side survival: what the emulator received must carry, in the
// upstream's own wire, everything the client sent: system prompt, history
// with an image by URL and by bytes, an earlier tool call and its result,
// tool definitions, tool_choice none (never turned into auto), stop
// sequences, sampling parameters and the output cap.

// conversation is the same conversation written in each ingress shape.
var conversation = map[string]string{
	"openai": `{"model":%q,"messages":[
		{"role":"system","content":"You are terse."},
		{"role":"user","content":[{"type":"text","text":"What is in these images?"},
			{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}},
			{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo="}}]},
		{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},
		{"role":"tool","tool_call_id":"call_1","content":"{\"temp\":21}"},
		{"role":"user","content":"Thanks."}],
		"tools":[{"type":"function","function":{"name":"get_weather","description":"Weather by city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}],
		"tool_choice":"none","stop":["END"],"temperature":0.5,"top_p":0.9,"top_k":40,"max_tokens":300}`,
	"anthropic": `{"model":%q,"max_tokens":300,"system":[{"type":"text","text":"You are terse."}],"messages":[
		{"role":"user","content":[{"type":"text","text":"What is in these images?"},
			{"type":"image","source":{"type":"url","url":"https://example.com/cat.png"}},
			{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]},
		{"role":"assistant","content":[{"type":"tool_use","id":"call_1","name":"get_weather","input":{"city":"Paris"}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"call_1","content":"{\"temp\":21}"},{"type":"text","text":"Thanks."}]}],
		"tools":[{"name":"get_weather","description":"Weather by city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}],
		"tool_choice":{"type":"none"},"stop_sequences":["END"],"temperature":0.5,"top_p":0.9,"top_k":40}`,
	"gemini": `{"systemInstruction":{"parts":[{"text":"You are terse."}]},"contents":[
		{"role":"user","parts":[{"text":"What is in these images?"},
			{"fileData":{"mimeType":"image/png","fileUri":"https://example.com/cat.png"}},
			{"inlineData":{"mimeType":"image/png","data":"iVBORw0KGgo="}}]},
		{"role":"model","parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}]},
		{"role":"user","parts":[{"functionResponse":{"name":"get_weather","response":{"temp":21}}},{"text":"Thanks."}]}],
		"tools":[{"functionDeclarations":[{"name":"get_weather","description":"Weather by city","parametersJsonSchema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}]}],
		"toolConfig":{"functionCallingConfig":{"mode":"NONE"}},
		"generationConfig":{"stopSequences":["END"],"temperature":0.5,"topP":0.9,"topK":40,"maxOutputTokens":300}}`,
}

// body renders an ingress body for model (Gemini names it in the path).
func body(ingress, model, tmpl string) string {
	if ingress == "gemini" {
		return tmpl
	}
	return strings.Replace(tmpl, "%q", strconv.Quote(model), 1)
}

// at walks decoded JSON by a dotted path of keys and indexes.
func at(v any, path string) any {
	for _, k := range strings.Split(path, ".") {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// expectAt asserts path → value pairs (values compared as decoded JSON).
func expectAt(t *testing.T, doc any, pairs map[string]any) {
	t.Helper()
	for path, want := range pairs {
		if got := at(doc, path); !reflect.DeepEqual(got, roundTrip(t, want)) {
			t.Errorf("%s = %#v, want %#v", path, got, want)
		}
	}
}

func decodeJSON(t *testing.T, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, s)
	}
	return v
}

// wantUpstream is what each upstream wire must have received.
var wantUpstream = map[string]func(t *testing.T, ingress string, up any){
	"anthropic": func(t *testing.T, ingress string, up any) {
		sys := at(up, "system")
		if s, ok := sys.(string); !(ok && s == "You are terse.") && at(sys, "0.text") != "You are terse." {
			t.Errorf("system = %#v", sys)
		}
		id, _ := at(up, "messages.1.content.0.id").(string)
		expectAt(t, up, map[string]any{
			"messages.0.role":                        "user",
			"messages.0.content.0.text":              "What is in these images?",
			"messages.0.content.1.source.url":        "https://example.com/cat.png",
			"messages.0.content.2.source.type":       "base64",
			"messages.0.content.2.source.media_type": "image/png",
			"messages.0.content.2.source.data":       "iVBORw0KGgo=",
			"messages.1.role":                        "assistant",
			"messages.1.content.0.type":              "tool_use",
			"messages.1.content.0.name":              "get_weather",
			"messages.1.content.0.input":             map[string]any{"city": "Paris"},
			"messages.2.role":                        "user",
			"messages.2.content.0.type":              "tool_result",
			"messages.2.content.0.tool_use_id":       id,
			"messages.2.content.1.text":              "Thanks.",
			"tools.0.name":                           "get_weather",
			"tools.0.description":                    "Weather by city",
			"tools.0.input_schema.properties.city":   map[string]any{"type": "string"},
			"tool_choice":                            map[string]any{"type": "none"},
			"stop_sequences":                         []string{"END"},
			"temperature":                            0.5,
			"top_p":                                  0.9,
			"top_k":                                  40,
			"max_tokens":                             300,
		})
		if id == "" {
			t.Error("the tool_use block has no id")
		}
		if r, _ := json.Marshal(at(up, "messages.2.content.0.content")); !strings.Contains(string(r), "21") {
			t.Errorf("tool result content = %s", r)
		}
	},
	"gemini": func(t *testing.T, ingress string, up any) {
		expectAt(t, up, map[string]any{
			"systemInstruction.parts.0.text":                               "You are terse.",
			"contents.0.role":                                              "user",
			"contents.0.parts.0.text":                                      "What is in these images?",
			"contents.0.parts.1.fileData.fileUri":                          "https://example.com/cat.png",
			"contents.0.parts.2.inlineData":                                map[string]any{"mimeType": "image/png", "data": "iVBORw0KGgo="},
			"contents.1.role":                                              "model",
			"contents.1.parts.0.functionCall.name":                         "get_weather",
			"contents.1.parts.0.functionCall.args":                         map[string]any{"city": "Paris"},
			"contents.2.role":                                              "user",
			"contents.2.parts.0.functionResponse.name":                     "get_weather",
			"contents.2.parts.0.functionResponse.response":                 map[string]any{"temp": 21},
			"contents.2.parts.1.text":                                      "Thanks.",
			"tools.0.functionDeclarations.0.name":                          "get_weather",
			"tools.0.functionDeclarations.0.description":                   "Weather by city",
			"tools.0.functionDeclarations.0.parametersJsonSchema.required": []string{"city"},
			"toolConfig.functionCallingConfig.mode":                        "NONE",
			"generationConfig.stopSequences":                               []string{"END"},
			"generationConfig.temperature":                                 0.5,
			"generationConfig.topP":                                        0.9,
			"generationConfig.topK":                                        40,
			"generationConfig.maxOutputTokens":                             300,
		})
	},
	"openai": func(t *testing.T, ingress string, up any) {
		id, _ := at(up, "messages.2.tool_calls.0.id").(string)
		args, _ := at(up, "messages.2.tool_calls.0.function.arguments").(string)
		expectAt(t, up, map[string]any{
			"messages.0.role":                             "system",
			"messages.0.content":                          "You are terse.",
			"messages.1.role":                             "user",
			"messages.1.content.0.text":                   "What is in these images?",
			"messages.1.content.1.image_url.url":          "https://example.com/cat.png",
			"messages.1.content.2.image_url.url":          "data:image/png;base64,iVBORw0KGgo=",
			"messages.2.role":                             "assistant",
			"messages.2.tool_calls.0.function.name":       "get_weather",
			"messages.3.role":                             "tool",
			"messages.3.tool_call_id":                     id,
			"messages.4.role":                             "user",
			"tools.0.function.name":                       "get_weather",
			"tools.0.function.description":                "Weather by city",
			"tools.0.function.parameters.properties.city": map[string]any{"type": "string"},
			"tool_choice":                                 "none",
			"stop":                                        []string{"END"},
			"temperature":                                 0.5,
			"top_p":                                       0.9,
			"max_tokens":                                  300,
		})
		if id == "" || !reflect.DeepEqual(decodeJSON(t, args), map[string]any{"city": "Paris"}) {
			t.Errorf("assistant tool call id %q arguments %q", id, args)
		}
		if c, _ := at(up, "messages.3.content").(string); !strings.Contains(c, "21") {
			t.Errorf("tool message content = %q", c)
		}
		if last := at(up, "messages.4.content"); last != "Thanks." && at(last, "0.text") != "Thanks." {
			t.Errorf("last user message = %#v", last)
		}
		if at(up, "top_k") != nil {
			t.Error("top_k reached an OpenAI upstream")
		}
	},
}

// TestTranslatedRequestsSurvive sends one multi-turn conversation in each
// ingress shape to each upstream of another wire, streamed and not, and
// checks what the upstream received.
func TestTranslatedRequestsSurvive(t *testing.T) {
	m := newMatrixEnv(t)
	for _, ingress := range matrixIngress {
		for _, upstream := range matrixUpstream {
			if ingress == upstream {
				continue // the byte path forwards the body as sent
			}
			for _, stream := range []bool{false, true} {
				name := ingress + "_client/" + upstream + "_upstream/" + map[bool]string{false: "unary", true: "stream"}[stream]
				t.Run(name, func(t *testing.T) {
					model := matrixModel[upstream]
					b := body(ingress, model, conversation[ingress])
					if stream && ingress != "gemini" {
						b = strings.Replace(b, "{", `{"stream":true,`, 1)
					}
					r := m.raw(t, ingress, model, stream, b)
					out, _ := io.ReadAll(r.Body)
					r.Body.Close()
					if r.StatusCode != 200 {
						t.Fatalf("status %d: %s", r.StatusCode, out)
					}
					_, up := m.lastUpstream(t)
					doc := decodeJSON(t, up)
					wantUpstream[upstream](t, ingress, doc)
					if strings.Contains(up, `"nexus"`) {
						t.Error("the gateway-only nexus key reached the upstream")
					}
					coerced := r.Header.Get("X-Nexus-Coerced")
					if upstream == "openai" && !strings.Contains(coerced, "top_k->removed") {
						t.Errorf("X-Nexus-Coerced = %q, want top_k->removed", coerced)
					}
				})
			}
		}
	}
}
