package quota

import (
	"context"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
)

// outcome of one request during the outage test.
type outcome struct {
	took     time.Duration
	admitted bool
	code     string
	warning  string
}

// burst sends n concurrent requests through s and reports each.
func burst(t *testing.T, s *Stage, n int) []outcome {
	t.Helper()
	out := make([]outcome, n)
	var wg sync.WaitGroup
	for i := range out {
		wg.Add(1)
		go func() {
			defer wg.Done()
			x := request(t, keyA, "gpt-4o", 400, 100)
			start := time.Now()
			_, err := s.Serve(context.Background(), x, &upstream{usage: fixedUsage(100, 100)})
			o := outcome{took: time.Since(start), admitted: err == nil, warning: x.ResponseHeader.Get(HeaderWarning)}
			if e, ok := err.(*canonical.Error); ok {
				o.code = e.Code
			} else if err != nil {
				o.code = err.Error()
			}
			out[i] = o
		}()
	}
	wg.Wait()
	return out
}

// load sends requests through s from workers goroutines until the returned
// function is called, which stops them and returns every outcome.
func load(t *testing.T, s *Stage, workers int) func() []outcome {
	t.Helper()
	var (
		mu   sync.Mutex
		outs []outcome
		wg   sync.WaitGroup
		stop = make(chan struct{})
	)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				o := burst(t, s, 1)[0]
				mu.Lock()
				outs = append(outs, o)
				mu.Unlock()
				time.Sleep(2 * time.Millisecond)
			}
		}()
	}
	return func() []outcome {
		close(stop)
		wg.Wait()
		return outs
	}
}

