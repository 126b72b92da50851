package quota

import (
	"context"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func TestRedisSettlementsAreBatchedOffTheRequestPath(t *testing.T) {
	url := testRedis(t)
	rule := config.QuotaRule{Name: uniqueName("batch"), Scope: "key", TPM: 1 << 40, USDPerDay: 1e6}
	s := redisStage(t, url, config.QuotaFailClosed, time.Second, rule)
	awayFromMinuteEdge(5 * time.Second)
	const n = 300
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Real usage differs from the estimate (100 in, 100 out), so each
			// settlement has a non-zero delta on both axes.
			in, out := 10+i%7, 20+i%11
			if _, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), &upstream{usage: fixedUsage(in, out)}); err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	var wantTokens, wantMicros int64
	for i := 0; i < n; i++ {
		in, out := 10+i%7, 20+i%11
		wantTokens += int64(in + out)
		m, _ := testPrices.Cost("gpt-4o", canonical.Usage{InputTokens: in, OutputTokens: out})
		wantMicros += m
	}
	if got := used(t, s, keyA, rule.Name, "tpm"); got != wantTokens {
		t.Errorf("tpm = %d, want the %d tokens really used", got, wantTokens)
	}
	if got := used(t, s, keyA, rule.Name, "usd_per_day"); got != wantMicros {
		t.Errorf("usd_per_day = %d µ$, want the %d µ$ really spent", got, wantMicros)
	}
	st := s.Stats()
	if st.SettleBatches == 0 || st.SettleBatches >= n {
		t.Errorf("SettleBatches = %d for %d settlements; want them coalesced into fewer script calls", st.SettleBatches, n)
	}
	if st.SettledSync != 0 || st.Unsettled != 0 || st.StoreErrors != 0 {
		t.Errorf("stats = %+v; want every settlement applied by the flusher", st)
	}
}

func TestRedisCloseAppliesQueuedSettlements(t *testing.T) {
	url := testRedis(t)
	rule := config.QuotaRule{Name: uniqueName("drain"), Scope: "key", TPM: 1 << 40}
	awayFromMinuteEdge(3 * time.Second)
	s := redisStage(t, url, config.QuotaFailClosed, time.Second, rule)
	for i := 0; i < 50; i++ {
		if _, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), &upstream{usage: fixedUsage(3, 4)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil { // no Flush: Close must drain the queue itself
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	other := redisStage(t, url, config.QuotaFailClosed, time.Second, rule)
	if got := used(t, other, keyA, rule.Name, "tpm"); got != 50*7 {
		t.Errorf("tpm seen by another replica after Close = %d, want %d", got, 50*7)
	}
	if st := s.Stats(); st.Unsettled != 0 {
		t.Errorf("stats = %+v, want nothing unsettled", st)
	}
}

// A batch whose reply is lost (Redis frozen after the script was written to
// the socket, so it runs when Redis resumes) is retried under the same id
// and applied exactly once.
func TestRedisRetriedSettlementBatchIsAppliedOnce(t *testing.T) {
	redisURL, srv := ownRedis(t)
	rule := config.QuotaRule{Name: uniqueName("once"), Scope: "key", TPM: 1 << 40}
	awayFromMinuteEdge(5 * time.Second)
	s := redisStage(t, redisURL, config.QuotaFailClosed, 100*time.Millisecond, rule)
	freeze := func(*pipeline.Exchange) *canonical.Usage {
		// Admitted (reserved) already; freeze Redis before the settlement.
		if err := srv.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Error(err)
		}
		return &canonical.Usage{InputTokens: 5, OutputTokens: 6}
	}
	start := time.Now()
	if _, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), &upstream{usage: freeze}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 50*time.Millisecond {
		t.Errorf("request took %v with Redis frozen at settlement; the settlement must not wait on Redis", took)
	}
	time.Sleep(300 * time.Millisecond) // the first attempt times out
	if err := srv.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(3 * time.Second)
	for s.Stats().SettleBatches == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("batch never applied after Redis resumed: %+v", s.Stats())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := used(t, s, keyA, rule.Name, "tpm"); got != 11 {
		t.Errorf("tpm = %d, want 11: the settlement applied exactly once", got)
	}
	if st := s.Stats(); st.StoreErrors == 0 || st.Unsettled != 0 {
		t.Errorf("stats = %+v, want the failed attempt counted and nothing unsettled", st)
	}
}

