package logsink

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuf is a goroutine-safe bytes.Buffer counting the writes it gets.
type syncBuf struct {
	mu     sync.Mutex
	b      bytes.Buffer
	writes int
}

func (b *syncBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.writes++
	return b.b.Write(p)
}

func (b *syncBuf) snapshot() (string, int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String(), b.writes
}

func TestLinesAreBatchedAndFlushedOnTheTimer(t *testing.T) {
	out := &syncBuf{}
	s := New(out, 20*time.Millisecond)
	defer s.Close()
	log := slog.New(Handler(slog.NewJSONHandler(s, nil), s))
	for i := range 100 {
		log.Info("request", "n", i)
	}
	if got, _ := out.snapshot(); got != "" {
		t.Fatalf("info lines written through: %q", got[:min(len(got), 80)])
	}
	deadline := time.Now().Add(2 * time.Second)
	for {
		got, writes := out.snapshot()
		if strings.Count(got, "\n") == 100 {
			if writes != 1 {
				t.Fatalf("100 lines took %d writes, want 1", writes)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the timer did not flush: %d lines out", strings.Count(got, "\n"))
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWarningsGoOutAtOnceAndCloseFlushes(t *testing.T) {
	out := &syncBuf{}
	s := New(out, time.Hour)
	log := slog.New(Handler(slog.NewTextHandler(s, nil), s).WithAttrs([]slog.Attr{slog.String("c", "x")}))
	log.Info("first")
	log.Warn("careful")
	got, _ := out.snapshot()
	if !strings.Contains(got, "first") || !strings.Contains(got, "careful") || !strings.Contains(got, "c=x") {
		t.Fatalf("a warning did not flush what came before it: %q", got)
	}
	log.Info("last")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got, _ := out.snapshot(); !strings.Contains(got, "last") {
		t.Fatalf("Close lost a line: %q", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal("a second Close:", err)
	}
}

type failing struct{}

func (failing) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestCloseReportsTheWriteError(t *testing.T) {
	s := New(failing{}, time.Hour)
	_, _ = s.Write([]byte("line\n"))
	if err := s.Close(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("Close = %v, want the write error", err)
	}
}
