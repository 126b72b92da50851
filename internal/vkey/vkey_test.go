package vkey

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
)

var mintedShape = regexp.MustCompile(`^nvk_[0-9a-f]{64}$`)

func TestMint(t *testing.T) {
	seq := make([]byte, 32)
	for i := range seq {
		seq[i] = byte(i * 7)
	}
	tests := []struct {
		name    string
		rand    func() *bytes.Reader
		want    string
		wantErr bool
	}{
		{
			name: "encodes the 32 random bytes as lowercase hex after the prefix",
			rand: func() *bytes.Reader { return bytes.NewReader(seq) },
			want: "nvk_" + hex.EncodeToString(seq),
		},
		{
			name:    "short random source is an error, not a short key",
			rand:    func() *bytes.Reader { return bytes.NewReader(seq[:31]) },
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Mint(tt.rand())
			if tt.wantErr {
				if err == nil {
					t.Fatalf("want error, got %q", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("Mint = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestMintWithCryptoRandHasShapeAndIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		k, err := Mint(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		if !mintedShape.MatchString(k) || len(k) != KeyLen {
			t.Fatalf("minted key %q has the wrong shape", k)
		}
		if seen[k] {
			t.Fatalf("duplicate key %q", k)
		}
		seen[k] = true
		if !Plausible(k) {
			t.Fatalf("minted key %q is not Plausible", k)
		}
	}
}

func TestMintPropagatesReaderError(t *testing.T) {
	boom := errors.New("entropy gone")
	if _, err := Mint(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Fatalf("error %v does not wrap the reader error", err)
	}
}

func TestPrefix(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nvk_a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90", "nvk_a1b2c3d4"},
		{"nvk_a1b2c3d4", "nvk_a1b2c3d4"},
		{"nvk_1", "nvk_1"},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Prefix(tt.in); got != tt.want {
			t.Errorf("Prefix(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestPlausible(t *testing.T) {
	tests := []struct {
		name  string
		token string
		want  bool
	}{
		{"minted key", "nvk_" + strings.Repeat("ab", 32), true},
		{"short prefixed token still goes to lookup", "nvk_x", true},
		{"bare prefix", "nvk_", true},
		{"unprefixed 21 chars", strings.Repeat("a", 21), true},
		{"unprefixed exactly 20 chars is rejected", strings.Repeat("a", 20), false},
		{"unprefixed short token", "sk-123", false},
		{"empty", "", false},
		{"uppercase prefix is not the prefix", "NVK_abc", false},
		{"512 bytes accepted", "nvk_" + strings.Repeat("a", 508), true},
		{"513 bytes rejected", "nvk_" + strings.Repeat("a", 509), false},
		{"space is printable", "nvk_ab cd", true},
		{"tab rejected", "nvk_ab\tcd", false},
		{"newline rejected", "nvk_abcd\n", false},
		{"NUL rejected", "nvk_ab\x00cd", false},
		{"DEL rejected", "nvk_ab\x7fcd", false},
		{"non-ASCII rejected", "nvk_abcdé", false},
		{"long non-ASCII rejected", strings.Repeat("é", 30), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Plausible(tt.token); got != tt.want {
				t.Fatalf("Plausible(%q) = %v, want %v", tt.token, got, tt.want)
			}
		})
	}
}

func TestFingerprint(t *testing.T) {
	for _, key := range []string{"nvk_" + strings.Repeat("0", 64), "some-other-token-xyz", "", strings.Repeat("k", 512), strings.Repeat("k", 600)} {
		sum := sha256.Sum256([]byte(key))
		want := hex.EncodeToString(sum[:])[:16]
		got := Fingerprint(key)
		if got != want {
			t.Errorf("Fingerprint(%q) = %q, want %q", key, got, want)
		}
		if len(got) != 16 || strings.ToLower(got) != got {
			t.Errorf("Fingerprint(%q) = %q is not 16 lowercase hex", key, got)
		}
	}
	if Fingerprint("a") == Fingerprint("b") {
		t.Fatal("distinct keys share a fingerprint")
	}
}

func TestClass(t *testing.T) {
	tests := []struct{ in, want string }{
		{"nvk_abc", "nvk_"},
		{"sk-abc", ""},
		{"", ""},
	}
	for _, tt := range tests {
		if got := Class(tt.in); got != tt.want {
			t.Errorf("Class(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSecretEncodeDecode(t *testing.T) {
	s, err := NewSecret(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(s) != SecretSize {
		t.Fatalf("secret is %d bytes", len(s))
	}
	enc := EncodeSecret(s)
	tests := []struct {
		name    string
		in      string
		want    []byte
		wantErr bool
	}{
		{"round trip", enc, s, false},
		{"trailing newline from file", enc + "\n", s, false},
		{"uppercase hex", strings.ToUpper(enc), s, false},
		{"empty", "", nil, true},
		{"blank line", "  \n", nil, true},
		{"not hex", "zz" + enc[2:], nil, true},
		{"odd length", enc[1:], nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeSecret(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("DecodeSecret error = %v, wantErr %v", err, tt.wantErr)
			}
			if !bytes.Equal(got, tt.want) {
				t.Fatalf("DecodeSecret = %x, want %x", got, tt.want)
			}
		})
	}
}

func TestNewSecretShortReader(t *testing.T) {
	if _, err := NewSecret(bytes.NewReader(make([]byte, 10))); err == nil {
		t.Fatal("NewSecret accepted a 10-byte random source")
	}
}
