package route

import (
	"context"
	"errors"
	"io"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// twoTargets routes "m" to a then b (priority) with a fast policy.
func twoTargets(retry *RetryPolicy) Options {
	return Options{
		Models: []Model{model("m-a", "a", 1, 1), model("m-b", "b", 1, 1)},
		Rules: []Rule{{Name: "m", Match: Match{Models: []string{"m"}}, Retry: retry,
			Targets: []TargetSpec{{Model: "m-a"}, {Model: "m-b"}}}},
	}
}

// failA answers with errs[i] on the i-th call to provider a (then OK), and
// OK on b unless bErr is set.
func failA(errs []error, bErr error) func(int, call) (*pipeline.Response, error) {
	i := 0
	return func(_ int, c call) (*pipeline.Response, error) {
		if c.target.Provider == "b" {
			if bErr != nil {
				return nil, bErr
			}
			return okResponse(), nil
		}
		if i < len(errs) {
			i++
			if errs[i-1] != nil {
				return nil, errs[i-1]
			}
		}
		return okResponse(), nil
	}
}

func TestExecutorRetriesAndFailsOver(t *testing.T) {
	tests := []struct {
		name     string
		retry    *RetryPolicy
		errsA    []error
		errB     error
		path     []string      // providers called, in order
		status   int           // 0 = success
		code     string        // error code when status != 0
		minWait  time.Duration // total backoff at least
		maxWait  time.Duration // and at most
		noWait   bool
		provider string // x.Target.Provider at the end
	}{
		{name: "429 then success honours Retry-After", errsA: []error{upstreamErr(429, 3*time.Second)},
			path: []string{"a", "a"}, minWait: 3 * time.Second, maxWait: 3 * time.Second, provider: "a"},
		{name: "Retry-After beyond the cap fails over without waiting", errsA: []error{upstreamErr(429, time.Minute)},
			path: []string{"a", "b"}, provider: "b", noWait: true},
		{name: "500 twice falls back to the next target", errsA: []error{upstreamErr(500, 0), upstreamErr(500, 0)},
			path: []string{"a", "a", "b"}, minWait: 200 * time.Millisecond, maxWait: 300 * time.Millisecond, provider: "b"},
		{name: "529 is retried like a 5xx", errsA: []error{upstreamErr(529, 0)}, path: []string{"a", "a"}, provider: "a"},
		{name: "network error retried then fallback", errsA: []error{networkErr(), networkErr()}, path: []string{"a", "a", "b"}, provider: "b"},
		{name: "timeout fails over at once while a target remains", errsA: []error{timeoutErr()}, path: []string{"a", "b"}, provider: "b", noWait: true},
		{name: "400 goes back to the client at once", errsA: []error{upstreamErr(400, 0)}, path: []string{"a"}, status: 400, code: "upstream", provider: "a"},
		{name: "404 goes back too (no retry of refused requests)", errsA: []error{upstreamErr(404, 0)}, path: []string{"a"}, status: 404, code: "upstream"},
		{name: "401 with one credential goes back", errsA: []error{upstreamErr(401, 0)}, path: []string{"a"}, status: 401, code: "upstream"},
		{name: "all fail with 5xx after a failover: 502 PROVIDER_UNAVAILABLE",
			errsA: []error{upstreamErr(500, 0), upstreamErr(500, 0)}, errB: upstreamErr(503, 0),
			path: []string{"a", "a", "b", "b"}, status: 502, code: "PROVIDER_UNAVAILABLE", provider: "b"},
		{name: "last failure a 429: 429 PROVIDER_RATE_LIMITED",
			errsA: []error{upstreamErr(500, 0), upstreamErr(500, 0)}, errB: upstreamErr(429, time.Minute),
			path: []string{"a", "a", "b"}, status: 429, code: "PROVIDER_RATE_LIMITED"},
		{name: "retry on nothing fails over after one attempt", retry: &RetryPolicy{Attempts: 3, On: []RetryClass{}},
			errsA: []error{upstreamErr(500, 0)}, path: []string{"a", "b"}, provider: "b"},
		{name: "a class outside retry_on fails over", retry: &RetryPolicy{Attempts: 3, On: []RetryClass{RetryNetwork}},
			errsA: []error{upstreamErr(503, 0), networkErr()}, path: []string{"a", "b"}, provider: "b"},
		{name: "attempts are per target", retry: &RetryPolicy{Attempts: 3},
			errsA: []error{upstreamErr(500, 0), upstreamErr(500, 0), upstreamErr(500, 0)}, path: []string{"a", "a", "a", "b"}, provider: "b"},
		{name: "a call that cannot be prepared fails over without retry",
			errsA: []error{canonical.Errorf(canonical.KindInvalidRequest, 400, "unsupported", "cannot encode")}, path: []string{"a", "b"}, provider: "b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, twoTargets(tt.retry), nil)
			e.f.script = failA(tt.errsA, tt.errB)
			x := exchange(t, chat("m"))
			_, err := e.r.Serve(context.Background(), x)
			var path []string
			for _, c := range e.f.log() {
				path = append(path, c.target.Provider)
			}
			if !slices.Equal(path, tt.path) {
				t.Fatalf("calls %v, want %v", path, tt.path)
			}
			if x.Attempts != len(tt.path) {
				t.Errorf("attempts %d, want %d", x.Attempts, len(tt.path))
			}
			if tt.status == 0 && err != nil {
				t.Fatalf("err = %v", err)
			}
			if tt.status != 0 {
				ce := ceOf(t, err)
				if ce.Status != tt.status || ce.Code != tt.code {
					t.Fatalf("got %d %s, want %d %s", ce.Status, ce.Code, tt.status, tt.code)
				}
				if tt.code == "PROVIDER_RATE_LIMITED" && ce.RetryAfter != time.Minute {
					t.Errorf("Retry-After %v not kept", ce.RetryAfter)
				}
				if tt.code == "PROVIDER_UNAVAILABLE" && ce.Upstream != nil {
					t.Error("a gateway error must not carry the upstream body")
				}
			}
			if w := e.sleeps.total(); w < tt.minWait || (tt.maxWait > 0 && w > tt.maxWait) || (tt.noWait && w != 0) {
				t.Errorf("waited %v, want %v..%v", w, tt.minWait, tt.maxWait)
			}
			if tt.provider != "" && x.Target.Provider != tt.provider {
				t.Errorf("x.Target = %+v, want provider %s", x.Target, tt.provider)
			}
		})
	}
}

