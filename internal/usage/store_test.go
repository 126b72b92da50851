package usage

import (
	"context"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/store/storetest"
)

// The reports over a real audit table, on every engine: both must render
// the same bytes.
func TestReportsFromTheStore(t *testing.T) {
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			db, err := store.Open(context.Background(), b.DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			at := func(day string, h int) time.Time {
				d, _ := time.Parse(time.DateOnly, day)
				return d.Add(time.Duration(h) * time.Hour)
			}
			rows := []store.AuditRecord{
				// Counted: key-limited, May 2026.
				{ID: "a", Time: at("2026-05-01", 9), KeyID: "key-limited", RequestedModel: "gpt-4o", RoutedModel: "gpt-4o", Provider: "openai", Status: 200, InputTokens: 1000, OutputTokens: 200, CostMicros: 4500, CostKnown: true},
				{ID: "b", Time: at("2026-05-01", 23), KeyID: "key-limited", RequestedModel: "fast", RoutedModel: "claude-haiku-4-5", Provider: "anthropic", Status: 200, InputTokens: 2000, OutputTokens: 100, CacheReadTokens: 1500, CostMicros: 1234, CostKnown: true},
				{ID: "c", Time: at("2026-05-19", 0), KeyID: "key-limited", RequestedModel: "gpt-4o", Status: 429, ErrorCode: "QUOTA_EXCEEDED", CostKnown: true},
				{ID: "d", Time: at("2026-05-20", 15), KeyID: "key-limited", RequestedModel: "local", RoutedModel: "local", Provider: "ollama", Status: 200, InputTokens: 10, OutputTokens: 10, CostUnpriced: true},
				// Not counted: another key, another month.
				{ID: "e", Time: at("2026-05-02", 9), KeyID: "key-open", RequestedModel: "gpt-4o", RoutedModel: "gpt-4o", Provider: "openai", Status: 200, InputTokens: 5, OutputTokens: 5, CostMicros: 5, CostKnown: true},
				{ID: "f", Time: at("2026-04-30", 23), KeyID: "key-limited", RequestedModel: "gpt-4o", RoutedModel: "gpt-4o", Provider: "openai", Status: 200, InputTokens: 5, OutputTokens: 5, CostMicros: 5, CostKnown: true},
			}
			if err := db.InsertAudit(context.Background(), rows); err != nil {
				t.Fatal(err)
			}
			h := New(Options{Auth: fakeAuth{}, Store: db, Now: now})
			for target, name := range map[string]string{
				"/v1/usage":                            "store_summary",
				"/v1/usage/daily?startDate=2026-05-01": "store_daily",
			} {
				rec := serve(t, h, target, "nvk_limited")
				if rec.Code != 200 {
					t.Fatalf("%s: status %d: %s", target, rec.Code, rec.Body)
				}
				golden(t, name, rec.Body.Bytes())
			}
		})
	}
}
