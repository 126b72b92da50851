// Package logsink buffers the gateway's log output. The access log writes a
// line per request; written through, each line is a write(2) on the log
// file, which in the load harness cost the gateway about 8 % of its CPU per
// request (docs/performance.md). Lines are collected in memory and written
// out together every interval, at once for records of level Warn and above,
// and on Close, as nginx's buffered access_log does.
package logsink

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Sink is a buffered, concurrency-safe writer that flushes on a timer.
type Sink struct {
	mu   sync.Mutex
	w    *bufio.Writer
	err  error // the first write error, kept for Close
	stop chan struct{}
	done chan struct{}
}

// bufSize is large enough for a burst of several hundred request lines;
// a line that does not fit goes out at once (bufio writes it through).
const bufSize = 64 << 10

// New buffers w and flushes it every interval (which must be positive).
func New(w io.Writer, interval time.Duration) *Sink {
	s := &Sink{w: bufio.NewWriterSize(w, bufSize), stop: make(chan struct{}), done: make(chan struct{})}
	go s.loop(interval)
	return s
}

func (s *Sink) loop(interval time.Duration) {
	defer close(s.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			_ = s.Flush()
		case <-s.stop:
			return
		}
	}
}

// Write buffers p.
func (s *Sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	n, err := s.w.Write(p)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

// Flush writes out what is buffered.
func (s *Sink) Flush() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.w.Buffered() == 0 {
		return nil
	}
	err := s.w.Flush()
	if err != nil && s.err == nil {
		s.err = err
	}
	return err
}

// Close stops the timer and flushes; it reports the first write error.
// Writes after Close are still buffered and need a Flush.
func (s *Sink) Close() error {
	select {
	case <-s.stop:
	default:
		close(s.stop)
		<-s.done
	}
	_ = s.Flush()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// Handler wraps h so that a record at level Warn or above reaches the
// output at once: warnings and errors are read when something is wrong,
// possibly just before the process dies.
func Handler(h slog.Handler, s *Sink) slog.Handler { return &flushing{Handler: h, s: s} }

type flushing struct {
	slog.Handler
	s *Sink
}

func (f *flushing) Handle(ctx context.Context, r slog.Record) error {
	err := f.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		_ = f.s.Flush()
	}
	return err
}

func (f *flushing) WithAttrs(as []slog.Attr) slog.Handler {
	return &flushing{Handler: f.Handler.WithAttrs(as), s: f.s}
}

func (f *flushing) WithGroup(name string) slog.Handler {
	return &flushing{Handler: f.Handler.WithGroup(name), s: f.s}
}
