-- PostgreSQL mirror of migrations/sqlite/0002_audit.sql; see the comments
-- there. day is the UTC date of ts as YYYY-MM-DD text, written by the store.
CREATE TABLE audit_records (
    id                 TEXT        NOT NULL PRIMARY KEY,
    ts                 TIMESTAMPTZ NOT NULL,
    day                TEXT        NOT NULL,
    client_request_id  TEXT        NOT NULL DEFAULT '',
    key_id             TEXT        NOT NULL DEFAULT '',
    key_name           TEXT        NOT NULL DEFAULT '',
    key_prefix         TEXT        NOT NULL DEFAULT '',
    labels             TEXT        NOT NULL DEFAULT '{}',
    ingress            TEXT        NOT NULL DEFAULT '',
    endpoint           TEXT        NOT NULL DEFAULT '',
    stream             BOOLEAN     NOT NULL DEFAULT FALSE,
    requested_model    TEXT        NOT NULL DEFAULT '',
    routed_model       TEXT        NOT NULL DEFAULT '',
    provider           TEXT        NOT NULL DEFAULT '',
    upstream_model     TEXT        NOT NULL DEFAULT '',
    attempts           INTEGER     NOT NULL DEFAULT 0,
    status             INTEGER     NOT NULL,
    error_code         TEXT        NOT NULL DEFAULT '',
    latency_ms         BIGINT      NOT NULL DEFAULT 0,
    ttft_ms            BIGINT,
    input_tokens       BIGINT      NOT NULL DEFAULT 0,
    output_tokens      BIGINT      NOT NULL DEFAULT 0,
    cache_read_tokens  BIGINT      NOT NULL DEFAULT 0,
    cache_write_tokens BIGINT      NOT NULL DEFAULT 0,
    reasoning_tokens   BIGINT      NOT NULL DEFAULT 0,
    cost_micros        BIGINT,
    cost_unpriced      BOOLEAN     NOT NULL DEFAULT FALSE,
    cache_status       TEXT        NOT NULL DEFAULT '',
    hooks              TEXT,
    request_body       BYTEA,
    response_body      BYTEA,
    bodies_truncated   BOOLEAN     NOT NULL DEFAULT FALSE
);

CREATE INDEX audit_records_key_day ON audit_records (key_id, day);
CREATE INDEX audit_records_ts ON audit_records (ts);
