package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"google.golang.org/genai"
)

// streamBody is a minimal streaming request in each ingress shape; text is
// the user message (where the emulator directives go).
func streamBody(ingress, model, text string) string {
	q, _ := json.Marshal(text)
	switch ingress {
	case "anthropic":
		return `{"model":"` + model + `","max_tokens":64,"stream":true,"messages":[{"role":"user","content":` + string(q) + `}]}`
	case "gemini":
		return `{"contents":[{"role":"user","parts":[{"text":` + string(q) + `}]}]}`
	}
	return `{"model":"` + model + `","stream":true,"messages":[{"role":"user","content":` + string(q) + `}]}`
}

// frames splits an SSE body into (event name, data) pairs.
func frames(t *testing.T, body []byte) (names []string, data []string) {
	t.Helper()
	n, d := sseData(t, body)
	for i := range d {
		data = append(data, string(d[i]))
	}
	return n, data
}

// checkCutStream asserts the SPEC §6.8 ending of a stream cut mid-way: one
// terminal error frame in the caller's grammar, last, and no sign of a
// normal finish anywhere.
func checkCutStream(t *testing.T, ingress string, body []byte) {
	t.Helper()
	names, data := frames(t, body)
	if len(data) < 2 {
		t.Fatalf("stream too short to have carried content before the cut:\n%s", body)
	}
	errorsSeen := 0
	for i, d := range data {
		isErr := false
		switch ingress {
		case "openai":
			if d == "[DONE]" {
				t.Errorf("a cut stream ended with [DONE]")
			}
			isErr = strings.HasPrefix(d, `{"error":`)
			if strings.Contains(d, `"finish_reason":"`) {
				t.Errorf("a cut stream carried a finish_reason: %s", d)
			}
		case "anthropic":
			isErr = names[i] == "error"
			if names[i] == "message_stop" || names[i] == "message_delta" {
				t.Errorf("a cut stream carried %s", names[i])
			}
			if isErr && !strings.HasPrefix(d, `{"type":"error","error":{"type":`) {
				t.Errorf("anthropic error frame = %s", d)
			}
		case "gemini":
			isErr = strings.HasPrefix(d, `{"error":`)
			if strings.Contains(d, `"finishReason"`) {
				t.Errorf("a cut stream carried a finishReason: %s", d)
			}
			if isErr {
				var e struct {
					Error struct {
						Code    int    `json:"code"`
						Message string `json:"message"`
						Status  string `json:"status"`
					} `json:"error"`
				}
				if json.Unmarshal([]byte(d), &e) != nil || e.Error.Code != 502 || e.Error.Status == "" || e.Error.Message == "" {
					t.Errorf("gemini error frame = %s", d)
				}
			}
		}
		if isErr {
			errorsSeen++
			if i != len(data)-1 {
				t.Errorf("error frame %d is not the last of %d", i, len(data))
			}
		}
	}
	if errorsSeen != 1 {
		t.Errorf("%d error frames, want exactly 1:\n%s", errorsSeen, body)
	}
}

// TestCutStreamsEndWithOneErrorFrame cuts the upstream connection after
// three content frames on every pair: the client must get exactly one
// terminal error frame in its own grammar, never a normal finish.
func TestCutStreamsEndWithOneErrorFrame(t *testing.T) {
	m := newMatrixEnv(t)
	for _, ingress := range matrixIngress {
		for _, upstream := range matrixUpstream {
			t.Run(ingress+"_client/"+upstream+"_upstream", func(t *testing.T) {
				model := matrixModel[upstream]
				r := m.raw(t, ingress, model, true, streamBody(ingress, model, directive("chunks=10;cut_after=3")))
				body, _ := io.ReadAll(r.Body)
				r.Body.Close()
				if r.StatusCode != 200 {
					t.Fatalf("status %d: %s", r.StatusCode, body)
				}
				checkCutStream(t, ingress, body)
			})
		}
	}
}

// TestGeminiArrayStreamCutEndsWithErrorElement: without alt=sse a Gemini
// stream is one JSON array; a cut must still end it as valid JSON whose last
// element is the error.
func TestGeminiArrayStreamCutEndsWithErrorElement(t *testing.T) {
	m := newMatrixEnv(t)
	for _, upstream := range matrixUpstream {
		t.Run(upstream+"_upstream", func(t *testing.T) {
			model := matrixModel[upstream]
			r := m.post(t, "/v1beta/models/"+model+":streamGenerateContent", "",
				streamBody("gemini", model, directive("chunks=10;cut_after=3")), map[string]string{"x-goog-api-key": m.key})
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			var elems []map[string]any
			if err := json.Unmarshal(body, &elems); err != nil {
				t.Fatalf("array stream is not a JSON array (%v):\n%s", err, body)
			}
			if len(elems) < 2 || elems[len(elems)-1]["error"] == nil {
				t.Fatalf("last element is not the error: %s", body)
			}
			for _, el := range elems[:len(elems)-1] {
				if el["error"] != nil || bytes.Contains(mustMarshal(t, el), []byte("finishReason")) {
					t.Errorf("element before the error: %v", el)
				}
			}
		})
	}
}

func mustMarshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// upstreamErrorFixture is a recorded rate-limit/overload answer per wire.
var upstreamErrorFixture = map[string]struct {
	fixture string
	status  int
}{
	"openai":    {"errors/openai-429-rate-limit-tpm", 429},
	"anthropic": {"provider-errors/anthropic-529-overloaded-error", 529},
	"gemini":    {"provider-errors/gemini-429-resource-exhausted-retryinfo", 429},
}

// TestUpstreamErrorsReachEachClientInItsShape replays recorded upstream
// errors (OpenAI 429, Anthropic 529 overloaded, Gemini RESOURCE_EXHAUSTED
// with RetryInfo) to every client, unary and streamed: the status is kept
// and the official client decodes its own typed error.
func TestUpstreamErrorsReachEachClientInItsShape(t *testing.T) {
	m := newMatrixEnv(t)
	ctx := context.Background()
	for _, ingress := range matrixIngress {
		for _, upstream := range matrixUpstream {
			for _, stream := range []bool{false, true} {
				fx := upstreamErrorFixture[upstream]
				name := ingress + "_client/" + upstream + "_upstream/" + map[bool]string{false: "unary", true: "stream"}[stream]
				t.Run(name, func(t *testing.T) {
					model, prompt := matrixModel[upstream], directive("fixture="+fx.fixture)
					err := m.askErr(ctx, t, ingress, model, prompt, stream)
					status := 0
					var oe *openai.Error
					var ae *anthropic.Error
					var ge genai.APIError
					switch {
					case errors.As(err, &oe):
						status = oe.StatusCode
						if ingress == upstream && oe.Type == "" {
							t.Errorf("same-family error lost its type: %+v", oe)
						}
						if ingress != upstream && oe.Message == "" {
							t.Errorf("empty message: %v", oe)
						}
					case errors.As(err, &ae):
						status = ae.StatusCode
						if !strings.Contains(ae.RawJSON(), `"type":"error"`) {
							t.Errorf("anthropic envelope = %s", ae.RawJSON())
						}
						wantType := map[int]string{429: "rate_limit_error", 529: "overloaded_error"}[fx.status]
						if !strings.Contains(ae.RawJSON(), `"`+wantType+`"`) {
							t.Errorf("anthropic error type for %d: %s", fx.status, ae.RawJSON())
						}
					case errors.As(err, &ge):
						status = ge.Code
						wantStatus := map[int]string{429: "RESOURCE_EXHAUSTED", 529: "UNAVAILABLE"}[fx.status]
						if ge.Status != wantStatus || ge.Message == "" {
							t.Errorf("gemini error = %+v, want status %s", ge, wantStatus)
						}
					default:
						t.Fatalf("%s client got %T %v, want its typed API error", ingress, err, err)
					}
					if status != fx.status {
						t.Errorf("status %d, want the upstream's %d", status, fx.status)
					}
				})
			}
		}
	}
}

// TestGeminiRetryInfoBecomesRetryAfter: Gemini carries its retry delay in
// the body (RetryInfo 34.4s); clients of other shapes get Retry-After.
func TestGeminiRetryInfoBecomesRetryAfter(t *testing.T) {
	m := newMatrixEnv(t)
	for _, ingress := range []string{"openai", "anthropic"} {
		t.Run(ingress+"_client", func(t *testing.T) {
			body := streamBody(ingress, "m-gemini", directive("fixture=provider-errors/gemini-429-resource-exhausted-retryinfo"))
			body = strings.Replace(body, `"stream":true,`, "", 1)
			r := m.raw(t, ingress, "m-gemini", false, body)
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != http.StatusTooManyRequests || r.Header.Get("Retry-After") != "35" {
				t.Fatalf("status %d Retry-After %q: %s", r.StatusCode, r.Header.Get("Retry-After"), b)
			}
		})
	}
}

