package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/mockupstream"
)

// benchEnv is a gateway with an OpenAI and an Anthropic provider, both on the
// emulator, logging to nowhere so the benchmark measures the request path.
type benchEnv struct {
	gw, up *httptest.Server
	key    string
	client *http.Client
}

func newBenchEnv(b testing.TB) *benchEnv { return newBenchEnvWith(b, "") }

// newBenchEnvWith adds top-level YAML (quotas, …) to the benchmark gateway.
func newBenchEnvWith(b testing.TB, extra string) *benchEnv {
	up := httptest.NewServer(mockupstream.New(mockupstream.Options{}))
	b.Cleanup(up.Close)
	yaml := fmt.Sprintf(`
database: sqlite://%s
providers:
  - {name: openai, type: openai, base_url: %s/v1, api_key: k1}
  - {name: anthropic, type: anthropic, base_url: %s, api_key: k2}
models:
  - {name: gpt-4o-mini, provider: openai}
  - {name: claude-sonnet-4-5, provider: anthropic}
%s
`, filepath.Join(b.TempDir(), "n.db"), up.URL, up.URL, extra)
	getenv := func(k string) string {
		if k == "NEXUS_SECRET" {
			return serverSecret
		}
		return ""
	}
	cfg, err := config.Parse("bench.yaml", []byte(yaml), getenv)
	if err != nil {
		b.Fatal(err)
	}
	gw, err := gateway.New(context.Background(), gateway.Options{Config: cfg, Getenv: getenv, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { gw.Close() })
	e := &env{gw: gw, db: gw.Store}
	secrets, _ := gateway.ServerSecrets(cfg, getenv, false)
	e.hasher = mustHasher(b, secrets)
	srv := httptest.NewServer(gw.Handler)
	b.Cleanup(srv.Close)
	tr := &http.Transport{MaxIdleConnsPerHost: 64, DisableCompression: true}
	return &benchEnv{gw: srv, up: up, key: e.newKeyB(b, "bench", nil), client: &http.Client{Transport: tr}}
}

func (e *benchEnv) body(model string, size int, stream bool, chunks int) string {
	pad := strings.Repeat("x", max(size-200, 0))
	return fmt.Sprintf(`{"model":%q,"stream":%v,"max_tokens":256,"messages":[{"role":"user","content":"%s [[mock: chunks=%d]]"}]}`, model, stream, pad, chunks)
}

// do sends one request and drains the answer; for streams it checks the end.
func (e *benchEnv) do(b testing.TB, body string, stream bool) {
	req, _ := http.NewRequest("POST", e.gw.URL+"/v1/chat/completions", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+e.key)
	resp, err := e.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		msg, _ := io.ReadAll(resp.Body)
		b.Fatalf("status %d: %s", resp.StatusCode, msg)
	}
	if !stream {
		_, _ = io.Copy(io.Discard, resp.Body)
		return
	}
	sc := bufio.NewScanner(resp.Body)
	last := ""
	for sc.Scan() {
		if l := sc.Text(); l != "" {
			last = l
		}
	}
	if last != "data: [DONE]" {
		b.Fatalf("stream did not end with [DONE]: %q", last)
	}
}

// BenchmarkChat measures one OpenAI-shaped request through the gateway, in
// process (client, gateway and emulator share the process, so allocs/op
// count all three). Same-shape (openai) takes the byte path; anthropic is
// translated both ways through the canonical model.
func BenchmarkChat(b *testing.B) {
	e := newBenchEnv(b)
	for _, model := range []string{"gpt-4o-mini", "claude-sonnet-4-5"} {
		for _, size := range []int{1 << 10, 50 << 10} {
			for _, stream := range []bool{false, true} {
				name := fmt.Sprintf("%s/%dKB/stream=%v", map[string]string{"gpt-4o-mini": "openai", "claude-sonnet-4-5": "anthropic"}[model], size>>10, stream)
				body := e.body(model, size, stream, 256)
				b.Run(name, func(b *testing.B) {
					b.ReportAllocs()
					b.SetBytes(int64(len(body)))
					for b.Loop() {
						e.do(b, body, stream)
					}
				})
			}
		}
	}
}

// BenchmarkPolicyPath compares the bare path (auth, route, relay; the audit
// trail is always on) with the full policy path: a key-level and a
// label-level quota on every request, counters in process or in a real
// Redis (NEXUS_TEST_REDIS), reserve before and settle after each call;
// policy-redis-lease keeps the counters in Redis in lease mode (a request is
// admitted against the replica's lease, docs/quotas.md#lease-mode).
// Run with -cpu 2 and compare ns/op: the target is policy ≥ 0.85× bare
// throughput (docs/performance.md).
func BenchmarkPolicyPath(b *testing.B) { benchPolicyPath(b, 1) }

// BenchmarkPolicyPathConcurrent is BenchmarkPolicyPath with 16 client
// goroutines per GOMAXPROCS (32 with -cpu 2) instead of one: a gateway
// serving many requests at once, where the Redis round trip of one request
// overlaps the work of others and concurrent reservations share a script
// call (group commit, docs/quotas.md).
func BenchmarkPolicyPathConcurrent(b *testing.B) { benchPolicyPath(b, 16) }

func benchPolicyPath(b *testing.B, parallelism int) {
	quotas := func(redis, mode string) string {
		return fmt.Sprintf(`quotas:
  redis: %q
  redis_mode: %s
  redis_timeout: 200ms
  rules:
    - {name: per-key, scope: key, rpm: 100000000, usd_per_day: 100000}
    - {name: per-team, scope: "label:team", tpm: 1000000000, usd_per_month: 1000000}
`, redis, mode)
	}
	envs := map[string]string{"bare": "", "policy-memory": quotas("", "exact")}
	if u := os.Getenv("NEXUS_TEST_REDIS"); u != "" {
		envs["policy-redis"] = quotas(u, "exact")
		envs["policy-redis-lease"] = quotas(u, "lease")
	}
	for _, name := range []string{"bare", "policy-memory", "policy-redis", "policy-redis-lease"} {
		extra, ok := envs[name]
		if !ok {
			continue
		}
		e := newBenchEnvWith(b, extra)
		body := e.body("gpt-4o-mini", 1<<10, false, 8)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(parallelism)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					e.do(b, body, false)
				}
			})
		})
	}
}
