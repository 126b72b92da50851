// Package provider holds what every upstream adapter shares: the configured
// upstream (Endpoint), an HTTP transport with the gateway's timeouts, the
// idle-gap watchdog for streamed bodies, header allowlists, and the mapping of
// transport failures and upstream errors into canonical errors. It never
// names a vendor's wire format; provider/<vendor> packages do.
package provider

import (
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Secret is a provider credential. It prints as [redacted] in every format a
// logger, an error or fmt could use; only Reveal gives the value, and only
// adapters call it, to set the upstream auth header.
type Secret string

func (s Secret) String() string               { return "[redacted]" }
func (s Secret) GoString() string             { return "[redacted]" }
func (s Secret) LogValue() slog.Value         { return slog.StringValue("[redacted]") }
func (s Secret) MarshalText() ([]byte, error) { return []byte("[redacted]"), nil }

// Reveal returns the credential for use in an upstream auth header.
func (s Secret) Reveal() string { return string(s) }

// Timeouts bound one upstream call. A zero field takes the default.
type Timeouts struct {
	Connect   time.Duration // dial + TLS handshake (default 10s)
	FirstByte time.Duration // wait for response headers (default 60s)
	Idle      time.Duration // max gap between body reads of a stream (default 120s)
	Total     time.Duration // whole call including the body (default 600s)
}

// WithDefaults fills zero fields.
func (t Timeouts) WithDefaults() Timeouts {
	if t.Connect <= 0 {
		t.Connect = 10 * time.Second
	}
	if t.FirstByte <= 0 {
		t.FirstByte = 60 * time.Second
	}
	if t.Idle <= 0 {
		t.Idle = 120 * time.Second
	}
	if t.Total <= 0 {
		t.Total = 600 * time.Second
	}
	return t
}

// Endpoint is one configured upstream provider as adapters see it.
type Endpoint struct {
	Name       string
	Type       string         // preset type: openai, anthropic, gemini, glm, deepseek, …
	Wire       pipeline.Shape // wire family spoken upstream
	BaseURL    string         // without trailing slash
	APIKey     Secret
	APIVersion string
	AuthStyle  string            // bearer | x-api-key | x-goog-api-key | api-key | none
	Headers    map[string]string // extra static upstream headers from configuration
	Timeouts   Timeouts
	Client     *http.Client // built by NewClient; nil means NewClient(Timeouts)

	readers sync.Pool // *sse.Reader, reused across this endpoint's streams (relay.go)
}

// LogValue keeps endpoints loggable without leaking the key.
func (e *Endpoint) LogValue() slog.Value {
	return slog.GroupValue(slog.String("name", e.Name), slog.String("type", e.Type), slog.String("base_url", e.BaseURL))
}

// SetAuth writes the endpoint's credential in its auth style.
func (e *Endpoint) SetAuth(h http.Header) {
	key := e.APIKey.Reveal()
	if key == "" {
		return
	}
	switch e.AuthStyle {
	case "x-api-key":
		h.Set("x-api-key", key)
	case "x-goog-api-key":
		h.Set("x-goog-api-key", key)
	case "api-key":
		h.Set("api-key", key)
	case "none":
	default:
		h.Set("Authorization", "Bearer "+key)
	}
}
