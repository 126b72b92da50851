package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/store"
)

func TestBatchesFillToBatchSize(t *testing.T) {
	tests := []struct {
		name      string
		batchSize int
		records   int
		want      []int
	}{
		{"exact multiple", 100, 1000, []int{100, 100, 100, 100, 100, 100, 100, 100, 100, 100}},
		{"oversized batch size is capped", 100000, 1024, []int{512, 512}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newFakeSink()
			// A linger far longer than the test: only full batches can flush.
			w := newWriter(t, sink, Options{BatchSize: tt.batchSize, QueueSize: 4096, Linger: time.Hour, Overflow: OverflowDrop})
			for i := range tt.records {
				w.Enqueue(rec(i))
			}
			waitFor(t, "all records", 10*time.Second, func() bool { return sink.count() == tt.records })
			if got := sink.batchSizes(); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("batches %v, want %v", got, tt.want)
			}
		})
	}
}

func TestLingerFlushesAPartialBatch(t *testing.T) {
	sink := newFakeSink()
	const linger = 80 * time.Millisecond
	w := newWriter(t, sink, Options{BatchSize: 512, Linger: linger, Overflow: OverflowDrop})
	start := time.Now()
	for i := range 3 {
		w.Enqueue(rec(i))
	}
	time.Sleep(linger / 4)
	if n := sink.count(); n != 0 {
		t.Fatalf("%d records written before the linger elapsed", n)
	}
	waitFor(t, "the lingering batch", 5*time.Second, func() bool { return sink.count() == 3 })
	if waited := time.Since(start); waited < linger {
		t.Fatalf("flushed after %v, before the %v linger", waited, linger)
	}
	if got := sink.batchSizes(); len(got) != 1 || got[0] != 3 {
		t.Fatalf("batches %v, want one of 3", got)
	}
	// The timer re-arms for the next partial batch.
	w.Enqueue(rec(3))
	waitFor(t, "the second lingering batch", 5*time.Second, func() bool { return sink.count() == 4 })
}

func TestOverflowSpillsToDiskAndSweeperReingests(t *testing.T) {
	sink := newFakeSink()
	sink.gate = make(chan struct{}) // the database hangs
	dir := t.TempDir()
	w := newWriter(t, sink, Options{QueueSize: 8, BatchSize: 4, Linger: time.Millisecond, SpoolDir: dir,
		SweepInterval: 20 * time.Millisecond, InsertTimeout: time.Minute})
	const n = 300
	start := time.Now()
	for i := range n {
		w.Enqueue(rec(i))
	}
	// Enqueue never waited on the hung database.
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("enqueueing %d records took %v while the database hung", n, took)
	}
	st := w.Stats()
	// At most the queue plus one batch in the hung insert are held in memory.
	if st.Spilled < n-8-4 || st.Dropped != 0 {
		t.Fatalf("stats while hung: %+v", st)
	}
	if len(spoolFiles(t, dir)) == 0 {
		t.Fatal("nothing spooled to disk")
	}
	close(sink.gate)
	waitFor(t, "every record in the database", 10*time.Second, func() bool { return sink.count() == n })
	waitFor(t, "the spool swept", 10*time.Second, func() bool { return w.Stats().Reingested == st.Spilled })
	mustClose(t, w)
	st = w.Stats()
	if st.Written+st.Reingested != n || st.Dropped != 0 || st.Enqueued != n {
		t.Fatalf("final stats %+v: written+reingested must be %d", st, n)
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Fatalf("spool files left: %v", files)
	}
}

