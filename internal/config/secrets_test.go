package config

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

const (
	fakeKey    = "sk-FAKE-SECRET-4f9a2c"
	fakeHeader = "hdr-FAKE-SECRET-77b1"
	fakeDBPass = "db-FAKE-SECRET-0c3e"
)

// Every case carries a recognisable fake secret next to an invalid field;
// the error must describe the problem without ever containing the secret.
func TestErrorsNeverContainSecrets(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		env  map[string]string
	}{
		{"invalid neighbour of api_key", "providers:\n  - name: oa\n    type: opnai\n    api_key: " + fakeKey + "\n    base_url: not a url\n", nil},
		{"api_key with control characters", "providers:\n  - name: oa\n    type: openai\n    api_key: \"" + fakeKey + "\\t\"\n", nil},
		{"api_key from env with newline", "providers:\n  - name: oa\n    type: openai\n    api_key: ${K}\n    timeouts: {idle: x}\n",
			map[string]string{"K": fakeKey + "\n"}},
		{"api_key of wrong type", "providers:\n  - name: oa\n    type: openai\n    api_key: [" + fakeKey + "]\n", nil},
		{"api_key under misspelt key", "providers:\n  - name: oa\n    type: openai\n    apikey: " + fakeKey + "\n", nil},
		{"header value with bad name", "providers:\n  - name: oa\n    type: openai\n    api_key: " + fakeKey + "\n    headers:\n      \"bad name\": " + fakeHeader + "\n", nil},
		{"denied header", "providers:\n  - name: oa\n    type: openai\n    api_key: k\n    headers: {x-api-key: " + fakeHeader + "}\n", nil},
		{"header value injection", "providers:\n  - name: oa\n    type: openai\n    api_key: k\n    headers: {X-A: \"" + fakeHeader + "\\r\\nX: y\"}\n", nil},
		{"header value of wrong type", "providers:\n  - name: oa\n    type: openai\n    api_key: k\n    headers: {X-A: {v: " + fakeHeader + "}}\n", nil},
		{"base_url with credentials", "providers:\n  - name: oa\n    type: openai\n    api_key: k\n    base_url: https://u:" + fakeKey + "@h/v1\n", nil},
		{"base_url with key query", "providers:\n  - name: g\n    type: gemini\n    api_key: k\n    base_url: https://h/v1beta?key=" + fakeKey + "\n", nil},
		{"syntax error next to key", "providers:\n  - name: oa\n    api_key: " + fakeKey + "\n   type: [\n", nil},
		{"unterminated quote after key", "providers:\n  - name: oa\n    api_key: \"" + fakeKey + "\n", nil},
		{"postgres password", "database: postgresx://u:" + fakeDBPass + "@h/db\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("s.yaml", []byte(tt.yaml), env(tt.env))
			if err == nil {
				t.Fatal("Parse succeeded; the case must produce an error")
			}
			for _, secret := range []string{fakeKey, fakeHeader, fakeDBPass, "FAKE-SECRET"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(fmt.Sprintf("%+v", err), secret) {
					t.Fatalf("error leaks a secret:\n%s", err)
				}
			}
		})
	}
}

func secretConfig(t *testing.T) *Config {
	t.Helper()
	return mustParse(t, `
database: postgres://nexus:`+fakeDBPass+`@db:5432/nexus
providers:
  - name: oa
    type: openai
    api_key: `+fakeKey+`
    headers: {X-Tenant: `+fakeHeader+`}
  - name: local
    type: ollama
models: []
`, nil)
}

func TestLogValueRedactsSecrets(t *testing.T) {
	c := secretConfig(t)
	for _, h := range []struct {
		name string
		new  func(*bytes.Buffer) slog.Handler
	}{
		{"json", func(b *bytes.Buffer) slog.Handler { return slog.NewJSONHandler(b, nil) }},
		{"text", func(b *bytes.Buffer) slog.Handler { return slog.NewTextHandler(b, nil) }},
	} {
		t.Run(h.name, func(t *testing.T) {
			var buf bytes.Buffer
			log := slog.New(h.new(&buf))
			log.Info("config", "config", c)
			log.Info("value", "config", *c)
			log.Info("provider", "provider", c.Providers[0])
			log.Info("providers", "providers", c.Providers)
			log.Info("configs", "configs", []*Config{c})
			out := buf.String()
			for _, secret := range []string{fakeKey, fakeHeader, fakeDBPass} {
				if strings.Contains(out, secret) {
					t.Fatalf("log output leaks %q:\n%s", secret, out)
				}
			}
			// Redaction must keep what is useful: names, types, header names.
			for _, want := range []string{"oa", "X-Tenant", "[REDACTED]", "db:5432", "ollama"} {
				if !strings.Contains(out, want) {
					t.Errorf("log output lacks %q:\n%s", want, out)
				}
			}
		})
	}
}

func TestFmtVerbsRedactSecrets(t *testing.T) {
	c := secretConfig(t)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d"} {
		for _, v := range []any{c, *c, c.Providers[0], c.Providers, struct{ P Provider }{c.Providers[0]}} {
			out := fmt.Sprintf(verb, v)
			for _, secret := range []string{fakeKey, fakeHeader, fakeDBPass} {
				if strings.Contains(out, secret) {
					t.Errorf("fmt %s of %T leaks %q: %s", verb, v, secret, out)
				}
			}
		}
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"sqlite://./nexus.db", "sqlite://./nexus.db"},
		{"https://api.openai.com/v1", "https://api.openai.com/v1"},
		{"postgres://u:pw@h:5432/db?sslmode=disable", "postgres://u:xxxxx@h:5432/db?sslmode=xxxxx"},
		{"postgres://u@h/db", "postgres://u@h/db"},
		{"https://h/v1beta?key=abc", "https://h/v1beta?key=xxxxx"},
		{"http://[::1", redacted},
	}
	for _, tt := range tests {
		if got := redactURL(tt.in); got != tt.want {
			t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