// askErr sends one request through the official client and returns its error.
func (m *matrixEnv) askErr(ctx context.Context, t *testing.T, shape, model, prompt string, stream bool) error {
	t.Helper()
	switch shape {
	case "openai":
		c := m.openai()
		p := openai.ChatCompletionNewParams{Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)}}
		if !stream {
			_, err := c.Chat.Completions.New(ctx, p)
			return err
		}
		st := c.Chat.Completions.NewStreaming(ctx, p)
		for st.Next() {
		}
		return st.Err()
	case "anthropic":
		c := m.anthropic()
		p := anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 64,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))}}
		if !stream {
			_, err := c.Messages.New(ctx, p)
			return err
		}
		st := c.Messages.NewStreaming(ctx, p)
		for st.Next() {
		}
		return st.Err()
	}
	c := m.genai(t)
	if !stream {
		_, err := c.Models.GenerateContent(ctx, model, genai.Text(prompt), nil)
		return err
	}
	for _, err := range c.Models.GenerateContentStream(ctx, model, genai.Text(prompt), nil) {
		if err != nil {
			return err
		}
	}
	return nil
}

// TestRecordedStreamErrorEventsReachEachClient replays recorded in-band
// stream errors: Anthropic's "event: error" (overloaded, before any
// content) and a Gemini error frame after two text frames. A failure before
// the first byte is a real HTTP error in the caller's envelope; after it,
// the text already sent is followed by exactly one error frame in the
// caller's grammar and never by a normal finish.
func TestRecordedStreamErrorEventsReachEachClient(t *testing.T) {
	m := newMatrixEnv(t)
	for _, ingress := range matrixIngress {
		t.Run(ingress+"_client/anthropic_overloaded", func(t *testing.T) {
			r := m.raw(t, ingress, "m-anthropic", true, streamBody(ingress, "m-anthropic", directive("fixture=provider-errors/anthropic-stream-error-event")))
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if ingress == "anthropic" {
				// Same shape: the upstream's own error event, relayed.
				names, data := frames(t, body)
				if r.StatusCode != 200 || len(names) != 1 || names[0] != "error" || !strings.Contains(data[0], "overloaded_error") {
					t.Fatalf("status %d body %s", r.StatusCode, body)
				}
				return
			}
			if r.StatusCode != 529 || !strings.Contains(string(body), "Overloaded") {
				t.Fatalf("status %d body %s, want a 529 envelope", r.StatusCode, body)
			}
		})
		t.Run(ingress+"_client/gemini_error_after_text", func(t *testing.T) {
			r := m.raw(t, ingress, "m-gemini", true, streamBody(ingress, "m-gemini", directive("fixture=provider-errors/gemini-stream-error-mid-stream")))
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, body)
			}
			names, data := frames(t, body)
			last := data[len(data)-1]
			switch ingress {
			case "openai":
				if !strings.HasPrefix(last, `{"error":`) || strings.Contains(string(body), "[DONE]") {
					t.Errorf("openai stream ends with %s", last)
				}
			case "anthropic":
				if names[len(names)-1] != "error" || strings.Contains(string(body), "message_stop") {
					t.Errorf("anthropic stream ends with %s %s", names[len(names)-1], last)
				}
			case "gemini":
				// Same shape: relayed as sent, the bare error object last.
				tail := string(body[strings.LastIndex(string(body), "data: "):])
				if !strings.Contains(tail, `"status": "CANCELLED"`) {
					t.Errorf("gemini stream does not end with the error object: %s", tail)
				}
			}
			// The recording repeats finishReason STOP on every frame; the
			// decoder takes the first as the end of the content, so only
			// the text before it is guaranteed on translated paths.
			if !strings.Contains(string(body), "First") {
				t.Errorf("the text sent before the error is missing: %s", body)
			}
		})
	}
}

// TestGeminiArrayStreamIsOneJSONArray: a Gemini client without alt=sse gets
// one JSON array from every upstream, the last element carrying the finish.
func TestGeminiArrayStreamIsOneJSONArray(t *testing.T) {
	m := newMatrixEnv(t)
	for _, upstream := range matrixUpstream {
		t.Run(upstream+"_upstream", func(t *testing.T) {
			model := matrixModel[upstream]
			r := m.post(t, "/v1beta/models/"+model+":streamGenerateContent", "", streamBody("gemini", model, directive("chunks=5")),
				map[string]string{"x-goog-api-key": m.key})
			body, _ := io.ReadAll(r.Body)
			r.Body.Close()
			var elems []map[string]any
			if r.StatusCode != 200 || json.Unmarshal(body, &elems) != nil || len(elems) < 2 {
				t.Fatalf("status %d, not a JSON array of frames: %s", r.StatusCode, body)
			}
			if !bytes.Contains(mustMarshal(t, elems[len(elems)-1]), []byte(`"finishReason":"STOP"`)) {
				t.Errorf("last element carries no finish: %v", elems[len(elems)-1])
			}
		})
	}
}
