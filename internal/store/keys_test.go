package store

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"testing"
	"time"
)

var uuidV4 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestCreateKeyFillsDefaults(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, clock *testClock) {
		k := mustCreate(t, db, sampleKey(1))
		if !uuidV4.MatchString(k.ID) {
			t.Fatalf("ID %q is not a UUID v4", k.ID)
		}
		if k.Status != StatusActive {
			t.Fatalf("Status %q, want active", k.Status)
		}
		want := clock.Now().Truncate(time.Microsecond)
		if !k.CreatedAt.Equal(want) || !k.UpdatedAt.Equal(want) {
			t.Fatalf("timestamps %v / %v, want %v", k.CreatedAt, k.UpdatedAt, want)
		}
		got, err := db.KeyByHash(context.Background(), k.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, *k) {
			t.Fatalf("read back\n%+v\nwant\n%+v", got, *k)
		}
	})
}

func TestCreateKeyKeepsGivenIDAndTimes(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		created := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		k := sampleKey(1)
		k.ID = "11111111-2222-4333-8444-555555555555"
		k.CreatedAt = created
		mustCreate(t, db, k)
		got, err := db.Key(context.Background(), k.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != k.ID || !got.CreatedAt.Equal(created) || !got.UpdatedAt.Equal(created) {
			t.Fatalf("got id %s created %v updated %v", got.ID, got.CreatedAt, got.UpdatedAt)
		}
	})
}

func TestCreateKeyRejects(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		existing := mustCreate(t, db, sampleKey(1))
		before := mustVersion(t, db)

		tests := []struct {
			name   string
			mutate func(k *VirtualKey)
			want   error // nil = any non-nil error
		}{
			{"duplicate name", func(k *VirtualKey) { k.Name = existing.Name }, ErrConflict},
			{"duplicate hash", func(k *VirtualKey) { k.Hash = existing.Hash }, ErrConflict},
			{"duplicate id", func(k *VirtualKey) { k.ID = existing.ID }, ErrConflict},
			{"empty name", func(k *VirtualKey) { k.Name = "" }, nil},
			{"empty hash", func(k *VirtualKey) { k.Hash = "" }, nil},
			{"empty prefix", func(k *VirtualKey) { k.Prefix = "" }, nil},
			{"unknown status", func(k *VirtualKey) { k.Status = "pending" }, nil},
			{"revoked yet enabled", func(k *VirtualKey) { k.Status = StatusRevoked; k.Enabled = true }, ErrRevoked},
			{"negative rpm", func(k *VirtualKey) { k.RPM = -1 }, nil},
			{"negative hash version", func(k *VirtualKey) { k.HashVersion = -1 }, nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				k := sampleKey(2)
				tt.mutate(k)
				err := db.CreateKey(ctx, k)
				if err == nil {
					t.Fatal("CreateKey succeeded")
				}
				if tt.want != nil && !errors.Is(err, tt.want) {
					t.Fatalf("error %v, want %v", err, tt.want)
				}
			})
		}
		keys, err := db.ListKeys(ctx)
		if err != nil || len(keys) != 1 {
			t.Fatalf("after rejected creates: %d keys, err %v", len(keys), err)
		}
		if got := mustVersion(t, db); got != before {
			t.Fatalf("rejected creates moved change version %d -> %d", before, got)
		}
	})
}

func TestKeyByHashNotFound(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		mustCreate(t, db, sampleKey(1))
		if _, err := db.KeyByHash(context.Background(), "deadbeef"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("error %v, want ErrNotFound", err)
		}
	})
}

func TestKeyResolution(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		a := mustCreate(t, db, sampleKey(1))
		// b and c share a display prefix (a 32-bit collision).
		b := sampleKey(2)
		b.Prefix = "nvk_abcdef01"
		mustCreate(t, db, b)
		c := sampleKey(3)
		c.Prefix = "nvk_abcdef01"
		mustCreate(t, db, c)
		// d is named like a's prefix: a name beats a prefix.
		d := sampleKey(4)
		d.Name = a.Prefix
		mustCreate(t, db, d)
		// e is named like d's id: an id beats a name.
		e := sampleKey(5)
		e.Name = d.ID
		mustCreate(t, db, e)

		tests := []struct {
			name    string
			ref     string
			wantID  string
			wantErr error
		}{
			{"by id", a.ID, a.ID, nil},
			{"by name", a.Name, a.ID, nil},
			{"by unique prefix", sampleKey(5).Prefix, e.ID, nil},
			{"ambiguous prefix", "nvk_abcdef01", "", ErrAmbiguous},
			{"name beats prefix", a.Prefix, d.ID, nil},
			{"id beats name", d.ID, d.ID, nil},
			{"unknown", "nope", "", ErrNotFound},
			{"partial prefix is not a match", "nvk_abcd", "", ErrNotFound},
			{"empty", "", "", ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.Key(ctx, tt.ref)
				if tt.wantErr != nil {
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("error %v, want %v", err, tt.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if got.ID != tt.wantID {
					t.Fatalf("resolved to %s (%s), want %s", got.ID, got.Name, tt.wantID)
				}
			})
		}
	})
}

