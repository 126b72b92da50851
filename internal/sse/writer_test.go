package sse

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// countingSink records every Write and how many flushes followed it.
type countingSink struct {
	writes  []string
	flushes int
	// flushesAtWrite[i] is the flush count when write i happened, proving a
	// flush follows every frame rather than being batched at the end.
	flushesAtWrite []int
	writeErr       error
	flushErr       error
}

func (s *countingSink) Write(p []byte) (int, error) {
	if s.writeErr != nil {
		return 0, s.writeErr
	}
	s.writes = append(s.writes, string(p))
	s.flushesAtWrite = append(s.flushesAtWrite, s.flushes)
	return len(p), nil
}

func (s *countingSink) Flush() error {
	s.flushes++
	return s.flushErr
}

func TestWriterFrames(t *testing.T) {
	tests := []struct {
		name  string
		write func(w *Writer) error
		want  string
	}{
		{"event with name and JSON", func(w *Writer) error { return w.WriteEvent("message_start", []byte(`{"a":1}`)) }, "event: message_start\ndata: {\"a\":1}\n\n"},
		{"event without name omits the event line", func(w *Writer) error { return w.WriteEvent("", []byte(`{}`)) }, "data: {}\n\n"},
		{"multi-line data becomes one data line each", func(w *Writer) error { return w.WriteEvent("e", []byte("a\nb\n\nc")) }, "event: e\ndata: a\ndata: b\ndata: \ndata: c\n\n"},
		{"trailing LF in data gives a trailing empty line", func(w *Writer) error { return w.WriteEvent("", []byte("a\n")) }, "data: a\ndata: \n\n"},
		{"CR and CRLF in data also split lines", func(w *Writer) error { return w.WriteEvent("", []byte("a\r\nb\rc")) }, "data: a\ndata: b\ndata: c\n\n"},
		{"empty data still dispatches", func(w *Writer) error { return w.WriteEvent("ping", nil) }, "event: ping\ndata: \n\n"},
		{"comment", func(w *Writer) error { return w.WriteComment("keep-alive") }, ": keep-alive\n\n"},
		{"multi-line comment", func(w *Writer) error { return w.WriteComment("a\r\nb\nc") }, ": a\n: b\n: c\n\n"},
		{"done", func(w *Writer) error { return w.WriteDone() }, "data: [DONE]\n\n"},
		{"raw is forwarded unchanged", func(w *Writer) error { return w.WriteRaw([]byte("\nevent: x\r\ndata: y  \r\n\r\n")) }, "\nevent: x\r\ndata: y  \r\n\r\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := &countingSink{}
			w := NewWriterTo(sink, sink.Flush)
			if err := tt.write(w); err != nil {
				t.Fatal(err)
			}
			if len(sink.writes) != 1 {
				t.Fatalf("frame written in %d Writes, want 1", len(sink.writes))
			}
			if sink.writes[0] != tt.want {
				t.Fatalf("wrote %q, want %q", sink.writes[0], tt.want)
			}
			if sink.flushes != 1 {
				t.Fatalf("flushed %d times, want 1", sink.flushes)
			}
		})
	}
}

func TestWriterFlushesOncePerFrame(t *testing.T) {
	sink := &countingSink{}
	w := NewWriterTo(sink, sink.Flush)
	steps := []func() error{
		func() error { return w.WriteComment("ping") },
		func() error { return w.WriteEvent("a", []byte("1\n2")) },
		func() error { return w.WriteRaw([]byte("data: x\n\n")) },
		func() error { return w.WriteDone() },
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	if sink.flushes != len(steps) {
		t.Fatalf("flushes = %d, want %d", sink.flushes, len(steps))
	}
	if want := []int{0, 1, 2, 3}; !reflect.DeepEqual(sink.flushesAtWrite, want) {
		t.Fatalf("flush count at each write = %v, want %v (one flush after each frame)", sink.flushesAtWrite, want)
	}
}

func TestWriterWithoutFlushFunc(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriterTo(&buf, nil)
	if err := w.WriteEvent("", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if buf.String() != "data: x\n\n" {
		t.Fatalf("wrote %q", buf.String())
	}
}

func TestWriterErrors(t *testing.T) {
	errSink := errors.New("broken pipe")
	tests := []struct {
		name   string
		sink   *countingSink
		write  func(*Writer) error
		target error
	}{
		{"write error is wrapped", &countingSink{writeErr: errSink}, func(w *Writer) error { return w.WriteDone() }, errSink},
		{"flush error is wrapped", &countingSink{flushErr: errSink}, func(w *Writer) error { return w.WriteComment("x") }, errSink},
		{"event name with a line break is refused", &countingSink{}, func(w *Writer) error { return w.WriteEvent("a\nb", nil) }, ErrInvalidName},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.write(NewWriterTo(tt.sink, tt.sink.Flush))
			if !errors.Is(err, tt.target) {
				t.Fatalf("err = %v, want wrapping %v", err, tt.target)
			}
		})
	}
}

func TestNewWriterFlushesHTTPResponse(t *testing.T) {
	rec := httptest.NewRecorder()
	SetStreamHeaders(rec.Header())
	w := NewWriter(rec)
	if err := w.WriteEvent("message_stop", []byte(`{"type":"message_stop"}`)); err != nil {
		t.Fatal(err)
	}
	if !rec.Flushed {
		t.Fatal("response not flushed after WriteEvent")
	}
	if got, want := rec.Body.String(), "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"; got != want {
		t.Fatalf("body %q, want %q", got, want)
	}
	if got := rec.Result().Header.Get("Content-Type"); got != "text/event-stream; charset=utf-8" {
		t.Fatalf("Content-Type = %q", got)
	}
}

