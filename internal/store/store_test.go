package store

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestParseDSN(t *testing.T) {
	tests := []struct {
		name        string
		dsn         string
		wantDialect string
		wantDriver  string // prefix of the driver DSN
		wantMemory  bool
		wantErr     string
	}{
		{name: "relative path", dsn: "sqlite://./nexus.db", wantDialect: "sqlite", wantDriver: "file:./nexus.db?"},
		{name: "absolute path", dsn: "sqlite:///var/lib/nexus/nexus.db", wantDialect: "sqlite", wantDriver: "file:/var/lib/nexus/nexus.db?"},
		{name: "memory", dsn: "sqlite://:memory:", wantDialect: "sqlite", wantDriver: "file::memory:?", wantMemory: true},
		{name: "percent in file name is escaped", dsn: "sqlite:///tmp/a%b.db", wantDialect: "sqlite", wantDriver: "file:/tmp/a%25b.db?"},
		{name: "postgres passed to pgx whole", dsn: "postgres://u:p@h:5433/db?sslmode=disable", wantDialect: "postgres", wantDriver: "postgres://u:p@h:5433/db?sslmode=disable"},
		{name: "postgresql scheme", dsn: "postgresql://u@h/db", wantDialect: "postgres", wantDriver: "postgresql://u@h/db"},
		{name: "no scheme", dsn: "./nexus.db", wantErr: "no scheme"},
		{name: "unknown scheme", dsn: "mysql://x", wantErr: "unsupported"},
		{name: "empty path", dsn: "sqlite://", wantErr: "no path"},
		{name: "query parameters refused", dsn: "sqlite://./x.db?mode=ro", wantErr: "query parameters"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, got, memory, err := parseDSN(tt.dsn)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d.name != tt.wantDialect {
				t.Fatalf("dialect %q, want %q", d.name, tt.wantDialect)
			}
			if !strings.HasPrefix(got, tt.wantDriver) {
				t.Fatalf("driver DSN %q, want prefix %q", got, tt.wantDriver)
			}
			if memory != tt.wantMemory {
				t.Fatalf("memory = %v", memory)
			}
			if d.name != "sqlite" {
				return
			}
			for _, p := range []string{"busy_timeout(5000)", "foreign_keys(1)", "journal_mode(WAL)", "_txlock=immediate"} {
				if !strings.Contains(got, p) {
					t.Errorf("driver DSN %q lacks %s", got, p)
				}
			}
		})
	}
}

func TestOpenPostgresErrorsHideThePassword(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tests := []struct{ name, dsn string }{
		{"unparsable port", "postgres://nexus:s3cr3t-pw@127.0.0.1:notaport/db"},
		// Port 1 on loopback refuses at once: the connect error must not echo the DSN either.
		{"unreachable server", "postgres://nexus:s3cr3t-pw@127.0.0.1:1/db?connect_timeout=2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, err := Open(ctx, tt.dsn)
			if err == nil {
				db.Close()
				t.Fatal("Open succeeded")
			}
			if strings.Contains(err.Error(), "s3cr3t-pw") {
				t.Fatalf("error reveals the password: %v", err)
			}
		})
	}
}

func TestOpenAppliesConnectionSettings(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name        string
		dsn         string
		journalMode string
	}{
		{"file uses WAL", fileDSN(t), "wal"},
		{"memory cannot use WAL", "sqlite://:memory:", "memory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := openAt(t, tt.dsn)
			// Pin one connection so all three pragmas are read from the same one.
			conn, err := db.sql.Conn(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			var mode string
			var busy, fk int
			if err := conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
				t.Fatal(err)
			}
			if mode != tt.journalMode || busy != 5000 || fk != 1 {
				t.Fatalf("journal_mode=%s busy_timeout=%d foreign_keys=%d", mode, busy, fk)
			}
		})
	}
}

func TestOpenFailsOnUnwritablePath(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "missing-dir", "nexus.db")
	if db, err := Open(context.Background(), dsn); err == nil {
		db.Close()
		t.Fatal("Open succeeded in a directory that does not exist")
	}
}

func TestMigrationsIdempotentOnReopen(t *testing.T) {
	eachSharedBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		first, err := Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		migs, err := loadMigrations(mustMigrationFS(t, first.dialect))
		if err != nil {
			t.Fatal(err)
		}
		k := mustCreate(t, first, sampleKey(1))
		v := mustVersion(t, first)
		if err := first.Close(); err != nil {
			t.Fatal(err)
		}

		for i := range 3 {
			db, err := Open(ctx, dsn)
			if err != nil {
				t.Fatalf("reopen %d: %v", i, err)
			}
			var n int
			if err := db.sql.QueryRowContext(ctx, "SELECT COUNT(*) FROM schema_migrations").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n != len(migs) {
				t.Fatalf("reopen %d: %d migration rows, want %d", i, n, len(migs))
			}
			got, err := db.KeyByHash(ctx, k.Hash)
			if err != nil || got.ID != k.ID {
				t.Fatalf("reopen %d: key lost: %v", i, err)
			}
			if got := mustVersion(t, db); got != v {
				t.Fatalf("reopen %d: change version reset to %d, want %d", i, got, v)
			}
			db.Close()
		}
	})
}

func mustMigrationFS(t *testing.T, d *dialect) fs.FS {
	t.Helper()
	fsys, err := d.migrationFS(migrationFiles)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestConcurrentOpenOfFreshDatabase(t *testing.T) {
	// The CLI and the gateway (or several gateway replicas) may create the
	// schema at once: one migrates, the others wait and then find it in place.
	eachSharedBackend(t, func(t *testing.T, dsn string) {
		const n = 4
		dbs := make([]*DB, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), dsn) })
		}
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("Open %d: %v", i, errs[i])
			}
			defer dbs[i].Close()
		}
		mustCreate(t, dbs[0], sampleKey(1))
		if got := mustVersion(t, dbs[n-1]); got != 1 {
			t.Fatalf("change version %d seen by another handle, want 1", got)
		}
	})
}

func TestPingAndClose(t *testing.T) {
	db, err := Open(context.Background(), "sqlite://:memory:")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Ping(context.Background()); err != nil {
		t.Fatalf("Ping: %v", err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := db.Ping(context.Background()); err == nil {
		t.Fatal("Ping after Close succeeded")
	}
}
