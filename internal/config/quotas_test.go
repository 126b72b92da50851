package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"
)

// okModels serves gpt-4o and gpt-4o-mini (lines 1–7), so downgrade targets resolve.
const okModels = okProvider + "models:\n  - {name: gpt-4o, provider: oa}\n  - {name: gpt-4o-mini, provider: oa, aliases: [mini]}\n"

func TestQuotasBlockDecodesEveryField(t *testing.T) {
	yaml := okModels + `quotas:
  redis: ${REDIS_URL:-}
  redis_timeout: 80ms
  on_redis_error: fail-closed
  default_output_tokens: 512
  rules:
    - name: per-key
      scope: key
      match: {keys: ["team-*", "ci"], labels: {env: prod}}
      rpm: 600
      tpm: 200000
      usd_per_day: 5
      usd_per_month: 100.5
      soft_percent: 80
      action: downgrade
      downgrade_to: mini
      allow_unpriced: true
    - name: search-team
      scope: label:team
      usd_per_month: 1_000
`
	c := mustParse(t, yaml, env(map[string]string{"REDIS_URL": "redis://127.0.0.1:6379/2"}))
	q := c.Quotas
	if q.Redis != "redis://127.0.0.1:6379/2" || q.RedisTimeout != 80*time.Millisecond || q.OnRedisError != QuotaFailClosed || q.DefaultOutputTokens != 512 {
		t.Fatalf("quotas header fields = %+v", q)
	}
	if len(q.Rules) != 2 {
		t.Fatalf("rules = %d, want 2", len(q.Rules))
	}
	r := q.Rules[0]
	want := QuotaRule{Name: "per-key", Scope: "key", RPM: 600, TPM: 200000, USDPerDay: 5, USDPerMonth: 100.5,
		SoftPercent: 80, Action: "downgrade", DowngradeTo: "mini", AllowUnpriced: true}
	gotNoMatch := r
	gotNoMatch.Match = QuotaMatch{}
	if fmt.Sprint(gotNoMatch) != fmt.Sprint(want) {
		t.Errorf("rule[0] = %+v\nwant      %+v", gotNoMatch, want)
	}
	if strings.Join(r.Match.Keys, ",") != "team-*,ci" || len(r.Match.Labels) != 1 || r.Match.Labels["env"] != "prod" {
		t.Errorf("rule[0].match = %+v", r.Match)
	}
	r1 := q.Rules[1]
	if r1.Scope != "label:team" || r1.ScopeLabel() != "team" || r1.USDPerMonth != 1000 || r1.Action != QuotaActionReject {
		t.Errorf("rule[1] = %+v (action should default to reject)", r1)
	}
}

func TestQuotasDefaults(t *testing.T) {
	c := mustParse(t, okProvider, nil)
	q := c.Quotas
	if q.Redis != "" || q.RedisTimeout != DefaultQuotaRedisTimeout || q.OnRedisError != QuotaFailOpen ||
		q.DefaultOutputTokens != DefaultQuotaDefaultOutputTokens || len(q.Rules) != 0 {
		t.Errorf("defaults = %+v", q)
	}
	if q.RedisMode != QuotaModeExact || q.LeaseFraction != 0 {
		t.Errorf("default mode = %q, fraction %v; want exact and no fraction", q.RedisMode, q.LeaseFraction)
	}
	if d := Default(nil); d.Quotas.RedisTimeout != DefaultQuotaRedisTimeout || d.Quotas.OnRedisError != QuotaFailOpen {
		t.Errorf("Default() quotas = %+v", d.Quotas)
	}
}

