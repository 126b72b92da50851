package store

import (
	"context"
	"crypto/rand"
	crand "crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/store/storetest"
)

// fullAudit returns a record with every column set to a distinct value.
func fullAudit(id string) AuditRecord {
	return AuditRecord{
		ID:              id,
		ClientRequestID: "client-" + id,
		Time:            time.Date(2026, 5, 14, 23, 59, 58, 123456789, time.FixedZone("CEST", 2*3600)),
		KeyID:           "key-id-1",
		KeyName:         "search-bot",
		KeyPrefix:       "nvk_0123abcd",
		Labels:          map[string]string{"team": "search", "project": "q3 \"launch\""},
		Ingress:         "anthropic",
		Endpoint:        "chat",
		Stream:          true,
		RequestedModel:  "claude-fast",
		RoutedModel:     "claude-haiku-4-5",
		Provider:        "anthropic",
		UpstreamModel:   "claude-haiku-4-5-20251001",
		Attempts:        2,
		Status:          200,
		ErrorCode:       "",
		LatencyMS:       1234,
		TTFTMS:          87,
		InputTokens:     1500,
		OutputTokens:    320,
		CacheReadTokens: 1024, CacheWriteTokens: 64, ReasoningTokens: 100,
		CostMicros: 2718, CostKnown: true,
		CacheStatus:     "miss",
		Hooks:           json.RawMessage(`[{"hook":"pii","decision":"approve","tags":["compliance:pii"]}]`),
		RequestBody:     []byte(`{"model":"claude-fast"}`),
		ResponseBody:    []byte("data: {}\n\n"),
		BodiesTruncated: true,
	}
}

func TestInsertAuditRoundTrip(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		full := fullAudit("req-full")
		// A failed request: nothing routed, cost unknown because unpriced,
		// no first token, no hooks, no bodies.
		bare := AuditRecord{ID: "req-bare", Time: full.Time, KeyID: "key-id-1", Status: 503, ErrorCode: "QUOTA_MODEL_UNPRICED",
			RequestedModel: "mystery-model", LatencyMS: 1, CostUnpriced: true}
		if err := db.InsertAudit(ctx, []AuditRecord{full, bare}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []AuditRecord{full, bare} {
			got, err := db.AuditByID(ctx, want.ID)
			if err != nil {
				t.Fatal(err)
			}
			want.Time = want.Time.UTC().Truncate(time.Microsecond)
			if !reflect.DeepEqual(got, want) {
				t.Errorf("%s read back\n%+v\nwant\n%+v", want.ID, got, want)
			}
		}
		if _, err := db.AuditByID(ctx, "nope"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("missing record: %v", err)
		}
	})
}

func TestInsertAuditStoresUTCDay(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		// 23:59:58 in UTC+2 is 21:59:58 UTC on the same day; 01:00 in UTC+2
		// is 23:00 UTC the day before.
		r1 := fullAudit("a")
		r2 := fullAudit("b")
		r2.Time = time.Date(2026, 5, 15, 1, 0, 0, 0, time.FixedZone("CEST", 2*3600))
		if err := db.InsertAudit(ctx, []AuditRecord{r1, r2}); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]string{"a": "2026-05-14", "b": "2026-05-14"} {
			var day string
			if err := db.sql.QueryRowContext(ctx, db.dialect.bind("SELECT day FROM audit_records WHERE id = ?"), id).Scan(&day); err != nil {
				t.Fatal(err)
			}
			if day != want {
				t.Errorf("%s: day %s, want %s", id, day, want)
			}
		}
	})
}

func TestInsertAuditIsIdempotent(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		batch := make([]AuditRecord, 10)
		for i := range batch {
			batch[i] = fullAudit(fmt.Sprintf("req-%02d", i))
		}
		if err := db.InsertAudit(ctx, batch); err != nil {
			t.Fatal(err)
		}
		// The same batch again, then one overlapping it by half with changed
		// values: only new ids are added and stored rows keep their first value.
		if err := db.InsertAudit(ctx, batch); err != nil {
			t.Fatalf("re-insert: %v", err)
		}
		overlap := make([]AuditRecord, 10)
		for i := range overlap {
			overlap[i] = fullAudit(fmt.Sprintf("req-%02d", i+5))
			overlap[i].Status = 500
		}
		if err := db.InsertAudit(ctx, overlap); err != nil {
			t.Fatalf("overlapping insert: %v", err)
		}
		if n := mustCountAudit(t, db); n != 15 {
			t.Fatalf("%d rows, want 15", n)
		}
		for id, status := range map[string]int{"req-05": 200, "req-09": 200, "req-10": 500, "req-14": 500} {
			got, err := db.AuditByID(ctx, id)
			if err != nil || got.Status != status {
				t.Errorf("%s: status %d (%v), want %d", id, got.Status, err, status)
			}
		}
	})
}

