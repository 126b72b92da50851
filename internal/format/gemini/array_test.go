package gemini

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

func collectArray(t *testing.T, r io.Reader) ([]string, error) {
	t.Helper()
	var out []string
	err := DecodeArrayStream(r, func(data []byte) error {
		out = append(out, string(data))
		return nil
	})
	return out, err
}

func TestDecodeArrayStream(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		want    []string
		wantErr error
	}{
		{"google layout", "[{\"a\": 1}\n,\r\n{\"b\": [1, {\"c\": \"]}\"}]}\n]", []string{`{"a": 1}`, `{"b": [1, {"c": "]}"}]}`}, nil},
		{"escaped quotes and braces in strings", `[{"t":"say \"}\" now \\"},{"u":"{"}]`, []string{`{"t":"say \"}\" now \\"}`, `{"u":"{"}`}, nil},
		{"empty array", " [ ] ", nil, nil},
		{"BOM and single error object", "\xEF\xBB\xBF{\"error\":{\"code\":400}}", []string{`{"error":{"code":400}}`}, nil},
		{"cut inside an element", `[{"a":1},{"b":`, []string{`{"a":1}`}, ErrArrayTruncated},
		{"cut before the closing bracket", `[{"a":1}`, []string{`{"a":1}`}, ErrArrayTruncated},
		{"empty body", ``, nil, ErrArrayTruncated},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// One byte per read proves elements are split incrementally.
			got, err := collectArray(t, iotest.OneByteReader(strings.NewReader(tt.body)))
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("err = %v, want %v", err, tt.wantErr)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("elements = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestDecodeArrayStreamRejectsGarbage(t *testing.T) {
	for _, body := range []string{`data: {}`, `[{"a":1} {"b":2}]`} {
		if _, err := collectArray(t, strings.NewReader(body)); err == nil || errors.Is(err, ErrArrayTruncated) {
			t.Errorf("%q: want a syntax error, got %v", body, err)
		}
	}
}

// Elements are emitted before the rest of the body exists: the reader
// blocks after the first element, and emit must already have seen it.
func TestDecodeArrayStreamIsIncremental(t *testing.T) {
	pr, pw := io.Pipe()
	got := make(chan string, 2)
	done := make(chan error, 1)
	go func() {
		done <- DecodeArrayStream(pr, func(d []byte) error { got <- string(d); return nil })
	}()
	if _, err := pw.Write([]byte(`[{"n":1}`)); err != nil {
		t.Fatal(err)
	}
	if first := <-got; first != `{"n":1}` {
		t.Fatalf("first element = %q", first)
	}
	_, _ = pw.Write([]byte(`,{"n":2}]`))
	_ = pw.Close()
	if second := <-got; second != `{"n":2}` {
		t.Errorf("second element = %q", second)
	}
	if err := <-done; err != nil {
		t.Errorf("err = %v", err)
	}
}

func TestDecodeArrayStreamStopsOnEmitError(t *testing.T) {
	stop := errors.New("client gone")
	n := 0
	err := DecodeArrayStream(strings.NewReader(`[{},{},{}]`), func([]byte) error { n++; return stop })
	if !errors.Is(err, stop) || n != 1 {
		t.Errorf("err=%v after %d elements", err, n)
	}
}

type flushBuffer struct {
	bytes.Buffer
	flushes int
}

func (f *flushBuffer) Flush() { f.flushes++ }

func TestArrayWriterRoundTrip(t *testing.T) {
	var buf flushBuffer
	aw := NewArrayWriter(&buf)
	evs := decodeAll(t, streamFrames(t, "text-stream-sse.response.sse"))
	enc := NewStreamEncoder(StreamOptions{ID: "r", Model: "m"})
	for _, ev := range evs {
		if err := enc.Encode(ev, aw); err != nil {
			t.Fatal(err)
		}
	}
	if err := aw.Close(); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte(`[{"candidates"`)) || !bytes.HasSuffix(buf.Bytes(), []byte("}]")) || buf.flushes < 2 {
		t.Fatalf("array body = %s (flushes %d)", buf.Bytes(), buf.flushes)
	}
	var frames [][]byte
	if err := DecodeArrayStream(bytes.NewReader(buf.Bytes()), func(d []byte) error {
		frames = append(frames, append([]byte(nil), d...))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if got, want := project(t, decodeAll(t, frames)), project(t, evs); !reflect.DeepEqual(got, want) {
		t.Errorf("array round trip:\n got %+v\nwant %+v", got, want)
	}
	var empty bytes.Buffer
	_ = NewArrayWriter(&empty).Close()
	if empty.String() != "[]" {
		t.Errorf("empty array = %q", empty.String())
	}
}
