package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/mockupstream"
	"github.com/nexus-gateway/nexus/internal/vkey"
)

// fleet is the emulator behind several provider prefixes (/a/v1, /b/v1, …):
// it counts the calls per prefix and per credential, and can make one
// prefix answer normally whatever the body's [[mock: …]] directives say
// (clean), fail outright (down), or refuse one key (revoked), so faults can
// be aimed at one target while the fallback behind it stays healthy.
type fleet struct {
	mock *mockupstream.Server
	mu   sync.Mutex
	hits map[string]int // "a", "b", … and "a key=K"
	// Behaviour per prefix.
	clean   map[string]bool
	down    map[string]bool
	revoked map[string]string // prefix -> the key it answers 401 for
}

func newFleet() *fleet {
	return &fleet{mock: mockupstream.New(mockupstream.Options{}), hits: map[string]int{},
		clean: map[string]bool{}, down: map[string]bool{}, revoked: map[string]string{}}
}

func (f *fleet) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	prefix, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	f.mu.Lock()
	f.hits[prefix]++
	f.hits[prefix+" key="+key]++
	down, clean, revoked := f.down[prefix], f.clean[prefix], f.revoked[prefix]
	f.mu.Unlock()
	switch {
	case revoked != "" && key == revoked:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = io.WriteString(w, `{"error":{"message":"Incorrect API key provided.","type":"invalid_request_error","code":"invalid_api_key"}}`)
		return
	case down:
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"error":{"message":"The server had an error.","type":"server_error"}}`)
		return
	case clean:
		body, _ := io.ReadAll(r.Body)
		for {
			i := bytes.Index(body, []byte("[[mock:"))
			j := bytes.Index(body, []byte("]]"))
			if i < 0 || j < i {
				break
			}
			body = append(body[:i:i], body[j+2:]...)
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
	}
	f.mock.ServeHTTP(w, r)
}

func (f *fleet) count(k string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[k]
}

func (f *fleet) set(m map[string]bool, prefix string, v bool) {
	f.mu.Lock()
	m[prefix] = v
	f.mu.Unlock()
}

// routingOptions inject the clock and the random source.
type routingOptions struct {
	now  func() time.Time
	rand func() float64
}

// newRoutingEnv starts a gateway whose configuration is yaml with {{UP}}
// replaced by the fleet's URL.
func newRoutingEnv(t *testing.T, f *fleet, yaml string, o routingOptions) *env {
	t.Helper()
	e := &env{logs: &syncBuffer{}, mock: f.mock}
	e.upstream = httptest.NewServer(f)
	t.Cleanup(e.upstream.Close)
	yaml = "database: sqlite://" + filepath.Join(t.TempDir(), "nexus.db") + "\n" + strings.ReplaceAll(yaml, "{{UP}}", e.upstream.URL)
	getenv := func(k string) string {
		if k == "NEXUS_SECRET" {
			return serverSecret
		}
		return ""
	}
	cfg, err := config.Parse("routing.yaml", []byte(yaml), getenv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.gw, err = gateway.New(context.Background(), gateway.Options{Config: cfg, Logger: log, Getenv: getenv, Now: o.now, Rand: o.rand})
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	t.Cleanup(func() { e.gw.Close() })
	e.db = e.gw.Store
	secrets, err := gateway.ServerSecrets(cfg, getenv, false)
	if err != nil {
		t.Fatal(err)
	}
	if e.hasher, err = vkey.NewHasher(secrets...); err != nil {
		t.Fatal(err)
	}
	e.srv = httptest.NewServer(e.gw.Handler)
	t.Cleanup(e.srv.Close)
	return e
}

// twoProviders routes model "m" to provider a, then b. Backoff is short so
// retries cost little test time.
const twoProviders = `
retry: {backoff: 10ms, backoff_max: 20ms}
providers:
  - {name: a, type: openai, base_url: "{{UP}}/a/v1", api_key: key-a}
  - {name: b, type: openai, base_url: "{{UP}}/b/v1", api_key: key-b}
models:
  - {name: gpt-4o-mini, provider: a}
  - {name: gpt-4o-mini-b, provider: b, upstream_model: gpt-4o-mini}
