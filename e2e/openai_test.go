package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func TestOpenAIChatCompletionThroughGateway(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "app", nil)
	c := e.client(key)

	var raw *http.Response
	resp, err := c.Chat.Completions.New(context.Background(), userMsg("hello there"), option.WithResponseInto(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.Choices[0].Message.Content; !strings.Contains(got, "hello there") {
		t.Fatalf("content = %q", got)
	}
	if resp.Usage.PromptTokens == 0 || resp.Usage.CompletionTokens == 0 {
		t.Fatalf("usage missing: %+v", resp.Usage)
	}
	h := raw.Header
	for name, want := range map[string]string{
		"X-Nexus-Routed-Model":    "gpt-4o-mini",
		"X-Nexus-Routed-Provider": "openai",
		"X-Nexus-Attempts":        "1",
	} {
		if got := h.Get(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if h.Get("X-Nexus-Request-Id") == "" || !strings.HasPrefix(h.Get("Server-Timing"), "gw;dur=") {
		t.Errorf("missing request id or server timing: %v", h)
	}
	// The upstream saw the upstream model id, our credential, and no client key.
	hdr, body := e.mock.LastRequest()
	if got := hdr.Get("Authorization"); got != "Bearer "+providerKey {
		t.Errorf("upstream auth = %q", got)
	}
	var sent map[string]any
	if err := json.Unmarshal(body, &sent); err != nil || sent["model"] != "gpt-4o-mini" {
		t.Errorf("upstream body model = %v (%v)", sent["model"], err)
	}
}

func TestAliasIsRewrittenToUpstreamModel(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(e.newKey(t, "app", nil))
	p := userMsg("hi")
	p.Model = "gpt-4o"
	var raw *http.Response
	if _, err := c.Chat.Completions.New(context.Background(), p, option.WithResponseInto(&raw)); err != nil {
		t.Fatal(err)
	}
	_, body := e.mock.LastRequest()
	if !strings.Contains(string(body), `"model":"gpt-4o-2024-08-06"`) {
		t.Fatalf("upstream body = %s", body)
	}
	if raw.Header.Get("X-Nexus-Routed-Model") != "gpt-4o" {
		t.Fatalf("routed model = %q", raw.Header.Get("X-Nexus-Routed-Model"))
	}
}

func TestOpenAIStreamingWithUsage(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(e.newKey(t, "app", nil))
	p := userMsg("stream please [[mock: chunks=32]]")
	stream := c.Chat.Completions.NewStreaming(context.Background(), p)
	acc := openai.ChatCompletionAccumulator{}
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if chunks < 32 {
		t.Fatalf("got %d chunks", chunks)
	}
	if acc.Choices[0].Message.Content == "" || acc.Choices[0].FinishReason != "stop" {
		t.Fatalf("accumulated = %+v", acc.Choices[0])
	}
	// The client did not ask for usage; the gateway forced it upstream so it is known.
	if acc.Usage.CompletionTokens == 0 {
		t.Fatalf("usage not delivered: %+v", acc.Usage)
	}
	_, body := e.mock.LastRequest()
	if !strings.Contains(string(body), `"include_usage":true`) {
		t.Fatalf("include_usage not forced upstream: %s", body)
	}
	e.waitLog(t, `"output_tokens":`)
}

func TestStreamedToolCallArrivesWhole(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(e.newKey(t, "app", nil))
	p := userMsg("what is the weather in Paris? [[mock: tool=1]]")
	p.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{
		Name:       "get_weather",
		Parameters: openai.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	})}
	stream := c.Chat.Completions.NewStreaming(context.Background(), p)
	acc := accumulate(t, stream)
	choice := acc.Choices[0]
	if choice.FinishReason != "tool_calls" || len(choice.Message.ToolCalls) != 1 {
		t.Fatalf("choice = %+v", choice)
	}
	call := choice.Message.ToolCalls[0]
	var args map[string]any
	if call.Function.Name != "get_weather" || json.Unmarshal([]byte(call.Function.Arguments), &args) != nil {
		t.Fatalf("tool call = %+v", call)
	}
}

func TestUpstreamErrorsSurfaceAsTypedSDKErrors(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(e.newKey(t, "app", nil))
	for _, tc := range []struct {
		directive string
		status    int
	}{
		{"[[mock: status=429; retry_after=7]]", 429},
		{"[[mock: status=500]]", 500},
		{"[[mock: status=503]]", 503},
		{"[[mock: status=400]]", 400},
	} {
		var raw *http.Response
		_, err := c.Chat.Completions.New(context.Background(), userMsg("x "+tc.directive), option.WithResponseInto(&raw))
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) {
			t.Fatalf("%s: err = %v, want *openai.Error", tc.directive, err)
		}
		if apiErr.StatusCode != tc.status || apiErr.Message == "" {
			t.Fatalf("%s: status %d message %q", tc.directive, apiErr.StatusCode, apiErr.Message)
		}
		if tc.status == 429 && raw.Header.Get("Retry-After") != "7" {
			t.Fatalf("Retry-After = %q", raw.Header.Get("Retry-After"))
		}
		if raw.Header.Get("X-Nexus-Routed-Provider") != "openai" {
			t.Fatalf("routing headers missing on error: %v", raw.Header)
		}
	}
	// Same-family upstream errors are forwarded verbatim: SDK sees the provider's type.
	_, err := c.Chat.Completions.New(context.Background(), userMsg("[[mock: status=429]]"))
	var apiErr *openai.Error
	if errors.As(err, &apiErr); apiErr == nil || apiErr.Type == "proxy_error" {
		t.Fatalf("upstream error type not kept: %+v", apiErr)
	}
}

func TestStreamStreamsStreamedAndNonStreamedStatus(t *testing.T) {
	// A 429 before the first byte of a stream is a real HTTP 429, not a 200 with an error frame.
	e := newEnv(t, envOptions{})
	c := e.client(e.newKey(t, "app", nil))
	stream := c.Chat.Completions.NewStreaming(context.Background(), userMsg("[[mock: status=429]]"))
	for stream.Next() {
	}
	var apiErr *openai.Error
	if !errors.As(stream.Err(), &apiErr) || apiErr.StatusCode != 429 {
		t.Fatalf("err = %v", stream.Err())
	}
}
