package route

import (
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func TestExplainReportsOrderAndEveryExclusion(t *testing.T) {
	e := rulesEnv(t,
		Rule{Name: "batch", Match: Match{Tags: []string{"batch"}}, Targets: []TargetSpec{{Model: "cheap"}}},
		Rule{Name: "mini-ha", Strategy: StrategyWeighted, Match: Match{Models: []string{"mini"}},
			Targets: []TargetSpec{{Model: "gpt-4o-mini", Weight: 3}, {Model: "gpt-4o", Weight: 1}, {Model: "claude", Priority: 1}}},
		Rule{Name: "later", Match: Match{Models: []string{"*"}}, Targets: []TargetSpec{{Model: "claude"}}},
	)
	key := &pipeline.Key{Name: "app", AllowedModels: []string{"gpt-*"}}
	ex := e.r.Explain(Query{Model: "mini", Key: key})
	if ex.Rule != "mini-ha" || len(ex.Rules) != 2 || ex.Rules[0].Matched || !ex.Rules[1].Matched {
		t.Fatalf("rules = %+v", ex.Rules)
	}
	if len(ex.Targets) != 2 || ex.Targets[0].Model != "gpt-4o-mini" || ex.Targets[0].FirstShare != 0.75 || ex.Targets[1].FirstShare != 0.25 {
		t.Fatalf("targets = %+v", ex.Targets)
	}
	reasons := map[string]string{}
	for _, x := range ex.Excluded {
		reasons[x.Target.Model] = x.Reason
	}
	want := map[string]string{
		"claude": "key allowlist [gpt-*] does not admit it",
		"cheap":  `a target of rule "batch", which did not match: no X-Nexus-Route-Tag, rule wants [batch]`,
	}
	for m, r := range want {
		if reasons[m] != r {
			t.Errorf("%s: reason %q, want %q", m, reasons[m], r)
		}
	}
	if len(ex.Excluded) != 2 {
		t.Errorf("excluded = %+v", ex.Excluded)
	}
	var b strings.Builder
	if err := ex.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, s := range []string{
		"request   model mini, key app (allowlist [gpt-*]), ingress openai, tag -, needs nothing special",
		"rules     1. batch: no match (no X-Nexus-Route-Tag, rule wants [batch])",
		"          2. mini-ha: match",
		`route     rule "mini-ha", strategy weighted`,
		"targets   1. gpt-4o-mini via openai/gpt-4o-mini  first in 75% of requests  weight 3",
		"          2. gpt-4o via openai/gpt-4o  first in 25% of requests  weight 1",
		"result    served by gpt-4o-mini via openai/gpt-4o-mini unless it fails",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}

	// A rule after the match was never evaluated; say so.
	ex = e.r.Explain(Query{Model: "claude", Tag: "batch"})
	for _, x := range ex.Excluded {
		if x.Target.Model == "gpt-4o" && !strings.Contains(x.Reason, `not evaluated (rule "batch" matched first)`) {
			t.Errorf("gpt-4o: %s", x.Reason)
		}
	}
	// Planning errors are reported as the client would get them.
	ex = e.r.Explain(Query{Model: "mini", Key: &pipeline.Key{Name: "x", AllowedModels: []string{"none"}}})
	if ex.Error == nil || ex.Error.Code != "MODEL_NOT_ALLOWED" || len(ex.Targets) != 0 {
		t.Fatalf("error = %+v", ex.Error)
	}
}

func TestExplainChangesNoState(t *testing.T) {
	e := rulesEnv(t, Rule{Name: "rr", Strategy: StrategyRoundRobin, Targets: []TargetSpec{{Model: "gpt-4o"}, {Model: "claude"}}})
	draws := 0
	e.r.rand = func() float64 { draws++; return 0.5 }
	for range 3 {
		if ex := e.r.Explain(Query{Model: "x"}); ex.Targets[0].Model != "gpt-4o" {
			t.Fatalf("explain advanced the round robin: %s", ex.Targets[0].Model)
		}
	}
	if draws != 0 {
		t.Fatal("explain drew random numbers")
	}
}
