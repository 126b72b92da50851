package store

import (
	"context"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

func TestLoadMigrations(t *testing.T) {
	tests := []struct {
		name         string
		files        fstest.MapFS
		wantVersions []int
		wantErr      bool
	}{
		{
			name: "sorted numerically, non-sql ignored",
			files: fstest.MapFS{
				"0010_later.sql": {Data: []byte("x")},
				"0002_b.sql":     {Data: []byte("x")},
				"0001_a.sql":     {Data: []byte("x")},
				"README.md":      {Data: []byte("x")},
			},
			wantVersions: []int{1, 2, 10},
		},
		{name: "missing number", files: fstest.MapFS{"init.sql": {}}, wantErr: true},
		{name: "zero version", files: fstest.MapFS{"0000_x.sql": {}}, wantErr: true},
		{name: "duplicate version", files: fstest.MapFS{"0001_a.sql": {}, "1_b.sql": {}}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := loadMigrations(tt.files)
			if (err != nil) != tt.wantErr {
				t.Fatalf("error %v, wantErr %v", err, tt.wantErr)
			}
			if len(got) != len(tt.wantVersions) {
				t.Fatalf("got %d migrations", len(got))
			}
			for i, m := range got {
				if m.version != tt.wantVersions[i] {
					t.Fatalf("position %d has version %d", i, m.version)
				}
			}
		})
	}
}

func TestEmbeddedMigrationsMirrorEachOther(t *testing.T) {
	// Every engine must reach the same schema version through the same
	// numbered steps, or one engine would silently lack a table.
	var names [][]string
	for _, d := range []*dialect{sqliteDialect(), postgresDialect()} {
		migs, err := loadMigrations(mustMigrationFS(t, d))
		if err != nil {
			t.Fatal(err)
		}
		if len(migs) == 0 || migs[0].version != 1 {
			t.Fatalf("%s: embedded migrations %v", d.name, migs)
		}
		var ns []string
		for _, m := range migs {
			ns = append(ns, m.name)
		}
		names = append(names, ns)
	}
	if strings.Join(names[0], ",") != strings.Join(names[1], ",") {
		t.Fatalf("sqlite migrations %v, postgres migrations %v", names[0], names[1])
	}
}

func TestOpenToleratesNewerSchemaVersion(t *testing.T) {
	// A newer binary may have migrated further; an older process (still
	// running during a rolling upgrade) must open the database anyway.
	eachSharedBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		db := openAt(t, dsn)
		if _, err := db.sql.ExecContext(ctx, db.q.recordMigration, 9999, "9999_future.sql", db.dialect.timeValue(time.Now())); err != nil {
			t.Fatal(err)
		}
		again, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("reopen with a newer recorded version: %v", err)
		}
		again.Close()
	})
}
