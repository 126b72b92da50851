package route

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func TestCircuitOpensAfterRepeatedFailuresAndClosesAfterCooldown(t *testing.T) {
	o := twoTargets(&RetryPolicy{Attempts: 1})
	o.Health = HealthPolicy{FailureThreshold: 3, Cooldown: 30 * time.Second}
	e := newEnv(t, o, nil)
	aDown := true
	e.f.script = func(_ int, c call) (*pipeline.Response, error) {
		if c.target.Provider == "a" && aDown {
			return nil, upstreamErr(500, 0)
		}
		return okResponse(), nil
	}
	serve := func() *pipeline.Exchange {
		t.Helper()
		x := exchange(t, chat("m"))
		if _, err := e.r.Serve(context.Background(), x); err != nil {
			t.Fatal(err)
		}
		return x
	}
	for range 3 {
		if x := serve(); x.Attempts != 2 || x.Target.Provider != "b" {
			t.Fatalf("before the circuit opens a is tried first: attempts %d via %s", x.Attempts, x.Target.Provider)
		}
	}
	calls := len(e.f.log())
	if x := serve(); x.Attempts != 1 || x.Target.Provider != "b" || len(e.f.log()) != calls+1 {
		t.Fatalf("open circuit still tried: attempts %d", x.Attempts)
	}
	if s := e.r.targets[0].h.snapshot(e.clock.Now()); s.Circuit != CircuitOpen {
		t.Fatalf("circuit = %s", s.Circuit)
	}
	expl := e.r.Explain(Query{Model: "m"})
	if len(expl.Excluded) == 0 || expl.Excluded[0].Target.Provider != "a" || expl.Excluded[0].Reason[:12] != "circuit open" {
		t.Fatalf("explain does not report the open circuit: %+v", expl.Excluded)
	}

	// Cooldown over: one probe goes to a; it fails, the circuit reopens.
	e.clock.Advance(31 * time.Second)
	if x := serve(); x.Attempts != 2 {
		t.Fatalf("half-open: probe not sent (attempts %d)", x.Attempts)
	}
	if x := serve(); x.Attempts != 1 {
		t.Fatal("a failed probe must reopen the circuit")
	}
	// Next cooldown: a has recovered; the probe succeeds and closes it.
	e.clock.Advance(31 * time.Second)
	aDown = false
	if x := serve(); x.Target.Provider != "a" || x.Attempts != 1 {
		t.Fatalf("probe: via %s after %d attempts", x.Target.Provider, x.Attempts)
	}
	if s := e.r.targets[0].h.snapshot(e.clock.Now()); s.Circuit != CircuitClosed {
		t.Fatalf("circuit = %s after a successful probe", s.Circuit)
	}
	// Closed, but its error rate still ranks it after b until the failures
	// leave the health window.
	if x := serve(); x.Target.Provider != "b" {
		t.Fatal("a target with a poor recent record must come after a healthy one")
	}
	e.clock.Advance(6 * time.Minute)
	if x := serve(); x.Target.Provider != "a" {
		t.Fatal("a recovered target leads again once its failures aged out")
	}
}

func TestOpenCircuitsNeverRefuseTheLastTargets(t *testing.T) {
	o := Options{Models: []Model{model("m", "a", 1, 1)}, Retry: RetryPolicy{Attempts: 1},
		Health: HealthPolicy{FailureThreshold: 2, Cooldown: 20 * time.Second}}
	e := newEnv(t, o, nil)
	down := true
	e.f.script = func(int, call) (*pipeline.Response, error) {
		if down {
			return nil, networkErr()
		}
		return okResponse(), nil
	}
	for range 2 {
		_, _ = e.r.Serve(context.Background(), exchange(t, chat("m")))
	}
	if s := e.r.targets[0].h.snapshot(e.clock.Now()); s.Circuit != CircuitOpen {
		t.Fatalf("circuit %s", s.Circuit)
	}
	// The only target's circuit is open: it is still tried, and the client
	// gets the provider's own error rather than a gateway refusal.
	_, err := e.r.Serve(context.Background(), exchange(t, chat("m")))
	if ce := ceOf(t, err); ce.Code != "upstream_unreachable" || len(e.f.log()) != 3 {
		t.Fatalf("got %s after %d calls", ce.Code, len(e.f.log()))
	}
	if ex := e.r.Explain(Query{Model: "m"}); len(ex.Targets) != 1 || !strings.Contains(ex.Route, "circuit is open") {
		t.Fatalf("explain: %s %+v", ex.Route, ex.Targets)
	}
	down = false
	if _, err := e.r.Serve(context.Background(), exchange(t, chat("m"))); err != nil {
		t.Fatal(err)
	}
	if s := e.r.targets[0].h.snapshot(e.clock.Now()); s.Circuit != CircuitClosed {
		t.Fatalf("an answer must close the circuit: %s", s.Circuit)
	}
}