func TestQuotasLeaseModeDecodesAndDefaults(t *testing.T) {
	c := mustParse(t, okProvider+"quotas:\n  redis: redis://127.0.0.1:6379/0\n  redis_mode: lease\n  lease_fraction: 0.2\n", nil)
	if q := c.Quotas; q.RedisMode != QuotaModeLease || q.LeaseFraction != 0.2 {
		t.Errorf("mode %q fraction %v, want lease 0.2", q.RedisMode, q.LeaseFraction)
	}
	c = mustParse(t, okProvider+"quotas:\n  redis: redis://127.0.0.1:6379/0\n  redis_mode: lease\n", nil)
	if q := c.Quotas; q.LeaseFraction != DefaultQuotaLeaseFraction {
		t.Errorf("fraction %v, want the default %v", q.LeaseFraction, DefaultQuotaLeaseFraction)
	}
	c = mustParse(t, okProvider+"quotas:\n  redis: redis://127.0.0.1:6379/0\n  redis_mode: lease\n  lease_fraction: 0.5\n", nil)
	if q := c.Quotas; q.LeaseFraction != MaxQuotaLeaseFraction {
		t.Errorf("fraction %v, want 0.5 accepted", q.LeaseFraction)
	}
}

func TestQuotasValidationErrorsNameLineAndField(t *testing.T) {
	// Lines 1–7 are okModels; "quotas:" is line 8, "rules:" line 9, the first rule starts on line 10.
	rule := func(body string) string { return okModels + "quotas:\n  rules:\n    - name: r\n" + body }
	tests := []struct {
		name string
		yaml string
		want string
	}{
		{"redis not a redis URL", okModels + "quotas:\n  redis: http://127.0.0.1:6379\n", "9: quotas.redis: want redis://"},
		{"negative timeout", okModels + "quotas:\n  redis_timeout: -1s\n", "9: quotas.redis_timeout: must not be negative"},
		{"bad timeout", okModels + "quotas:\n  redis_timeout: 50\n", `9: quotas.redis_timeout: invalid duration "50"`},
		{"unknown policy", okModels + "quotas:\n  on_redis_error: fail-soft\n", `9: quotas.on_redis_error: want fail-open or fail-closed, got "fail-soft"`},
		{"unknown redis mode", okModels + "quotas:\n  redis: redis://127.0.0.1:6379/0\n  redis_mode: lazy\n", `10: quotas.redis_mode: want exact or lease, got "lazy"`},
		{"lease without redis", okModels + "quotas:\n  redis_mode: lease\n", "9: quotas.redis_mode: lease needs quotas.redis"},
		{"lease fraction zero", okModels + "quotas:\n  redis: redis://h:6379/0\n  redis_mode: lease\n  lease_fraction: 0\n",
			"11: quotas.lease_fraction: want a share of the limit above 0 and at most 0.5, got 0"},
		{"lease fraction above half", okModels + "quotas:\n  redis: redis://h:6379/0\n  redis_mode: lease\n  lease_fraction: 0.75\n",
			"11: quotas.lease_fraction: want a share of the limit above 0 and at most 0.5, got 0.75"},
		{"lease fraction not a number", okModels + "quotas:\n  redis: redis://h:6379/0\n  redis_mode: lease\n  lease_fraction: some\n",
			`11: quotas.lease_fraction: expected a number, got "some"`},
		{"lease fraction in exact mode", okModels + "quotas:\n  redis: redis://h:6379/0\n  lease_fraction: 0.1\n",
			"10: quotas.lease_fraction: only used with redis_mode: lease"},
		{"negative default output", okModels + "quotas:\n  default_output_tokens: -1\n", "9: quotas.default_output_tokens: must not be negative"},
		{"typo in quotas key", okModels + "quotas:\n  rule: []\n", `9: quotas.rule: unknown field (did you mean "rules"?)`},
		{"rule without limits", rule("      scope: key\n"), "10: quotas.rules[0]: sets no limit"},
		{"rule without name", okModels + "quotas:\n  rules:\n    - scope: key\n      rpm: 1\n", "10: quotas.rules[0].name: required"},
		{"rule name charset", okModels + "quotas:\n  rules:\n    - name: Per Key\n      scope: key\n      rpm: 1\n", `10: quotas.rules[0].name: "Per Key": use lower-case`},
		{"duplicate rule name", rule("      scope: key\n      rpm: 1\n    - name: r\n      scope: key\n      rpm: 2\n"),
			`13: quotas.rules[1].name: duplicate rule name "r" (already used by quotas.rules[0])`},
		{"scope missing", rule("      rpm: 1\n"), "10: quotas.rules[0].scope: required"},
		{"scope unknown", rule("      scope: team\n      rpm: 1\n"), `11: quotas.rules[0].scope: want key or label:NAME (e.g. label:team), got "team"`},
		{"scope label without name", rule("      scope: 'label:'\n      rpm: 1\n"), "11: quotas.rules[0].scope: want key or label:NAME"},
		{"negative rpm", rule("      scope: key\n      rpm: -1\n      tpm: 5\n"), "12: quotas.rules[0].rpm: must not be negative"},
		{"negative usd", rule("      scope: key\n      usd_per_day: -2\n      rpm: 1\n"), "12: quotas.rules[0].usd_per_day: want a USD amount between 0 and"},
		{"usd not a number", rule("      scope: key\n      usd_per_month: lots\n"), `12: quotas.rules[0].usd_per_month: expected a number, got "lots"`},
		{"soft percent out of range", rule("      scope: key\n      rpm: 1\n      soft_percent: 120\n"), "13: quotas.rules[0].soft_percent: want a percentage"},
		{"unknown action", rule("      scope: key\n      rpm: 1\n      action: block\n"), `13: quotas.rules[0].action: want reject or downgrade, got "block"`},
		{"downgrade without target", rule("      scope: key\n      rpm: 1\n      action: downgrade\n"), "10: quotas.rules[0].downgrade_to: required with action: downgrade"},
		{"downgrade to unknown model", rule("      scope: key\n      rpm: 1\n      action: downgrade\n      downgrade_to: gpt-5-nano\n"),
			`14: quotas.rules[0].downgrade_to: unknown model "gpt-5-nano"`},
		{"downgrade_to with reject", rule("      scope: key\n      rpm: 1\n      downgrade_to: mini\n"), "13: quotas.rules[0].downgrade_to: only used with action: downgrade"},
		{"allow_unpriced not a bool", rule("      scope: key\n      rpm: 1\n      allow_unpriced: maybe\n"), `13: quotas.rules[0].allow_unpriced: expected true or false, got "maybe"`},
		{"empty key glob", rule("      scope: key\n      rpm: 1\n      match: {keys: ['']}\n"), "13: quotas.rules[0].match.keys[0]: empty key name pattern"},
		{"unknown match key", rule("      scope: key\n      rpm: 1\n      match: {label: {a: b}}\n"), `13: quotas.rules[0].match.label: unknown field (did you mean "labels"?)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("q.yaml", []byte(tt.yaml), nil)
			if err == nil {
				t.Fatalf("Parse succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), "q.yaml:"+tt.want) {
				t.Errorf("error =\n%v\nwant it to contain q.yaml:%s", err, tt.want)
			}
		})
	}
}

func TestQuotasRedisPasswordIsRedacted(t *testing.T) {
	const pw = "s3cr3t-redis-pw"
	c := mustParse(t, okProvider+"quotas:\n  redis: redis://:"+pw+"@10.0.0.1:6379/0\n", nil)
	js, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var logged strings.Builder
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("cfg", "config", c)
	var quotasLogged strings.Builder
	slog.New(slog.NewTextHandler(&quotasLogged, nil)).Info("q", "quotas", c.Quotas)
	qjs, err := json.Marshal(c.Quotas)
	if err != nil {
		t.Fatal(err)
	}
	printed := map[string]string{"json": string(js), "json quotas": string(qjs), "slog": logged.String(), "slog quotas": quotasLogged.String()}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q"} {
		printed["fmt "+verb] = fmt.Sprintf(verb, c.Quotas)
	}
	for name, out := range printed {
		if strings.Contains(out, pw) {
			t.Errorf("%s output leaks the Redis password: %s", name, out)
		}
		if !strings.Contains(out, "10.0.0.1:6379") {
			t.Errorf("%s output lost the Redis host: %s", name, out)
		}
	}
	// An invalid URL is reported without quoting it.
	_, err = Parse("q.yaml", []byte(okProvider+"quotas:\n  redis: \"http://:"+pw+"@h\"\n"), nil)
	if err == nil || strings.Contains(err.Error(), pw) {
		t.Errorf("error = %v; want an error that does not contain the password", err)
	}
}
