package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sort"
	"strconv"
)

const redacted = "[REDACTED]"

// LogValue renders the provider for slog with the API key and header values
// replaced, so logging a provider (or a whole Config) cannot leak them.
func (p Provider) LogValue() slog.Value {
	attrs := []slog.Attr{
		slog.String("name", p.Name),
		slog.String("type", p.Type),
		slog.String("base_url", redactURL(p.BaseURL)),
		slog.String("api_key", redactIfSet(p.APIKey)),
	}
	if p.APIVersion != "" {
		attrs = append(attrs, slog.String("api_version", p.APIVersion))
	}
	if len(p.Headers) > 0 {
		names := make([]string, 0, len(p.Headers))
		for k := range p.Headers {
			names = append(names, k)
		}
		sort.Strings(names)
		hs := make([]any, len(names))
		for i, k := range names {
			hs[i] = slog.String(k, redacted)
		}
		attrs = append(attrs, slog.Group("headers", hs...))
	}
	if len(p.Credentials) > 0 {
		cs := make([]any, len(p.Credentials))
		for i, c := range p.Credentials {
			cs[i] = slog.String(c.Name, "weight "+strconv.Itoa(c.Weight)+", key "+redactIfSet(c.APIKey))
		}
		attrs = append(attrs, slog.Group("credentials", cs...))
	}
	if p.Timeouts != (Timeouts{}) {
		attrs = append(attrs, slog.Attr{Key: "timeouts", Value: p.Timeouts.LogValue()})
	}
	attrs = append(attrs, slog.String("wire_format", p.WireFormat), slog.String("auth_style", p.AuthStyle))
	return slog.GroupValue(attrs...)
}

// MarshalJSON encodes the provider with its key and header values redacted:
// slog's JSON handler marshals values that are not LogValuers themselves
// (a []Provider, say), and nothing should be able to serialise a key.
func (p Provider) MarshalJSON() ([]byte, error) {
	headers := make(map[string]string, len(p.Headers))
	for k := range p.Headers {
		headers[k] = redacted
	}
	type cred struct {
		Name   string `json:"name"`
		APIKey string `json:"api_key"`
		Weight int    `json:"weight"`
	}
	var creds []cred
	for _, c := range p.Credentials {
		creds = append(creds, cred{c.Name, redactIfSet(c.APIKey), c.Weight})
	}
	return json.Marshal(struct {
		Name        string            `json:"name"`
		Type        string            `json:"type"`
		BaseURL     string            `json:"base_url"`
		APIKey      string            `json:"api_key"`
		Credentials []cred            `json:"credentials,omitempty"`
		APIVersion  string            `json:"api_version,omitempty"`
		Headers     map[string]string `json:"headers,omitempty"`
		Timeouts    Timeouts          `json:"timeouts"`
		WireFormat  string            `json:"wire_format"`
		AuthStyle   string            `json:"auth_style"`
	}{p.Name, p.Type, redactURL(p.BaseURL), redactIfSet(p.APIKey), creds, p.APIVersion, headers, p.Timeouts, p.WireFormat, p.AuthStyle})
}

// MarshalJSON encodes the configuration with the database and Redis
// passwords redacted (providers redact themselves).
func (c Config) MarshalJSON() ([]byte, error) {
	type plain Config // same fields, without this method
	c.Database = redactURL(c.Database)
	c.Quotas.Redis = redactURL(c.Quotas.Redis)
	return json.Marshal(plain(c))
}

// LogValue renders durations as "30s" rather than nanoseconds.
func (t Timeouts) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("connect", t.Connect.String()),
		slog.String("first_byte", t.FirstByte.String()),
		slog.String("idle", t.Idle.String()),
		slog.String("total", t.Total.String()),
		slog.String("drain", t.Drain.String()),
	)
}

// Format makes fmt print the same redacted view for every verb (%v, %+v,
// %#v, %s, %q …), so a stray Printf of a Provider, or of a struct holding
// one, cannot leak its key either.
func (p Provider) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{name=%s type=%s base_url=%s api_key=%s credentials=%d headers=%d}",
		strconv.Quote(p.Name), strconv.Quote(p.Type), strconv.Quote(redactURL(p.BaseURL)),
		redactIfSet(p.APIKey), len(p.Credentials), len(p.Headers))
}

// Config's redacting methods (LogValue, Format, MarshalJSON) take a value
// receiver so they also apply when a Config is logged or printed by value.

// LogValue renders the configuration for slog with every secret redacted:
// provider keys and header values, and the password of a database or Redis URL.
func (c Config) LogValue() slog.Value {
	providers := make([]any, len(c.Providers))
	for i, p := range c.Providers {
		key := p.Name
		if key == "" {
			key = strconv.Itoa(i)
		}
		providers[i] = slog.Any(key, p)
	}
	models := make([]string, len(c.Models))
	for i, m := range c.Models {
		models[i] = m.Name
	}
	return slog.GroupValue(
		slog.String("source", c.Source),
		slog.String("listen", c.Listen),
		slog.String("database", redactURL(c.Database)),
		slog.String("secret_file", c.SecretFile),
		slog.String("log_level", c.Log.Level),
		slog.String("log_format", c.Log.Format),
		slog.Int64("max_body_bytes", c.Limits.MaxBodyBytes),
		slog.Int("max_in_flight", c.Limits.MaxInFlight),
		slog.Attr{Key: "timeouts", Value: c.Timeouts.LogValue()},
		slog.Group("providers", providers...),
		slog.Any("models", models),
		slog.Attr{Key: "quotas", Value: c.Quotas.LogValue()},
	)
}

// Format prints a Config through fmt without secrets (see Provider.Format).
func (c Config) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{source=%s listen=%s database=%s providers=%v models=%d}",
		strconv.Quote(c.Source), strconv.Quote(c.Listen), strconv.Quote(redactURL(c.Database)),
		c.Providers, len(c.Models))
}

func redactIfSet(s string) string {
	if s == "" {
		return ""
	}
	return redacted
}

// redactURL hides a password in user info and every query value (Gemini
// style ?key=…) of a URL; unparsable values are hidden entirely.
func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redacted
	}
	_, hasPassword := u.User.Password()
	if !hasPassword && u.RawQuery == "" {
		return raw // nothing secret; keep it exactly as configured
	}
	if hasPassword {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"xxxxx"}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}
