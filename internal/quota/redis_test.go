package quota

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// testRedis returns the shared test Redis (scripts/services.sh); tests skip
// without it, except under CI=true where a missing service is a failure.
func testRedis(t testing.TB) string {
	t.Helper()
	u := os.Getenv("NEXUS_TEST_REDIS")
	if u == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("NEXUS_TEST_REDIS is not set (CI=true): start scripts/services.sh")
		}
		t.Skip("NEXUS_TEST_REDIS not set; run through scripts/test.sh")
	}
	return u
}

// uniqueName keeps runs sharing one Redis off each other's counters.
func uniqueName(prefix string) string {
	b := make([]byte, 5)
	_, _ = rand.Read(b)
	return prefix + "-" + hex.EncodeToString(b)
}

func redisStage(t testing.TB, url string, policy string, timeout time.Duration, rs ...config.QuotaRule) *Stage {
	t.Helper()
	q := rules(rs...)
	q.Redis, q.OnRedisError, q.RedisTimeout = url, policy, timeout
	return mustStage(t, q, nil)
}

func TestRedisReplicasShareOneRPMAndUSDBudget(t *testing.T) {
	url := testRedis(t)
	// Two stages, each with its own client and counters: only Redis is shared.
	rpm := config.QuotaRule{Name: uniqueName("rpm"), Scope: "key", RPM: 10}
	a := redisStage(t, url, config.QuotaFailClosed, time.Second, rpm)
	b := redisStage(t, url, config.QuotaFailClosed, time.Second, rpm)
	awayFromMinuteEdge(3 * time.Second)
	admitted := serveConcurrently(t, []*Stage{a, b}, 40, fixedUsage(100, 100))
	if admitted != 10 {
		t.Errorf("admitted %d of 40 across two replicas, want exactly the shared RPM of 10", admitted)
	}

	usd := config.QuotaRule{Name: uniqueName("usd"), Scope: "key", USDPerDay: 0.5}
	c := redisStage(t, url, config.QuotaFailClosed, time.Second, usd)
	d := redisStage(t, url, config.QuotaFailClosed, time.Second, usd)
	run := concurrentBudget(t, []*Stage{c, d}, keyA, 200, 0, true, func(i int) canonical.Usage {
		return canonical.Usage{InputTokens: 100 + i%40, OutputTokens: 1024 + (i*37)%2000}
	})
	checkBudgetRun(t, run, usdToMicros(0.5), 200, 47)
	// Each replica settles asynchronously; apply both before reading.
	for _, s := range []*Stage{c, d} {
		if err := s.Flush(context.Background()); err != nil {
			t.Fatalf("Flush: %v", err)
		}
	}
	for _, s := range []*Stage{c, d} {
		if got := used(t, s, keyA, usd.Name, "usd_per_day"); got != run.spent {
			t.Errorf("shared counter = %d µ$, want the %d µ$ spent through both replicas", got, run.spent)
		}
	}
}

// TestReplicaProcess is not a test on its own: TestRedisTwoProcessesShareOneBudget
// runs the test binary again with NEXUS_QUOTA_REPLICA=1, so two OS processes
// with nothing in common but Redis enforce the same rules.
func TestReplicaProcess(t *testing.T) {
	if os.Getenv("NEXUS_QUOTA_REPLICA") != "1" {
		t.Skip("helper process for TestRedisTwoProcessesShareOneBudget")
	}
	env := func(k string) string { return os.Getenv("NEXUS_QUOTA_" + k) }
	n, _ := strconv.Atoi(env("N"))
	startAt, _ := strconv.ParseInt(env("START"), 10, 64)
	s := redisStage(t, os.Getenv("NEXUS_TEST_REDIS"), config.QuotaFailClosed, time.Second,
		config.QuotaRule{Name: env("RPM_RULE"), Scope: "key", RPM: 25, Match: config.QuotaMatch{Keys: []string{"rpm-*"}}},
		config.QuotaRule{Name: env("USD_RULE"), Scope: "key", USDPerDay: 0.03, Match: config.QuotaMatch{Keys: []string{"usd-*"}}})
	keys := map[string]*pipeline.Key{
		"rpm": {ID: "rpm-key", Name: "rpm-key"},
		"usd": {ID: "usd-key", Name: "usd-key"},
	}
	time.Sleep(time.Until(time.Unix(0, startAt))) // both processes fire together
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := map[string]int{}
	for i := 0; i < 2*n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Spread the burst over ~200 ms: a request takes one Redis round
			// trip, so an unspread burst can be over before the other
			// process, started a few ms later, sends its first request.
			time.Sleep(time.Duration(i) * 2500 * time.Microsecond)
			kind := []string{"rpm", "usd"}[i%2]
			// Usage equals the estimate (100 in, 100 out: 1250 µ$), so the
			// USD counter grows by exactly the reservations.
			_, err := s.Serve(context.Background(), request(t, keys[kind], "gpt-4o", 400, 100), &upstream{usage: fixedUsage(100, 100)})
			if err == nil {
				mu.Lock()
				admitted[kind]++
				mu.Unlock()
			} else if e, ok := err.(*canonical.Error); !ok || e.Code != CodeExceeded {
				t.Errorf("%s request: %v", kind, err)
			}
		}()
	}
	wg.Wait()
	fmt.Printf("RESULT rpm=%d usd=%d\n", admitted["rpm"], admitted["usd"])
}

