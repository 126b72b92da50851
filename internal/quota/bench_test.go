package quota

import (
	"context"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// benchRules are a typical setup: a per-key budget on every axis and a
// team budget, limits high enough never to refuse.
func benchRules(prefix string) config.Quotas {
	return rules(
		config.QuotaRule{Name: prefix + "-key", Scope: "key", RPM: 1 << 40, TPM: 1 << 50, USDPerDay: 1e8, USDPerMonth: 1e9, SoftPercent: 80},
		config.QuotaRule{Name: prefix + "-team", Scope: "label:team", USDPerMonth: 1e9},
	)
}

var benchUsage = canonical.Usage{InputTokens: 120, OutputTokens: 80}

var benchNext = pipeline.HandlerFunc(func(_ context.Context, x *pipeline.Exchange) (*pipeline.Response, error) {
	x.Target.Model = x.Model
	return &pipeline.Response{Body: []byte(`{}`), Usage: &benchUsage}, nil
})

// runStage serves requests through s; with keys > 1 each goroutine uses its
// own key (no contention on counters), else all share one.
func runStage(b *testing.B, s *Stage, keys int) {
	b.Helper()
	var seq atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := seq.Add(1)
		key := &pipeline.Key{ID: "k", Name: "k", Labels: map[string]string{"team": "t" + strconv.FormatInt(n%4, 10)}}
		if keys > 1 {
			key.ID = "k" + strconv.FormatInt(n, 10)
		}
		x := request(b, key, "gpt-4o", 2000, 256)
		ctx := context.Background()
		for pb.Next() {
			x.Model = "gpt-4o"
			if _, err := s.Serve(ctx, x, benchNext); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkStage(b *testing.B) {
	b.Run("no-rules", func(b *testing.B) {
		runStage(b, mustStage(b, config.Quotas{}, nil), 1)
	})
	b.Run("in-process/one-key", func(b *testing.B) {
		runStage(b, mustStage(b, benchRules("b"), nil), 1)
	})
	b.Run("in-process/key-per-goroutine", func(b *testing.B) {
		runStage(b, mustStage(b, benchRules("b"), nil), 2)
	})
	b.Run("redis/key-per-goroutine", func(b *testing.B) {
		url := testRedis(b)
		q := benchRules(uniqueName("bench"))
		q.Redis, q.RedisTimeout = url, time.Second
		runStage(b, mustStage(b, q, nil), 2)
	})
	b.Run("redis-lease/key-per-goroutine", func(b *testing.B) {
		url := testRedis(b)
		q := benchRules(uniqueName("bench"))
		q.Redis, q.RedisTimeout, q.RedisMode = url, time.Second, config.QuotaModeLease
		runStage(b, mustStage(b, q, nil), 2)
	})
}
