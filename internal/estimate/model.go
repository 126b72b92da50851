package estimate

import (
	"context"
	"time"

	"github.com/nexus-gateway/nexus/internal/cost"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Model is what an estimate needs to know about a served model.
type Model struct {
	Code          string // client-facing model code
	Provider      string // provider name from the configuration
	ProviderType  string // preset type: openai, azure-openai, anthropic, gemini, …
	UpstreamModel string // id sent upstream
	Type          string // "chat" (default) or "embedding"
	Aliases       []string
	Price         cost.Price
	MaxOutput     int // output token ceiling; 0 = unknown
	ContextWindow int // 0 = unknown
	Features      []string
}

// Models resolves the model a compare target names.
type Models interface {
	// Resolve finds a model by code or alias.
	Resolve(name string) (Model, bool)
}

// ProviderModels may also be implemented by Models: ResolveOn finds the
// model a named provider serves under name (its code, an alias, or its
// upstream id). It lets a compare target's providerId pick among providers
// that serve the same upstream model under different codes.
type ProviderModels interface {
	ResolveOn(provider, name string) (Model, bool)
}

// Authenticator checks a virtual key (internal/auth implements it).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*pipeline.Key, error)
}

// Limiter is the per-key request-rate limiter (internal/ratelimit implements it).
type Limiter interface {
	Allow(key string, rpm int) (bool, time.Duration)
}

func (m *Model) hasFeature(f string) bool {
	for _, x := range m.Features {
		if x == f {
			return true
		}
	}
	return false
}
