package sse

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"testing/iotest"
)

// fuzzSmallFrame is a frame limit small enough for fuzz inputs to hit it.
const fuzzSmallFrame = 64

func FuzzReader(f *testing.F) {
	seeds, err := filepath.Glob("testdata/*.sse")
	if err != nil {
		f.Fatal(err)
	}
	for _, p := range seeds {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		"",
		"\n",
		"\r",
		"\r\n\r\n\n\r",
		"data",
		"data:",
		":",
		"data: a\rdata: b\r\r",
		"data: x\r\n\r",
		"\xEF\xBB\xBFdata: bom\n\n",
		"\xEF\xBB",
		"id: \x00\ndata: y\n\n",
		"event: ping\nevent\n\ndata: [DONE]",
		"data: " + strings.Repeat("x", 2*fuzzSmallFrame) + "\n\n",
		strings.Repeat("\n", 2*fuzzSmallFrame),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// Limit above any input: the whole input must come back as Raw.
		whole := readString(t, string(in), nil, len(in)+1)
		if whole.err != io.EOF && whole.err != ErrTruncated {
			t.Fatalf("err = %v, want io.EOF or ErrTruncated", whole.err)
		}
		if whole.rawConcat() != string(in) {
			t.Fatalf("raw concat %q differs from input %q", whole.rawConcat(), in)
		}
		// Chunking must not change what is parsed or forwarded.
		oneByte := readString(t, string(in), iotest.OneByteReader, len(in)+1)
		if oneByte.err != whole.err || !reflect.DeepEqual(oneByte.parsed(), whole.parsed()) {
			t.Fatalf("one-byte reads differ:\n got %v %v\nwant %v %v", oneByte.parsed(), oneByte.err, whole.parsed(), whole.err)
		}
		if oneByte.rawConcat() != string(in) {
			t.Fatalf("one-byte raw concat %q differs from input", oneByte.rawConcat())
		}
		// Small limit: forwarding stays a prefix of the input, every frame
		// respects the limit, and the frames before any overflow agree.
		small := readString(t, string(in), iotest.HalfReader, fuzzSmallFrame)
		if !strings.HasPrefix(string(in), small.rawConcat()) {
			t.Fatalf("small-limit raw concat %q is not a prefix of input", small.rawConcat())
		}
		for i, fr := range small.frames {
			if len(fr.Raw) > fuzzSmallFrame {
				t.Fatalf("frame %d is %d bytes, over the %d limit", i, len(fr.Raw), fuzzSmallFrame)
			}
		}
		if !errors.Is(small.err, ErrFrameTooLarge) {
			if small.err != whole.err || small.rawConcat() != string(in) {
				t.Fatalf("small limit without overflow: err %v, raw %q", small.err, small.rawConcat())
			}
		}
	})
}