func TestSingleTargetFailureReturnsTheUpstreamError(t *testing.T) {
	e := newEnv(t, Options{Models: []Model{model("m", "a", 1, 1)}}, nil)
	e.f.script = func(int, call) (*pipeline.Response, error) { return nil, upstreamErr(503, 0) }
	x := exchange(t, chat("m"))
	_, err := e.r.Serve(context.Background(), x)
	ce := ceOf(t, err)
	if ce.Status != 503 || ce.Upstream == nil || x.Attempts != 2 {
		t.Fatalf("got %d upstream=%v attempts=%d; with nothing to fail over to the provider's own error is kept", ce.Status, ce.Upstream != nil, x.Attempts)
	}
}

func TestTimeoutOnTheLastTargetIsRetried(t *testing.T) {
	e := newEnv(t, Options{Models: []Model{model("m", "a", 1, 1)}}, nil)
	e.f.script = failA([]error{timeoutErr()}, nil)
	x := exchange(t, chat("m"))
	if _, err := e.r.Serve(context.Background(), x); err != nil || x.Attempts != 2 {
		t.Fatalf("err=%v attempts=%d", err, x.Attempts)
	}
}

func TestBackoffLongerThanTheDeadlineFailsOver(t *testing.T) {
	e := newEnv(t, twoTargets(&RetryPolicy{Attempts: 2, Backoff: 2 * time.Second}), nil)
	e.f.script = failA([]error{upstreamErr(500, 0)}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	x := exchange(t, chat("m"))
	if _, err := e.r.Serve(ctx, x); err != nil {
		t.Fatal(err)
	}
	if got := e.f.path(); !slices.Equal(got, []string{"a/m-a", "b/m-b"}) || e.sleeps.total() != 0 {
		t.Fatalf("calls %v, waited %v: a backoff past the deadline must be skipped", got, e.sleeps.total())
	}
}

func TestClientGoneStopsAttempts(t *testing.T) {
	e := newEnv(t, twoTargets(nil), nil)
	ctx, cancel := context.WithCancel(context.Background())
	e.f.script = func(int, call) (*pipeline.Response, error) {
		cancel()
		return nil, &canonical.Error{Kind: canonical.KindUpstream, Status: 499, Code: "CLIENT_CLOSED", Cause: context.Canceled}
	}
	_, err := e.r.Serve(ctx, exchange(t, chat("m")))
	if ce := ceOf(t, err); ce.Status != 499 || len(e.f.log()) != 1 {
		t.Fatalf("got %v after %d calls", err, len(e.f.log()))
	}
}

func TestBackoffDoublesWithinJitter(t *testing.T) {
	p := RetryPolicy{Attempts: 5, Backoff: 250 * time.Millisecond, BackoffMax: time.Second, Jitter: 0.2}.withDefaults()
	rnd := seeded(7)
	for n, base := range []time.Duration{250 * time.Millisecond, 500 * time.Millisecond, time.Second, time.Second} {
		for range 200 {
			d := p.backoff(n+1, rnd)
			if d < base*8/10 || d > base*12/10 {
				t.Fatalf("retry %d: %v outside %v ±20%%", n+1, d, base)
			}
		}
	}
	flat := RetryPolicy{Attempts: 1, Backoff: time.Second}.withDefaults()
	if d := flat.backoff(1, rnd); d != time.Second {
		t.Fatalf("zero jitter gave %v", d)
	}
}

func TestStreamFailingBeforeItsFirstFrameFailsOver(t *testing.T) {
	e := newEnv(t, twoTargets(&RetryPolicy{Attempts: 1}), nil)
	var first *stream
	e.f.script = func(_ int, c call) (*pipeline.Response, error) {
		if c.target.Provider == "a" {
			first = &stream{frames: []string{"x"}, failAt: 0, err: timeoutErr()}
			return &pipeline.Response{Status: 200, Stream: first}, nil
		}
		return &pipeline.Response{Status: 200, Stream: &stream{frames: []string{"b1", "b2"}, failAt: -1}}, nil
	}
	x := exchange(t, `{"model":"m","stream":true}`)
	resp, err := e.r.Serve(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	if first.closed != 1 {
		t.Fatalf("failed stream closed %d times", first.closed)
	}
	var got []string
	for {
		f, err := resp.Stream.Next(context.Background())
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, string(f.Raw))
	}
	if !slices.Equal(got, []string{"b1", "b2"}) || x.Target.Provider != "b" || x.Attempts != 2 {
		t.Fatalf("frames %v from %s after %d attempts", got, x.Target.Provider, x.Attempts)
	}
}

func TestStreamFailingAfterItsFirstFrameIsNotRetried(t *testing.T) {
	e := newEnv(t, twoTargets(nil), nil)
	cut := &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Code: "upstream_error", Message: "cut"}
	e.f.script = func(_ int, c call) (*pipeline.Response, error) {
		return &pipeline.Response{Status: 200, Stream: &stream{frames: []string{"1", "2", "3"}, failAt: 2, err: cut}}, nil
	}
	x := exchange(t, `{"model":"m","stream":true}`)
	resp, err := e.r.Serve(context.Background(), x)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var end error
	for {
		f, err := resp.Stream.Next(context.Background())
		if err != nil {
			end = err
			break
		}
		got = append(got, string(f.Raw))
	}
	if !slices.Equal(got, []string{"1", "2"}) || !errors.Is(end, cut) || len(e.f.log()) != 1 {
		t.Fatalf("frames %v, end %v, calls %v", got, end, e.f.path())
	}
	if s := e.r.targets[0].h.snapshot(e.clock.Now()); s.Samples != 2 || s.SuccessRate != 0.5 {
		t.Fatalf("a cut after the first frame must count against the target: %+v", s)
	}
}

