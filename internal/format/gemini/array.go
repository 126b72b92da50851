package gemini

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// MaxArrayElementBytes caps one element of a JSON-array stream, matching the
// SSE reader's frame cap: a stream that never closes an element cannot make
// the decoder buffer without bound.
const MaxArrayElementBytes = 8 << 20

// ErrArrayTruncated reports a JSON-array stream that ended before its "]".
var ErrArrayTruncated = fmt.Errorf("gemini: array stream ended early: %w", io.ErrUnexpectedEOF)

// DecodeArrayStream splits streamGenerateContent's non-SSE form — a JSON
// array "[{…},\r\n{…}]" written incrementally — into element texts, calling
// emit for each as soon as its closing brace arrives. The slice passed to
// emit is reused: valid only during the call. Only the current element is
// buffered. A body that is one JSON object (an error answer) is emitted as
// a single element. Errors: emit's error as is, ErrArrayTruncated, or a
// syntax error for bytes that cannot start or separate elements.
func DecodeArrayStream(r io.Reader, emit func(data []byte) error) error {
	br := bufio.NewReaderSize(r, 32<<10)
	s := arrayScanner{r: br}
	if bom, err := br.Peek(3); err == nil && string(bom) == "\xEF\xBB\xBF" {
		_, _ = br.Discard(3)
	}
	c, err := s.skipSpace()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return ErrArrayTruncated
		}
		return err
	}
	if c == '{' {
		if err := s.element(c); err != nil {
			return err
		}
		return emit(s.elem)
	}
	if c != '[' {
		return fmt.Errorf("gemini: array stream starts with %q, want '['", c)
	}
	first := true
	for {
		c, err := s.skipSpace()
		if err != nil {
			return truncated(err)
		}
		if c == ']' {
			return nil
		}
		if !first {
			if c != ',' {
				return fmt.Errorf("gemini: array stream: want ',' or ']' between elements, got %q", c)
			}
			if c, err = s.skipSpace(); err != nil {
				return truncated(err)
			}
		}
		first = false
		if err := s.element(c); err != nil {
			return err
		}
		if err := emit(s.elem); err != nil {
			return err
		}
	}
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		return ErrArrayTruncated
	}
	return err
}

type arrayScanner struct {
	r    *bufio.Reader
	elem []byte
}

func (s *arrayScanner) skipSpace() (byte, error) {
	for {
		c, err := s.r.ReadByte()
		if err != nil {
			return 0, err
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c, nil
	}
}

// element reads one JSON value starting with first into s.elem. Objects and
// arrays end at their matching bracket (strings and escapes respected);
// scalars end at the next delimiter, which is pushed back.
func (s *arrayScanner) element(first byte) error {
	s.elem = append(s.elem[:0], first)
	if first != '{' && first != '[' {
		for {
			c, err := s.r.ReadByte()
			if err != nil {
				return truncated(err)
			}
			if c == ',' || c == ']' || c == ' ' || c == '\n' || c == '\r' || c == '\t' {
				return s.r.UnreadByte()
			}
			if err := s.push(c); err != nil {
				return err
			}
		}
	}
	depth, inStr, esc := 1, first == '"', false
	for depth > 0 {
		c, err := s.r.ReadByte()
		if err != nil {
			return truncated(err)
		}
		if err := s.push(c); err != nil {
			return err
		}
		switch {
		case inStr:
			switch {
			case esc:
				esc = false
			case c == '\\':
				esc = true
			case c == '"':
				inStr = false
			}
		case c == '"':
			inStr = true
		case c == '{' || c == '[':
			depth++
		case c == '}' || c == ']':
			depth--
		}
	}
	return nil
}

func (s *arrayScanner) push(c byte) error {
	if len(s.elem) >= MaxArrayElementBytes {
		return fmt.Errorf("gemini: array stream element exceeds %d bytes", MaxArrayElementBytes)
	}
	s.elem = append(s.elem, c)
	return nil
}

// ArrayWriter writes stream frames in the JSON-array form: "[" before the
// first element, ",\r\n" between elements (as Google does), "]" from Close.
// It satisfies EventWriter, ignoring event names, and flushes after each
// element when the underlying writer can.
type ArrayWriter struct {
	w      io.Writer
	buf    []byte
	n      int
	closed bool
}

// NewArrayWriter writes the array form to w.
func NewArrayWriter(w io.Writer) *ArrayWriter { return &ArrayWriter{w: w} }

// WriteEvent writes one element (data must be one JSON value).
func (a *ArrayWriter) WriteEvent(_ string, data []byte) error {
	if a.closed {
		return errors.New("gemini: write to closed ArrayWriter")
	}
	if a.n == 0 {
		a.buf = append(a.buf[:0], '[')
	} else {
		a.buf = append(a.buf[:0], ",\r\n"...)
	}
	a.buf = append(a.buf, data...)
	a.n++
	if _, err := a.w.Write(a.buf); err != nil {
		return fmt.Errorf("gemini: write array element: %w", err)
	}
	return a.flush()
}

// Close ends the array ("[]" if nothing was written). It does not close w.
func (a *ArrayWriter) Close() error {
	if a.closed {
		return nil
	}
	a.closed = true
	end := "]"
	if a.n == 0 {
		end = "[]"
	}
	if _, err := io.WriteString(a.w, end); err != nil {
		return fmt.Errorf("gemini: close array: %w", err)
	}
	return a.flush()
}

func (a *ArrayWriter) flush() error {
	switch f := a.w.(type) {
	case interface{ Flush() error }:
		return f.Flush()
	case interface{ Flush() }: // http.Flusher
		f.Flush()
	}
	return nil
}
