package secret

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func mustSealer(t testing.TB, master string) *Sealer {
	t.Helper()
	key, err := ParseMasterKey(master)
	if err != nil {
		t.Fatalf("ParseMasterKey: %v", err)
	}
	s, err := NewSealer(key)
	if err != nil {
		t.Fatalf("NewSealer: %v", err)
	}
	return s
}

const hexKey = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func TestParseMasterKey(t *testing.T) {
	raw, _ := hex.DecodeString(hexKey)
	tests := []struct {
		name    string
		in      string
		wantRaw []byte // when set, the exact decoded key
		wantErr bool
	}{
		{name: "hex key is decoded verbatim", in: hexKey, wantRaw: raw},
		{name: "uppercase hex is accepted", in: strings.ToUpper(hexKey), wantRaw: raw},
		{name: "trailing newline from a file is ignored", in: hexKey + "\n", wantRaw: raw},
		{name: "passphrase is stretched", in: "correct horse battery staple"},
		{name: "64 non-hex chars are a passphrase", in: strings.Repeat("z", 64)},
		{name: "63 hex chars are a passphrase", in: hexKey[:63]},
		{name: "empty is rejected", in: "", wantErr: true},
		{name: "whitespace only is rejected", in: " \t\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMasterKey(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want error, got key %x", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if len(got) != KeySize {
				t.Fatalf("key length %d, want %d", len(got), KeySize)
			}
			if tt.wantRaw != nil && !bytes.Equal(got, tt.wantRaw) {
				t.Fatalf("key %x, want %x", got, tt.wantRaw)
			}
			if tt.wantRaw == nil && bytes.Contains(got, []byte(strings.TrimSpace(tt.in))) {
				t.Fatalf("passphrase appears verbatim in the derived key")
			}
		})
	}
}

func TestParseMasterKeyPassphraseIsDeterministicAndDistinct(t *testing.T) {
	a1, _ := ParseMasterKey("passphrase-one")
	a2, _ := ParseMasterKey("passphrase-one")
	b, _ := ParseMasterKey("passphrase-two")
	if !bytes.Equal(a1, a2) {
		t.Fatalf("same passphrase gave different keys: %x vs %x", a1, a2)
	}
	if bytes.Equal(a1, b) {
		t.Fatalf("different passphrases gave the same key")
	}
}

func TestNewSealerRejectsWrongKeyLength(t *testing.T) {
	for _, n := range []int{0, 16, 31, 33, 64} {
		if _, err := NewSealer(make([]byte, n)); err == nil {
			t.Errorf("NewSealer(%d bytes) succeeded, want error", n)
		}
	}
}

func TestKeyIDIsStableAndNotTheKey(t *testing.T) {
	s1 := mustSealer(t, hexKey)
	s2 := mustSealer(t, hexKey)
	other := mustSealer(t, "another master")
	if s1.KeyID() != s2.KeyID() {
		t.Fatalf("same master key gave key ids %q and %q", s1.KeyID(), s2.KeyID())
	}
	if s1.KeyID() == other.KeyID() {
		t.Fatalf("different master keys share key id %q", s1.KeyID())
	}
	if len(s1.KeyID()) != 8 {
		t.Fatalf("key id %q is not 8 chars", s1.KeyID())
	}
	if strings.Contains(hexKey, s1.KeyID()) {
		t.Fatalf("key id %q is a slice of the master key", s1.KeyID())
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	s := mustSealer(t, hexKey)
	tests := []struct {
		name      string
		plaintext []byte
		aad       []byte
	}{
		{"api key with provider aad", []byte("sk-live-abcdef0123456789"), []byte("openai")},
		{"empty plaintext", []byte{}, []byte("anthropic")},
		{"nil aad", []byte("secret"), nil},
		{"binary plaintext", []byte{0, 1, 2, 255, 254}, []byte("x")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed, err := s.Seal(tt.plaintext, tt.aad)
			if err != nil {
				t.Fatalf("Seal: %v", err)
			}
			if sealed.KeyID != s.KeyID() {
				t.Fatalf("sealed key id %q, want %q", sealed.KeyID, s.KeyID())
			}
			if len(sealed.Nonce) != NonceSize {
				t.Fatalf("nonce length %d", len(sealed.Nonce))
			}
			if len(sealed.Ciphertext) != len(tt.plaintext)+16 {
				t.Fatalf("ciphertext length %d, want plaintext+16", len(sealed.Ciphertext))
			}
			if len(tt.plaintext) > 4 && bytes.Contains(sealed.Ciphertext, tt.plaintext) {
				t.Fatalf("plaintext visible in ciphertext")
			}
			got, err := s.Open(sealed, tt.aad)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if !bytes.Equal(got, tt.plaintext) {
				t.Fatalf("Open = %q, want %q", got, tt.plaintext)
			}
		})
	}
}

