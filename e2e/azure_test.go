package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/azure"
	"github.com/openai/openai-go/v3/option"

	"github.com/nexus-gateway/nexus/internal/sse"
)

// azureEnv: the emulator plays Azure OpenAI behind two providers, one per
// URL scheme (deployment paths with api-version, and /openai/v1), next to
// the harness's OpenAI provider.
func azureEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, envOptions{
		fixtures: fixtureDir,
		// "UPSTREAM" is replaced in the whole text, so the key is spelled out.
		providers: `- name: azure
  type: azure-openai
  base_url: UPSTREAM
  api_key: ` + providerKey + `
- name: azure-v1
  type: azure-openai
  base_url: UPSTREAM/openai/v1
  api_key: ` + providerKey,
		models: `- name: az-mini
  provider: azure
  upstream_model: gpt-4o-mini
- name: az-embed
  provider: azure
  upstream_model: text-embedding-3-small
  type: embedding
- name: az-v1
  provider: azure-v1
  upstream_model: gpt-5-mini
- name: text-embedding-3-small
  provider: openai
  type: embedding`,
	})
}

func anthropicClient(e *env, key string) anthropic.Client {
	return anthropic.NewClient(anthropicoption.WithBaseURL(e.srv.URL), anthropicoption.WithAPIKey(key),
		anthropicoption.WithMaxRetries(0), anthropicoption.WithRequestTimeout(20*time.Second))
}

// recorded is what a recorded OpenAI-wire stream or completion says.
type recorded struct {
	reasoning, content string
	tools              []recordedCall
	finish             string
}

type recordedCall struct{ name, args string }

// readRecording sums up a fixture the way a client would assemble it.
func readRecording(t *testing.T, folder, name string) recorded {
	t.Helper()
	var r recorded
	type call struct {
		Index    int    `json:"index"`
		ID       string `json:"id"`
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	}
	type msg struct {
		Content          string `json:"content"`
		ReasoningContent string `json:"reasoning_content"`
		ToolCalls        []call `json:"tool_calls"`
	}
	type choice struct {
		Delta        msg    `json:"delta"`
		Message      msg    `json:"message"`
		FinishReason string `json:"finish_reason"`
	}
	add := func(m msg, finish string) {
		r.reasoning += m.ReasoningContent
		r.content += m.Content
		for _, c := range m.ToolCalls {
			// GLM sends each call whole, with its own id; OpenAI and Azure
			// stream argument fragments under one index.
			if c.ID != "" || len(r.tools) == 0 || c.Function.Name != "" {
				r.tools = append(r.tools, recordedCall{c.Function.Name, c.Function.Arguments})
				continue
			}
			r.tools[len(r.tools)-1].args += c.Function.Arguments
		}
		if finish != "" {
			r.finish = finish
		}
	}
	if b, err := os.ReadFile(filepath.Join(fixtureDir, folder, name+".response.json")); err == nil {
		var resp struct{ Choices []choice }
		if err := json.Unmarshal(b, &resp); err != nil || len(resp.Choices) == 0 {
			t.Fatalf("%s: %v", name, err)
		}
		add(resp.Choices[0].Message, resp.Choices[0].FinishReason)
		return r
	}
	b, err := os.ReadFile(filepath.Join(fixtureDir, folder, name+".response.sse"))
	if err != nil {
		t.Fatal(err)
	}
	rd := sse.NewReader(bytes.NewReader(b), 0)
	for {
		ev, err := rd.Next()
		if len(ev.Data) > 0 && ev.Data[0] == '{' {
			var chunk struct{ Choices []choice }
			if json.Unmarshal(ev.Data, &chunk) == nil && len(chunk.Choices) > 0 {
				add(chunk.Choices[0].Delta, chunk.Choices[0].FinishReason)
			}
		}
		if err != nil {
			return r
		}
	}
}

