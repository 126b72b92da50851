package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/mockupstream"
	"github.com/nexus-gateway/nexus/internal/vkey"
)

// The three ingress shapes and the three upstream kinds of the matrix.
var (
	matrixIngress  = []string{"openai", "anthropic", "gemini"}
	matrixUpstream = []string{"openai", "anthropic", "gemini"}
)

// matrixModel is the client-facing model routed to each upstream kind.
var matrixModel = map[string]string{
	"openai":    "m-openai",
	"anthropic": "m-anthropic",
	"gemini":    "m-gemini",
}

// matrixEnv is a gateway with one provider of each wire, all pointing at the
// emulator, and a key for the official clients.
type matrixEnv struct {
	*env
	key string
}

func newMatrixEnv(t *testing.T) *matrixEnv {
	t.Helper()
	e := &env{logs: &syncBuffer{}}
	e.mock = mockupstream.New(mockupstream.Options{FixturesDir: fixtureDir})
	e.upstream = httptest.NewServer(e.mock)
	t.Cleanup(e.upstream.Close)
	u := e.upstream.URL
	yaml := fmt.Sprintf(`
listen: 127.0.0.1:0
database: sqlite://%s
providers:
  - {name: openai, type: openai, base_url: %s/v1, api_key: "${UPSTREAM_KEY}"}
  # The matrix checks what translation carries; the Claude 4 sampling rules
  # (which would drop top_p beside temperature) have their own tests.
  - {name: anthropic, type: anthropic, base_url: %s, api_key: "${UPSTREAM_KEY}", preset_quirks: false}
  - {name: gemini, type: gemini, base_url: %s/v1beta, api_key: "${UPSTREAM_KEY}"}
models:
  - {name: m-openai, provider: openai, upstream_model: gpt-4o}
  - {name: m-o3, provider: openai, upstream_model: o3-mini}
  - {name: m-anthropic, provider: anthropic, upstream_model: claude-sonnet-4-5}
  - {name: m-gemini, provider: gemini, upstream_model: gemini-2.5-flash}
  - {name: m-gemini-3, provider: gemini, upstream_model: gemini-3-pro-preview}
`, filepath.Join(t.TempDir(), "nexus.db"), u, u, u)
	getenv := func(k string) string {
		switch k {
		case "UPSTREAM_KEY":
			return providerKey
		case "NEXUS_SECRET":
			return serverSecret
		}
		return ""
	}
	cfg, err := config.Parse("matrix.yaml", []byte(yaml), getenv)
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
	return &matrixEnv{env: e, key: e.newKey(t, "matrix", nil)}
}

// Official clients pointed at the gateway, retries off so every call is one
// request and statuses surface as they are.

func (m *matrixEnv) openai() openai.Client {
	return openai.NewClient(option.WithBaseURL(m.srv.URL+"/v1/"), option.WithAPIKey(m.key),
		option.WithMaxRetries(0), option.WithRequestTimeout(20*time.Second))
}

func (m *matrixEnv) anthropic() anthropic.Client {
	return anthropic.NewClient(anthropicoption.WithBaseURL(m.srv.URL), anthropicoption.WithAPIKey(m.key),
		anthropicoption.WithMaxRetries(0), anthropicoption.WithRequestTimeout(20*time.Second))
}

// genai builds its URLs as BaseURL + "v1beta/models/{model}:generateContent"
// (and ":streamGenerateContent?alt=sse"), the routes the gateway serves.
func (m *matrixEnv) genai(t *testing.T) *genai.Client {
	t.Helper()
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: m.key, Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: m.srv.URL + "/"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// raw posts body to the gateway with the ingress shape's own key carrier.
func (m *matrixEnv) raw(t *testing.T, ingress, model string, stream bool, body string) *http.Response {
	t.Helper()
	path, hdr := "/v1/chat/completions", map[string]string{"Authorization": "Bearer " + m.key}
	switch ingress {
	case "anthropic":
		path, hdr = "/v1/messages", map[string]string{"x-api-key": m.key, "anthropic-version": "2023-06-01"}
	case "gemini":
		path = "/v1beta/models/" + model + ":generateContent"
		if stream {
			path = "/v1beta/models/" + model + ":streamGenerateContent?alt=sse"
		}
		hdr = map[string]string{"x-goog-api-key": m.key}
	}
	return m.post(t, path, "", body, hdr)
}

// directive is the emulator instruction carried in the user message text.
func directive(kv string) string { return "Hello there. [[mock: " + kv + "]]" }

// lastUpstream returns the body the emulator received last.
func (m *matrixEnv) lastUpstream(t *testing.T) (http.Header, string) {
	t.Helper()
	h, b := m.mock.LastRequest()
	if b == nil {
		t.Fatal("the emulator received no request")
	}
	return h, string(b)
}

func contains(t *testing.T, what, s string, subs ...string) {
	t.Helper()
	for _, sub := range subs {
		if !strings.Contains(s, sub) {
			t.Errorf("%s lacks %s:\n%s", what, sub, s)
		}
	}
}
