package store

import (
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// dialect holds everything that differs between SQL engines, so the queries
// in this package are written once: SQLite (sqliteDialect) and PostgreSQL
// (postgresDialect), each with its own migrations directory.
type dialect struct {
	name string
	// driver is the database/sql driver name; empty for PostgreSQL, which
	// is opened from a parsed pgx config with pgx's stdlib adapter.
	driver string
	// migrations is the directory of numbered .sql files for this engine.
	migrations string
	// placeholder renders the n-th (1-based) bind parameter.
	placeholder func(n int) string
	// timeValue turns a time into the value bound for a timestamp column.
	timeValue func(time.Time) any
	// timestampType is the column type of timestamps outside migrations
	// (schema_migrations is created before any migration runs).
	timestampType string
	// migrateLock, when set, runs first in the migration transaction so
	// that processes migrating one database at once take turns. SQLite needs
	// none: BEGIN IMMEDIATE already holds the write lock.
	migrateLock string
	// isUniqueViolation reports a UNIQUE / PRIMARY KEY constraint failure.
	isUniqueViolation func(error) bool
	// isDataError reports an error caused by the values of a row (bad
	// text, out of range, constraint) rather than by the database being
	// unavailable: retrying the same row cannot succeed.
	isDataError func(error) bool
}

// timeLayout is fixed-width (always 6 fractional digits, always "Z") so that
// text comparison orders timestamps correctly.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// timePrecision is the coarsest precision among supported engines
// (PostgreSQL keeps microseconds); truncating to it up front makes a value
// read back equal to the value written on every engine.
const timePrecision = time.Microsecond

func normTime(t time.Time) time.Time { return t.UTC().Truncate(timePrecision) }

// sqliteDialect is built by a function rather than held in a package
// variable so no package-level state exists that a caller could mutate.
func sqliteDialect() *dialect {
	return &dialect{
		name:          "sqlite",
		driver:        "sqlite",
		migrations:    "migrations/sqlite",
		placeholder:   func(int) string { return "?" },
		timeValue:     func(t time.Time) any { return normTime(t).Format(timeLayout) },
		timestampType: "TEXT",
		isUniqueViolation: func(err error) bool {
			var se *sqlite.Error
			if !errors.As(err, &se) {
				return false
			}
			switch se.Code() {
			case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
				return true
			}
			return false
		},
		isDataError: func(err error) bool {
			var se *sqlite.Error
			if !errors.As(err, &se) {
				return false
			}
			// Primary result codes: the extended codes keep them in the low byte.
			switch se.Code() & 0xff {
			case sqlite3.SQLITE_CONSTRAINT, sqlite3.SQLITE_TOOBIG, sqlite3.SQLITE_MISMATCH, sqlite3.SQLITE_RANGE:
				return true
			}
			return false
		},
	}
}

// postgresDialect: numbered $n placeholders, native TIMESTAMPTZ (bound as
// time.Time, microsecond precision like timeLayout), and a transaction-level
// advisory lock around migrations.
func postgresDialect() *dialect {
	return &dialect{
		name:              "postgres",
		migrations:        "migrations/postgres",
		placeholder:       func(n int) string { return "$" + strconv.Itoa(n) },
		timeValue:         func(t time.Time) any { return normTime(t) },
		timestampType:     "TIMESTAMPTZ",
		migrateLock:       "SELECT pg_advisory_xact_lock(7274352436540741958)", // arbitrary constant: "nexus" migrations
		isUniqueViolation: pgUniqueViolation,
		isDataError:       pgDataError,
	}
}

// bind rewrites the '?' placeholders of a query into the dialect's form.
// Queries are bound once at Open, never per call. No query in this package
// has a '?' inside a string literal, which is what makes this safe.
func (d *dialect) bind(q string) string {
	if d.placeholder(1) == "?" {
		return q
	}
	var b strings.Builder
	n := 0
	for _, r := range q {
		if r == '?' {
			n++
			b.WriteString(d.placeholder(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// upsert renders the conflict clause that turns an INSERT into an upsert.
// SQLite (≥3.24) and PostgreSQL share this syntax; it stays here so an
// engine that does not can override it in one place.
func (d *dialect) upsert(conflict string, update ...string) string {
	var b strings.Builder
	b.WriteString(" ON CONFLICT (")
	b.WriteString(conflict)
	b.WriteString(") DO UPDATE SET ")
	for i, c := range update {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(c)
		b.WriteString(" = excluded.")
		b.WriteString(c)
	}
	return b.String()
}

// nullTime scans a timestamp column whatever the driver hands back: text in
// timeLayout (SQLite), a time.Time (drivers that parse timestamps), or NULL.
type nullTime struct {
	Time  time.Time
	Valid bool
}

func (n *nullTime) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*n = nullTime{}
		return nil
	case time.Time:
		*n = nullTime{Time: normTime(v), Valid: true}
		return nil
	case string:
		return n.parse(v)
	case []byte:
		return n.parse(string(v))
	}
	return fmt.Errorf("store: cannot scan %T into a timestamp", src)
}

func (n *nullTime) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("store: bad timestamp %s: %w", strconv.Quote(s), err)
	}
	*n = nullTime{Time: normTime(t), Valid: true}
	return nil
}

// migrationFS narrows the embedded tree to one dialect's migrations.
func (d *dialect) migrationFS(root fs.FS) (fs.FS, error) {
	sub, err := fs.Sub(root, d.migrations)
	if err != nil {
		return nil, fmt.Errorf("store: %s migrations: %w", d.name, err)
	}
	return sub, nil
}
