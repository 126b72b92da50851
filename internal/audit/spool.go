package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// The spool is a directory of NDJSON files, one Record per line.
//
//	<unixnano>-<seq>.ndjson.part   the file overflow is appended to now
//	<unixnano>-<seq>.ndjson        sealed: complete, waiting for the sweeper
//	poison.ndjson                  records the database refused, set aside
//
// Each record is written with a single write(2) straight to the file (no
// user-space buffer), so once Enqueue returns the record survives a crash
// of the process (not of the machine: files are fsynced when sealed).
// Sealed files are re-inserted and deleted by the sweeper; a .part file
// left by a crashed process is sealed when the next writer opens the
// directory. One writer per directory: two processes sharing one would
// seal each other's open files.
const (
	partSuffix   = ".ndjson.part"
	sealedSuffix = ".ndjson"
	poisonFile   = "poison.ndjson"
)

type spool struct {
	dir      string
	now      func() time.Time
	maxLines int

	mu     sync.Mutex
	active *os.File // nil until the first spill after a seal
	name   string   // active file's path without partSuffix
	lines  int      // lines in the active file
	sealed []string // sealed files not yet swept, oldest first
	seq    uint64
	buf    bytes.Buffer
	enc    *json.Encoder
	// closed: the writer has shut down; every later spill seals its file
	// at once so no descriptor stays open.
	closed bool
}

// openSpool creates dir if needed and adopts what a previous process left.
func openSpool(dir string, maxLines int, now func() time.Time) (*spool, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("audit: spool directory: %w", err)
	}
	s := &spool{dir: dir, now: now, maxLines: maxLines}
	s.enc = json.NewEncoder(&s.buf)
	s.enc.SetEscapeHTML(false)
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("audit: spool directory: %w", err)
	}
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir() || name == poisonFile:
		case strings.HasSuffix(name, partSuffix):
			// Left open by a process that died: whatever reached the file is
			// kept (a torn last line is set aside as poison when swept).
			sealedPath := filepath.Join(dir, strings.TrimSuffix(name, ".part"))
			if err := os.Rename(filepath.Join(dir, name), sealedPath); err != nil {
				return nil, fmt.Errorf("audit: adopt spool file: %w", err)
			}
			s.sealed = append(s.sealed, sealedPath)
		case strings.HasSuffix(name, sealedSuffix):
			s.sealed = append(s.sealed, filepath.Join(dir, name))
		}
	}
	sort.Strings(s.sealed) // names start with a fixed-width time: oldest first
	return s, nil
}

// append writes one record as one line.
func (s *spool) append(r *Record) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Reset()
	if err := s.enc.Encode(r); err != nil { // Encode adds the newline
		return fmt.Errorf("audit: encode record %s: %w", r.ID, err)
	}
	if s.active == nil {
		if err := s.openLocked(); err != nil {
			return err
		}
	}
	if _, err := s.active.Write(s.buf.Bytes()); err != nil {
		return fmt.Errorf("audit: write spool: %w", err)
	}
	s.lines++
	if s.lines >= s.maxLines || s.closed {
		return s.sealLocked()
	}
	return nil
}

func (s *spool) openLocked() error {
	s.seq++
	s.name = filepath.Join(s.dir, fmt.Sprintf("%020d-%06d%s", s.now().UnixNano(), s.seq, sealedSuffix))
	f, err := os.OpenFile(s.name+".part", os.O_CREATE|os.O_EXCL|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit: open spool file: %w", err)
	}
	s.active, s.lines = f, 0
	return nil
}

// sealLocked closes the active file and hands it to the sweeper.
func (s *spool) sealLocked() error {
	if s.active == nil {
		return nil
	}
	f := s.active
	s.active = nil
	errSync := f.Sync()
	errClose := f.Close()
	if err := errors.Join(errSync, errClose); err != nil {
		return fmt.Errorf("audit: seal spool file: %w", err)
	}
	if err := os.Rename(s.name+".part", s.name); err != nil {
		return fmt.Errorf("audit: seal spool file: %w", err)
	}
	s.sealed = append(s.sealed, s.name)
	return nil
}

// pending seals the active file and lists the sealed files, oldest first.
func (s *spool) pending() ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.sealLocked()
	return append([]string(nil), s.sealed...), err
}

// done deletes a swept file.
func (s *spool) done(path string) error {
	s.mu.Lock()
	for i, p := range s.sealed {
		if p == path {
			s.sealed = append(s.sealed[:i], s.sealed[i+1:]...)
			break
		}
	}
	s.mu.Unlock()
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("audit: remove swept spool file: %w", err)
	}
	return nil
}

// close seals the active file; later spills write sealed files directly.
func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.sealLocked()
}

// poisonEntry is one line of poison.ndjson: a record (or an unreadable
// spool line) the database refused, with the reason.
type poisonEntry struct {
	Time   time.Time `json:"time"`
	Error  string    `json:"error"`
	Record *Record   `json:"record,omitempty"`
	Line   string    `json:"line,omitempty"`
}

// poison appends entries to poison.ndjson; they are never swept.
func (s *spool) poison(entries []poisonEntry) error {
	if len(entries) == 0 {
		return nil
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	for i := range entries {
		if err := enc.Encode(&entries[i]); err != nil {
			// Keep the entry in a form that always encodes.
			e := entries[i]
			e.Line = fmt.Sprintf("%+v", e.Record)
			e.Record = nil
			if err := enc.Encode(&e); err != nil {
				return fmt.Errorf("audit: encode poison entry: %w", err)
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(filepath.Join(s.dir, poisonFile), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("audit: open poison file: %w", err)
	}
	_, errW := f.Write(b.Bytes())
	if err := errors.Join(errW, f.Close()); err != nil {
		return fmt.Errorf("audit: write poison file: %w", err)
	}
	return nil
}
