package jsonw

import (
	"bytes"
	"encoding/json"
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
