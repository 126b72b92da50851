package estimate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/format/anthropic"
	"github.com/nexus-gateway/nexus/internal/format/embeddings"
	"github.com/nexus-gateway/nexus/internal/format/gemini"
	"github.com/nexus-gateway/nexus/internal/format/openai"
	"github.com/nexus-gateway/nexus/internal/sse"
)

type answerWire int

const (
	wireOpenAIChat answerWire = iota
	wireAnthropic
	wireAnthropicCount // the count_tokens endpoint: {"input_tokens":n}
	wireGemini
	wireResponses
	wireEmbeddings
)

// TestEstimateWithinStatedBandOfRecordedUsage estimates the input tokens of
// recorded requests (testdata/band: copies of /work/shared/fixtures) and
// checks each against the prompt tokens the provider billed, decoded from
// the recorded answer with the gateway's own codecs. The bands are the ones
// the answers state in "assumptions":
//
//   - OpenAI tokenizer, text only:           ±3% + 2 tokens (observed: exact on every fixture)
//   - OpenAI tokenizer, tools or a schema:   ±20% + 5 tokens (observed: −5% … +15%)
//   - Anthropic and Gemini chars heuristic:  ±25% + 12 tokens
//
// Recorded requests left out, and why (docs/cost.md lists them too):
//   - image inputs (openai-chat vision-*, anthropic-messages vision-image-url-request,
//     gemini vision-image-inline-request): media are not counted, and the answer says so;
//   - anthropic-messages structured-output-json-schema: Anthropic adds an undisclosed
//     structured-output system prompt (222 billed for ~70 tokens of text and schema);
//   - anthropic-messages tool-use-stream-input-json-delta: a provider-run tool (tool search)
//     adds an undisclosed system prompt (1591 billed);
//   - azure-openai raw-v1-chat-tool-call-*: gpt-5 chat requests with tools carry hidden tool
//     instructions (145 billed, 60 counted); the answer states this;
//   - azure-openai raw-responses-function-call-stream: the Responses API billed 36 tokens for
//     a request whose text alone counts 45 (the same request on chat bills 75).
func TestEstimateWithinStatedBandOfRecordedUsage(t *testing.T) {
	cases := []struct {
		base         string
		wire         answerWire
		providerType string
	}{
		{"openai-chat_max-completion-tokens-o3-mini", wireOpenAIChat, "openai"},
		{"openai-chat_raw-max-completion-tokens-reasoning-empty", wireOpenAIChat, "openai"},
		{"openai-chat_raw-max-tokens-length-nonstream", wireOpenAIChat, "openai"},
		{"openai-chat_raw-max-tokens-length-stream", wireOpenAIChat, "openai"},
		{"openai-chat_raw-parallel-tool-calls-stream", wireOpenAIChat, "openai"},
		{"openai-chat_raw-parallel-tool-results-followup-stream", wireOpenAIChat, "openai"},
		{"openai-chat_raw-refusal-nonstream", wireOpenAIChat, "openai"},
		{"openai-chat_raw-refusal-stream", wireOpenAIChat, "openai"},
		{"openai-chat_raw-text-nonstream", wireOpenAIChat, "openai"},
		{"openai-chat_raw-text-stream", wireOpenAIChat, "openai"},
		{"openai-chat_reasoning-o3-mini-nonstream", wireOpenAIChat, "openai"},
		{"openai-chat_structured-output-json-schema", wireOpenAIChat, "openai"},
		{"openai-chat_text-nonstream", wireOpenAIChat, "openai"},
		{"openai-chat_text-stream-after-tool", wireOpenAIChat, "openai"},
		{"openai-chat_tool-call-nonstream-with-history", wireOpenAIChat, "openai"},
		{"openai-chat_tool-call-nonstream", wireOpenAIChat, "openai"},
		{"openai-chat_tool-call-stream-args-split", wireOpenAIChat, "openai"},
		{"openai-chat_tool-calls-parallel-stream-2", wireOpenAIChat, "openai"},
		{"openai-chat_tool-calls-parallel-stream", wireOpenAIChat, "openai"},
		{"azure-openai_chat-nonstream-deployments", wireOpenAIChat, "azure-openai"},
		{"azure-openai_raw-chat-max-tokens-length-nonstream", wireOpenAIChat, "azure-openai"},
		{"azure-openai_raw-chat-nonstream", wireOpenAIChat, "azure-openai"},
		{"azure-openai_raw-chat-parallel-tool-calls-nonstream", wireOpenAIChat, "azure-openai"},
		{"azure-openai_raw-chat-tool-results-followup-nonstream", wireOpenAIChat, "azure-openai"},
		{"azure-openai_raw-v1-chat-nonstream", wireOpenAIChat, "azure-openai"},
		{"azure-openai_raw-v1-chat-stream", wireOpenAIChat, "azure-openai"},
		{"azure-openai_raw-responses-nonstream", wireResponses, "azure-openai"},
		{"azure-openai_raw-responses-stream", wireResponses, "azure-openai"},
		{"azure-openai_raw-v1-responses-stream", wireResponses, "azure-openai"},
		{"azure-openai_raw-v1-responses-function-call-stream", wireResponses, "azure-openai"},
		{"azure-openai_responses-v1-reasoning", wireResponses, "azure-openai"},
		{"openai-embeddings_base64-documents", wireEmbeddings, "openai"},
		{"openai-embeddings_base64-query", wireEmbeddings, "openai"},

		{"anthropic-messages_count-tokens", wireAnthropicCount, "anthropic"},
		{"anthropic-messages_raw-max-tokens-nonstream", wireAnthropic, "anthropic"},
		{"anthropic-messages_raw-max-tokens-stream", wireAnthropic, "anthropic"},
		{"anthropic-messages_raw-parallel-tool-use-args-stream", wireAnthropic, "anthropic"},
		{"anthropic-messages_text-nonstream", wireAnthropic, "anthropic"},
		{"anthropic-messages_text-stream", wireAnthropic, "anthropic"},
		{"anthropic-messages_thinking-nonstream", wireAnthropic, "anthropic"},
		{"anthropic-messages_thinking-redacted-nonstream", wireAnthropic, "anthropic"},
		{"anthropic-messages_thinking-redacted-stream", wireAnthropic, "anthropic"},
		{"anthropic-messages_thinking-stream", wireAnthropic, "anthropic"},
		{"anthropic-messages_thinking-with-tool-use-nonstream", wireAnthropic, "anthropic"},
		{"anthropic-messages_tool-result-followup", wireAnthropic, "anthropic"},
		{"anthropic-messages_tool-use-nonstream", wireAnthropic, "anthropic"},
		{"anthropic-messages_tool-use-parallel-nonstream", wireAnthropic, "anthropic"},

		{"gemini_function-call-nonstream", wireGemini, "gemini"},
		{"gemini_function-call-stream-sse-2", wireGemini, "gemini"},
		{"gemini_function-call-stream-sse", wireGemini, "gemini"},
		{"gemini_max-tokens-nonstream", wireGemini, "gemini"},
		{"gemini_max-tokens-thinking-empty", wireGemini, "gemini"},
		{"gemini_openai-compat-chat-tool-call", wireOpenAIChat, "gemini"}, // Gemini's OpenAI-compatible endpoint
		{"gemini_raw-function-call-stream-sse", wireGemini, "gemini"},
		{"gemini_raw-max-tokens-nonstream", wireGemini, "gemini"},
		{"gemini_raw-max-tokens-stream-sse", wireGemini, "gemini"},
		{"gemini_raw-refusal-structured-sync", wireGemini, "gemini"},
		{"gemini_raw-thinking-stream-sse", wireGemini, "gemini"},
		{"gemini_structured-output-json-schema", wireGemini, "gemini"},
		{"gemini_text-nonstream", wireGemini, "gemini"},
		{"gemini_text-stream-sse-usage", wireGemini, "gemini"},
		{"gemini_text-stream-sse", wireGemini, "gemini"},
		{"gemini_thinking-nonstream", wireGemini, "gemini"},
		{"gemini_thinking-stream-sse", wireGemini, "gemini"},
	}
	h := &Handler{}
	for _, c := range cases {
		t.Run(c.base, func(t *testing.T) {
			reqBody := readBand(t, c.base+".request.json")
			real := billedPromptTokens(t, c.base, c.wire)
			if real <= 0 {
				t.Fatalf("no prompt tokens in the recorded answer")
			}
			var top struct {
				Model string `json:"model"`
			}
			_ = json.Unmarshal(reqBody, &top)
			p, err := parsePrompt(reqBody)
			if err != nil {
				t.Fatal(err)
			}
			m := Model{Code: top.Model, UpstreamModel: top.Model, ProviderType: c.providerType}
			embedding := c.wire == wireEmbeddings
			if embedding {
				m.Type = "embedding"
			}
			j := &job{h: h, prompt: p}
			est, _, err := j.inputTokens(context.Background(), &m, embedding)
			if err != nil {
				t.Fatal(err)
			}
			pct, abs, class := heuristicBandPct, heuristicBandAbs, "heuristic"
			if _, _, ok := openAIEncoding(&m); ok {
				pct, abs, class = tokenizerBandPct, tokenizerBandAbs, "tokenizer"
				if len(p.tools) > 0 || p.schema != "" {
					pct, abs, class = toolsBandPct, toolsBandAbs, "tokenizer+tools"
				}
			}
			allowed := float64(real)*float64(pct)/100 + float64(abs)
			diff := float64(est - real)
			t.Logf("%-16s billed %5d estimated %5d (%+.1f%%), band ±%d%% + %d", class, real, est, 100*diff/float64(real), pct, abs)
			if diff > allowed || -diff > allowed {
				t.Errorf("estimate %d is outside ±%d%% + %d of the billed %d", est, pct, abs, real)
			}
		})
	}
}

