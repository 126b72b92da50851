package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Parse reads operator-written files; whatever they contain it must not
// panic, must report errors in the documented line format, and whatever it
// accepts must be internally consistent.
func FuzzParse(f *testing.F) {
	if data, err := os.ReadFile(filepath.Join("..", "..", "examples", "nexus.yaml")); err == nil {
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"listen: :1\n",
		okProvider,
		okProvider + "models:\n  - {name: m, provider: oa, aliases: [a], pricing: {input: 1}}\n",
		"providers:\n  - name: x\n    type: openai-compatible\n    base_url: ${B:-http://h}\n    api_key: $${k}\n",
		"x-a: &a {idle: 1s}\ntimeouts: *a\nlimits: {max_body_bytes: 1.5MiB}\n",
		"a: [\n",
		"- 1\n- 2\n",
		"providers: [{headers: {\"\": x}}]\n",
		"log: &l\n  level: *l\n",
		"---\n---\nlisten: :1\n",
		" * 00\r\r0000000", // once put a raw CR into an error line
		"providers:\n  - {name: oa, type: openai, credentials: [{name: a, api_key: k, weight: 2}]}\nmodels: [{name: m, provider: oa}]\nretry: {attempts: 3, on: [429], jitter: 0}\nhealth: {cooldown: 1s}\nauto: {policy: cheapest}\nroutes:\n  - {name: r, match: {models: [m*], tags: [t], ingress: [openai]}, strategy: weighted, targets: [{model: m, weight: 2}, {provider: oa, upstream_model: x, priority: 1}], retry: {attempts: 1}}\n",
		okProvider + "models: [{name: m, provider: oa}]\nquotas:\n  redis: redis://h:1/0\n  rules:\n    - {name: r, scope: 'label:team', rpm: 1, usd_per_day: 0.5, soft_percent: 80, action: downgrade, downgrade_to: m, allow_unpriced: true, match: {keys: ['*'], labels: {a: b}}}\n",
	} {
		f.Add([]byte(s))
	}
	line := regexp.MustCompile(`^f\.yaml(:\d+)?: `)
	getenv := env(map[string]string{"B": "http://127.0.0.1:1", "K": "v"})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("f.yaml", data, getenv)
		if err != nil {
			for _, l := range strings.Split(err.Error(), "\n") {
				if !line.MatchString(l) {
					t.Fatalf("error line %q not in file:line: format", l)
				}
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("accepted config fails Validate: %v", err)
		}
		names := map[string]bool{}
		for _, m := range c.Models {
			if _, ok := c.Provider(m.Provider); !ok {
				t.Fatalf("model %q refers to unknown provider %q", m.Name, m.Provider)
			}
			for _, n := range append([]string{m.Name}, m.Aliases...) {
				if names[n] {
					t.Fatalf("model name %q served twice", n)
				}
				names[n] = true
			}
		}
		if c.Listen == "" || c.SecretFile == "" || c.Timeouts.Total <= 0 || c.Limits.MaxBodyBytes <= 0 {
			t.Fatalf("defaults missing: %v", c)
		}
	})
}

func FuzzExpand(f *testing.F) {
	for _, s := range []string{"", "plain", "${A}", "${A:-d}", "$${A}", "$$${A}", "${", "${A", "x${A}y${B:-z}", "${A:-${B}}"} {
		f.Add(s)
	}
	getenv := env(map[string]string{"A": "alpha"})
	f.Fuzz(func(t *testing.T, s string) {
		out, _, err := expand(s, getenv)
		if !strings.Contains(s, "${") && (err != nil || out != s) {
			t.Fatalf("expand(%q) = %q, %v; text without ${ must pass through", s, out, err)
		}
		if err != nil && out != "" {
			t.Fatalf("expand(%q) returned output %q with error %v", s, out, err)
		}
	})
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "32MiB", "512KB", "1.5 GiB", "-1", "1e30B", "kib", "9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if n, err := parseSize(s); err == nil && n < 0 {
			t.Fatalf("parseSize(%q) = %d", s, n)
		}
	})
}
