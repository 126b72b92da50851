package openai

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
)

// BenchmarkByteRelay256: the same-shape stream path of one 256-chunk
// OpenAI stream already in memory — frame reading, coalescing, the usage
// tap and the credential scrub — without sockets, so the gateway's own
// per-frame cost shows (ns/frame).
func BenchmarkByteRelay256(b *testing.B) {
	raw, err := os.ReadFile("../../../e2e/testdata/fixtures/openai-chat/raw-text-stream.response.sse")
	if err != nil {
		b.Skip(err)
	}
	// Repeat the recorded content chunks to 256, keeping the head and the
	// usage/[DONE] tail.
	frames := bytes.SplitAfter(raw, []byte("\n\n"))
	var body []byte
	n := 0
	for n < 256 {
		for _, f := range frames[1 : len(frames)-3] {
			body = append(body, f...)
			n++
		}
	}
	body = append(append([]byte(nil), frames[0]...), body...)
	for _, f := range frames[len(frames)-3:] {
		body = append(body, f...)
	}
	ep := &provider.Endpoint{Name: "oa", APIKey: "sk-proj-Tq3vR8mN2pL5xK9wB7cF1hJ4gD6sA0zE"}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		r := provider.NewRelay(ep, provider.NewCall(context.Background(), provider.Timeouts{}),
			io.NopCloser(bytes.NewReader(body)), &tap{}, &pipeline.Exchange{}, time.Now)
		r.Coalesce = true
		for {
			_, err := r.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		if r.Usage() == nil {
			b.Fatal("usage lost")
		}
		r.Close()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*(n+4)), "ns/frame")
}