// plainResponseWriter implements only http.ResponseWriter: no Flush.
type plainResponseWriter struct {
	h    http.Header
	body bytes.Buffer
}

func (p *plainResponseWriter) Header() http.Header         { return p.h }
func (p *plainResponseWriter) Write(b []byte) (int, error) { return p.body.Write(b) }
func (p *plainResponseWriter) WriteHeader(int)             {}

func TestNewWriterReportsUnflushableResponse(t *testing.T) {
	w := NewWriter(&plainResponseWriter{h: http.Header{}})
	if err := w.WriteDone(); !errors.Is(err, http.ErrNotSupported) {
		t.Fatalf("err = %v, want wrapping http.ErrNotSupported", err)
	}
}

func TestSetStreamHeaders(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json"}}
	SetStreamHeaders(h)
	want := http.Header{
		"Content-Type":      {"text/event-stream; charset=utf-8"},
		"Cache-Control":     {"no-cache"},
		"Connection":        {"keep-alive"},
		"X-Accel-Buffering": {"no"},
	}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("headers %v, want %v", h, want)
	}
}

func TestWriterConcurrentFramesDoNotInterleave(t *testing.T) {
	var mu sync.Mutex
	var out bytes.Buffer
	sink := writerFunc(func(p []byte) (int, error) {
		mu.Lock()
		defer mu.Unlock()
		return out.Write(p)
	})
	w := NewWriterTo(sink, nil)
	var wg sync.WaitGroup
	const perWriter = 200
	for g := range 4 {
		wg.Go(func() {
			for range perWriter {
				var err error
				if g%2 == 0 {
					err = w.WriteEvent("e", []byte("line1\nline2"))
				} else {
					err = w.WriteComment("ping")
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	res := readAll(t, NewReader(&out, 0), 4*perWriter+2)
	if len(res.frames) != 4*perWriter || res.err != io.EOF {
		t.Fatalf("read %d frames err %v, want %d", len(res.frames), res.err, 4*perWriter)
	}
	for i, f := range res.frames {
		if f.Raw != "event: e\ndata: line1\ndata: line2\n\n" && f.Raw != ": ping\n\n" {
			t.Fatalf("frame %d interleaved: %q", i, f.Raw)
		}
	}
}

func TestWriterDoesNotAllocate(t *testing.T) {
	w := NewWriterTo(io.Discard, func() error { return nil })
	data := []byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}` + "\n" + "second")
	frame := []byte("data: x\n\n")
	allocs := testing.AllocsPerRun(1000, func() {
		_ = w.WriteEvent("content_block_delta", data)
		_ = w.WriteComment("ping")
		_ = w.WriteDone()
		_ = w.WriteRaw(frame)
	})
	if allocs != 0 {
		t.Fatalf("writer allocates %.2f times per round, want 0", allocs)
	}
}

func TestRoundTripWriterToReader(t *testing.T) {
	type ev struct {
		name string
		data string
	}
	events := []ev{
		{"message_start", `{"type":"message_start"}`},
		{"", `{"choices":[{"delta":{"content":"a"}}]}`},
		{"vendor.custom", "multi\nline\n\ndata"},
		{"", ""},
		{"content_block_delta", `{"text":"trailing  "}  `},
		{"", " leading space kept"},
		{"", strings.Repeat("z", 3*initialBufSize)},
	}
	var buf bytes.Buffer
	w := NewWriterTo(&buf, nil)
	for _, e := range events {
		if err := w.WriteEvent(e.name, []byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.WriteComment("ping"); err != nil {
		t.Fatal(err)
	}
	if err := w.WriteDone(); err != nil {
		t.Fatal(err)
	}
	res := readAll(t, NewReader(bytes.NewReader(buf.Bytes()), 0), 100)
	if res.err != io.EOF {
		t.Fatalf("err = %v", res.err)
	}
	if len(res.frames) != len(events)+2 {
		t.Fatalf("read %d frames, want %d", len(res.frames), len(events)+2)
	}
	for i, e := range events {
		f := res.frames[i]
		if f.Name != e.name || f.Data != e.data || f.NoData {
			t.Errorf("event %d: got name=%q data=%q nil=%v, want name=%q data=%q", i, f.Name, f.Data, f.NoData, e.name, e.data)
		}
	}
	if c := res.frames[len(events)]; !c.NoData || c.Name != "" || c.Raw != ": ping\n\n" {
		t.Errorf("comment frame = %v", c)
	}
	if d := res.frames[len(events)+1]; d.Data != "[DONE]" {
		t.Errorf("done frame = %v", d)
	}
	if res.rawConcat() != buf.String() {
		t.Error("raw concat differs from written bytes")
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

func TestHoldDefersFlushUntilReleased(t *testing.T) {
	var buf bytes.Buffer
	flushes := 0
	w := NewWriterTo(&buf, func() error { flushes++; return nil })
	w.Hold(true)
	_ = w.WriteRaw([]byte("data: 1\n\n"))
	_ = w.WriteEvent("", []byte("2"))
	if flushes != 0 || buf.Len() == 0 {
		t.Fatalf("held writes flushed %d times", flushes)
	}
	w.Hold(false)
	_ = w.WriteRaw([]byte("data: 3\n\n"))
	if flushes != 1 {
		t.Fatalf("flushes = %d, want 1 after release", flushes)
	}
	_ = w.Flush()
	if flushes != 1 {
		t.Fatal("Flush with nothing pending must not flush")
	}
	w.Hold(true)
	_ = w.WriteRaw([]byte("data: 4\n\n"))
	_ = w.Flush()
	if flushes != 2 || buf.String() != "data: 1\n\ndata: 2\n\ndata: 3\n\ndata: 4\n\n" {
		t.Fatalf("flushes %d, body %q", flushes, buf.String())
	}
}
