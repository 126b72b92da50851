package sse

import (
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"testing/iotest"
)

func TestReaderFrames(t *testing.T) {
	tests := []struct {
		name     string
		in       string
		maxFrame int
		want     []frame // frames returned with a nil error
		wantLast frame   // the event returned with the terminal error
		wantErr  error
	}{
		{
			name:    "empty input is a clean EOF",
			in:      "",
			wantErr: io.EOF,
		},
		{
			name:    "LF data frame",
			in:      "data: hello\n\n",
			want:    []frame{{Data: "hello", Raw: "data: hello\n\n"}},
			wantErr: io.EOF,
		},
		{
			name: "CRLF event and data as Gemini sends",
			in:   "event: a\r\ndata: {\"x\":1}\r\n\r\ndata: 2\r\n\r\n",
			want: []frame{
				{Name: "a", Data: `{"x":1}`, Raw: "event: a\r\ndata: {\"x\":1}\r\n\r\n"},
				{Data: "2", Raw: "data: 2\r\n\r\n"},
			},
			wantErr: io.EOF,
		},
		{
			name: "lone CR ends lines and frames",
			in:   "event: a\rdata: x\r\rdata: y\r\r",
			want: []frame{
				{Name: "a", Data: "x", Raw: "event: a\rdata: x\r\r"},
				{Data: "y", Raw: "data: y\r\r"},
			},
			wantErr: io.EOF,
		},
		{
			name:    "mixed line endings inside one frame",
			in:      "data: a\r\ndata: b\rdata: c\n\r\n",
			want:    []frame{{Data: "a\nb\nc", Raw: "data: a\r\ndata: b\rdata: c\n\r\n"}},
			wantErr: io.EOF,
		},
		{
			name:    "multi-line data joined with LF",
			in:      "data: {\ndata:   \"a\": 1\ndata: }\n\n",
			want:    []frame{{Data: "{\n  \"a\": 1\n}", Raw: "data: {\ndata:   \"a\": 1\ndata: }\n\n"}},
			wantErr: io.EOF,
		},
		{
			name: "only one space after the colon is removed",
			in:   "data:x\n\ndata:  x\n\ndata:\tx\n\n",
			want: []frame{
				{Data: "x", Raw: "data:x\n\n"},
				{Data: " x", Raw: "data:  x\n\n"},
				{Data: "\tx", Raw: "data:\tx\n\n"},
			},
			wantErr: io.EOF,
		},
		{
			name: "empty data line gives empty non-nil data",
			in:   "data:\n\ndata\n\ndata: \n\n",
			want: []frame{
				{Data: "", Raw: "data:\n\n"},
				{Data: "", Raw: "data\n\n"},
				{Data: "", Raw: "data: \n\n"},
			},
			wantErr: io.EOF,
		},
		{
			name:    "empty data lines keep their place when joined",
			in:      "data\ndata: a\ndata:\n\n",
			want:    []frame{{Data: "\na\n", Raw: "data\ndata: a\ndata:\n\n"}},
			wantErr: io.EOF,
		},
		{
			name: "comment-only frames are returned for forwarding",
			in:   ": OPENROUTER PROCESSING\n\n:\n\ndata: x\n\n",
			want: []frame{
				{NoData: true, Raw: ": OPENROUTER PROCESSING\n\n"},
				{NoData: true, Raw: ":\n\n"},
				{Data: "x", Raw: "data: x\n\n"},
			},
			wantErr: io.EOF,
		},
		{
			name:    "comments inside a frame are kept in Raw only",
			in:      ": a\ndata: x\n: data: y\ndata: z\n\n",
			want:    []frame{{Data: "x\nz", Raw: ": a\ndata: x\n: data: y\ndata: z\n\n"}},
			wantErr: io.EOF,
		},
		{
			name:    "event id and data together",
			in:      "id: 42\nevent: content_block_delta\ndata: {}\n\n",
			want:    []frame{{Name: "content_block_delta", ID: "42", Data: "{}", Raw: "id: 42\nevent: content_block_delta\ndata: {}\n\n"}},
			wantErr: io.EOF,
		},
		{
			name: "id is per frame and last field wins",
			in:   "id: 1\nid: 2\nevent: a\nevent: b\ndata: x\n\ndata: y\n\n",
			want: []frame{
				{Name: "b", ID: "2", Data: "x", Raw: "id: 1\nid: 2\nevent: a\nevent: b\ndata: x\n\n"},
				{Data: "y", Raw: "data: y\n\n"},
			},
			wantErr: io.EOF,
		},
		{
			name:    "id containing NUL is ignored",
			in:      "id: a\x00b\ndata: x\n\n",
			want:    []frame{{Data: "x", Raw: "id: a\x00b\ndata: x\n\n"}},
			wantErr: io.EOF,
		},
		{
			name:    "event without data has nil data",
			in:      "event: ping\n\n",
			want:    []frame{{Name: "ping", NoData: true, Raw: "event: ping\n\n"}},
			wantErr: io.EOF,
		},
		{
			name:    "retry unknown fields and colonless names are ignored",
			in:      "retry: 1000\nfoo: bar\nDATA: no\nevent\ndata: ok\n\n",
			want:    []frame{{Data: "ok", Raw: "retry: 1000\nfoo: bar\nDATA: no\nevent\ndata: ok\n\n"}},
			wantErr: io.EOF,
		},
		{
			name:    "colon inside the value is kept",
			in:      "data: a: b:c\n\n",
			want:    []frame{{Data: "a: b:c", Raw: "data: a: b:c\n\n"}},
			wantErr: io.EOF,
		},
		{
			name:    "Anthropic trailing space padding is kept",
			in:      "event: ping\ndata: {\"type\": \"ping\"}     \n\n",
			want:    []frame{{Name: "ping", Data: "{\"type\": \"ping\"}     ", Raw: "event: ping\ndata: {\"type\": \"ping\"}     \n\n"}},
			wantErr: io.EOF,
		},
		{
			name: "leading blank lines go to the next frame's Raw",
			in:   "\n\r\ndata: a\n\n\n\ndata: b\n\n",
			want: []frame{
				{Data: "a", Raw: "\n\r\ndata: a\n\n"},
				{Data: "b", Raw: "\n\ndata: b\n\n"},
			},
			wantErr: io.EOF,
		},
		{
			name:     "blank lines after the last frame come back with EOF",
			in:       "data: a\n\n\n\r\n",
			want:     []frame{{Data: "a", Raw: "data: a\n\n"}},
			wantLast: frame{NoData: true, Raw: "\n\r\n"},
			wantErr:  io.EOF,
		},
		{
			name:     "final frame without blank line is truncated but parsed",
			in:       "data: {}\n\ndata: [DONE]\n",
			want:     []frame{{Data: "{}", Raw: "data: {}\n\n"}},
			wantLast: frame{Data: "[DONE]", Raw: "data: [DONE]\n"},
			wantErr:  ErrTruncated,
		},
		{
			name:     "final line without terminator is parsed",
			in:       "event: message_stop\ndata: {\"type\":\"message_stop\"}",
			wantLast: frame{Name: "message_stop", Data: `{"type":"message_stop"}`, Raw: "event: message_stop\ndata: {\"type\":\"message_stop\"}"},
			wantErr:  ErrTruncated,
		},
		{
			name:     "final frame of only a comment is truncated with nil data",
			in:       ": keep",
			wantLast: frame{NoData: true, Raw: ": keep"},
			wantErr:  ErrTruncated,
		},
		{
			name:     "raw JSON error body after frames is a truncated frame without data",
			in:       "data: {}\n\n{\n  \"error\": {\"code\": 499}\n}\n",
			want:     []frame{{Data: "{}", Raw: "data: {}\n\n"}},
			wantLast: frame{NoData: true, Raw: "{\n  \"error\": {\"code\": 499}\n}\n"},
			wantErr:  ErrTruncated,
		},
		{
			name:    "UTF-8 BOM at stream start is skipped but kept in Raw",
			in:      "\xEF\xBB\xBFdata: x\n\n\xEF\xBB\xBFdata: y\n\n",
			want:    []frame{{Data: "x", Raw: "\xEF\xBB\xBFdata: x\n\n"}, {NoData: true, Raw: "\xEF\xBB\xBFdata: y\n\n"}},
			wantErr: io.EOF,
		},
		{
			name:     "frame of exactly the limit is accepted",
			in:       "data: 12345678\n\n",
			maxFrame: 16,
			want:     []frame{{Data: "12345678", Raw: "data: 12345678\n\n"}},
			wantErr:  io.EOF,
		},
		{
			name:     "frame over the limit fails after earlier frames",
			in:       "data: 1\n\ndata: 123456789\n\ndata: 2\n\n",
			maxFrame: 16,
			want:     []frame{{Data: "1", Raw: "data: 1\n\n"}},
			wantLast: frame{NoData: true},
			wantErr:  ErrFrameTooLarge,
		},
		{
			name:     "leading blank lines count toward the limit",
			in:       strings.Repeat("\n", 20) + "data: 1\n\n",
			maxFrame: 16,
			wantLast: frame{NoData: true},
			wantErr:  ErrFrameTooLarge,
		},
	}
	readers := []struct {
		name string
		wrap func(io.Reader) io.Reader
	}{
		{"whole", nil},
		{"one byte", iotest.OneByteReader},
		{"half", iotest.HalfReader},
		{"data with EOF", iotest.DataErrReader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var whole result
			for i, rd := range readers {
				got := readString(t, tt.in, rd.wrap, tt.maxFrame)
				if !errors.Is(got.err, tt.wantErr) {
					t.Fatalf("%s: err = %v, want %v", rd.name, got.err, tt.wantErr)
				}
				if i == 0 {
					whole = got
					if !reflect.DeepEqual(got.frames, tt.want) && (len(got.frames) != 0 || len(tt.want) != 0) {
						t.Fatalf("%s: frames\n got %v\nwant %v", rd.name, got.frames, tt.want)
					}
					if tt.wantLast.Raw == "" && !tt.wantLast.NoData && tt.wantLast.Data == "" && tt.wantErr != ErrTruncated {
						tt.wantLast.NoData = true // zero Event: nil Data
					}
					if got.last != tt.wantLast {
						t.Fatalf("%s: last event %v, want %v", rd.name, got.last, tt.wantLast)
					}
					continue
				}
				// Other chunkings must parse identically and forward the same
				// bytes; Raw boundaries may differ only by a CRLF split.
				if !reflect.DeepEqual(got.parsed(), whole.parsed()) {
					t.Errorf("%s: parsed\n got %v\nwant %v", rd.name, got.parsed(), whole.parsed())
				}
				if got.rawConcat() != whole.rawConcat() {
					t.Errorf("%s: raw concat %q, want %q", rd.name, got.rawConcat(), whole.rawConcat())
				}
				if !strings.Contains(tt.in, "\r") && !reflect.DeepEqual(got.frames, whole.frames) {
					t.Errorf("%s: frames\n got %v\nwant %v", rd.name, got.frames, whole.frames)
				}
			}
			if tt.wantErr != ErrFrameTooLarge && whole.rawConcat() != tt.in {
				t.Errorf("raw concat %q, want input %q", whole.rawConcat(), tt.in)
			}
		})
	}
}

