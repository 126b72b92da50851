package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
)

// vendorsEnv: preset vendors with built-in quirks (Moonshot, DeepSeek), one
// without (Mistral), and a vendor the gateway has never heard of, added by
// configuration alone: openai-compatible + base URL + auth style + quirks.
func vendorsEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, envOptions{
		providers: `- name: moonshot
  type: moonshot
  base_url: UPSTREAM/v1
  api_key: ` + providerKey + `
- name: deepseek
  type: deepseek
  base_url: UPSTREAM
  api_key: ` + providerKey + `
- name: mistral
  type: mistral
  base_url: UPSTREAM/v1
  api_key: ` + providerKey + `
- name: acme
  type: openai-compatible
  base_url: UPSTREAM/acme/v1
  api_key: ` + providerKey + `
  auth_style: api-key
  quirks:
    - models: [acme-think]
      rename: {seed: random_seed}
      drop: [logprobs]`,
		models: `- name: kimi-k2.5
  provider: moonshot
- name: deepseek-reasoner
  provider: deepseek
- name: mistral-small-latest
  provider: mistral
- name: acme-think-1
  provider: acme`,
	})
}

// upstreamJSON decodes the body the emulator last received.
func upstreamJSON(t *testing.T, e *env) map[string]any {
	t.Helper()
	_, body := e.mock.LastRequest()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("upstream body %s: %v", body, err)
	}
	return m
}

// TestVendorQuirksOnTheBytePath: OpenAI-shaped requests are spliced, not
// decoded; each preset rule that applies is visible in X-Nexus-Coerced and
// in the body the vendor receives, and nothing else changes.
func TestVendorQuirksOnTheBytePath(t *testing.T) {
	e := vendorsEnv(t)
	key := e.newKey(t, "app", nil)
	cases := []struct {
		name, body, coerced string
		gone, kept          []string
		uri                 string
	}{
		{"moonshot kimi-k2.5 fixed sampling",
			`{"model":"kimi-k2.5","temperature":0.3,"top_p":0.9,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`,
			"temperature->removed,top_p->removed", []string{"temperature", "top_p"}, []string{"max_tokens"}, "/v1/chat/completions"},
		{"moonshot streamed",
			`{"model":"kimi-k2.5","stream":true,"top_p":0.9,"messages":[{"role":"user","content":"hi"}]}`,
			"top_p->removed", []string{"top_p"}, []string{"stream_options"}, "/v1/chat/completions"},
		{"deepseek thinking model: forced tool_choice dropped",
			`{"model":"deepseek-reasoner","tool_choice":"required","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"messages":[{"role":"user","content":"hi"}]}`,
			"tool_choice->removed", []string{"tool_choice"}, []string{"tools"}, "/chat/completions"},
		{"deepseek thinking model: auto tool_choice kept",
			`{"model":"deepseek-reasoner","tool_choice":"auto","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],"messages":[{"role":"user","content":"hi"}]}`,
			"", nil, []string{"tool_choice", "tools"}, "/chat/completions"},
		{"vendor without rules",
			`{"model":"mistral-small-latest","temperature":0.3,"top_p":0.9,"messages":[{"role":"user","content":"hi"}]}`,
			"", nil, []string{"temperature", "top_p"}, "/v1/chat/completions"},
		{"configured vendor",
			`{"model":"acme-think-1","seed":7,"logprobs":true,"temperature":0.1,"messages":[{"role":"user","content":"hi"}]}`,
			"seed->random_seed,logprobs->removed", []string{"seed", "logprobs"}, []string{"random_seed", "temperature"}, "/acme/v1/chat/completions"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.post(t, "/v1/chat/completions", key, c.body, nil)
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, b)
			}
			if got := r.Header.Get("X-Nexus-Coerced"); got != c.coerced {
				t.Fatalf("X-Nexus-Coerced = %q, want %q", got, c.coerced)
			}
			up := upstreamJSON(t, e)
			for _, k := range c.gone {
				if _, ok := up[k]; ok {
					t.Errorf("upstream still has %s: %v", k, up)
				}
			}
			for _, k := range c.kept {
				if _, ok := up[k]; !ok {
					t.Errorf("upstream lost %s: %v", k, up)
				}
			}
			if got := e.mock.LastRequestURI(); got != c.uri {
				t.Errorf("upstream URI %s, want %s", got, c.uri)
			}
		})
	}
	// The configured vendor's auth style: the key goes in api-key.
	r := e.post(t, "/v1/chat/completions", key, `{"model":"acme-think-1","messages":[{"role":"user","content":"hi"}]}`, nil)
	r.Body.Close()
	if h, _ := e.mock.LastRequest(); h.Get("Api-Key") != providerKey || h.Get("Authorization") != "" {
		t.Fatalf("acme auth: api-key set=%v, authorization=%q", h.Get("Api-Key") != "", h.Get("Authorization"))
	}
	if up := upstreamJSON(t, e); up["random_seed"] != nil || r.Header.Get("X-Nexus-Coerced") != "" {
		t.Fatalf("rules fired on a request without the parameters: %v %q", up, r.Header.Get("X-Nexus-Coerced"))
	}
}

