// Package config loads the process configuration: one YAML file with
// ${ENV} interpolation, decoded strictly (unknown keys and wrong types are
// errors), filled with documented defaults and validated as a whole, so a
// broken file fails start-up with every problem listed as
// "file:line: field.path: message".
//
// Top-level keys starting with "x-" are ignored, so they can hold YAML
// anchors (&name) for values reused with aliases (*name) further down.
//
// Without a file, Default builds a configuration from the environment alone:
// one provider per preset whose API key variable is set.
//
// Secrets (provider API keys, extra header values, database passwords) never
// appear in errors, and Provider and Config redact them when logged.
package config

import (
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/nexus-gateway/nexus/internal/catalog"
)

// Documented defaults; a zero value in the file (or no key at all) means these.
const (
	DefaultListen       = ":3050"
	DefaultDatabase     = "sqlite://./nexus.db"
	DefaultSecretFile   = "./nexus.secret" // when the database is not a sqlite file
	DefaultLogLevel     = "info"
	DefaultLogFormat    = "json"
	DefaultLogFlush     = 100 * time.Millisecond
	DefaultMaxBodyBytes = 32 << 20 // 32 MiB

	DefaultConnectTimeout   = 10 * time.Second
	DefaultFirstByteTimeout = 60 * time.Second
	DefaultIdleTimeout      = 120 * time.Second
	DefaultTotalTimeout     = 600 * time.Second
	DefaultDrainTimeout     = 30 * time.Second

	// SourceDefaults is Config.Source when no file was read.
	SourceDefaults = "defaults"
)

// Config is the whole process configuration. After Load, Parse or Default
// every defaulted field holds its effective value.
type Config struct {
	Listen   string // host:port; default ":3050"
	Database string // "sqlite://PATH" (default "sqlite://./nexus.db") or "postgres://…"/"postgresql://…"
	// SecretFile holds the server HMAC secret when NEXUS_SECRET is not set.
	// Default: beside the sqlite file with extension ".secret"
	// (sqlite://./nexus.db → ./nexus.secret), otherwise "./nexus.secret".
	SecretFile string
	Log        Log
	Limits     Limits
	Timeouts   Timeouts
	// Providers may be empty: the server still starts and every request
	// gets 404 model_not_found.
	Providers []Provider
	// Models served. With no "models:" key in the file, every configured
	// provider serves its built-in catalogue models (for two providers of
	// the same type only the first gets them, so names stay unique); with a
	// "models:" key, even an empty one, exactly the listed models are served.
	Models []Model
	// Quotas configures per-key and per-label budgets (docs/quotas.md).
	Quotas Quotas
	// Audit configures the audit trail writer (docs/audit.md).
	Audit Audit
	// Routes are the routing rules, tried in order (docs/routing.md); a
	// request no rule takes goes to the catalogue entry of its model.
	Routes []Route
	Retry  Retry  // default retry policy (a route may override single keys)
	Health Health // health tracking, circuit breakers, credential benches
	Auto   Auto   // the smart router behind model "auto"
	Source string // file path, or SourceDefaults

	src *source // where each field came from, for error lines; nil after Default
}

// Log configures the process logger.
type Log struct {
	Level  string // debug|info|warn|error; default "info"
	Format string // json|text; default "json"
	// FlushInterval is how long log lines may wait in memory before they
	// are written out together (default 100ms); 0 writes every line at
	// once. Warnings and errors are always written at once.
	FlushInterval time.Duration
	flushSet      bool // flush_interval was given (so 0 means 0)
}

// Limits are admission limits on client requests.
type Limits struct {
	// MaxBodyBytes caps a request body; default 32 MiB. The file accepts an
	// integer or a human size ("32MiB", "512KB").
	MaxBodyBytes int64
	// MaxInFlight caps concurrent requests: 0 = 1024×GOMAXPROCS, -1 = no cap.
	// Use InFlightCap for the effective value.
	MaxInFlight int
}

// InFlightCap resolves MaxInFlight for a process with procs = GOMAXPROCS;
// ok is false when admission control is disabled.
func (l Limits) InFlightCap(procs int) (n int, ok bool) {
	switch {
	case l.MaxInFlight < 0:
		return 0, false
	case l.MaxInFlight == 0:
		return 1024 * max(procs, 1), true
	}
	return l.MaxInFlight, true
}

// Timeouts for upstream calls and shutdown. In Config.Timeouts zero fields
// are filled with the defaults; in Provider.Timeouts zero fields inherit the
// global value (see ProviderTimeouts).
type Timeouts struct {
	Connect   time.Duration // dial + TLS; default 10s
	FirstByte time.Duration // until upstream response headers; default 60s
	Idle      time.Duration // max gap between stream chunks; default 120s
	Total     time.Duration // whole upstream call; default 600s
	Drain     time.Duration // graceful shutdown grace; default 30s (global only)
}

