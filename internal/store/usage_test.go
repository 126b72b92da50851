package store

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"
)

// usageFixture writes a small ledger across two keys, three days, two
// models and two providers, with one failed request and one unpriced one.
// All times are UTC; the expected sums in the tests below are worked out
// from this table by hand.
//
//	id  key  day          model (routed/requested)  provider   status in   out  cost    note
//	r1  k1   2026-05-01   gpt-4o                    openai     200    100  10   1000
//	r2  k1   2026-05-01   gpt-4o                    openai     200    200  20   2000
//	r3  k1   2026-05-01   claude-haiku-4-5          anthropic  200    300  30   3000
//	r4  k1   2026-05-02   gpt-4o (requested only)   ""         429    0    0    0       rejected before routing
//	r5  k1   2026-05-03   mystery (routed)          openai     200    50   5    NULL    unpriced
//	r6  k2   2026-05-02   gpt-4o                    openai     200    1000 100  9000
//	r7  k1   2026-04-30   gpt-4o                    openai     200    7    7    7       day before the ranges
func usageFixture(t *testing.T, db *DB) {
	t.Helper()
	at := func(day string, hour int) time.Time {
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			t.Fatal(err)
		}
		return d.Add(time.Duration(hour) * time.Hour)
	}
	recs := []AuditRecord{
		{ID: "r1", Time: at("2026-05-01", 0), KeyID: "k1", KeyName: "alpha", RequestedModel: "gpt-4o", RoutedModel: "gpt-4o", Provider: "openai", Status: 200, InputTokens: 100, OutputTokens: 10, CostMicros: 1000, CostKnown: true},
		{ID: "r2", Time: at("2026-05-01", 23), KeyID: "k1", KeyName: "alpha", RequestedModel: "gpt-4o", RoutedModel: "gpt-4o", Provider: "openai", Status: 200, InputTokens: 200, OutputTokens: 20, CacheReadTokens: 50, CostMicros: 2000, CostKnown: true},
		{ID: "r3", Time: at("2026-05-01", 12), KeyID: "k1", KeyName: "alpha", RequestedModel: "fast", RoutedModel: "claude-haiku-4-5", Provider: "anthropic", Status: 200, InputTokens: 300, OutputTokens: 30, ReasoningTokens: 12, CostMicros: 3000, CostKnown: true},
		{ID: "r4", Time: at("2026-05-02", 8), KeyID: "k1", KeyName: "alpha-renamed", RequestedModel: "gpt-4o", Status: 429, ErrorCode: "QUOTA_EXCEEDED", CostKnown: true},
		{ID: "r5", Time: at("2026-05-03", 1), KeyID: "k1", KeyName: "alpha-renamed", RequestedModel: "mystery", RoutedModel: "mystery", Provider: "openai", Status: 200, InputTokens: 50, OutputTokens: 5, CostUnpriced: true},
		{ID: "r6", Time: at("2026-05-02", 9), KeyID: "k2", KeyName: "beta", RequestedModel: "gpt-4o", RoutedModel: "gpt-4o", Provider: "openai", Status: 200, InputTokens: 1000, OutputTokens: 100, CostMicros: 9000, CostKnown: true},
		{ID: "r7", Time: at("2026-04-30", 23), KeyID: "k1", KeyName: "alpha", RequestedModel: "gpt-4o", RoutedModel: "gpt-4o", Provider: "openai", Status: 200, InputTokens: 7, OutputTokens: 7, CostMicros: 7, CostKnown: true},
	}
	if err := db.InsertAudit(context.Background(), recs); err != nil {
		t.Fatal(err)
	}
}

func TestKeyUsage(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		usageFixture(t, db)
		tests := []struct {
			name, key, from, to string
			want                UsageTotals
		}{
			{
				// r1..r5: in 650, out 65, cost 6000 (r5 unknown), r4 an error.
				name: "k1 in May", key: "k1", from: "2026-05-01", to: "2026-05-31",
				want: UsageTotals{Requests: 5, Errors: 1, InputTokens: 650, OutputTokens: 65, CacheReadTokens: 50, ReasoningTokens: 12, CostMicros: 6000, UnknownCost: 1},
			},
			{
				name: "k1 one day, bounds inclusive", key: "k1", from: "2026-05-02", to: "2026-05-02",
				want: UsageTotals{Requests: 1, Errors: 1},
			},
			{
				name: "k1 April only", key: "k1", from: "2026-04-01", to: "2026-04-30",
				want: UsageTotals{Requests: 1, InputTokens: 7, OutputTokens: 7, CostMicros: 7},
			},
			{name: "k2", key: "k2", from: "2026-05-01", to: "2026-05-31",
				want: UsageTotals{Requests: 1, InputTokens: 1000, OutputTokens: 100, CostMicros: 9000}},
			{name: "unknown key is all zero", key: "k9", from: "2026-01-01", to: "2026-12-31"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				got, err := db.KeyUsage(context.Background(), tt.key, tt.from, tt.to)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Fatalf("got  %+v\nwant %+v", got, tt.want)
				}
			})
		}
	})
}

