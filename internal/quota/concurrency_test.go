package quota

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// budgetRun is the outcome of many concurrent requests against one USD budget.
type budgetRun struct {
	admitted, rejected int
	reserved           int64 // Σ estimates of admitted requests
	spent              int64 // Σ real costs of admitted requests
	underEstimate      int64 // Σ max(0, real − estimate) over admitted requests
}

// concurrentBudget fires n requests at once across stages (request i goes to
// stages[i%len]). With barrier, no admitted request finishes before every
// request has been admitted or refused, so all admitted requests are in
// flight at the last admission — the worst case of the documented bound.
// maxTokens 0 leaves the output estimate at the 1024 default; usage(i) is
// what upstream reports for request i.
func concurrentBudget(t *testing.T, stages []*Stage, key *pipeline.Key, n, maxTokens int, barrier bool, usage func(i int) canonical.Usage) budgetRun {
	t.Helper()
	var (
		mu      sync.Mutex
		run     budgetRun
		decided atomic.Int64
		allIn   = make(chan struct{})
		wg      sync.WaitGroup
	)
	decide := func() {
		if decided.Add(1) == int64(n) {
			close(allIn)
		}
	}
	out := maxTokens
	if out == 0 {
		out = 1024
	}
	estimate, _ := testPrices.Estimate("gpt-4o", 100, out) // 400-byte bodies: 100 input tokens
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			u := usage(i)
			next := pipeline.HandlerFunc(func(_ context.Context, x *pipeline.Exchange) (*pipeline.Response, error) {
				x.Target.Model = x.Model
				if barrier {
					decide()
					<-allIn
				}
				return &pipeline.Response{Body: []byte(`{}`), Usage: &u}, nil
			})
			_, err := stages[i%len(stages)].Serve(context.Background(), request(t, key, "gpt-4o", 400, maxTokens), next)
			cost, _ := testPrices.Cost("gpt-4o", u)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if e, ok := err.(*canonical.Error); !ok || e.Code != CodeExceeded {
					t.Errorf("request %d: %v, want admitted or QUOTA_EXCEEDED", i, err)
				}
				run.rejected++
				if barrier {
					decide()
				}
				return
			}
			run.admitted++
			run.reserved += estimate
			run.spent += cost
			run.underEstimate += max(0, cost-estimate)
		}()
	}
	wg.Wait()
	return run
}

func TestHardUSDLimitUnder200ConcurrentRequests(t *testing.T) {
	tests := []struct {
		name      string
		limitUSD  float64
		maxTokens int
		barrier   bool
		usage     func(i int) canonical.Usage
		// With the barrier no reservation is settled before the last
		// admission, so exactly floor(limit / estimate) requests fit.
		wantAdmitted int
	}{
		{"usage within the estimate: never above the limit", 0.1, 100, true,
			func(i int) canonical.Usage { return canonical.Usage{InputTokens: 50 + i%51, OutputTokens: i % 101} }, 80},
		{"usage above the estimate: above the limit by at most the in-flight under-estimates", 0.5, 0, true,
			func(i int) canonical.Usage {
				return canonical.Usage{InputTokens: 100 + i%40, OutputTokens: 1024 + (i*37)%2000}
			}, 47},
		{"settling while admitting: spend tracks usage exactly", 0.5, 0, false,
			func(i int) canonical.Usage {
				return canonical.Usage{InputTokens: 100 + i%40, OutputTokens: (i * 37) % 3000}
			}, -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustStage(t, rules(config.QuotaRule{Name: "r", Scope: "key", USDPerDay: tt.limitUSD}), newClock(noon).now)
			run := concurrentBudget(t, []*Stage{s}, keyA, 200, tt.maxTokens, tt.barrier, tt.usage)
			checkBudgetRun(t, run, usdToMicros(tt.limitUSD), 200, tt.wantAdmitted)
			if tt.wantAdmitted == 47 && run.spent <= usdToMicros(tt.limitUSD) {
				t.Errorf("spent %d µ$: every answer outgrew its estimate, so spend should pass the limit (within the bound)", run.spent)
			}
			if got := used(t, s, keyA, "r", "usd_per_day"); got != run.spent {
				t.Errorf("counter = %d µ$, want the %d µ$ really spent (settlement is exact)", got, run.spent)
			}
		})
	}
}

