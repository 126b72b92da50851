// Package sse frames Server-Sent Events on both sides of the gateway: Reader
// splits an upstream text/event-stream body into frames (keeping each frame's
// exact bytes so a relay can forward them untouched), and Writer assembles and
// flushes frames to the client, one flush per frame.
//
// Parsing follows the WHATWG HTML "event stream interpretation" rules
// (https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation):
// LF, CRLF and lone CR end a line; a blank line ends a frame; lines starting
// with ':' are comments; one space after a field's colon is dropped; unknown
// fields and retry are ignored. It imports nothing internal.
package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxFrameBytes is the frame size cap used when NewReader is given a
// value <= 0. It matches the gateway's default stream buffer cap (SPEC §6).
const DefaultMaxFrameBytes = 8 << 20

// initialBufSize is the reader's starting buffer. Typical LLM frames are a
// few hundred bytes (Gemini thinking frames a few KiB); keeping it modest
// bounds memory per open stream, and the buffer doubles on demand.
const initialBufSize = 16 << 10

// maxEmptyReads bounds consecutive (0, nil) reads before giving up, so a
// misbehaving io.Reader cannot spin Next forever (same guard as bufio).
const maxEmptyReads = 100

var (
	// ErrTruncated is returned with the partially parsed final frame when the
	// input ends after some frame content but before the blank line that would
	// end that frame. It wraps io.ErrUnexpectedEOF.
	ErrTruncated = fmt.Errorf("sse: stream ended inside a frame: %w", io.ErrUnexpectedEOF)

	// ErrFrameTooLarge is returned when a frame does not fit in the reader's
	// maxFrameBytes. It is terminal: the reader cannot resynchronise.
	ErrFrameTooLarge = errors.New("sse: frame exceeds size limit")
)

// utf8BOM is stripped from the start of the stream before parsing, as the
// WHATWG rules require; it still appears in the first frame's Raw.
const utf8BOM = "\xEF\xBB\xBF"

// bomLen is the length of a UTF-8 BOM prefixing line, or 0.
func bomLen(line []byte) int {
	if len(line) >= len(utf8BOM) && string(line[:len(utf8BOM)]) == utf8BOM {
		return len(utf8BOM)
	}
	return 0
}

// Event is one SSE frame: the lines up to and including a blank line.
//
// Data and Raw alias the Reader's internal buffers and are valid only until
// the next call to Next; copy them to keep them. Name and ID are ordinary
// strings and stay valid.
type Event struct {
	// Name is the value of the last "event:" field, "" when absent.
	Name string
	// ID is the value of the last "id:" field, "" when absent (or when it
	// contained U+0000, which the WHATWG rules say to ignore).
	ID string
	// Data holds all "data:" values joined with '\n'. It is nil when the frame
	// has no data line, and empty but non-nil for a lone "data:" line.
	Data []byte
	// Raw is the exact bytes consumed for this frame: any blank lines that
	// preceded it, its field and comment lines, and the terminating blank
	// line. Concatenating Raw over all calls (including the calls that return
	// an error) reproduces the input, so a relay forwards Raw byte for byte.
	Raw []byte
}

// Reader splits an SSE byte stream into frames. It is not safe for
// concurrent use.
type Reader struct {
	src io.Reader
	max int

	buf   []byte
	start int // first byte of the frame being parsed (including leading blank lines)
	pos   int // first byte of the next unparsed line
	end   int // end of valid data in buf

	// scanned is the buffer offset up to which bytes from pos are known to
	// hold no line terminator. A long line arriving over many reads is then
	// searched once, not from its start after every read (quadratic for
	// multi-MiB frames such as inline base64 images).
	scanned int

	readErr   error // non-EOF error from src, reported once buffered frames are drained
	eof       bool  // src returned io.EOF
	done      error // terminal error returned by every later Next
	pendingLF bool  // last line ended with a CR at the buffer's end; a following LF belongs to it
	started   bool  // the first line (which may carry a BOM) has been parsed

	// State of the frame being parsed. Data of a one-line frame stays in buf
	// (dataOff/dataLen) to avoid a copy; a second data line switches to the
	// scratch buffer data.
	hasContent bool
	name       string
	id         string
	dataLines  int
	dataOff    int
	dataLen    int
	data       []byte

	names  nameCache
	lastID string

	// Where the frame the last Next dispatched lies in buf, and how many
	// times fill has moved buf's contents: together they let a relay join
	// consecutive frames without copying (Mark, Since).
	lastStart, lastEnd int
	moves              uint64
}

