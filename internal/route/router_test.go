package route

import (
	"context"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func TestGlob(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"gpt-4o*", "gpt-4o-mini", true},
		{"gpt-4o*", "xgpt-4o", false},
		{"*", "anything", true},
		{"claude-*-4-5", "claude-sonnet-4-5", true},
		{"claude-*-4-5", "claude-sonnet-4-50", false},
		{"a.b", "axb", false},
		{"openai/*", "openai/gpt-4o", true},
		{"", "", true},
		{"", "x", false},
		{"**a", "bba", true},
	}
	for _, c := range cases {
		if got := Glob(c.p, c.s); got != c.want {
			t.Errorf("Glob(%q,%q) = %v", c.p, c.s, got)
		}
	}
}

func TestServeResolvesAliasAndEnforcesAllowlist(t *testing.T) {
	m := model("gpt-4o-mini", "openai", 0.15, 0.6)
	m.Aliases, m.UpstreamModel = []string{"mini"}, "gpt-4o-mini-2024-07-18"
	e := newEnv(t, Options{Models: []Model{m}}, nil)
	x := exchange(t, chat("mini"))
	x.Key = &pipeline.Key{AllowedModels: []string{"gpt-4o*"}}
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	got := e.f.log()[0].target
	if got.UpstreamModel != "gpt-4o-mini-2024-07-18" || got.Model != "gpt-4o-mini" || x.Attempts != 1 || x.Target != got {
		t.Fatalf("target = %+v, x.Target = %+v, attempts=%d", got, x.Target, x.Attempts)
	}
	x = exchange(t, chat("mini"))
	x.Key = &pipeline.Key{AllowedModels: []string{"claude-*"}}
	_, err := e.r.Serve(context.Background(), x)
	if ce := ceOf(t, err); ce.Status != 403 || ce.Code != "MODEL_NOT_ALLOWED" {
		t.Fatalf("err = %v", err)
	}
	_, err = e.r.Serve(context.Background(), exchange(t, chat("nope")))
	if ce := ceOf(t, err); ce.Status != 404 || ce.Code != "model_not_found" {
		t.Fatalf("err = %v", err)
	}
	if len(e.f.log()) != 1 {
		t.Fatalf("refused requests reached the adapter: %v", e.f.path())
	}
}

func TestNewRejectsInconsistentConfiguration(t *testing.T) {
	a := (&fake{}).bind("k")
	one := []Provider{{Name: "p", Credentials: []Credential{{Name: "k", Adapter: a}}}}
	tests := []struct {
		name string
		o    Options
		want string
	}{
		{"duplicate alias", Options{Providers: one, Models: []Model{{Name: "a", Provider: "p"}, {Name: "b", Aliases: []string{"a"}, Provider: "p"}}}, "defined twice"},
		{"unknown provider", Options{Providers: one, Models: []Model{{Name: "a", Provider: "missing"}}}, "not configured"},
		{"provider without credentials", Options{Providers: []Provider{{Name: "p"}}}, "no credential"},
		{"credential without adapter", Options{Providers: []Provider{{Name: "p", Credentials: []Credential{{Name: "k"}}}}}, "no adapter"},
		{"auto is reserved", Options{Providers: one, Models: []Model{{Name: "auto", Provider: "p"}}}, "reserved"},
		{"rule names unknown model", Options{Providers: one, Models: []Model{{Name: "a", Provider: "p"}},
			Rules: []Rule{{Name: "r", Targets: []TargetSpec{{Model: "zzz"}}}}}, "not served"},
		{"rule names unknown upstream", Options{Providers: one, Models: []Model{{Name: "a", Provider: "p", UpstreamModel: "a"}},
			Rules: []Rule{{Name: "r", Targets: []TargetSpec{{Provider: "p", UpstreamModel: "b"}}}}}, "sends \"b\""},
		{"rule without targets", Options{Providers: one, Models: []Model{{Name: "a", Provider: "p"}}, Rules: []Rule{{Name: "r"}}}, "no targets"},
		{"unknown strategy", Options{Providers: one, Models: []Model{{Name: "a", Provider: "p"}},
			Rules: []Rule{{Name: "r", Strategy: "fastest", Targets: []TargetSpec{{Model: "a"}}}}}, "unknown strategy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := New(tt.o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestHiddenModelsAreRuleTargetsOnly(t *testing.T) {
	hidden := model("gpt-4o-mini", "backup", 0.15, 0.6)
	hidden.Hidden = true
	e := newEnv(t, Options{
		Models: []Model{model("gpt-4o-mini", "openai", 0.15, 0.6), hidden},
		Rules: []Rule{{Name: "ha", Match: Match{Models: []string{"gpt-4o-mini"}},
			Targets: []TargetSpec{{Model: "gpt-4o-mini"}, {Provider: "backup", UpstreamModel: "gpt-4o-mini"}}}},
	}, nil)
	if len(e.r.Models()) != 1 {
		t.Fatalf("hidden model listed: %d models", len(e.r.Models()))
	}
	e.f.script = func(n int, c call) (*pipeline.Response, error) {
		if c.target.Provider == "openai" {
			return nil, upstreamErr(503, 0)
		}
		return okResponse(), nil
	}
	x := exchange(t, chat("gpt-4o-mini"))
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if x.Target.Provider != "backup" || x.Target.Model != "gpt-4o-mini" {
		t.Fatalf("served by %+v", x.Target)
	}
}