// TestAzureUpstreamDeploymentPaths: a deployment-scheme Azure provider gets
// {base}/openai/deployments/{deployment}/chat/completions?api-version=… with
// the key in api-key; the OpenAI client receives the recorded answer, the
// stream byte for byte (empty preamble chunk and content_filter_results
// included) and still parseable by openai-go.
func TestAzureUpstreamDeploymentPaths(t *testing.T) {
	e := azureEnv(t)
	c := e.client(e.newKey(t, "app", nil))
	ctx := context.Background()
	checkUpstream := func(t *testing.T, wantURI string) {
		t.Helper()
		if got := e.mock.LastRequestURI(); got != wantURI {
			t.Fatalf("upstream URI = %s, want %s", got, wantURI)
		}
		h, body := e.mock.LastRequest()
		if h.Get("Api-Key") != providerKey || h.Get("Authorization") != "" {
			t.Fatalf("upstream auth headers: api-key set=%v authorization=%q", h.Get("Api-Key") != "", h.Get("Authorization"))
		}
		if !bytes.Contains(body, []byte(`"model":"gpt-4o-mini"`)) {
			t.Fatalf("upstream body %s", body)
		}
	}
	const chatURI = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"

	t.Run("unary", func(t *testing.T) {
		want := readRecording(t, "azure-openai", "raw-chat-nonstream")
		p := userMsg("[[mock: fixture=azure-openai/raw-chat-nonstream]]")
		p.Model = "az-mini"
		resp, err := c.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Choices[0].Message.Content != want.content || want.content == "" || resp.Usage.TotalTokens != 27 {
			t.Fatalf("got %q usage %+v, want %q", resp.Choices[0].Message.Content, resp.Usage, want.content)
		}
		checkUpstream(t, chatURI)
	})

	t.Run("stream relayed byte for byte", func(t *testing.T) {
		want, err := os.ReadFile(filepath.Join(fixtureDir, "azure-openai", "raw-chat-stream.response.sse"))
		if err != nil {
			t.Fatal(err)
		}
		r := e.post(t, "/v1/chat/completions", e.newKey(t, "raw", nil),
			`{"model":"az-mini","stream":true,"messages":[{"role":"user","content":"[[mock: fixture=azure-openai/raw-chat-stream]]"}]}`, nil)
		got, _ := io.ReadAll(r.Body)
		r.Body.Close()
		if r.StatusCode != 200 || !bytes.Equal(got, want) {
			t.Fatalf("status %d, relayed stream differs:\n%s", r.StatusCode, got)
		}
		checkUpstream(t, chatURI)
	})

	t.Run("stream in the SDK", func(t *testing.T) {
		want := readRecording(t, "azure-openai", "raw-chat-stream")
		p := userMsg("[[mock: fixture=azure-openai/raw-chat-stream]]")
		p.Model = "az-mini"
		s := c.Chat.Completions.NewStreaming(ctx, p)
		acc := openai.ChatCompletionAccumulator{}
		frames := 0
		for s.Next() {
			acc.AddChunk(s.Current())
			frames++
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if len(acc.Choices) == 0 || acc.Choices[0].Message.Content != want.content || acc.Choices[0].FinishReason != want.finish {
			t.Fatalf("accumulated %+v after %d chunks, want %q/%s", acc.Choices, frames, want.content, want.finish)
		}
	})

	t.Run("tool-call stream", func(t *testing.T) {
		want := readRecording(t, "azure-openai", "raw-chat-tool-calls-stream")
		p := userMsg("[[mock: fixture=azure-openai/raw-chat-tool-calls-stream]]")
		p.Model = "az-mini"
		s := c.Chat.Completions.NewStreaming(ctx, p)
		acc := accumulate(t, s)
		calls := acc.Choices[0].Message.ToolCalls
		if len(calls) != len(want.tools) || len(calls) == 0 {
			t.Fatalf("calls %+v, want %+v", calls, want.tools)
		}
		for i, call := range calls {
			if call.Function.Name != want.tools[i].name || call.Function.Arguments != want.tools[i].args {
				t.Fatalf("call %d = %+v, want %+v", i, call.Function, want.tools[i])
			}
		}
	})

	t.Run("embeddings", func(t *testing.T) {
		resp, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "az-embed",
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 2 || len(resp.Data[1].Embedding) == 0 {
			t.Fatalf("embeddings %+v", resp)
		}
		if got := e.mock.LastRequestURI(); got != "/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21" {
			t.Fatalf("upstream URI = %s", got)
		}
	})
}

// TestAzureUpstreamV1Paths: a base URL ending in /openai/v1 takes the v1
// scheme: {base}/chat/completions, the deployment as body model, no
// api-version. The deployment is named after gpt-5-mini, so the Azure
// preset's reasoning-model quirk applies and is reported.
func TestAzureUpstreamV1Paths(t *testing.T) {
	e := azureEnv(t)
	c := e.client(e.newKey(t, "app", nil))
	for _, name := range []string{"raw-v1-chat-nonstream", "raw-v1-chat-stream"} {
		t.Run(name, func(t *testing.T) {
			want := readRecording(t, "azure-openai", name)
			p := userMsg("[[mock: fixture=azure-openai/" + name + "]]")
			p.Model, p.MaxTokens = "az-v1", openai.Int(64)
			var raw *http.Response
			var content string
			if strings.HasSuffix(name, "-stream") {
				s := c.Chat.Completions.NewStreaming(context.Background(), p, option.WithResponseInto(&raw))
				acc := accumulate(t, s)
				content = acc.Choices[0].Message.Content
			} else {
				resp, err := c.Chat.Completions.New(context.Background(), p, option.WithResponseInto(&raw))
				if err != nil {
					t.Fatal(err)
				}
				content = resp.Choices[0].Message.Content
			}
			if content != want.content || content == "" {
				t.Fatalf("content %q, want %q", content, want.content)
			}
			if got := e.mock.LastRequestURI(); got != "/openai/v1/chat/completions" {
				t.Fatalf("upstream URI = %s", got)
			}
			h, body := e.mock.LastRequest()
			if h.Get("Api-Key") != providerKey {
				t.Fatal("api-key header missing upstream")
			}
			if !bytes.Contains(body, []byte(`"model":"gpt-5-mini"`)) || !bytes.Contains(body, []byte(`"max_completion_tokens":64`)) ||
				bytes.Contains(body, []byte(`"max_tokens"`)) {
				t.Fatalf("upstream body %s", body)
			}
			if got := raw.Header.Get("X-Nexus-Coerced"); got != "max_tokens->max_completion_tokens" {
				t.Fatalf("X-Nexus-Coerced = %q", got)
			}
		})
	}
}

// TestAzureTranslatedCaller: an Anthropic client on an Azure target. The
// stream's empty prompt_filter_results preamble is skipped cleanly, the
// text arrives whole, and Azure's content-filter 400 comes back in the
// Anthropic envelope (the OpenAI client gets Azure's body verbatim).
func TestAzureTranslatedCaller(t *testing.T) {
	e := azureEnv(t)
	key := e.newKey(t, "app", nil)
	ac := anthropicClient(e, key)
	ctx := context.Background()
	params := func(fixture string) anthropic.MessageNewParams {
		return anthropic.MessageNewParams{Model: "az-mini", MaxTokens: 256, Messages: []anthropic.MessageParam{
			anthropic.NewUserMessage(anthropic.NewTextBlock("[[mock: fixture=azure-openai/" + fixture + "]]"))}}
	}

	t.Run("stream", func(t *testing.T) {
		want := readRecording(t, "azure-openai", "raw-chat-stream")
		s := ac.Messages.NewStreaming(ctx, params("raw-chat-stream"))
		msg := anthropic.Message{}
		for s.Next() {
			if err := msg.Accumulate(s.Current()); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if len(msg.Content) != 1 || msg.Content[0].Text != want.content || msg.StopReason != anthropic.StopReasonEndTurn {
			t.Fatalf("message %+v, want text %q", msg, want.content)
		}
		if got := e.mock.LastRequestURI(); !strings.HasPrefix(got, "/openai/deployments/gpt-4o-mini/chat/completions?api-version=") {
			t.Fatalf("upstream URI = %s", got)
		}
	})

	t.Run("unary", func(t *testing.T) {
		want := readRecording(t, "azure-openai", "raw-chat-nonstream")
		msg, err := ac.Messages.New(ctx, params("raw-chat-nonstream"))
		if err != nil {
			t.Fatal(err)
		}
		if msg.Content[0].Text != want.content || msg.Usage.InputTokens != 16 || msg.Usage.OutputTokens != 11 {
			t.Fatalf("message %+v", msg)
		}
	})

	for _, fixture := range []string{"raw-azure-chat-400-content-filter", "raw-azure-chat-400-content-filter-stream"} {
		t.Run(fixture, func(t *testing.T) {
			p := params(fixture)
			var err error
			if strings.HasSuffix(fixture, "-stream") {
				s := ac.Messages.NewStreaming(ctx, p)
				for s.Next() {
				}
				err = s.Err()
			} else {
				_, err = ac.Messages.New(ctx, p)
			}
			var apiErr *anthropic.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
				t.Fatalf("err = %v", err)
			}
			body := apiErr.RawJSON()
			if !strings.Contains(body, `"type":"invalid_request_error"`) || !strings.Contains(body, "content management policy") {
				t.Fatalf("anthropic envelope %s", body)
			}
			// The OpenAI client sees Azure's own body, code and innererror included.
			oc := e.client(key)
			q := userMsg("[[mock: fixture=azure-openai/" + fixture + "]]")
			q.Model = "az-mini"
			_, err = oc.Chat.Completions.New(ctx, q)
			var oErr *openai.Error
			if !errors.As(err, &oErr) || oErr.StatusCode != 400 || oErr.Code != "content_filter" ||
				!strings.Contains(oErr.RawJSON(), "ResponsibleAIPolicyViolation") {
				t.Fatalf("openai err = %v", err)
			}
		})
	}
}

// azureClient is openai-go's own Azure configuration pointed at the
// gateway's Azure shim (plain HTTP to loopback is allowed explicitly).
func (e *env) azureClient(key string) openai.Client {
	return openai.NewClient(
		azure.WithEndpoint(e.srv.URL, "2024-10-21"),
		azure.WithAPIKey(key),
		azure.WithUnsafeAllowHTTP(),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(20*time.Second),
	)
}

// TestAzureShimWithAzureSDKClient: openai-go's azure package talks to
// /openai/deployments/{deployment}/… with its api-key header and an
// api-version query; the deployment resolves to a served model (here an
// OpenAI target, reached on its ordinary /v1 paths with Bearer).
func TestAzureShimWithAzureSDKClient(t *testing.T) {
	e := azureEnv(t)
	key := e.newKey(t, "app", nil)
	c := e.azureClient(key)
	ctx := context.Background()

	t.Run("chat", func(t *testing.T) {
		var raw *http.Response
		resp, err := c.Chat.Completions.New(ctx, userMsg("hello azure"), option.WithResponseInto(&raw))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(resp.Choices[0].Message.Content, "You said: hello azure") {
			t.Fatalf("content %q", resp.Choices[0].Message.Content)
		}
		if path := raw.Request.URL.Path; path != "/openai/deployments/gpt-4o-mini/chat/completions" || raw.Request.URL.Query().Get("api-version") != "2024-10-21" {
			t.Fatalf("client called %s", raw.Request.URL)
		}
		if raw.Header.Get("X-Nexus-Routed-Model") != "gpt-4o-mini" {
			t.Fatalf("routed model %q", raw.Header.Get("X-Nexus-Routed-Model"))
		}
		if got := e.mock.LastRequestURI(); got != "/v1/chat/completions" {
			t.Fatalf("upstream URI %s", got)
		}
		if h, _ := e.mock.LastRequest(); h.Get("Authorization") != "Bearer "+providerKey || h.Get("Api-Key") != "" {
			t.Fatal("upstream credential is not the OpenAI provider's bearer key (or the client's api-key leaked upstream)")
		}
	})

	t.Run("stream", func(t *testing.T) {
		s := c.Chat.Completions.NewStreaming(ctx, userMsg("streamed azure"))
		acc := accumulate(t, s)
		if !strings.Contains(acc.Choices[0].Message.Content, "You said: streamed azure") || acc.Usage.TotalTokens == 0 {
			t.Fatalf("accumulated %+v", acc.ChatCompletion)
		}
	})

	t.Run("embeddings", func(t *testing.T) {
		resp, err := c.Embeddings.New(ctx, openai.EmbeddingNewParams{Model: "text-embedding-3-small",
			Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"x", "y", "z"}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(resp.Data) != 3 || len(resp.Data[0].Embedding) == 0 {
			t.Fatalf("embeddings %+v", resp)
		}
		if got := e.mock.LastRequestURI(); got != "/v1/embeddings" {
			t.Fatalf("upstream URI %s", got)
		}
	})

	t.Run("deployment to an Azure target", func(t *testing.T) {
		want := readRecording(t, "azure-openai", "raw-chat-stream")
		p := userMsg("[[mock: fixture=azure-openai/raw-chat-stream]]")
		p.Model = "az-mini"
		s := c.Chat.Completions.NewStreaming(ctx, p)
		acc := accumulate(t, s)
		if acc.Choices[0].Message.Content != want.content {
			t.Fatalf("content %q, want %q", acc.Choices[0].Message.Content, want.content)
		}
	})
}

// TestAzureShimRequests covers the shim's edges with raw HTTP: the path's
// deployment overrides the body's model (or stands in for a missing one),
// the api-key carrier, and errors in the OpenAI envelope.
func TestAzureShimRequests(t *testing.T) {
	e := azureEnv(t)
	key := e.newKey(t, "app", nil)
	send := func(path, body string, hdr map[string]string) (int, http.Header, string) {
		t.Helper()
		r := e.post(t, path, "", body, hdr)
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		return r.StatusCode, r.Header, string(b)
	}
	const chat = "/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"

	status, h, body := send(chat, `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, map[string]string{"api-key": key})
	if status != 200 || h.Get("X-Nexus-Routed-Model") != "gpt-4o-mini" {
		t.Fatalf("%d %s", status, body)
	}
	if _, up := e.mock.LastRequest(); !bytes.Contains(up, []byte(`"model":"gpt-4o-mini"`)) {
		t.Fatalf("upstream body %s: the body's model won over the deployment", up)
	}

	status, _, body = send(chat, `{"messages":[{"role":"user","content":"no model here"}]}`, map[string]string{"Authorization": "Bearer " + key})
	if _, up := e.mock.LastRequest(); status != 200 || !bytes.Contains(up, []byte(`"model":"gpt-4o-mini"`)) {
		t.Fatalf("%d %s; upstream %s", status, body, up)
	}

	for _, c := range []struct {
		name, path, body string
		hdr              map[string]string
		status           int
		code             string
	}{
		{"unknown deployment", "/openai/deployments/nope/chat/completions", `{"messages":[]}`, map[string]string{"api-key": key}, 404, "model_not_found"},
		{"no key", chat, `{"messages":[]}`, nil, 401, "AUTH_KEY_MISSING"},
		{"x-api-key is not an Azure carrier", chat, `{"messages":[]}`, map[string]string{"x-api-key": key}, 401, "AUTH_KEY_MISSING"},
		{"bad JSON", chat, `{"messages":`, map[string]string{"api-key": key}, 400, ""},
		{"GET", chat, ``, map[string]string{"api-key": key}, 405, ""},
		{"embeddings on a chat model", "/openai/deployments/gpt-4o-mini/embeddings", `{"input":"x"}`, map[string]string{"api-key": key}, 400, ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			var status int
			var body string
			if c.name == "GET" {
				req, _ := http.NewRequest(http.MethodGet, e.srv.URL+c.path, nil)
				req.Header.Set("api-key", key)
				r, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(r.Body)
				r.Body.Close()
				status, body = r.StatusCode, string(b)
			} else {
				status, _, body = send(c.path, c.body, c.hdr)
			}
			var env struct {
				Error struct {
					Message string `json:"message"`
					Type    string `json:"type"`
					Code    any    `json:"code"`
				} `json:"error"`
			}
			if status != c.status || json.Unmarshal([]byte(body), &env) != nil || env.Error.Message == "" {
				t.Fatalf("%d %s, want %d in the OpenAI envelope", status, body, c.status)
			}
			if c.code != "" && env.Error.Code != c.code {
				t.Fatalf("code %v, want %s", env.Error.Code, c.code)
			}
		})
	}
}