func TestRedisOutageAppliesPolicyWithinTheTimeout(t *testing.T) {
	redisURL, srv := ownRedis(t)
	// Generous enough that a healthy Redis always answers in time on a
	// loaded 2-core CI machine running other packages' tests under -race;
	// the hung phase still proves requests are cut off at the timeout.
	const timeout = 300 * time.Millisecond
	// A request waits for at most one reserve and one settle call, each
	// bounded by redis_timeout; the margin absorbs scheduling under -race.
	const bound = 2*timeout + 150*time.Millisecond
	rule := config.QuotaRule{Name: uniqueName("outage"), Scope: "key", RPM: 1_000_000, USDPerDay: 1000}
	open := redisStage(t, redisURL, config.QuotaFailOpen, timeout, rule)
	closed := redisStage(t, redisURL, config.QuotaFailClosed, timeout, rule)

	const failOpenWarning = "quota backend unavailable: request admitted without a quota check"
	var wantFailOpen, wantFailClosed uint64 // requests answered under the policy
	check := func(phase string, s *Stage, wantAdmit bool, wantCode, wantWarning string) {
		t.Helper()
		if wantWarning == failOpenWarning {
			wantFailOpen += 20
		}
		if wantCode == CodeUnavailable {
			wantFailClosed += 20
		}
		outs := burst(t, s, 20)
		var slowest time.Duration
		for _, o := range outs {
			slowest = max(slowest, o.took)
		}
		t.Logf("%s: slowest of 20 requests %v", phase, slowest)
		for i, o := range outs {
			if o.took > bound {
				t.Errorf("%s: request %d took %v, want at most %v", phase, i, o.took, bound)
			}
			if o.admitted != wantAdmit || o.code != wantCode || o.warning != wantWarning {
				t.Errorf("%s: request %d admitted=%v code=%q warning=%q; want admitted=%v code=%q warning=%q",
					phase, i, o.admitted, o.code, o.warning, wantAdmit, wantCode, wantWarning)
			}
		}
	}

	check("healthy, fail-open stage", open, true, "", "")
	check("healthy, fail-closed stage", closed, true, "", "")
	if got := used(t, open, keyA, rule.Name, "rpm"); got != 40 {
		t.Fatalf("rpm counter = %d, want 40 from both stages", got)
	}

	// Hung: the process is alive but answers nothing, so every call must be
	// cut off by the timeout rather than by a connection error.
	if err := srv.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	check("hung, fail-open", open, true, "", failOpenWarning)
	check("hung, fail-closed", closed, false, CodeUnavailable, "")
	if err := srv.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}

	// Dead: killed mid-run, under continuous load on both stages.
	time.Sleep(2 * downCooldown) // let the cooldown from the hang pass, so the load starts checked
	loadOpen, loadClosed := load(t, open, 4), load(t, closed, 4)
	time.Sleep(150 * time.Millisecond)
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = srv.Wait()
	time.Sleep(350 * time.Millisecond)
	for name, outs := range map[string][]outcome{"fail-open": loadOpen(), "fail-closed": loadClosed()} {
		policy := 0
		for i, o := range outs {
			if o.took > bound {
				t.Errorf("%s under load: request %d took %v, want at most %v", name, i, o.took, bound)
			}
			switch {
			case o.admitted && o.warning == "":
			case name == "fail-open" && o.admitted && o.warning == failOpenWarning:
				policy++
				wantFailOpen++
			case name == "fail-closed" && !o.admitted && o.code == CodeUnavailable:
				policy++
				wantFailClosed++
			default:
				t.Errorf("%s under load: request %d: %+v", name, i, o)
			}
		}
		t.Logf("%s under load: %d requests, %d under the outage policy", name, len(outs), policy)
		if policy == 0 || policy == len(outs) {
			t.Errorf("%s: %d of %d requests under the policy; want the kill to land mid-run", name, policy, len(outs))
		}
	}
	time.Sleep(2 * downCooldown) // past the cooldown: the stages really try the dead server
	check("killed, fail-open", open, true, "", failOpenWarning)
	check("killed, fail-closed", closed, false, CodeUnavailable, "")

	// Settlements are retried in the background for a while; Close makes
	// the last attempt and counts what could not be applied.
	_ = open.Close()
	so, sc := open.Stats(), closed.Stats()
	// Every policy answer is counted, and settlements that could not reach
	// Redis (fail-open admissions' charges among them) are counted as unsettled.
	if so.StoreErrors < wantFailOpen || so.FailOpen != wantFailOpen || so.FailClosed != 0 || so.Unsettled == 0 {
		t.Errorf("fail-open stats = %+v, want %d fail-open admissions", so, wantFailOpen)
	}
	if sc.StoreErrors < wantFailClosed || sc.FailClosed != wantFailClosed || sc.FailOpen != 0 {
		t.Errorf("fail-closed stats = %+v, want %d refusals", sc, wantFailClosed)
	}

	// Back: a fresh server on the same port; after the cooldown requests are
	// checked and counted again.
	u, err := url.Parse(redisURL)
	if err != nil {
		t.Fatal(err)
	}
	startRedis(t, u.Port())
	// go-redis re-dials a pool whose dials all failed about once a second.
	for deadline := time.Now().Add(5 * time.Second); ; {
		if o := burst(t, closed, 1)[0]; o.admitted {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fail-closed stage still refuses 5s after Redis came back")
		}
		time.Sleep(50 * time.Millisecond)
	}
	check("recovered, fail-closed", closed, true, "", "")
	if got := used(t, closed, keyA, rule.Name, "rpm"); got < 20 {
		t.Errorf("rpm counter after recovery = %d, want the 20 new requests counted", got)
	}
}

func TestFailOpenAdmissionIsChargedWhenRedisAnswersAtSettlement(t *testing.T) {
	redisURL, srv := ownRedis(t)
	rule := config.QuotaRule{Name: uniqueName("late"), Scope: "key", TPM: 1_000_000}
	s := redisStage(t, redisURL, config.QuotaFailOpen, 50*time.Millisecond, rule)
	if err := srv.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	// Admitted unchecked while Redis hangs; it is back before the answer ends.
	up := &upstream{stream: true, usage: fixedUsage(70, 30)}
	resp, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), up)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * downCooldown)
	drain(t, resp.Stream)
	if got := used(t, s, keyA, rule.Name, "tpm"); got != 100 {
		t.Errorf("tpm = %d, want the 100 tokens really used, charged at settlement", got)
	}
	if st := s.Stats(); st.FailOpen != 1 || st.Unsettled != 0 {
		t.Errorf("stats = %+v, want one fail-open admission, settled", st)
	}
}
