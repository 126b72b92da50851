package estimate

import (
	"testing"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func TestParseTargetEffort(t *testing.T) {
	cases := []struct {
		raw        string
		wantEffort string
		wantShown  string
		ok         bool
	}{
		{``, "", "", true},
		{`null`, "", "", true},
		{`"minimal"`, "minimal", "minimal", true},
		{`"HIGH"`, "high", "high", true},
		{`" medium "`, "medium", "medium", true},
		{`1`, "low", "1", true},
		{`1999`, "low", "1999", true},
		{`2000`, "medium", "2000", true},
		{`8000`, "high", "8000", true},
		{`100000`, "high", "100000", true},
		{`"4096"`, "medium", "4096", true},
		{`100001`, "", "", false},
		{`0`, "", "", false},
		{`-5`, "", "", false},
		{`2.5`, "", "", false},
		{`"extreme"`, "", "", false},
		{`"none"`, "", "", false},
		{`""`, "", "", false},
		{`true`, "", "", false},
		{`{"effort":"high"}`, "", "", false},
	}
	for _, c := range cases {
		e, shown, ok := parseTargetEffort([]byte(c.raw))
		if e != c.wantEffort || shown != c.wantShown || ok != c.ok {
			t.Errorf("%s: got (%q, %q, %v), want (%q, %q, %v)", c.raw, e, shown, ok, c.wantEffort, c.wantShown, c.ok)
		}
	}
}

func TestExpandWidensAndCaps(t *testing.T) {
	cases := []struct {
		name            string
		anchor, ceiling int
		want            span
	}{
		{"uncapped", 600, 0, span{200, 600, 1800}},
		{"high capped by the ceiling", 600, 1000, span{200, 600, 1000}},
		{"high never below the anchor", 600, 300, span{200, 600, 600}},
		{"low at least one", 2, 0, span{1, 2, 6}},
		{"nothing to expand", 0, 100, span{}},
	}
	for _, c := range cases {
		if got := expand(c.anchor, c.ceiling); got != c.want {
			t.Errorf("%s: got %+v, want %+v", c.name, got, c.want)
		}
	}
}

func TestAnchorTable(t *testing.T) {
	cases := []struct {
		names  []string
		effort string
		want   int
		row    string
	}{
		{[]string{"gpt-5"}, "", 500, "gpt-5"},
		{[]string{"gpt-5"}, "minimal", 200, "gpt-5"},
		{[]string{"o3"}, "high", 8000, "o3"},
		{[]string{"claude-sonnet-4-6"}, "minimal", 600, "claude-sonnet-4-6"}, // no minimal row: low
		{[]string{"claude-opus-4-7"}, "medium", 4000, "claude-opus-4-7"},
		{[]string{"my-haiku", "claude-haiku-4-5-20251001"}, "high", 5000, "claude-haiku-4-5"}, // upstream id, dated
		{[]string{"gemini-2.5-pro"}, "low", 600, "gemini-2.5-pro"},
		{[]string{"kimi-k2.5"}, "high", 8000, "kimi-k2.5"},
		{[]string{"o4-mini-2025-04-16"}, "medium", 1500, "o4-mini"},
	}
	for _, c := range cases {
		a, row, ok := lookupAnchor(c.names...)
		if !ok || row != c.row || a.at(c.effort) != c.want {
			t.Errorf("%v at %q: row %q ok %v value %d; want %q %d", c.names, c.effort, row, ok, a.at(c.effort), c.row, c.want)
		}
	}
	if _, _, ok := lookupAnchor("gpt-4o", "gpt-4o-2024-08-06"); ok {
		t.Error("gpt-4o is not in the table")
	}
}

func TestStripDate(t *testing.T) {
	cases := map[string]string{
		"claude-sonnet-4-5-20250929": "claude-sonnet-4-5",
		"gpt-4.1-2025-04-14":         "gpt-4.1",
		"gpt-4o":                     "gpt-4o",
		"o3-mini":                    "o3-mini",
		"model-2025041":              "model-2025041",
		"-20250929":                  "-20250929",
	}
	for in, want := range cases {
		if got := stripDate(in); got != want {
			t.Errorf("stripDate(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOpenAIModelsAndTheirEncodings(t *testing.T) {
	cases := []struct {
		m         Model
		which     int
		exact, ok bool
		reasoning bool
	}{
		{Model{UpstreamModel: "gpt-4o", ProviderType: "openai"}, encO200k, true, true, false},
		{Model{UpstreamModel: "gpt-4o-mini-2024-07-18", ProviderType: "openai"}, encO200k, true, true, false},
		{Model{UpstreamModel: "gpt-4.1-nano"}, encO200k, true, true, false},
		{Model{UpstreamModel: "gpt-5-mini"}, encO200k, true, true, true},
		{Model{UpstreamModel: "o3-mini"}, encO200k, true, true, true},
		{Model{UpstreamModel: "o1"}, encO200k, true, true, true},
		{Model{UpstreamModel: "gpt-4-turbo"}, encCl100k, true, true, false},
		{Model{UpstreamModel: "gpt-3.5-turbo"}, encCl100k, true, true, false},
		{Model{UpstreamModel: "text-embedding-3-large"}, encCl100k, true, true, false},
		{Model{UpstreamModel: "ft:gpt-4o-mini:org::abc"}, encO200k, true, true, false},
		{Model{UpstreamModel: "openai/gpt-4o", ProviderType: "openrouter"}, encO200k, true, true, false},
		{Model{Code: "prod-chat", UpstreamModel: "my-deployment", ProviderType: "azure-openai"}, encO200k, false, true, false},
		{Model{UpstreamModel: "claude-sonnet-4-5", ProviderType: "anthropic"}, 0, false, false, false},
		{Model{UpstreamModel: "omni-moderation", ProviderType: "mistral"}, 0, false, false, false},
		{Model{UpstreamModel: "o", ProviderType: "x"}, 0, false, false, false},
	}
	for _, c := range cases {
		which, exact, ok := openAIEncoding(&c.m)
		if which != c.which || exact != c.exact || ok != c.ok || reasoningFamily(&c.m) != c.reasoning {
			t.Errorf("%+v: got (%d, %v, %v, reasoning %v)", c.m, which, exact, ok, reasoningFamily(&c.m))
		}
	}
}

func TestDefaultAllowedAppliesKeyGlobs(t *testing.T) {
	m := &Model{Code: "claude-sonnet-4-6", Provider: "anthropic", UpstreamModel: "claude-sonnet-4-6-20260101", Aliases: []string{"sonnet"}}
	cases := []struct {
		globs []string
		want  bool
	}{
		{nil, true},
		{[]string{"claude-*"}, true},
		{[]string{"anthropic/*"}, true},
		{[]string{"sonnet"}, true},
		{[]string{"*-20260101"}, true},
		{[]string{"gpt-*", "openai/*"}, false},
		{[]string{"claude-sonnet"}, false}, // anchored at both ends
	}
	for _, c := range cases {
		if got := defaultAllowed(&pipeline.Key{AllowedModels: c.globs}, m); got != c.want {
			t.Errorf("%v: got %v, want %v", c.globs, got, c.want)
		}
	}
}