func TestReaderCRLFSplitAcrossReadsMovesLFToNextRaw(t *testing.T) {
	// The frame must be delivered when its blank line's CR arrives, without
	// waiting for the LF that may follow.
	src := &scriptedReader{chunks: []string{"data: a\r\n\r", "\ndata: b\r\n\r\n"}}
	r := NewReader(src, 0)
	ev, err := r.Next()
	if err != nil || string(ev.Data) != "a" || string(ev.Raw) != "data: a\r\n\r" {
		t.Fatalf("first = %v, %v", copyEvent(ev), err)
	}
	if src.next != 1 {
		t.Fatalf("reader consumed %d chunks before returning a complete frame, want 1", src.next)
	}
	ev, err = r.Next()
	if err != nil || string(ev.Data) != "b" || string(ev.Raw) != "\ndata: b\r\n\r\n" {
		t.Fatalf("second = %v, %v", copyEvent(ev), err)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end err = %v, want io.EOF", err)
	}
}

func TestReaderCRLFSplitInsideFrameIsOneLineEnd(t *testing.T) {
	// An LF after a CR that ended a read must not count as a blank line.
	src := &scriptedReader{chunks: []string{"data: a\r", "\ndata: b\r", "\n\r\n"}}
	res := readAll(t, NewReader(src, 0), 10)
	want := []frame{{Data: "a\nb", Raw: "data: a\r\ndata: b\r\n\r\n"}}
	if !reflect.DeepEqual(res.frames, want) || res.err != io.EOF {
		t.Fatalf("got %v err %v, want %v", res.frames, res.err, want)
	}
}