func TestInsertAuditSpansStatementChunks(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		// 2×auditChunk+3 rows: two full statements and a short one.
		n := 2*auditChunk + 3
		batch := make([]AuditRecord, n)
		for i := range batch {
			batch[i] = AuditRecord{ID: fmt.Sprintf("r%05d", i), Time: time.Unix(int64(i), 0), Status: 200, InputTokens: int64(i)}
		}
		if err := db.InsertAudit(context.Background(), batch); err != nil {
			t.Fatal(err)
		}
		if got := mustCountAudit(t, db); got != int64(n) {
			t.Fatalf("%d rows, want %d", got, n)
		}
		last, err := db.AuditByID(context.Background(), fmt.Sprintf("r%05d", n-1))
		if err != nil || last.InputTokens != int64(n-1) {
			t.Fatalf("last row %+v, %v", last, err)
		}
	})
}

func TestInsertAuditRefusesInvalidRecordsWhole(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		tests := []struct {
			name string
			bad  func(*AuditRecord)
		}{
			{"no id", func(r *AuditRecord) { r.ID = "" }},
			{"hooks not JSON", func(r *AuditRecord) { r.Hooks = json.RawMessage(`{"hook":`) }},
			{"negative status", func(r *AuditRecord) { r.Status = -1 }},
			{"attempts beyond 32 bits", func(r *AuditRecord) { r.Attempts = 1 << 40 }},
		}
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				good := fullAudit(fmt.Sprintf("good-%d", i))
				bad := fullAudit(fmt.Sprintf("bad-%d", i))
				tt.bad(&bad)
				err := db.InsertAudit(ctx, []AuditRecord{good, bad})
				if !errors.Is(err, ErrInvalidRecord) {
					t.Fatalf("error %v, want ErrInvalidRecord", err)
				}
				// One transaction: the good record of the batch is not written either.
				if _, err := db.AuditByID(ctx, good.ID); !errors.Is(err, ErrNotFound) {
					t.Fatalf("good record of a refused batch: %v", err)
				}
			})
		}
	})
}

func TestInsertAuditCleansUnstorableText(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		ctx := context.Background()
		r := AuditRecord{ID: "req-odd", Time: time.Now(), Status: 400,
			RequestedModel: "gpt\x00-4o\xff", ErrorCode: "bad\x00code", Hooks: json.RawMessage(`{"note":"a\u0000b"}`)}
		if err := db.InsertAudit(ctx, []AuditRecord{r}); err != nil {
			t.Fatalf("odd text refused: %v", err)
		}
		got, err := db.AuditByID(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.RequestedModel != "gpt-4o\uFFFD" || got.ErrorCode != "badcode" {
			t.Fatalf("stored %q / %q", got.RequestedModel, got.ErrorCode)
		}
		// An escaped NUL inside JSON text is plain text and kept as written.
		if string(got.Hooks) != `{"note":"a\u0000b"}` {
			t.Fatalf("hooks %s", got.Hooks)
		}
	})
}

func TestInsertAuditClassifiesEngineRefusals(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		// A key id far beyond PostgreSQL's btree row limit (2704 bytes): the
		// index refuses it (SQLSTATE 54000), which no retry can fix. SQLite
		// has no such limit and stores it.
		r := AuditRecord{ID: "huge", Time: time.Now(), Status: 200, KeyID: randomHex(t, 20000)}
		err := db.InsertAudit(context.Background(), []AuditRecord{r})
		if isPostgres(db) {
			if !errors.Is(err, ErrInvalidRecord) {
				t.Fatalf("error %v, want ErrInvalidRecord", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	})
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func TestInsertAuditEmptyBatch(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		if err := db.InsertAudit(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
		if n := mustCountAudit(t, db); n != 0 {
			t.Fatalf("%d rows", n)
		}
	})
}

func mustCountAudit(t testing.TB, db *DB) int64 {
	t.Helper()
	n, err := db.CountAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkInsertAudit512 inserts batches of 512 records whose ids are
// either time-ordered (what the gateway mints: UUID v7) or random (UUID v4,
// what a client may send): the primary-key index makes the difference.
func BenchmarkInsertAudit512(b *testing.B) {
	for _, backend := range []struct {
		name string
		dsn  func(testing.TB) string
	}{{"sqlite", fileDSN}, {"postgres", storetest.PostgresDSN}} {
		for _, ids := range []string{"ordered", "random"} {
			b.Run(backend.name+"/"+ids, func(b *testing.B) {
				db := openAt(b, backend.dsn(b))
				ctx := context.Background()
				batch := make([]AuditRecord, 512)
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					for i := range batch {
						id := fmt.Sprintf("%016x-%08x", time.Now().UnixNano(), n)
						if ids == "random" {
							var r [16]byte
							_, _ = crand.Read(r[:])
							id = fmt.Sprintf("%x", r)
						}
						batch[i] = fullAudit(id)
						n++
					}
					if err := db.InsertAudit(ctx, batch); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/record")
			})
		}
	}
}
