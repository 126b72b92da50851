package sse

import (
	"io"
	"reflect"
	"strings"
	"testing"
)

// chunkReader hands out s in reads of at most n bytes, like a socket
// delivering a large frame over many segments.
type chunkReader struct {
	s string
	n int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if c.s == "" {
		return 0, io.EOF
	}
	k := min(len(p), c.n, len(c.s))
	copy(p, c.s[:k])
	c.s = c.s[k:]
	return k, nil
}

func TestReaderLongLinesOverManyReadsParseLikeOneRead(t *testing.T) {
	// Lines longer than a read, with every terminator kind landing at and
	// around read boundaries, exercise the reader's memory of how far a
	// partial line was already searched.
	long := strings.Repeat("x", 3*initialBufSize+5)
	in := "event: big\r\ndata: " + long + "\rdata: " + long[:1000] + "\r\n\r\n" +
		"data: " + long + "\n\n" +
		": " + long[:4097] + "\r" + "data: tail\r\r" +
		"data: " + long[:50]
	want := readString(t, in, nil, 0)
	if want.err != ErrTruncated || len(want.frames) != 3 {
		t.Fatalf("whole read: %d frames err %v, want 3 and ErrTruncated", len(want.frames), want.err)
	}
	if want.frames[0].Data != long+"\n"+long[:1000] || want.frames[2].Data != "tail" {
		t.Fatal("whole read parsed the long lines wrongly")
	}
	for _, n := range []int{1, 3, 7, 1000, 4096, initialBufSize + 1} {
		got := readAll(t, NewReader(&chunkReader{s: in, n: n}, 0), len(in)+3)
		if got.err != want.err || !reflect.DeepEqual(got.parsed(), want.parsed()) {
			t.Fatalf("reads of %d bytes: parsed differently (err %v)", n, got.err)
		}
		if got.rawConcat() != in {
			t.Fatalf("reads of %d bytes: raw concat differs from input", n)
		}
	}
}