func TestOverflowDropModeCountsLosses(t *testing.T) {
	sink := newFakeSink()
	sink.gate = make(chan struct{})
	w := newWriter(t, sink, Options{QueueSize: 8, BatchSize: 4, Linger: time.Millisecond, Overflow: OverflowDrop, InsertTimeout: time.Minute})
	const n = 100
	for i := range n {
		w.Enqueue(rec(i))
	}
	if st := w.Stats(); st.Dropped < n-8-4 {
		t.Fatalf("stats %+v: expected the overflow dropped", st)
	}
	close(sink.gate)
	mustClose(t, w)
	st := w.Stats()
	if int(st.Written+st.Dropped) != n || sink.count() != int(st.Written) || st.Spilled != 0 {
		t.Fatalf("stats %+v, %d in the database: every record is written or dropped", st, sink.count())
	}
}

func TestTransientFailuresAreRetried(t *testing.T) {
	sink := newFakeSink()
	sink.fail = func(call int, _ []store.AuditRecord) error {
		if call <= 2 {
			return errTransient
		}
		return nil
	}
	w := newWriter(t, sink, Options{BatchSize: 10, Linger: time.Hour, Retries: 3, RetryBackoff: time.Millisecond, SpoolDir: t.TempDir()})
	for i := range 10 {
		w.Enqueue(rec(i))
	}
	waitFor(t, "the batch", 5*time.Second, func() bool { return sink.count() == 10 })
	mustClose(t, w)
	if st := w.Stats(); st.Written != 10 || st.Retries != 2 || st.Spilled != 0 {
		t.Fatalf("stats %+v: want 10 written after 2 retries, nothing spilled", st)
	}
}

func TestPersistentFailureSpillsThenRecovers(t *testing.T) {
	sink := newFakeSink()
	var up atomic.Bool
	sink.fail = func(int, []store.AuditRecord) error {
		if !up.Load() {
			return errTransient
		}
		return nil
	}
	dir := t.TempDir()
	w := newWriter(t, sink, Options{BatchSize: 5, Linger: time.Millisecond, Retries: 1, RetryBackoff: time.Millisecond,
		SpoolDir: dir, SweepInterval: 10 * time.Millisecond})
	for i := range 10 {
		w.Enqueue(rec(i))
	}
	waitFor(t, "failed batches spilled", 5*time.Second, func() bool { return w.Stats().Spilled == 10 })
	if sink.count() != 0 {
		t.Fatal("records reached a failing database")
	}
	up.Store(true)
	waitFor(t, "the spool re-inserted", 10*time.Second, func() bool { return w.Stats().Reingested == 10 })
	mustClose(t, w)
	st := w.Stats()
	if sink.count() != 10 || st.Written != 0 || st.Retries < 2 {
		t.Fatalf("stats %+v, %d rows", st, sink.count())
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Fatalf("spool files left: %v", files)
	}
}

// invalidFor refuses any batch holding one of the ids, as the store does
// for a record it cannot take.
func invalidFor(ids ...string) func(int, []store.AuditRecord) error {
	return func(_ int, rows []store.AuditRecord) error {
		for _, r := range rows {
			for _, id := range ids {
				if r.ID == id {
					return fmt.Errorf("insert: %w", store.ErrInvalidRecord)
				}
			}
		}
		return nil
	}
}

