package estimate

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/cost"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func usd(v float64) *float64 { return &v }

func price(in, out, read, write float64) cost.Price {
	p := func(v float64) *float64 {
		if v < 0 {
			return nil
		}
		return usd(v)
	}
	return cost.Price{Input: p(in), Output: p(out), CachedRead: p(read), CacheWrite: p(write)}
}

// testModels is a small served catalogue: list prices as of the catalogue.
func testModels() *stubModels {
	thinking := []string{"function_calling", "streaming", "thinking"}
	plain := []string{"function_calling", "streaming"}
	return &stubModels{models: []Model{
		{Code: "gpt-4o", Provider: "openai", ProviderType: "openai", UpstreamModel: "gpt-4o",
			Price: price(2.50, 10.00, 1.25, -1), MaxOutput: 16_384, ContextWindow: 128_000, Features: plain},
		{Code: "gpt-5-mini", Provider: "openai", ProviderType: "openai", UpstreamModel: "gpt-5-mini",
			Price: price(0.25, 2.00, 0.025, -1), MaxOutput: 128_000, ContextWindow: 400_000, Features: thinking},
		{Code: "azure-gpt-4o", Provider: "azure", ProviderType: "azure-openai", UpstreamModel: "gpt-4o",
			Price: price(2.50, 10.00, 1.25, -1), MaxOutput: 16_384, ContextWindow: 128_000, Features: plain},
		{Code: "claude-sonnet-4-6", Provider: "anthropic", ProviderType: "anthropic", UpstreamModel: "claude-sonnet-4-6",
			Aliases: []string{"sonnet"}, Price: price(3, 15, 0.30, 3.75), MaxOutput: 64_000, ContextWindow: 200_000, Features: thinking},
		{Code: "claude-opus-4-6", Provider: "anthropic", ProviderType: "anthropic", UpstreamModel: "claude-opus-4-6",
			Price: price(5, 25, 0.50, 6.25), MaxOutput: 64_000, ContextWindow: 200_000, Features: thinking},
		{Code: "gemini-2.5-flash", Provider: "google", ProviderType: "gemini", UpstreamModel: "gemini-2.5-flash",
			Price: price(0.30, 2.50, -1, -1), MaxOutput: 65_536, ContextWindow: 1_048_576, Features: thinking},
		{Code: "deepseek-chat", Provider: "deepseek", ProviderType: "deepseek", UpstreamModel: "deepseek-chat",
			Price: price(0.28, 0.42, 0.028, -1), MaxOutput: 8_192, ContextWindow: 128_000, Features: plain},
		{Code: "local-llama", Provider: "ollama", ProviderType: "ollama", UpstreamModel: "llama3.3"},
		{Code: "half-priced", Provider: "ollama", ProviderType: "ollama", UpstreamModel: "mystery", Price: price(1, -1, -1, -1)},
		{Code: "text-embedding-3-small", Provider: "openai", ProviderType: "openai", UpstreamModel: "text-embedding-3-small",
			Type: "embedding", Price: price(0.02, -1, -1, -1), ContextWindow: 8191},
	}}
}

type stubModels struct {
	models []Model
	// block, when set, makes Resolve of that code wait for release.
	block   string
	release chan struct{}
}

func (s *stubModels) Resolve(name string) (Model, bool) {
	if s.block != "" && name == s.block {
		<-s.release
	}
	for _, m := range s.models {
		if m.Code == name {
			return m, true
		}
		for _, a := range m.Aliases {
			if a == name {
				return m, true
			}
		}
	}
	return Model{}, false
}

func (s *stubModels) ResolveOn(provider, name string) (Model, bool) {
	for _, m := range s.models {
		if m.Provider == provider && (m.Code == name || m.UpstreamModel == name) {
			return m, true
		}
	}
	return Model{}, false
}

// resolveOnly hides ResolveOn, to test the fallback disambiguation.
type resolveOnly struct{ m Models }

func (r resolveOnly) Resolve(name string) (Model, bool) { return r.m.Resolve(name) }

// stubAuth knows a few keys.
type stubAuth struct{}

func (stubAuth) Authenticate(_ context.Context, token string) (*pipeline.Key, error) {
	switch token {
	case "nvk_good":
		return &pipeline.Key{ID: "key-good", Name: "good"}, nil
	case "nvk_limited":
		return &pipeline.Key{ID: "key-limited", Name: "limited", AllowedModels: []string{"gpt-*", "anthropic/claude-sonnet-*"}}, nil
	case "nvk_throttled":
		return &pipeline.Key{ID: "key-throttled", Name: "throttled"}, nil
	case "nvk_disabled":
		return nil, canonical.Errorf(canonical.KindAuth, http.StatusUnauthorized, "AUTH_KEY_DISABLED", "the virtual key is disabled")
	case "nvk_storedown":
		return nil, &canonical.Error{Kind: canonical.KindInternal, Status: http.StatusServiceUnavailable,
			Code: "AUTH_STORE_UNAVAILABLE", Message: "the key store is unavailable"}
	}
	return nil, canonical.Errorf(canonical.KindAuth, http.StatusUnauthorized, "AUTH_INVALID_KEY", "the virtual key is not valid")
}

// stubLimiter refuses the throttled key's compare bucket and records the
// keys and limits it was asked about.
type stubLimiter struct {
	mu    sync.Mutex
	calls []string
	rpms  []int
}

func (l *stubLimiter) Allow(key string, rpm int) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, key)
	l.rpms = append(l.rpms, rpm)
	if key == "key-throttled:compare" {
		return false, 1500 * time.Millisecond
	}
	return true, 0
}

func newHandler() (*Handler, *stubLimiter) {
	lim := &stubLimiter{}
	return &Handler{Models: testModels(), Auth: stubAuth{}, Limiter: lim}, lim
}