func TestListKeysOrderedByCreation(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
		// Inserted out of order; offsets straddle a digit boundary
		// (9µs vs 10µs, 9s vs 10s) to catch text-ordering mistakes.
		offsets := []time.Duration{10 * time.Second, 9 * time.Microsecond, 9 * time.Second, 10 * time.Microsecond, 0}
		for i, off := range offsets {
			k := sampleKey(i)
			k.CreatedAt = base.Add(off)
			mustCreate(t, db, k)
		}
		keys, err := db.ListKeys(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != len(offsets) {
			t.Fatalf("got %d keys", len(keys))
		}
		wantNames := []string{"key-4", "key-1", "key-3", "key-2", "key-0"}
		for i, k := range keys {
			if k.Name != wantNames[i] {
				t.Fatalf("position %d is %s, want %s (full order %v)", i, k.Name, wantNames[i], names(keys))
			}
		}
	})
}

func names(ks []VirtualKey) []string {
	out := make([]string, len(ks))
	for i, k := range ks {
		out[i] = k.Name
	}
	return out
}

func TestListKeysEmpty(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		keys, err := db.ListKeys(context.Background())
		if err != nil || len(keys) != 0 {
			t.Fatalf("ListKeys on empty store = %v, %v", keys, err)
		}
	})
}

func TestSetKeyEnabledAndRevoke(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, clock *testClock) {
		ctx := context.Background()
		k := mustCreate(t, db, sampleKey(1))
		v0 := mustVersion(t, db)

		clock.Advance(time.Minute)
		if err := db.SetKeyEnabled(ctx, k.Name, false); err != nil {
			t.Fatal(err)
		}
		got, _ := db.KeyByHash(ctx, k.Hash)
		if got.Enabled {
			t.Fatal("key still enabled after disable")
		}
		if !got.UpdatedAt.Equal(k.CreatedAt.Add(time.Minute)) {
			t.Fatalf("UpdatedAt %v not advanced", got.UpdatedAt)
		}
		if !got.CreatedAt.Equal(k.CreatedAt) {
			t.Fatalf("CreatedAt changed to %v", got.CreatedAt)
		}
		v1 := mustVersion(t, db)
		if v1 != v0+1 {
			t.Fatalf("disable: version %d -> %d", v0, v1)
		}

		// A no-op change does not invalidate caches.
		if err := db.SetKeyEnabled(ctx, k.ID, false); err != nil {
			t.Fatal(err)
		}
		if v := mustVersion(t, db); v != v1 {
			t.Fatalf("no-op disable moved version to %d", v)
		}

		if err := db.SetKeyEnabled(ctx, k.Prefix, true); err != nil {
			t.Fatal(err)
		}
		if got, _ := db.KeyByHash(ctx, k.Hash); !got.Enabled {
			t.Fatal("re-enable via prefix did not take")
		}

		if err := db.RevokeKey(ctx, k.ID); err != nil {
			t.Fatal(err)
		}
		got, _ = db.KeyByHash(ctx, k.Hash)
		if got.Status != StatusRevoked || got.Enabled {
			t.Fatalf("after revoke: status %q enabled %v", got.Status, got.Enabled)
		}
		vRevoked := mustVersion(t, db)
		if vRevoked != v1+2 {
			t.Fatalf("after enable+revoke version %d, want %d", vRevoked, v1+2)
		}

		// Irreversible: enabling fails, re-revoking and disabling are no-ops.
		if err := db.SetKeyEnabled(ctx, k.Name, true); !errors.Is(err, ErrRevoked) {
			t.Fatalf("enable revoked key: %v, want ErrRevoked", err)
		}
		if err := db.RevokeKey(ctx, k.Name); err != nil {
			t.Fatalf("second revoke: %v", err)
		}
		if err := db.SetKeyEnabled(ctx, k.Name, false); err != nil {
			t.Fatalf("disable revoked key: %v", err)
		}
		got, _ = db.KeyByHash(ctx, k.Hash)
		if got.Status != StatusRevoked || got.Enabled {
			t.Fatalf("revoked key changed: status %q enabled %v", got.Status, got.Enabled)
		}
		if v := mustVersion(t, db); v != vRevoked {
			t.Fatalf("no-op operations on a revoked key moved version to %d", v)
		}
	})
}

