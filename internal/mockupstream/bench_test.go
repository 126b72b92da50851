package mockupstream

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// discardWriter is a ResponseWriter+Flusher that keeps nothing, so the
// benchmarks measure the emulator, not a recorder or the network.
type discardWriter struct {
	h       http.Header
	n       int
	flushes int
}

func (w *discardWriter) Header() http.Header         { return w.h }
func (w *discardWriter) WriteHeader(int)             {}
func (w *discardWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
func (w *discardWriter) Flush()                      { w.flushes++ }

func benchServe(b *testing.B, path string, hdr map[string]string, body string) {
	s := New(Options{})
	raw := []byte(body)
	rdr := bytes.NewReader(raw)
	req := httptest.NewRequest(http.MethodPost, path, nil)
	req.Body = io.NopCloser(rdr)
	req.ContentLength = int64(len(raw))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		rdr.Reset(raw)
		clear(w.h)
		s.ServeHTTP(w, req)
	}
	b.StopTimer()
	if w.n == 0 {
		b.Fatal("nothing written")
	}
}

func BenchmarkChatStream256Chunks(b *testing.B) {
	benchServe(b, "/v1/chat/completions", withHeader(openaiAuth, ControlHeader, "chunks=256"),
		`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Tell me a story."}]}`)
}

func BenchmarkMessagesStream256Chunks(b *testing.B) {
	benchServe(b, "/v1/messages", withHeader(anthropicAuth, ControlHeader, "chunks=256"),
		`{"model":"claude-sonnet-4-5","max_tokens":512,"stream":true,"messages":[{"role":"user","content":"Tell me a story."}]}`)
}

func BenchmarkGeminiStream256Chunks(b *testing.B) {
	benchServe(b, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", withHeader(geminiAuth, ControlHeader, "chunks=256"),
		`{"contents":[{"role":"user","parts":[{"text":"Tell me a story."}]}]}`)
}

func BenchmarkChatJSON1KBAnswer(b *testing.B) {
	benchServe(b, "/v1/chat/completions", withHeader(openaiAuth, ControlHeader, "body_bytes=1024"),
		`{"model":"gpt-4o","messages":[{"role":"user","content":"Tell me a story."}]}`)
}

// The gateway load benchmark sends ~50 KB request bodies (SPEC §14).
func BenchmarkChatJSON50KBRequest(b *testing.B) {
	big := strings.Repeat("lorem ipsum dolor sit amet ", 50*1024/27)
	benchServe(b, "/v1/chat/completions", openaiAuth,
		`{"model":"gpt-4o","messages":[{"role":"system","content":"`+big+`"},{"role":"user","content":"`+big+`"}]}`)
}

// One flush per frame: headers, role chunk, 256 content chunks, the finish
// chunk and [DONE].
func TestStreamFlushesOncePerFrame(t *testing.T) {
	s := New(Options{})
	raw := []byte(`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"Tell me a story."}]}`)
	req := httptest.NewRequest(http.MethodPost, "/v1/chat/completions", bytes.NewReader(raw))
	req.Header.Set("Authorization", "Bearer k")
	req.Header.Set(ControlHeader, "chunks=256")
	w := newRecordingWriter()
	s.ServeHTTP(w, req)
	if len(w.flushed) != 259 {
		t.Fatalf("flushed %d segments, want 259", len(w.flushed))
	}
	for i, seg := range w.flushed {
		if strings.Count(seg, "\n\n") != 1 || !strings.HasSuffix(seg, "\n\n") {
			t.Errorf("segment %d is not exactly one frame: %q", i, seg)
		}
	}
}
