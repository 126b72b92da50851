-- Virtual keys (SPEC §3). Only the HMAC of a key is stored; prefix is for display.
-- Timestamps are UTC text in a fixed-width layout (see dialect.go), so text
-- order is time order and ORDER BY created_at needs no conversion.
CREATE TABLE virtual_keys (
    id             TEXT    NOT NULL PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    hash           TEXT    NOT NULL UNIQUE,
    hash_version   INTEGER NOT NULL DEFAULT 0,
    prefix         TEXT    NOT NULL,
    enabled        INTEGER NOT NULL,
    status         TEXT    NOT NULL,
    expires_at     TEXT,
    allowed_models TEXT    NOT NULL DEFAULT '[]',
    rpm            INTEGER NOT NULL DEFAULT 0,
    labels         TEXT    NOT NULL DEFAULT '{}',
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL
);

CREATE INDEX virtual_keys_prefix ON virtual_keys (prefix);
CREATE INDEX virtual_keys_created ON virtual_keys (created_at, id);

-- One-row counter bumped in the same transaction as every key mutation, so a
-- gateway process can notice another process's change with one primary-key
-- read and drop its in-memory key cache.
CREATE TABLE key_changes (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL
);
INSERT INTO key_changes (id, version) VALUES (1, 0);

-- Provider credentials sealed by internal/secret (AES-256-GCM, AAD = provider).
-- The store never sees plaintext.
CREATE TABLE provider_credentials (
    provider   TEXT NOT NULL PRIMARY KEY,
    key_id     TEXT NOT NULL,
    nonce      BLOB NOT NULL,
    ciphertext BLOB NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
