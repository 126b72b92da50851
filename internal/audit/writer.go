package audit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexus-gateway/nexus/internal/store"
)

// Sink is where batches go: *store.DB implements it. InsertAudit must be
// idempotent by record ID (a batch may be delivered again after a retry or
// a crash) and should wrap store.ErrInvalidRecord when the content of a
// record, not the state of the database, is the problem.
type Sink interface {
	InsertAudit(ctx context.Context, records []store.AuditRecord) error
}

type state int32

const (
	stateOpen    state = iota
	stateClosing       // Close is draining: Enqueue spills instead of queueing
	stateClosed        // Close returned: Enqueue spills to a sealed file or drops
)

// Writer is the asynchronous audit writer. Safe for concurrent use.
type Writer struct {
	sink  Sink
	o     Options
	log   *slog.Logger
	spool *spool // nil without a spool directory

	// mu orders Enqueue against Close's state changes: Enqueue holds it
	// shared while it checks the state and sends, so once Close has taken it
	// exclusively and moved the state on, no record can slip into a queue
	// nobody will read again.
	mu    sync.RWMutex
	state state
	queue chan Record

	// ctx bounds sink calls and retry waits; cancelled when Close's
	// context ends, so a hung database cannot hold shutdown.
	ctx       context.Context
	cancel    context.CancelFunc
	stopLoop  chan struct{}
	loopDone  chan struct{}
	stopSweep chan struct{}
	sweepDone chan struct{}
	closeOnce sync.Once

	enqueued, written, spilled, reingested, dropped, retries, poisoned atomic.Uint64
	lastDropLog                                                        atomic.Int64
}

// NewWriter starts a writer: a batching goroutine and, with a spool, a
// sweeper that first re-inserts whatever an earlier process left there.
func NewWriter(sink Sink, o Options) (*Writer, error) {
	if sink == nil {
		return nil, errors.New("audit: nil sink")
	}
	if err := o.defaults(); err != nil {
		return nil, err
	}
	w := &Writer{
		sink: sink, o: o, log: o.Logger,
		queue:     make(chan Record, o.QueueSize),
		stopLoop:  make(chan struct{}),
		loopDone:  make(chan struct{}),
		stopSweep: make(chan struct{}),
		sweepDone: make(chan struct{}),
	}
	if o.SpoolDir != "" {
		sp, err := openSpool(o.SpoolDir, o.SpoolFileRecords, o.Now)
		if err != nil {
			return nil, err
		}
		w.spool = sp
	}
	w.ctx, w.cancel = context.WithCancel(context.Background())
	go w.loop()
	if w.spool != nil {
		go w.sweeper()
	} else {
		close(w.sweepDone)
	}
	return w, nil
}

// Enqueue hands a record to the writer. It never waits on the database:
// the record goes into the in-memory queue, or, when that is full, to the
// spool (one file write) or, in drop mode, nowhere (counted).
func (w *Writer) Enqueue(r Record) {
	w.enqueued.Add(1)
	if r.Time.IsZero() {
		r.Time = w.o.Now()
	}
	w.trimBodies(&r)
	if len(r.Hooks) > 0 && !json.Valid(r.Hooks) {
		// Keep what a hook said, as a JSON string, rather than lose the
		// whole record: neither the spool nor the table can hold bad JSON.
		r.Hooks, _ = json.Marshal(string(r.Hooks))
	}
	w.mu.RLock()
	if w.state == stateOpen {
		select {
		case w.queue <- r:
			w.mu.RUnlock()
			return
		default:
		}
		if w.o.Overflow == OverflowDrop {
			w.mu.RUnlock()
			w.drop(1, errQueueFull)
			return
		}
	}
	// Overflow, or shutting down: straight to disk. The copy keeps r itself
	// off the heap on the common path above.
	spilled := r
	w.spill(&spilled)
	w.mu.RUnlock()
}

var (
	errQueueFull = errors.New("queue full")
	errNoSpool   = errors.New("no spool directory")
)

