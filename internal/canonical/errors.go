package canonical

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Kind is the closed set of error classes the gateway reasons about. Every
// error that reaches a client is first classified into one Kind; the ingress
// codec of the caller's API shape then renders it in that shape's envelope.
type Kind string

const (
	KindInvalidRequest      Kind = "invalid_request"      // 400/404/413/405: the caller sent something wrong
	KindAuth                Kind = "auth_failed"          // 401/403
	KindRateLimited         Kind = "rate_limited"         // 429
	KindTimeout             Kind = "timeout"              // 408/504/deadline
	KindUpstream            Kind = "upstream_error"       // 5xx and unrecognised upstream 4xx
	KindEndpointUnsupported Kind = "endpoint_unsupported" // adapter lacks the shape
	KindNotImplemented      Kind = "not_implemented"      // feature switched off
	KindNoCompatible        Kind = "no_compatible_provider"
	KindInternal            Kind = "internal_error" // a bug or an unexpected local failure; never shows its text
)

// Error is the one error type that crosses package boundaries on the request
// path. Message is safe to show to the caller: it never contains a provider
// credential or an internal err.Error(); Cause keeps the wrapped detail for logs.
type Error struct {
	Kind    Kind
	Status  int    // HTTP status to answer with
	Code    string // gateway code (e.g. AUTH_INVALID_KEY) or upstream code; "" = none
	Type    string // provider error type when the error came from upstream (observability, same-shape envelopes)
	Param   string // offending field, when known
	Message string
	Hint    string

	// RetryAfter is the delay the caller (or a retry loop) should wait, 0 if unknown.
	RetryAfter time.Duration

	// Upstream, when set, says the error was produced by a provider and carries
	// what the same-shape passthrough needs to forward it verbatim.
	Upstream *UpstreamError

	Cause error
}

// UpstreamError keeps the raw upstream answer so a caller speaking the same wire
// shape as the provider gets the provider's own body (SPEC §9.1).
type UpstreamError struct {
	Format string      // wire family of the provider that answered ("openai", "anthropic", "gemini")
	Body   []byte      // raw body, already checked to carry no credential
	Header http.Header // allowlisted response headers
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s (%d %s): %s: %v", e.Kind, e.Status, e.Code, e.Message, e.Cause)
	}
	return fmt.Sprintf("%s (%d %s): %s", e.Kind, e.Status, e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Cause }

// Errorf builds a gateway-generated error.
func Errorf(kind Kind, status int, code, format string, args ...any) *Error {
	return &Error{Kind: kind, Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// WithHint returns e with a hint set (for chaining at construction).
func (e *Error) WithHint(h string) *Error { e.Hint = h; return e }

// WithParam returns e with the offending parameter named.
func (e *Error) WithParam(p string) *Error { e.Param = p; return e }

// As extracts the *Error from err; anything else becomes an opaque internal
// error whose message reveals nothing (ARCHITECTURE habit 4).
func As(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return &Error{Kind: KindInternal, Status: http.StatusInternalServerError, Message: "internal gateway error", Cause: err}
}

// KindForStatus classifies an upstream HTTP status (SPEC §9.3, OpenAI family).
func KindForStatus(status int) Kind {
	switch {
	case status == 400 || status == 404 || status == 413 || status == 422:
		return KindInvalidRequest
	case status == 401 || status == 403:
		return KindAuth
	case status == 429:
		return KindRateLimited
	case status == 408 || status == 504:
		return KindTimeout
	default:
		return KindUpstream
	}
}
