package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// migration is one numbered .sql file ("0001_init.sql" is version 1).
type migration struct {
	version int
	name    string
	sql     string
}

func loadMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("store: read migrations: %w", err)
	}
	var out []migration
	seen := map[int]string{}
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 {
			return nil, fmt.Errorf("store: migration %q is not named NNNN_name.sql", e.Name())
		}
		if prev, dup := seen[v]; dup {
			return nil, fmt.Errorf("store: migrations %q and %q share version %d", prev, e.Name(), v)
		}
		seen[v] = e.Name()
		body, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: read migration %q: %w", e.Name(), err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	return out, nil
}

// migrate applies every migration not yet recorded in schema_migrations.
//
// It runs as one transaction. Under SQLite's BEGIN IMMEDIATE that
// transaction holds the write lock from its first statement, so when the CLI
// and the gateway open a fresh file at the same moment one migrates and the
// other waits (busy_timeout), then finds nothing left to do. PostgreSQL gets
// the same effect from a transaction-scoped advisory lock taken first (and
// its DDL is transactional, so a failed migration leaves nothing behind).
// Versions in the table that this binary does not know (a newer binary
// migrated) are left alone so an older process can keep running during a
// rolling upgrade.
func (db *DB) migrate(ctx context.Context) error {
	fsys, err := db.dialect.migrationFS(migrationFiles)
	if err != nil {
		return err
	}
	migs, err := loadMigrations(fsys)
	if err != nil {
		return err
	}
	return db.inTx(ctx, func(tx *sql.Tx) error {
		if db.dialect.migrateLock != "" {
			if _, err := tx.ExecContext(ctx, db.dialect.migrateLock); err != nil {
				return fmt.Errorf("store: lock for migration: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, db.q.createMigrations); err != nil {
			return fmt.Errorf("store: create schema_migrations: %w", err)
		}
		applied, err := appliedVersions(ctx, tx, db.q.appliedMigrations)
		if err != nil {
			return err
		}
		for _, m := range migs {
			if applied[m.version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.sql); err != nil {
				return fmt.Errorf("store: migration %s: %w", m.name, err)
			}
			if _, err := tx.ExecContext(ctx, db.q.recordMigration, m.version, m.name, db.dialect.timeValue(db.now())); err != nil {
				return fmt.Errorf("store: record migration %s: %w", m.name, err)
			}
		}
		return nil
	})
}

func appliedVersions(ctx context.Context, tx *sql.Tx, query string) (map[int]bool, error) {
	rows, err := tx.QueryContext(ctx, query)
	if err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	defer rows.Close()
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return nil, fmt.Errorf("store: scan schema_migrations: %w", err)
		}
		applied[v] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read schema_migrations: %w", err)
	}
	return applied, nil
}
