package quota

import (
	"context"
	"syscall"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/config"
)

// TestRedisReserveScriptAdmitsABatchInOrder runs reserveScript itself on a
// batch whose requests share counters: each is admitted against what the
// ones before it took, all or nothing, and only new keys get an expiry.
func TestRedisReserveScriptAdmitsABatchInOrder(t *testing.T) {
	url := testRedis(t)
	rs, err := newRedisStore(url, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.close()
	ctx := context.Background()
	ru, err := compileRules([]config.QuotaRule{{Name: uniqueName("script"), Scope: "key", RPM: 3, USDPerDay: 0.001}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	req := func(subject string, usd int64) *pendingReserve {
		return &pendingReserve{cs: []counter{
			{rule: ru[0], axis: axisRPM, subject: subject, window: axisRPM.window(now), limit: 3, amount: 1},
			{rule: ru[0], axis: axisUSDDay, subject: subject, window: axisUSDDay.window(now), limit: 1000, amount: usd},
		}}
	}
	// "old" exists already, with no expiry, at 100 µ$: the script must count
	// from it and leave its expiry alone.
	oldUSD := rs.key(&req("old", 0).cs[1])
	if err := rs.c.Set(ctx, oldUSD, 100, 0).Err(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rs.c.Del(context.Background(), oldUSD) })
	batch := []*pendingReserve{req("k", 300), req("old", 850), req("k", 500), req("k", 300), req("k", 200), req("old", 900), req("k", 0)}
	res, err := rs.sendReserve(ctx, batch)
	if err != nil {
		t.Fatal(err)
	}
	want := []int64{
		-1, 1, 300, // k: fits
		-1, 1, 950, // old: counted from its 100: 950 fits
		-1, 2, 800, // k: 300+500
		1, 2, 800, // k: 800+300 > 1000, refused on USD, nothing added
		-1, 3, 1000, // k: exactly full
		1, 1, 950, // old: 950+900 > 1000
		0, 3, 1000, // k: rpm 3 of 3, refused on its first counter
	}
	if len(res) != len(want) {
		t.Fatalf("reply %v, want %v", res, want)
	}
	for i := range want {
		if res[i] != want[i] {
			t.Fatalf("reply %v, want %v", res, want)
		}
	}
	for key, v := range map[string]string{rs.key(&batch[0].cs[0]): "3", rs.key(&batch[0].cs[1]): "1000", oldUSD: "950"} {
		if got, _ := rs.c.Get(ctx, key).Result(); got != v {
			t.Errorf("%s = %q, want %q", key, got, v)
		}
	}
	newKey := &batch[0].cs[1]
	if at, _ := rs.c.PExpireTime(ctx, rs.key(newKey)).Result(); at.Milliseconds() != expireAtMillis(newKey) {
		t.Errorf("new key expires at %v ms, want %d (window end plus retention)", at.Milliseconds(), expireAtMillis(newKey))
	}
	if ttl, _ := rs.c.PTTL(ctx, oldUSD).Result(); ttl != -1 {
		t.Errorf("existing key's TTL = %v, want it untouched (none)", ttl)
	}
	// A refused request on a key nobody has used creates nothing.
	fresh := req("fresh", 5000)
	if res, err := rs.sendReserve(ctx, []*pendingReserve{fresh}); err != nil || res[0] != 1 {
		t.Fatalf("fresh: %v %v, want refused on USD", res, err)
	}
	if n, _ := rs.c.Exists(ctx, rs.key(&fresh.cs[0]), rs.key(&fresh.cs[1])).Result(); n != 0 {
		t.Errorf("a refused request created %d keys", n)
	}
	// A request alone takes reserveOneScript: same answers, same expiry.
	alone := req("alone", 400)
	if res, err := rs.sendReserve(ctx, []*pendingReserve{alone}); err != nil || len(res) != 3 || res[0] != -1 || res[1] != 1 || res[2] != 400 {
		t.Fatalf("alone: %v %v, want [-1 1 400]", res, err)
	}
	for i := range alone.cs {
		c := &alone.cs[i]
		if at, _ := rs.c.PExpireTime(ctx, rs.key(c)).Result(); at.Milliseconds() != expireAtMillis(c) {
			t.Errorf("%s expires at %v ms, want %d", rs.key(c), at.Milliseconds(), expireAtMillis(c))
		}
	}
	if res, err := rs.sendReserve(ctx, []*pendingReserve{req("alone", 700)}); err != nil || res[0] != 1 || res[2] != 400 {
		t.Fatalf("alone again: %v %v, want refused on USD at 400", res, err)
	}
}

func TestRedisConcurrentReservationsShareScriptCalls(t *testing.T) {
	url := testRedis(t)
	rule := config.QuotaRule{Name: uniqueName("group"), Scope: "key", RPM: 60, USDPerDay: 1000}
	s := redisStage(t, url, config.QuotaFailClosed, time.Second, rule)
	awayFromMinuteEdge(3 * time.Second)
	const n = 200
	admitted := serveConcurrently(t, []*Stage{s}, n, fixedUsage(100, 100))
	if admitted != 60 {
		t.Errorf("admitted %d of %d, want exactly the RPM of 60", admitted, n)
	}
	if got := used(t, s, keyA, rule.Name, "rpm"); got != 60 {
		t.Errorf("rpm counter = %d, want 60", got)
	}
	st := s.Stats()
	t.Logf("%d reservations in %d script calls", st.Checked, st.ReserveCalls)
	if st.ReserveCalls == 0 || st.ReserveCalls >= st.Checked {
		t.Errorf("ReserveCalls = %d for %d concurrent reservations; want them coalesced", st.ReserveCalls, st.Checked)
	}
}

// A client that goes away while its reservation is on the wire gets 499;
// if Redis admitted it anyway, the reservation is given back whole.
func TestRedisClientGoneWhileReservingIsReleased(t *testing.T) {
	redisURL, srv := ownRedis(t)
	rule := config.QuotaRule{Name: uniqueName("gone"), Scope: "key", RPM: 100, USDPerDay: 1000}
	s := redisStage(t, redisURL, config.QuotaFailClosed, 2*time.Second, rule)
	awayFromMinuteEdge(5 * time.Second)
	if _, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), &upstream{usage: fixedUsage(100, 100)}); err != nil {
		t.Fatal(err) // connects, and puts 1 request and 1250 µ$ on the counters
	}
	if err := srv.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	up := &upstream{}
	done := make(chan error, 1)
	go func() {
		_, err := s.Serve(ctx, request(t, keyA, "gpt-4o", 400, 100), up)
		done <- err
	}()
	time.Sleep(100 * time.Millisecond) // the reservation is on the wire, Redis frozen
	cancel()
	time.Sleep(20 * time.Millisecond)
	if err := srv.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	if e := quotaErr(t, <-done); e.Status != 499 || e.Code != "CLIENT_CLOSED" {
		t.Fatalf("error = %d %s, want 499 CLIENT_CLOSED", e.Status, e.Code)
	}
	if up.calls.Load() != 0 {
		t.Error("upstream was called for a client that went away")
	}
	if got := used(t, s, keyA, rule.Name, "rpm"); got != 1 {
		t.Errorf("rpm = %d, want 1: the abandoned request's reservation given back", got)
	}
	if got := used(t, s, keyA, rule.Name, "usd_per_day"); got != 1250 {
		t.Errorf("usd_per_day = %d, want 1250 (the first request only)", got)
	}
	if st := s.Stats(); st.StoreErrors != 0 || st.FailClosed != 0 {
		t.Errorf("stats = %+v: a client going away is not a Redis failure", st)
	}
}
