package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/store/storetest"
)

// testClock is a settable clock, safe for concurrent use.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newTestClock() *testClock {
	return &testClock{t: time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)}
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func openAt(t testing.TB, dsn string, opts ...Option) *DB {
	t.Helper()
	db, err := Open(context.Background(), dsn, opts...)
	if err != nil {
		t.Fatalf("Open(%q): %v", dsn, err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func fileDSN(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "nexus.db")
}

// eachBackend runs fn against a fresh on-disk SQLite database, a fresh
// in-memory one (the two differ in pooling: many connections vs one), and
// a fresh PostgreSQL schema when NEXUS_TEST_POSTGRES names a server.
func eachBackend(t *testing.T, fn func(t *testing.T, db *DB, clock *testClock)) {
	t.Helper()
	for _, name := range []string{"file", "memory", "postgres"} {
		t.Run(name, func(t *testing.T) {
			clock := newTestClock()
			var dsn string
			switch name {
			case "file":
				dsn = fileDSN(t)
			case "memory":
				dsn = "sqlite://:memory:"
			default:
				dsn = storetest.PostgresDSN(t)
			}
			fn(t, openAt(t, dsn, WithClock(clock.Now)), clock)
		})
	}
}

// eachSharedBackend runs fn with the DSN of a fresh database that several
// handles can open at once (standing in for several processes): an SQLite
// file, and a PostgreSQL schema when a server is configured.
func eachSharedBackend(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	for _, b := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"file", fileDSN}, {"postgres", storetest.PostgresDSN}} {
		t.Run(b.name, func(t *testing.T) { fn(t, b.dsn(t)) })
	}
}

// isPostgres reports the engine behind a handle.
func isPostgres(db *DB) bool { return db.dialect.name == "postgres" }

// sampleKey returns a valid key whose hash and prefix derive from n, so
// distinct n never collide.
func sampleKey(n int) *VirtualKey {
	return &VirtualKey{
		Name:    fmt.Sprintf("key-%d", n),
		Hash:    fmt.Sprintf("%064x", n+1),
		Prefix:  fmt.Sprintf("nvk_%08x", n),
		Enabled: true,
	}
}

func mustCreate(t testing.TB, db *DB, k *VirtualKey) *VirtualKey {
	t.Helper()
	if err := db.CreateKey(context.Background(), k); err != nil {
		t.Fatalf("CreateKey(%s): %v", k.Name, err)
	}
	return k
}

func mustVersion(t testing.TB, db *DB) int64 {
	t.Helper()
	v, err := db.ChangeVersion(context.Background())
	if err != nil {
		t.Fatalf("ChangeVersion: %v", err)
	}
	return v
}