func readBand(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "band", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// billedPromptTokens reads the prompt tokens of a recorded answer.
func billedPromptTokens(t *testing.T, base string, w answerWire) int {
	t.Helper()
	body, stream := answerBody(t, base)
	switch w {
	case wireAnthropicCount:
		var c struct {
			InputTokens int `json:"input_tokens"`
		}
		if err := json.Unmarshal(body, &c); err != nil {
			t.Fatal(err)
		}
		return c.InputTokens
	case wireResponses:
		return responsesInputTokens(t, body, stream)
	case wireEmbeddings:
		r, err := embeddings.DecodeOpenAIResponse(body, nil)
		if err != nil || r.UsageEstimated {
			t.Fatalf("embeddings answer: %v (estimated %v)", err, r != nil && r.UsageEstimated)
		}
		return r.Usage.InputTokens
	}
	var u *canonical.Usage
	if stream {
		var d interface {
			Decode(string, []byte, []canonical.Event) ([]canonical.Event, error)
		}
		switch w {
		case wireOpenAIChat:
			d = openai.NewStreamDecoder()
		case wireAnthropic:
			d = anthropic.NewStreamDecoder()
		default:
			d = gemini.NewStreamDecoder()
		}
		u = lastStreamUsage(t, body, d.Decode)
	} else {
		var r *canonical.Response
		var err error
		switch w {
		case wireOpenAIChat:
			r, err = openai.DecodeResponse(body)
		case wireAnthropic:
			r, err = anthropic.DecodeResponse(body)
		default:
			r, err = gemini.DecodeResponse(body)
		}
		if err != nil {
			t.Fatal(err)
		}
		u = r.Usage
	}
	if u == nil {
		t.Fatal("the recorded answer has no usage")
	}
	return u.InputTokens
}

func answerBody(t *testing.T, base string) ([]byte, bool) {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join("testdata", "band", base+".response.sse")); err == nil {
		return b, true
	}
	return readBand(t, base+".response.json"), false
}