// A Mark is the position of a frame Next returned, for Since.
type Mark struct {
	off   int
	moves uint64
}

// Mark returns the position of the frame the last Next returned.
func (r *Reader) Mark() Mark { return Mark{off: r.lastStart, moves: r.moves} }

// Since returns, as one slice of the reader's buffer, the raw bytes of the
// frame at m and of every frame Next returned after it: consecutive frames
// are adjacent. ok is false when a read has moved the buffer since m (a
// frame already buffered, reported by HasFrame, is returned without one).
// The slice is valid until the next call to Next, like a frame's Raw.
func (r *Reader) Since(m Mark) (raw []byte, ok bool) {
	if m.moves != r.moves || m.off > r.lastEnd {
		return nil, false
	}
	return r.buf[m.off:r.lastEnd:r.lastEnd], true
}

// NewReader returns a Reader over r that rejects frames larger than
// maxFrameBytes (<= 0 means DefaultMaxFrameBytes). The limit counts every
// byte of the frame's Raw, line terminators included.
func NewReader(r io.Reader, maxFrameBytes int) *Reader {
	if maxFrameBytes <= 0 {
		maxFrameBytes = DefaultMaxFrameBytes
	}
	return &Reader{src: r, max: maxFrameBytes}
}

// maxRetainedBuf caps the buffer Reset keeps, so a pooled Reader that once
// met a multi-MiB frame does not pin that memory.
const maxRetainedBuf = 1 << 20

// Reset discards all stream state and makes r read a new stream from src,
// keeping its limit, name cache and (unless oversized) buffers, so a pooled
// Reader costs no allocation per stream.
func (r *Reader) Reset(src io.Reader) {
	buf, data := r.buf, r.data[:0]
	if len(buf) > maxRetainedBuf {
		buf = nil
	}
	if cap(data) > maxRetainedBuf {
		data = nil
	}
	// moves carries on, so a Mark taken on the previous stream never matches.
	*r = Reader{src: src, max: r.max, buf: buf, data: data, names: r.names, moves: r.moves + 1}
}

// Next returns the next frame.
//
// Results, in the order a stream produces them:
//   - (frame, nil) for every frame ended by a blank line. Comment-only frames
//     (keep-alives such as ": ping") come back with Name "" and Data nil;
//     forward Raw, skip them otherwise (len(ev.Data) == 0 && ev.Name == "").
//   - (partial, ErrTruncated) when the input stops after frame content but
//     before its blank line; the event carries whatever was parsed, so a
//     final "data: [DONE]\n" without the blank line is still usable.
//   - (ev, io.EOF) at the clean end of input. ev.Raw is non-empty only when
//     blank lines followed the last frame (they belong to no frame); a relay
//     that wants exact bytes forwards it.
//   - (Event{}, err) wrapping the underlying reader's error (errors.Is works,
//     e.g. for context.Canceled), or ErrFrameTooLarge. A partial frame is
//     dropped in this case.
//
// Blank lines before a frame are not frames of their own: they are kept at
// the front of the next frame's Raw. Frames are returned as soon as their
// blank line is buffered; Next never waits for more input to return a
// complete frame. The one visible consequence: if a frame ends with CR and
// the following LF has not arrived yet, the frame's Raw ends at the CR and
// the LF starts the next Raw (the bytes forwarded are identical either way).
//
// After any non-nil error, every later call returns io.EOF (after io.EOF or
// ErrTruncated) or the same error.
func (r *Reader) Next() (Event, error) {
	if r.done != nil {
		return Event{}, r.done
	}
	for {
		if ev, ok := r.scan(); ok {
			return ev, nil
		}
		if r.eof {
			return r.finish()
		}
		if r.readErr != nil {
			r.done = fmt.Errorf("sse: read: %w", r.readErr)
			return Event{}, r.done
		}
		if err := r.fill(); err != nil {
			r.done = err
			return Event{}, err
		}
	}
}

