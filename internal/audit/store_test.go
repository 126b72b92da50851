package audit

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/store/storetest"
)

// eachStore runs fn against a fresh real database on every engine.
func eachStore(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db, err := store.Open(context.Background(), b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			fn(t, db)
		})
	}
}

func countRows(t *testing.T, db *store.DB) int64 {
	t.Helper()
	n, err := db.CountAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestWriterAgainstTheStore(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		dir := t.TempDir()
		// A small queue so part of the load overflows to the spool and comes
		// back through the sweeper.
		w := newWriter(t, db, Options{QueueSize: 32, BatchSize: 64, Linger: 5 * time.Millisecond, SpoolDir: dir,
			SweepInterval: 20 * time.Millisecond})
		full := Record{
			ID: "req-full", ClientRequestID: "cli-1", Time: time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC),
			KeyID: "k1", KeyName: "bot", KeyPrefix: "nvk_00000001", Labels: map[string]string{"team": "search"},
			Ingress: "openai", Endpoint: "chat", Stream: true,
			RequestedModel: "fast", RoutedModel: "gpt-4o-mini", Provider: "openai", UpstreamModel: "gpt-4o-mini-2024-07-18",
			Attempts: 2, Status: 200, Latency: 1500*time.Microsecond + 1, TTFT: 300 * time.Microsecond,
			Usage:      canonical.Usage{InputTokens: 1200, OutputTokens: 80, CacheReadTokens: 1024, ReasoningTokens: 16},
			CostMicros: 312, CostKnown: true, Cache: "miss", Hooks: json.RawMessage(`{"pii":"approve"}`),
		}
		w.Enqueue(full)
		const n = 2000
		for i := range n {
			w.Enqueue(rec(i))
		}
		// The same ids again: the table must not grow.
		for i := range 100 {
			w.Enqueue(rec(i))
		}
		mustClose(t, w)
		if got := countRows(t, db); got != n+1 {
			t.Fatalf("%d rows, want %d", got, n+1)
		}
		st := w.Stats()
		if st.Written+st.Reingested != n+101 || st.Dropped != 0 || st.Poisoned != 0 {
			t.Fatalf("stats %+v", st)
		}
		got, err := db.AuditByID(ctx, "req-full")
		if err != nil {
			t.Fatal(err)
		}
		// Latency 1.500001 ms rounds up to 2; TTFT 0.3 ms to 1.
		if got.LatencyMS != 2 || got.TTFTMS != 1 || got.InputTokens != 1200 || got.CacheReadTokens != 1024 ||
			got.ReasoningTokens != 16 || !got.CostKnown || got.CostMicros != 312 || got.RoutedModel != "gpt-4o-mini" ||
			got.Labels["team"] != "search" || string(got.Hooks) != `{"pii":"approve"}` || !got.Stream || got.Attempts != 2 {
			t.Fatalf("stored %+v", got)
		}
	})
}

func TestWriterSetsAsideWhatTheStoreRefuses(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		w := newWriter(t, db, Options{BatchSize: 10, Linger: time.Hour, SpoolDir: dir})
		for i := range 10 {
			r := rec(i)
			if i == 4 {
				r.Status = -1 // the store refuses it
			}
			w.Enqueue(r)
		}
		mustClose(t, w)
		if got := countRows(t, db); got != 9 {
			t.Fatalf("%d rows, want the 9 good ones", got)
		}
		if st := w.Stats(); st.Poisoned != 1 || st.Written != 9 {
			t.Fatalf("stats %+v", st)
		}
		if lines := readLines(t, filepath.Join(dir, poisonFile)); len(lines) != 1 {
			t.Fatalf("poison file: %v", lines)
		}
	})
}

func TestSpoolReinsertIsIdempotent(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB) {
		// The crash case: a batch reached the database, but the process died
		// before it knew, and the same records also sit in the spool.
		rows := make([]store.AuditRecord, 50)
		recs := make([]Record, 50)
		for i := range recs {
			recs[i] = rec(i)
			rows[i] = recs[i].row()
		}
		if err := db.InsertAudit(context.Background(), rows); err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		f, err := os.Create(filepath.Join(dir, "00000000000000000001-000001.ndjson"))
		if err != nil {
			t.Fatal(err)
		}
		enc := json.NewEncoder(f)
		for i := range 60 { // 50 already stored, 10 new
			if err := enc.Encode(rec(i)); err != nil {
				t.Fatal(err)
			}
		}
		f.Close()
		w := newWriter(t, db, Options{SpoolDir: dir, BatchSize: 16})
		mustClose(t, w)
		if got := countRows(t, db); got != 60 {
			t.Fatalf("%d rows, want 60", got)
		}
		if files := spoolFiles(t, dir); len(files) != 0 {
			t.Fatalf("spool files left: %v", files)
		}
	})
}

// TestShutdownUnderLoadLosesNoRecord is SIGTERM under load: producers
// enqueue as fast as they can while Close runs; every record enqueued,
// before, during or (a few) after Close, ends up in the database once the
// next writer has swept what the first left on disk.
func TestShutdownUnderLoadLosesNoRecord(t *testing.T) {
	eachStore(t, func(t *testing.T, db *store.DB) {
		dir := t.TempDir()
		w, err := NewWriter(db, Options{QueueSize: 256, BatchSize: 128, Linger: 2 * time.Millisecond, SpoolDir: dir,
			SweepInterval: 10 * time.Millisecond})
		if err != nil {
			t.Fatal(err)
		}
		producers := 4 * runtime.GOMAXPROCS(0)
		var (
			next        atomic.Int64
			closing     atomic.Bool
			closed      atomic.Bool
			wg          sync.WaitGroup
			beforeClose atomic.Int64 // enqueues that returned before Close was called
		)
		// Each producer stops after perProducer records even if Close is still
		// running, so a slow machine cannot turn this into an unbounded run.
		const perProducer = 1000
		for range producers {
			wg.Go(func() {
				for range perProducer {
					wasClosed := closed.Load()
					w.Enqueue(rec(int(next.Add(1)) - 1))
					time.Sleep(time.Millisecond) // busy traffic, not a tight loop
					if !closing.Load() {
						beforeClose.Add(1)
					}
					if wasClosed {
						return // one record after Close returned, to cover the late path
					}
				}
			})
		}
		time.Sleep(150 * time.Millisecond) // load running
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		closing.Store(true)
		if err := w.Close(ctx); err != nil {
			t.Fatalf("Close under load: %v", err)
		}
		closed.Store(true)
		wg.Wait()
		total := next.Load()
		st := w.Stats()
		if st.Dropped != 0 || st.Poisoned != 0 || int64(st.Enqueued) != total {
			t.Fatalf("stats %+v, %d enqueued", st, total)
		}
		// Everything enqueued before Close was called is in the database when
		// it returns; records racing with its end may wait on disk.
		if inDB := countRows(t, db); inDB < beforeClose.Load() || inDB > total {
			t.Fatalf("%d rows after Close; %d records enqueued before it was called, %d in all", inDB, beforeClose.Load(), total)
		}
		// The late ones wait in the spool for the next start.
		after := newWriter(t, db, Options{SpoolDir: dir})
		mustClose(t, after)
		if got := countRows(t, db); got != total {
			t.Fatalf("%d rows, %d records enqueued: lost %d", got, total, total-got)
		}
		t.Logf("%d records: %d written, %d spilled and re-inserted, %d left for the next start", total, st.Written, st.Reingested, after.Stats().Reingested)
	})
}
