package mockupstream

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

type chatUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails *struct {
		CachedTokens *int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens *int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
}

type chatToolCall struct {
	Index    int    `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string `json:"name"`
		Arguments string `json:"arguments"`
	} `json:"function"`
}

type chatCompletion struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Created int64  `json:"created"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role      string         `json:"role"`
			Content   *string        `json:"content"`
			ToolCalls []chatToolCall `json:"tool_calls"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage *chatUsage `json:"usage"`
}

type chatChunk struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Delta struct {
			Role      string         `json:"role"`
			Content   *string        `json:"content"`
			ToolCalls []chatToolCall `json:"tool_calls"`
		} `json:"delta"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage json.RawMessage `json:"usage"`
}

const chatBody = `{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be terse."},{"role":"user","content":"What is 4200 + 42?"}]}`

func TestChatCompletionAnswersJSONInOpenAIShape(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	r := doReq(t, ts, http.MethodPost, "/v1/chat/completions", openaiAuth, chatBody)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
	var c chatCompletion
	mustJSON(t, r.body, &c)
	if c.Object != "chat.completion" || c.Model != "gpt-4o-mini" || !strings.HasPrefix(c.ID, "chatcmpl-") {
		t.Errorf("envelope = %+v", c)
	}
	if c.Created != fixedNow.Unix() {
		t.Errorf("created = %d, want injected clock %d", c.Created, fixedNow.Unix())
	}
	if len(c.Choices) != 1 || c.Choices[0].Message.Content == nil {
		t.Fatalf("choices = %+v", c.Choices)
	}
	want := Greeting + " You said: What is 4200 + 42?"
	if got := *c.Choices[0].Message.Content; got != want {
		t.Errorf("content = %q, want %q", got, want)
	}
	if c.Choices[0].FinishReason != "stop" || c.Choices[0].Message.Role != "assistant" {
		t.Errorf("choice = %+v", c.Choices[0])
	}
	u := c.Usage
	if u == nil || u.PromptTokens != len(chatBody)/4 || u.CompletionTokens != defaultChunks || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage = %+v, want prompt %d completion %d", u, len(chatBody)/4, defaultChunks)
	}
	if u != nil && (u.PromptTokensDetails == nil || u.PromptTokensDetails.CachedTokens == nil || u.CompletionTokensDetails == nil || u.CompletionTokensDetails.ReasoningTokens == nil) {
		t.Errorf("usage details missing: %s", r.body)
	}
	if r.header.Get("X-Mock-Request-Id") != "1" || !strings.HasPrefix(r.header.Get("X-Request-Id"), "req_") {
		t.Errorf("request id headers = %q / %q", r.header.Get("X-Mock-Request-Id"), r.header.Get("X-Request-Id"))
	}
}

// checkChatStream validates the chunk grammar and returns the joined text,
// the reassembled tool arguments and the parsed chunks.
func checkChatStream(t *testing.T, body []byte, model string, includeUsage bool) (string, []chatChunk) {
	t.Helper()
	events := parseSSE(t, body)
	if len(events) < 3 {
		t.Fatalf("only %d frames", len(events))
	}
	done := 0
	for i, ev := range events {
		if ev.event != "" {
			t.Errorf("frame %d has an event line %q; OpenAI sends data only", i, ev.event)
		}
		if ev.data == "[DONE]" {
			done++
			if i != len(events)-1 {
				t.Errorf("[DONE] at frame %d of %d", i, len(events))
			}
		}
	}
	if done != 1 {
		t.Fatalf("[DONE] appears %d times", done)
	}
	var chunks []chatChunk
	var text strings.Builder
	for _, ev := range events[:len(events)-1] {
		var c chatChunk
		mustJSON(t, []byte(ev.data), &c)
		if c.Object != "chat.completion.chunk" || c.Model != model || c.ID != chunksID(chunks, c.ID) {
			t.Errorf("chunk envelope = %+v", c)
		}
		if includeUsage && c.Usage == nil {
			t.Errorf("chunk lacks the usage key that include_usage adds: %s", ev.data)
		}
		if !includeUsage && c.Usage != nil {
			t.Errorf("chunk has usage without include_usage: %s", ev.data)
		}
		for _, ch := range c.Choices {
			if ch.Delta.Content != nil {
				text.WriteString(*ch.Delta.Content)
			}
		}
		chunks = append(chunks, c)
	}
	if r := chunks[0].Choices[0].Delta.Role; r != "assistant" {
		t.Errorf("first delta role = %q", r)
	}
	return text.String(), chunks
}

// chunksID returns the id every chunk must share (the first one's).
func chunksID(prev []chatChunk, cur string) string {
	if len(prev) == 0 {
		return cur
	}
	return prev[0].ID
}