// Provider is one upstream account.
type Provider struct {
	Name    string // unique, [a-z0-9_-]+
	Type    string // a catalog preset type
	BaseURL string // default from the preset; no trailing slash
	APIKey  string // secret; empty only for auth style "none", key-optional presets, or Credential "store"
	// Credential says where the key comes from: "" (api_key in this file)
	// or "store" (sealed in the database with `nexus providers set-key`,
	// decrypted at start-up under NEXUS_MASTER_KEY).
	Credential string
	// Credentials are several keys of one provider, each with a selection
	// weight, used instead of api_key (docs/routing.md).
	Credentials []Credential
	APIVersion  string            // azure-openai only; default from the preset
	Headers     map[string]string // extra upstream headers; values are secret
	Timeouts    Timeouts          // zero fields inherit Config.Timeouts; Drain unused
	WireFormat  string            // from the preset: "openai" | "anthropic" | "gemini"
	// AuthStyle is how the key is sent: "bearer" | "api-key" | "x-api-key" |
	// "none" for OpenAI-wire providers (file key auth_style), else the
	// preset's ("x-api-key" for Anthropic, "x-goog-api-key" for Gemini).
	AuthStyle string
	// Quirks are request rewrites declared in the file for this provider
	// (OpenAI wire only); they apply before the preset's (AllQuirks).
	Quirks []catalog.Quirk
	// NoPresetQuirks drops the preset's built-in quirks (preset_quirks: false),
	// for a vendor that lifted a restriction.
	NoPresetQuirks bool
	// ServesResponses overrides whether the provider serves the OpenAI
	// Responses API natively (serves_responses; OpenAI wire only). Unset,
	// openai and azure-openai do and every other type does not
	// (NativeResponses).
	ServesResponses *bool
}

// NativeResponses reports whether POST /v1/responses may go to this
// provider as is: the file's serves_responses, else true for the openai and
// azure-openai types (SPEC §5.8).
func (p Provider) NativeResponses() bool {
	if p.ServesResponses != nil {
		return *p.ServesResponses
	}
	return p.Type == "openai" || p.Type == "azure-openai"
}

// AllQuirks is the provider's effective quirk table: the file's rules, then
// the preset's unless switched off.
func (p Provider) AllQuirks() []catalog.Quirk {
	out := slices.Clone(p.Quirks)
	if preset, ok := catalog.Preset(p.Type); ok && !p.NoPresetQuirks {
		out = append(out, preset.Quirks...)
	}
	return out
}

// Model is one model served by the gateway.
type Model struct {
	Name          string // what clients send in "model"; unique across names and aliases
	Provider      string // Provider.Name
	UpstreamModel string // id sent upstream; default Name
	Type          string // "chat" | "embedding"; default from the catalogue, else "chat"
	Aliases       []string
	Features      []string // default from the catalogue
	ContextWindow int      // default from the catalogue; 0 = unknown
	MaxOutput     int      // default from the catalogue; 0 = unknown
	Pricing       *Pricing // per field: file, else catalogue; nil = nothing known
	Lifecycle     string   // from the catalogue ("ga" | "preview" | "deprecated"); "" = unknown
}

// Pricing in USD per million tokens; nil fields are unknown (never 0).
type Pricing struct {
	Input, Output, CachedInput, CacheWrite *float64
}

// Load reads the file at path and parses it (see Parse).
func Load(path string, getenv func(string) string) (*Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data, getenv)
}

// Parse decodes a YAML configuration, expands ${VAR} and ${VAR:-default} in
// scalar values with getenv ($${ is a literal ${), applies defaults and
// validates. name labels error messages. All problems found are returned
// together (errors.Join of *FieldError), each naming file, line and field.
func Parse(name string, data []byte, getenv func(string) string) (*Config, error) {
	if getenv == nil {
		getenv = noEnv
	}
	c, problems, err := decode(name, data, getenv)
	if err != nil {
		return nil, err
	}
	c.validate(problems)
	if err := problems.err(); err != nil {
		return nil, err
	}
	return c, nil
}

// Default builds the configuration used when there is no file: all defaults,
// plus one provider per preset found in the environment (named after its
// type; a preset counts when one of its EnvKey variables is non-empty, or,
// for presets that need no key, when its EnvBaseURL variable is set), serving
// the built-in catalogue models of those providers. With nothing in the
// environment it returns zero providers: the server still starts and
// requests get 404 model_not_found.
//
// Environment values are not checked here; call Validate on the result.
func Default(getenv func(string) string) *Config {
	if getenv == nil {
		getenv = noEnv
	}
	c := &Config{Source: SourceDefaults, src: newSource(SourceDefaults)}
	c.Providers = discoverProviders(getenv, c.src)
	c.applyDefaults(false)
	return c
}

// ProviderTimeouts returns p's timeouts with zero fields taken from the
// global block.
func (c *Config) ProviderTimeouts(p Provider) Timeouts {
	t := p.Timeouts
	inherit := func(v *time.Duration, global time.Duration) {
		if *v == 0 {
			*v = global
		}
	}
	inherit(&t.Connect, c.Timeouts.Connect)
	inherit(&t.FirstByte, c.Timeouts.FirstByte)
	inherit(&t.Idle, c.Timeouts.Idle)
	inherit(&t.Total, c.Timeouts.Total)
	t.Drain = c.Timeouts.Drain // shutdown is process-wide
	return t
}

// Provider returns the provider called name.
func (c *Config) Provider(name string) (Provider, bool) {
	for _, p := range c.Providers {
		if p.Name == name {
			return p, true
		}
	}
	return Provider{}, false
}

func noEnv(string) string { return "" }
