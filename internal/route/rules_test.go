package route

import (
	"context"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func rulesEnv(t *testing.T, rules ...Rule) *env {
	t.Helper()
	mini := model("gpt-4o-mini", "openai", 0.15, 0.6)
	mini.Aliases = []string{"mini"}
	return newEnv(t, Options{
		Models: []Model{mini, model("gpt-4o", "openai", 2.5, 10), model("claude", "anthropic", 3, 15), model("cheap", "other", 0.1, 0.1)},
		Rules:  rules,
	}, nil)
}

func TestRuleMatching(t *testing.T) {
	to := func(m string) []TargetSpec { return []TargetSpec{{Model: m}} }
	e := rulesEnv(t,
		Rule{Name: "tagged", Match: Match{Tags: []string{"batch-*"}}, Targets: to("cheap")},
		Rule{Name: "team", Match: Match{Models: []string{"gpt-4o*"}, Labels: map[string]string{"team": "research"}}, Targets: to("claude")},
		Rule{Name: "by-key", Match: Match{Keys: []string{"ci-*"}}, Targets: to("cheap")},
		Rule{Name: "anthropic-callers", Match: Match{Ingress: []pipeline.Shape{pipeline.ShapeAnthropic}, Models: []string{"gpt-4o-mini"}}, Targets: to("claude")},
		Rule{Name: "alias", Match: Match{Models: []string{"gpt-4o-mini"}}, Targets: to("gpt-4o")},
		Rule{Name: "virtual", Match: Match{Models: []string{"smart-*"}}, Targets: to("claude")},
	)
	key := func(name string, labels map[string]string) *pipeline.Key {
		return &pipeline.Key{ID: "id-" + name, Name: name, Labels: labels}
	}
	tests := []struct {
		name    string
		model   string
		key     *pipeline.Key
		ingress pipeline.Shape
		tag     string
		rule    string // "" = none (catalogue)
		served  string
	}{
		{name: "no rule: catalogue entry", model: "claude", rule: "", served: "claude"},
		{name: "alias matches a rule on the model's name", model: "mini", rule: "alias", served: "gpt-4o"},
		{name: "exact name", model: "gpt-4o-mini", rule: "alias", served: "gpt-4o"},
		{name: "glob over a name no model has", model: "smart-v2", rule: "virtual", served: "claude"},
		{name: "label", model: "gpt-4o", key: key("x", map[string]string{"team": "research"}), rule: "team", served: "claude"},
		{name: "label with another value", model: "gpt-4o", key: key("x", map[string]string{"team": "ops"}), rule: "", served: "gpt-4o"},
		{name: "key name glob", model: "gpt-4o", key: key("ci-runner", nil), rule: "by-key", served: "cheap"},
		{name: "key id glob", model: "gpt-4o", key: &pipeline.Key{ID: "ci-7", Name: "other"}, rule: "by-key", served: "cheap"},
		{name: "ingress shape", model: "mini", ingress: pipeline.ShapeAnthropic, rule: "anthropic-callers", served: "claude"},
		{name: "tag among several", model: "claude", tag: "eu, batch-nightly", rule: "tagged", served: "cheap"},
		{name: "first match wins", model: "mini", key: key("ci-1", nil), tag: "batch-x", rule: "tagged", served: "cheap"},
		{name: "unknown model, no rule", model: "nope", rule: "-"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			x := exchange(t, chat(tt.model))
			x.Key = tt.key
			if tt.ingress != "" {
				x.Ingress = tt.ingress
			}
			if tt.tag != "" {
				x.Header.Set(HeaderRouteTag, tt.tag)
			}
			_, err := e.r.Serve(context.Background(), x)
			if tt.rule == "-" {
				if ce := ceOf(t, err); ce.Status != 404 {
					t.Fatalf("err = %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if x.Target.Model != tt.served {
				t.Fatalf("served by %s, want %s", x.Target.Model, tt.served)
			}
			ex := e.r.Explain(Query{Model: tt.model, Key: tt.key, Ingress: x.Ingress, Tag: tt.tag})
			if ex.Rule != tt.rule {
				t.Fatalf("explain says rule %q, want %q", ex.Rule, tt.rule)
			}
		})
	}
}

func TestAllowlistAppliesToFallbacks(t *testing.T) {
	e := rulesEnv(t, Rule{Name: "r", Match: Match{Models: []string{"mini"}},
		Targets: []TargetSpec{{Model: "claude"}, {Model: "gpt-4o-mini"}, {Model: "gpt-4o"}}})
	e.f.script = func(int, call) (*pipeline.Response, error) { return nil, upstreamErr(500, 0) }
	x := exchange(t, chat("mini"))
	x.Key = &pipeline.Key{AllowedModels: []string{"gpt-4o-mini", "openai/gpt-4o"}}
	_, _ = e.r.Serve(context.Background(), x)
	for _, c := range e.f.log() {
		if c.target.Model == "claude" {
			t.Fatal("a fallback outside the key's allowlist was called")
		}
	}
	if got := e.f.path(); len(got) != 4 {
		t.Fatalf("calls %v: both allowed targets should have been tried", got)
	}
	x = exchange(t, chat("mini"))
	x.Key = &pipeline.Key{AllowedModels: []string{"cheap"}}
	_, err := e.r.Serve(context.Background(), x)
	if ce := ceOf(t, err); ce.Status != 403 || ce.Code != "MODEL_NOT_ALLOWED" {
		t.Fatalf("nothing allowed: %v", err)
	}
}

func TestWeightedSpreadOver10000Decisions(t *testing.T) {
	// Tolerance: with p = 0.75 and n = 10 000 the standard deviation of the
	// share is 0.0043; ±0.02 is more than 4.5σ, and the RNG is seeded.
	e := rulesEnv(t, Rule{Name: "w", Strategy: StrategyWeighted, Match: Match{Models: []string{"mini"}},
		Targets: []TargetSpec{{Model: "gpt-4o-mini", Weight: 3}, {Model: "gpt-4o", Weight: 1}, {Model: "claude", Weight: 1, Priority: 1}}})
	first := map[string]int{}
	second := map[string]int{}
	cr := e.r.rules[0]
	for range 10000 {
		order := e.r.order(cr, nil, false)
		first[order[0].model.Name]++
		second[order[1].model.Name]++
		if order[2].model.Name != "claude" {
			t.Fatal("a lower-priority target was drawn before its group was exhausted")
		}
	}
	if share := float64(first["gpt-4o-mini"]) / 10000; math.Abs(share-0.75) > 0.02 {
		t.Fatalf("first pick gpt-4o-mini %.4f, want 0.75 ± 0.02", share)
	}
	if share := float64(second["gpt-4o"]) / 10000; math.Abs(share-0.75) > 0.02 {
		t.Fatalf("fallback gpt-4o %.4f, want 0.75 ± 0.02 (it is second whenever mini is first)", share)
	}
}

func TestStrategiesOrderTargets(t *testing.T) {
	three := []TargetSpec{{Model: "gpt-4o"}, {Model: "claude"}, {Model: "cheap"}}
	t.Run("priority keeps listed order within a group, groups ascending", func(t *testing.T) {
		e := rulesEnv(t, Rule{Name: "p", Targets: []TargetSpec{{Model: "gpt-4o", Priority: 2}, {Model: "claude"}, {Model: "cheap"}}})
		if got := names(e.r.order(e.r.rules[0], nil, false)); !slices.Equal(got, []string{"claude", "cheap", "gpt-4o"}) {
			t.Fatal(got)
		}
	})
	t.Run("round robin rotates the first target", func(t *testing.T) {
		e := rulesEnv(t, Rule{Name: "rr", Strategy: StrategyRoundRobin, Targets: three})
		var firsts []string
		for range 4 {
			firsts = append(firsts, e.r.order(e.r.rules[0], nil, false)[0].model.Name)
		}
		if !slices.Equal(firsts, []string{"gpt-4o", "claude", "cheap", "gpt-4o"}) {
			t.Fatal(firsts)
		}
		if got := e.r.order(e.r.rules[0], nil, true)[0].model.Name; got != "claude" || e.r.rules[0].rr.Load() != 4 {
			t.Fatalf("peek changed the turn or showed %s", got)
		}
	})
	t.Run("cost puts the cheapest first and unpriced last", func(t *testing.T) {
		unpriced := model("mystery", "other", -1, -1)
		e := newEnv(t, Options{Models: []Model{unpriced, model("gpt-4o", "openai", 2.5, 10), model("cheap", "other", 0.1, 0.1)},
			Rules: []Rule{{Name: "c", Strategy: StrategyCost, Targets: []TargetSpec{{Model: "mystery"}, {Model: "gpt-4o"}, {Model: "cheap"}}}}}, nil)
		if got := names(e.r.order(e.r.rules[0], nil, false)); !slices.Equal(got, []string{"cheap", "gpt-4o", "mystery"}) {
			t.Fatal(got)
		}
	})
	t.Run("latency puts the fastest first, unmeasured before measured", func(t *testing.T) {
		e := rulesEnv(t, Rule{Name: "l", Strategy: StrategyLatency, Targets: three})
		now := e.clock.Now()
		e.r.byModel[e.r.models["gpt-4o"]].h.success(now, 900*time.Millisecond)
		e.r.byModel[e.r.models["claude"]].h.success(now, 200*time.Millisecond)
		if got := names(e.r.order(e.r.rules[0], nil, false)); !slices.Equal(got, []string{"cheap", "claude", "gpt-4o"}) {
			t.Fatal(got)
		}
	})
}

func names(ts []*target) []string {
	var out []string
	for _, t := range ts {
		out = append(out, t.model.Name)
	}
	return out
}
