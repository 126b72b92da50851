package config

import (
	"slices"
	"strings"
	"testing"
)

func TestExpand(t *testing.T) {
	getenv := env(map[string]string{"HOST": "db.local", "PORT": "5432", "EMPTY": ""})
	tests := []struct {
		in, want string
		unset    []string
		wantErr  string
	}{
		{"plain", "plain", nil, ""},
		{"cost $5", "cost $5", nil, ""},
		{"${HOST}", "db.local", nil, ""},
		{"pg://${HOST}:${PORT}/x", "pg://db.local:5432/x", nil, ""},
		{"${MISSING}", "", []string{"MISSING"}, ""},
		{"${MISSING:-fallback}", "fallback", nil, ""},
		{"${EMPTY:-fallback}", "fallback", nil, ""}, // ":-" also covers set-but-empty
		{"${HOST:-fallback}", "db.local", nil, ""},
		{"${MISSING:-}", "", nil, ""},         // explicit empty default: not "unset"
		{"${MISSING:-a:-b}", "a:-b", nil, ""}, // only the first ":-" splits
		{"$${HOST}", "${HOST}", nil, ""},      // escape
		{"a$${b}c${HOST}", "a${b}cdb.local", nil, ""},
		{"$$${HOST}", "$${HOST}", nil, ""}, // "$" then the escape
		{"${A}${B}", "", []string{"A", "B"}, ""},
		{"${HOST", "", nil, "unterminated"},
		{"${}", "", nil, "invalid variable reference"},
		{"${9LIVES}", "", nil, "invalid variable reference"},
		{"${A-B}", "", nil, "invalid variable reference"},
		{"${A:-${B}}", "", nil, "nested"},
	}
	for _, tt := range tests {
		got, unset, err := expand(tt.in, getenv)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("expand(%q) err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want || !slices.Equal(unset, tt.unset) {
			t.Errorf("expand(%q) = %q, %v, %v; want %q, %v", tt.in, got, unset, err, tt.want, tt.unset)
		}
	}
}

func TestInterpolationInFile(t *testing.T) {
	c := mustParse(t, `
listen: "${NEXUS_HOST:-127.0.0.1}:${NEXUS_PORT:-3050}"
limits:
  max_body_bytes: ${BODY_LIMIT:-1MiB}
  max_in_flight: ${IN_FLIGHT}
timeouts:
  idle: ${IDLE:-45s}
providers:
  - name: oa
    type: openai
    api_key: '${OPENAI_API_KEY}'
    headers:
      X-Literal: "$${NOT_A_VAR}"
models:
  - name: ${MODEL_NAME:-m}
    provider: oa
    pricing: {input: "${IN_PRICE:-0.5}"}
`, env(map[string]string{"NEXUS_PORT": "8080", "IN_FLIGHT": "64", "OPENAI_API_KEY": "sk-x"}))
	if c.Listen != "127.0.0.1:8080" {
		t.Errorf("listen = %q", c.Listen)
	}
	if c.Limits.MaxBodyBytes != 1<<20 || c.Limits.MaxInFlight != 64 {
		t.Errorf("limits = %+v", c.Limits)
	}
	if c.Timeouts.Idle.Seconds() != 45 {
		t.Errorf("idle = %v", c.Timeouts.Idle)
	}
	p := c.Providers[0]
	if p.APIKey != "sk-x" || p.Headers["X-Literal"] != "${NOT_A_VAR}" {
		t.Errorf("provider key/header = %q / %q", p.APIKey, p.Headers["X-Literal"])
	}
	if c.Models[0].Name != "m" || price(c.Models[0].Pricing.Input) != 0.5 {
		t.Errorf("model = %+v", c.Models[0])
	}
}

// Expansion happens after parsing, so a value that expands to several lines
// (or to YAML syntax) is plain data and does not move later line numbers.
func TestInterpolatedValuesAreDataNotYAML(t *testing.T) {
	getenv := env(map[string]string{"TRICK": "x\nlisten: :9\n- [", "LEVEL": "loud"})
	_, err := Parse("t.yaml", []byte("secret_file: ${TRICK}\nlog:\n  level: ${LEVEL}\n"), getenv)
	if err == nil || !strings.HasPrefix(err.Error(), `t.yaml:3: log.level: want debug, info, warn or error, got "loud"`) {
		t.Fatalf("err = %v", err)
	}
}

func BenchmarkExpand(b *testing.B) {
	getenv := env(map[string]string{"OPENAI_API_KEY": "sk-123"})
	for _, s := range []string{"https://api.openai.com/v1", "${OPENAI_API_KEY:-mock}"} {
		b.Run(s, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := expand(s, getenv); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