func TestRedisTwoProcessesShareOneBudget(t *testing.T) {
	url := testRedis(t)
	rpmRule, usdRule := uniqueName("procrpm"), uniqueName("procusd")
	// The replicas are re-executed test binaries: under -race on a loaded CI
	// machine starting one can take over a second, so the common start time
	// leaves room for both.
	awayFromMinuteEdge(15 * time.Second)
	start := time.Now().Add(3 * time.Second).UnixNano()
	type result struct {
		rpm, usd int
		err      error
	}
	results := make(chan result, 2)
	for p := 0; p < 2; p++ {
		go func() {
			cmd := exec.Command(os.Args[0], "-test.run=^TestReplicaProcess$", "-test.count=1")
			cmd.Env = append(os.Environ(), "NEXUS_QUOTA_REPLICA=1", "NEXUS_TEST_REDIS="+url,
				"NEXUS_QUOTA_N=40", "NEXUS_QUOTA_START="+strconv.FormatInt(start, 10),
				"NEXUS_QUOTA_RPM_RULE="+rpmRule, "NEXUS_QUOTA_USD_RULE="+usdRule)
			out, err := cmd.CombinedOutput()
			var r result
			if err != nil {
				r.err = fmt.Errorf("replica: %w\n%s", err, out)
			} else if _, err := fmt.Sscanf(resultLine(string(out)), "RESULT rpm=%d usd=%d", &r.rpm, &r.usd); err != nil {
				r.err = fmt.Errorf("replica output %q: %w", out, err)
			}
			results <- r
		}()
	}
	var rpm, usd int
	for p := 0; p < 2; p++ {
		r := <-results
		if r.err != nil {
			t.Fatal(r.err)
		}
		if r.rpm == 0 && r.usd == 0 {
			t.Errorf("a replica admitted nothing; the processes did not run together")
		}
		rpm, usd = rpm+r.rpm, usd+r.usd
	}
	// 80 requests per budget across two processes: RPM 25 admits 25; $0.03
	// at 1250 µ$ a request admits 24.
	if rpm != 25 || usd != 24 {
		t.Errorf("two processes admitted rpm=%d usd=%d, want 25 and 24: one shared budget each", rpm, usd)
	}
}

func resultLine(out string) string {
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "RESULT ") {
			return sc.Text()
		}
	}
	return ""
}

// ownRedis starts a private redis-server (the shared one must not be killed
// under other tests) and returns its URL and process.
func ownRedis(t *testing.T) (string, *exec.Cmd) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("redis-server not installed (CI=true)")
		}
		t.Skip("redis-server not installed")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	_ = l.Close()
	return "redis://127.0.0.1:" + port + "/0", startRedis(t, port)
}

func startRedis(t *testing.T, port string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", t.TempDir())
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	for i := 0; ; i++ {
		c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, 100*time.Millisecond)
		if err == nil {
			_, _ = c.Write([]byte("PING\r\n"))
			buf := make([]byte, 7)
			_ = c.SetReadDeadline(time.Now().Add(time.Second))
			n, _ := c.Read(buf)
			_ = c.Close()
			if strings.HasPrefix(string(buf[:n]), "+PONG") {
				return cmd
			}
		}
		if i > 100 {
			t.Fatalf("redis-server on port %s did not come up", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// awayFromMinuteEdge waits for a new UTC minute when fewer than need remain
// in this one, so a per-minute test never straddles a window reset.
func awayFromMinuteEdge(need time.Duration) {
	now := time.Now()
	if left := now.Truncate(time.Minute).Add(time.Minute).Sub(now); left < need {
		time.Sleep(left + 10*time.Millisecond)
	}
}

func TestRedisClientGoneIsNotARedisFailure(t *testing.T) {
	url := testRedis(t)
	s := redisStage(t, url, config.QuotaFailClosed, time.Second, config.QuotaRule{Name: uniqueName("gone"), Scope: "key", RPM: 100})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	up := &upstream{}
	_, err := s.Serve(ctx, request(t, keyA, "gpt-4o", 400, 100), up)
	if e := quotaErr(t, err); e.Status != 499 || e.Code != "CLIENT_CLOSED" {
		t.Errorf("error = %d %s, want 499 CLIENT_CLOSED", e.Status, e.Code)
	}
	if st := s.Stats(); st.StoreErrors != 0 || st.FailClosed != 0 || up.calls.Load() != 0 {
		t.Errorf("stats = %+v, upstream calls %d: a cancelled client must not count as a Redis failure", st, up.calls.Load())
	}
	// Redis is still considered up: the next request is checked normally.
	if _, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), &upstream{usage: fixedUsage(1, 1)}); err != nil {
		t.Errorf("next request: %v", err)
	}
}