func TestRedisReleaseNeverDrivesACounterNegative(t *testing.T) {
	url := testRedis(t)
	rule := config.QuotaRule{Name: uniqueName("clamp"), Scope: "key", TPM: 1 << 40}
	awayFromMinuteEdge(3 * time.Second)
	s := redisStage(t, url, config.QuotaFailClosed, time.Second, rule)
	up := &upstream{usage: func(*pipeline.Exchange) *canonical.Usage {
		// The counter is lost while the request is in flight (a Redis
		// restart without persistence): its release must not go below 0.
		st, err := s.State(context.Background(), keyA)
		if err != nil || len(st) != 1 {
			t.Errorf("State: %v %+v", err, st)
		}
		s.store.(*redisStore).c.Del(context.Background(), keyPrefix+rule.Name+":tpm:"+axisTPM.label(axisTPM.window(time.Now()))+":"+keyA.ID)
		return &canonical.Usage{InputTokens: 1, OutputTokens: 1}
	}}
	if _, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), up); err != nil {
		t.Fatal(err)
	}
	if got := used(t, s, keyA, rule.Name, "tpm"); got != 0 {
		t.Errorf("tpm = %d after a release into a lost window, want 0 (never negative)", got)
	}
}

// While Redis is frozen the flusher keeps its failed batch for a retry and
// the queue fills up; settlements then fall back to the request path
// (bounded memory, bounded wait), and once Redis is back every queued
// settlement is applied.
func TestRedisFullSettlementQueueFallsBackToTheRequestPath(t *testing.T) {
	redisURL, srv := ownRedis(t)
	rule := config.QuotaRule{Name: uniqueName("full"), Scope: "key", TPM: 1 << 40}
	awayFromMinuteEdge(8 * time.Second)
	s := redisStage(t, redisURL, config.QuotaFailOpen, 100*time.Millisecond, rule)
	if err := srv.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	win := axisTPM.window(time.Now())
	queued := 0
	fill := func() {
		for deadline := time.Now().Add(3 * time.Second); ; queued++ {
			r := &reservation{stage: s}
			r.counters = append(r.buf[:0], counter{rule: s.rules[0], axis: axisTPM, subject: keyA.ID, window: win, limit: 1 << 40, delta: 1})
			if !s.flusher.enqueue(r) {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("queue still accepting after %d settlements; want it bounded", queued)
			}
		}
	}
	// The first fill can race the flusher's first attempt (it takes one
	// more batch once that attempt has failed); after it, the queue stays full.
	fill()
	time.Sleep(300 * time.Millisecond)
	fill()
	if max := settleQueueCap + 2*flushBatch; queued > max {
		t.Errorf("%d settlements queued, want at most %d", queued, max)
	}
	start := time.Now()
	if _, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), &upstream{usage: fixedUsage(1, 1)}); err != nil {
		t.Fatal(err)
	}
	if took := time.Since(start); took > 2*100*time.Millisecond+150*time.Millisecond {
		t.Errorf("request took %v, want at most a reservation and a settlement timeout", took)
	}
	st := s.Stats()
	if st.SettledSync != 1 || st.FailOpen != 1 {
		t.Errorf("stats = %+v, want the request admitted fail-open and settled on the request path", st)
	}
	if err := srv.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * downCooldown)
	var err error
	for deadline := time.Now().Add(3 * time.Second); ; {
		if err = s.Flush(context.Background()); err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Flush after Redis resumed: %v", err)
	}
	// The fail-open request's own settlement could not reach Redis (it ran
	// synchronously during the outage); every queued one is applied once.
	if got := used(t, s, keyA, rule.Name, "tpm"); got != int64(queued) {
		t.Errorf("tpm = %d, want the %d queued settlements applied exactly once", got, queued)
	}
	if st := s.Stats(); st.Unsettled != 1 {
		t.Errorf("stats = %+v, want only the synchronous settlement unsettled", st)
	}
}
