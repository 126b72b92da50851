package vkey

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/hkdf"
)

func secretN(n byte) []byte { return bytes.Repeat([]byte{n}, 32) }

// referenceHash recomputes the SPEC §3.2 construction from scratch, without
// any of Hasher's pooling, as an independent oracle.
func referenceHash(t testing.TB, secret []byte, key string) string {
	t.Helper()
	sub := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, secret, nil, []byte("nexus/virtual-key/v1")), sub); err != nil {
		t.Fatal(err)
	}
	m := hmac.New(sha256.New, sub)
	m.Write([]byte(key))
	return hex.EncodeToString(m.Sum(nil))
}

func TestNewHasherValidation(t *testing.T) {
	tests := []struct {
		name    string
		secrets [][]byte
		wantErr bool
	}{
		{"no secret fails (boot must fail)", nil, true},
		{"short secret", [][]byte{make([]byte, 31)}, true},
		{"short older secret", [][]byte{secretN(1), make([]byte, 8)}, true},
		{"duplicate versions", [][]byte{secretN(1), secretN(2), secretN(1)}, true},
		{"one secret", [][]byte{secretN(1)}, false},
		{"three versions", [][]byte{secretN(1), secretN(2), secretN(3)}, false},
		{"long secret", [][]byte{bytes.Repeat([]byte{9}, 100)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := NewHasher(tt.secrets...)
			if (err != nil) != tt.wantErr {
				t.Fatalf("NewHasher error = %v, wantErr %v", err, tt.wantErr)
			}
			if err == nil && h.Versions() != len(tt.secrets) {
				t.Fatalf("Versions = %d, want %d", h.Versions(), len(tt.secrets))
			}
		})
	}
}

func TestHashMatchesReferenceConstruction(t *testing.T) {
	h, err := NewHasher(secretN(1), secretN(2))
	if err != nil {
		t.Fatal(err)
	}
	keys := []string{
		"nvk_" + strings.Repeat("0f", 32),
		"nvk_short",
		"",
		strings.Repeat("x", 600),          // longer than the pooled buffer cap
		"nvk_" + strings.Repeat("0f", 32), // again, from a recycled state
	}
	for _, key := range keys {
		if got, want := h.Hash(key), referenceHash(t, secretN(1), key); got != want {
			t.Errorf("Hash(%.20q) = %s, want %s", key, got, want)
		}
		v1, err := h.HashVersion(1, key)
		if err != nil {
			t.Fatal(err)
		}
		if want := referenceHash(t, secretN(2), key); v1 != want {
			t.Errorf("HashVersion(1, %.20q) = %s, want %s", key, v1, want)
		}
	}
}

func TestHashIsDomainSeparatedFromPlainHMAC(t *testing.T) {
	secret := secretN(7)
	h, _ := NewHasher(secret)
	key := "nvk_" + strings.Repeat("ab", 32)
	plain := hmac.New(sha256.New, secret)
	plain.Write([]byte(key))
	if h.Hash(key) == hex.EncodeToString(plain.Sum(nil)) {
		t.Fatal("hash equals HMAC under the raw secret: no HKDF domain separation")
	}
}

func TestCandidatesCurrentFirstAndRotationFindsOldKeys(t *testing.T) {
	oldSecret, newSecret := secretN(1), secretN(2)
	before, _ := NewHasher(oldSecret)
	key := "nvk_" + strings.Repeat("cd", 32)
	stored := before.Hash(key) // minted before rotation

	after, _ := NewHasher(newSecret, oldSecret)
	c := after.Candidates(key)
	if len(c) != 2 {
		t.Fatalf("got %d candidates, want 2", len(c))
	}
	if c[0] != after.Hash(key) {
		t.Fatalf("candidate 0 is not the current hash")
	}
	if c[0] == stored {
		t.Fatal("current-version hash equals the old one: rotation has no effect")
	}
	if c[1] != stored {
		t.Fatalf("candidate 1 = %s, want the pre-rotation hash %s", c[1], stored)
	}
	if _, err := after.HashVersion(2, key); err == nil {
		t.Fatal("HashVersion beyond the keyring succeeded")
	}
	if _, err := after.HashVersion(-1, key); err == nil {
		t.Fatal("HashVersion(-1) succeeded")
	}
}

func TestHashConcurrentUse(t *testing.T) {
	h, _ := NewHasher(secretN(3), secretN(4))
	keys := make([]string, 16)
	want := make([]string, len(keys))
	for i := range keys {
		keys[i] = "nvk_" + strings.Repeat(string(rune('a'+i)), 64)
		want[i] = referenceHash(t, secretN(3), keys[i])
	}
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := range 8 {
		wg.Go(func() {
			for n := range 500 {
				i := (g + n) % len(keys)
				if got := h.Hash(keys[i]); got != want[i] {
					errs <- got
					return
				}
				_ = h.Candidates(keys[i])
			}
		})
	}
	wg.Wait()
	close(errs)
	for got := range errs {
		t.Errorf("concurrent Hash returned %s", got)
	}
}

// FuzzPlausibleAndHash feeds arbitrary tokens through the auth pre-filter and
// the hasher: neither may panic, and the hash must stay well-formed.
func FuzzPlausibleAndHash(f *testing.F) {
	for _, seed := range []string{"", "nvk_", "nvk_" + strings.Repeat("a", 64), strings.Repeat("x", 21), "\x00\xff", strings.Repeat("é", 300)} {
		f.Add(seed)
	}
	h, err := NewHasher(secretN(5), secretN(6))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, token string) {
		ok := Plausible(token)
		if ok && (len(token) > 512 || len(token) == 0) {
			t.Fatalf("Plausible accepted length %d", len(token))
		}
		sum := h.Hash(token)
		if len(sum) != 64 {
			t.Fatalf("hash length %d", len(sum))
		}
		c := h.Candidates(token)
		if len(c) != 2 || c[0] != sum {
			t.Fatalf("candidates %v inconsistent with Hash %s", c, sum)
		}
		if len(Fingerprint(token)) != 16 {
			t.Fatal("fingerprint length")
		}
		_ = Prefix(token)
	})
}

func BenchmarkHash(b *testing.B) {
	h, _ := NewHasher(secretN(1))
	key := "nvk_" + strings.Repeat("0f", 32)
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Hash(key)
	}
}

// BenchmarkHashNoPool is the naive construction, kept to show what the pool
// saves.
func BenchmarkHashNoPool(b *testing.B) {
	sub := make([]byte, 32)
	key := "nvk_" + strings.Repeat("0f", 32)
	b.ReportAllocs()
	for b.Loop() {
		m := hmac.New(sha256.New, sub)
		m.Write([]byte(key))
		_ = hex.EncodeToString(m.Sum(nil))
	}
}

func BenchmarkCandidates3(b *testing.B) {
	h, _ := NewHasher(secretN(1), secretN(2), secretN(3))
	key := "nvk_" + strings.Repeat("0f", 32)
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Candidates(key)
	}
}

func BenchmarkPlausible(b *testing.B) {
	key := "nvk_" + strings.Repeat("0f", 32)
	b.ReportAllocs()
	for b.Loop() {
		_ = Plausible(key)
	}
}

func BenchmarkFingerprint(b *testing.B) {
	key := "nvk_" + strings.Repeat("0f", 32)
	b.ReportAllocs()
	for b.Loop() {
		_ = Fingerprint(key)
	}
}