func TestChatCompletionStreamFollowsChunkGrammar(t *testing.T) {
	tests := []struct {
		name         string
		includeUsage bool
		chunks       int
	}{
		{"default chunks without usage", false, defaultChunks},
		{"with include_usage", true, defaultChunks},
		{"one chunk", true, 1},
		{"256 chunks", true, 256},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTestServer(t, Options{})
			body := `{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"What is 4200 + 42?"}]`
			if tt.includeUsage {
				body += `,"stream_options":{"include_usage":true}`
			}
			body += "}"
			hdr := withHeader(openaiAuth, ControlHeader, "chunks="+strconv.Itoa(tt.chunks))
			r := doReq(t, ts, http.MethodPost, "/v1/chat/completions", hdr, body)
			if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("status %d, content-type %q", r.status, r.header.Get("Content-Type"))
			}
			text, chunks := checkChatStream(t, r.body, "gpt-4o", tt.includeUsage)

			content := 0
			for _, c := range chunks {
				if len(c.Choices) == 1 && c.Choices[0].Delta.Content != nil && c.Choices[0].Delta.Role == "" {
					content++
				}
			}
			if content != tt.chunks {
				t.Errorf("content chunks = %d, want %d", content, tt.chunks)
			}
			wantFinish := len(chunks) - 1
			if tt.includeUsage {
				wantFinish--
				last := chunks[len(chunks)-1]
				var u chatUsage
				mustJSON(t, last.Usage, &u)
				if len(last.Choices) != 0 || u.CompletionTokens != tt.chunks || u.PromptTokens != len(body)/4 || u.TotalTokens != u.PromptTokens+u.CompletionTokens {
					t.Errorf("usage chunk = choices %d usage %+v", len(last.Choices), u)
				}
			}
			fin := chunks[wantFinish].Choices
			if len(fin) != 1 || fin[0].FinishReason == nil || *fin[0].FinishReason != "stop" {
				t.Errorf("finish chunk = %+v", chunks[wantFinish])
			}

			// The stream must say what the unary answer says.
			r2 := doReq(t, ts, http.MethodPost, "/v1/chat/completions", hdr, strings.Replace(body, `"stream":true`, `"stream":false`, 1))
			var c chatCompletion
			mustJSON(t, r2.body, &c)
			if got := *c.Choices[0].Message.Content; got != text {
				t.Errorf("stream text %q differs from unary %q", text, got)
			}
			if !strings.HasPrefix(text, "Hello") {
				t.Errorf("text = %q", text)
			}
		})
	}
}

const chatToolsBody = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"capital of the UK?"}],"tools":[{"type":"function","function":{"name":"get_capital","parameters":{"type":"object","properties":{"country":{"type":"string"}}}}},{"type":"function","function":{"name":"second"}}]`

func TestChatToolCallStreamsArgumentFragments(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	hdr := withHeader(openaiAuth, ControlHeader, "tool=1")
	r := doReq(t, ts, http.MethodPost, "/v1/chat/completions", hdr, chatToolsBody+`,"stream":true,"stream_options":{"include_usage":true}}`)
	_, chunks := checkChatStream(t, r.body, "gpt-4o-mini", true)
	first := chunks[0].Choices[0].Delta.ToolCalls
	if len(first) != 1 || first[0].ID == "" || first[0].Type != "function" || first[0].Function.Name != "get_capital" {
		t.Fatalf("first tool delta = %+v", first)
	}
	var args strings.Builder
	fragments := 0
	for _, c := range chunks[1:] {
		for _, ch := range c.Choices {
			for _, tc := range ch.Delta.ToolCalls {
				if tc.ID != "" || tc.Function.Name != "" {
					t.Errorf("later fragment repeats id/name: %+v", tc)
				}
				args.WriteString(tc.Function.Arguments)
				fragments++
			}
		}
	}
	if args.String() != toolArguments || fragments != defaultChunks {
		t.Errorf("arguments = %q in %d fragments, want %q in %d", args.String(), fragments, toolArguments, defaultChunks)
	}
	fin := chunks[len(chunks)-2].Choices[0]
	if fin.FinishReason == nil || *fin.FinishReason != "tool_calls" {
		t.Errorf("finish = %+v", fin)
	}

	r = doReq(t, ts, http.MethodPost, "/v1/chat/completions", hdr, chatToolsBody+"}")
	var c chatCompletion
	mustJSON(t, r.body, &c)
	msg := c.Choices[0].Message
	if c.Choices[0].FinishReason != "tool_calls" || msg.Content != nil || len(msg.ToolCalls) != 1 ||
		msg.ToolCalls[0].Function.Name != "get_capital" || msg.ToolCalls[0].Function.Arguments != toolArguments {
		t.Errorf("unary tool answer = %s", r.body)
	}
}

func TestToolDirectiveWithoutDeclaredToolsAnswersText(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	r := doReq(t, ts, http.MethodPost, "/v1/chat/completions", withHeader(openaiAuth, ControlHeader, "tool=1"), chatBody)
	var c chatCompletion
	mustJSON(t, r.body, &c)
	if c.Choices[0].FinishReason != "stop" || c.Choices[0].Message.Content == nil {
		t.Errorf("answer = %s", r.body)
	}
}

type embeddingList struct {
	Object string `json:"object"`
	Model  string `json:"model"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