func TestEmptyStreamIsAnAnswer(t *testing.T) {
	e := newEnv(t, Options{Models: []Model{model("m", "a", 1, 1)}}, nil)
	e.f.script = func(int, call) (*pipeline.Response, error) {
		return &pipeline.Response{Status: 200, Stream: &stream{failAt: -1}}, nil
	}
	resp, err := e.r.Serve(context.Background(), exchange(t, `{"model":"m","stream":true}`))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resp.Stream.Next(context.Background()); !errors.Is(err, io.EOF) {
		t.Fatalf("err = %v, want io.EOF replayed", err)
	}
}

func TestCoercionsOfFailedAttemptsAreDropped(t *testing.T) {
	e := newEnv(t, twoTargets(&RetryPolicy{Attempts: 1}), nil)
	e.f.script = func(n int, c call) (*pipeline.Response, error) { return nil, upstreamErr(500, 0) }
	x := exchange(t, chat("m"))
	x.Coerced = []canonical.Coercion{{Field: "stage", To: "kept"}}
	calls := 0
	e.f.script = func(n int, c call) (*pipeline.Response, error) {
		calls++
		x.Coerced = append(x.Coerced, canonical.Coercion{Field: c.target.Provider, To: "x"})
		if c.target.Provider == "a" {
			return nil, upstreamErr(500, 0)
		}
		return okResponse(), nil
	}
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if len(x.Coerced) != 2 || x.Coerced[0].To != "kept" || x.Coerced[1].Field != "b" {
		t.Fatalf("coerced = %+v", x.Coerced)
	}
}

