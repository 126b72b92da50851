package responses

import (
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// TestTeeAgreesWithDecoder: on every recorded stream the tee sees the same
// position, usage and end as the full decoder.
func TestTeeAgreesWithDecoder(t *testing.T) {
	for _, path := range fixtures(t, true, ".response.sse", ".chunks.txt") {
		if _, broken := brokenStreams[fixtureName(path)]; broken {
			continue
		}
		for _, frames := range loadStreams(t, path) {
			t.Run(fixtureName(path), func(t *testing.T) {
				var tee Tee
				d := NewStreamDecoder()
				var evs []canonical.Event
				for _, f := range frames {
					tee.Observe(f.name, []byte(f.data))
					var err error
					if evs, err = d.Decode(f.name, []byte(f.data), evs); err != nil {
						t.Fatal(err)
					}
				}
				if tee.Position() != d.Position() {
					t.Errorf("tee at %+v, decoder at %+v", tee.Position(), d.Position())
				}
				if tee.Position().Sequence != len(frames) {
					t.Errorf("next sequence %d after %d frames", tee.Position().Sequence, len(frames))
				}
				var usage *canonical.Usage
				var finish canonical.FinishReason
				var failed *canonical.Error
				for _, ev := range evs {
					switch ev.Type {
					case canonical.EventUsage:
						usage = ev.Usage
					case canonical.EventFinish:
						finish = ev.Finish
					case canonical.EventError:
						failed = ev.Err
					}
				}
				u, ok := tee.Usage()
				if ok != (usage != nil) || usage != nil && u != *usage {
					t.Errorf("tee usage %+v %v, decoder %+v", u, ok, usage)
				}
				r, ok := tee.Finish()
				if !tee.Done() || ok != (failed == nil) || r != finish {
					t.Errorf("tee finish %s %v done %v, decoder %s", r, ok, tee.Done(), finish)
				}
				if (tee.Err() == nil) != (failed == nil) || failed != nil && (tee.Err().Code != failed.Code || tee.Err().Kind != failed.Kind) {
					t.Errorf("tee error %+v, decoder %+v", tee.Err(), failed)
				}
			})
		}
	}
}

func TestTeeIgnoresNoise(t *testing.T) {
	var tee Tee
	for _, d := range []string{"", "   ", "[DONE]", ": ping"} {
		tee.Observe("", []byte(d))
	}
	if tee.Position().Sequence != 0 || tee.Done() {
		t.Errorf("noise moved the tee: %+v", tee.Position())
	}
	tee.Observe("", []byte(`{"type":"response.output_text.delta","delta":"\"sequence_number\":99","sequence_number":4}`))
	if got := tee.Position().Sequence; got != 5 {
		t.Errorf("sequence %d: a delta's text was read as the frame's number", got)
	}
}

// TestTeeDeltaFramesDoNotAllocate: the relay path's per-frame cost.
func TestTeeDeltaFramesDoNotAllocate(t *testing.T) {
	var tee Tee
	frame := []byte(`{"type":"response.output_text.delta","sequence_number":7,"item_id":"msg_1","output_index":0,"content_index":0,"delta":" token","logprobs":[]}`)
	for _, name := range []string{"response.output_text.delta", ""} {
		if n := testing.AllocsPerRun(100, func() { tee.Observe(name, frame) }); n != 0 {
			t.Errorf("event name %q: %v allocations per delta frame", name, n)
		}
	}
}

func TestReadUsage(t *testing.T) {
	for _, path := range fixtures(t, false, ".response.json") {
		body := mustRead(t, path)
		resp, err := DecodeResponse(body)
		if err != nil {
			t.Fatal(err)
		}
		u, ok := ReadUsage(body)
		if ok != (resp.Usage != nil) || ok && u != *resp.Usage {
			t.Errorf("%s: ReadUsage %+v %v, DecodeResponse %+v", path, u, ok, resp.Usage)
		}
	}
	if _, ok := ReadUsage([]byte(`{"object":"response","usage":null}`)); ok {
		t.Error("usage read from null")
	}
}

// BenchmarkTee follows a recorded text stream: the relay path's cost.
func BenchmarkTee(b *testing.B) {
	frames := loadStreams(b, "testdata/fixtures/openai-responses/raw-incomplete-max-output-tokens-stream.response.sse")[0]
	data := make([][]byte, len(frames))
	for i, f := range frames {
		data[i] = []byte(f.data)
	}
	b.ReportAllocs()
	for b.Loop() {
		var tee Tee
		for i, f := range frames {
			tee.Observe(f.name, data[i])
		}
	}
}
