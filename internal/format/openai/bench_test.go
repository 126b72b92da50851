package openai

import (
	"strconv"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// syntheticFrames builds an n-chunk OpenAI stream shaped like the recorded
// ones: role chunk, text deltas, one tool call with split arguments, finish,
// usage, [DONE].
func syntheticFrames(n int) [][]byte {
	head := `{"id":"chatcmpl-CoDWl5rS0pF10P0W0TDVgY3NA26dk","object":"chat.completion.chunk","created":1766084435,"model":"gpt-4o-2024-08-06","service_tier":"default","system_fingerprint":"fp_deacdd5f6f","choices":[{"index":0,"delta":`
	tail := `,"logprobs":null,"finish_reason":null}],"usage":null,"obfuscation":"nYdSaPIbhl6FsC"}`
	frames := [][]byte{[]byte(head + `{"role":"assistant","content":"","refusal":null}` + tail)}
	text := n - 7
	for i := 0; i < text; i++ {
		frames = append(frames, []byte(head+`{"content":" token \"`+strconv.Itoa(i)+`\""}`+tail))
	}
	frames = append(frames,
		[]byte(head+`{"tool_calls":[{"index":0,"id":"call_M26z19sncd7b4LBgzKRRbaUE","type":"function","function":{"name":"lookup","arguments":""}}]}`+tail),
		[]byte(head+`{"tool_calls":[{"index":0,"function":{"arguments":"{\"q\":"}}]}`+tail),
		[]byte(head+`{"tool_calls":[{"index":0,"function":{"arguments":"\"x\"}"}}]}`+tail),
		[]byte(head+`{}`+`,"logprobs":null,"finish_reason":"tool_calls"}],"usage":null}`),
		[]byte(`{"id":"chatcmpl-CoDWl5rS0pF10P0W0TDVgY3NA26dk","object":"chat.completion.chunk","created":1766084435,"model":"gpt-4o-2024-08-06","choices":[],"usage":{"prompt_tokens":16,"completion_tokens":10,"total_tokens":26,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0}}}`),
		[]byte("[DONE]"),
	)
	return frames
}

// syntheticEvents is the canonical form of an n-event stream.
func syntheticEvents(n int) []canonical.Event {
	evs := []canonical.Event{
		{Type: canonical.EventStart, ID: "x", Model: "m"},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartText}},
	}
	for i := 0; i < n-9; i++ {
		evs = append(evs, canonical.Event{Type: canonical.EventDelta, Index: 0, Delta: " token \"" + strconv.Itoa(i) + "\"\n"})
	}
	return append(evs,
		canonical.Event{Type: canonical.EventBlockStop, Index: 0},
		canonical.Event{Type: canonical.EventBlockStart, Index: 1, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "call_1", Name: "lookup"}}},
		canonical.Event{Type: canonical.EventDelta, Index: 1, Delta: `{"q":`},
		canonical.Event{Type: canonical.EventDelta, Index: 1, Delta: `"x"}`},
		canonical.Event{Type: canonical.EventBlockStop, Index: 1},
		canonical.Event{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 16, OutputTokens: 10}},
		canonical.Event{Type: canonical.EventFinish, Finish: canonical.FinishToolCalls},
	)
}

type discard struct{}

func (discard) WriteEvent(string, []byte) error { return nil }

func decodeAll(frames [][]byte, out []canonical.Event) []canonical.Event {
	d := NewStreamDecoder()
	out = out[:0]
	for _, f := range frames {
		out, _ = d.Decode("", f, out)
	}
	out, _ = d.Close(out)
	return out
}

func encodeAll(evs []canonical.Event) {
	e := NewStreamEncoder(StreamOptions{Model: "routed", ID: "chatcmpl-bench", Created: 1, IncludeUsage: true})
	for _, ev := range evs {
		_ = e.Encode(ev, discard{})
	}
	_ = e.Encode(canonical.Event{Type: canonical.EventEnd}, discard{})
}

func BenchmarkStreamDecode256(b *testing.B) {
	frames := syntheticFrames(256)
	out := make([]canonical.Event, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		out = decodeAll(frames, out)
	}
}

func BenchmarkStreamEncode256(b *testing.B) {
	evs := syntheticEvents(256)
	b.ReportAllocs()
	for b.Loop() {
		encodeAll(evs)
	}
}

func BenchmarkDecodeRequest(b *testing.B) {
	body := []byte(`{"model":"gpt-4o","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What is 4200 + 42?"}],"stream":true,"stream_options":{"include_usage":true},"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

// TestStreamAllocationsDoNotGrowWithLength: the marginal cost of a chunk is
// the same in a short and a long stream. Decoding pays encoding/json's
// per-call state (decodeState, scanner stack, field-path context: ~8) plus
// the delta text it hands on; encoding allocates nothing per event.
func TestStreamAllocationsDoNotGrowWithLength(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation measurement")
	}
	perChunk := func(f func(n int) float64) (short, long float64) {
		a64, a128, a1024 := f(64), f(128), f(1024)
		return (a128 - a64) / 64, (a1024 - a128) / 896
	}
	decode := func(n int) float64 {
		frames := syntheticFrames(n)
		out := make([]canonical.Event, 0, 2*n)
		return testing.AllocsPerRun(20, func() { out = decodeAll(frames, out) })
	}
	encode := func(n int) float64 {
		evs := syntheticEvents(n)
		return testing.AllocsPerRun(20, func() { encodeAll(evs) })
	}
	if s, l := perChunk(decode); l > s+0.05 || l > 10 {
		t.Errorf("decode allocations per chunk: %.2f in a short stream, %.2f in a long one (budget 10)", s, l)
	}
	if s, l := perChunk(encode); s != 0 || l != 0 {
		t.Errorf("encode allocations per event: %.2f / %.2f, want 0", s, l)
	}
}

// BenchmarkDecodeRequest50KB decodes a request whose user message is 50 KB
// of text: the translated path's dominant cost for large prompts.
func BenchmarkDecodeRequest50KB(b *testing.B) {
	body := []byte(`{"model":"m","max_tokens":256,"messages":[{"role":"system","content":"be brief"},{"role":"user","content":"` +
		strings.Repeat("lorem ipsum \\\"dolor\\\" sit amet ", 50<<10/32) + `"}]}`)
	for _, fast := range []bool{true, false} {
		b.Run(map[bool]string{true: "fast", false: "encoding_json"}[fast], func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := decodeRequest(body, fast, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