func TestRateLimitStormOpensCircuit(t *testing.T) {
	h := newHealth(ptr(HealthPolicy{RateLimitThreshold: 3, RateLimitWindow: 10 * time.Second}.withDefaults()))
	now := newClock().Now()
	for i := range 2 {
		if h.failure(now.Add(time.Duration(i)*time.Second), true) {
			t.Fatal("opened before the threshold")
		}
	}
	// The third 429 comes 11s after the first: outside the window, no storm.
	for _, at := range []time.Duration{11 * time.Second, 12 * time.Second} {
		if h.failure(now.Add(at), true) {
			t.Fatalf("429s spread beyond the window opened the circuit (at %v)", at)
		}
	}
	// 11s, 12s, 13s: three within 10s.
	if !h.failure(now.Add(13*time.Second), true) {
		t.Fatal("three 429s within 10s must open the circuit")
	}
	if h.fails != 0 {
		t.Fatal("429s must not count as consecutive failures")
	}
}

func TestHalfOpenAdmitsExactlyOneProbe(t *testing.T) {
	h := newHealth(ptr(HealthPolicy{FailureThreshold: 1, Cooldown: time.Second}.withDefaults()))
	now := newClock().Now()
	h.failure(now, false)
	if _, ok := h.acquire(now); ok {
		t.Fatal("open circuit admitted a request")
	}
	later := now.Add(2 * time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	probes := 0
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if probe, ok := h.acquire(later); ok {
				mu.Lock()
				if probe {
					probes++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if probes != 1 {
		t.Fatalf("%d probes admitted, want 1", probes)
	}
	h.release(true)
	if probe, ok := h.acquire(later); !ok || !probe {
		t.Fatal("a released probe slot must admit the next request")
	}
}

func TestHealthClassesFollowSuccessRate(t *testing.T) {
	tests := []struct {
		ok, fail int
		want     string
	}{
		{0, 0, Healthy},
		{2, 2, Healthy}, // under MinSamples
		{19, 1, Healthy},
		{18, 2, Degraded},
		{5, 5, Degraded},
		{4, 6, Unhealthy},
	}
	for _, tt := range tests {
		h := newHealth(ptr(HealthPolicy{FailureThreshold: 1000}.withDefaults()))
		now := newClock().Now()
		for range tt.ok {
			h.success(now, 0)
		}
		for range tt.fail {
			h.failure(now, false)
		}
		if got := h.class(now); got != tt.want {
			t.Errorf("%d ok %d fail: %s, want %s", tt.ok, tt.fail, got, tt.want)
		}
		if got := h.class(now.Add(6 * time.Minute)); got != Healthy {
			t.Errorf("samples older than the window still count: %s", got)
		}
	}
}

func TestDegradedTargetIsTriedAfterHealthyOnes(t *testing.T) {
	o := twoTargets(&RetryPolicy{Attempts: 1})
	o.Health = HealthPolicy{FailureThreshold: 1000}
	e := newEnv(t, o, nil)
	// a succeeds 5 times out of 10 (alternating, so the circuit never opens).
	ha := e.r.targets[0].h
	now := e.clock.Now()
	for i := range 10 {
		if i%2 == 0 {
			ha.success(now, 0)
		} else {
			ha.failure(now, false)
		}
	}
	x := exchange(t, chat("m"))
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if x.Target.Provider != "b" {
		t.Fatalf("a degraded primary went first: %v", e.f.path())
	}
}

func TestLatencyAverages(t *testing.T) {
	h := newHealth(ptr(HealthPolicy{LatencyAlpha: 0.5}.withDefaults()))
	now := newClock().Now()
	h.success(now, 100*time.Millisecond)
	h.success(now, 300*time.Millisecond)
	if got := h.latencyEWMA(); got != 200*time.Millisecond {
		t.Fatalf("EWMA = %v", got)
	}
}

func TestRevokedCredentialIsBenchedWhileAnotherServes(t *testing.T) {
	o := Options{Models: []Model{model("m", "p", 1, 1)}}
	e := newEnv(t, o, map[string][]string{"p": {"revoked", "good"}})
	// Weight the revoked key so it is drawn first.
	e.r.providers["p"].creds[0].weight = 1000
	e.f.script = func(_ int, c call) (*pipeline.Response, error) {
		if c.cred == "revoked" {
			return nil, upstreamErr(401, 0)
		}
		return okResponse(), nil
	}
	x := exchange(t, chat("m"))
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if x.Attempts != 2 || e.sleeps.total() != 0 {
		t.Fatalf("attempts %d, waited %v: a refused key is swapped at once", x.Attempts, e.sleeps.total())
	}
	for range 20 {
		if _, err := e.r.Serve(context.Background(), exchange(t, chat("m"))); err != nil {
			t.Fatal(err)
		}
	}
	revoked := 0
	for _, c := range e.f.log() {
		if c.cred == "revoked" {
			revoked++
		}
	}
	if revoked != 1 {
		t.Fatalf("the benched key was used %d times", revoked)
	}
	// After the auth cooldown it is tried again (a rotated key may be back).
	e.clock.Advance(11 * time.Minute)
	x = exchange(t, chat("m"))
	if _, err := e.r.Serve(context.Background(), x); err != nil || x.Attempts != 2 {
		t.Fatalf("after cooldown: err %v attempts %d", err, x.Attempts)
	}
}

func TestSingleCredentialIsNeverExcluded(t *testing.T) {
	e := newEnv(t, Options{Models: []Model{model("m", "p", 1, 1)}, Retry: RetryPolicy{Attempts: 1}}, nil)
	e.f.script = failA([]error{upstreamErr(429, time.Hour)}, nil)
	_, _ = e.r.Serve(context.Background(), exchange(t, chat("m")))
	if b, _ := e.r.providers["p"].creds[0].benched(e.clock.Now()); !b {
		t.Fatal("a 429 must bench the credential for its Retry-After")
	}
	if _, err := e.r.Serve(context.Background(), exchange(t, chat("m"))); err != nil {
		t.Fatalf("the only credential must still be used: %v", err)
	}
	if b, _ := e.r.providers["p"].creds[0].benched(e.clock.Now()); b {
		t.Fatal("a success lifts the bench")
	}
}

func TestRateLimitedCredentialSwapsWithoutWaitingForRetryAfter(t *testing.T) {
	e := newEnv(t, Options{Models: []Model{model("m", "p", 1, 1)}}, map[string][]string{"p": {"k1", "k2"}})
	first := ""
	e.f.script = func(n int, c call) (*pipeline.Response, error) {
		if n == 0 {
			first = c.cred
			return nil, upstreamErr(429, 8*time.Second)
		}
		if c.cred == first {
			t.Errorf("retried with the throttled credential %s", c.cred)
		}
		return okResponse(), nil
	}
	x := exchange(t, chat("m"))
	if _, err := e.r.Serve(context.Background(), x); err != nil || x.Attempts != 2 {
		t.Fatalf("err %v attempts %d", err, x.Attempts)
	}
	if w := e.sleeps.total(); w >= 8*time.Second {
		t.Fatalf("waited %v for another credential's Retry-After", w)
	}
}

func TestCredentialWeightsSpread(t *testing.T) {
	u, err := newUpstream(Provider{Name: "p", Credentials: []Credential{
		{Name: "a", Weight: 3, Adapter: (&fake{}).bind("a")}, {Name: "b", Weight: 1, Adapter: (&fake{}).bind("b")}}})
	if err != nil {
		t.Fatal(err)
	}
	rnd, now := seeded(3), newClock().Now()
	n := map[string]int{}
	for range 10000 {
		n[u.pick(now, rnd, 0).name]++
	}
	if share := float64(n["a"]) / 10000; share < 0.73 || share > 0.77 {
		t.Fatalf("credential a drawn %.3f of the time, want 0.75 ± 0.02", share)
	}
	u.creds[0].bench(now, time.Minute, "test")
	if c := u.pick(now, rnd, 0); c.name != "b" {
		t.Fatal("benched credential drawn")
	}
	u.creds[1].bench(now, 30*time.Second, "test")
	if c := u.pick(now, rnd, 0); c.name != "b" {
		t.Fatal("all benched: the one back soonest must be used")
	}
	if c := u.pick(now, rnd, u.creds[0].bit|u.creds[1].bit); c != nil {
		t.Fatal("all refused: no credential")
	}
}

func ptr[T any](v T) *T { return &v }