func (w *Writer) trimBodies(r *Record) {
	if !w.o.CaptureBodies {
		r.RequestBody, r.ResponseBody = nil, nil
		return
	}
	if n := w.o.MaxBodyBytes; len(r.RequestBody) > n || len(r.ResponseBody) > n {
		r.BodiesTruncated = true
		if len(r.RequestBody) > n {
			r.RequestBody = r.RequestBody[:n:n]
		}
		if len(r.ResponseBody) > n {
			r.ResponseBody = r.ResponseBody[:n:n]
		}
	}
}

// spill writes records to the spool, or counts them dropped when there is
// no spool or it fails.
func (w *Writer) spill(rs ...*Record) {
	if w.spool == nil {
		w.drop(len(rs), errNoSpool)
		return
	}
	for i, r := range rs {
		if err := w.spool.append(r); err != nil {
			w.drop(len(rs)-i, err)
			return
		}
		w.spilled.Add(1)
	}
}

// drop counts lost records and logs at most once a second.
func (w *Writer) drop(n int, why error) {
	w.dropped.Add(uint64(n))
	now := w.o.Now().Unix()
	if last := w.lastDropLog.Load(); now > last && w.lastDropLog.CompareAndSwap(last, now) {
		w.log.Error("audit records dropped", "count", n, "total_dropped", w.dropped.Load(), "reason", why.Error())
	}
}

// Stats returns the counters.
func (w *Writer) Stats() Stats {
	return Stats{
		Enqueued:   w.enqueued.Load(),
		Written:    w.written.Load(),
		Spilled:    w.spilled.Load(),
		Reingested: w.reingested.Load(),
		Dropped:    w.dropped.Load(),
		Retries:    w.retries.Load(),
		Poisoned:   w.poisoned.Load(),
		Queued:     len(w.queue),
	}
}

// loop gathers records into batches of BatchSize, or fewer after Linger.
func (w *Writer) loop() {
	defer close(w.loopDone)
	batch := make([]Record, 0, w.o.BatchSize)
	rows := make([]store.AuditRecord, 0, w.o.BatchSize)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	flush := func() {
		if len(batch) > 0 {
			w.deliver(batch, rows[:0])
			clear(batch) // drop references to bodies and labels
			batch = batch[:0]
		}
	}
	for {
		select {
		case r := <-w.queue:
			if len(batch) == 0 {
				timer.Reset(w.o.Linger)
			}
			batch = append(batch, r)
			if len(batch) == w.o.BatchSize {
				timer.Stop()
				flush()
			}
		case <-timer.C:
			flush()
		case <-w.stopLoop:
			// Close has moved the state on, so nothing new enters the queue:
			// drain what is there and stop.
			timer.Stop()
			for {
				select {
				case r := <-w.queue:
					batch = append(batch, r)
					if len(batch) == w.o.BatchSize {
						flush()
					}
					continue
				default:
				}
				break
			}
			flush()
			return
		}
	}
}

// deliver inserts a batch from the queue, retrying transient errors with
// backoff; what still fails is spilled. Records the database refuses for
// their content are set aside one by one.
func (w *Writer) deliver(batch []Record, rows []store.AuditRecord) {
	for i := range batch {
		rows = append(rows, batch[i].row())
	}
	defer clear(rows)
	backoff := w.o.RetryBackoff
	for attempt := 0; ; attempt++ {
		err := w.insert(rows)
		if err == nil {
			w.written.Add(uint64(len(batch)))
			return
		}
		if errors.Is(err, store.ErrInvalidRecord) {
			ok, poison, failed := w.isolate(batch, rows)
			w.written.Add(uint64(ok))
			w.setAside(poison)
			w.spill(failed...)
			return
		}
		if attempt >= w.o.Retries || w.ctx.Err() != nil {
			w.log.Warn("audit batch not written; spilling it", "records", len(batch), "error", err.Error())
			ptrs := make([]*Record, len(batch))
			for i := range batch {
				ptrs[i] = &batch[i]
			}
			w.spill(ptrs...)
			return
		}
		w.retries.Add(1)
		if !w.sleep(backoff) {
			continue // aborted: the next attempt fails fast and spills
		}
		backoff = min(2*backoff, 2*time.Second)
	}
}

