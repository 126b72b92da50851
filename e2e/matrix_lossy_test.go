package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Lossy translation is refused, not hidden: a field the target cannot honour
// gets a 400 in the caller's own envelope naming the field; a pure hint is
// dropped and named in X-Nexus-Coerced.

// errorEnvelope reads the caller-shaped error body: the field name must be
// in param (OpenAI) or in the message (Anthropic, Gemini, which have no
// param slot).
func errorEnvelope(t *testing.T, ingress string, status int, body []byte) (param, message string) {
	t.Helper()
	switch ingress {
	case "openai":
		var e struct {
			Error struct {
				Message string  `json:"message"`
				Type    string  `json:"type"`
				Param   *string `json:"param"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) != nil || e.Error.Type != "nexus_field_unsupported" || e.Error.Param == nil {
			t.Fatalf("OpenAI envelope = %s", body)
		}
		return *e.Error.Param, e.Error.Message
	case "anthropic":
		var e struct {
			Type  string `json:"type"`
			Error struct {
				Type    string `json:"type"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) != nil || e.Type != "error" || e.Error.Type != "invalid_request_error" {
			t.Fatalf("Anthropic envelope = %s", body)
		}
		return "", e.Error.Message
	}
	var e struct {
		Error struct {
			Code    int    `json:"code"`
			Message string `json:"message"`
			Status  string `json:"status"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &e) != nil || e.Error.Code != status || e.Error.Status != "INVALID_ARGUMENT" {
		t.Fatalf("Gemini envelope = %s", body)
	}
	return "", e.Error.Message
}

func TestLossyFieldsAreRefusedInTheCallersShape(t *testing.T) {
	m := newMatrixEnv(t)
	user := `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name, ingress, upstream, body string
		field                         string // named in param or message
	}{
		{"openai n=2 to anthropic", "openai", "anthropic", `{"model":"m-anthropic","n":2,` + user + `}`, "n"},
		{"openai n=2 to gemini", "openai", "gemini", `{"model":"m-gemini","n":2,` + user + `}`, "n"},
		{"openai temperature 1.5 to anthropic", "openai", "anthropic", `{"model":"m-anthropic","temperature":1.5,` + user + `}`, "temperature"},
		{"openai logprobs to anthropic", "openai", "anthropic", `{"model":"m-anthropic","logprobs":true,` + user + `}`, "logprobs"},
		{"openai logit_bias to gemini", "openai", "gemini", `{"model":"m-gemini","logit_bias":{"50256":-100},` + user + `}`, "logit_bias"},
		{"openai audio output to gemini", "openai", "gemini", `{"model":"m-gemini","modalities":["text","audio"],` + user + `}`, "modalities"},
		{"openai high-detail image to gemini", "openai", "gemini",
			`{"model":"m-gemini","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://example.com/a.png","detail":"high"}}]}]}`, "detail"},
		{"openai input audio to anthropic", "openai", "anthropic",
			`{"model":"m-anthropic","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}}]}]}`, "content"},
		{"openai file id to gemini", "openai", "gemini",
			`{"model":"m-gemini","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-abc"}}]}]}`, "file_id"},
		{"anthropic web search to openai", "anthropic", "openai",
			`{"model":"m-openai","max_tokens":10,"tools":[{"type":"web_search_20250305","name":"web_search"}],` + user + `}`, "tools"},
		{"anthropic image in a tool result to openai", "anthropic", "openai",
			`{"model":"m-openai","max_tokens":10,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"shot","input":{}}]},` +
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}}]}]}]}`, "content"},
		{"gemini two candidates to anthropic", "gemini", "anthropic",
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"generationConfig":{"candidateCount":2}}`, "candidateCount"},
		{"gemini googleSearch to openai", "gemini", "openai",
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"tools":[{"googleSearch":{}}]}`, "tools"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := m.mock.Requests()
			r := m.raw(t, tc.ingress, matrixModel[tc.upstream], false, tc.body)
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400: %s", r.StatusCode, b)
			}
			param, msg := errorEnvelope(t, tc.ingress, r.StatusCode, b)
			if !strings.Contains(param, tc.field) && !strings.Contains(msg, tc.field) {
				t.Errorf("the error names neither param nor message %q: param %q, message %q", tc.field, param, msg)
			}
			if m.mock.Requests() != before {
				t.Error("a refused request still reached the upstream")
			}
		})
	}
}

// TestHintsAreDroppedAndReported: pure hints reach no upstream that cannot
// take them and are named in X-Nexus-Coerced; the Anthropic max_tokens
// default is filled and reported; the OpenAI reasoning-model quirk applies
// on the byte path and on the translated path alike.
func TestHintsAreDroppedAndReported(t *testing.T) {
	m := newMatrixEnv(t)
	user := `"messages":[{"role":"user","content":"hi"}]`
	cases := []struct {
		name, ingress, model, body string
		coerced                    []string
		upstreamHas, upstreamLacks []string
	}{
		{"anthropic max_tokens default", "openai", "m-anthropic", `{"model":"m-anthropic",` + user + `}`,
			[]string{"max_tokens->64000_model_default"}, []string{`"max_tokens":64000`}, nil},
		{"openai hints to anthropic", "openai", "m-anthropic",
			`{"model":"m-anthropic","seed":7,"service_tier":"flex","frequency_penalty":0.5,"store":true,` + user + `}`,
			[]string{"seed->removed", "service_tier->removed", "frequency_penalty->removed", "store->removed"}, nil,
			[]string{"seed", "service_tier", "penalty", "store"}},
		{"gemini safety settings to openai", "gemini", "m-openai",
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}],"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]}`,
			[]string{"safetySettings->removed"}, nil, []string{"HARASSMENT"}},
		{"reasoning model on the byte path", "openai", "m-o3",
			`{"model":"m-o3","max_tokens":50,"temperature":0.3,"top_p":0.9,` + user + `}`,
			[]string{"max_tokens->max_completion_tokens", "temperature->removed", "top_p->removed"},
			[]string{`"max_completion_tokens":50`, `"model":"o3-mini"`}, []string{`"max_tokens"`, "temperature", "top_p"}},
		{"reasoning model on the translated path", "anthropic", "m-o3",
			`{"model":"m-o3","max_tokens":50,"temperature":0.3,` + user + `}`,
			[]string{"max_tokens->max_completion_tokens", "temperature->removed"},
			[]string{`"max_completion_tokens":50`}, []string{`"max_tokens"`, "temperature"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := m.raw(t, tc.ingress, tc.model, false, tc.body)
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, b)
			}
			got := r.Header.Get("X-Nexus-Coerced")
			for _, c := range tc.coerced {
				if !strings.Contains(","+got+",", ","+c+",") {
					t.Errorf("X-Nexus-Coerced = %q, want it to list %s", got, c)
				}
			}
			_, up := m.lastUpstream(t)
			contains(t, "upstream body", up, tc.upstreamHas...)
			for _, s := range tc.upstreamLacks {
				if strings.Contains(up, s) {
					t.Errorf("upstream body still carries %s: %s", s, up)
				}
			}
		})
	}
}

