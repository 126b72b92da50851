package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
)

// ErrInvalidName is returned by WriteEvent for an event name containing a
// line break, which would split the frame on the client.
var ErrInvalidName = errors.New("sse: event name contains a line break")

// maxRetainedScratch caps the scratch buffer a Writer keeps between frames,
// so one huge event does not pin its memory for the rest of the stream.
const maxRetainedScratch = 64 << 10

// doneFrame is the OpenAI-family end-of-stream sentinel.
const doneFrame = "data: [DONE]\n\n"

// Writer writes SSE frames to a client, flushing after every frame so no
// event waits in a buffer. Each frame is assembled in a reused scratch
// buffer and handed to the sink in a single Write.
//
// A Writer is safe for concurrent use (e.g. a keep-alive ticker next to the
// event loop): frames are never interleaved.
type Writer struct {
	mu      sync.Mutex
	w       io.Writer
	flush   func() error
	scratch []byte
	hold    bool // write without flushing: more frames are about to follow
	pending bool // bytes written since the last flush
}

// Hold switches flushing off (true) while the caller knows more frames are
// already available, and back on (false). Turning it off does not flush by
// itself: the next write, or Flush, does.
func (w *Writer) Hold(on bool) {
	w.mu.Lock()
	w.hold = on
	w.mu.Unlock()
}

// Flush pushes out anything written while held.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.pending || w.flush == nil {
		return nil
	}
	w.pending = false
	if err := w.flush(); err != nil {
		return fmt.Errorf("sse: flush: %w", err)
	}
	return nil
}

// NewWriter returns a Writer on an HTTP response. Flushing goes through
// http.ResponseController, so wrapped ResponseWriters that implement
// Unwrap work; a ResponseWriter that cannot flush makes every write fail
// with an error wrapping http.ErrNotSupported rather than silently buffer.
func NewWriter(w http.ResponseWriter) *Writer {
	rc := http.NewResponseController(w)
	return &Writer{w: w, flush: rc.Flush}
}

// NewWriterTo returns a Writer on any sink. flush is called once after each
// frame; nil means the sink needs no flushing.
func NewWriterTo(w io.Writer, flush func() error) *Writer {
	return &Writer{w: w, flush: flush}
}

// WriteRaw writes frame unchanged and flushes. It is the byte relay's path:
// frame is typically an Event.Raw from Reader, already terminated.
func (w *Writer) WriteRaw(frame []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.emit(frame)
}

// WriteEvent writes "event: <name>\n" (omitted when name is ""), one
// "data: <line>\n" per line of data, and the blank line, then flushes.
// Lines of data are split at LF, CRLF and lone CR, because a client's
// parser ends a line at any of them; an empty data yields one empty data
// line, so clients still dispatch the event.
func (w *Writer) WriteEvent(name string, data []byte) error {
	if strings.ContainsAny(name, "\r\n") {
		return ErrInvalidName
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.scratch[:0]
	if name != "" {
		b = append(b, "event: "...)
		b = append(b, name...)
		b = append(b, '\n')
	}
	b = appendLines(b, "data: ", data)
	b = append(b, '\n')
	return w.send(b)
}

// WriteComment writes ": <text>\n\n" and flushes; clients ignore it, which
// makes it the keep-alive that stops idle proxies from closing the stream.
// A multi-line text becomes one comment line per line.
func (w *Writer) WriteComment(text string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := w.scratch[:0]
	for {
		i := strings.IndexAny(text, "\r\n")
		if i < 0 {
			break
		}
		b = append(b, ": "...)
		b = append(b, text[:i]...)
		b = append(b, '\n')
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
	b = append(b, ": "...)
	b = append(b, text...)
	b = append(b, "\n\n"...)
	return w.send(b)
}

// WriteDone writes the OpenAI-family terminator "data: [DONE]\n\n" and
// flushes.
func (w *Writer) WriteDone() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.send(append(w.scratch[:0], doneFrame...))
}

// send emits the assembled frame b and keeps its storage for the next
// frame unless it grew unusually large. Callers hold w.mu.
func (w *Writer) send(b []byte) error {
	if cap(b) <= maxRetainedScratch {
		w.scratch = b[:0]
	} else {
		w.scratch = nil
	}
	return w.emit(b)
}

// emit performs the single Write and the flush for one frame. Callers hold
// w.mu.
func (w *Writer) emit(frame []byte) error {
	if _, err := w.w.Write(frame); err != nil {
		return fmt.Errorf("sse: write frame: %w", err)
	}
	if w.flush == nil {
		return nil
	}
	if w.hold {
		w.pending = true
		return nil
	}
	w.pending = false
	if err := w.flush(); err != nil {
		return fmt.Errorf("sse: flush: %w", err)
	}
	return nil
}

// appendLines appends prefix+line+"\n" for every line of data, splitting at
// LF, CRLF and lone CR. It searches LF first (vectorised) and then CR only
// within that line, so JSON payloads (no raw line breaks) cost one scan.
func appendLines(b []byte, prefix string, data []byte) []byte {
	for {
		line := data
		nl := bytes.IndexByte(data, '\n')
		if nl >= 0 {
			line = data[:nl]
		}
		next := nl + 1
		if cr := bytes.IndexByte(line, '\r'); cr >= 0 {
			line = data[:cr]
			next = cr + 1
			if cr+1 < len(data) && data[cr+1] == '\n' {
				next = cr + 2
			}
		} else if nl < 0 {
			next = -1
		}
		b = append(b, prefix...)
		b = append(b, line...)
		b = append(b, '\n')
		if next < 0 {
			return b
		}
		data = data[next:]
	}
}

// SetStreamHeaders sets the response headers of an SSE stream (SPEC §6):
// the event-stream content type, no caching, keep-alive, and
// X-Accel-Buffering: no so an nginx in front does not hold events back.
func SetStreamHeaders(h http.Header) {
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("Connection", "keep-alive")
	h.Set("X-Accel-Buffering", "no")
}