func lastStreamUsage(t *testing.T, body []byte, decode func(string, []byte, []canonical.Event) ([]canonical.Event, error)) *canonical.Usage {
	t.Helper()
	r := sse.NewReader(bytes.NewReader(body), 0)
	var last *canonical.Usage
	var evs []canonical.Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return last
		}
		if err != nil {
			t.Fatal(err)
		}
		if evs, err = decode(ev.Name, ev.Data, evs[:0]); err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if e.Usage != nil {
				u := *e.Usage
				last = &u
			}
		}
	}
}

// responsesInputTokens reads usage.input_tokens of a Responses answer (the
// gateway has no Responses codec of its own yet): the unary object, or the
// response.completed event of a stream.
func responsesInputTokens(t *testing.T, body []byte, stream bool) int {
	t.Helper()
	type usage struct {
		Usage struct {
			InputTokens int `json:"input_tokens"`
		} `json:"usage"`
	}
	if !stream {
		var u usage
		if err := json.Unmarshal(body, &u); err != nil {
			t.Fatal(err)
		}
		return u.Usage.InputTokens
	}
	r := sse.NewReader(bytes.NewReader(body), 0)
	for {
		ev, err := r.Next()
		if err != nil {
			t.Fatalf("no response.completed event: %v", err)
		}
		if !strings.Contains(string(ev.Data), `"response.completed"`) {
			continue
		}
		var e struct {
			Response usage `json:"response"`
		}
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			t.Fatal(err)
		}
		return e.Response.Usage.InputTokens
	}
}
