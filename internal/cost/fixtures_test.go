package cost

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/format/anthropic"
	"github.com/nexus-gateway/nexus/internal/format/embeddings"
	"github.com/nexus-gateway/nexus/internal/format/gemini"
	"github.com/nexus-gateway/nexus/internal/format/openai"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// List prices (USD per 1M tokens) pinned here, so these tests check the
// codecs and the formula, not whatever the catalogue says today.
var (
	gpt4o      = price(2.50, 10.00, 1.25, -1)
	o3mini     = price(1.10, 4.40, 0.55, -1)
	gpt5mini   = price(0.25, 2.00, 0.025, -1)
	sonnet     = price(3.00, 15.00, 0.30, 3.75)
	flash25    = price(0.30, 2.50, -1, -1)
	gemini3pro = price(2.00, 12.00, -1, -1)
	glmFlash   = price(0.60, 2.20, 0.11, -1) // as an operator would set it in models[].pricing
	dsReasoner = price(0.28, 0.42, 0.028, -1)
	embedSmall = price(0.02, -1, -1, -1)
)

// price builds a Price; a negative argument means "not set" (nil).
func price(in, out, read, write float64) Price {
	p := func(v float64) *float64 {
		if v < 0 {
			return nil
		}
		return &v
	}
	return Price{Input: p(in), Output: p(out), CachedRead: p(read), CacheWrite: p(write)}
}

type decodeKind int

const (
	openaiUnary decodeKind = iota
	openaiStream
	anthropicUnary
	anthropicStream
	geminiUnary
	geminiStream
	embeddingsUnary
)

