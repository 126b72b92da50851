package anthropic

import (
	"fmt"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// syntheticFrames is a text stream of n deltas, shaped like the recordings
// (including Anthropic's trailing-space padding), with a tool call at the end.
func syntheticFrames(n int) []frame {
	fs := frames(
		"message_start", `{"type":"message_start","message":{"model":"claude-sonnet-4-20250514","id":"msg_0135e9LyciVm4QrXrdNRjpNS","type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":15,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":4,"service_tier":"standard"}}}`,
		"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}  }`,
	)
	for i := 0; i < n; i++ {
		fs = append(fs, frame{name: "content_block_delta", data: fmt.Appendf(nil, `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"token %d of the answer, "}   }`, i)})
	}
	return append(fs, frames(
		"content_block_stop", `{"type":"content_block_stop","index":0  }`,
		"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_1","name":"f","input":{}}}`,
		"content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"a\":1}"}}`,
		"content_block_stop", `{"type":"content_block_stop","index":1}`,
		"message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":50}   }`,
		"message_stop", `{"type":"message_stop"            }`,
	)...)
}

func decodeAll(d *StreamDecoder, fs []frame, out []canonical.Event) []canonical.Event {
	for _, f := range fs {
		out, _ = d.Decode(f.name, f.data, out)
	}
	out, _ = d.Close(out)
	return out
}

func BenchmarkStreamDecode256(b *testing.B) {
	fs := syntheticFrames(256)
	out := make([]canonical.Event, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		out = decodeAll(NewStreamDecoder(), fs, out[:0])
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(fs)), "ns/frame")
}

type discard struct{}

func (discard) WriteEvent(string, []byte) error { return nil }

func syntheticEvents(n int) []canonical.Event {
	evs := []canonical.Event{
		{Type: canonical.EventStart, ID: "chatcmpl-1", Model: "gpt"},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartText}},
	}
	for i := 0; i < n; i++ {
		evs = append(evs, canonical.Event{Type: canonical.EventDelta, Index: 0, Delta: fmt.Sprintf("token %d of the \"answer\"\n", i)})
	}
	return append(evs,
		canonical.Event{Type: canonical.EventBlockStart, Index: 1, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "c", Name: "f"}}},
		canonical.Event{Type: canonical.EventDelta, Index: 1, Delta: `{"a":1}`},
		canonical.Event{Type: canonical.EventFinish, Finish: canonical.FinishToolCalls},
		canonical.Event{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 10, OutputTokens: 300}},
		canonical.Event{Type: canonical.EventEnd},
	)
}

func encodeAll(opts StreamOptions, evs []canonical.Event) {
	e := NewStreamEncoder(opts)
	for _, ev := range evs {
		_ = e.Encode(ev, discard{})
	}
}

func BenchmarkStreamEncode256(b *testing.B) {
	evs := syntheticEvents(256)
	opts := StreamOptions{ID: "msg_1", Model: "claude"}
	b.ReportAllocs()
	for b.Loop() {
		encodeAll(opts, evs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

func BenchmarkDecodeRequest(b *testing.B) {
	body := []byte(`{"max_tokens":4096,"model":"claude-haiku-4-5","system":"be brief","tools":[{"name":"f","description":"d","input_schema":{"type":"object","properties":{"name":{"type":"string"}}}}],
	"messages":[{"role":"user","content":"who is youngest?"},{"role":"assistant","content":[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_1","name":"f","input":{"name":"Alice"}}]},
	{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"alice is 30"}]}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStreamAllocationsDoNotGrowWithLength: allocations per chunk are a
// small constant — nothing accumulates per frame. The decoder allocates the
// delta string it hands out (the reader's buffer is reused) plus
// encoding/json's per-call overhead; the encoder allocates nothing per frame.
func TestStreamAllocationsDoNotGrowWithLength(t *testing.T) {
	perChunk := func(allocs func(n int) float64) float64 {
		return (allocs(1024) - allocs(256)) / 768
	}
	dec := perChunk(func(n int) float64 {
		fs := syntheticFrames(n)
		out := make([]canonical.Event, 0, n+32)
		return testing.AllocsPerRun(20, func() { out = decodeAll(NewStreamDecoder(), fs, out[:0]) })
	})
	enc := perChunk(func(n int) float64 {
		evs := syntheticEvents(n)
		return testing.AllocsPerRun(20, func() { encodeAll(StreamOptions{ID: "msg_1", Model: "m"}, evs) })
	})
	t.Logf("allocations per chunk: decode %.2f, encode %.2f", dec, enc)
	if dec > 2 {
		t.Errorf("decoder allocates %.2f per chunk, want <= 2", dec)
	}
	if enc > 0.01 {
		t.Errorf("encoder allocates %.2f per chunk, want 0", enc)
	}
}

// BenchmarkEncodeRequest50KB encodes a request whose user message is 50 KB
// of text: with DecodeRequest of the ingress shape, the translated path's
// dominant cost for large prompts.
func BenchmarkEncodeRequest50KB(b *testing.B) {
	mt := 256
	req := &canonical.Request{MaxTokens: &mt, System: []canonical.Part{{Type: canonical.PartText, Text: "be brief"}},
		Messages: []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText,
			Text: strings.Repeat("lorem ipsum \"dolor\" sit amet ", 50<<10/32)}}}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := EncodeRequest(req, "claude-sonnet-4-5"); err != nil {
			b.Fatal(err)
		}
	}
}
