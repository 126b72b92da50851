package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/route"
	"github.com/nexus-gateway/nexus/internal/store"
)

const exampleRouting = "../../examples/routing.yaml"

// TestRouteExplainCoversEveryRuleOfTheExample runs explain for a request
// aimed at each rule of examples/routing.yaml (and at the defaults), checks
// the matched rule and the target order, and fails if a rule of the file
// has no case, so the example and its explanations cannot drift apart.
func TestRouteExplainCoversEveryRuleOfTheExample(t *testing.T) {
	cfg, err := config.Load(exampleRouting, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	research := &pipeline.Key{Name: "analyst", Labels: map[string]string{"team": "research"}}
	tests := []struct {
		name    string
		q       route.Query
		rule    string   // "" = no rule
		targets []string // "model via provider/upstream", in order
		lines   []string // more output that must appear
	}{
		{name: "batch tag", q: route.Query{Model: "claude-sonnet-4-5", Tag: "batch"}, rule: "batch-cheapest",
			targets: []string{"gpt-4o-mini via openai/gpt-4o-mini", "gemini-2.5-flash via gemini/gemini-2.5-flash", "claude-haiku-4-5 via anthropic/claude-haiku-4-5"},
			lines:   []string{`route     rule "batch-cheapest", strategy cost`}},
		{name: "research label", q: route.Query{Model: "gpt-4o", Key: research}, rule: "research-team",
			targets: []string{"claude-sonnet-4-5 via anthropic/claude-sonnet-4-5", "gpt-4o via openai/gpt-4o"},
			lines:   []string{"up to 3 attempts per target", "2. research-team: match"}},
		{name: "alias to a weighted spread", q: route.Query{Model: "mini"}, rule: "mini-spread",
			targets: []string{"gpt-4o-mini via openai/gpt-4o-mini", "gpt-4o-mini via openai-eu/gpt-4o-mini", "claude-haiku-4-5 via anthropic/claude-haiku-4-5"},
			lines:   []string{"first in 75% of requests  weight 3", "first in 25% of requests  weight 1", "priority 1", "credentials primary:3,backup:1"}},
		{name: "anthropic callers", q: route.Query{Model: "claude-sonnet-4-5", Ingress: pipeline.ShapeAnthropic}, rule: "anthropic-callers",
			targets: []string{"claude-sonnet-4-5 via anthropic/claude-sonnet-4-5", "gpt-4o via openai/gpt-4o"}},
		{name: "same model from an OpenAI client", q: route.Query{Model: "claude-sonnet-4-5"}, rule: "",
			targets: []string{"claude-sonnet-4-5 via anthropic/claude-sonnet-4-5"},
			lines:   []string{"4. anthropic-callers: no match (ingress openai not in [anthropic])", `catalogue entry of "claude-sonnet-4-5"`}},
		{name: "responses callers", q: route.Query{Model: "claude-haiku-4-5", Ingress: pipeline.ShapeResponses}, rule: "responses-on-claude",
			targets: []string{"claude-sonnet-4-5 via anthropic/claude-sonnet-4-5", "gpt-4o via openai/gpt-4o"}},
		{name: "responses caller of a chat model without the downgrade", q: route.Query{Model: "gemini-2.5-flash", Ingress: pipeline.ShapeResponses}, rule: "",
			lines: []string{"result    400 responses_not_supported"}},
		{name: "ci key", q: route.Query{Model: "gpt-4o", Key: &pipeline.Key{Name: "ci-nightly"}}, rule: "ci-round-robin",
			targets: []string{"gpt-4.1-mini via openai/gpt-4.1-mini", "gemini-2.5-flash via gemini/gemini-2.5-flash"},
			lines:   []string{"first in 50% of requests"}},
		{name: "auto quality with reasoning", q: route.Query{Model: "auto", Tag: "quality", Reasoning: true}, rule: "auto-quality",
			targets: []string{"claude-sonnet-4-5 via anthropic/claude-sonnet-4-5", "o3-mini via openai/o3-mini", "gpt-4o via openai/gpt-4o"},
			lines:   []string{"reason    auto quality: reasoning request, needs tier 3; claude-sonnet-4-5 (tier 3) ranks highest"}},
		{name: "auto default", q: route.Query{Model: "auto"}, rule: "",
			targets: []string{"gpt-4o-mini via openai/gpt-4o-mini", "gpt-4.1-mini via openai/gpt-4.1-mini", "gemini-2.5-flash via gemini/gemini-2.5-flash"},
			lines: []string{"smart router, policy balanced", "text-embedding-3-small via openai/text-embedding-3-small: an embedding model is no auto candidate",
				"claude-sonnet-4-5 via anthropic/claude-sonnet-4-5: auto (balanced) ranked it below the first 3"}},
		{name: "allowlist removes a fallback", q: route.Query{Model: "gpt-4o-mini", Key: &pipeline.Key{Name: "k", AllowedModels: []string{"gpt-*"}}}, rule: "mini-spread",
			targets: []string{"gpt-4o-mini via openai/gpt-4o-mini", "gpt-4o-mini via openai-eu/gpt-4o-mini"},
			lines:   []string{"claude-haiku-4-5 via anthropic/claude-haiku-4-5: key allowlist [gpt-*] does not admit it"}},
		{name: "capability refusal", q: route.Query{Model: "text-embedding-3-small", Tools: true}, rule: "",
			lines: []string{"result    400 no_compatible_provider"}},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := explainRoute(cfg, tt.q, &buf); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			ex := explainFor(t, cfg, tt.q)
			if ex.Rule != tt.rule {
				t.Fatalf("rule %q, want %q\n%s", ex.Rule, tt.rule, out)
			}
			covered[ex.Rule] = true
			var got []string
			for _, pt := range ex.Targets {
				got = append(got, pt.TargetRef.String())
			}
			if strings.Join(got, "; ") != strings.Join(tt.targets, "; ") {
				t.Fatalf("targets %v\nwant %v\n%s", got, tt.targets, out)
			}
			for i, want := range tt.targets {
				label := "         "
				if i == 0 {
					label = "targets  "
				}
				if !strings.Contains(out, label+" "+strconv.Itoa(i+1)+". "+want) {
					t.Errorf("output lacks target line %d %q:\n%s", i+1, want, out)
				}
			}
			for _, l := range tt.lines {
				if !strings.Contains(out, l) {
					t.Errorf("output lacks %q:\n%s", l, out)
				}
			}
			// Every configured target is either planned or explained away.
			listed := strings.Count(out, " via ") - strings.Count(out, "result    served by")
			if listed != len(allTargetsOf(cfg)) {
				t.Errorf("%d targets mentioned, %d configured:\n%s", listed, len(allTargetsOf(cfg)), out)
			}
		})
	}
	for _, r := range cfg.Routes {
		if !covered[r.Name] {
			t.Errorf("rule %q of the example has no explain case", r.Name)
		}
	}
}