routes:
  - name: m
    match: {models: [m]}
    targets: [{model: gpt-4o-mini}, {model: gpt-4o-mini-b}]
`

func chatBody(content string, stream bool) string {
	return fmt.Sprintf(`{"model":"m","stream":%v,"messages":[{"role":"user","content":%q}]}`, stream, content)
}

func attemptsOf(t *testing.T, r *http.Response) int {
	t.Helper()
	n, err := strconv.Atoi(r.Header.Get("X-Nexus-Attempts"))
	if err != nil {
		t.Fatalf("X-Nexus-Attempts = %q", r.Header.Get("X-Nexus-Attempts"))
	}
	return n
}

func mustOK(t *testing.T, r *http.Response) string {
	t.Helper()
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("status %d: %s", r.StatusCode, b)
	}
	return string(b)
}

func TestRateLimitThenSuccessHonoursRetryAfter(t *testing.T) {
	f := newFleet()
	e := newRoutingEnv(t, f, `
retry: {backoff: 10ms}
providers:
  - {name: a, type: openai, base_url: "{{UP}}/a/v1", api_key: key-a}
models:
  - {name: m, provider: a, upstream_model: gpt-4o-mini}
`, routingOptions{})
	key := e.newKey(t, "app", nil)
	start := time.Now()
	r := e.post(t, "/v1/chat/completions", key, chatBody("[[mock: status=429; retry_after=1; fail_times=1; fail_key=ra-"+t.Name()+"]]", false), nil)
	mustOK(t, r)
	if elapsed := time.Since(start); elapsed < time.Second {
		t.Fatalf("answered after %v: the upstream's Retry-After of 1s was not honoured", elapsed)
	}
	if attemptsOf(t, r) != 2 || f.count("a") != 2 {
		t.Fatalf("attempts %d, upstream calls %d; want 2 and 2", attemptsOf(t, r), f.count("a"))
	}
}

func TestServerErrorFallsBackToTheNextTarget(t *testing.T) {
	f := newFleet()
	f.clean["b"] = true
	e := newRoutingEnv(t, f, twoProviders, routingOptions{})
	key := e.newKey(t, "app", nil)
	r := e.post(t, "/v1/chat/completions", key, chatBody("[[mock: status=500]]", false), nil)
	mustOK(t, r)
	if attemptsOf(t, r) != 3 || f.count("a") != 2 || f.count("b") != 1 {
		t.Fatalf("attempts %d, calls a=%d b=%d; want a twice then b", attemptsOf(t, r), f.count("a"), f.count("b"))
	}
	if got := r.Header.Get("X-Nexus-Routed-Provider"); got != "b" || r.Header.Get("X-Nexus-Routed-Model") != "gpt-4o-mini-b" {
		t.Fatalf("routed to %s/%s", got, r.Header.Get("X-Nexus-Routed-Model"))
	}
}

func TestStallBeforeTheFirstByteFailsOver(t *testing.T) {
	f := newFleet()
	f.clean["b"] = true
	e := newRoutingEnv(t, f, strings.Replace(twoProviders, `api_key: key-a}`, `api_key: key-a, timeouts: {first_byte: 150ms}}`, 1), routingOptions{})
	key := e.newKey(t, "app", nil)
	start := time.Now()
	r := e.post(t, "/v1/chat/completions", key, chatBody("[[mock: stall=5s]]", false), nil)
	mustOK(t, r)
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Fatalf("the stalled provider held the request for %v", elapsed)
	}
	// A header-wait timeout fails over at once: one attempt on a, one on b.
	if attemptsOf(t, r) != 2 || r.Header.Get("X-Nexus-Routed-Provider") != "b" {
		t.Fatalf("attempts %d via %s", attemptsOf(t, r), r.Header.Get("X-Nexus-Routed-Provider"))
	}
}

func TestConnectionRefusedFailsOver(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	f := newFleet()
	e := newRoutingEnv(t, f, strings.Replace(twoProviders, `"{{UP}}/a/v1"`, `"`+closed+`/v1"`, 1), routingOptions{})
	key := e.newKey(t, "app", nil)
	r := e.post(t, "/v1/chat/completions", key, chatBody("hello", false), nil)
	mustOK(t, r)
	if attemptsOf(t, r) != 3 || f.count("b") != 1 || r.Header.Get("X-Nexus-Routed-Provider") != "b" {
		t.Fatalf("attempts %d, calls b=%d; want two refused connections then b", attemptsOf(t, r), f.count("b"))
	}
}

func TestStreamStallBeforeItsFirstFrameFailsOver(t *testing.T) {
	f := newFleet()
	f.clean["b"] = true
	e := newRoutingEnv(t, f, strings.Replace(twoProviders, `api_key: key-a}`, `api_key: key-a, timeouts: {idle: 150ms}}`, 1), routingOptions{})
	key := e.newKey(t, "app", nil)
	// latency= waits after the stream's headers: the first frame never comes.
	r := e.post(t, "/v1/chat/completions", key, chatBody("[[mock: latency=5s]]", true), nil)
	body := mustOK(t, r)
	if !strings.Contains(body, "data: [DONE]") || strings.Contains(body, `"error"`) {
		t.Fatalf("stream from the fallback is not complete:\n%s", body)
	}
	if r.Header.Get("X-Nexus-Routed-Provider") != "b" || f.count("b") != 1 {
		t.Fatalf("served by %s", r.Header.Get("X-Nexus-Routed-Provider"))
	}
}

func TestStreamCutAfterTheFirstByteIsNotRetried(t *testing.T) {
	f := newFleet()
	f.clean["b"] = true
	e := newRoutingEnv(t, f, twoProviders, routingOptions{})
	key := e.newKey(t, "app", nil)
	r := e.post(t, "/v1/chat/completions", key, chatBody("[[mock: chunks=10; cut_after=2]]", true), nil)
	defer r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
	frames := readSSE(t, r.Body)
	if len(frames) < 2 {
		t.Fatalf("frames = %v", frames)
	}
	last := frames[len(frames)-1]
	if !strings.HasPrefix(last, `{"error":`) || strings.Count(strings.Join(frames, "\n"), `{"error":`) != 1 {
		t.Fatalf("want exactly one terminal error frame, got %v", frames)
	}
	if f.count("b") != 0 || f.count("a") != 1 {
		t.Fatalf("calls a=%d b=%d: nothing may be retried once bytes reached the client", f.count("a"), f.count("b"))
	}
	e.waitLog(t, `"status":502`)
	e.waitLog(t, `"error_code":"upstream_error"`)
}

// manualClock is the circuit test's clock.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestCircuitOpensAfterRepeatedFailuresAndClosesAfterCooldown(t *testing.T) {
	f := newFleet()
	f.down["a"] = true
	clk := &manualClock{t: time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)}
	e := newRoutingEnv(t, f, twoProviders+`    retry: {attempts: 1}
health: {failure_threshold: 2, cooldown: 30s}
`, routingOptions{now: clk.Now})
	key := e.newKey(t, "app", nil)
	send := func() *http.Response {
		r := e.post(t, "/v1/chat/completions", key, chatBody("hi", false), nil)
		mustOK(t, r)
		return r
	}
	for i := range 2 {
		if r := send(); attemptsOf(t, r) != 2 || r.Header.Get("X-Nexus-Routed-Provider") != "b" {
			t.Fatalf("request %d: attempts %d via %s", i, attemptsOf(t, r), r.Header.Get("X-Nexus-Routed-Provider"))
		}
	}
	// Two consecutive failures opened a's circuit: a is skipped.
	if r := send(); attemptsOf(t, r) != 1 || f.count("a") != 2 {
		t.Fatalf("open circuit: attempts %d, calls to a %d", attemptsOf(t, r), f.count("a"))
	}
	// After the cooldown one probe goes to a; a has recovered, so it serves
	// and the circuit closes.
	clk.Advance(31 * time.Second)
	f.set(f.down, "a", false)
	if r := send(); r.Header.Get("X-Nexus-Routed-Provider") != "a" || attemptsOf(t, r) != 1 {
		t.Fatalf("probe: attempts %d via %s", attemptsOf(t, r), r.Header.Get("X-Nexus-Routed-Provider"))
	}
	if r := send(); r.Header.Get("X-Nexus-Routed-Provider") != "a" || f.count("a") != 4 {
		t.Fatalf("closed circuit: via %s, calls to a %d", r.Header.Get("X-Nexus-Routed-Provider"), f.count("a"))
	}
}

func TestRevokedCredentialIsBenchedWhileAnotherServes(t *testing.T) {
	f := newFleet()
	f.revoked["a"] = "key-revoked"
	e := newRoutingEnv(t, f, `
providers:
  - name: a
    type: openai
    base_url: "{{UP}}/a/v1"
    credentials:
      - {name: old, api_key: key-revoked, weight: 9}
      - {name: new, api_key: key-good}
models:
  - {name: m, provider: a, upstream_model: gpt-4o-mini}
`, routingOptions{rand: func() float64 { return 0 }}) // draws the heaviest credential first
	key := e.newKey(t, "app", nil)
	r := e.post(t, "/v1/chat/completions", key, chatBody("hi", false), nil)
	mustOK(t, r)
	if attemptsOf(t, r) != 2 {
		t.Fatalf("first request: attempts %d; want the refused key then the good one", attemptsOf(t, r))
	}
	for range 5 {
		if r := e.post(t, "/v1/chat/completions", key, chatBody("hi", false), nil); mustOK(t, r) == "" || attemptsOf(t, r) != 1 {
			t.Fatalf("later request: attempts %d", attemptsOf(t, r))
		}
	}
	if got := f.count("a key=key-revoked"); got != 1 {
		t.Fatalf("the revoked key was sent %d times; it must be benched after its 401", got)
	}
	if got := f.count("a key=key-good"); got != 6 {
		t.Fatalf("the good key served %d requests, want 6", got)
	}
}

func TestCapabilityRefusalNamesTheMissingCapability(t *testing.T) {
	f := newFleet()
	e := newRoutingEnv(t, f, `
providers:
  - {name: a, type: openai, base_url: "{{UP}}/a/v1", api_key: k}
models:
  - {name: m, provider: a, upstream_model: text-only, features: [streaming]}
`, routingOptions{})
	key := e.newKey(t, "app", nil)
	body := `{"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}`
	r := e.post(t, "/v1/chat/completions", key, body, nil)
	g := decodeErr(t, r)
	if r.StatusCode != 400 || g.Error.Type != "no_compatible_provider" || g.Error.Param == nil || *g.Error.Param != "tools" {
		t.Fatalf("got %d %+v", r.StatusCode, g.Error)
	}
	if f.count("a") != 0 {
		t.Fatal("a refused request reached the provider")
	}
}

func TestAutoPicksAModelAndSaysWhy(t *testing.T) {
	f := newFleet()
	e := newRoutingEnv(t, f, `
providers:
  - {name: a, type: openai, base_url: "{{UP}}/a/v1", api_key: k}
models:
  - {name: gpt-4o-mini, provider: a}
  - {name: gpt-4o, provider: a}
auto: {policy: balanced}
`, routingOptions{})
	key := e.newKey(t, "app", nil)
	for _, tc := range []struct{ body, want string }{
		{`{"model":"auto","messages":[{"role":"user","content":"hi"}]}`, "gpt-4o-mini"},
		{`{"model":"auto","messages":[{"role":"user","content":[{"type":"text","text":"what is it?"},{"type":"image_url","image_url":{"url":"https://example.com/a.png"}}]}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}]}`, "gpt-4o"},
	} {
		r := e.post(t, "/v1/chat/completions", key, tc.body, nil)
		mustOK(t, r)
		if got := r.Header.Get("X-Nexus-Routed-Model"); got != tc.want {
			t.Fatalf("auto routed to %s, want %s", got, tc.want)
		}
		if reason := r.Header.Get("X-Nexus-Route-Reason"); !strings.Contains(reason, tc.want) {
			t.Fatalf("X-Nexus-Route-Reason = %q", reason)
		}
	}
}
