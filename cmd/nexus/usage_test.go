package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/store/storetest"
)

// usageRows: two keys over two days (UTC), two providers, one refused
// request, one unpriced model.
func usageRows() []store.AuditRecord {
	at := func(day string, h int) time.Time {
		d, _ := time.Parse(time.DateOnly, day)
		return d.Add(time.Duration(h) * time.Hour)
	}
	return []store.AuditRecord{
		{ID: "1", Time: at("2026-11-01", 1), KeyID: "k-aaa", KeyName: "search", RequestedModel: "gpt-4o", RoutedModel: "gpt-4o", Provider: "openai", Status: 200, InputTokens: 1000, OutputTokens: 100, CacheReadTokens: 200, CostMicros: 3_500, CostKnown: true},
		{ID: "2", Time: at("2026-11-01", 2), KeyID: "k-aaa", KeyName: "search", RequestedModel: "fast", RoutedModel: "claude-haiku-4-5", Provider: "anthropic", Status: 200, InputTokens: 500, OutputTokens: 50, ReasoningTokens: 20, CostMicros: 1_250_000, CostKnown: true},
		{ID: "3", Time: at("2026-11-02", 3), KeyID: "k-bbb", KeyName: "batch", RequestedModel: "gpt-4o", Status: 429, ErrorCode: "QUOTA_EXCEEDED", CostKnown: true},
		{ID: "4", Time: at("2026-11-02", 4), KeyID: "k-bbb", KeyName: "batch", RequestedModel: "local", RoutedModel: "local", Provider: "ollama", Status: 200, InputTokens: 10, OutputTokens: 10, CostUnpriced: true},
		// Before every --since used below.
		{ID: "0", Time: at("2026-10-31", 23), KeyID: "k-aaa", KeyName: "search", RequestedModel: "gpt-4o", RoutedModel: "gpt-4o", Provider: "openai", Status: 200, InputTokens: 9, OutputTokens: 9, CostMicros: 9, CostKnown: true},
	}
}

func TestUsageCommand(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 2, 12, 0, 0, 0, time.UTC) }
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"by key, default since start of month", nil, `usage since 2026-11-01T00:00:00Z, by key

KEY ID  NAME    REQUESTS  ERRORS  INPUT TOKENS  OUTPUT TOKENS  CACHED  REASONING  COST USD
k-aaa   search  2         0       1500          150            200     20         1.253500
k-bbb   batch   2         1       10            10             0       0          0.000000*
TOTAL           4         1       1510          160            200     20         1.253500*

* 1 request(s) with an unknown cost (unpriced model, or no usage reported) are not in COST USD.
`},
		{"by model", []string{"--by", "model", "--since", "2026-11-01"}, `usage since 2026-11-01T00:00:00Z, by model

MODEL             REQUESTS  ERRORS  INPUT TOKENS  OUTPUT TOKENS  CACHED  REASONING  COST USD
claude-haiku-4-5  1         0       500           50             0       20         1.250000
gpt-4o            2         1       1000          100            200     0          0.003500
local             1         0       10            10             0       0          0.000000*
TOTAL             4         1       1510          160            200     20         1.253500*

* 1 request(s) with an unknown cost (unpriced model, or no usage reported) are not in COST USD.
`},
		{"by provider, duration", []string{"--by=provider", "--since", "36h"}, `usage since 2026-11-01T00:00:00Z, by provider

PROVIDER   REQUESTS  ERRORS  INPUT TOKENS  OUTPUT TOKENS  CACHED  REASONING  COST USD
-          1         1       0             0              0       0          0.000000
anthropic  1         0       500           50             0       20         1.250000
ollama     1         0       10            10             0       0          0.000000*
openai     1         0       1000          100            200     0          0.003500
TOTAL      4         1       1510          160            200     20         1.253500*

* 1 request(s) with an unknown cost (unpriced model, or no usage reported) are not in COST USD.
`},
		{"by day, days back", []string{"--by", "day", "--since", "2d"}, `usage since 2026-10-31T12:00:00Z, by day

DAY         REQUESTS  ERRORS  INPUT TOKENS  OUTPUT TOKENS  CACHED  REASONING  COST USD
2026-10-31  1         0       9             9              0       0          0.000009
2026-11-01  2         0       1500          150            200     20         1.253500
2026-11-02  2         1       10            10             0       0          0.000000*
TOTAL       5         1       1519          169            200     20         1.253509*

* 1 request(s) with an unknown cost (unpriced model, or no usage reported) are not in COST USD.
`},
		{"nothing since", []string{"--since", "2027-01-01T00:00:00Z"}, `usage since 2027-01-01T00:00:00Z, by key

KEY ID  NAME  REQUESTS  ERRORS  INPUT TOKENS  OUTPUT TOKENS  CACHED  REASONING  COST USD
TOTAL         0         0       0             0              0       0          0.000000
`},
	}
	for _, b := range storetest.Backends() {
		t.Run(b.Name, func(t *testing.T) {
			dsn := b.DSN(t)
			db, err := store.Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.InsertAudit(context.Background(), usageRows()); err != nil {
				t.Fatal(err)
			}
			db.Close()
			dir := t.TempDir()
			writeConfig(t, dir, fmt.Sprintf("database: %q\nproviders: []\n", dsn))
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					var out bytes.Buffer
					if err := runUsage(context.Background(), tt.args, &out, testEnv(dir), now); err != nil {
						t.Fatal(err)
					}
					if out.String() != tt.want {
						t.Fatalf("got\n%s\nwant\n%s", out.String(), tt.want)
					}
				})
			}
		})
	}
}

func TestUsageCommandRejects(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, fmt.Sprintf("database: sqlite://%s\nproviders: []\n", filepath.Join(dir, "n.db")))
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--by", "team"}, "want key, model, provider or day"},
		{[]string{"--since", "yesterday"}, "want a date"},
		{[]string{"--since", "-24h"}, "positive"},
		{[]string{"--since", "xd"}, "number of days"},
		{[]string{"extra"}, "unexpected argument"},
		{[]string{"--nope"}, "flag provided but not defined"},
	}
	for _, tt := range tests {
		err := usageCmd(context.Background(), tt.args, &bytes.Buffer{}, testEnv(dir))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want one containing %q", tt.args, err, tt.want)
		}
	}
	// Nothing was opened or created for a rejected invocation.
	if _, err := os.Stat(filepath.Join(dir, "n.db")); err == nil {
		t.Error("a rejected invocation created the database")
	}
}
