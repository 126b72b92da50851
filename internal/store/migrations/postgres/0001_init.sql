-- PostgreSQL mirror of migrations/sqlite/0001_init.sql. Timestamps are
-- TIMESTAMPTZ (microsecond precision, the precision the store normalises to),
-- flags are BOOLEAN, sealed bytes BYTEA.

-- Virtual keys (SPEC §3). Only the HMAC of a key is stored; prefix is for display.
CREATE TABLE virtual_keys (
    id             TEXT        NOT NULL PRIMARY KEY,
    name           TEXT        NOT NULL UNIQUE,
    hash           TEXT        NOT NULL UNIQUE,
    hash_version   INTEGER     NOT NULL DEFAULT 0,
    prefix         TEXT        NOT NULL,
    enabled        BOOLEAN     NOT NULL,
    status         TEXT        NOT NULL,
    expires_at     TIMESTAMPTZ,
    allowed_models TEXT        NOT NULL DEFAULT '[]',
    rpm            INTEGER     NOT NULL DEFAULT 0,
    labels         TEXT        NOT NULL DEFAULT '{}',
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE INDEX virtual_keys_prefix ON virtual_keys (prefix);
CREATE INDEX virtual_keys_created ON virtual_keys (created_at, id);

-- One-row counter bumped in the same transaction as every key mutation
-- (see changes.go).
CREATE TABLE key_changes (
    id      INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
    version BIGINT  NOT NULL
);
INSERT INTO key_changes (id, version) VALUES (1, 0);

-- Provider credentials sealed by internal/secret (AES-256-GCM, AAD = provider).
CREATE TABLE provider_credentials (
    provider   TEXT        NOT NULL PRIMARY KEY,
    key_id     TEXT        NOT NULL,
    nonce      BYTEA       NOT NULL,
    ciphertext BYTEA       NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