// TestCostOfRecordedTranscripts decodes the usage of real provider
// transcripts with the gateway's own codecs and prices it. Every expected
// amount is worked out by hand in the comment beside it (µ$ = tokens × the
// per-million price, each component rounded half up).
func TestCostOfRecordedTranscripts(t *testing.T) {
	cases := []struct {
		file  string
		kind  decodeKind
		price Price
		usage canonical.Usage
		want  Breakdown
	}{
		// OpenAI gpt-4o, unary: 16 in × 2.50 = 40; 12 out × 10 = 120; total 160.
		{"openai-chat_raw-text-nonstream.response.json", openaiUnary, gpt4o,
			canonical.Usage{InputTokens: 16, OutputTokens: 12},
			Breakdown{UncachedInput: 40, Output: 120, Total: 160}},
		// OpenAI gpt-4o, streamed (usage in the last chunk): 16 × 2.50 = 40; 10 × 10 = 100; total 140.
		{"openai-chat_raw-text-stream.response.sse", openaiStream, gpt4o,
			canonical.Usage{InputTokens: 16, OutputTokens: 10},
			Breakdown{UncachedInput: 40, Output: 100, Total: 140}},
		// o3-mini, reasoning inside completion: 577 × 1.10 = 634.7 → 635; 2320 × 4.40 = 10208;
		// reasoning 1792 × 4.40 = 7884.8 → 7885 (inside output); total 635 + 10208 = 10843.
		{"openai-chat_reasoning-o3-mini-nonstream.response.json", openaiUnary, o3mini,
			canonical.Usage{InputTokens: 577, OutputTokens: 2320, ReasoningTokens: 1792},
			Breakdown{UncachedInput: 635, Output: 10208, Reasoning: 7885, Total: 10843}},
		// Azure gpt-5-mini, unary: 19 × 0.25 = 4.75 → 5; 76 × 2 = 152; reasoning 64 × 2 = 128; total 157.
		{"azure-openai_raw-v1-chat-nonstream.response.json", openaiUnary, gpt5mini,
			canonical.Usage{InputTokens: 19, OutputTokens: 76, ReasoningTokens: 64},
			Breakdown{UncachedInput: 5, Output: 152, Reasoning: 128, Total: 157}},
		// Azure gpt-5-mini, streamed: the same usage, the same 157.
		{"azure-openai_raw-v1-chat-stream.response.sse", openaiStream, gpt5mini,
			canonical.Usage{InputTokens: 19, OutputTokens: 76, ReasoningTokens: 64},
			Breakdown{UncachedInput: 5, Output: 152, Reasoning: 128, Total: 157}},
		// GLM, cached prompt tokens (OpenAI-family prompt_tokens_details): uncached 15 − 3 = 12 × 0.60 = 7.2 → 7;
		// cache read 3 × 0.11 = 0.33 → 0; 249 × 2.20 = 547.8 → 548; reasoning 239 × 2.20 = 525.8 → 526;
		// total 7 + 0 + 548 = 555; savings 3 × 0.60 = 1.8 → 2, minus 0 = 2.
		{"glm_raw-text-nonstream.response.json", openaiUnary, glmFlash,
			canonical.Usage{InputTokens: 15, OutputTokens: 249, CacheReadTokens: 3, ReasoningTokens: 239},
			Breakdown{UncachedInput: 7, CacheRead: 0, Output: 548, Reasoning: 526, Total: 555, CacheReadSavings: 2}},
		// GLM streamed, 14 of 15 prompt tokens cached: uncached 1 × 0.60 = 0.6 → 1; read 14 × 0.11 = 1.54 → 2;
		// 734 × 2.20 = 1614.8 → 1615; reasoning 708 × 2.20 = 1557.6 → 1558; total 1 + 2 + 1615 = 1618;
		// savings 14 × 0.60 = 8.4 → 8, minus 2 = 6.
		{"glm_raw-text-stream.response.sse", openaiStream, glmFlash,
			canonical.Usage{InputTokens: 15, OutputTokens: 734, CacheReadTokens: 14, ReasoningTokens: 708},
			Breakdown{UncachedInput: 1, CacheRead: 2, Output: 1615, Reasoning: 1558, Total: 1618, CacheReadSavings: 6}},
		// DeepSeek reasoner streamed: 6 × 0.28 = 1.68 → 2; 212 × 0.42 = 89.04 → 89; reasoning 198 × 0.42 = 83.16 → 83; total 91.
		{"openai-compatible_deepseek-thinking-stream.response.sse", openaiStream, dsReasoner,
			canonical.Usage{InputTokens: 6, OutputTokens: 212, ReasoningTokens: 198},
			Breakdown{UncachedInput: 2, Output: 89, Reasoning: 83, Total: 91}},
		// Anthropic unary with thinking (thinking is inside output_tokens): 43 × 3 = 129; 321 × 15 = 4815; total 4944.
		{"anthropic-messages_thinking-nonstream.response.json", anthropicUnary, sonnet,
			canonical.Usage{InputTokens: 43, OutputTokens: 321},
			Breakdown{UncachedInput: 129, Output: 4815, Total: 4944}},
		// Anthropic streamed: message_start says output 1, message_delta says 5 (cumulative, not 1 + 5):
		// 20 × 3 = 60; 5 × 15 = 75; total 135 (summing would give 6 × 15 = 90 → 150).
		{"anthropic-messages_text-stream.response.sse", anthropicStream, sonnet,
			canonical.Usage{InputTokens: 20, OutputTokens: 5},
			Breakdown{UncachedInput: 60, Output: 75, Total: 135}},
		// Anthropic streamed with thinking: 43 × 3 = 129; 282 × 15 = 4230; total 4359.
		{"anthropic-messages_thinking-stream.response.sse", anthropicStream, sonnet,
			canonical.Usage{InputTokens: 43, OutputTokens: 282},
			Breakdown{UncachedInput: 129, Output: 4230, Total: 4359}},
		// Anthropic streamed, stopped at max_tokens: start output 4, delta 50 → 50. 15 × 3 = 45; 50 × 15 = 750; total 795.
		{"anthropic-messages_raw-max-tokens-stream.response.sse", anthropicStream, sonnet,
			canonical.Usage{InputTokens: 15, OutputTokens: 50},
			Breakdown{UncachedInput: 45, Output: 750, Total: 795}},
		// Anthropic cache write: prompt = 3 + 1111 written = 1114. Uncached 3 × 3 = 9; write 1111 × 3.75 = 4166.25 → 4166;
		// 391 × 15 = 5865; total 9 + 4166 + 5865 = 10040.
		{"anthropic-messages_cache-write-nonstream.response.json", anthropicUnary, sonnet,
			canonical.Usage{InputTokens: 1114, OutputTokens: 391, CacheWriteTokens: 1111},
			Breakdown{UncachedInput: 9, CacheWrite: 4166, Output: 5865, Total: 10040}},
		// Anthropic cache read + write: prompt = 3 + 1111 + 403 = 1517. Uncached 3 × 3 = 9; read 1111 × 0.30 = 333.3 → 333;
		// write 403 × 3.75 = 1511.25 → 1511; 33 × 15 = 495; total 9 + 333 + 1511 + 495 = 2348;
		// savings 1111 × 3 = 3333 − 333 = 3000.
		{"anthropic-messages_cache-read-nonstream.response.json", anthropicUnary, sonnet,
			canonical.Usage{InputTokens: 1517, OutputTokens: 33, CacheReadTokens: 1111, CacheWriteTokens: 403},
			Breakdown{UncachedInput: 9, CacheRead: 333, CacheWrite: 1511, Output: 495, Total: 2348, CacheReadSavings: 3000}},
		// The same usage streamed (input side in message_start, repeated in message_delta): the same 2348.
		{"anthropic-messages_cache-read-stream.response.sse", anthropicStream, sonnet,
			canonical.Usage{InputTokens: 1517, OutputTokens: 33, CacheReadTokens: 1111, CacheWriteTokens: 403},
			Breakdown{UncachedInput: 9, CacheRead: 333, CacheWrite: 1511, Output: 495, Total: 2348, CacheReadSavings: 3000}},
		// Gemini unary with thoughts: output = candidates 736 + thoughts 1001 = 1737. 29 × 2 = 58;
		// 1737 × 12 = 20844; reasoning 1001 × 12 = 12012; total 20902.
		{"gemini_thinking-nonstream.response.json", geminiUnary, gemini3pro,
			canonical.Usage{InputTokens: 29, OutputTokens: 1737, ReasoningTokens: 1001},
			Breakdown{UncachedInput: 58, Output: 20844, Reasoning: 12012, Total: 20902}},
		// Gemini streamed, usage grows per chunk; the last says 18 prompt, 80 candidates, 35 thoughts:
		// 18 × 0.30 = 5.4 → 5; (80 + 35) × 2.50 = 287.5 → 288; reasoning 35 × 2.50 = 87.5 → 88; total 293.
		{"gemini_text-stream-sse-usage.response.sse", geminiStream, flash25,
			canonical.Usage{InputTokens: 18, OutputTokens: 115, ReasoningTokens: 35},
			Breakdown{UncachedInput: 5, Output: 288, Reasoning: 88, Total: 293}},
		// Gemini streamed, all thoughts (no candidatesTokenCount): 30 × 0.30 = 9; 1947 × 2.50 = 4867.5 → 4868;
		// reasoning the same 4868; total 4877.
		{"gemini_raw-thinking-stream-sse.response.sse", geminiStream, flash25,
			canonical.Usage{InputTokens: 30, OutputTokens: 1947, ReasoningTokens: 1947},
			Breakdown{UncachedInput: 9, Output: 4868, Reasoning: 4868, Total: 4877}},
		// OpenAI embeddings: input only. 12 × 0.02 = 0.24 → 0 (under half a micro-dollar; still priced).
		{"openai-embeddings_vercel-float.response.json", embeddingsUnary, embedSmall,
			canonical.Usage{InputTokens: 12},
			Breakdown{}},
		// 2 × 0.02 = 0.04 → 0.
		{"openai-embeddings_base64-documents.response.json", embeddingsUnary, embedSmall,
			canonical.Usage{InputTokens: 2},
			Breakdown{}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			u := decodeUsage(t, c.file, c.kind)
			if u != c.usage {
				t.Fatalf("decoded usage %+v, want %+v", u, c.usage)
			}
			if got := Compute(c.price, u); got != c.want {
				t.Errorf("cost %+v\nwant %+v", got, c.want)
			}
		})
	}
}

