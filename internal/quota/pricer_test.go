package quota

import (
	"context"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/cost"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// The gateway passes its *cost.Table as the stage's Pricer.
var _ Pricer = (*cost.Table)(nil)

func TestStageWithTheCostTable(t *testing.T) {
	p := func(v float64) *float64 { return &v }
	table, err := cost.NewTable([]cost.Entry{
		{Model: "gpt-4o", Aliases: []string{"4o"}, Provider: "oa", Price: cost.Price{Input: p(2.5), Output: p(10), CachedRead: p(1.25)}},
		{Model: "mystery", Provider: "oa"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(rules(config.QuotaRule{Name: "r", Scope: "key", USDPerDay: 1}), table, nil, newClock(noon).now)
	if err != nil {
		t.Fatal(err)
	}
	// 1000 input tokens of which 800 cached, 100 output: 200×2.5 + 800×1.25 + 100×10 = 2500 µ$.
	up := &upstream{usage: func(*pipeline.Exchange) *canonical.Usage {
		return &canonical.Usage{InputTokens: 1000, CacheReadTokens: 800, OutputTokens: 100}
	}}
	x := request(t, keyA, "4o", 400, 100) // an alias is priced like its model
	if _, err := s.Serve(context.Background(), x, up); err != nil {
		t.Fatal(err)
	}
	if got := used(t, s, keyA, "r", "usd_per_day"); got != 2500 {
		t.Errorf("charged %d µ$, want 2500 (cached reads at their own price)", got)
	}
	_, err = s.Serve(context.Background(), request(t, keyA, "mystery", 400, 100), up)
	if e := quotaErr(t, err); e.Code != CodeUnpriced {
		t.Errorf("unpriced model: %s, want %s", e.Code, CodeUnpriced)
	}
}
