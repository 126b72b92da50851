package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/nexus-gateway/nexus/internal/secret"
)

// PutCredential stores (or replaces) the sealed credential of a provider.
// The value must have been sealed with the provider name as AAD; the store
// only moves bytes and never sees plaintext.
func (db *DB) PutCredential(ctx context.Context, providerName string, sealed secret.Sealed) error {
	if providerName == "" {
		return errors.New("store: credential needs a provider name")
	}
	if sealed.KeyID == "" || len(sealed.Nonce) == 0 || len(sealed.Ciphertext) == 0 {
		return fmt.Errorf("store: credential for %q is not a sealed value", providerName)
	}
	now := db.dialect.timeValue(db.now())
	if _, err := db.sql.ExecContext(ctx, db.q.putCredential,
		providerName, sealed.KeyID, sealed.Nonce, sealed.Ciphertext, now, now); err != nil {
		return fmt.Errorf("store: put credential %q: %w", providerName, err)
	}
	return nil
}

// Credential returns the sealed credential of a provider, or ErrNotFound.
func (db *DB) Credential(ctx context.Context, providerName string) (secret.Sealed, error) {
	var s secret.Sealed
	err := db.sql.QueryRowContext(ctx, db.q.credential, providerName).Scan(&s.KeyID, &s.Nonce, &s.Ciphertext)
	if errors.Is(err, sql.ErrNoRows) {
		return secret.Sealed{}, fmt.Errorf("store: credential %q: %w", providerName, ErrNotFound)
	}
	if err != nil {
		return secret.Sealed{}, fmt.Errorf("store: credential %q: %w", providerName, err)
	}
	return s, nil
}
