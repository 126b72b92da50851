package gemini

import (
	"fmt"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// syntheticFrames builds an n-chunk stream shaped like Gemini's: a text part
// and usageMetadata on every chunk, finishReason on the last.
func syntheticFrames(n int) [][]byte {
	frames := make([][]byte, n)
	for i := range frames {
		finish := ""
		if i == n-1 {
			finish = `,"finishReason":"STOP"`
		}
		frames[i] = fmt.Appendf(nil, `{"candidates": [{"content": {"parts": [{"text": "token %d of the answer, with some more words "}],"role": "model"}%s,"index": 0}],"usageMetadata": {"promptTokenCount": 34,"candidatesTokenCount": %d,"totalTokenCount": %d,"thoughtsTokenCount": 787},"modelVersion": "gemini-2.5-pro","responseId": "beHBaJfE"}`, i, finish, i+1, 34+787+i+1)
	}
	return frames
}

func syntheticEvents(n int) []canonical.Event {
	evs := []canonical.Event{
		{Type: canonical.EventStart, ID: "r", Model: "m"},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartText}},
	}
	for i := 0; i < n; i++ {
		evs = append(evs, canonical.Event{Type: canonical.EventDelta, Index: 0, Delta: fmt.Sprintf("token %d of the answer, with \"quotes\" and more words ", i)})
	}
	return append(evs,
		canonical.Event{Type: canonical.EventBlockStop, Index: 0},
		canonical.Event{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 34, OutputTokens: 1000, ReasoningTokens: 787}},
		canonical.Event{Type: canonical.EventFinish, Finish: canonical.FinishStop},
		canonical.Event{Type: canonical.EventEnd})
}

func decodeStream(frames [][]byte, out []canonical.Event) []canonical.Event {
	d := NewStreamDecoder()
	for _, f := range frames {
		out, _ = d.Decode("", f, out[:0])
	}
	out, _ = d.Close(out[:0])
	return out
}

type discard struct{}

func (discard) WriteEvent(string, []byte) error { return nil }

func encodeStream(evs []canonical.Event) {
	enc := NewStreamEncoder(StreamOptions{ID: "r", Model: "m"})
	for _, ev := range evs {
		_ = enc.Encode(ev, discard{})
	}
}

func BenchmarkStreamDecode256(b *testing.B) {
	frames := syntheticFrames(256)
	out := make([]canonical.Event, 0, 16)
	b.ReportAllocs()
	for b.Loop() {
		out = decodeStream(frames, out)
	}
}

func BenchmarkStreamEncode256(b *testing.B) {
	evs := syntheticEvents(256)
	b.ReportAllocs()
	for b.Loop() {
		encodeStream(evs)
	}
}

func BenchmarkDecodeRequest(b *testing.B) {
	body := readFixture(b, "gemini", "function-call-stream-sse-2.request.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeRequest(b *testing.B) {
	req, err := DecodeRequest(readFixture(b, "gemini", "function-call-stream-sse-2.request.json"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := EncodeRequest(req, "gemini-2.5-flash"); err != nil {
			b.Fatal(err)
		}
	}
}

// Allocations per chunk must not grow with stream length: a 1024-chunk
// stream costs the same per chunk as a 64-chunk one (within a small fixed
// per-stream overhead), and encoding a text delta allocates nothing.
func TestStreamAllocationsPerChunkAreConstant(t *testing.T) {
	perChunk := func(n int) float64 {
		frames := syntheticFrames(n)
		out := make([]canonical.Event, 0, 16)
		return testing.AllocsPerRun(5, func() { out = decodeStream(frames, out) }) / float64(n)
	}
	short, long := perChunk(64), perChunk(1024)
	if long > short+0.01 || long > 2 {
		t.Errorf("decode allocs per chunk: %.2f at 64 chunks, %.2f at 1024", short, long)
	}
	evs := syntheticEvents(1024)
	enc := NewStreamEncoder(StreamOptions{ID: "r", Model: "m"})
	for _, ev := range evs[:3] { // warm the buffer
		_ = enc.Encode(ev, discard{})
	}
	delta := evs[3]
	if a := testing.AllocsPerRun(100, func() { _ = enc.Encode(delta, discard{}) }); a != 0 {
		t.Errorf("encoding a text delta allocates %.1f times", a)
	}
}
