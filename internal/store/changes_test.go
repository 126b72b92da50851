package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/store/storetest"
)

// Two handles on one file stand in for the `nexus keys` CLI process and the
// gateway process.
func TestChangeVersionSeenAcrossHandles(t *testing.T) {
	eachSharedBackend(t, testChangeVersionSeenAcrossHandles)
}

func testChangeVersionSeenAcrossHandles(t *testing.T, dsn string) {
	ctx := context.Background()
	gateway := openAt(t, dsn)
	cli := openAt(t, dsn)

	if v := mustVersion(t, gateway); v != 0 {
		t.Fatalf("fresh store version %d, want 0", v)
	}
	k := mustCreate(t, cli, sampleKey(1))

	steps := []struct {
		name   string
		mutate func() error
		check  func(VirtualKey) bool
	}{
		{"create", func() error { return nil }, func(g VirtualKey) bool { return g.Enabled }},
		{"disable", func() error { return cli.SetKeyEnabled(ctx, k.Name, false) }, func(g VirtualKey) bool { return !g.Enabled }},
		{"enable", func() error { return cli.SetKeyEnabled(ctx, k.Name, true) }, func(g VirtualKey) bool { return g.Enabled }},
		{"revoke", func() error { return cli.RevokeKey(ctx, k.Name) }, func(g VirtualKey) bool { return g.Status == StatusRevoked && !g.Enabled }},
	}
	last := int64(0)
	for _, st := range steps {
		began := time.Now()
		if err := st.mutate(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		// A change returns only after the grace the gateways' version
		// reuse relies on (KeyChangeGrace > KeyChangeReuse).
		if st.name != "create" && time.Since(began) < KeyChangeGrace {
			t.Fatalf("%s returned %v after it began, before the grace of %v", st.name, time.Since(began), KeyChangeGrace)
		}
		v := mustVersion(t, gateway)
		if v <= last {
			t.Fatalf("%s: gateway sees version %d, not beyond %d", st.name, v, last)
		}
		last = v
		// Once the version moved, a fresh lookup must see the change.
		got, err := gateway.KeyByHash(ctx, k.Hash)
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if !st.check(got) {
			t.Fatalf("%s: gateway reads %+v", st.name, got)
		}
	}
	// And the other way round: the gateway's writes reach the CLI.
	mustCreate(t, gateway, sampleKey(2))
	if v := mustVersion(t, cli); v != last+1 {
		t.Fatalf("cli sees version %d, want %d", v, last+1)
	}
}

func TestChangeVersionIgnoresCredentialWrites(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		before := mustVersion(t, db)
		if err := db.PutCredential(context.Background(), "openai", sealedFixture(t, "openai")); err != nil {
			t.Fatal(err)
		}
		if v := mustVersion(t, db); v != before {
			t.Fatalf("credential write moved key change version %d -> %d", before, v)
		}
	})
}

// Auth traffic (KeyByHash + ChangeVersion) races with CLI-style writes on a
// second handle; run under -race.
func TestConcurrentLookupsDuringWrites(t *testing.T) {
	ctx := context.Background()
	for _, backend := range []string{"file", "memory", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			var gateway, cli *DB
			switch backend {
			case "file":
				dsn := fileDSN(t)
				gateway, cli = openAt(t, dsn), openAt(t, dsn)
			case "postgres":
				dsn := storetest.PostgresDSN(t)
				gateway, cli = openAt(t, dsn), openAt(t, dsn)
			default:
				gateway = openAt(t, "sqlite://:memory:")
				cli = gateway
			}
			const nKeys = 8
			keys := make([]*VirtualKey, nKeys)
			for i := range keys {
				keys[i] = mustCreate(t, cli, sampleKey(i))
			}

			var stop atomic.Bool
			var wg sync.WaitGroup
			errs := make(chan error, 32)
			for g := range 8 {
				wg.Go(func() {
					var last int64
					for n := 0; !stop.Load() || n < 50; n++ {
						k := keys[(g+n)%nKeys]
						got, err := gateway.KeyByHash(ctx, k.Hash)
						if err != nil {
							errs <- fmt.Errorf("lookup %s: %w", k.Name, err)
							return
						}
						if got.ID != k.ID {
							errs <- fmt.Errorf("hash of %s returned %s", k.Name, got.Name)
							return
						}
						v, err := gateway.ChangeVersion(ctx)
						if err != nil {
							errs <- err
							return
						}
						if v < last {
							errs <- fmt.Errorf("change version went backwards %d -> %d", last, v)
							return
						}
						last = v
					}
				})
			}
			for i := range 40 {
				if err := cli.SetKeyEnabled(ctx, keys[i%nKeys].ID, i%2 == 1); err != nil {
					t.Errorf("toggle: %v", err)
				}
			}
			stop.Store(true)
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
		})
	}
}

// dataVersionProbe is the rejected alternative to the key_changes counter,
// kept here only so BenchmarkChangeVersionDataVersion can measure it.
type dataVersionProbe struct {
	mu   sync.Mutex
	stmt *sql.Stmt // prepared on the one dedicated connection
}

func newDataVersionProbe(tb testing.TB, db *DB) *dataVersionProbe {
	conn, err := db.sql.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	stmt, err := conn.PrepareContext(context.Background(), "PRAGMA data_version")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { stmt.Close(); conn.Close() })
	return &dataVersionProbe{stmt: stmt}
}

func (p *dataVersionProbe) version(ctx context.Context) (int64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	var v int64
	err := p.stmt.QueryRowContext(ctx).Scan(&v)
	return v, err
}

func TestDataVersionProbeSeesOtherConnections(t *testing.T) {
	// Guards the benchmark: the probe must really detect a foreign commit,
	// or its numbers would be meaningless.
	dsn := fileDSN(t)
	gateway, cli := openAt(t, dsn), openAt(t, dsn)
	probe := newDataVersionProbe(t, gateway)
	before, err := probe.version(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	mustCreate(t, cli, sampleKey(1))
	after, _ := probe.version(context.Background())
	if after == before {
		t.Fatal("data_version did not change after another handle committed")
	}
}

func BenchmarkChangeVersionCounter(b *testing.B) {
	db := openAt(b, fileDSN(b))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.ChangeVersion(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChangeVersionDataVersion(b *testing.B) {
	db := openAt(b, fileDSN(b))
	probe := newDataVersionProbe(b, db)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := probe.version(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChangeVersionCounterParallel(b *testing.B) {
	db := openAt(b, fileDSN(b))
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := db.ChangeVersion(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkChangeVersionDataVersionParallel(b *testing.B) {
	db := openAt(b, fileDSN(b))
	probe := newDataVersionProbe(b, db)
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := probe.version(ctx); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func BenchmarkKeyByHash(b *testing.B) {
	db := openAt(b, fileDSN(b))
	for i := range 1000 {
		mustCreate(b, db, sampleKey(i))
	}
	hash := sampleKey(500).Hash
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := db.KeyByHash(ctx, hash); err != nil {
			b.Fatal(err)
		}
	}
}
