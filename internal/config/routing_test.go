package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestRoutingDefaults(t *testing.T) {
	c := mustParse(t, okProvider, nil)
	wantRetry := Retry{Attempts: 2, On: []string{"network", "timeout", "429", "5xx"}, Backoff: 250 * time.Millisecond,
		BackoffMax: 5 * time.Second, Jitter: 0.2, RetryAfterMax: 10 * time.Second}
	if !retryEqual(c.Retry, wantRetry) {
		t.Errorf("retry = %+v, want %+v", c.Retry, wantRetry)
	}
	wantHealth := Health{Window: 5 * time.Minute, MinSamples: 5, FailureThreshold: 5, RateLimitThreshold: 5,
		RateLimitWindow: 10 * time.Second, Cooldown: 30 * time.Second, RateLimitCooldown: time.Minute, AuthCooldown: 10 * time.Minute}
	if c.Health != wantHealth {
		t.Errorf("health = %+v, want %+v", c.Health, wantHealth)
	}
	if c.Auto.Policy != "balanced" || c.Auto.MaxTargets != 3 || c.Auto.Candidates != nil {
		t.Errorf("auto = %+v", c.Auto)
	}
	if len(c.Routes) != 0 {
		t.Errorf("routes = %+v", c.Routes)
	}
}

func retryEqual(a, b Retry) bool {
	return a.Attempts == b.Attempts && slices.Equal(a.On, b.On) && (a.On == nil) == (b.On == nil) && a.Backoff == b.Backoff &&
		a.BackoffMax == b.BackoffMax && a.Jitter == b.Jitter && a.RetryAfterMax == b.RetryAfterMax
}

const routedProviders = `providers:
  - name: oa
    type: openai
    credentials:
      - {name: primary, api_key: k1, weight: 3}
      - {name: backup, api_key: k2}
  - {name: an, type: anthropic, api_key: k}
models:
  - {name: gpt-4o-mini, provider: oa, aliases: [mini]}
  - {name: claude-haiku-4-5, provider: an}
`

func TestRoutesDecodeAndMergeRetry(t *testing.T) {
	c := mustParse(t, routedProviders+`
retry: {attempts: 3, on: [429, 5xx], backoff: 100ms}
health: {failure_threshold: 2, cooldown: 5s}
auto: {policy: cheapest, candidates: ["gpt-*"], max_targets: 2}
routes:
  - name: chat
    match:
      models: ["mini", "gpt-4o*"]
      keys: ["team-*"]
      labels: {team: search}
      ingress: [openai, anthropic]
      tags: [batch]
    strategy: weighted
    targets:
      - {model: mini, weight: 3, priority: 1}
      - {provider: an, upstream_model: claude-haiku-4-5}
    retry: {attempts: 1, jitter: 0, on: []}
    responses: downgrade
  - name: smart
    match: {models: [auto], tags: [cheap]}
    strategy: auto
  - name: rest
    targets: [{model: claude-haiku-4-5}]
`, nil)
	if len(c.Routes) != 3 {
		t.Fatalf("routes = %d", len(c.Routes))
	}
	r := c.Routes[0]
	if r.Name != "chat" || r.Strategy != "weighted" || !slices.Equal(r.Match.Models, []string{"mini", "gpt-4o*"}) ||
		r.Match.Labels["team"] != "search" || !slices.Equal(r.Match.Ingress, []string{"openai", "anthropic"}) || r.Match.Tags[0] != "batch" {
		t.Errorf("route 0 = %+v", r)
	}
	if r.Targets[0] != (RouteTarget{Model: "mini", Weight: 3, Priority: 1}) ||
		r.Targets[1] != (RouteTarget{Provider: "an", UpstreamModel: "claude-haiku-4-5", Weight: 1}) {
		t.Errorf("targets = %+v", r.Targets)
	}
	// Route keys win; the rest comes from the global block; a written
	// jitter of 0 stays 0 and an empty on: list retries nothing.
	want := Retry{Attempts: 1, On: []string{}, Backoff: 100 * time.Millisecond, BackoffMax: 5 * time.Second, Jitter: 0, RetryAfterMax: 10 * time.Second}
	if !retryEqual(r.Retry, want) {
		t.Errorf("route retry = %+v, want %+v", r.Retry, want)
	}
	if !retryEqual(c.Routes[2].Retry, c.Retry) || c.Routes[2].Strategy != "priority" {
		t.Errorf("route without retry: %+v (global %+v)", c.Routes[2].Retry, c.Retry)
	}
	if r.Responses != "downgrade" || c.Routes[2].Responses != "native" {
		t.Errorf("responses modes = %q, %q; want downgrade as written, native by default", r.Responses, c.Routes[2].Responses)
	}
	if c.Routes[1].Policy != "cheapest" {
		t.Errorf("auto route policy = %q, want the auto block's", c.Routes[1].Policy)
	}
	if c.Health.FailureThreshold != 2 || c.Health.Cooldown != 5*time.Second || c.Health.MinSamples != 5 {
		t.Errorf("health = %+v", c.Health)
	}
	creds := c.Providers[0].Credentials
	if len(creds) != 2 || creds[0] != (Credential{"primary", "k1", 3}) || creds[1] != (Credential{"backup", "k2", 1}) {
		t.Errorf("credentials = %+v", creds)
	}
}

