// Package vkey mints, recognises and hashes virtual keys (SPEC §3.1–3.2).
//
// A virtual key is shown to its creator once; the gateway only ever stores
// its HMAC under a server secret, so a leaked database does not leak keys and
// a lookup by hash is a plain indexed equality.
package vkey

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
)

const (
	// KeyPrefix starts every minted key; it is also the audit class label.
	KeyPrefix = "nvk_"
	// KeyLen is the length of a minted key: prefix + 64 hex chars.
	KeyLen = len(KeyPrefix) + 2*keyBytes
	// DisplayPrefixLen is how much of a key is kept for display.
	DisplayPrefixLen = 12
	// SecretSize is the size of a generated HMAC secret.
	SecretSize = 32

	keyBytes = 32

	// maxTokenLen bounds what Plausible lets through to hashing; real keys
	// are 68 bytes, the slack admits foreign-looking long tokens per SPEC.
	maxTokenLen = 512
	// minUnprefixedLen: SPEC pre-filter, tokens without the prefix must be
	// longer than this to be looked up at all.
	minUnprefixedLen = 20
)

// Mint returns a fresh key: "nvk_" + 256 random bits as lowercase hex.
// rand is normally crypto/rand.Reader; tests pass a deterministic reader.
func Mint(rand io.Reader) (string, error) {
	var raw [keyBytes]byte
	if _, err := io.ReadFull(rand, raw[:]); err != nil {
		return "", fmt.Errorf("vkey: read random: %w", err)
	}
	var out [KeyLen]byte
	copy(out[:], KeyPrefix)
	hex.Encode(out[len(KeyPrefix):], raw[:])
	return string(out[:]), nil
}

// Prefix is the display form of a key: its first 12 characters
// ("nvk_" + 8 hex). Shorter input is returned whole.
func Prefix(key string) string {
	if len(key) <= DisplayPrefixLen {
		return key
	}
	return key[:DisplayPrefixLen]
}

// Plausible is the pre-filter run before any hashing or lookup. A token that
// neither carries the "nvk_" prefix nor is longer than 20 characters is
// rejected (SPEC §3.2), as is anything longer than 512 bytes or containing a
// byte outside printable ASCII (0x20–0x7e): no key we mint looks like that,
// and refusing early keeps junk out of logs and hash work.
func Plausible(token string) bool {
	if token == "" || len(token) > maxTokenLen {
		return false
	}
	for i := 0; i < len(token); i++ {
		if c := token[i]; c < 0x20 || c > 0x7e {
			return false
		}
	}
	return strings.HasPrefix(token, KeyPrefix) || len(token) > minUnprefixedLen
}

// Fingerprint identifies a presented key in audit records and logs without
// revealing it: the first 8 bytes of SHA-256(key) as 16 lowercase hex chars.
func Fingerprint(key string) string {
	var sum [sha256.Size]byte
	if len(key) <= maxTokenLen {
		// Copying into a stack buffer avoids the heap allocation of a
		// []byte(key) conversion; every plausible token fits.
		var buf [maxTokenLen]byte
		n := copy(buf[:], key)
		sum = sha256.Sum256(buf[:n])
	} else {
		sum = sha256.Sum256([]byte(key))
	}
	var out [16]byte
	hex.Encode(out[:], sum[:8])
	return string(out[:])
}

// Class is the audit class label of a presented key: "nvk_" for prefixed
// keys, "" otherwise (SPEC §3.2).
func Class(key string) string {
	if strings.HasPrefix(key, KeyPrefix) {
		return KeyPrefix
	}
	return ""
}

// NewSecret generates a fresh HMAC secret for the keyring.
func NewSecret(rand io.Reader) ([]byte, error) {
	s := make([]byte, SecretSize)
	if _, err := io.ReadFull(rand, s); err != nil {
		return nil, fmt.Errorf("vkey: read random: %w", err)
	}
	return s, nil
}

// EncodeSecret renders a secret for the secret file (lowercase hex).
func EncodeSecret(secret []byte) string { return hex.EncodeToString(secret) }

// DecodeSecret parses what EncodeSecret wrote. Surrounding whitespace (the
// trailing newline of a file) is ignored.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("vkey: secret is empty")
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("vkey: secret is not hex: %w", err)
	}
	return b, nil
}
