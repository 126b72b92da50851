package config

import (
	"errors"
	"regexp"
	"strings"
	"testing"
)

// The provider block most cases start from; line 1 is "providers:".
const okProvider = "providers:\n  - name: oa\n    type: openai\n    api_key: k\n"

func TestValidationErrorsNameLineAndField(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
		want string // "line: field: message fragment"
	}{
		{"missing provider name", "providers:\n  - type: openai\n    api_key: k\n",
			nil, "2: providers[0].name: required"},
		{"missing model name", okProvider + "models:\n  - provider: oa\n",
			nil, "6: models[0].name: required"},
		{"duplicate model name", okProvider + "models:\n  - {name: m, provider: oa}\n  - name: m\n    provider: oa\n",
			nil, `7: models[1].name: duplicate model name "m" (already used by models[0].name)`},
		{"alias clashes with a name", okProvider + "models:\n  - {name: m, provider: oa}\n  - name: n\n    provider: oa\n    aliases: [x, m]\n",
			nil, `9: models[1].aliases[1]: duplicate model name "m"`},
		{"unknown provider reference", okProvider + "models:\n  - name: m\n    provider: opnai\n",
			nil, `7: models[0].provider: unknown provider "opnai" (configured: oa)`},
		{"unknown provider type", "providers:\n  - name: x\n    type: opnai\n    api_key: k\n",
			nil, `3: providers[0].type: unknown provider type "opnai"`},
		{"bad duration", "timeouts:\n  connect: 10\n",
			nil, `2: timeouts.connect: invalid duration "10"`},
		{"negative timeout", "timeouts:\n  connect: 1s\n  total: -5s\n",
			nil, "3: timeouts.total: must not be negative"},
		{"bad provider duration", okProvider + "    timeouts:\n      idle: soon\n",
			nil, `6: providers[0].timeouts.idle: invalid duration "soon"`},
		{"unknown top-level key", "listen: :1\nlistne: :2\n",
			nil, `2: listne: unknown field (did you mean "listen"?)`},
		{"unknown nested key", okProvider + "    api-key: k2\n",
			nil, `5: providers[0].api-key: unknown field (did you mean "api_key"?)`},
		{"drain is global only", okProvider + "    timeouts: {drain: 1s}\n",
			nil, `5: providers[0].timeouts.drain: unknown field`},
		{"wrong type list for string", "database: [a]\n",
			nil, "1: database: expected a string, got a list"},
		{"wrong type mapping for list", "providers: {name: x}\n",
			nil, "1: providers: expected a list, got a mapping"},
		{"wrong type string for integer", "limits:\n  max_in_flight: lots\n",
			nil, `2: limits.max_in_flight: expected an integer, got "lots"`},
		{"wrong type scalar for mapping", "log: verbose\n",
			nil, "1: log: expected a mapping, got a string"},
		{"wrong type in pricing", okProvider + "models:\n  - name: m\n    provider: oa\n    pricing:\n      input: free\n",
			nil, `9: models[0].pricing.input: expected a number, got "free"`},
		{"bad header name", okProvider + "    headers:\n      X-Ok: 1\n      \"Bad Header\": v\n",
			nil, `7: providers[0].headers.Bad Header: invalid header name "Bad Header"`},
		{"credential header denied", okProvider + "    headers:\n      Authorization: Bearer x\n",
			nil, `6: providers[0].headers.Authorization: header "Authorization" is not allowed`},
		{"hop-by-hop header denied", okProvider + "    headers: {Connection: close}\n",
			nil, `5: providers[0].headers.Connection: header "Connection" is not allowed`},
		{"header twice in different case", okProvider + "    headers:\n      X-A: 1\n      x-a: 2\n",
			nil, `7: providers[0].headers.x-a: header "x-a" given twice`},
		{"header value with newline", okProvider + "    headers:\n      X-A: \"a\\nInjected: 1\"\n",
			nil, "6: providers[0].headers.X-A: header value contains a line break"},
		{"api key from unset env", "providers:\n  - name: oa\n    type: openai\n    api_key: ${OPENAI_API_KEY}\n",
			nil, "4: providers[0].api_key: empty (environment variable OPENAI_API_KEY is not set)"},
		{"api key from two unset vars", "providers:\n  - name: oa\n    type: openai\n    api_key: ${A}${B}\n",
			nil, "4: providers[0].api_key: empty (environment variables A, B are not set)"},
		{"api key absent", "providers:\n  - name: an\n    type: anthropic\n",
			nil, "2: providers[0].api_key: required for type anthropic"},
		{"api key with trailing newline", "providers:\n  - name: oa\n    type: openai\n    api_key: ${KEY}\n",
			map[string]string{"KEY": "sk-abc\n"}, "4: providers[0].api_key: contains whitespace"},
		{"compatible needs base url", "providers:\n  - name: c\n    type: openai-compatible\n    api_key: k\n",
			nil, "2: providers[0].base_url: required for type openai-compatible"},
		{"base url not absolute", okProvider + "    base_url: api.openai.com/v1\n",
			nil, "5: providers[0].base_url: want an absolute http:// or https:// URL"},
		{"base url with user info", okProvider + "    base_url: https://u:p@api.example.com\n",
			nil, "5: providers[0].base_url: must not contain user:password@"},
		{"api version on non-azure", okProvider + "    api_version: '2024-10-21'\n",
			nil, "5: providers[0].api_version: only valid for type azure-openai"},
		{"provider name pattern", "providers:\n  - name: OpenAI\n    type: openai\n    api_key: k\n",
			nil, `2: providers[0].name: "OpenAI": use lower-case letters`},
		{"duplicate provider name", okProvider + "  - name: oa\n    type: anthropic\n    api_key: k\n",
			nil, `5: providers[1].name: duplicate provider name "oa" (already used by providers[0])`},
		{"unknown feature", okProvider + "models:\n  - name: m\n    provider: oa\n    features: [vision, visoin]\n",
			nil, `8: models[0].features[1]: unknown feature "visoin"`},
		{"bad model type", okProvider + "models:\n  - name: m\n    provider: oa\n    type: image\n",
			nil, `8: models[0].type: want chat or embedding, got "image"`},
		{"negative price", okProvider + "models:\n  - name: m\n    provider: oa\n    pricing: {output: -2}\n",
			nil, "8: models[0].pricing.output: must be a non-negative number"},
		{"bad listen", "listen: 3050\n",
			nil, "1: listen: want host:port"},
		{"bad database", "\n\ndatabase: mysql://x\n",
			nil, "3: database: want sqlite://PATH or postgres://"},
		{"bad log level", "log:\n  level: verbose\n",
			nil, `2: log.level: want debug, info, warn or error, got "verbose"`},
		{"max_in_flight below -1", "limits: {max_in_flight: -5}\n",
			nil, "1: limits.max_in_flight: want a positive cap"},
		{"bad size", "limits:\n  max_body_bytes: 10k\n",
			nil, `2: limits.max_body_bytes: invalid size "10k"`},
		{"negative size", "limits:\n  max_body_bytes: -1\n",
			nil, `2: limits.max_body_bytes: invalid size "-1": must not be negative`},
		{"unterminated interpolation", "listen: ${PORT\n",
			nil, `1: listen: unterminated "${"`},
		{"bad variable name", "listen: ${1X}\n",
			nil, "1: listen: invalid variable reference"},
		{"unknown alias", "listen: *nowhere\n",
			nil, "1: listen: alias *nowhere has no matching &nowhere anchor"},
		{"yaml tag", "listen: !!str :1\n",
			nil, "1: listen: YAML tags (!!str) are not supported"},
		{"merge key", "x-base: &b {connect: 1s}\ntimeouts:\n  <<: *b\n",
			nil, "3: timeouts: merge keys (<<) are not supported"},
		{"two documents", "listen: :1\n---\nlisten: :2\n",
			nil, "3: more than one YAML document"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml), env(tt.env))
			if err == nil {
				t.Fatalf("Parse succeeded, want error %q", tt.want)
			}
			want := "test.yaml:" + tt.want
			lines := strings.Split(err.Error(), "\n")
			for _, l := range lines {
				if strings.HasPrefix(l, want) {
					return
				}
			}
			t.Errorf("no error line starts with %q; got:\n%s", want, err)
		})
	}
}

