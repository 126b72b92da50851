-- One row per proxied request (issue 6 item 4, SPEC §13.1), written in
-- batches by internal/audit. The request id is the primary key, so a batch
-- re-inserted after a crash or from the overflow spool is a no-op
-- (INSERT … ON CONFLICT (id) DO NOTHING).
--
-- ts is the request start in the fixed-width UTC text of dialect.go; day is
-- its first ten characters (YYYY-MM-DD, UTC), kept as a column so daily
-- rollups group on an indexed value the same way on every engine.
-- Money is integer micro-dollars. cost_micros NULL means the cost is
-- unknown (the model has no price, or the upstream reported no usage);
-- cost_unpriced says which of the two. Never read NULL as $0.
CREATE TABLE audit_records (
    id                 TEXT    NOT NULL PRIMARY KEY,
    ts                 TEXT    NOT NULL,
    day                TEXT    NOT NULL,
    client_request_id  TEXT    NOT NULL DEFAULT '',
    key_id             TEXT    NOT NULL DEFAULT '',
    key_name           TEXT    NOT NULL DEFAULT '',
    key_prefix         TEXT    NOT NULL DEFAULT '',
    labels             TEXT    NOT NULL DEFAULT '{}',
    ingress            TEXT    NOT NULL DEFAULT '',
    endpoint           TEXT    NOT NULL DEFAULT '',
    stream             INTEGER NOT NULL DEFAULT 0,
    requested_model    TEXT    NOT NULL DEFAULT '',
    routed_model       TEXT    NOT NULL DEFAULT '',
    provider           TEXT    NOT NULL DEFAULT '',
    upstream_model     TEXT    NOT NULL DEFAULT '',
    attempts           INTEGER NOT NULL DEFAULT 0,
    status             INTEGER NOT NULL,
    error_code         TEXT    NOT NULL DEFAULT '',
    latency_ms         INTEGER NOT NULL DEFAULT 0,
    ttft_ms            INTEGER,
    input_tokens       INTEGER NOT NULL DEFAULT 0,
    output_tokens      INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens  INTEGER NOT NULL DEFAULT 0,
    cache_write_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_tokens   INTEGER NOT NULL DEFAULT 0,
    cost_micros        INTEGER,
    cost_unpriced      INTEGER NOT NULL DEFAULT 0,
    cache_status       TEXT    NOT NULL DEFAULT '',
    hooks              TEXT,
    request_body       BLOB,
    response_body      BLOB,
    bodies_truncated   INTEGER NOT NULL DEFAULT 0
);

-- /v1/usage and /v1/usage/daily: one key, a range of days.
CREATE INDEX audit_records_key_day ON audit_records (key_id, day);
-- nexus usage --since: every key, from a moment on.
CREATE INDEX audit_records_ts ON audit_records (ts);
