package vkey

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"golang.org/x/crypto/hkdf"
)

// hashInfo domain-separates the virtual-key sub-key from every other key
// derived from the same server secret.
const hashInfo = "nexus/virtual-key/v1"

// MinSecretLen is the shortest HMAC secret NewHasher accepts.
const MinSecretLen = 32

// Hasher computes key hashes under a keyring of secrets. Version 0 is the
// current secret; higher versions are older ones kept so keys minted before a
// rotation still authenticate. It is safe for concurrent use.
type Hasher struct {
	versions []hmacPool
}

// hmacPool hands out HMAC states keyed with one version's sub-key. Building
// an HMAC costs two SHA-256 block computations plus allocations; resetting a
// pooled one is free, and auth runs this on every request.
type hmacPool struct {
	pool sync.Pool // of *hmacState
}

type hmacState struct {
	mac hash.Hash
	// buf holds the key bytes so Write needs no per-call string→[]byte
	// allocation; it grows once to the longest key seen and stays.
	buf []byte
	sum [sha256.Size]byte
}

// NewHasher builds a keyring. secrets[0] is current, the rest are older
// versions in order. Each must be at least MinSecretLen bytes and distinct.
// The secrets themselves are not retained: only the derived sub-keys, inside
// the HMAC states.
func NewHasher(secrets ...[]byte) (*Hasher, error) {
	if len(secrets) == 0 {
		return nil, errors.New("vkey: no HMAC secret configured")
	}
	h := &Hasher{versions: make([]hmacPool, len(secrets))}
	for i, s := range secrets {
		if len(s) < MinSecretLen {
			return nil, fmt.Errorf("vkey: secret version %d is %d bytes, want at least %d", i, len(s), MinSecretLen)
		}
		for j := range i {
			if bytes.Equal(secrets[j], s) {
				return nil, fmt.Errorf("vkey: secret version %d repeats version %d", i, j)
			}
		}
		sub := make([]byte, sha256.Size)
		if _, err := io.ReadFull(hkdf.New(sha256.New, s, nil, []byte(hashInfo)), sub); err != nil {
			return nil, fmt.Errorf("vkey: derive sub-key %d: %w", i, err)
		}
		h.versions[i].pool.New = func() any {
			return &hmacState{mac: hmac.New(sha256.New, sub)}
		}
	}
	return h, nil
}

// Versions is the number of secrets in the keyring.
func (h *Hasher) Versions() int { return len(h.versions) }

// Hash is hex(HMAC-SHA256(current sub-key, key)): what is stored at mint.
func (h *Hasher) Hash(key string) string { return h.versions[0].hash(key) }

// HashVersion hashes under keyring version v (0 = current).
func (h *Hasher) HashVersion(v int, key string) (string, error) {
	if v < 0 || v >= len(h.versions) {
		return "", fmt.Errorf("vkey: keyring has no version %d", v)
	}
	return h.versions[v].hash(key), nil
}

// Candidates is the hash of key under every keyring version, current first;
// index i is version i. Auth looks each up in turn (no lazy re-hash, SPEC
// §3.2).
func (h *Hasher) Candidates(key string) []string {
	out := make([]string, len(h.versions))
	for i := range h.versions {
		out[i] = h.versions[i].hash(key)
	}
	return out
}

func (p *hmacPool) hash(key string) string {
	st := p.pool.Get().(*hmacState)
	st.buf = append(st.buf[:0], key...)
	st.mac.Reset()
	st.mac.Write(st.buf)
	sum := st.mac.Sum(st.sum[:0])
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum)
	// Do not let one pathological key pin a large buffer in the pool.
	if cap(st.buf) > maxTokenLen {
		st.buf = nil
	}
	p.pool.Put(st)
	return string(out[:])
}
