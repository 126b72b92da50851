package openai

import (
	"context"
	"errors"
	"github.com/nexus-gateway/nexus/internal/catalog"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	"github.com/nexus-gateway/nexus/internal/format/responses"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
)

// respondWith is an upstream answering every call with one fixed answer and
// recording the request body it got.
func respondWith(t *testing.T, status int, contentType, body string, got *string) *Adapter {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/responses" {
			t.Errorf("path %s, want /v1/responses", r.URL.Path)
		}
		if got != nil {
			b, _ := io.ReadAll(r.Body)
			*got = string(b)
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	// The openai preset's quirks, as the gateway passes them (config AllQuirks).
	preset, _ := catalog.Preset("openai")
	return New(&provider.Endpoint{Name: "oa", Type: "openai", Wire: pipeline.ShapeOpenAI, BaseURL: srv.URL + "/v1", APIKey: "sk-test-key"},
		Options{Quirks: preset.Quirks})
}

func responsesExchange(t *testing.T, body string) *pipeline.Exchange {
	t.Helper()
	fb, err := fastpath.Peek([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Exchange{Ingress: pipeline.ShapeResponses, Endpoint: pipeline.EndpointResponses, Body: []byte(body),
		Fast: &fb, Model: fb.Model(), Stream: fb.Stream(), Decode: responses.DecodeRequest}
}

var nativeTarget = pipeline.Target{Provider: "oa", ProviderType: "openai", Wire: pipeline.ShapeOpenAI, Model: "m", UpstreamModel: "gpt-5-mini", Responses: true}

// drain reads a stream to its end, returning its frames and final error.
func drain(t *testing.T, st pipeline.Stream) (raw string, events []canonical.Event, err error) {
	t.Helper()
	defer st.Close()
	for {
		f, err := st.Next(context.Background())
		raw += string(f.Raw)
		events = append(events, f.Events...)
		if err != nil {
			return raw, events, err
		}
	}
}

func TestResponsesBodyIsSplicedNotDecoded(t *testing.T) {
	var got string
	a := respondWith(t, 200, "application/json", `{"object":"response","id":"resp_1","output":[],"usage":{"input_tokens":3,"output_tokens":2,"total_tokens":5}}`, &got)
	x := responsesExchange(t, `{"model":"m","input":"hi","temperature":0.2,"nexus":{"ext":{}},"store":true}`)
	resp, err := a.Do(context.Background(), x, nativeTarget)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Release()
	if got != `{"model":"gpt-5-mini","input":"hi","store":true}` {
		t.Fatalf("upstream body %s", got)
	}
	if len(x.Coerced) != 1 || x.Coerced[0].Field != "temperature" {
		t.Fatalf("coerced = %v", x.Coerced)
	}
	if !strings.HasPrefix(string(resp.Body), `{"object":"response","id":"resp_1"`) || resp.Canonical != nil ||
		resp.Usage == nil || resp.Usage.InputTokens != 3 || resp.Usage.OutputTokens != 2 {
		t.Fatalf("resp = %+v body %s", resp, resp.Body)
	}
}

// TestResponsesContentDecides: a chat completion from the Responses
// endpoint is translated, anything else refused with 502 (SPEC §5.8).
func TestResponsesContentDecides(t *testing.T) {
	chat := `{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"gpt-5-mini","choices":[{"index":0,"message":{"role":"assistant","content":"Hi there"},"finish_reason":"stop"}],"usage":{"prompt_tokens":4,"completion_tokens":2,"total_tokens":6}}`
	resp, err := respondWith(t, 200, "application/json", chat, nil).Do(context.Background(), responsesExchange(t, `{"model":"m","input":"hi"}`), nativeTarget)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Body != nil || resp.Canonical == nil || resp.Usage == nil || resp.Usage.OutputTokens != 2 {
		t.Fatalf("chat answer not translated: %+v", resp)
	}
	_, err = respondWith(t, 200, "application/json", `{"object":"list","data":[]}`, nil).Do(context.Background(), responsesExchange(t, `{"model":"m","input":"hi"}`), nativeTarget)
	if ce := canonical.As(err); ce.Status != http.StatusBadGateway {
		t.Fatalf("unknown answer: %v", err)
	}
}

// TestResponsesUpstreamErrorKeepsItsBody: the Responses upstream's error
// body is marked for verbatim forwarding to the Responses caller.
func TestResponsesUpstreamErrorKeepsItsBody(t *testing.T) {
	body := `{"error":{"message":"The requested model 'x' does not exist.","type":"invalid_request_error","param":"model","code":"model_not_found"}}`
	_, err := respondWith(t, 400, "application/json", body, nil).Do(context.Background(), responsesExchange(t, `{"model":"m","input":"hi"}`), nativeTarget)
	ce := canonical.As(err)
	if ce.Status != 400 || ce.Code != "model_not_found" || ce.Upstream == nil || ce.Upstream.Format != string(pipeline.ShapeResponses) || string(ce.Upstream.Body) != body {
		t.Fatalf("err = %+v", ce)
	}
}

// TestResponsesStreamOfChatChunksIsTranslated: a chat-chunk stream is not
// relayed; its events come out for the Responses encoder.
func TestResponsesStreamOfChatChunksIsTranslated(t *testing.T) {
	sseBody := "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n" +
		"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"g\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" there\"},\"finish_reason\":\"stop\"}]}\n\n" +
		"data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"g\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":2,\"total_tokens\":6}}\n\n" +
		"data: [DONE]\n\n"
	resp, err := respondWith(t, 200, "text/event-stream", sseBody, nil).Do(context.Background(), responsesExchange(t, `{"model":"m","input":"hi","stream":true}`), nativeTarget)
	if err != nil {
		t.Fatal(err)
	}
	raw, events, err := drain(t, resp.Stream)
	if !errors.Is(err, io.EOF) || raw != "" {
		t.Fatalf("err %v, raw %q", err, raw)
	}
	var text string
	ended := false
	for _, ev := range events {
		if ev.Type == canonical.EventDelta {
			text += ev.Delta
		}
		ended = ended || ev.Type == canonical.EventEnd
	}
	if text != "Hi there" || !ended || resp.Stream.Usage() == nil || resp.Stream.Usage().OutputTokens != 2 {
		t.Fatalf("text %q ended %v usage %+v", text, ended, resp.Stream.Usage())
	}
}

// TestResponsesStreamRelaysUpstreamFailure: an upstream error event and its
// response.failed are relayed as they are; the stream then reports the
// failure as already sent, so ingress adds no frame of its own.
func TestResponsesStreamRelaysUpstreamFailure(t *testing.T) {
	sseBody := "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_9\",\"object\":\"response\",\"status\":\"in_progress\",\"output\":[]}}\n\n" +
		"event: error\ndata: {\"type\":\"error\",\"sequence_number\":1,\"error\":{\"type\":\"insufficient_quota\",\"code\":\"insufficient_quota\",\"message\":\"quota\"}}\n\n" +
		"event: response.failed\ndata: {\"type\":\"response.failed\",\"sequence_number\":2,\"response\":{\"id\":\"resp_9\",\"object\":\"response\",\"status\":\"failed\",\"error\":{\"code\":\"insufficient_quota\",\"message\":\"quota\"}}}\n\n"
	resp, err := respondWith(t, 200, "text/event-stream", sseBody, nil).Do(context.Background(), responsesExchange(t, `{"model":"m","input":"hi","stream":true}`), nativeTarget)
	if err != nil {
		t.Fatal(err)
	}
	raw, _, err := drain(t, resp.Stream)
	var re *responses.RelayError
	if raw != sseBody || !errors.As(err, &re) || !re.Sent {
		t.Fatalf("raw %q\nerr %v", raw, err)
	}
	if _, _, ok := re.Frame(re.Err); ok {
		t.Fatal("a frame is due although the upstream's was relayed")
	}
}

// TestResponsesStreamCutCarriesPosition: a cut relayed stream fails with
// the position the next frame must take.
func TestResponsesStreamCutCarriesPosition(t *testing.T) {
	sseBody := "event: response.created\ndata: {\"type\":\"response.created\",\"sequence_number\":0,\"response\":{\"id\":\"resp_7\",\"object\":\"response\",\"status\":\"in_progress\",\"output\":[]}}\n\n" +
		"event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"sequence_number\":1,\"delta\":\"Hi\"}\n\n"
	resp, err := respondWith(t, 200, "text/event-stream", sseBody, nil).Do(context.Background(), responsesExchange(t, `{"model":"m","input":"hi","stream":true}`), nativeTarget)
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = drain(t, resp.Stream)
	var re *responses.RelayError
	if !errors.As(err, &re) || re.Sent || re.Pos.Sequence != 2 || re.Pos.ResponseID != "resp_7" || re.Err.Status != http.StatusBadGateway {
		t.Fatalf("err = %v (%+v)", err, re)
	}
	name, data, ok := re.Frame(re.Err)
	if !ok || name != "response.failed" || !strings.Contains(string(data), `"sequence_number":2`) || !strings.Contains(string(data), `"id":"resp_7"`) {
		t.Fatalf("frame %s %s", name, data)
	}
}
