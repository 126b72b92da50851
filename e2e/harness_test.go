// Package e2e drives the whole gateway — built by the same composition root
// as `nexus serve` — with the official provider SDKs as clients and the
// provider emulator (or a purpose-built upstream) behind it.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/packages/ssestream"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/mockupstream"
	"github.com/nexus-gateway/nexus/internal/store"
	"github.com/nexus-gateway/nexus/internal/vkey"
)

// providerKey is the fake upstream credential; tests assert it never leaks.
const providerKey = "sk-test-PROVIDER-SECRET-6f1c2d9e8b7a"

const serverSecret = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// syncBuffer collects log output from concurrent requests.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type env struct {
	mock     *mockupstream.Server
	upstream *httptest.Server
	gw       *gateway.Gateway
	srv      *httptest.Server
	db       *store.DB
	hasher   *vkey.Hasher
	logs     *syncBuffer
}

type envOptions struct {
	upstream http.Handler // default: the emulator
	fixtures string       // emulator fixture folder
	extra    string       // YAML appended under the openai provider (e.g. timeouts)
	limits   string       // top-level YAML (limits, quotas, …)
	models   string       // extra entries for the models list
	// providers adds entries to the providers list; "UPSTREAM" in it is
	// replaced by the upstream's URL.
	providers string
}

// newEnv starts an upstream and a gateway configured to use it.
func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{logs: &syncBuffer{}}
	if o.upstream == nil {
		e.mock = mockupstream.New(mockupstream.Options{FixturesDir: o.fixtures})
		o.upstream = e.mock
	}
	e.upstream = httptest.NewServer(o.upstream)
	t.Cleanup(e.upstream.Close)

	dir := t.TempDir()
	yaml := fmt.Sprintf(`
listen: 127.0.0.1:0
database: sqlite://%s
%s
providers:
  - name: openai
    type: openai
    base_url: %s/v1
    api_key: ${UPSTREAM_KEY}
%s
%s
models:
  - name: gpt-4o-mini
    provider: openai
    aliases: [mini]
  - name: gpt-4o
    provider: openai
    upstream_model: gpt-4o-2024-08-06
%s
`, filepath.Join(dir, "nexus.db"), o.limits, e.upstream.URL, indent(o.extra, "    "),
		indent(strings.ReplaceAll(o.providers, "UPSTREAM", e.upstream.URL), "  "), indent(o.models, "  "))
	getenv := func(k string) string {
		switch k {
		case "UPSTREAM_KEY":
			return providerKey
		case "NEXUS_SECRET":
			return serverSecret
		}
		return ""
	}
	cfg, err := config.Parse("test.yaml", []byte(yaml), getenv)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	log := slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	e.gw, err = gateway.New(context.Background(), gateway.Options{Config: cfg, Logger: log, Getenv: getenv})
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

func indent(s, pad string) string {
	if s == "" {
		return ""
	}
	lines := strings.Split(strings.Trim(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pad + l
	}
	return strings.Join(lines, "\n")
}

// newKey mints a key straight into the store, as `nexus keys create` does.
func (e *env) newKey(t *testing.T, name string, mutate func(*store.VirtualKey)) string {
	t.Helper()
	return e.newKeyB(t, name, mutate)
}

func (e *env) newKeyB(t testing.TB, name string, mutate func(*store.VirtualKey)) string {
	t.Helper()
	token, err := vkey.Mint(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	k := &store.VirtualKey{Name: name, Hash: e.hasher.Hash(token), Prefix: vkey.Prefix(token), Enabled: true}
	if mutate != nil {
		mutate(k)
	}
	if err := e.db.CreateKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	return token
}

// client is the official OpenAI SDK pointed at the gateway. Retries are off
// so each call is one request and statuses surface as they are.
func (e *env) client(key string, opts ...option.RequestOption) openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(e.srv.URL + "/v1/"),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(20 * time.Second),
	}
	return openai.NewClient(append(base, opts...)...)
}

// post sends a raw request to the gateway.
func (e *env) post(t *testing.T, path, key, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

func userMsg(text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)},
	}
}

// waitLog waits for the request log line: the handler logs after the last
// byte reached the client, so a client may finish first.
func (e *env) waitLog(t *testing.T, substr string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(e.logs.String(), substr) {
		if time.Now().After(deadline) {
			t.Fatalf("log never contained %q:\n%s", substr, e.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func mustHasher(t testing.TB, secrets [][]byte) *vkey.Hasher {
	t.Helper()
	h, err := vkey.NewHasher(secrets...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// accumulate drains an openai-go chat stream into the completion it adds up
// to, failing t if the stream ends in an error.
func accumulate(t *testing.T, s *ssestream.Stream[openai.ChatCompletionChunk]) openai.ChatCompletionAccumulator {
	t.Helper()
	acc := openai.ChatCompletionAccumulator{}
	for s.Next() {
		acc.AddChunk(s.Current())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return acc
}