// scan parses complete lines from r.pos and reports a frame once a blank
// line ends one. It returns false when it needs more input.
func (r *Reader) scan() (Event, bool) {
	for {
		if r.pendingLF {
			if r.pos == r.end {
				return Event{}, false
			}
			if r.buf[r.pos] == '\n' {
				r.pos++
			}
			r.pendingLF = false
		}
		seg := r.buf[r.pos:r.end]
		skip := max(r.scanned-r.pos, 0) // seg[:skip] holds no CR or LF
		// Search LF with the vectorised IndexByte over the whole buffer, then
		// CR only within that one line, so LF-only streams pay one scan.
		nl := bytes.IndexByte(seg[skip:], '\n')
		lineSeg := seg
		if nl >= 0 {
			nl += skip
			lineSeg = seg[:nl]
		}
		cr := bytes.IndexByte(lineSeg[skip:], '\r')
		if cr >= 0 {
			cr += skip
		}
		var lineLen, next int
		switch {
		case cr >= 0:
			lineLen, next = cr, cr+1
			if cr+1 < len(seg) {
				if seg[cr+1] == '\n' {
					next = cr + 2
				}
			} else if !r.eof {
				// The CR ends the line now; if an LF arrives next it is the
				// second half of a CRLF, not an extra blank line.
				r.pendingLF = true
			}
		case nl >= 0:
			lineLen, next = nl, nl+1
		default:
			r.scanned = r.end
			return Event{}, false
		}
		lineStart := r.pos
		r.pos += next
		if !r.started {
			r.started = true
			n := bomLen(r.buf[lineStart : lineStart+lineLen])
			lineStart += n
			lineLen -= n
		}
		if lineLen == 0 {
			if !r.hasContent {
				continue // leading blank line: stays in the next frame's Raw
			}
			return r.dispatch(), true
		}
		r.hasContent = true
		r.field(lineStart, lineLen)
	}
}

// field applies one non-blank line to the frame being parsed.
func (r *Reader) field(off, n int) {
	line := r.buf[off : off+n]
	if line[0] == ':' {
		return // comment: only Raw keeps it
	}
	fname, vOff := line, n
	if colon := bytes.IndexByte(line, ':'); colon >= 0 {
		fname, vOff = line[:colon], colon+1
		if vOff < n && line[vOff] == ' ' {
			vOff++
		}
	}
	value := line[vOff:]
	switch string(fname) {
	case "data":
		r.addData(off+vOff, len(value))
	case "event":
		r.name = r.names.intern(value)
	case "id":
		if bytes.IndexByte(value, 0) < 0 {
			r.id = r.internID(value)
		}
	}
}

// addData records one data value located at buf[off:off+n].
func (r *Reader) addData(off, n int) {
	switch r.dataLines {
	case 0:
		r.dataOff, r.dataLen = off, n
	case 1:
		r.data = append(r.data[:0], r.buf[r.dataOff:r.dataOff+r.dataLen]...)
		r.data = append(r.data, '\n')
		r.data = append(r.data, r.buf[off:off+n]...)
	default:
		r.data = append(r.data, '\n')
		r.data = append(r.data, r.buf[off:off+n]...)
	}
	r.dataLines++
}

// internID avoids a string allocation when a stream repeats its last id.
func (r *Reader) internID(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	if string(v) != r.lastID {
		r.lastID = string(v)
	}
	return r.lastID
}

// dispatch builds the event for buf[start:pos] and resets frame state.
// Slices are capped so a caller's append cannot scribble on the buffer.
func (r *Reader) dispatch() Event {
	ev := Event{Name: r.name, ID: r.id, Raw: r.buf[r.start:r.pos:r.pos]}
	r.lastStart, r.lastEnd = r.start, r.pos
	switch r.dataLines {
	case 0:
	case 1:
		e := r.dataOff + r.dataLen
		ev.Data = r.buf[r.dataOff:e:e]
	default:
		ev.Data = r.data[:len(r.data):len(r.data)]
	}
	r.start = r.pos
	r.hasContent = false
	r.name, r.id = "", ""
	r.dataLines = 0
	return ev
}

