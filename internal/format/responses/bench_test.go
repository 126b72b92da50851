package responses

import (
	"strconv"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// discard is an EventWriter that drops frames (the SSE writer's cost is not
// the encoder's).
type discard struct{ n int }

func (d *discard) WriteEvent(_ string, data []byte) error {
	d.n += len(data)
	return nil
}

// syntheticEvents is a chat-shaped answer of n events: reasoning, a run of
// text deltas, one tool call with split arguments, usage, finish, end.
func syntheticEvents(n int) []canonical.Event {
	evs := []canonical.Event{evStart(), evOpen(0, canonical.PartReasoning), evText(0, "Thinking about it."), evStop(0), evOpen(1, canonical.PartText)}
	text := n - 13
	for i := 0; i < text; i++ {
		evs = append(evs, evText(1, " token \""+strconv.Itoa(i)+"\""))
	}
	return append(evs, evStop(1), evCall(2, "call_M26z19sncd7b4LBgzKRRbaUE", "lookup"), evText(2, `{"q":`), evText(2, `"x"}`), evStop(2),
		canonical.Event{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 16, OutputTokens: 10}}, evFinish(canonical.FinishToolCalls), evEnd())
}

// BenchmarkStreamEncoder reports the cost per event of a 200-event answer.
// Deltas are appended into the reused frame buffer; what allocates is the
// per-item setup, the growth of the text repeated in the done events and
// the terminal response object.
func BenchmarkStreamEncoder(b *testing.B) {
	evs := syntheticEvents(200)
	b.ReportAllocs()
	var w discard
	for b.Loop() {
		enc := NewStreamEncoder(StreamOptions{Model: "gpt-4o", ID: "resp_bench", Created: 1})
		for _, ev := range evs {
			if err := enc.Encode(ev, &w); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

// BenchmarkStreamEncoderDelta isolates the steady state: one text delta.
func BenchmarkStreamEncoderDelta(b *testing.B) {
	enc := NewStreamEncoder(StreamOptions{Model: "gpt-4o", ID: "resp_bench"})
	var w discard
	for _, ev := range []canonical.Event{evStart(), evOpen(0, canonical.PartText)} {
		if err := enc.Encode(ev, &w); err != nil {
			b.Fatal(err)
		}
	}
	ev := evText(0, " token")
	b.ReportAllocs()
	for b.Loop() {
		if err := enc.Encode(ev, &w); err != nil {
			b.Fatal(err)
		}
		enc.items[0].parts[0].text = enc.items[0].parts[0].text[:0] // keep the repeated text from growing without end
	}
}

// BenchmarkStreamDecoder decodes a recorded text stream frame by frame.
func BenchmarkStreamDecoder(b *testing.B) {
	frames := loadStreams(b, "testdata/fixtures/openai-responses/raw-incomplete-max-output-tokens-stream.response.sse")[0]
	data := make([][]byte, len(frames))
	for i, f := range frames {
		data[i] = []byte(f.data)
	}
	out := make([]canonical.Event, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		d := NewStreamDecoder()
		out = out[:0]
		for i, f := range frames {
			var err error
			if out, err = d.Decode(f.name, data[i], out); err != nil {
				b.Fatal(err)
			}
		}
	}
}
