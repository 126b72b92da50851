package quota

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// leaseStage is a lease-mode stage on url; now nil means the real clock.
func leaseStage(t testing.TB, url, policy string, timeout time.Duration, fraction float64, now func() time.Time, rs ...config.QuotaRule) *Stage {
	t.Helper()
	q := rules(rs...)
	q.Redis, q.OnRedisError, q.RedisTimeout = url, policy, timeout
	q.RedisMode, q.LeaseFraction = config.QuotaModeLease, fraction
	return mustStage(t, q, now)
}

// redisValue reads a counter as Redis holds it, through an exact-mode stage
// (which holds no lease of its own).
func redisValue(t *testing.T, url string, now func() time.Time, key *pipeline.Key, r config.QuotaRule, axis string) int64 {
	t.Helper()
	q := rules(r)
	q.Redis, q.OnRedisError, q.RedisTimeout = url, config.QuotaFailClosed, time.Second
	return used(t, mustStage(t, q, now), key, r.Name, axis)
}

func TestLeaseModeConfigIsChecked(t *testing.T) {
	r := config.QuotaRule{Name: "r", Scope: "key", RPM: 1}
	for name, q := range map[string]config.Quotas{
		"lease without redis":   {RedisMode: config.QuotaModeLease, Rules: []config.QuotaRule{r}},
		"fraction above half":   {Redis: "redis://127.0.0.1:1/0", RedisMode: config.QuotaModeLease, LeaseFraction: 0.6, Rules: []config.QuotaRule{r}},
		"fraction in exact":     {Redis: "redis://127.0.0.1:1/0", LeaseFraction: 0.1, Rules: []config.QuotaRule{r}},
		"unknown mode":          {Redis: "redis://127.0.0.1:1/0", RedisMode: "lazy", Rules: []config.QuotaRule{r}},
		"negative lease factor": {Redis: "redis://127.0.0.1:1/0", RedisMode: config.QuotaModeLease, LeaseFraction: -0.1, Rules: []config.QuotaRule{r}},
	} {
		if s, err := New(q, testPrices, nil, nil); err == nil {
			_ = s.Close()
			t.Errorf("%s: New accepted %+v", name, q)
		}
	}
}

func TestLeaseServesRequestsWithoutARedisCallEach(t *testing.T) {
	url := testRedis(t)
	awayFromMinuteEdge(5 * time.Second)
	rule := config.QuotaRule{Name: uniqueName("lease-calls"), Scope: "key", RPM: 100_000, USDPerDay: 1000, SoftPercent: 90}
	s := leaseStage(t, url, config.QuotaFailClosed, time.Second, 0.05, nil, rule)
	up := &upstream{usage: fixedUsage(100, 100)} // 1250 µ$ each on gpt-4o
	const n = 500
	for i := 1; i <= n; i++ {
		x, err := serveOne(t, s, up, "gpt-4o")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		// The header reports this replica's own use, not the lease it holds.
		if got, want := x.ResponseHeader.Get(HeaderUsed), usd(int64(i)*1250); got != want {
			t.Fatalf("request %d: %s = %s, want %s", i, HeaderUsed, got, want)
		}
	}
	st := s.Stats()
	// One call leased both budgets (5 000 requests, $50) at the first request.
	if st.LeaseCalls != 1 || st.ReserveCalls != 0 {
		t.Errorf("stats = %+v, want one lease call for %d requests and no reservation calls", st, n)
	}
	// State reports use, not lease; Redis holds the lease until it goes back.
	st0, err := s.State(context.Background(), keyA)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range st0 {
		if want := map[string]int64{"rpm": n, "usd_per_day": n * 1250}[u.Axis]; u.Used != want {
			t.Errorf("State %s = %d, want %d", u.Axis, u.Used, want)
		}
	}
	if got := redisValue(t, url, nil, keyA, rule, "usd_per_day"); got != usdToMicros(50) {
		t.Errorf("redis usd counter = %d, want the $50 lease", got)
	}
}

