package openai

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/sse"
)

func TestMayHoldUsageSkipsNullUsage(t *testing.T) {
	for in, want := range map[string]bool{
		`{"choices":[],"usage":null}`:                                                 false,
		`{"choices":[{"delta":{"content":"usage"}}]}`:                                 false,
		`{"choices":[],"usage":{"prompt_tokens":1}}`:                                  true,
		`{"choices":[],"usage" : {"prompt_tokens":1}}`:                                true,
		`{"usage":null,"choices":[],"usage2":{}}`:                                     false,
		`{"choices":[{"delta":{"content":"say \\"usage\\":{"}}]}`:                     false,
		`{"choices":[{"delta":{"content":"usage\\":{"}}],"usage":{"total_tokens":2}}`: true,
		`{"xusage":{"a":1}}`:                                                          false,
	} {
		if got := mayHoldUsage([]byte(in)); got != want {
			t.Errorf("%s: got %v want %v", in, got, want)
		}
	}
	if _, ok := usageFromBody([]byte(`{"choices":[],"usage":null}`)); ok {
		t.Fatal("null usage reported as usage")
	}
	u, ok := usageFromBody([]byte(`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}`))
	if !ok || u.InputTokens != 3 || u.OutputTokens != 4 {
		t.Fatalf("usage = %+v %v", u, ok)
	}
}

func TestFindQuoted(t *testing.T) {
	for _, c := range []struct {
		in, rest string
		want     int
	}{
		{`{"finish_reason":"stop"}`, `finish_reason":"`, 1},
		{`{"finish_reason":null}`, `finish_reason":"`, -1},
		{`{"x":"the finish_reason":"}`, `finish_reason":"`, -1}, // no quote before it
		{`{"a":"finish_reason","finish_reason":"length"}`, `finish_reason":"`, 21},
		{`usage"`, `usage"`, -1},
	} {
		if got := findQuoted([]byte(c.in), []byte(c.rest)); got != c.want {
			t.Errorf("findQuoted(%s, %s) = %d, want %d", c.in, c.rest, got, c.want)
		}
	}
}

// The tap's cost per relayed chunk (it runs on every frame of every
// OpenAI-wire stream): usage pre-filter and finish_reason check.
func BenchmarkTapObserve(b *testing.B) {
	raw, err := os.ReadFile("../../../e2e/testdata/fixtures/openai-chat/raw-text-stream.response.sse")
	if err != nil {
		b.Skip(err)
	}
	var frames [][]byte
	rd := sse.NewReader(strings.NewReader(string(raw)), 0)
	for {
		ev, err := rd.Next()
		if len(ev.Data) > 0 {
			frames = append(frames, append([]byte(nil), ev.Data...))
		}
		if err != nil {
			break
		}
	}
	if len(frames) < 3 {
		b.Fatalf("%d frames", len(frames))
	}
	b.Run("stream", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			var tp tap
			for _, f := range frames {
				tp.Observe(sse.Event{Data: f})
			}
			if !tp.has || !tp.finished {
				b.Fatal("usage or finish missed")
			}
		}
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(frames)), "ns/frame")
	})
	// An ordinary content chunk: what nearly every frame of a stream is.
	b.Run("content-chunk", func(b *testing.B) {
		f := frames[len(frames)/2]
		b.ReportAllocs()
		var tp tap
		for b.Loop() {
			tp.Observe(sse.Event{Data: f})
		}
	})
}

func TestChunkTail(t *testing.T) {
	for _, c := range []struct {
		in            string
		usage, finish bool
	}{
		{`{"choices":[{"delta":{"content":"x"},"finish_reason":null}],"usage":null,"obfuscation":"a:b"}`, false, false},
		{`{"choices":[{"delta":{},"finish_reason":"stop"}],"usage":null}`, false, true},
		{`{"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`, true, false},
		{`{"choices":[{"delta":{},"finish_reason" : "length"}],"usage" : {"total_tokens":3}}`, true, true},
		{`{"choices":[{"delta":{"content":"a \"usage\":{ and \"finish_reason\":\"x"}}]}`, false, false},
		{`{"choices":[{"delta":{"content":"time: 10:30"}}]}`, false, false},
		{`{"choices":[{"delta":{"tool_calls":[{"function":{"arguments":"{\"usage\":{}}"}}]},"finish_reason":null}]}`, false, false},
		{`usage":{`, false, false},
	} {
		u, f := chunkTail([]byte(c.in), true)
		if u != c.usage || f != c.finish {
			t.Errorf("%s: usage %v finish %v, want %v %v", c.in, u, f, c.usage, c.finish)
		}
	}
	if _, f := chunkTail([]byte(`{"choices":[{"finish_reason":"stop"}]}`), false); f {
		t.Error("finish reported when not asked for")
	}
}

// Over every recorded OpenAI-wire stream, the tail test agrees with the
// whole-chunk searches it replaces: usage objects and finish reasons are
// found in the same chunks.
func TestChunkTailAgreesWithFullSearch(t *testing.T) {
	files, _ := filepath.Glob("../../../e2e/testdata/fixtures/*/*.response.sse")
	frames := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		rd := sse.NewReader(strings.NewReader(string(raw)), 0)
		for {
			ev, err := rd.Next()
			if len(ev.Data) > 0 && ev.Data[0] == '{' && bytes.Contains(ev.Data, []byte(`"choices"`)) {
				frames++
				u, fin := chunkTail(ev.Data, true)
				if u != mayHoldUsage(ev.Data) || fin != bytes.Contains(ev.Data, []byte(`"finish_reason":"`)) {
					t.Errorf("%s: %s: tail usage %v finish %v", filepath.Base(f), ev.Data, u, fin)
				}
			}
			if err != nil {
				break
			}
		}
	}
	if frames < 100 {
		t.Fatalf("only %d OpenAI-wire frames found", frames)
	}
}
