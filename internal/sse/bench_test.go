package sse

import (
	"bytes"
	"io"
	"os"
	"strings"
	"testing"
)

// benchStream builds a 256-frame stream by repeating the second frame of a
// recorded stream: a typical content delta (the first frame is usually
// role or metadata).
func benchStream(b *testing.B, path, sep string) []byte {
	b.Helper()
	rec, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	frames := strings.SplitAfter(string(rec), sep)
	if len(frames) < 3 {
		b.Fatalf("%s: only %d frames", path, len(frames))
	}
	var buf bytes.Buffer
	for range 256 {
		buf.WriteString(frames[1])
	}
	return buf.Bytes()
}

func BenchmarkReader(b *testing.B) {
	cases := []struct{ name, path, sep string }{
		{"openai-chat", "testdata/openai-chat-text.sse", "\n\n"},
		{"anthropic", "testdata/anthropic-text.sse", "\n\n"},
		{"gemini-crlf", "testdata/gemini-text-crlf.sse", "\r\n\r\n"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			stream := benchStream(b, c.path, c.sep)
			src := bytes.NewReader(stream)
			r := NewReader(src, 0)
			b.SetBytes(int64(len(stream)))
			b.ReportAllocs()
			b.ResetTimer()
			frames := 0
			for b.Loop() {
				src.Reset(stream)
				r.Reset(src)
				for {
					ev, err := r.Next()
					if err == io.EOF {
						break
					}
					if err != nil {
						b.Fatal(err)
					}
					if len(ev.Data) == 0 {
						b.Fatal("frame without data")
					}
					frames++
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(frames), "ns/frame")
		})
	}
}

func BenchmarkWriterWriteEvent(b *testing.B) {
	data := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello, world"}}`)
	w := NewWriterTo(io.Discard, func() error { return nil })
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteEvent("content_block_delta", data); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkWriterWriteRaw(b *testing.B) {
	frame := []byte("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}]}\n\n")
	w := NewWriterTo(io.Discard, func() error { return nil })
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		if err := w.WriteRaw(frame); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkReaderLargeFrameSmallReads reads one 4 MiB data line (an inline
// base64 image, say) delivered in 16 KiB reads. Cost must stay linear in the
// frame size: a reader that re-searched the partial line after every read
// would take time quadratic in it.
func BenchmarkReaderLargeFrameSmallReads(b *testing.B) {
	stream := "data: " + strings.Repeat("A", 4<<20) + "\n\n"
	src := &chunkReader{}
	r := NewReader(src, 0)
	b.SetBytes(int64(len(stream)))
	b.ReportAllocs()
	for b.Loop() {
		*src = chunkReader{s: stream, n: 16 << 10}
		r.Reset(src)
		if ev, err := r.Next(); err != nil || len(ev.Data) != 4<<20 {
			b.Fatalf("got %d bytes, err %v", len(ev.Data), err)
		}
	}
}