// TestExtensionsApplyOnlyToTheirProvider: nexus.ext.<provider>.<key> reaches
// that provider in its native field and no other upstream; the nexus object
// itself never leaves the gateway.
func TestExtensionsApplyOnlyToTheirProvider(t *testing.T) {
	m := newMatrixEnv(t)
	ext := `"nexus":{"ext":{"anthropic":{"thinking":{"type":"enabled","budget_tokens":2048}},` +
		`"gemini":{"thinking_config":{"thinking_budget":1024,"include_thoughts":true},` +
		`"safety_settings":[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_ONLY_HIGH"}]}}}`
	cases := []struct {
		ingress, model string
		has, lacks     []string
		coerced        []string
	}{
		{"openai", "m-anthropic", []string{`"thinking":{"type":"enabled","budget_tokens":2048}`},
			[]string{"thinking_budget", "HARASSMENT"}, []string{"generationConfig.thinkingConfig->removed", "safetySettings->removed"}},
		{"openai", "m-gemini", []string{`"thinkingConfig":{`, `"thinkingBudget":1024`, `"includeThoughts":true`, `"safetySettings":[{"category":"HARM_CATEGORY_HARASSMENT"`},
			[]string{"budget_tokens"}, []string{"thinking->removed"}},
		{"anthropic", "m-gemini", []string{`"thinkingBudget":1024`}, []string{"budget_tokens"}, []string{"thinking->removed"}},
		{"gemini", "m-anthropic", []string{`"budget_tokens":2048`}, []string{"thinkingBudget", "HARASSMENT"}, []string{"safetySettings->removed"}},
		// Same shape: the byte path drops only the nexus key.
		{"openai", "m-openai", nil, []string{"budget_tokens", "thinking_budget"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.ingress+"_client/"+tc.model, func(t *testing.T) {
			var b string
			switch tc.ingress {
			case "anthropic":
				b = `{"model":"` + tc.model + `","max_tokens":4096,"messages":[{"role":"user","content":"hi"}],` + ext + `}`
			case "gemini":
				b = `{"contents":[{"role":"user","parts":[{"text":"hi"}]}],` + ext + `}`
			default:
				b = `{"model":"` + tc.model + `","messages":[{"role":"user","content":"hi"}],` + ext + `}`
			}
			r := m.raw(t, tc.ingress, tc.model, false, b)
			out, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, out)
			}
			_, up := m.lastUpstream(t)
			contains(t, "upstream body", up, tc.has...)
			for _, s := range append(tc.lacks, `"nexus"`) {
				if strings.Contains(up, s) {
					t.Errorf("upstream body carries %s: %s", s, up)
				}
			}
			got := r.Header.Get("X-Nexus-Coerced")
			for _, c := range tc.coerced {
				if !strings.Contains(got, c) {
					t.Errorf("X-Nexus-Coerced = %q, want %s", got, c)
				}
			}
		})
	}
}