func TestMutationsOnMissingKey(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		if err := db.SetKeyEnabled(ctx, "ghost", false); !errors.Is(err, ErrNotFound) {
			t.Fatalf("SetKeyEnabled: %v", err)
		}
		if err := db.RevokeKey(ctx, "ghost"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("RevokeKey: %v", err)
		}
		if v := mustVersion(t, db); v != 0 {
			t.Fatalf("failed mutations moved version to %d", v)
		}
	})
}

func TestLabelsAndAllowedModelsRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		tests := []struct {
			name       string
			models     []string
			labels     map[string]string
			wantModels []string
			wantLabels map[string]string
		}{
			{
				name:       "populated",
				models:     []string{"gpt-4o*", "claude-*-sonnet", "gemini-2.5-pro"},
				labels:     map[string]string{"team": "search", "project": "q3 \"launch\"", "ünï": "cödé"},
				wantModels: []string{"gpt-4o*", "claude-*-sonnet", "gemini-2.5-pro"},
				wantLabels: map[string]string{"team": "search", "project": "q3 \"launch\"", "ünï": "cödé"},
			},
			{name: "nil stays nil"},
			{name: "empty reads back as nil", models: []string{}, labels: map[string]string{}},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				k := sampleKey(i)
				k.AllowedModels, k.Labels, k.RPM = tt.models, tt.labels, 60*i
				mustCreate(t, db, k)
				got, err := db.Key(context.Background(), k.Name)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got.AllowedModels, tt.wantModels) {
					t.Errorf("models %#v, want %#v", got.AllowedModels, tt.wantModels)
				}
				if !reflect.DeepEqual(got.Labels, tt.wantLabels) {
					t.Errorf("labels %#v, want %#v", got.Labels, tt.wantLabels)
				}
				if got.RPM != 60*i {
					t.Errorf("rpm %d", got.RPM)
				}
			})
		}
	})
}

func TestExpiryStoredInUTC(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		tokyo := time.FixedZone("JST", 9*3600)
		local := time.Date(2026, 6, 30, 23, 59, 59, 987654321, tokyo)

		k := sampleKey(1)
		k.ExpiresAt = &local
		mustCreate(t, db, k)
		noExpiry := mustCreate(t, db, sampleKey(2))

		got, err := db.KeyByHash(ctx, k.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.ExpiresAt == nil {
			t.Fatal("expiry lost")
		}
		if got.ExpiresAt.Location() != time.UTC {
			t.Fatalf("expiry in %v, want UTC", got.ExpiresAt.Location())
		}
		want := local.Truncate(time.Microsecond)
		if !got.ExpiresAt.Equal(want) {
			t.Fatalf("expiry %v, want the instant %v", got.ExpiresAt, want)
		}
		if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
			t.Fatal("timestamps not UTC")
		}

		// What the column holds: fixed-width UTC text on SQLite (so text
		// order is time order), a TIMESTAMPTZ instant on PostgreSQL.
		var raw any
		if err := db.sql.QueryRowContext(ctx, db.dialect.bind("SELECT expires_at FROM virtual_keys WHERE id = ?"), k.ID).Scan(&raw); err != nil {
			t.Fatal(err)
		}
		switch v := raw.(type) {
		case string:
			if v != "2026-06-30T14:59:59.987654Z" {
				t.Fatalf("stored expiry %q, want UTC text", v)
			}
		case time.Time:
			if !isPostgres(db) || !v.Equal(want) {
				t.Fatalf("stored expiry %v (%s), want the instant %v", v, db.dialect.name, want)
			}
		default:
			t.Fatalf("stored expiry is a %T", raw)
		}

		n, err := db.KeyByHash(ctx, noExpiry.Hash)
		if err != nil || n.ExpiresAt != nil {
			t.Fatalf("key without expiry read back %v, %v", n.ExpiresAt, err)
		}
	})
}
