package sse

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
)

// frame is a copied Event (Event's slices die at the next Next call).
type frame struct {
	Name, ID string
	Data     string
	NoData   bool // Event.Data was nil
	Raw      string
}

func (f frame) String() string {
	d := fmt.Sprintf("%q", f.Data)
	if f.NoData {
		d = "nil"
	}
	return fmt.Sprintf("{name=%q id=%q data=%s raw=%q}", f.Name, f.ID, d, f.Raw)
}

func copyEvent(ev Event) frame {
	return frame{Name: ev.Name, ID: ev.ID, Data: string(ev.Data), NoData: ev.Data == nil, Raw: string(ev.Raw)}
}

// result is everything a Reader produced for one input.
type result struct {
	frames []frame // returned with a nil error
	last   frame   // returned together with the terminal error
	err    error   // the terminal error
	calls  int
}

// rawConcat is the byte stream a relay forwarding every Raw would emit.
func (res result) rawConcat() string {
	var b strings.Builder
	for _, f := range res.frames {
		b.WriteString(f.Raw)
	}
	b.WriteString(res.last.Raw)
	return b.String()
}

// parsed drops Raw, keeping what a decoder sees, for comparisons across
// read chunkings (which may move a CRLF's LF to the next frame's Raw).
func (res result) parsed() []frame {
	out := make([]frame, 0, len(res.frames)+1)
	for _, f := range res.frames {
		f.Raw = ""
		out = append(out, f)
	}
	last := res.last
	last.Raw = ""
	return append(out, last)
}

// readAll drains r. It fails the test if Next is called more than limit
// times, which would mean a frame that consumed no input (an endless loop).
func readAll(t testing.TB, r *Reader, limit int) result {
	t.Helper()
	var res result
	for {
		res.calls++
		if res.calls > limit {
			t.Fatalf("Next called %d times without terminating", res.calls)
		}
		ev, err := r.Next()
		if err != nil {
			res.last, res.err = copyEvent(ev), err
			// A terminal error must stay terminal.
			if ev2, err2 := r.Next(); len(ev2.Raw) != 0 || (err2 != err && !(errors.Is(err, ErrTruncated) && err2 == io.EOF)) {
				t.Fatalf("Next after %v returned raw=%q err=%v", err, ev2.Raw, err2)
			}
			return res
		}
		if len(ev.Raw) == 0 {
			t.Fatalf("frame %d has empty Raw", len(res.frames))
		}
		if cap(ev.Raw) != len(ev.Raw) || cap(ev.Data) != len(ev.Data) {
			t.Fatalf("frame %d slices not capped: raw %d/%d data %d/%d", len(res.frames), len(ev.Raw), cap(ev.Raw), len(ev.Data), cap(ev.Data))
		}
		res.frames = append(res.frames, copyEvent(ev))
	}
}

// readString reads in with the given chunking wrapper and frame limit.
func readString(t testing.TB, in string, wrap func(io.Reader) io.Reader, maxFrame int) result {
	t.Helper()
	var src io.Reader = bytes.NewReader([]byte(in))
	if wrap != nil {
		src = wrap(src)
	}
	return readAll(t, NewReader(src, maxFrame), len(in)+3)
}