// TestToolChoiceModesSurvive: auto, none, required and a named tool map to
// each target's own vocabulary; none is never widened to auto.
func TestToolChoiceModesSurvive(t *testing.T) {
	m := newMatrixEnv(t)
	tools := `"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{}}}}]`
	cases := []struct {
		choice        string
		anthropic     string
		geminiMode    string
		geminiAllowed string
	}{
		{`"auto"`, `"tool_choice":{"type":"auto"}`, `"mode":"AUTO"`, ""},
		{`"none"`, `"tool_choice":{"type":"none"}`, `"mode":"NONE"`, ""},
		{`"required"`, `"tool_choice":{"type":"any"}`, `"mode":"ANY"`, ""},
		{`{"type":"function","function":{"name":"get_weather"}}`, `"tool_choice":{"type":"tool","name":"get_weather"}`, `"mode":"ANY"`, `"allowedFunctionNames":["get_weather"]`},
	}
	for _, tc := range cases {
		t.Run(tc.choice, func(t *testing.T) {
			for _, model := range []string{"m-anthropic", "m-gemini"} {
				b := `{"model":"` + model + `","messages":[{"role":"user","content":"hi"}],` + tools + `,"tool_choice":` + tc.choice + `}`
				r := m.raw(t, "openai", model, false, b)
				out, _ := io.ReadAll(r.Body)
				r.Body.Close()
				if r.StatusCode != 200 {
					t.Fatalf("%s: status %d: %s", model, r.StatusCode, out)
				}
				_, up := m.lastUpstream(t)
				if model == "m-anthropic" {
					contains(t, "anthropic body", up, tc.anthropic)
				} else {
					contains(t, "gemini body", up, tc.geminiMode)
					if tc.geminiAllowed != "" {
						contains(t, "gemini body", up, tc.geminiAllowed)
					}
				}
			}
		})
	}
}