func TestSyntaxErrorReportsLine(t *testing.T) {
	_, err := Parse("bad.yaml", []byte("listen: :1\nproviders:\n  - name: a\n   type: [\n"), nil)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.File != "bad.yaml" || fe.Line < 3 || !strings.HasPrefix(fe.Msg, "invalid YAML") {
		t.Fatalf("err = %#v", err)
	}
}

// A file with many problems reports all of them, one per line, in line
// order, each as "file:line: field: message".
func TestAllProblemsReportedTogetherInLineOrder(t *testing.T) {
	src := `listen: nowhere
log: {level: loud}
providers:
  - name: a
    type: nope
    api_kye: k
models:
  - name: m
    provider: b
timeouts:
  total: forever
`
	_, err := Parse("multi.yaml", []byte(src), nil)
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	lines := strings.Split(err.Error(), "\n")
	wantPrefixes := []string{
		"multi.yaml:1: listen:",
		"multi.yaml:2: log.level:",
		"multi.yaml:5: providers[0].type:",
		"multi.yaml:6: providers[0].api_kye:",
		"multi.yaml:9: models[0].provider:",
		"multi.yaml:11: timeouts.total:",
	}
	if len(lines) != len(wantPrefixes) {
		t.Fatalf("got %d lines, want %d:\n%s", len(lines), len(wantPrefixes), err)
	}
	format := regexp.MustCompile(`^multi\.yaml:\d+: [a-z_\[\]0-9.]+: \S.*$`)
	for i, l := range lines {
		if !strings.HasPrefix(l, wantPrefixes[i]) || !format.MatchString(l) {
			t.Errorf("line %d = %q, want prefix %q", i, l, wantPrefixes[i])
		}
	}
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Line != 1 || fe.Field != "listen" {
		t.Errorf("errors.As first = %+v", fe)
	}
}

// A value that failed to decode is reported once, not again by the checks
// that run on the (now zero) value afterwards.
func TestUndecodableFieldReportedOnce(t *testing.T) {
	_, err := Parse("t.yaml", []byte("providers:\n  - name: [x]\n    type: openai\n    api_key: k\n"), nil)
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	if n := strings.Count(err.Error(), "providers[0].name"); n != 1 {
		t.Errorf("providers[0].name reported %d times:\n%s", n, err)
	}
}

func TestValidateOnHandBuiltConfig(t *testing.T) {
	c := Default(nil)
	if err := c.Validate(); err != nil {
		t.Fatalf("Default config invalid: %v", err)
	}
	c.Providers = append(c.Providers, Provider{Name: "x", Type: "openai"})
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "defaults: providers[0].api_key: required for type openai") {
		t.Fatalf("Validate = %v", err)
	}
}

func TestErrorLinesEscapeControlCharacters(t *testing.T) {
	_, err := Parse("t.yaml", []byte("\"li\\nsten\": 1\nlog: {\"le\\x01vel\": x}\n"), nil)
	if err == nil {
		t.Fatal("Parse succeeded")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], `t.yaml:1: li\nsten: unknown field`) ||
		!strings.HasPrefix(lines[1], `t.yaml:2: log.le\x01vel: unknown field`) {
		t.Errorf("got %q", err.Error())
	}
}
