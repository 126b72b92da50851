package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// glmEnv: the emulator plays GLM (Zhipu) at its /api/paas/v4 base URL.
func glmEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, envOptions{
		fixtures: fixtureDir,
		providers: `- name: glm
  type: glm
  base_url: UPSTREAM/api/paas/v4
  api_key: ` + providerKey,
		models: `- name: glm-4.7
  provider: glm
- name: embedding-3
  provider: glm
  type: embedding`,
	})
}

// glmClient is openai-go with GLM's own base URL, which the gateway serves.
func (e *env) glmClient(key string) openai.Client {
	return openai.NewClient(option.WithBaseURL(e.srv.URL+"/api/paas/v4/"), option.WithAPIKey(key),
		option.WithMaxRetries(0), option.WithRequestTimeout(20*time.Second))
}

func glmParams(fixture string) openai.ChatCompletionNewParams {
	p := userMsg("[[mock: fixture=glm/" + fixture + "]]")
	p.Model = "glm-4.7"
	return p
}

// TestGLMShimAndUpstream: openai-go pointed at {gateway}/api/paas/v4/ talks
// to the GLM shim; the GLM upstream is called on its own paths with Bearer
// and the recorded thinking stream reaches the client byte for byte, its
// reasoning_content intact.
func TestGLMShimAndUpstream(t *testing.T) {
	e := glmEnv(t)
	key := e.newKey(t, "app", nil)
	c := e.glmClient(key)
	ctx := context.Background()

	t.Run("thinking stream", func(t *testing.T) {
		want := readRecording(t, "glm", "chat-thinking-stream")
		var raw *http.Response
		s := c.Chat.Completions.NewStreaming(ctx, glmParams("chat-thinking-stream"), option.WithResponseInto(&raw))
		acc := openai.ChatCompletionAccumulator{}
		reasoning := ""
		for s.Next() {
			chunk := s.Current()
			acc.AddChunk(chunk)
			if len(chunk.Choices) > 0 {
				if f, ok := chunk.Choices[0].Delta.JSON.ExtraFields["reasoning_content"]; ok {
					var part string
					if err := json.Unmarshal([]byte(f.Raw()), &part); err != nil {
						t.Fatal(err)
					}
					reasoning += part
				}
			}
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if acc.Choices[0].Message.Content != want.content || reasoning != want.reasoning || want.reasoning == "" {
			t.Fatalf("content %q reasoning %d bytes; want %q and %d bytes", acc.Choices[0].Message.Content, len(reasoning), want.content, len(want.reasoning))
		}
		if acc.Usage.CompletionTokensDetails.ReasoningTokens != 561 {
			t.Fatalf("usage %+v", acc.Usage)
		}
		if raw.Request.URL.Path != "/api/paas/v4/chat/completions" {
			t.Fatalf("client called %s", raw.Request.URL.Path)
		}
		if got := e.mock.LastRequestURI(); got != "/api/paas/v4/chat/completions" {
			t.Fatalf("upstream URI %s", got)
		}
		if h, _ := e.mock.LastRequest(); h.Get("Authorization") != "Bearer "+providerKey {
			t.Fatal("GLM upstream did not get the provider's bearer key")
		}
	})

	t.Run("stream bytes", func(t *testing.T) {
		want, err := os.ReadFile(filepath.Join(fixtureDir, "glm", "raw-parallel-tool-calls-stream.response.sse"))
		if err != nil {
			t.Fatal(err)
		}
		r := e.post(t, "/api/paas/v4/chat/completions", key,
			`{"model":"glm-4.7","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"[[mock: fixture=glm/raw-parallel-tool-calls-stream]]"}]}`, nil)
		got, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || !bytes.Equal(got, want) {
			t.Fatalf("status %d; relayed stream differs from the recording", r.StatusCode)
		}
	})

	t.Run("parallel tool calls in the SDK", func(t *testing.T) {
		want := readRecording(t, "glm", "raw-parallel-tool-calls-stream")
		s := c.Chat.Completions.NewStreaming(ctx, glmParams("raw-parallel-tool-calls-stream"))
		acc := accumulate(t, s)
		calls := acc.Choices[0].Message.ToolCalls
		if len(calls) != 2 || len(want.tools) != 2 || acc.Choices[0].FinishReason != "tool_calls" {
			t.Fatalf("calls %+v", calls)
		}
		for i := range calls {
			if calls[i].Function.Name != want.tools[i].name || calls[i].Function.Arguments != want.tools[i].args {
				t.Fatalf("call %d = %+v, want %+v", i, calls[i].Function, want.tools[i])
			}
		}
	})

	t.Run("embeddings", func(t *testing.T) {
		resp, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "embedding-3",
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"one", "two"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 2 || len(resp.Data[0].Embedding) == 0 {
			t.Fatalf("embeddings %+v", resp)
		}
		if got := e.mock.LastRequestURI(); got != "/api/paas/v4/embeddings" {
			t.Fatalf("upstream URI %s", got)
		}
	})

	t.Run("errors in the OpenAI envelope", func(t *testing.T) {
		bogus := e.glmClient("nvk-bogus")
		_, err := bogus.Chat.Completions.New(ctx, glmParams("raw-text-nonstream"))
		var apiErr *openai.Error
		if !asOpenAIError(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code != "AUTH_INVALID_KEY" {
			t.Fatalf("err = %v", err)
		}
		// GLM is Bearer only: Azure's and Anthropic's carriers do not unlock it.
		for _, h := range []string{"api-key", "x-api-key"} {
			r := e.post(t, "/api/paas/v4/chat/completions", "", `{"model":"glm-4.7","messages":[]}`, map[string]string{h: key})
			r.Body.Close()
			if r.StatusCode != 401 {
				t.Fatalf("%s carrier: status %d", h, r.StatusCode)
			}
		}
	})
}

func asOpenAIError(err error, target **openai.Error) bool {
	e, ok := err.(*openai.Error)
	if ok {
		*target = e
	}
	return ok
}

// TestGLMTranslatedCaller: an Anthropic client on a GLM target sees
// reasoning_content as thinking and GLM's whole-per-chunk tool calls as
// tool_use blocks with complete arguments, streamed and not.
func TestGLMTranslatedCaller(t *testing.T) {
	e := glmEnv(t)
	ac := anthropicClient(e, e.newKey(t, "app", nil))
	ctx := context.Background()
	params := func(fixture string) anthropic.MessageNewParams {
		return anthropic.MessageNewParams{Model: "glm-4.7", MaxTokens: 1024, Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("[[mock: fixture=glm/" + fixture + "]]"))}}
	}
	check := func(t *testing.T, msg anthropic.Message, want recorded) {
		t.Helper()
		if want.reasoning == "" && len(want.tools) == 0 {
			t.Fatal("the recording has neither reasoning nor tool calls; nothing to compare")
		}
		var thinking, text string
		var tools []recordedCall
		for _, b := range msg.Content {
			switch b.Type {
			case "thinking":
				thinking += b.Thinking
			case "text":
				text += b.Text
			case "tool_use":
				tools = append(tools, recordedCall{b.Name, string(b.Input)})
			}
		}
		if thinking != want.reasoning || text != want.content {
			t.Fatalf("thinking %q text %q; want %q / %q", thinking, text, want.reasoning, want.content)
		}
		if len(tools) != len(want.tools) {
			t.Fatalf("tool_use blocks %+v, want %+v", tools, want.tools)
		}
		for i := range tools {
			var got, exp any
			if tools[i].name != want.tools[i].name || json.Unmarshal([]byte(tools[i].args), &got) != nil ||
				json.Unmarshal([]byte(want.tools[i].args), &exp) != nil || !jsonEqual(got, exp) {
				t.Fatalf("tool %d = %+v, want %+v", i, tools[i], want.tools[i])
			}
		}
		wantStop := anthropic.StopReasonEndTurn
		if len(want.tools) > 0 {
			wantStop = anthropic.StopReasonToolUse
		}
		if msg.StopReason != wantStop {
			t.Fatalf("stop reason %s, want %s", msg.StopReason, wantStop)
		}
	}
	for _, fixture := range []string{"chat-thinking-stream", "raw-parallel-tool-calls-stream"} {
		t.Run(fixture, func(t *testing.T) {
			s := ac.Messages.NewStreaming(ctx, params(fixture))
			msg := anthropic.Message{}
			for s.Next() {
				if err := msg.Accumulate(s.Current()); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Err(); err != nil {
				t.Fatal(err)
			}
			check(t, msg, readRecording(t, "glm", fixture))
		})
	}
	for _, fixture := range []string{"chat-thinking-nonstream", "raw-parallel-tool-calls-nonstream"} {
		t.Run(fixture, func(t *testing.T) {
			msg, err := ac.Messages.New(ctx, params(fixture))
			if err != nil {
				t.Fatal(err)
			}
			check(t, *msg, readRecording(t, "glm", fixture))
		})
	}
	if !strings.HasPrefix(e.mock.LastRequestURI(), "/api/paas/v4/chat/completions") {
		t.Fatalf("upstream URI %s", e.mock.LastRequestURI())
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}
