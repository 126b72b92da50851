// Package secret seals provider credentials at rest with AES-256-GCM under a
// sub-key derived from the operator's master key.
//
// The master key never encrypts anything directly: NewSealer derives a
// per-class sub-key with HKDF so that the same master key can later protect
// other classes of secret without two classes ever sharing an AES key.
package secret

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"golang.org/x/crypto/hkdf"
)

const (
	// KeySize is the length of a master key and of every derived sub-key.
	KeySize = 32
	// NonceSize is the AES-GCM standard nonce length.
	NonceSize = 12

	masterKeyLabel = "nexus/master-key/v1"
	credentialInfo = "nexus/provider-credential/v1"
	keyIDHexLen    = 8
)

var (
	// ErrWrongMasterKey is returned by Open when the value was sealed under a
	// sub-key other than this Sealer's: the operator configured a different
	// master key than the one the data was written with.
	ErrWrongMasterKey = errors.New("secret: sealed under a different master key")
	// ErrDecrypt is returned by Open when the key matches but authentication
	// fails: the ciphertext, nonce or associated data was altered.
	ErrDecrypt = errors.New("secret: decryption failed (ciphertext or associated data altered)")
	// ErrMalformed is returned by Open for a Sealed value that cannot have
	// been produced by Seal (wrong nonce length, truncated ciphertext).
	ErrMalformed = errors.New("secret: malformed sealed value")
)

// ParseMasterKey turns the configured master key into KeySize bytes.
//
// Exactly 64 hex characters are decoded as a raw 256-bit key. Anything else
// non-empty is treated as a passphrase and run through HKDF-SHA256 under a
// fixed salt/label so the same passphrase always yields the same key.
// Surrounding whitespace is trimmed first because the value usually comes
// from a file or an environment variable with a trailing newline.
//
// HKDF is not a slow password hash: a passphrase must carry enough entropy
// on its own (a generated 64-hex key is the recommended form).
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("secret: master key is empty")
	}
	if len(s) == 2*KeySize {
		if key, err := hex.DecodeString(s); err == nil {
			return key, nil
		}
		// 64 characters that are not all hex: a passphrase that happens to
		// have that length, handled below.
	}
	key, err := derive([]byte(s), []byte(masterKeyLabel), masterKeyLabel)
	if err != nil {
		return nil, fmt.Errorf("secret: stretch master passphrase: %w", err)
	}
	return key, nil
}

// derive expands ikm into KeySize bytes with HKDF-SHA256.
func derive(ikm, salt []byte, info string) ([]byte, error) {
	out := make([]byte, KeySize)
	if _, err := io.ReadFull(hkdf.New(sha256.New, ikm, salt, []byte(info)), out); err != nil {
		return nil, err
	}
	return out, nil
}

// Sealed is an encrypted value as stored. It carries no key material, only
// the identifier of the sub-key that sealed it.
type Sealed struct {
	KeyID      string // first 8 hex chars of SHA-256(sub-key)
	Nonce      []byte // NonceSize random bytes
	Ciphertext []byte // AES-GCM output, including the 16-byte tag
}

// String shows the shape of the value, never its bytes, so a Sealed logged by
// mistake does not hand out ciphertext to whoever reads the logs.
func (s Sealed) String() string {
	return fmt.Sprintf("secret.Sealed{KeyID:%q, %d bytes}", s.KeyID, len(s.Ciphertext))
}

// Sealer encrypts and decrypts provider credentials. It is safe for
// concurrent use: cipher.AEAD from crypto/aes holds no per-call state.
type Sealer struct {
	aead  cipher.AEAD
	keyID string
}

// NewSealer derives the provider-credential sub-key from a KeySize-byte
// master key (see ParseMasterKey).
func NewSealer(master []byte) (*Sealer, error) {
	if len(master) != KeySize {
		return nil, fmt.Errorf("secret: master key must be %d bytes, got %d", KeySize, len(master))
	}
	sub, err := derive(master, nil, credentialInfo)
	if err != nil {
		return nil, fmt.Errorf("secret: derive credential sub-key: %w", err)
	}
	// The AES key schedule keeps its own copy; wipe ours once it is built.
	defer clear(sub)

	block, err := aes.NewCipher(sub)
	if err != nil {
		return nil, fmt.Errorf("secret: aes: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("secret: gcm: %w", err)
	}
	sum := sha256.Sum256(sub)
	return &Sealer{aead: aead, keyID: hex.EncodeToString(sum[:])[:keyIDHexLen]}, nil
}

// KeyID identifies the sub-key; it is stored next to every sealed value.
func (s *Sealer) KeyID() string { return s.keyID }

// Seal encrypts plaintext bound to aad (for provider credentials, the
// provider name, so a row copied onto another provider fails to open).
func (s *Sealer) Seal(plaintext, aad []byte) (Sealed, error) {
	nonce := make([]byte, NonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return Sealed{}, fmt.Errorf("secret: nonce: %w", err)
	}
	return Sealed{
		KeyID:      s.keyID,
		Nonce:      nonce,
		Ciphertext: s.aead.Seal(nil, nonce, plaintext, aad),
	}, nil
}

// Open decrypts a value produced by Seal with the same aad.
func (s *Sealer) Open(v Sealed, aad []byte) ([]byte, error) {
	if v.KeyID != s.keyID {
		return nil, fmt.Errorf("%w (value key id %q, configured key id %q)", ErrWrongMasterKey, v.KeyID, s.keyID)
	}
	if len(v.Nonce) != NonceSize {
		return nil, fmt.Errorf("%w: nonce is %d bytes, want %d", ErrMalformed, len(v.Nonce), NonceSize)
	}
	if len(v.Ciphertext) < s.aead.Overhead() {
		return nil, fmt.Errorf("%w: ciphertext shorter than the GCM tag", ErrMalformed)
	}
	pt, err := s.aead.Open(nil, v.Nonce, v.Ciphertext, aad)
	if err != nil {
		// The GCM error text says nothing useful; the sentinel does.
		return nil, ErrDecrypt
	}
	return pt, nil
}

// String, GoString and LogValue make sure fmt verbs (%v, %+v, %#v) and slog
// never reach the AEAD, whose internals hold the expanded key. They have value
// receivers so that a dereferenced Sealer is covered too.
func (s Sealer) String() string   { return "secret.Sealer{KeyID:" + s.keyID + "}" }
func (s Sealer) GoString() string { return s.String() }

// LogValue implements slog.LogValuer.
func (s Sealer) LogValue() slog.Value {
	return slog.GroupValue(slog.String("key_id", s.keyID))
}