// TestVendorQuirksOnTheTranslatedPath: an Anthropic caller's request is
// encoded for the OpenAI wire, then the same quirk table applies.
func TestVendorQuirksOnTheTranslatedPath(t *testing.T) {
	e := vendorsEnv(t)
	ac := anthropicClient(e, e.newKey(t, "app", nil))
	ctx := context.Background()
	tool := anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{Name: "f", InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{}}}}

	cases := []struct {
		name    string
		params  anthropic.MessageNewParams
		opts    []anthropicoption.RequestOption // sampling parameters (this SDK version has no fields for them)
		coerced string
		gone    []string
		kept    []string
	}{
		{"moonshot", anthropic.MessageNewParams{Model: "kimi-k2.5", MaxTokens: 32,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}},
			[]anthropicoption.RequestOption{anthropicoption.WithJSONSet("temperature", 0.2), anthropicoption.WithJSONSet("top_p", 0.5)},
			"temperature->removed,top_p->removed", []string{"temperature", "top_p"}, []string{"max_tokens"}},
		{"deepseek forced tool", anthropic.MessageNewParams{Model: "deepseek-reasoner", MaxTokens: 32, Tools: []anthropic.ToolUnionParam{tool},
			ToolChoice: anthropic.ToolChoiceUnionParam{OfAny: &anthropic.ToolChoiceAnyParam{}},
			Messages:   []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}}, nil,
			"tool_choice->removed", []string{"tool_choice"}, []string{"tools"}},
		{"mistral untouched", anthropic.MessageNewParams{Model: "mistral-small-latest", MaxTokens: 32,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}},
			[]anthropicoption.RequestOption{anthropicoption.WithJSONSet("temperature", 0.2)},
			"", nil, []string{"temperature"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var raw *http.Response
			msg, err := ac.Messages.New(ctx, c.params, append(c.opts, anthropicoption.WithResponseInto(&raw))...)
			if err != nil {
				t.Fatal(err)
			}
			if len(msg.Content) == 0 {
				t.Fatalf("empty answer %+v", msg)
			}
			if got := raw.Header.Get("X-Nexus-Coerced"); got != c.coerced {
				t.Fatalf("X-Nexus-Coerced = %q, want %q", got, c.coerced)
			}
			up := upstreamJSON(t, e)
			for _, k := range c.gone {
				if _, ok := up[k]; ok {
					t.Errorf("upstream still has %s: %v", k, up)
				}
			}
			for _, k := range c.kept {
				if _, ok := up[k]; !ok {
					t.Errorf("upstream lost %s: %v", k, up)
				}
			}
		})
	}
	// Streaming takes the same rewrite.
	s := ac.Messages.NewStreaming(ctx, cases[0].params, cases[0].opts...)
	for s.Next() {
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if _, body := e.mock.LastRequest(); bytes.Contains(body, []byte(`"temperature"`)) || !bytes.Contains(body, []byte(`"stream":true`)) {
		t.Fatalf("streamed upstream body %s", body)
	}
}