func TestReaderReturnsFramesBeforeWaitingForMoreInput(t *testing.T) {
	// Two frames in one read: both come back before the source is read again.
	src := &scriptedReader{chunks: []string{"data: 1\n\ndata: 2\n\n", "data: 3\n\n"}}
	r := NewReader(src, 0)
	for i, want := range []string{"1", "2"} {
		ev, err := r.Next()
		if err != nil || string(ev.Data) != want {
			t.Fatalf("frame %d = %v, %v", i, copyEvent(ev), err)
		}
		if src.next != 1 {
			t.Fatalf("frame %d: source read %d times, want 1", i, src.next)
		}
	}
}

func TestReaderPropagatesReadErrors(t *testing.T) {
	tests := []struct {
		name   string
		src    io.Reader
		frames []string
		target error
	}{
		{
			name:   "context cancellation after a frame, partial frame dropped",
			src:    io.MultiReader(strings.NewReader("data: a\n\ndata: par"), iotest.ErrReader(context.Canceled)),
			frames: []string{"a"},
			target: context.Canceled,
		},
		{
			name:   "error returned together with the last bytes",
			src:    &scriptedReader{chunks: []string{"data: a\n\n"}, errAfter: syscall.ECONNRESET, errWithData: true},
			frames: []string{"a"},
			target: syscall.ECONNRESET,
		},
		{
			name:   "reader making no progress",
			src:    &scriptedReader{chunks: []string{"data: a\n\n"}, stall: true},
			frames: []string{"a"},
			target: io.ErrNoProgress,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := readAll(t, NewReader(tt.src, 0), 10)
			var got []string
			for _, f := range res.frames {
				got = append(got, f.Data)
			}
			if !reflect.DeepEqual(got, tt.frames) {
				t.Fatalf("frames %q, want %q", got, tt.frames)
			}
			if !errors.Is(res.err, tt.target) {
				t.Fatalf("err = %v, want wrapping %v", res.err, tt.target)
			}
			if res.last.Raw != "" {
				t.Fatalf("error came with raw %q, want none", res.last.Raw)
			}
		})
	}
}