// finish handles end of input once no complete frame is left.
func (r *Reader) finish() (Event, error) {
	r.done = io.EOF
	if r.pos < r.end {
		// An unterminated final line still counts (e.g. "data: [DONE]").
		// It is non-blank, otherwise scan would have consumed it.
		lineStart, lineLen := r.pos, r.end-r.pos
		if !r.started {
			r.started = true
			n := bomLen(r.buf[lineStart:r.end])
			lineStart += n
			lineLen -= n
		}
		r.pos = r.end
		if lineLen > 0 {
			r.hasContent = true
			r.field(lineStart, lineLen)
		}
	}
	if r.hasContent {
		return r.dispatch(), ErrTruncated
	}
	if r.start < r.end {
		raw := r.buf[r.start:r.end:r.end]
		r.start = r.end
		return Event{Raw: raw}, io.EOF
	}
	return Event{}, io.EOF
}

// fill compacts the buffer, grows it if the current frame fills it, and
// performs one successful Read. Read errors are recorded, not returned, so
// frames already buffered are delivered first.
func (r *Reader) fill() error {
	if r.start > 0 {
		r.moves++
		shift := r.start
		copy(r.buf, r.buf[shift:r.end])
		r.end -= shift
		r.pos -= shift
		r.dataOff -= shift // only meaningful while dataLines == 1
		r.scanned -= shift // may go negative; scan clamps it
		r.start = 0
	}
	if r.end == len(r.buf) {
		if len(r.buf) >= r.max {
			return ErrFrameTooLarge
		}
		size := min(max(2*len(r.buf), initialBufSize), r.max)
		nb := make([]byte, size)
		copy(nb, r.buf[:r.end])
		r.buf = nb
		r.moves++
	}
	for range maxEmptyReads {
		n, err := r.src.Read(r.buf[r.end:])
		if n < 0 || n > len(r.buf)-r.end {
			return fmt.Errorf("sse: read: invalid count %d from reader", n)
		}
		r.end += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				r.eof = true
			} else {
				r.readErr = err
			}
			return nil
		}
		if n > 0 {
			return nil
		}
	}
	r.readErr = io.ErrNoProgress
	return nil
}

// NextBuffered returns the next frame if it is complete in the buffer, and
// false (without reading) otherwise; a later Next resumes where it stopped.
// Since it never reads, frames it returns after a Mark stay joinable with
// Since. After an error or the end of input it returns false.
func (r *Reader) NextBuffered() (Event, bool) {
	if r.done != nil {
		return Event{}, false
	}
	return r.scan()
}

// HasFrame reports whether a complete frame is already in the buffer, so
// that Next returns it without reading.
func (r *Reader) HasFrame() bool {
	if r.done != nil {
		return false
	}
	// Skip the line breaks left before the next frame by hand: TrimLeft
	// builds a byte set on every call, and this runs once per relayed frame.
	rest := r.buf[r.pos:r.end]
	for len(rest) > 0 && (rest[0] == '\n' || rest[0] == '\r') {
		rest = rest[1:]
	}
	return bytes.Contains(rest, lfLF) || bytes.Contains(rest, crCR) || bytes.Contains(rest, crlfCRLF)
}

// Buffered reports whether a complete frame (or the end of input) is already
// in the buffer, so the next call to Next will not wait on the source. A
// relay uses it to decide when to flush: only when it would otherwise wait.
func (r *Reader) Buffered() bool {
	if r.done != nil || r.eof || r.readErr != nil {
		return true
	}
	// Blank lines before a frame belong to it: a buffer holding only those
	// and a partial frame is not a complete frame.
	return r.HasFrame()
}

var (
	lfLF     = []byte("\n\n")
	crCR     = []byte("\r\r")
	crlfCRLF = []byte("\n\r\n")
)
