package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/secret"
	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/vkey"
)

// ServerSecrets returns the HMAC keyring for virtual keys, current first.
//
// NEXUS_SECRET (hex, or any passphrase of 16+ characters), with older
// versions in NEXUS_SECRET_PREVIOUS (comma-separated), wins. Without it the
// secret lives in cfg.SecretFile; when that file does not exist and create is
// true, a fresh 256-bit secret is written there with mode 0600, so a fresh
// machine works with no setup while keys minted by `nexus keys create` and
// checked by `nexus serve` agree.
func ServerSecrets(cfg *config.Config, getenv func(string) string, create bool) ([][]byte, error) {
	if v := strings.TrimSpace(getenv("NEXUS_SECRET")); v != "" {
		cur, err := parseSecret(v)
		if err != nil {
			return nil, fmt.Errorf("NEXUS_SECRET: %w", err)
		}
		out := [][]byte{cur}
		for _, p := range strings.Split(getenv("NEXUS_SECRET_PREVIOUS"), ",") {
			if p = strings.TrimSpace(p); p == "" {
				continue
			}
			old, err := parseSecret(p)
			if err != nil {
				return nil, fmt.Errorf("NEXUS_SECRET_PREVIOUS: %w", err)
			}
			out = append(out, old)
		}
		return out, nil
	}
	path := cfg.SecretFile
	data, err := os.ReadFile(path)
	switch {
	case err == nil:
		s, err := vkey.DecodeSecret(strings.TrimSpace(string(data)))
		if err != nil {
			return nil, fmt.Errorf("secret file %s: %w", path, err)
		}
		return [][]byte{s}, nil
	case errors.Is(err, fs.ErrNotExist) && create:
		s, err := vkey.NewSecret(rand.Reader)
		if err != nil {
			return nil, err
		}
		if dir := filepath.Dir(path); dir != "" {
			if err := os.MkdirAll(dir, 0o700); err != nil {
				return nil, fmt.Errorf("secret file %s: %w", path, err)
			}
		}
		// O_EXCL: if two processes start at once, exactly one writes it.
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if errors.Is(err, fs.ErrExist) {
			return ServerSecrets(cfg, getenv, false)
		}
		if err != nil {
			return nil, fmt.Errorf("secret file %s: %w", path, err)
		}
		if _, err := f.WriteString(vkey.EncodeSecret(s) + "\n"); err != nil {
			f.Close()
			return nil, fmt.Errorf("secret file %s: %w", path, err)
		}
		if err := f.Close(); err != nil {
			return nil, fmt.Errorf("secret file %s: %w", path, err)
		}
		return [][]byte{s}, nil
	default:
		return nil, fmt.Errorf("no server secret: set NEXUS_SECRET or create %s: %w", path, err)
	}
}

// parseSecret accepts 64+ hex characters (used as is) or a passphrase of at
// least 16 characters, stretched to 32 bytes with SHA-256 (the hasher then
// derives its own sub-key with HKDF).
func parseSecret(v string) ([]byte, error) {
	if s, err := vkey.DecodeSecret(v); err == nil && len(s) >= vkey.MinSecretLen {
		return s, nil
	}
	if len(v) < 16 {
		return nil, errors.New("must be 64 hex characters or a passphrase of at least 16 characters")
	}
	sum := sha256.Sum256([]byte("nexus/server-secret/v1\x00" + v))
	return sum[:], nil
}

// Sealer builds the credential sealer from NEXUS_MASTER_KEY (64 hex
// characters, or a passphrase).
func Sealer(getenv func(string) string) (*secret.Sealer, error) {
	v := strings.TrimSpace(getenv("NEXUS_MASTER_KEY"))
	if v == "" {
		return nil, errors.New("NEXUS_MASTER_KEY is not set: it is needed to seal and open stored provider credentials")
	}
	master, err := secret.ParseMasterKey(v)
	if err != nil {
		return nil, fmt.Errorf("NEXUS_MASTER_KEY: %w", err)
	}
	return secret.NewSealer(master)
}

// storedKeys opens the sealed credentials of providers configured with
// credential: store. Errors name the provider, never the key.
func storedKeys(ctx context.Context, cfg *config.Config, db *store.DB, getenv func(string) string) (map[string]string, error) {
	out := map[string]string{}
	var sealer *secret.Sealer
	for _, p := range cfg.Providers {
		if p.Credential != "store" {
			continue
		}
		if sealer == nil {
			s, err := Sealer(getenv)
			if err != nil {
				return nil, fmt.Errorf("provider %s: %w", p.Name, err)
			}
			sealer = s
		}
		sealed, err := db.Credential(ctx, p.Name)
		if err != nil {
			return nil, fmt.Errorf("provider %s: no stored credential (run `nexus providers set-key %s`): %w", p.Name, p.Name, err)
		}
		key, err := sealer.Open(sealed, []byte(p.Name))
		if err != nil {
			return nil, fmt.Errorf("provider %s: stored credential: %w", p.Name, err)
		}
		out[p.Name] = string(key)
	}
	return out, nil
}