func TestLeaseConcurrentRequestsShareOneLeaseCall(t *testing.T) {
	url := testRedis(t)
	awayFromMinuteEdge(5 * time.Second)
	rule := config.QuotaRule{Name: uniqueName("lease-flight"), Scope: "key", RPM: 100_000, TPM: 1 << 40, USDPerDay: 1000}
	s := leaseStage(t, url, config.QuotaFailClosed, time.Second, 0.05, nil, rule)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 64; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if _, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), &upstream{usage: fixedUsage(100, 100)}); err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	// The first lease covers all 64; the others waited for it rather than
	// sending their own.
	if st := s.Stats(); st.LeaseCalls != 1 {
		t.Errorf("stats = %+v, want 64 concurrent requests served by one lease call", st)
	}
}

func TestLeaseSingleReplicaRefusesLikeExactMode(t *testing.T) {
	url := testRedis(t)
	awayFromMinuteEdge(5 * time.Second)
	rule := config.QuotaRule{Name: uniqueName("lease-one"), Scope: "key", USDPerDay: 0.005} // four 1250 µ$ requests
	s := leaseStage(t, url, config.QuotaFailClosed, time.Second, 0.5, nil, rule)
	up := &upstream{usage: fixedUsage(100, 100)}
	for i := 1; i <= 4; i++ {
		if _, err := serveOne(t, s, up, "gpt-4o"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	x, err := serveOne(t, s, up, "gpt-4o")
	e := quotaErr(t, err)
	if e.Status != 429 || e.Code != CodeExceeded || e.RetryAfter < time.Second {
		t.Fatalf("5th request: %d %s retry %v, want 429 QUOTA_EXCEEDED with Retry-After", e.Status, e.Code, e.RetryAfter)
	}
	if got := x.ResponseHeader.Get(HeaderUsed); got != "0.01" { // 5000 µ$
		t.Errorf("%s on refusal = %q, want 0.01", HeaderUsed, got)
	}
	if !strings.Contains(e.Message, "USD per day") {
		t.Errorf("message %q does not name the budget", e.Message)
	}
}

// Two replicas, 200 concurrent requests, a hard USD limit: the sum of the
// leases never exceeds the limit, so reservations stay within it and spend
// within the exact-mode bound; and admission is conservative by at most one
// lease per replica.
func TestLeaseReplicasShareOneUSDBudgetUnder200Requests(t *testing.T) {
	url := testRedis(t)
	const fraction = 0.05
	limit := usdToMicros(0.5)
	lease := int64(fraction * float64(limit))
	for _, barrier := range []bool{true, false} {
		rule := config.QuotaRule{Name: uniqueName("lease-usd"), Scope: "key", USDPerDay: 0.5}
		a := leaseStage(t, url, config.QuotaFailClosed, time.Second, fraction, nil, rule)
		b := leaseStage(t, url, config.QuotaFailClosed, time.Second, fraction, nil, rule)
		run := concurrentBudget(t, []*Stage{a, b}, keyA, 200, 0, barrier, func(i int) canonical.Usage {
			return canonical.Usage{InputTokens: 100 + i%40, OutputTokens: 1024 + (i*37)%2000}
		})
		checkBudgetRun(t, run, limit, 200, -1)
		if barrier {
			// Every admitted request was in flight at the last admission.
			if run.reserved > limit {
				t.Errorf("reservations %d µ$ exceed the limit %d µ$", run.reserved, limit)
			}
			if floor := limit - 2*lease; run.reserved < floor {
				t.Errorf("reserved %d µ$ < limit − replicas × lease = %d µ$: too conservative", run.reserved, floor)
			}
		}
		for _, s := range []*Stage{a, b} {
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if st := s.Stats(); st.Unsettled != 0 || st.StoreErrors != 0 || st.LeaseCalls == 0 {
				t.Errorf("stats = %+v", st)
			}
		}
		// Closed: every unused lease is back, every overshoot charged.
		if got := redisValue(t, url, nil, keyA, rule, "usd_per_day"); got != run.spent {
			t.Errorf("barrier=%v: redis counter after Close = %d µ$, want the %d µ$ spent", barrier, got, run.spent)
		}
	}
}

func TestLeaseReplicasShareOneRPM(t *testing.T) {
	url := testRedis(t)
	awayFromMinuteEdge(5 * time.Second)
	rule := config.QuotaRule{Name: uniqueName("lease-rpm"), Scope: "key", RPM: 20}
	a := leaseStage(t, url, config.QuotaFailClosed, time.Second, 0.1, nil, rule) // leases of 2
	b := leaseStage(t, url, config.QuotaFailClosed, time.Second, 0.1, nil, rule)
	admitted := serveConcurrently(t, []*Stage{a, b}, 60, fixedUsage(1, 1))
	if admitted > 20 || admitted < 20-2*2 {
		t.Errorf("admitted %d of 60 across two replicas, want at most the shared 20 and at least 20 − 2 leases", admitted)
	}
	for _, s := range []*Stage{a, b} {
		_ = s.Close()
	}
	if got := redisValue(t, url, nil, keyA, rule, "rpm"); got != int64(admitted) {
		t.Errorf("rpm counter after Close = %d, want the %d admitted", got, admitted)
	}
}

func TestLeaseUnusedIsReturnedWhenIdleAndOnClose(t *testing.T) {
	url := testRedis(t)
	rule := config.QuotaRule{Name: uniqueName("lease-idle"), Scope: "key", USDPerDay: 10}
	s := leaseStage(t, url, config.QuotaFailClosed, time.Second, 0.1, nil, rule) // $1 leases
	up := &upstream{usage: fixedUsage(80, 30)}                                   // 500 µ$, below the 1250 µ$ estimate
	serve := func(n int) {
		for i := 0; i < n; i++ {
			if _, err := serveOne(t, s, up, "gpt-4o"); err != nil {
				t.Fatal(err)
			}
		}
	}
	serve(20)
	if got := redisValue(t, url, nil, keyA, rule, "usd_per_day"); got != usdToMicros(1) {
		t.Fatalf("redis counter while the lease is in use = %d, want the $1 lease", got)
	}
	// Idle: the sweeper gives the unused lease back within leaseIdle plus a
	// sweep, and the flusher applies it.
	deadline := time.Now().Add(leaseIdle + 3*leaseSweep + time.Second)
	for {
		got := redisValue(t, url, nil, keyA, rule, "usd_per_day")
		if got == 20*500 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("redis counter %d µ$ well past the idle time, want the 10000 µ$ settled", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
	serve(10) // takes a new lease
	if got := redisValue(t, url, nil, keyA, rule, "usd_per_day"); got <= 30*500 {
		t.Fatalf("redis counter = %d, want a new lease held", got)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if got := redisValue(t, url, nil, keyA, rule, "usd_per_day"); got != 30*500 {
		t.Errorf("redis counter after Close = %d µ$, want the %d µ$ settled", got, 30*500)
	}
	// After Close, a settlement goes straight to Redis (and fails: the client is closed).
	if st := s.Stats(); st.Unsettled != 0 {
		t.Errorf("stats = %+v, want nothing unsettled", st)
	}
}

func TestLeaseWindowRolloverStartsFresh(t *testing.T) {
	url := testRedis(t)
	// A clock of its own at second 20 of the current minute: keys keep a
	// real expiry.
	start := time.Now().UTC().Truncate(time.Minute).Add(20 * time.Second)
	clk := newClock(start)
	rule := config.QuotaRule{Name: uniqueName("lease-roll"), Scope: "key", RPM: 10, TPM: 100_000}
	s := leaseStage(t, url, config.QuotaFailClosed, time.Second, 0.5, clk.now, rule) // leases of 5 requests, 50 000 tokens
	up := &upstream{usage: fixedUsage(100, 100)}
	for i := 0; i < 10; i++ {
		if _, err := serveOne(t, s, up, "gpt-4o"); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	if _, err := serveOne(t, s, up, "gpt-4o"); quotaErr(t, err).Code != CodeExceeded {
		t.Fatalf("11th request in the minute: %v, want QUOTA_EXCEEDED", err)
	}
	clk.add(time.Minute)
	if _, err := serveOne(t, s, up, "gpt-4o"); err != nil { // the new window starts with no lease
		t.Fatalf("first request of the next minute: %v", err)
	}
	// The closed window's unused tokens went back when the window rolled over.
	if err := s.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := redisValue(t, url, newClock(start).now, keyA, rule, "tpm"); got != 10*200 {
		t.Errorf("closed window's tpm in redis = %d, want the 2000 tokens used", got)
	}
	if got := used(t, s, keyA, rule.Name, "rpm"); got != 1 {
		t.Errorf("rpm of the new window = %d, want 1", got)
	}

	// Without a request in the new window, the sweeper returns the closed
	// window's lease on its own.
	if _, err := serveOne(t, s, up, "gpt-4o"); err != nil {
		t.Fatal(err)
	}
	clk.add(time.Minute)
	newWindow := newClock(clk.now().Add(-time.Minute))
	deadline := time.Now().Add(3 * leaseSweep)
	for redisValue(t, url, newWindow.now, keyA, rule, "tpm") != 2*200 {
		if time.Now().After(deadline) {
			t.Fatalf("closed window's tpm = %d after %v, want 400", redisValue(t, url, newWindow.now, keyA, rule, "tpm"), 3*leaseSweep)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// In lease mode a request the held lease covers needs no Redis at all; one
// that needs a new lease gets on_redis_error within the bounded wait.
func TestLeaseRedisOutageAppliesPolicyWithoutAHang(t *testing.T) {
	redisURL, srv := ownRedis(t)
	const timeout = 300 * time.Millisecond
	const bound = 2*timeout + 150*time.Millisecond
	rule := config.QuotaRule{Name: uniqueName("lease-down"), Scope: "key", RPM: 1_000_000, USDPerDay: 1000}
	open := leaseStage(t, redisURL, config.QuotaFailOpen, timeout, 0.05, nil, rule)
	closed := leaseStage(t, redisURL, config.QuotaFailClosed, timeout, 0.05, nil, rule)
	const failOpenWarning = "quota backend unavailable: request admitted without a quota check"
	check := func(phase string, s *Stage, key *pipeline.Key, wantAdmit bool, wantCode, wantWarning string) {
		t.Helper()
		start := time.Now()
		x := request(t, key, "gpt-4o", 400, 100)
		_, err := s.Serve(context.Background(), x, &upstream{usage: fixedUsage(100, 100)})
		took := time.Since(start)
		code := ""
		if e, ok := err.(*canonical.Error); ok {
			code = e.Code
		} else if err != nil {
			code = err.Error()
		}
		if took > bound {
			t.Errorf("%s: took %v, want at most %v", phase, took, bound)
		}
		if (err == nil) != wantAdmit || code != wantCode || x.ResponseHeader.Get(HeaderWarning) != wantWarning {
			t.Errorf("%s: admitted=%v code=%q warning=%q; want admitted=%v code=%q warning=%q",
				phase, err == nil, code, x.ResponseHeader.Get(HeaderWarning), wantAdmit, wantCode, wantWarning)
		}
	}
	newKey := func() *pipeline.Key {
		return &pipeline.Key{ID: uniqueName("k"), Name: "k"}
	}
	check("healthy, fail-open", open, keyA, true, "", "")
	check("healthy, fail-closed", closed, keyA, true, "", "")

	for _, how := range []string{"hung", "dead"} {
		if how == "hung" {
			if err := srv.Process.Signal(syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
		} else {
			_ = srv.Process.Signal(syscall.SIGCONT)
			if err := srv.Process.Kill(); err != nil {
				t.Fatal(err)
			}
			_ = srv.Wait()
			time.Sleep(2 * downCooldown)
		}
		// The lease held for keyA covers it: no Redis call, no policy.
		check(how+", fail-open, leased key", open, keyA, true, "", "")
		check(how+", fail-closed, leased key", closed, keyA, true, "", "")
		// A key without a lease needs Redis.
		check(how+", fail-open, new key", open, newKey(), true, "", failOpenWarning)
		check(how+", fail-closed, new key", closed, newKey(), false, CodeUnavailable, "")
		// In the cooldown the policy applies at once.
		start := time.Now()
		check(how+", fail-closed, cooldown", closed, newKey(), false, CodeUnavailable, "")
		if took := time.Since(start); took > 50*time.Millisecond {
			t.Errorf("%s: a request in the cooldown took %v", how, took)
		}
	}
	so, sc := open.Stats(), closed.Stats()
	if so.FailOpen != 2 || so.StoreErrors < 2 || so.FailClosed != 0 {
		t.Errorf("fail-open stats = %+v, want 2 fail-open admissions", so)
	}
	if sc.FailClosed != 4 || sc.StoreErrors < 4 || sc.FailOpen != 0 {
		t.Errorf("fail-closed stats = %+v, want 4 refusals", sc)
	}
}