// checkBudgetRun asserts the documented bound (docs/quotas.md): reservations
// never exceed the limit, and spend exceeds it by at most the under-estimates
// of the requests in flight at the last admission (here: all admitted ones,
// a superset, so the check holds with or without the barrier).
func checkBudgetRun(t *testing.T, run budgetRun, limit int64, n, wantAdmitted int) {
	t.Helper()
	t.Logf("admitted %d, rejected %d, reserved %d µ$, spent %d µ$, under-estimates %d µ$, limit %d µ$",
		run.admitted, run.rejected, run.reserved, run.spent, run.underEstimate, limit)
	if run.admitted+run.rejected != n || run.admitted == 0 || run.rejected == 0 {
		t.Fatalf("admitted %d + rejected %d of %d: the limit must admit some and refuse some", run.admitted, run.rejected, n)
	}
	if wantAdmitted >= 0 && run.admitted != wantAdmitted {
		t.Errorf("admitted %d, want %d", run.admitted, wantAdmitted)
	}
	if run.reserved > limit && wantAdmitted >= 0 {
		t.Errorf("reservations %d µ$ exceed the limit %d µ$", run.reserved, limit)
	}
	if bound := limit + run.underEstimate; run.spent > bound {
		t.Errorf("spent %d µ$ > bound %d µ$ (limit + in-flight under-estimates)", run.spent, bound)
	}
	if run.underEstimate == 0 && run.spent > limit {
		t.Errorf("spent %d µ$ over the limit %d µ$ although no request cost more than its reservation", run.spent, limit)
	}
}

func TestConcurrentKeysAndGroupsCountEveryRequest(t *testing.T) {
	// Each request locks a key counter and a team counter; requests of
	// different keys of one team cross on the team's. No update may be lost
	// and no pair of requests may deadlock.
	s := mustStage(t, rules(
		config.QuotaRule{Name: "key", Scope: "key", RPM: 1 << 30, TPM: 1 << 40},
		config.QuotaRule{Name: "team", Scope: "label:team", RPM: 1 << 30, USDPerDay: 1e6},
	), newClock(noon).now)
	const keys, perKey = 16, 200
	ks := make([]*pipeline.Key, keys)
	for i := range ks {
		ks[i] = &pipeline.Key{ID: "k" + string(rune('a'+i)), Name: "k", Labels: map[string]string{"team": []string{"x", "y"}[i%2]}}
	}
	var wg sync.WaitGroup
	for i := range ks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			up := &upstream{usage: fixedUsage(10, 10)}
			for j := 0; j < perKey; j++ {
				if _, err := s.Serve(context.Background(), request(t, ks[i], "gpt-4o", 100, 10), up); err != nil {
					t.Errorf("key %d: %v", i, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	for i, k := range ks {
		if got := used(t, s, k, "key", "rpm"); got != perKey {
			t.Errorf("key %d rpm = %d, want %d", i, got, perKey)
		}
		if got := used(t, s, k, "key", "tpm"); got != perKey*20 {
			t.Errorf("key %d tpm = %d, want %d", i, got, perKey*20)
		}
	}
	for _, k := range ks[:2] {
		if got := used(t, s, k, "team", "rpm"); got != keys/2*perKey {
			t.Errorf("team %s rpm = %d, want %d", k.Labels["team"], got, keys/2*perKey)
		}
		if got, want := used(t, s, k, "team", "usd_per_day"), int64(keys/2*perKey*125); got != want { // 10×2.5 + 10×10 µ$
			t.Errorf("team %s usd = %d, want %d", k.Labels["team"], got, want)
		}
	}
}