func decodeVector(t *testing.T, raw json.RawMessage) []float32 {
	t.Helper()
	if len(raw) > 0 && raw[0] == '"' {
		var s string
		mustJSON(t, raw, &s)
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(b)%4 != 0 {
			t.Fatalf("bad base64 embedding: %v", err)
		}
		v := make([]float32, len(b)/4)
		for i := range v {
			v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[i*4:]))
		}
		return v
	}
	var v []float32
	mustJSON(t, raw, &v)
	return v
}

func TestEmbeddingsAnswerPerInputAndFormat(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantN    int
		wantDims int
	}{
		{"single string float", `{"model":"text-embedding-3-small","input":"Hello, world!"}`, 1, 1536},
		{"batch of strings", `{"model":"text-embedding-3-small","input":["a","b","a"]}`, 3, 1536},
		{"base64 with dimensions", `{"model":"text-embedding-3-small","input":["Hello, world!"],"encoding_format":"base64","dimensions":256}`, 1, 256},
		{"token array is one input", `{"model":"text-embedding-3-small","input":[1,2,3]}`, 1, 1536},
		{"large model default dims", `{"model":"text-embedding-3-large","input":"x","encoding_format":"float"}`, 1, 3072},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTestServer(t, Options{})
			r := doReq(t, ts, http.MethodPost, "/v1/embeddings", openaiAuth, tt.body)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var l embeddingList
			mustJSON(t, r.body, &l)
			if l.Object != "list" || len(l.Data) != tt.wantN || l.Usage.PromptTokens < tt.wantN || l.Usage.TotalTokens != l.Usage.PromptTokens {
				t.Fatalf("list = object %q n %d usage %+v", l.Object, len(l.Data), l.Usage)
			}
			var vecs [][]float32
			for i, d := range l.Data {
				if d.Object != "embedding" || d.Index != i {
					t.Errorf("item %d = %q index %d", i, d.Object, d.Index)
				}
				v := decodeVector(t, d.Embedding)
				if len(v) != tt.wantDims {
					t.Errorf("dims = %d, want %d", len(v), tt.wantDims)
				}
				var sum float64
				for _, x := range v {
					sum += float64(x) * float64(x)
				}
				if math.Abs(sum-1) > 1e-3 {
					t.Errorf("vector norm² = %f, want 1", sum)
				}
				vecs = append(vecs, v)
			}
			if tt.wantN == 3 {
				if vecs[0][0] != vecs[2][0] || vecs[0][1] != vecs[2][1] {
					t.Error("equal inputs embedded differently")
				}
				if vecs[0][0] == vecs[1][0] {
					t.Error("different inputs embedded equally")
				}
			}
		})
	}
}

func TestEmbeddingsWithoutInputIsBadRequest(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	r := doReq(t, ts, http.MethodPost, "/v1/embeddings", openaiAuth, `{"model":"text-embedding-3-small"}`)
	var e openaiErr
	mustJSON(t, r.body, &e)
	if r.status != http.StatusBadRequest || e.Error.Type != "invalid_request_error" {
		t.Errorf("status %d body %s", r.status, r.body)
	}
}

func TestModelsListsInOpenAIShape(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	r := doReq(t, ts, http.MethodGet, "/v1/models", openaiAuth, "")
	var l struct {
		Object string `json:"object"`
		Data   []struct {
			ID      string `json:"id"`
			Object  string `json:"object"`
			Created int64  `json:"created"`
			OwnedBy string `json:"owned_by"`
		} `json:"data"`
	}
	mustJSON(t, r.body, &l)
	if r.status != http.StatusOK || l.Object != "list" || len(l.Data) == 0 {
		t.Fatalf("status %d body %s", r.status, r.body)
	}
	for _, m := range l.Data {
		if m.ID == "" || m.Object != "model" || m.Created != fixedNow.Unix() || m.OwnedBy == "" {
			t.Errorf("model = %+v", m)
		}
	}
}

func TestAzureDeploymentPathStandsInForModel(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	r := doReq(t, ts, http.MethodPost, "/openai/deployments/my-gpt4o/chat/completions?api-version=2024-10-21",
		map[string]string{"Api-Key": "azure-secret"}, `{"messages":[{"role":"user","content":"hi"}]}`)
	var c chatCompletion
	mustJSON(t, r.body, &c)
	if r.status != http.StatusOK || c.Model != "my-gpt4o" {
		t.Errorf("status %d model %q", r.status, c.Model)
	}
}