// TestEmbeddingsAtScaleCostInputOnly prices a large embeddings batch so the
// input-only rule shows in a non-zero amount: 1_234_567 × 0.02 = 24691.34 → 24691.
func TestEmbeddingsAtScaleCostInputOnly(t *testing.T) {
	got := Compute(embedSmall, canonical.Usage{InputTokens: 1_234_567})
	want := Breakdown{UncachedInput: 24691, Total: 24691}
	if got != want {
		t.Errorf("got %+v, want %+v", got, want)
	}
}

func decodeUsage(t *testing.T, name string, kind decodeKind) canonical.Usage {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var u *canonical.Usage
	switch kind {
	case openaiUnary:
		r, err := openai.DecodeResponse(body)
		if err != nil {
			t.Fatal(err)
		}
		u = r.Usage
	case anthropicUnary:
		r, err := anthropic.DecodeResponse(body)
		if err != nil {
			t.Fatal(err)
		}
		u = r.Usage
	case geminiUnary:
		r, err := gemini.DecodeResponse(body)
		if err != nil {
			t.Fatal(err)
		}
		u = r.Usage
	case embeddingsUnary:
		r, err := embeddings.DecodeOpenAIResponse(body, nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.UsageEstimated {
			t.Fatal("the recorded answer reports usage; it must not be estimated")
		}
		u = &r.Usage
	case openaiStream:
		u = streamUsage(t, body, openai.NewStreamDecoder())
	case anthropicStream:
		u = streamUsage(t, body, anthropic.NewStreamDecoder())
	case geminiStream:
		u = streamUsage(t, body, gemini.NewStreamDecoder())
	}
	if u == nil {
		t.Fatal("no usage decoded")
	}
	return *u
}

type streamDecoder interface {
	Decode(eventName string, data []byte, out []canonical.Event) ([]canonical.Event, error)
	Close(out []canonical.Event) ([]canonical.Event, error)
}

// streamUsage runs a recorded SSE body through a stream decoder and returns
// the last usage snapshot (canonical usage events are cumulative).
func streamUsage(t *testing.T, body []byte, d streamDecoder) *canonical.Usage {
	t.Helper()
	r := sse.NewReader(bytes.NewReader(body), 0)
	var last *canonical.Usage
	var evs []canonical.Event
	take := func(evs []canonical.Event) {
		for _, e := range evs {
			if e.Type == canonical.EventError {
				t.Fatalf("stream error: %v", e.Err)
			}
			if e.Usage != nil {
				u := *e.Usage
				last = &u
			}
		}
	}
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		evs, err = d.Decode(ev.Name, ev.Data, evs[:0])
		if err != nil {
			t.Fatal(err)
		}
		take(evs)
	}
	evs, err := d.Close(evs[:0])
	if err != nil {
		t.Fatal(err)
	}
	take(evs)
	return last
}
