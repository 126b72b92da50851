package jsonw

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

// decodes checks that what AppendString wrote reads back as s (with invalid
// UTF-8 replaced, as encoding/json does).
func decodes(t *testing.T, s string) {
	t.Helper()
	out := AppendString(nil, s)
	var back string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatalf("%q produced invalid JSON %q: %v", s, out, err)
	}
	want, _ := json.Marshal(s)
	var wantBack string
	_ = json.Unmarshal(want, &wantBack)
	if back != wantBack {
		t.Fatalf("%q round-tripped to %q, want %q", s, back, wantBack)
	}
}

func TestAppendStringRoundTrips(t *testing.T) {
	for _, s := range []string{"", "plain", `quote " and \ backslash`, "ctl \x00\x01\x1f\n\r\t", "<html>&amp;", "é 中文 🎉",
		"bad \xff utf8", "line\u2028sep\u2029", "\u007f"} {
		decodes(t, s)
	}
	if got := AppendString(nil, "<&>"); !bytes.Equal(got, []byte(`"<&>"`)) {
		t.Fatalf("HTML characters must not be escaped: %s", got)
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\xff", "\u2028", "\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { decodes(t, s) })
}

func BenchmarkAppendString(b *testing.B) {
	s := "Hello from the gateway, with a \"quote\" and a newline\n."
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}

// TestAsciiRunAgreesWithTheByteLoop checks the windowed search against the
// plain definition, with special bytes across word and window boundaries.
func TestAsciiRunAgreesWithTheByteLoop(t *testing.T) {
	ref := func(s string) int {
		for i := 0; i < len(s); i++ {
			if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
				return i
			}
		}
		return len(s)
	}
	base := strings.Repeat("0123456789abcdef", 400)
	for _, c := range []byte{'"', '\\', 0x00, 0x1f, 0x7f, 0x80, 0xff} {
		for _, pos := range []int{0, 1, 7, 8, 9, 63, 64, 65, 191, 192, 1000, 4095, 4096, 6399} {
			b := []byte(base)
			b[pos] = c
			if got, want := asciiRun(string(b)), ref(string(b)); got != want {
				t.Fatalf("byte %#x at %d: asciiRun = %d, want %d", c, pos, got, want)
			}
		}
	}
	if got := asciiRun(base); got != len(base) {
		t.Fatalf("plain text: asciiRun = %d, want %d", got, len(base))
	}
}

func BenchmarkAppendString50KB(b *testing.B) {
	s := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 50<<10/45)
	buf := make([]byte, 0, len(s)+64)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = AppendString(buf[:0], s)
	}
}

// Long plain runs go through the 32-byte loop of printable: a byte that
// needs care at any offset of such a run must still be escaped or checked.
func TestSpecialByteAtEveryOffsetOfALongRun(t *testing.T) {
	plain := strings.Repeat("abcdefgh", 20)
	for _, special := range []string{`"`, `\`, "\n", "\x00", "\x7f", "é", "\u2028", "\xff"} {
		for i := 0; i <= len(plain); i++ {
			decodes(t, plain[:i]+special+plain[i:])
		}
	}
}
