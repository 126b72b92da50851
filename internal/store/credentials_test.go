package store

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/secret"
)

func testSealer(t testing.TB) *secret.Sealer {
	t.Helper()
	master, err := secret.ParseMasterKey(strings.Repeat("ab", 32))
	if err != nil {
		t.Fatal(err)
	}
	s, err := secret.NewSealer(master)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sealedFixture(t testing.TB, provider string) secret.Sealed {
	t.Helper()
	v, err := testSealer(t).Seal([]byte("sk-"+provider+"-credential"), []byte(provider))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestCredentialRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		sealer := testSealer(t)
		for _, p := range []string{"openai", "anthropic"} {
			v, err := sealer.Seal([]byte("sk-"+p), []byte(p))
			if err != nil {
				t.Fatal(err)
			}
			if err := db.PutCredential(ctx, p, v); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.Credential(ctx, "anthropic")
		if err != nil {
			t.Fatal(err)
		}
		pt, err := sealer.Open(got, []byte("anthropic"))
		if err != nil || string(pt) != "sk-anthropic" {
			t.Fatalf("opened %q, %v", pt, err)
		}
		// The AAD binds the row to its provider: opening it as another fails.
		if _, err := sealer.Open(got, []byte("openai")); !errors.Is(err, secret.ErrDecrypt) {
			t.Fatalf("open under wrong provider: %v", err)
		}
	})
}

func TestPutCredentialReplaces(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, clock *testClock) {
		ctx := context.Background()
		first, second := sealedFixture(t, "openai"), sealedFixture(t, "openai")
		if err := db.PutCredential(ctx, "openai", first); err != nil {
			t.Fatal(err)
		}
		if err := db.PutCredential(ctx, "openai", second); err != nil {
			t.Fatal(err)
		}
		got, err := db.Credential(ctx, "openai")
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Nonce, second.Nonce) || !bytes.Equal(got.Ciphertext, second.Ciphertext) || got.KeyID != second.KeyID {
			t.Fatal("second put did not replace the first")
		}
		var n int
		if err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM provider_credentials").Scan(&n); err != nil || n != 1 {
			t.Fatalf("%d rows (%v), want 1", n, err)
		}
	})
}

func TestCredentialErrors(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		if _, err := db.Credential(ctx, "gemini"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing credential: %v", err)
		}
		good := sealedFixture(t, "x")
		bad := []struct {
			name     string
			provider string
			v        secret.Sealed
		}{
			{"empty provider", "", good},
			{"zero sealed value", "x", secret.Sealed{}},
			{"no key id", "x", secret.Sealed{Nonce: good.Nonce, Ciphertext: good.Ciphertext}},
			{"no nonce", "x", secret.Sealed{KeyID: good.KeyID, Ciphertext: good.Ciphertext}},
			{"no ciphertext", "x", secret.Sealed{KeyID: good.KeyID, Nonce: good.Nonce}},
		}
		for _, tt := range bad {
			if err := db.PutCredential(ctx, tt.provider, tt.v); err == nil {
				t.Errorf("%s: PutCredential succeeded", tt.name)
			}
		}
		if _, err := db.Credential(ctx, "x"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a rejected put stored something: %v", err)
		}
	})
}
