package config

import (
	"math"
	"net"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"unicode"

	"github.com/nexus-gateway/nexus/internal/catalog"
)

// Validate checks the whole configuration and returns every problem found,
// joined. Load and Parse already call it; call it after Default, or after
// changing a Config by hand.
func (c *Config) Validate() error {
	src := c.src
	if src == nil {
		src = newSource(c.Source)
	}
	e := &errs{src: src}
	c.validate(e)
	return e.err()
}

func (c *Config) validate(e *errs) {
	if _, port, err := net.SplitHostPort(c.Listen); err != nil || !validPort(port) {
		e.add("listen", "want host:port, e.g. 127.0.0.1:3050 or :3050")
	}
	checkDatabase(e, c.Database)
	if c.SecretFile == "" {
		e.add("secret_file", "must not be empty")
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		e.add("log.level", "want debug, info, warn or error, got %s", quoteShort(c.Log.Level))
	}
	switch c.Log.Format {
	case "json", "text":
	default:
		e.add("log.format", "want json or text, got %s", quoteShort(c.Log.Format))
	}
	if c.Log.FlushInterval < 0 {
		e.add("log.flush_interval", "must not be negative (0 writes every line at once)")
	}
	if c.Limits.MaxBodyBytes < 0 {
		e.add("limits.max_body_bytes", "must not be negative")
	}
	if c.Limits.MaxInFlight < -1 {
		e.add("limits.max_in_flight", "want a positive cap, 0 for the default or -1 for none")
	}
	checkTimeouts(e, "timeouts", c.Timeouts)

	names := map[string]string{} // provider name -> path of first use
	for i, p := range c.Providers {
		c.checkProvider(e, index("providers", i), p, names)
	}
	c.checkModels(e)
	c.checkQuotas(e)
	c.checkRouting(e)
}

func validPort(s string) bool {
	n, err := strconv.Atoi(s)
	return err == nil && n >= 0 && n <= math.MaxUint16
}

// checkDatabase never quotes the value: a postgres URL may hold a password.
func checkDatabase(e *errs, db string) {
	switch {
	case strings.HasPrefix(db, "sqlite://"):
		if strings.TrimPrefix(db, "sqlite://") == "" {
			e.add("database", "sqlite:// needs a file path, e.g. sqlite://./nexus.db")
		}
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		if _, err := url.Parse(db); err != nil {
			e.add("database", "not a valid postgres URL")
		}
	default:
		e.add("database", "want sqlite://PATH or postgres://USER@HOST/DB")
	}
}

func checkTimeouts(e *errs, path string, t Timeouts) {
	for _, f := range []struct {
		key string
		neg bool
	}{
		{"connect", t.Connect < 0}, {"first_byte", t.FirstByte < 0}, {"idle", t.Idle < 0},
		{"total", t.Total < 0}, {"drain", t.Drain < 0},
	} {
		if f.neg {
			e.add(join(path, f.key), "must not be negative")
		}
	}
}

func (c *Config) checkProvider(e *errs, path string, p Provider, names map[string]string) {
	switch {
	case p.Name == "":
		e.empty(path+".name", "required")
	case !validProviderName(p.Name):
		e.add(path+".name", "%s: use lower-case letters, digits, _ and - only", quoteShort(p.Name))
	case names[p.Name] != "":
		e.add(path+".name", "duplicate provider name %q (already used by %s)", p.Name, names[p.Name])
	default:
		names[p.Name] = path
	}

	preset, known := catalog.Preset(p.Type)
	switch {
	case p.Type == "":
		e.empty(path+".type", "required")
	case !known:
		e.add(path+".type", "unknown provider type %s (want one of: %s)", quoteShort(p.Type), strings.Join(catalog.PresetTypes(), ", "))
	}

	if p.BaseURL == "" {
		if known {
			e.empty(path+".base_url", "required for type "+p.Type)
		}
	} else if msg := checkBaseURL(p.BaseURL); msg != "" {
		e.add(path+".base_url", "%s", msg)
	}

	keyPath := path + ".api_key"
	switch {
	case len(p.Credentials) > 0 && p.APIKey != "":
		e.add(keyPath, "set either api_key or credentials, not both")
	case len(p.Credentials) > 0 && p.Credential != "":
		e.add(path+".credential", "credential: store holds one key; with several keys use credentials only")
	case len(p.Credentials) > 0:
		checkCredentials(e, path+".credentials", p.Credentials)
	case p.Credential != "" && p.Credential != "store":
		e.add(path+".credential", "%s: want \"store\" (or leave it out to use api_key)", quoteShort(p.Credential))
	case p.Credential == "store" && p.APIKey != "":
		e.add(keyPath, "set either api_key or credential: store, not both")
	case p.Credential == "store":
	case p.APIKey != "":
		if strings.ContainsFunc(p.APIKey, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			e.add(keyPath, "contains whitespace or control characters (a trailing newline from a key file?)")
		}
	case known && p.AuthStyle != catalog.AuthNone && !preset.KeyOptional:
		if _, inFile := e.src.lines[keyPath]; inFile {
			e.empty(keyPath, "empty")
		} else {
			e.empty(keyPath, "required for type "+p.Type)
		}
	}

	if p.APIVersion != "" && known && preset.APIVersion == "" {
		e.add(path+".api_version", "only valid for type azure-openai")
	}
	if known {
		c.checkProviderQuirks(e, path, p, preset)
	}
	checkHeaders(e, path+".headers", p.Headers)
	t := p.Timeouts
	t.Drain = 0 // not a per-provider setting; the decoder refuses it
	checkTimeouts(e, path+".timeouts", t)
}

