// Package storetest gives tests of any package fresh databases on every
// engine the store supports: a private SQLite file, and a private schema on
// the PostgreSQL server named by NEXUS_TEST_POSTGRES (scripts/services.sh
// starts one). It imports nothing from store, so store's own tests use it.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvPostgres names the variable holding the test server's DSN.
const EnvPostgres = "NEXUS_TEST_POSTGRES"

// Backend is one engine to run a test against.
type Backend struct {
	Name string // "sqlite" or "postgres"
	// DSN opens a fresh, empty database on the engine. Each call gives a new
	// one; every handle opened on the same DSN shares it.
	DSN func(tb testing.TB) string
}

// Backends lists SQLite and PostgreSQL. Run each as a subtest: the
// postgres DSN function skips the subtest when no server is configured
// (and fails it when CI=true, where a missing service is a setup error).
func Backends() []Backend {
	return []Backend{
		{Name: "sqlite", DSN: SQLiteDSN},
		{Name: "postgres", DSN: PostgresDSN},
	}
}

// SQLiteDSN returns a DSN for a new database file in a temp directory.
func SQLiteDSN(tb testing.TB) string {
	return "sqlite://" + filepath.Join(tb.TempDir(), "nexus.db")
}

// PostgresDSN creates a uniquely named schema on the test server and
// returns the server's DSN with search_path set to it, so the migrations
// and every query of the test land there and nowhere else. The schema is
// dropped when the test ends.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	base := os.Getenv(EnvPostgres)
	if base == "" {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s is not set under CI: scripts/services.sh must start PostgreSQL", EnvPostgres)
		}
		tb.Skipf("%s not set; run scripts/test.sh (or source scripts/services.sh) for PostgreSQL tests", EnvPostgres)
	}
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatal(err)
	}
	schema := "nexus_t_" + hex.EncodeToString(b[:])
	exec(tb, base, "CREATE SCHEMA "+schema)
	tb.Cleanup(func() { exec(tb, base, "DROP SCHEMA IF EXISTS "+schema+" CASCADE") })

	u, err := url.Parse(base)
	if err != nil {
		tb.Fatalf("%s: %v", EnvPostgres, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

func exec(tb testing.TB, dsn, sql string) {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		tb.Fatalf("connect to test PostgreSQL: %v", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
}
