package sse

import (
	"io"
	"strings"
	"testing"
)

// chunks hands out its parts one Read at a time.
type chunks struct{ parts []string }

func (c *chunks) Read(p []byte) (int, error) {
	if len(c.parts) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.parts[0])
	c.parts[0] = c.parts[0][n:]
	if c.parts[0] == "" {
		c.parts = c.parts[1:]
	}
	return n, nil
}

// Frames already buffered come from NextBuffered without a read and join,
// with the first one, into one slice of the buffer equal to their bytes.
func TestNextBufferedAndSinceJoinBufferedFrames(t *testing.T) {
	src := &chunks{parts: []string{"data: 1\n\n: ping\n\nevent: e\ndata: 2\n\ndata: 3", "\n\ndata: 4\n\n"}}
	r := NewReader(src, 0)
	first, err := r.Next()
	if err != nil || string(first.Data) != "1" {
		t.Fatalf("%q %v", first.Data, err)
	}
	m := r.Mark()
	var names []string
	for {
		ev, ok := r.NextBuffered()
		if !ok {
			break
		}
		names = append(names, ev.Name+":"+string(ev.Data))
	}
	if strings.Join(names, ",") != ":,e:2" {
		t.Fatalf("buffered frames %v", names)
	}
	joined, ok := r.Since(m)
	if !ok || string(joined) != "data: 1\n\n: ping\n\nevent: e\ndata: 2\n\n" {
		t.Fatalf("Since = %q %v", joined, ok)
	}
	if len(src.parts) != 1 {
		t.Fatal("NextBuffered read from the source")
	}
	// The partial "data: 3" frame resumes with Next, which reads; a mark
	// taken before that read no longer joins.
	ev, err := r.Next()
	if err != nil || string(ev.Data) != "3" {
		t.Fatalf("%q %v", ev.Data, err)
	}
	if _, ok := r.Since(m); ok {
		t.Fatal("Since joined across a read that moved the buffer")
	}
	if ev, ok := r.NextBuffered(); !ok || string(ev.Data) != "4" {
		t.Fatalf("%q %v", ev.Data, ok)
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("end: %v", err)
	}
	if _, ok := r.NextBuffered(); ok {
		t.Fatal("NextBuffered after the end")
	}
}

// A mark from before Reset never joins on the next stream.
func TestMarkDoesNotSurviveReset(t *testing.T) {
	r := NewReader(strings.NewReader("data: a\n\n"), 0)
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	m := r.Mark()
	r.Reset(strings.NewReader("data: b\n\n"))
	if _, err := r.Next(); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Since(m); ok {
		t.Fatal("a mark joined across Reset")
	}
}