func TestKeyDailyUsage(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		usageFixture(t, db)
		got, err := db.KeyDailyUsage(context.Background(), "k1", "2026-05-01", "2026-05-03")
		if err != nil {
			t.Fatal(err)
		}
		want := []DailyUsage{
			{Day: "2026-05-01", Model: "claude-haiku-4-5", Provider: "anthropic", UsageTotals: UsageTotals{Requests: 1, InputTokens: 300, OutputTokens: 30, ReasoningTokens: 12, CostMicros: 3000}},
			{Day: "2026-05-01", Model: "gpt-4o", Provider: "openai", UsageTotals: UsageTotals{Requests: 2, InputTokens: 300, OutputTokens: 30, CacheReadTokens: 50, CostMicros: 3000}},
			{Day: "2026-05-02", Model: "gpt-4o", Provider: "", UsageTotals: UsageTotals{Requests: 1, Errors: 1}},
			{Day: "2026-05-03", Model: "mystery", Provider: "openai", UsageTotals: UsageTotals{Requests: 1, InputTokens: 50, OutputTokens: 5, UnknownCost: 1}},
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("got\n%+v\nwant\n%+v", got, want)
		}
		none, err := db.KeyDailyUsage(context.Background(), "k1", "2026-06-01", "2026-06-30")
		if err != nil || len(none) != 0 {
			t.Fatalf("empty range: %v, %v", none, err)
		}
	})
}

func TestUsageBy(t *testing.T) {
	eachBackend(t, func(t *testing.T, db *DB, _ *testClock) {
		usageFixture(t, db)
		since := time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) // excludes r7
		tests := []struct {
			by   string
			want []UsageGroup
		}{
			{ByKey, []UsageGroup{
				// The latest name wins: MAX over "alpha", "alpha-renamed".
				{Group: "k1", Name: "alpha-renamed", UsageTotals: UsageTotals{Requests: 5, Errors: 1, InputTokens: 650, OutputTokens: 65, CacheReadTokens: 50, ReasoningTokens: 12, CostMicros: 6000, UnknownCost: 1}},
				{Group: "k2", Name: "beta", UsageTotals: UsageTotals{Requests: 1, InputTokens: 1000, OutputTokens: 100, CostMicros: 9000}},
			}},
			{ByModel, []UsageGroup{
				{Group: "claude-haiku-4-5", UsageTotals: UsageTotals{Requests: 1, InputTokens: 300, OutputTokens: 30, ReasoningTokens: 12, CostMicros: 3000}},
				{Group: "gpt-4o", UsageTotals: UsageTotals{Requests: 4, Errors: 1, InputTokens: 1300, OutputTokens: 130, CacheReadTokens: 50, CostMicros: 12000}},
				{Group: "mystery", UsageTotals: UsageTotals{Requests: 1, InputTokens: 50, OutputTokens: 5, UnknownCost: 1}},
			}},
			{ByProvider, []UsageGroup{
				{Group: "", UsageTotals: UsageTotals{Requests: 1, Errors: 1}},
				{Group: "anthropic", UsageTotals: UsageTotals{Requests: 1, InputTokens: 300, OutputTokens: 30, ReasoningTokens: 12, CostMicros: 3000}},
				{Group: "openai", UsageTotals: UsageTotals{Requests: 4, InputTokens: 1350, OutputTokens: 135, CacheReadTokens: 50, CostMicros: 12000, UnknownCost: 1}},
			}},
			{ByDay, []UsageGroup{
				{Group: "2026-05-01", UsageTotals: UsageTotals{Requests: 3, InputTokens: 600, OutputTokens: 60, CacheReadTokens: 50, ReasoningTokens: 12, CostMicros: 6000}},
				{Group: "2026-05-02", UsageTotals: UsageTotals{Requests: 2, Errors: 1, InputTokens: 1000, OutputTokens: 100, CostMicros: 9000}},
				{Group: "2026-05-03", UsageTotals: UsageTotals{Requests: 1, InputTokens: 50, OutputTokens: 5, UnknownCost: 1}},
			}},
		}
		for _, tt := range tests {
			t.Run(tt.by, func(t *testing.T) {
				got, err := db.UsageBy(context.Background(), tt.by, since)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, tt.want) {
					t.Fatalf("got\n%+v\nwant\n%+v", got, tt.want)
				}
			})
		}
		// The since bound is a moment, not a day: 23:00 on Apr 30 takes r7 in.
		got, err := db.UsageBy(context.Background(), ByDay, time.Date(2026, 4, 30, 23, 0, 0, 0, time.UTC))
		if err != nil || len(got) != 4 || got[0].Group != "2026-04-30" {
			t.Fatalf("since 23:00 Apr 30: %+v, %v", got, err)
		}
	})
}

func TestUsageQueriesRejectBadInput(t *testing.T) {
	db := openAt(t, "sqlite://:memory:")
	ctx := context.Background()
	if _, err := db.UsageBy(ctx, "team", time.Now()); err == nil || !strings.Contains(err.Error(), "team") {
		t.Fatalf("unknown dimension: %v", err)
	}
	for _, day := range []string{"2026-5-1", "", "2026-05-01T00:00:00Z", "2026-02-30"} {
		if _, err := db.KeyUsage(ctx, "k", day, "2026-05-31"); err == nil {
			t.Errorf("KeyUsage accepted from=%q", day)
		}
		if _, err := db.KeyDailyUsage(ctx, "k", "2026-05-01", day); err == nil {
			t.Errorf("KeyDailyUsage accepted to=%q", day)
		}
	}
}