// validProviderName: [a-z0-9_-]+, so names are safe in URLs, metrics
// labels and log keys.
func validProviderName(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return s != ""
}

// checkBaseURL returns a problem with an upstream base URL, or "". The
// value is not quoted: it could carry credentials.
func checkBaseURL(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "":
		return "want an absolute http:// or https:// URL"
	case u.User != nil:
		return "must not contain user:password@; put the key in api_key"
	case u.RawQuery != "" || u.Fragment != "":
		return "must not contain a query or fragment"
	}
	return ""
}

// Header names the gateway manages itself. Credentials come from api_key so
// they are never configured twice; the rest is owned by the HTTP client
// (hop-by-hop per RFC 9110 §7.6.1, framing per RFC 9112).
func headerDenied(lower string) (reason string, denied bool) {
	switch lower {
	case "authorization", "proxy-authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie":
		return "credentials come from api_key", true
	case "host", "content-length", "transfer-encoding", "connection", "keep-alive",
		"proxy-connection", "te", "trailer", "upgrade":
		return "managed by the HTTP client", true
	}
	return "", false
}

// checkHeaders validates extra upstream headers. Values are secrets and are
// never quoted.
func checkHeaders(e *errs, path string, h map[string]string) {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys) // stable error order within one line
	seen := map[string]string{}
	for _, k := range keys {
		hp := join(path, k)
		lower := strings.ToLower(k)
		if !validHeaderName(k) {
			e.add(hp, "invalid header name %q", k)
			continue
		}
		if reason, denied := headerDenied(lower); denied {
			e.add(hp, "header %q is not allowed: %s", k, reason)
			continue
		}
		if prev, dup := seen[lower]; dup {
			e.add(hp, "header %q given twice (also as %q)", k, prev)
			continue
		}
		seen[lower] = k
		if !validHeaderValue(h[k]) {
			e.add(hp, "header value contains a line break or control character")
		}
	}
}

// validHeaderName: a token per RFC 9110 §5.1.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// validHeaderValue: no control characters other than tab (RFC 9110 §5.5);
// CR/LF in particular would allow header injection upstream.
func validHeaderValue(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < ' ' && c != '\t') || c == 0x7f {
			return false
		}
	}
	return true
}

func (c *Config) checkModels(e *errs) {
	owner := map[string]string{} // model name or alias -> path that claimed it
	claim := func(path, name string) {
		switch {
		case name == "":
			e.empty(path, "required")
		case strings.ContainsFunc(name, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }):
			e.add(path, "%s: must not contain spaces or control characters", quoteShort(name))
		case owner[name] != "":
			e.add(path, "duplicate model name %q (already used by %s)", name, owner[name])
		default:
			owner[name] = path
		}
	}
	for i, m := range c.Models {
		path := index("models", i)
		if m.Name == "auto" {
			e.add(path+".name", `"auto" is reserved for the smart router (see auto: in docs/routing.md)`)
		}
		claim(path+".name", m.Name)
		for j, a := range m.Aliases {
			claim(index(path+".aliases", j), a)
		}
		switch _, ok := c.Provider(m.Provider); {
		case m.Provider == "":
			e.empty(path+".provider", "required")
		case !ok:
			e.add(path+".provider", "unknown provider %s (configured: %s)", quoteShort(m.Provider), c.providerNames())
		}
		if m.UpstreamModel == "" && m.Name != "" {
			e.empty(path+".upstream_model", "must not be empty")
		}
		if m.Type != catalog.TypeChat && m.Type != catalog.TypeEmbedding {
			e.add(path+".type", "want chat or embedding, got %s", quoteShort(m.Type))
		}
		for j, f := range m.Features {
			if !catalog.IsFeature(f) {
				e.add(index(path+".features", j), "unknown feature %s (want one of: %s)", quoteShort(f), strings.Join(catalog.Features(), ", "))
			} else if slices.Contains(m.Features[:j], f) {
				e.add(index(path+".features", j), "feature %q listed twice", f)
			}
		}
		if m.ContextWindow < 0 {
			e.add(path+".context_window", "must not be negative")
		}
		if m.MaxOutput < 0 {
			e.add(path+".max_output", "must not be negative")
		}
		if p := m.Pricing; p != nil {
			for _, f := range []struct {
				key string
				v   *float64
			}{{"input", p.Input}, {"output", p.Output}, {"cached_input", p.CachedInput}, {"cache_write", p.CacheWrite}} {
				if f.v != nil && (*f.v < 0 || math.IsNaN(*f.v) || math.IsInf(*f.v, 0)) {
					e.add(path+".pricing."+f.key, "must be a non-negative number")
				}
			}
		}
	}
}

func (c *Config) providerNames() string {
	if len(c.Providers) == 0 {
		return "none"
	}
	names := make([]string, len(c.Providers))
	for i, p := range c.Providers {
		names[i] = p.Name
	}
	return strings.Join(names, ", ")
}
