package route

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// autoCatalogue mirrors list prices of the built-in catalogue.
func autoCatalogue() []Model {
	thinking := append([]string{"thinking"}, allFeatures...)
	emb := model("text-embedding-3-small", "openai", 0.02, 0)
	emb.Type, emb.OutputPrice = "embedding", nil
	return []Model{
		model("gpt-4o-mini", "openai", 0.15, 0.6),                                 // tier 1
		model("gpt-4.1-mini", "openai", 0.4, 1.6),                                 // tier 2
		model("claude-haiku", "anthropic", 1, 5, "function_calling", "streaming"), // tier 2, no vision
		model("gpt-4o", "openai", 2.5, 10),                                        // tier 3
		model("o3", "openai", 2, 8, thinking...),                                  // tier 3, reasoning
		emb,
	}
}

func TestAutoPicksPerPolicy(t *testing.T) {
	long := `{"model":"auto","messages":[{"role":"user","content":"` + strings.Repeat("lorem ipsum ", 3000) + `"}]}`
	tools := `{"model":"auto","messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"w","parameters":{}}}]}`
	toolsImage := `{"model":"auto","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}],"tools":[{"type":"function","function":{"name":"w","parameters":{}}}]}`
	reasoning := `{"model":"auto","messages":[{"role":"user","content":"Prove, step by step, that the square root of 2 is irrational."}]}`
	effort := `{"model":"auto","reasoning_effort":"high","messages":[{"role":"user","content":"hi"}]}`
	lowEffort := `{"model":"auto","reasoning_effort":"low","messages":[{"role":"user","content":"hi"}]}`
	tests := []struct {
		name                        string
		body                        string
		allow                       []string
		cheapest, balanced, quality string
	}{
		{"plain chat", chat("auto"), nil, "gpt-4o-mini", "gpt-4o-mini", "gpt-4o"},
		{"tools want a mid tier", tools, nil, "gpt-4o-mini", "gpt-4.1-mini", "gpt-4o"},
		{"tools and images want the top tier with vision", toolsImage, nil, "gpt-4o-mini", "o3", "gpt-4o"},
		{"reasoning hints want a thinking model", reasoning, nil, "gpt-4o-mini", "o3", "o3"},
		{"reasoning_effort high is a hint", effort, nil, "gpt-4o-mini", "o3", "o3"},
		{"reasoning_effort low is not", lowEffort, nil, "gpt-4o-mini", "gpt-4o-mini", "gpt-4o"},
		{"a long prompt wants a mid tier", long, nil, "gpt-4o-mini", "gpt-4.1-mini", "gpt-4o"},
		{"the allowlist narrows the candidates", tools, []string{"gpt-4o*"}, "gpt-4o-mini", "gpt-4o", "gpt-4o"},
		{"nothing fits: the closest tier", reasoning, []string{"gpt-4o-mini", "gpt-4.1-mini"}, "gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-mini"},
	}
	for _, tt := range tests {
		for _, pc := range []struct {
			mode AutoMode
			want string
		}{{AutoCheapest, tt.cheapest}, {AutoBalanced, tt.balanced}, {AutoQuality, tt.quality}} {
			t.Run(tt.name+"/"+string(pc.mode), func(t *testing.T) {
				e := newEnv(t, Options{Models: autoCatalogue(), Auto: AutoPolicy{Policy: pc.mode}}, nil)
				for range 2 { // the same inputs and state give the same choice
					x := exchange(t, tt.body)
					if tt.allow != nil {
						x.Key = &pipeline.Key{AllowedModels: tt.allow}
					}
					if _, err := e.r.Serve(context.Background(), x); err != nil {
						t.Fatal(err)
					}
					if x.Target.Model != pc.want {
						t.Fatalf("picked %s, want %s (%s)", x.Target.Model, pc.want, x.RouteReason)
					}
					if x.RouteReason == "" || x.ResponseHeader.Get(HeaderRouteReason) != x.RouteReason || !strings.Contains(x.RouteReason, pc.want) {
						t.Fatalf("reason %q / header %q", x.RouteReason, x.ResponseHeader.Get(HeaderRouteReason))
					}
				}
			})
		}
	}
}

func TestAutoFallsBackToTheNextRanked(t *testing.T) {
	e := newEnv(t, Options{Models: autoCatalogue(), Auto: AutoPolicy{Policy: AutoCheapest, MaxTargets: 2}, Retry: RetryPolicy{Attempts: 1}}, nil)
	e.f.script = func(_ int, c call) (*pipeline.Response, error) {
		if c.target.Model == "gpt-4o-mini" {
			return nil, upstreamErr(503, 0)
		}
		return okResponse(), nil
	}
	x := exchange(t, chat("auto"))
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if x.Target.Model != "gpt-4.1-mini" || x.Attempts != 2 {
		t.Fatalf("served by %s after %d attempts", x.Target.Model, x.Attempts)
	}
	ex := e.r.Explain(Query{Model: "auto"})
	if len(ex.Targets) != 2 {
		t.Fatalf("MaxTargets not applied: %d targets", len(ex.Targets))
	}
	for _, x := range ex.Excluded {
		if x.Target.Model == "text-embedding-3-small" && !strings.Contains(x.Reason, "no auto candidate") {
			t.Fatalf("embedding model reason: %s", x.Reason)
		}
	}
}

func TestAutoBalancedPrefersTheFasterOfSimilarPrices(t *testing.T) {
	e := newEnv(t, Options{Models: []Model{model("a", "p", 0.40, 1.6), model("b", "q", 0.42, 1.6)}}, nil)
	now := e.clock.Now()
	e.r.byModel[e.r.models["a"]].h.success(now, 2*time.Second)
	e.r.byModel[e.r.models["b"]].h.success(now, 300*time.Millisecond)
	x := exchange(t, chat("auto"))
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if x.Target.Model != "b" {
		t.Fatalf("picked %s: within a price bucket the faster should win", x.Target.Model)
	}
}

func TestAutoRuleNarrowsCandidatesAndSetsPolicy(t *testing.T) {
	e := newEnv(t, Options{Models: autoCatalogue(), Rules: []Rule{{
		Name: "auto-cheap", Match: Match{Models: []string{"auto"}, Tags: []string{"cheap"}}, Strategy: StrategyAuto, Policy: AutoCheapest,
		Targets: []TargetSpec{{Model: "gpt-4o"}, {Model: "claude-haiku"}},
	}}}, nil)
	x := exchange(t, chat("auto"))
	x.Header.Set(HeaderRouteTag, "cheap")
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if x.Target.Model != "claude-haiku" || !strings.HasPrefix(x.RouteReason, "auto cheapest") {
		t.Fatalf("picked %s (%s)", x.Target.Model, x.RouteReason)
	}
	x = exchange(t, chat("auto")) // no tag: the default balanced policy over every model
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if x.Target.Model != "gpt-4o-mini" || !strings.HasPrefix(x.RouteReason, "auto balanced") {
		t.Fatalf("picked %s (%s)", x.Target.Model, x.RouteReason)
	}
}
