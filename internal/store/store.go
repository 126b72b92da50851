// Package store persists the gateway's entities: virtual keys, sealed
// provider credentials, the change counter that lets a running gateway
// notice edits made by another process (the `nexus keys` CLI), and the
// per-request audit trail with the usage queries built on it.
//
// SQLite (modernc.org/sqlite, no cgo) is the default engine; PostgreSQL
// (pgx) is chosen by a postgres:// DSN. Everything engine-specific lives in
// dialect.go, pgdriver.go and migrations/<engine>/, so the queries are
// written once.
package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

//go:embed migrations
var migrationFiles embed.FS

var (
	// ErrNotFound: no entity matches.
	ErrNotFound = errors.New("store: not found")
	// ErrConflict: a unique field (key name, hash, id) is already taken.
	ErrConflict = errors.New("store: conflict")
	// ErrAmbiguous: a display prefix matches more than one key.
	ErrAmbiguous = errors.New("store: ambiguous reference")
	// ErrRevoked: the operation is not allowed on a revoked key.
	ErrRevoked = errors.New("store: key is revoked")
)

// busyTimeoutMS is how long a connection waits on another writer's lock
// (the CLI and the gateway share one file) before failing with SQLITE_BUSY.
const busyTimeoutMS = 5000

// DB is a handle on the store. It is safe for concurrent use.
type DB struct {
	sql     *sql.DB
	dialect *dialect
	q       queries
	now     func() time.Time
	rand    io.Reader

	// Prepared once: these run on every request.
	keyByHash     *sql.Stmt
	changeVersion *sql.Stmt
	// insertAuditN holds prepared multi-row audit inserts for a few batch
	// sizes (auditSizes); a batch is written greedily with the largest that
	// fits, so no statement is ever planned on the write path.
	insertAuditN map[int]*sql.Stmt
}

// Option adjusts Open.
type Option func(*DB)

// WithClock replaces time.Now for created/updated timestamps (tests).
func WithClock(now func() time.Time) Option { return func(db *DB) { db.now = now } }

// WithRandom replaces crypto/rand as the source of generated ids (tests).
func WithRandom(r io.Reader) Option { return func(db *DB) { db.rand = r } }

// Open connects to dsn and brings the schema up to date.
//
// Accepted forms: "sqlite://./nexus.db" (relative path), "sqlite:///abs/path.db"
// (absolute), "sqlite://:memory:" (private in-memory database, gone on Close),
// and "postgres://user:pass@host:5432/db?sslmode=…" (or postgresql://; every
// libpq-style parameter pgx understands, and unknown parameters such as
// search_path become session settings).
// Every SQLite connection gets WAL journaling, busy_timeout 5000 ms,
// foreign_keys on, and BEGIN IMMEDIATE transactions: a transaction that reads
// then writes holds the write lock from the start, so two processes never
// deadlock on a lock upgrade.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	d, driverDSN, memory, err := parseDSN(dsn)
	if err != nil {
		return nil, err
	}
	var sqldb *sql.DB
	if d.name == "postgres" {
		cfg, err := pgx.ParseConfig(driverDSN)
		if err != nil {
			// pgconn's parse errors redact the password.
			return nil, fmt.Errorf("store: postgres DSN: %w", err)
		}
		sqldb = stdlib.OpenDB(*cfg)
	} else if sqldb, err = sql.Open(d.driver, driverDSN); err != nil {
		return nil, fmt.Errorf("store: open %s: %w", d.name, err)
	}
	switch {
	case d.name == "postgres":
		// Every request authenticates through the pool and audit batches
		// share it; a few connections per core, recycled now and then so a
		// failover of the server is picked up.
		n := max(8, 2*runtime.GOMAXPROCS(0))
		sqldb.SetMaxOpenConns(n)
		sqldb.SetMaxIdleConns(n)
		sqldb.SetConnMaxIdleTime(5 * time.Minute)
		sqldb.SetConnMaxLifetime(time.Hour)
	case memory:
		// Each SQLite connection to ":memory:" is its own empty database, so
		// the pool must hold exactly one connection and never recycle it.
		sqldb.SetMaxOpenConns(1)
		sqldb.SetMaxIdleConns(1)
		sqldb.SetConnMaxLifetime(0)
		sqldb.SetConnMaxIdleTime(0)
	default:
		// WAL readers run in parallel; keep as many idle connections as may
		// be open so a burst does not pay connection setup (pragmas) again.
		n := max(4, runtime.GOMAXPROCS(0))
		sqldb.SetMaxOpenConns(n)
		sqldb.SetMaxIdleConns(n)
	}

	db := &DB{sql: sqldb, dialect: d, now: time.Now, rand: rand.Reader}
	for _, o := range opts {
		o(db)
	}
	db.q = buildQueries(d)

	if err := db.init(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return db, nil
}

func (db *DB) init(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("store: connect: %w", err)
	}
	if err := db.migrate(ctx); err != nil {
		return err
	}
	var err error
	if db.keyByHash, err = db.sql.PrepareContext(ctx, db.q.keyByHash); err != nil {
		return fmt.Errorf("store: prepare key lookup: %w", err)
	}
	if db.changeVersion, err = db.sql.PrepareContext(ctx, db.q.changeVersion); err != nil {
		return fmt.Errorf("store: prepare change version: %w", err)
	}
	db.insertAuditN = make(map[int]*sql.Stmt, len(auditSizes))
	for _, n := range auditSizes {
		st, err := db.sql.PrepareContext(ctx, auditInsert(db.dialect, n))
		if err != nil {
			return fmt.Errorf("store: prepare audit insert: %w", err)
		}
		db.insertAuditN[n] = st
	}
	return nil
}

// parseDSN maps a store DSN onto the engine and the driver's own DSN.
func parseDSN(dsn string) (d *dialect, driverDSN string, memory bool, err error) {
	scheme, rest, ok := strings.Cut(dsn, "://")
	if !ok {
		return nil, "", false, errors.New("store: DSN has no scheme (want sqlite://PATH or postgres://…)")
	}
	switch scheme {
	case "sqlite":
	case "postgres", "postgresql":
		return postgresDialect(), dsn, false, nil
	default:
		return nil, "", false, fmt.Errorf("store: unsupported DSN scheme %q (want sqlite or postgres)", scheme)
	}
	if rest == "" {
		return nil, "", false, errors.New("store: sqlite DSN has no path")
	}
	if strings.ContainsAny(rest, "?#") {
		return nil, "", false, fmt.Errorf("store: sqlite DSN %q: query parameters are not supported", dsn)
	}
	params := fmt.Sprintf("?_pragma=busy_timeout(%d)&_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_txlock=immediate", busyTimeoutMS)
	if rest == ":memory:" {
		return sqliteDialect(), "file::memory:" + params, true, nil
	}
	// An SQLite URI filename: only '%' needs escaping once '?' and '#' are
	// excluded above.
	return sqliteDialect(), "file:" + strings.ReplaceAll(rest, "%", "%25") + params, false, nil
}

// Close releases the connections. For ":memory:" the data is gone.
func (db *DB) Close() error {
	var errs []error
	stmts := []*sql.Stmt{db.keyByHash, db.changeVersion}
	for _, st := range db.insertAuditN {
		stmts = append(stmts, st)
	}
	for _, st := range stmts {
		if st != nil {
			errs = append(errs, st.Close())
		}
	}
	errs = append(errs, db.sql.Close())
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

// Ping checks the database answers (readiness probes).
func (db *DB) Ping(ctx context.Context) error {
	if err := db.sql.PingContext(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// inTx runs fn in a transaction, committing when it returns nil.
func (db *DB) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.sql.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}
