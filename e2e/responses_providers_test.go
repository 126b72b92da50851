package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
)

// TestServesResponsesOverridesTheType: a self-hosted OpenAI-compatible
// server that has /responses (vLLM, say) is opted in with serves_responses:
// true and gets the request natively; an openai-type provider in front of a
// proxy that lacks it is opted out and the request is refused before any
// upstream call, as for any chat-only target.
func TestServesResponsesOverridesTheType(t *testing.T) {
	e := newEnv(t, envOptions{
		providers: `- name: vllm
  type: openai-compatible
  base_url: UPSTREAM/vllm/v1
  api_key: ` + providerKey + `
  serves_responses: true
- name: chatproxy
  type: openai
  base_url: UPSTREAM/proxy/v1
  api_key: ` + providerKey + `
  serves_responses: false`,
		models: "- {name: local-model, provider: vllm, upstream_model: qwen3}\n" +
			"- {name: proxied-4o, provider: chatproxy, upstream_model: gpt-4o}",
	})
	c := e.client(e.newKey(t, "app", nil))
	resp, err := c.Responses.New(context.Background(), responses.ResponseNewParams{Model: "local-model", Input: inputOf("hi")})
	if err != nil {
		t.Fatal(err)
	}
	if resp.OutputText() == "" {
		t.Fatal("empty answer")
	}
	if uri := e.mock.LastRequestURI(); uri != "/vllm/v1/responses" {
		t.Fatalf("upstream URI %s, want the native /responses", uri)
	}
	if up := upstreamJSON(t, e); up["model"] != "qwen3" || up["input"] != "hi" {
		t.Fatalf("upstream body %v", up)
	}

	before := e.mock.Requests()
	_, err = c.Responses.New(context.Background(), responses.ResponseNewParams{Model: "proxied-4o", Input: inputOf("hi")})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "responses_not_supported" ||
		!strings.Contains(apiErr.Message, `"chatproxy"`) {
		t.Fatalf("err = %v", err)
	}
	if e.mock.Requests() != before {
		t.Fatal("a refused request reached the upstream")
	}
}