func TestAStuckSpoolFileDoesNotHoldBackTheOthers(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, ids ...string) {
		var b strings.Builder
		for _, id := range ids {
			line, _ := json.Marshal(Record{ID: id, Status: 200})
			b.Write(line)
			b.WriteByte('\n')
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// The oldest file holds a record the database keeps failing on without
	// calling it invalid; the newer files are fine.
	write("00000000000000000001-000001.ndjson", "a1", "stuck", "a2")
	write("00000000000000000002-000001.ndjson", "b1", "b2")
	write("00000000000000000003-000001.ndjson", "c1")
	sink := newFakeSink()
	sink.fail = func(_ int, rows []store.AuditRecord) error {
		for _, r := range rows {
			if r.ID == "stuck" {
				return errTransient
			}
		}
		return nil
	}
	w := newWriter(t, sink, Options{SpoolDir: dir, SweepInterval: time.Hour})
	waitFor(t, "the healthy files", 5*time.Second, func() bool { return sink.has("b2") && sink.has("c1") })
	mustClose(t, w)
	files := spoolFiles(t, dir)
	if len(files) != 1 || !strings.HasSuffix(files[0], "00000000000000000001-000001.ndjson") {
		t.Fatalf("spool files left: %v, want only the stuck one", files)
	}
	if st := w.Stats(); st.Reingested != 3 {
		t.Fatalf("stats %+v: want the 3 records of the healthy files", st)
	}
}

func TestPoisonRecordsAreSetAside(t *testing.T) {
	sink := newFakeSink()
	sink.fail = invalidFor("req-000003", "req-000007")
	dir := t.TempDir()
	w := newWriter(t, sink, Options{BatchSize: 10, Linger: time.Hour, SpoolDir: dir})
	for i := range 10 {
		w.Enqueue(rec(i))
	}
	mustClose(t, w)
	st := w.Stats()
	if st.Written != 8 || st.Poisoned != 2 || st.Spilled != 0 || st.Retries != 0 {
		t.Fatalf("stats %+v: want 8 written, 2 poisoned, no retries", st)
	}
	lines := readLines(t, filepath.Join(dir, poisonFile))
	if len(lines) != 2 {
		t.Fatalf("poison file has %d lines", len(lines))
	}
	for i, want := range []string{"req-000003", "req-000007"} {
		var e poisonEntry
		if err := json.Unmarshal([]byte(lines[i]), &e); err != nil {
			t.Fatal(err)
		}
		if e.Record == nil || e.Record.ID != want || !strings.Contains(e.Error, "invalid audit record") {
			t.Fatalf("poison line %d: %s", i, lines[i])
		}
	}
}

func TestCloseDrainsTheQueue(t *testing.T) {
	sink := newFakeSink()
	w, err := NewWriter(sink, Options{BatchSize: 512, QueueSize: 4096, Linger: time.Hour, SpoolDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1500 {
		w.Enqueue(rec(i))
	}
	mustClose(t, w)
	if n := sink.count(); n != 1500 {
		t.Fatalf("%d records written by Close, want 1500", n)
	}
	// A second Close is harmless.
	if err := w.Close(context.Background()); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

func TestCloseWithDeadlineSpillsAndTheNextWriterRecovers(t *testing.T) {
	dir := t.TempDir()
	hung := newFakeSink()
	hung.gate = make(chan struct{}) // never opens
	w, err := NewWriter(hung, Options{BatchSize: 16, QueueSize: 1024, Linger: time.Hour, SpoolDir: dir, InsertTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 100 {
		w.Enqueue(rec(i))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = w.Close(ctx)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Close: %v, want the deadline", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("Close took %v past its deadline", took)
	}
	if st := w.Stats(); st.Spilled != 100 || st.Dropped != 0 {
		t.Fatalf("stats %+v: everything in memory must be spilled", st)
	}

	// The next start finds the spool and re-inserts it.
	sink := newFakeSink()
	next := newWriter(t, sink, Options{SpoolDir: dir})
	mustClose(t, next)
	if sink.count() != 100 || next.Stats().Reingested != 100 {
		t.Fatalf("recovered %d records (stats %+v), want 100", sink.count(), next.Stats())
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Fatalf("spool files left: %v", files)
	}
}

func TestCrashLeftoversAreAdopted(t *testing.T) {
	// What kill -9 leaves: an open .part file whose last line was torn.
	dir := t.TempDir()
	var b strings.Builder
	for i := range 3 {
		line, err := json.Marshal(rec(i))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	b.WriteString(`{"id":"req-torn","time":"2026-05`)
	if err := os.WriteFile(filepath.Join(dir, "00000000000000000001-000001.ndjson.part"), []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	sink := newFakeSink()
	w := newWriter(t, sink, Options{SpoolDir: dir})
	mustClose(t, w)
	st := w.Stats()
	if sink.count() != 3 || st.Reingested != 3 || st.Poisoned != 1 {
		t.Fatalf("stats %+v, %d rows: want 3 re-inserted, the torn line set aside", st, sink.count())
	}
	lines := readLines(t, filepath.Join(dir, poisonFile))
	if len(lines) != 1 || !strings.Contains(lines[0], "unreadable spool line") || !strings.Contains(lines[0], "req-torn") {
		t.Fatalf("poison file: %v", lines)
	}
	if files := spoolFiles(t, dir); len(files) != 0 {
		t.Fatalf("spool files left: %v", files)
	}
}

func TestEnqueueAfterCloseIsSpooledForTheNextStart(t *testing.T) {
	dir := t.TempDir()
	w, err := NewWriter(newFakeSink(), Options{SpoolDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	mustClose(t, w)
	w.Enqueue(rec(1))
	w.Enqueue(rec(2))
	files := spoolFiles(t, dir)
	for _, f := range files {
		if strings.HasSuffix(f, partSuffix) {
			t.Fatalf("a late record left an open file: %s", f)
		}
	}
	if len(files) == 0 || w.Stats().Spilled != 2 {
		t.Fatalf("late records not spooled: files %v, stats %+v", files, w.Stats())
	}
	sink := newFakeSink()
	next := newWriter(t, sink, Options{SpoolDir: dir})
	mustClose(t, next)
	if !sink.has("req-000001") || !sink.has("req-000002") {
		t.Fatal("late records not recovered by the next writer")
	}
}

func TestEnqueueDropsBodiesUnlessCaptured(t *testing.T) {
	body := []byte(strings.Repeat("x", 100))
	tests := []struct {
		name      string
		capture   bool
		maxBody   int
		wantLen   int
		wantTrunc bool
	}{
		{"capture off", false, 0, 0, false},
		{"capture on, under the cap", true, 1000, 100, false},
		{"capture on, cut at the cap", true, 10, 10, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sink := newFakeSink()
			w := newWriter(t, sink, Options{CaptureBodies: tt.capture, MaxBodyBytes: tt.maxBody, Overflow: OverflowDrop})
			r := rec(1)
			r.RequestBody, r.ResponseBody = body, body
			w.Enqueue(r)
			mustClose(t, w)
			got := sink.rows[r.ID]
			if len(got.RequestBody) != tt.wantLen || len(got.ResponseBody) != tt.wantLen || got.BodiesTruncated != tt.wantTrunc {
				t.Fatalf("bodies %d/%d bytes, truncated %v", len(got.RequestBody), len(got.ResponseBody), got.BodiesTruncated)
			}
		})
	}
}

func TestNewWriterValidates(t *testing.T) {
	if _, err := NewWriter(nil, Options{Overflow: OverflowDrop}); err == nil {
		t.Fatal("nil sink accepted")
	}
	if _, err := NewWriter(newFakeSink(), Options{}); err == nil || !strings.Contains(err.Error(), "spool") {
		t.Fatalf("spill mode without a spool directory: %v", err)
	}
}

func TestEnqueueFillsAMissingTime(t *testing.T) {
	sink := newFakeSink()
	at := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	w := newWriter(t, sink, Options{Overflow: OverflowDrop, Now: func() time.Time { return at }})
	w.Enqueue(Record{ID: "no-time", Status: 200})
	mustClose(t, w)
	if got := sink.rows["no-time"].Time; !got.Equal(at) {
		t.Fatalf("time %v, want %v", got, at)
	}
}

func BenchmarkEnqueue(b *testing.B) {
	w, err := NewWriter(discardSink{}, Options{QueueSize: 1 << 16, Overflow: OverflowDrop})
	if err != nil {
		b.Fatal(err)
	}
	defer w.Close(context.Background())
	r := rec(1)
	r.Labels = map[string]string{"team": "search"}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Enqueue(r)
		}
	})
}

type discardSink struct{}

func (discardSink) InsertAudit(context.Context, []store.AuditRecord) error { return nil }