func TestReaderTruncatedWrapsUnexpectedEOF(t *testing.T) {
	if !errors.Is(ErrTruncated, io.ErrUnexpectedEOF) {
		t.Fatal("ErrTruncated does not wrap io.ErrUnexpectedEOF")
	}
}

func TestReaderGrowsBufferForLargeFrames(t *testing.T) {
	big := strings.Repeat("x", 3*initialBufSize)
	in := "data: a\n\ndata: " + big + "\n\ndata: b\n\n"
	res := readString(t, in, nil, 0)
	if res.err != io.EOF || len(res.frames) != 3 || res.frames[1].Data != big {
		t.Fatalf("got %d frames err %v", len(res.frames), res.err)
	}
	if res.rawConcat() != in {
		t.Fatal("raw concat differs from input")
	}
}

func TestReaderResetReadsNewStream(t *testing.T) {
	r := NewReader(strings.NewReader("event: x\ndata: partial"), 0)
	if _, err := r.Next(); err != ErrTruncated {
		t.Fatalf("err = %v, want ErrTruncated", err)
	}
	r.Reset(strings.NewReader("data: fresh\n\n"))
	res := readAll(t, r, 5)
	want := []frame{{Data: "fresh", Raw: "data: fresh\n\n"}}
	if !reflect.DeepEqual(res.frames, want) || res.err != io.EOF {
		t.Fatalf("after Reset got %v err %v", res.frames, res.err)
	}
}

