package route

import (
	"context"
	"testing"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// The router's own cost per request, with an adapter that answers at once.

func benchServe(b *testing.B, o Options, body string, key *pipeline.Key) {
	e := newEnv(b, o, nil)
	resp := okResponse()
	e.f.script = func(int, call) (*pipeline.Response, error) { return resp, nil }
	x := exchange(b, body)
	x.Key = key
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		x.Attempts, x.Coerced = 0, x.Coerced[:0]
		e.f.calls = e.f.calls[:0]
		if _, err := e.r.Serve(ctx, x); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkServeCatalogueModel(b *testing.B) {
	benchServe(b, Options{Models: autoCatalogue()}, toolsBody[:len(`{"model":"`)]+`gpt-4o-mini"}`, &pipeline.Key{AllowedModels: []string{"gpt-*"}})
}

func BenchmarkServeWeightedRule(b *testing.B) {
	o := Options{Models: autoCatalogue(), Rules: []Rule{
		{Name: "other", Match: Match{Tags: []string{"x"}}, Targets: []TargetSpec{{Model: "o3"}}},
		{Name: "w", Strategy: StrategyWeighted, Match: Match{Models: []string{"fast"}},
			Targets: []TargetSpec{{Model: "gpt-4o-mini", Weight: 3}, {Model: "gpt-4.1-mini"}, {Model: "claude-haiku", Priority: 1}}},
	}}
	benchServe(b, o, chat("fast"), nil)
}

func BenchmarkServeAuto(b *testing.B) {
	benchServe(b, Options{Models: autoCatalogue()}, `{"model":"auto"`+toolsBody[len(`{"model":"m"`):], nil)
}