func explainFor(t *testing.T, cfg *config.Config, q route.Query) *route.Explanation {
	t.Helper()
	r, err := gateway.ExplainRouter(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	return r.Explain(q)
}

// allTargetsOf counts the distinct targets the configuration defines: the
// served models plus route targets no served model sends.
func allTargetsOf(cfg *config.Config) []string {
	seen := map[string]bool{}
	var out []string
	for _, m := range cfg.Models {
		k := m.Name + " " + m.Provider + "/" + m.UpstreamModel
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	for _, r := range cfg.Routes {
		for _, t := range r.Targets {
			if m, served := cfg.TargetModel(t); !served && !seen[m.Name+" "+m.Provider+"/"+m.UpstreamModel] {
				seen[m.Name+" "+m.Provider+"/"+m.UpstreamModel] = true
				out = append(out, m.Name)
			}
		}
	}
	return out
}

func TestRouteExplainFromTheCLIWithAStoredKey(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(exampleRouting)
	if err != nil {
		t.Fatal(err)
	}
	db := "sqlite://" + filepath.Join(dir, "n.db")
	yaml := strings.Replace(string(data), "database: sqlite://./nexus.db", "database: "+db, 1)
	writeConfig(t, dir, yaml)
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	k := &store.VirtualKey{Name: "analyst", Hash: "h1", Prefix: "nvk_aaaaaaaa", Enabled: true,
		Labels: map[string]string{"team": "research"}, AllowedModels: []string{"claude-*"}}
	if err := s.CreateKey(context.Background(), k); err != nil {
		t.Fatal(err)
	}
	s.Close()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"route", "explain", "--model", "gpt-4o", "--key", "analyst"}, nil, &out, &errb, testEnv(dir))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	for _, want := range []string{
		`route     rule "research-team", strategy priority`,
		"targets   1. claude-sonnet-4-5 via anthropic/claude-sonnet-4-5",
		"gpt-4o via openai/gpt-4o: key allowlist [claude-*] does not admit it",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	for _, args := range [][]string{
		{"route"},
		{"route", "explain"},
		{"route", "explain", "--model", "m", "--ingress", "cohere"},
		{"route", "explain", "--model", "m", "--key", "nobody"},
	} {
		errb.Reset()
		if code := run(context.Background(), args, nil, &out, &errb, testEnv(dir)); code == 0 || errb.Len() == 0 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errb.String())
		}
	}
}
