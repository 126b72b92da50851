package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestChatBodyIsValidJSONOfTheAskedSize(t *testing.T) {
	tests := []struct {
		name   string
		size   int
		stream bool
		chunks int
	}{
		{"1k unary", 1024, false, 256},
		{"1k stream", 1024, true, 256},
		{"50k unary", 50 * 1024, false, 256},
		{"50k stream", 50 * 1024, true, 8},
		{"odd size", 1999, true, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := chatBody(tt.size, tt.stream, tt.chunks)
			if len(b) != tt.size {
				t.Errorf("len = %d, want %d", len(b), tt.size)
			}
			var req struct {
				Model    string `json:"model"`
				Stream   bool   `json:"stream"`
				Messages []struct {
					Role, Content string
				} `json:"messages"`
			}
			if err := json.Unmarshal(b, &req); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			if req.Model != "gpt-4o-mini" || req.Stream != tt.stream || len(req.Messages) != 1 || req.Messages[0].Role != "user" {
				t.Errorf("request = %+v", req)
			}
			directive := fmt.Sprintf("[[mock: chunks=%d]]", tt.chunks)
			if got := strings.Contains(req.Messages[0].Content, directive); got != tt.stream {
				t.Errorf("directive present = %v, want %v", got, tt.stream)
			}
		})
	}
}

func TestChatBodyNeverTruncatesBelowTheSkeleton(t *testing.T) {
	b := chatBody(10, true, 4)
	if !json.Valid(b) || !bytes.Contains(b, []byte("chunks=4")) {
		t.Errorf("tiny body = %s", b)
	}
}

// sse writes a stream of n data frames, optionally ending with [DONE].
func sse(w http.ResponseWriter, n int, done bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	f := w.(http.Flusher)
	for i := range n {
		fmt.Fprintf(w, "data: {\"i\":%d}\n\n", i)
		f.Flush()
	}
	if done {
		io.WriteString(w, "data: [DONE]\n\n")
	}
}

func TestWorkerJudgesEachAnswer(t *testing.T) {
	long := strings.Repeat("x", 100<<10) // longer than the stream reader's buffer
	tests := []struct {
		name    string
		stream  bool
		handler http.HandlerFunc
		wantErr error // nil: success; errCut: a cut stream; errAny: other failure
	}{
		{"unary completion", false, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"object":"chat.completion","choices":[]}`)
		}, nil},
		{"unary non-completion body", false, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, `{"ok":true}`)
		}, errAny},
		{"unary error status", false, func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, `{"error":{}}`, http.StatusTooManyRequests)
		}, errAny},
		{"stream with DONE", true, func(w http.ResponseWriter, r *http.Request) {
			sse(w, 5, true)
		}, nil},
		{"stream with a line longer than the buffer", true, func(w http.ResponseWriter, r *http.Request) {
			io.WriteString(w, "data: {\"pad\":\""+long+" data: [DONE]\"}\n\n")
			sse(w, 1, true)
		}, nil},
		{"DONE inside a long line does not count", true, func(w http.ResponseWriter, r *http.Request) {
			// The buffer's worth of bytes ends exactly where the fake
			// [DONE] begins, so it opens the line's second piece.
			head := "data: {\"pad\":\""
			io.WriteString(w, head+long[:streamBufSize-len(head)]+"data: [DONE]\"}\n\n")
		}, errCut},
		{"stream ending without DONE", true, func(w http.ResponseWriter, r *http.Request) {
			sse(w, 5, false)
		}, errCut},
		{"stream dropped mid-way", true, func(w http.ResponseWriter, r *http.Request) {
			sse(w, 3, false)
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				conn.Close()
			}
		}, errCut},
	}
	client := newClient(1)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "Bearer k" || r.Header.Get("Content-Type") != "application/json" {
					http.Error(w, "bad headers", http.StatusUnauthorized)
					return
				}
				if b, _ := io.ReadAll(r.Body); !json.Valid(b) {
					http.Error(w, "bad body", http.StatusBadRequest)
					return
				}
				tt.handler(w, r)
			}))
			defer srv.Close()
			tg := &target{name: "t", url: srv.URL, auth: "Bearer k"}
			w := newWorker(client, tg, chatBody(512, tt.stream, 4), tt.stream)
			// Twice: the worker's reused state must not leak between requests.
			for range 2 {
				s := w.do(context.Background())
				switch {
				case tt.wantErr == nil && s.err != nil:
					t.Fatalf("err = %v", s.err)
				case tt.wantErr == nil && (s.total <= 0 || tt.stream && (s.ttfb <= 0 || s.ttfb > s.total)):
					t.Fatalf("timings total %v ttfb %v", s.total, s.ttfb)
				case tt.wantErr == errCut && !errors.Is(s.err, errCut):
					t.Fatalf("err = %v, want a cut stream", s.err)
				case tt.wantErr == errAny && (s.err == nil || errors.Is(s.err, errCut)):
					t.Fatalf("err = %v, want a non-cut failure", s.err)
				}
			}
		})
	}
}

// errAny marks a test case expecting some failure other than a cut.
var errAny = errors.New("any")

func TestMeasureThroughputCountsOnlyTheWindow(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		if strings.Contains(r.Header.Get("Authorization"), "fail") {
			http.Error(w, "no", http.StatusInternalServerError)
			return
		}
		time.Sleep(2 * time.Millisecond)
		io.WriteString(w, `{"choices":[]}`)
	}))
	defer srv.Close()
	client := newClient(4)
	self, err := os.FindProcess(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	// This process stands in for the emulator: any live pid works.
	probe := cpuProbe{clock: newCPUClock(), emulator: &proc{cmd: &exec.Cmd{Process: self}}}
	run := func(auth string) throughputStats {
		tg := &target{name: "t", url: srv.URL, auth: auth}
		st, err := measureThroughput(context.Background(), func() *worker { return newWorker(client, tg, chatBody(256, false, 1), false) },
			4, 50*time.Millisecond, 200*time.Millisecond, probe)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	ok := run("Bearer k")
	// 4 workers × 200 ms / ≥2 ms per request bounds the window's count.
	if ok.requests <= 0 || ok.requests > 4*200/2+4 || ok.errors != 0 {
		t.Errorf("requests %d errors %d", ok.requests, ok.errors)
	}
	if ok.p50 < 2*time.Millisecond || ok.p99 < ok.p50 || ok.serverCPU != -1 || ok.emulatorCPU < 0 {
		t.Errorf("p50 %v p99 %v serverCPU %v emulatorCPU %v", ok.p50, ok.p99, ok.serverCPU, ok.emulatorCPU)
	}
	bad := run("Bearer fail")
	if bad.requests != 0 || bad.errors == 0 || bad.firstErr == nil || !strings.Contains(bad.firstErr.Error(), "500") {
		t.Errorf("failing target: requests %d errors %d first %v", bad.requests, bad.errors, bad.firstErr)
	}
}

func BenchmarkWorkerStream(b *testing.B) {
	var frames bytes.Buffer
	for i := range 256 {
		fmt.Fprintf(&frames, "data: {\"id\":\"chatcmpl-1\",\"choices\":[{\"delta\":{\"content\":\"piece %d\"}}]}\n\n", i)
	}
	frames.WriteString("data: [DONE]\n\n")
	w := newWorker(nil, &target{}, nil, true)
	r := bytes.NewReader(frames.Bytes())
	b.ReportAllocs()
	b.SetBytes(int64(frames.Len()))
	for b.Loop() {
		r.Reset(frames.Bytes())
		if _, err := w.readStream(r, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
}
