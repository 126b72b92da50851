package jsonscan

import (
	"bytes"
	"math/rand/v2"
	"testing"
)

// plainRunRef is the obvious byte loop PlainRun must agree with.
func plainRunRef(b []byte) int {
	for i, c := range b {
		if c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	return len(b)
}

func TestPlainRunAgreesWithTheByteLoop(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	specials := []byte{'"', '\\', 0x00, 0x1f, '\n', '\t'}
	for n := 0; n < 2000; n++ {
		size := r.IntN(3 * plainWindow / 4)
		b := bytes.Repeat([]byte("plain text é ü 😀 "), size/20+1)[:size]
		// Zero, one or a few special bytes at random places, including
		// across word and window boundaries.
		for k := r.IntN(4); k > 0 && size > 0; k-- {
			b[r.IntN(size)] = specials[r.IntN(len(specials))]
		}
		if got, want := PlainRun(b), plainRunRef(b); got != want {
			t.Fatalf("size %d: PlainRun = %d, want %d", size, got, want)
		}
	}
	// Bytes just around 0x20 and high bytes, one at each position of a word.
	for _, c := range []byte{0x1f, 0x20, 0x21, 0x7f, 0x80, 0xff} {
		for pos := 0; pos < 40; pos++ {
			b := bytes.Repeat([]byte("a"), 40)
			b[pos] = c
			if got, want := PlainRun(b), plainRunRef(b); got != want {
				t.Fatalf("byte %#x at %d: PlainRun = %d, want %d", c, pos, got, want)
			}
		}
	}
}

func BenchmarkPlainRun(b *testing.B) {
	text := bytes.Repeat([]byte("The quick brown fox jumps over the lazy dog. "), 50<<10/45)
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		if PlainRun(text) != len(text) {
			b.Fatal("stopped early")
		}
	}
}

// BenchmarkPlainRunEscaped: a newline escape every 60 bytes, as in
// multi-line prompts, each one a call of its own.
func BenchmarkPlainRunEscaped(b *testing.B) {
	line := []byte("def f(x): return x * 2  # a line of code in a prompt ....\\n")
	text := bytes.Repeat(line, 50<<10/len(line))
	b.SetBytes(int64(len(text)))
	for b.Loop() {
		i := 0
		for i < len(text) {
			i += PlainRun(text[i:])
			i += 2 // skip the \n escape
		}
	}
}

func TestPlainRunCases(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
	}{
		{"", 0}, {"abc", 3}, {"abcdefghijklmnop", 16}, {"abcdefgh\"x", 8}, {"abcdefghi\\", 9},
		{"abc\x1fdefghijk", 3}, {"\xff\xfe\x80abcdefgh", 11}, {"0123456789abcdef0123\n", 20}, {"\"", 0},
		{"é日本語テキストです", len("é日本語テキストです")}, {"\x7f\x20~}|{", 6},
	} {
		if got := PlainRun([]byte(tc.in)); got != tc.want {
			t.Errorf("PlainRun(%q) = %d, want %d", tc.in, got, tc.want)
		}
	}
}