// TestServeIsSafeForConcurrentUse drives every strategy, auto, credential
// benches, breakers and Explain from many goroutines (run with -race).
func TestServeIsSafeForConcurrentUse(t *testing.T) {
	o := Options{Models: autoCatalogue(), Health: HealthPolicy{FailureThreshold: 3, Cooldown: time.Second},
		Rules: []Rule{
			{Name: "w", Strategy: StrategyWeighted, Match: Match{Models: []string{"w"}}, Targets: []TargetSpec{{Model: "gpt-4o-mini", Weight: 2}, {Model: "gpt-4o"}}},
			{Name: "rr", Strategy: StrategyRoundRobin, Match: Match{Models: []string{"rr"}}, Targets: []TargetSpec{{Model: "gpt-4.1-mini"}, {Model: "claude-haiku"}}},
			{Name: "l", Strategy: StrategyLatency, Match: Match{Models: []string{"l"}}, Targets: []TargetSpec{{Model: "o3"}, {Model: "gpt-4o"}}},
			{Name: "c", Strategy: StrategyCost, Match: Match{Models: []string{"c"}}, Targets: []TargetSpec{{Model: "o3"}, {Model: "gpt-4o-mini"}}},
		}}
	e := newEnv(t, o, map[string][]string{"openai": {"k1", "k2", "k3"}})
	e.f.script = func(n int, c call) (*pipeline.Response, error) {
		switch {
		case n%11 == 0:
			return nil, upstreamErr(429, 10*time.Millisecond)
		case n%7 == 0:
			return nil, upstreamErr(500, 0)
		case n%13 == 0 && c.cred == "k3":
			return nil, upstreamErr(401, 0)
		}
		return okResponse(), nil
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			models := []string{"w", "rr", "l", "c", "auto", "gpt-4o-mini", "claude-haiku"}
			for i := range 150 {
				m := models[(g+i)%len(models)]
				x := exchange(t, chat(m))
				if _, err := e.r.Serve(context.Background(), x); err != nil {
					if ce := ceOf(t, err); ce.Status != 500 && ce.Status != 429 && ce.Status != 502 && ce.Status != 401 {
						t.Errorf("%s: %v", m, err)
					}
				}
				if i%25 == 0 {
					_ = e.r.Explain(Query{Model: m})
				}
			}
		}()
	}
	wg.Wait()
}
