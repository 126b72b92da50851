package audit

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/nexus-gateway/nexus/internal/store"
)

// sweeper re-inserts spilled records every SweepInterval. After a failed
// pass it waits longer (doubling, up to 8 intervals) so a database that
// is down is not hammered.
func (w *Writer) sweeper() {
	defer close(w.sweepDone)
	wait := w.o.SweepInterval
	t := time.NewTimer(0) // first pass at once: adopt an earlier run's spool
	defer t.Stop()
	for {
		select {
		case <-w.stopSweep:
			return
		case <-t.C:
		}
		if left := w.sweep(); left == 0 {
			wait = w.o.SweepInterval
		} else {
			wait = min(2*wait, 8*w.o.SweepInterval)
		}
		t.Reset(wait)
	}
}

// sweep makes one pass over the sealed spool files (sealing the active one
// first) and returns how many files are left: those that failed and those
// not reached after the database was found failing.
func (w *Writer) sweep() (left int) {
	files, err := w.spool.pending()
	if err != nil {
		w.log.Error("audit spool not sealed", "error", err.Error())
	}
	failedInARow := 0
	for i, path := range files {
		if w.ctx.Err() != nil {
			return left + len(files) - i
		}
		if err := w.sweepFile(path); err != nil {
			w.log.Warn("audit spool file not re-inserted yet", "file", path, "error", err.Error())
			left++
			// One failing file must not hold back the others (it may hold a
			// record the database keeps refusing in some unforeseen way), but
			// two in a row mean the database itself is failing: stop there.
			if failedInARow++; failedInARow == 2 {
				return left + len(files) - i - 1
			}
			continue
		}
		failedInARow = 0
	}
	return left
}

// sweepFile inserts every record of one sealed file and deletes it. It
// stops at the first batch that fails for a reason other than the content
// of its records; the file is then kept whole and retried by a later pass
// (records already inserted are skipped by the idempotent insert). Counts
// and the poison file are only updated once the whole file went through,
// so a file retried several times is counted once.
func (w *Writer) sweepFile(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return w.spool.done(path)
	}
	if err != nil {
		return fmt.Errorf("open: %w", err)
	}
	defer f.Close()

	var (
		inserted int
		poison   []poisonEntry
		batch    = make([]Record, 0, w.o.BatchSize)
		rows     = make([]store.AuditRecord, 0, w.o.BatchSize)
		rd       = bufio.NewReaderSize(f, 64<<10)
	)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		n, p, err := w.insertSpooled(batch, rows[:0])
		if err != nil {
			return err
		}
		inserted += n
		poison = append(poison, p...)
		batch = batch[:0]
		return nil
	}
	for {
		line, rerr := rd.ReadBytes('\n')
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return fmt.Errorf("read: %w", rerr)
		}
		if line = bytes.TrimSpace(line); len(line) > 0 {
			var r Record
			if err := json.Unmarshal(line, &r); err != nil || r.ID == "" {
				// A torn last line after a crash, or a hand-edited file.
				why := "record without an id"
				if err != nil {
					why = err.Error()
				}
				poison = append(poison, poisonEntry{Time: w.o.Now().UTC(), Error: "unreadable spool line: " + why, Line: string(line)})
			} else {
				batch = append(batch, r)
			}
			if len(batch) == w.o.BatchSize {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if rerr != nil { // io.EOF
			break
		}
	}
	if err := flush(); err != nil {
		return err
	}
	w.setAside(poison)
	w.reingested.Add(uint64(inserted))
	return w.spool.done(path)
}

// insertSpooled inserts one batch read from the spool: no in-memory
// retries (the next pass is the retry) and nothing is spilled again.
func (w *Writer) insertSpooled(batch []Record, rows []store.AuditRecord) (inserted int, poison []poisonEntry, err error) {
	for i := range batch {
		rows = append(rows, batch[i].row())
	}
	defer clear(rows)
	err = w.insert(rows)
	if err == nil {
		return len(batch), nil, nil
	}
	if !errors.Is(err, store.ErrInvalidRecord) {
		return 0, nil, err
	}
	ok, poison, failed := w.isolate(batch, rows)
	if len(failed) > 0 {
		return 0, nil, fmt.Errorf("%d record(s) of a refused batch failed alone too", len(failed))
	}
	return ok, poison, nil
}