// insert runs one sink call under InsertTimeout and the writer's context.
func (w *Writer) insert(rows []store.AuditRecord) error {
	ctx, cancel := context.WithTimeout(w.ctx, w.o.InsertTimeout)
	defer cancel()
	if err := w.sink.InsertAudit(ctx, rows); err != nil {
		return fmt.Errorf("audit: insert: %w", err)
	}
	return nil
}

// isolate inserts records one at a time after their batch was refused:
// those the database takes are counted ok, those it refuses for their
// content are poison, and those that fail otherwise are returned (pointing
// into batch).
func (w *Writer) isolate(batch []Record, rows []store.AuditRecord) (ok int, poison []poisonEntry, failed []*Record) {
	for i := range rows {
		err := w.insert(rows[i : i+1])
		switch {
		case err == nil:
			ok++
		case errors.Is(err, store.ErrInvalidRecord):
			rec := batch[i] // a copy: the caller reuses batch
			poison = append(poison, poisonEntry{Time: w.o.Now().UTC(), Error: err.Error(), Record: &rec})
		default:
			failed = append(failed, &batch[i])
		}
	}
	return ok, poison, failed
}

// setAside writes poison entries to the spool's poison file (or only logs
// them without a spool) and counts them.
func (w *Writer) setAside(entries []poisonEntry) {
	if len(entries) == 0 {
		return
	}
	w.poisoned.Add(uint64(len(entries)))
	for _, e := range entries {
		id := ""
		if e.Record != nil {
			id = e.Record.ID
		}
		w.log.Error("audit record refused by the database; set aside", "id", id, "error", e.Error)
	}
	if w.spool == nil {
		return
	}
	if err := w.spool.poison(entries); err != nil {
		w.log.Error("audit poison file not written", "records", len(entries), "error", err.Error())
	}
}

// sleep waits d unless the writer is aborted (then it returns false).
func (w *Writer) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.ctx.Done():
		return false
	}
}

// Close stops the writer and drains it: the queue into the database, then
// the spool, which holds what overflowed before and what Enqueue calls
// racing with Close spilled while the queue drained. Every record enqueued
// before Close was called is in the database when it returns nil. Records
// enqueued while it runs or afterwards are in the database or in the spool,
// where the next writer on the directory picks them up (without a spool
// they are dropped and counted); stop the traffic first (http.Server
// Shutdown) and there are none.
//
// When ctx ends first, in-flight inserts are cancelled, what is still in
// memory is spilled, the spool keeps it for the next start, and Close
// returns an error wrapping ctx.Err().
func (w *Writer) Close(ctx context.Context) error {
	var err error
	w.closeOnce.Do(func() { err = w.close(ctx) })
	return err
}

func (w *Writer) close(ctx context.Context) error {
	w.setState(stateClosing)
	stop := context.AfterFunc(ctx, w.cancel)
	defer stop()
	defer w.cancel()

	close(w.stopLoop)
	<-w.loopDone
	close(w.stopSweep)
	<-w.sweepDone
	if w.spool == nil {
		w.setState(stateClosed)
		return ctx.Err()
	}
	// One pass, not "until empty": producers that never stop would keep it
	// going forever. What they spill from here on stays for the next start.
	w.sweep()
	w.setState(stateClosed)
	if err := w.spool.close(); err != nil {
		w.log.Error("audit spool not sealed", "error", err.Error())
	}
	if ctx.Err() != nil {
		if left, _ := w.spool.pending(); len(left) > 0 {
			return fmt.Errorf("audit: close: %d spool file(s) left in %s for the next start: %w", len(left), w.o.SpoolDir, ctx.Err())
		}
	}
	return nil
}

func (w *Writer) setState(s state) {
	w.mu.Lock()
	w.state = s
	w.mu.Unlock()
}