func TestSealUsesFreshNonces(t *testing.T) {
	s := mustSealer(t, hexKey)
	a, _ := s.Seal([]byte("same"), []byte("p"))
	b, _ := s.Seal([]byte("same"), []byte("p"))
	if bytes.Equal(a.Nonce, b.Nonce) {
		t.Fatalf("two seals reused nonce %x", a.Nonce)
	}
	if bytes.Equal(a.Ciphertext, b.Ciphertext) {
		t.Fatalf("two seals of the same plaintext gave identical ciphertext")
	}
}

func TestOpenFailures(t *testing.T) {
	s := mustSealer(t, hexKey)
	other := mustSealer(t, "a different master passphrase")
	good, err := s.Seal([]byte("sk-ant-api03-xyz"), []byte("anthropic"))
	if err != nil {
		t.Fatal(err)
	}
	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 0x01
		return c
	}
	tests := []struct {
		name   string
		opener *Sealer
		value  Sealed
		aad    []byte
		want   error
	}{
		{"wrong aad (credential moved to another provider)", s, good, []byte("openai"), ErrDecrypt},
		{"missing aad", s, good, nil, ErrDecrypt},
		{"tampered ciphertext first byte", s, Sealed{good.KeyID, good.Nonce, flip(good.Ciphertext, 0)}, []byte("anthropic"), ErrDecrypt},
		{"tampered tag", s, Sealed{good.KeyID, good.Nonce, flip(good.Ciphertext, len(good.Ciphertext)-1)}, []byte("anthropic"), ErrDecrypt},
		{"tampered nonce", s, Sealed{good.KeyID, flip(good.Nonce, 3), good.Ciphertext}, []byte("anthropic"), ErrDecrypt},
		{"truncated ciphertext", s, Sealed{good.KeyID, good.Nonce, good.Ciphertext[:10]}, []byte("anthropic"), ErrMalformed},
		{"short nonce", s, Sealed{good.KeyID, good.Nonce[:8], good.Ciphertext}, []byte("anthropic"), ErrMalformed},
		{"wrong master key", other, good, []byte("anthropic"), ErrWrongMasterKey},
		{"key id rewritten to match", other, Sealed{other.KeyID(), good.Nonce, good.Ciphertext}, []byte("anthropic"), ErrDecrypt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.opener.Open(tt.value, tt.aad)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Open error = %v, want %v", err, tt.want)
			}
			if got != nil {
				t.Fatalf("Open returned plaintext %q alongside an error", got)
			}
		})
	}
}

func TestWrongMasterKeyErrorIsClear(t *testing.T) {
	s := mustSealer(t, hexKey)
	other := mustSealer(t, "other")
	v, _ := s.Seal([]byte("k"), nil)
	_, err := other.Open(v, nil)
	if err == nil || !strings.Contains(err.Error(), "sealed under a different master key") {
		t.Fatalf("error %v does not name the cause", err)
	}
}

func TestFormattingNeverLeaksKeyMaterial(t *testing.T) {
	master, _ := hex.DecodeString(hexKey)
	s, err := NewSealer(master)
	if err != nil {
		t.Fatal(err)
	}
	sealed, _ := s.Seal([]byte("sk-plaintext-credential"), []byte("openai"))

	var logBuf bytes.Buffer
	slog.New(slog.NewTextHandler(&logBuf, nil)).Info("boot", "sealer", s, "deref", *s, "sealed", sealed)

	outputs := map[string]string{
		"%v":      fmt.Sprintf("%v", s),
		"%+v":     fmt.Sprintf("%+v", s),
		"%#v":     fmt.Sprintf("%#v", s),
		"%v val":  fmt.Sprintf("%v", *s),
		"%#v val": fmt.Sprintf("%#v", *s),
		"%s":      fmt.Sprintf("%s", s),
		"%x":      fmt.Sprintf("%x", s),
		"sealed":  fmt.Sprintf("%v %+v %x", sealed, sealed, sealed),
		"slog":    logBuf.String(),
	}
	ctHex := hex.EncodeToString(sealed.Ciphertext)
	for name, out := range outputs {
		// %x hex-encodes whatever String returns, so the id is not legible there.
		if name != "%x" && !strings.Contains(out, s.KeyID()) {
			t.Errorf("%s: %q does not show the key id", name, out)
		}
		for _, forbidden := range []string{hexKey, string(master), "sk-plaintext", ctHex, "aead", "gcm"} {
			if strings.Contains(strings.ToLower(out), strings.ToLower(forbidden)) {
				t.Errorf("%s: output %q leaks %q", name, out, forbidden)
			}
		}
	}
}

func BenchmarkSeal(b *testing.B) {
	s := mustSealer(b, hexKey)
	pt, aad := []byte("sk-proj-0123456789abcdef0123456789abcdef"), []byte("openai")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Seal(pt, aad); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	s := mustSealer(b, hexKey)
	aad := []byte("openai")
	v, _ := s.Seal([]byte("sk-proj-0123456789abcdef0123456789abcdef"), aad)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Open(v, aad); err != nil {
			b.Fatal(err)
		}
	}
}
