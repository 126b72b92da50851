package catalogapi

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// fixedNow is the clock of every test: created / created_at come from it.
var fixedNow = time.Date(2026, 5, 1, 12, 30, 0, 0, time.UTC)

func price(v float64) *float64 { return &v }

// testModels is a catalogue covering every field combination the shapes
// render: full entries, an embedding model with capability JSON, a model
// whose code contains a slash, unknown prices and no display name.
type testModels []Entry

func (m testModels) List() []Entry { return m }

func catalogue() testModels {
	return testModels{
		{
			ID: "gpt-4o", DisplayName: "GPT-4o", Provider: "openai", ProviderDisplayName: "OpenAI",
			UpstreamModel: "gpt-4o-2024-08-06", Type: "chat",
			InputModalities: []string{"text", "image"}, OutputModalities: []string{"text"},
			Aliases: []string{"gpt-4o-latest"}, Features: []string{"vision", "function_calling", "json_mode"},
			MaxContextTokens: 128000, MaxOutputTokens: 16384, Lifecycle: "ga",
			InputPrice: price(2.5), OutputPrice: price(10), CachedReadPrice: price(1.25),
		},
		{
			ID: "claude-sonnet-4-5", DisplayName: "Claude Sonnet 4.5", Provider: "anthropic", ProviderDisplayName: "Anthropic",
			UpstreamModel: "claude-sonnet-4-5-20250929", Type: "chat",
			InputModalities: []string{"text", "image"}, OutputModalities: []string{"text"},
			Features:         []string{"vision", "function_calling", "thinking"},
			MaxContextTokens: 200000, MaxOutputTokens: 64000, Lifecycle: "ga",
			InputPrice: price(3), OutputPrice: price(15), CachedReadPrice: price(0.3), CacheWritePrice: price(3.75),
		},
		{
			ID: "text-embedding-3-small", DisplayName: "Text Embedding 3 Small", Provider: "openai",
			UpstreamModel: "text-embedding-3-small", Type: "embedding",
			InputModalities: []string{"text"}, OutputModalities: []string{"embedding"},
			Capability:       json.RawMessage("{ \"dimensions\": [512, 1536],\n \"maxBatchSize\": 2048 }"),
			MaxContextTokens: 8191, Lifecycle: "ga", InputPrice: price(0.02),
		},
		{
			ID: "openai/gpt-oss-120b", Provider: "groq", UpstreamModel: "openai/gpt-oss-120b", Type: "chat",
			Lifecycle: "preview", Capability: json.RawMessage(`{broken`),
		},
	}
}

// Keys the fake authenticator knows, by token.
var testKeys = map[string]pipeline.Key{
	"nvk_all":     {ID: "k-all", Name: "all"},
	"nvk_scoped":  {ID: "k-scoped", Name: "scoped", AllowedModels: []string{"gpt-4o", "text-embedding-*"}},
	"nvk_nothing": {ID: "k-nothing", Name: "nothing", AllowedModels: []string{"no-such-model"}},
	"nvk_rpm":     {ID: "k-rpm", Name: "rpm", RPM: 2},
}

// fakeAuth resolves testKeys; "nvk_store_down" simulates a key-store outage.
type fakeAuth struct {
	mu     sync.Mutex
	tokens []string // every token presented, in order
}

func (a *fakeAuth) Authenticate(_ context.Context, token string) (*pipeline.Key, error) {
	a.mu.Lock()
	a.tokens = append(a.tokens, token)
	a.mu.Unlock()
	if token == "nvk_store_down" {
		return nil, canonical.Errorf(canonical.KindUpstream, http.StatusServiceUnavailable, "", "key store unavailable")
	}
	k, ok := testKeys[token]
	if !ok {
		if token == "" {
			return nil, canonical.Errorf(canonical.KindAuth, http.StatusUnauthorized, "AUTH_KEY_MISSING", "no virtual key was presented")
		}
		return nil, canonical.Errorf(canonical.KindAuth, http.StatusUnauthorized, "AUTH_INVALID_KEY", "the virtual key is not valid")
	}
	return &k, nil
}

func newHandler(t testing.TB, cfg Config) *Handler {
	t.Helper()
	if cfg.Models == nil {
		cfg.Models = catalogue()
	}
	if cfg.Auth == nil {
		cfg.Auth = &fakeAuth{}
	}
	if cfg.Now == nil {
		cfg.Now = func() time.Time { return fixedNow }
	}
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// mux mounts h the way the gateway does: at ListPath and DetailPrefix.
func mux(h http.Handler) *http.ServeMux {
	m := http.NewServeMux()
	m.Handle(ListPath, h)
	m.Handle(DetailPrefix, h)
	return m
}

// get performs one request against h with the given headers.
func get(h http.Handler, path string, headers ...string) *httptest.ResponseRecorder {
	r := httptest.NewRequest(http.MethodGet, path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		r.Header.Set(headers[i], headers[i+1])
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

// checkGolden compares got (pretty-printed) with the golden file.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, got, "", "  "); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, got)
	}
	path := filepath.Join("testdata", "golden", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden %s (run go test -update): %v", path, err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Fatalf("%s differs:\n got: %s\nwant: %s", path, pretty.Bytes(), want)
	}
}