func TestReaderSteadyStateDoesNotAllocate(t *testing.T) {
	frames := "event: content_block_delta\ndata: {\"delta\":\"hi\"}\n\n" +
		"event: vendor.custom\nid: 7\ndata: a\ndata: b\n\n" +
		": ping\n\n" +
		"data: {\"choices\":[]}\r\n\r\n"
	r := NewReader(&repeatReader{pattern: []byte(frames)}, 0)
	for range 16 { // warm up: buffer, scratch, name and id caches
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Next allocates %.2f times per frame, want 0", allocs)
	}
}

func TestReaderNamesAreStableStrings(t *testing.T) {
	// Name and ID must not alias the buffer: they stay valid after Next.
	r := NewReader(strings.NewReader("event: custom.one\nid: abc\ndata: 1\n\nevent: custom.two\nid: def\ndata: 2\n\n"), 0)
	first, err := r.Next()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if first.Name != "custom.one" || first.ID != "abc" {
		t.Fatalf("first event changed to name=%q id=%q", first.Name, first.ID)
	}
}

// scriptedReader returns one chunk per Read, then io.EOF (or errAfter).
type scriptedReader struct {
	chunks      []string
	next        int
	errAfter    error
	errWithData bool // return errAfter with the final chunk
	stall       bool // after the chunks, return (0, nil) forever
}

func (s *scriptedReader) Read(p []byte) (int, error) {
	if s.next >= len(s.chunks) {
		if s.stall {
			return 0, nil
		}
		if s.errAfter != nil {
			return 0, s.errAfter
		}
		return 0, io.EOF
	}
	c := s.chunks[s.next]
	n := copy(p, c)
	if n < len(c) {
		s.chunks[s.next] = c[n:]
		return n, nil
	}
	s.next++
	if s.next == len(s.chunks) && s.errWithData && s.errAfter != nil {
		return n, s.errAfter
	}
	return n, nil
}

// repeatReader yields pattern forever without allocating.
type repeatReader struct {
	pattern []byte
	off     int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.pattern[r.off:])
		n += c
		r.off = (r.off + c) % len(r.pattern)
	}
	return n, nil
}

func TestBufferedTellsWhetherNextWouldWait(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader(pr, 0)
	go func() { _, _ = pw.Write([]byte("data: 1\n\ndata: 2\n\ndata: 3")) }()
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if !r.Buffered() {
		t.Fatal("frame 2 is complete in the buffer")
	}
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if r.Buffered() {
		t.Fatal("frame 3 is incomplete: Next would wait")
	}
	go func() { _, _ = pw.Write([]byte("\n\n")); _ = pw.Close() }()
	if ev, err := r.Next(); err != nil || string(ev.Data) != "3" {
		t.Fatalf("%q %v", ev.Data, err)
	}
	for _, in := range []string{"\r\n\r\ndata: x", "\n\ndata: x"} {
		r := NewReader(strings.NewReader(in), 0)
		r.buf = append(r.buf[:0], in...)
		r.end = len(in)
		if r.Buffered() {
			t.Fatalf("%q: leading blank lines are not a frame", in)
		}
	}
}