func TestRoutingValidationErrorsNameLineAndField(t *testing.T) {
	// routedProviders is 10 lines; "routes:" is line 11.
	tests := []struct {
		name, yaml, want string
	}{
		{"unknown strategy", "routes:\n  - name: r\n    strategy: fastest\n    targets: [{model: mini}]\n",
			`13: routes[0].strategy: want one of priority, weighted, round_robin, latency, cost, auto, got "fastest"`},
		{"target naming an unserved model", "routes:\n  - name: r\n    targets:\n      - model: gpt-5\n",
			`14: routes[0].targets[0].model: no served model or alias is called "gpt-5"`},
		{"target with both forms", "routes:\n  - name: r\n    targets:\n      - {model: mini, provider: oa}\n",
			"14: routes[0].targets[0]: give either model, or provider and upstream_model, not both"},
		{"target of an unknown provider", "routes:\n  - name: r\n    targets:\n      - {provider: nope, upstream_model: x}\n",
			`14: routes[0].targets[0].provider: unknown provider "nope"`},
		{"weight zero", "routes:\n  - name: r\n    targets:\n      - model: mini\n        weight: 0\n",
			"15: routes[0].targets[0].weight: must be between 1 and 1000"},
		{"no targets", "routes:\n  - name: r\n    match: {models: [x]}\n",
			"12: routes[0].targets: at least one target is required"},
		{"missing name", "routes:\n  - targets: [{model: mini}]\n",
			"12: routes[0].name: required"},
		{"duplicate name", "routes:\n  - {name: r, match: {tags: [a]}, targets: [{model: mini}]}\n  - {name: r, targets: [{model: mini}]}\n",
			`13: routes[1].name: duplicate route name "r"`},
		{"catch-all before another rule", "routes:\n  - {name: all, targets: [{model: mini}]}\n  - {name: later, targets: [{model: mini}]}\n",
			"13: routes[1]: unreachable: routes[0] above matches every request"},
		{"unknown ingress", "routes:\n  - name: r\n    match: {ingress: [openai, cohere]}\n    targets: [{model: mini}]\n",
			`13: routes[0].match.ingress[1]: want one of openai, anthropic, gemini, openai-responses, got "cohere"`},
		{"unknown responses mode", "routes:\n  - name: r\n    responses: translate\n    targets: [{model: mini}]\n",
			`13: routes[0].responses: want one of native, downgrade, got "translate"`},
		{"policy without auto", "routes:\n  - name: r\n    policy: cheapest\n    targets: [{model: mini}]\n",
			"13: routes[0].policy: only for strategy auto"},
		{"unknown policy", "routes:\n  - {name: r, strategy: auto, policy: smartest}\n",
			`12: routes[0].policy: want one of cheapest, balanced, quality, got "smartest"`},
		{"route retry attempts", "routes:\n  - name: r\n    targets: [{model: mini}]\n    retry:\n      attempts: 9\n",
			"15: routes[0].retry.attempts: want 1 to 5 attempts per target"},
		{"unknown retry class", "retry:\n  on: [network, 4xx]\n",
			`12: retry.on[1]: want one of network, timeout, 429, 5xx, got "4xx"`},
		{"jitter out of range", "retry:\n  jitter: 1.5\n", "12: retry.jitter: want a fraction from 0 to 1"},
		{"backoff_max below backoff", "retry:\n  backoff: 2s\n  backoff_max: 1s\n", "13: retry.backoff_max: must not be below backoff (2s)"},
		{"unknown routing key", "routes:\n  - name: r\n    stratgy: weighted\n",
			`13: routes[0].stratgy: unknown field (did you mean "strategy"?)`},
		{"negative health threshold", "health:\n  failure_threshold: -1\n", "12: health.failure_threshold: must not be negative"},
		{"auto policy", "auto:\n  policy: fastest\n", `12: auto.policy: want one of cheapest, balanced, quality, got "fastest"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("r.yaml", []byte(routedProviders+tt.yaml), nil)
			if err == nil || !strings.Contains(err.Error(), "r.yaml:"+tt.want) {
				t.Fatalf("err = %v\nwant it to contain r.yaml:%s", err, tt.want)
			}
		})
	}
	_, err := Parse("r.yaml", []byte(okProvider+"models:\n  - {name: auto, provider: oa}\n"), nil)
	if err == nil || !strings.Contains(err.Error(), `r.yaml:6: models[0].name: "auto" is reserved`) {
		t.Fatalf("err = %v", err)
	}
}

func TestCredentialErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"credentials and api_key", "providers:\n  - name: oa\n    type: openai\n    api_key: k\n    credentials: [{name: a, api_key: k1}]\n",
			"4: providers[0].api_key: set either api_key or credentials, not both"},
		{"credentials and store", "providers:\n  - name: oa\n    type: openai\n    credential: store\n    credentials: [{name: a, api_key: k1}]\n",
			"4: providers[0].credential: credential: store holds one key"},
		{"duplicate credential name", "providers:\n  - name: oa\n    type: openai\n    credentials:\n      - {name: a, api_key: k1}\n      - {name: a, api_key: k2}\n",
			`6: providers[0].credentials[1].name: duplicate credential name "a"`},
		{"missing credential key", "providers:\n  - name: oa\n    type: openai\n    credentials:\n      - name: a\n        api_key: ${UNSET}\n",
			"6: providers[0].credentials[0].api_key: required (environment variable UNSET is not set)"},
		{"bad credential name", "providers:\n  - name: oa\n    type: openai\n    credentials:\n      - {name: Main Key, api_key: k}\n",
			`5: providers[0].credentials[0].name: "Main Key": use lower-case letters`},
		{"credential weight", "providers:\n  - name: oa\n    type: openai\n    credentials:\n      - {name: a, api_key: k, weight: 5000}\n",
			"5: providers[0].credentials[0].weight: must be between 1 and 1000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("c.yaml", []byte(tt.yaml), nil)
			if err == nil || !strings.Contains(err.Error(), "c.yaml:"+tt.want) {
				t.Fatalf("err = %v\nwant c.yaml:%s", err, tt.want)
			}
		})
	}
}

func TestCredentialKeysNeverLeak(t *testing.T) {
	bad := "providers:\n  - name: oa\n    type: openai\n    credentials:\n      - {name: a, api_key: \"" + fakeKey + "\\n\"}\n      - {name: a, api_key: " + fakeKey + ", weight: x}\n"
	_, err := Parse("s.yaml", []byte(bad), nil)
	if err == nil || strings.Contains(err.Error(), fakeKey) {
		t.Fatalf("err = %v", err)
	}
	c := mustParse(t, "providers:\n  - name: oa\n    type: openai\n    credentials:\n      - {name: main, api_key: "+fakeKey+"}\n", nil)
	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("c", "config", c, "provider", c.Providers[0])
	js, _ := json.Marshal(c)
	out := buf.String() + string(js) + fmt.Sprintf("%v %+v %#v", c, c.Providers[0], c.Providers)
	if strings.Contains(out, fakeKey) {
		t.Fatalf("credential key leaked:\n%s", out)
	}
	if !strings.Contains(out, "main") {
		t.Fatalf("credential names should stay visible:\n%s", out)
	}
}

func TestTargetModel(t *testing.T) {
	c := mustParse(t, routedProviders, nil)
	if m, served := c.TargetModel(RouteTarget{Model: "mini"}); !served || m.Name != "gpt-4o-mini" {
		t.Errorf("by alias: %+v %v", m, served)
	}
	if m, served := c.TargetModel(RouteTarget{Provider: "an", UpstreamModel: "claude-haiku-4-5"}); !served || m.Name != "claude-haiku-4-5" {
		t.Errorf("by provider and upstream: %+v %v", m, served)
	}
	m, served := c.TargetModel(RouteTarget{Provider: "oa", UpstreamModel: "gpt-4o"})
	if served || m.Name != "gpt-4o" || m.Pricing == nil || *m.Pricing.Input != 2.5 || !slices.Contains(m.Features, "vision") || m.Type != "chat" {
		t.Errorf("route-only target must take catalogue data: %+v %v", m, served)
	}
}
