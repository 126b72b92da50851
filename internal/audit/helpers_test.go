package audit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/store"
)

// fakeSink records what it is given, keyed by id like the real table.
type fakeSink struct {
	mu      sync.Mutex
	rows    map[string]store.AuditRecord
	batches []int
	calls   int
	// fail, when set, decides the outcome of each call (1-based) before
	// anything is stored.
	fail func(call int, rows []store.AuditRecord) error
	// gate, when set, holds every call until it is closed or ctx ends.
	gate chan struct{}
}

func newFakeSink() *fakeSink { return &fakeSink{rows: map[string]store.AuditRecord{}} }

func (s *fakeSink) InsertAudit(ctx context.Context, rows []store.AuditRecord) error {
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	if s.fail != nil {
		if err := s.fail(s.calls, rows); err != nil {
			return err
		}
	}
	s.batches = append(s.batches, len(rows))
	for _, r := range rows {
		if _, dup := s.rows[r.ID]; !dup {
			s.rows[r.ID] = r
		}
	}
	return nil
}

func (s *fakeSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.rows)
}

func (s *fakeSink) has(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.rows[id]
	return ok
}

func (s *fakeSink) batchSizes() []int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]int(nil), s.batches...)
}

var errTransient = errors.New("connection refused")

func rec(i int) Record {
	return Record{ID: fmt.Sprintf("req-%06d", i), Time: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC), KeyID: "k1", Status: 200,
		RequestedModel: "gpt-4o", Latency: time.Duration(i) * time.Microsecond}
}

func newWriter(t *testing.T, sink Sink, o Options) *Writer {
	t.Helper()
	w, err := NewWriter(sink, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = w.Close(ctx)
	})
	return w
}

func mustClose(t *testing.T, w *Writer) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// spoolFiles lists the files of a spool directory that still wait for the
// sweeper (sealed or open), not the poison file.
func spoolFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if e.Name() != poisonFile && strings.Contains(e.Name(), ".ndjson") {
			out = append(out, filepath.Join(dir, e.Name()))
		}
	}
	return out
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(string(b)), "\n")
}
