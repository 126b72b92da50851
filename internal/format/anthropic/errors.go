package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Anthropic error types (https://docs.anthropic.com/en/api/errors).
const (
	typeInvalidRequest  = "invalid_request_error"
	typeAuthentication  = "authentication_error"
	typePermission      = "permission_error"
	typeNotFound        = "not_found_error"
	typeRequestTooLarge = "request_too_large"
	typeRateLimit       = "rate_limit_error"
	typeAPI             = "api_error"
	typeOverloaded      = "overloaded_error"
	typeTimeout         = "timeout_error"
	typeBilling         = "billing_error"
)

// statusOverloaded is Anthropic's non-standard "overloaded" HTTP status.
const statusOverloaded = 529

// wireError is the Anthropic error envelope. request_id is newer and optional.
type wireError struct {
	Type  string `json:"type"`
	Error struct {
		Type    string          `json:"type"`
		Message string          `json:"message"`
		Code    json.RawMessage `json:"code"` // GLM's Anthropic endpoint adds a code ("1211")
	} `json:"error"`
	RequestID string `json:"request_id"`
}

// DecodeError normalizes an upstream Anthropic error body (SPEC §9.3): the
// provider's error.type decides the Kind first, the HTTP status second. The
// status is kept as sent. Message is only ever the parsed error.message (or
// the status text), never unparsed body bytes. Retry-After travels in
// headers for Anthropic, so the adapter fills RetryAfter, and it also
// attaches Upstream (raw body + allowlisted headers) for same-shape relays.
func DecodeError(status int, body []byte) *canonical.Error {
	e := &canonical.Error{Status: status}
	var w wireError
	if err := json.Unmarshal(body, &w); err == nil {
		e.Type = w.Error.Type
		e.Message = w.Error.Message
		e.Code = rawCode(w.Error.Code)
		if w.RequestID != "" {
			// Anthropic's request id is what their support asks for; it
			// belongs in logs (Cause), not in the caller's message.
			e.Cause = fmt.Errorf("anthropic request_id %s", w.RequestID)
		}
	}
	e.Kind = kindForType(e.Type, status)
	if e.Message == "" {
		e.Message = fmt.Sprintf("upstream returned HTTP %d %s", status, http.StatusText(status))
	}
	return e
}

// rawCode renders an optional string-or-number code; anything else is dropped.
func rawCode(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

// kindForType maps an Anthropic error type to a Kind (SPEC §9.3), falling
// back to the status when the type is absent or unknown.
func kindForType(typ string, status int) canonical.Kind {
	switch typ {
	case typeAuthentication, typePermission:
		return canonical.KindAuth
	case typeInvalidRequest, typeNotFound, typeRequestTooLarge:
		return canonical.KindInvalidRequest
	case typeRateLimit, typeOverloaded:
		return canonical.KindRateLimited
	case typeTimeout:
		return canonical.KindTimeout
	case typeAPI:
		return canonical.KindUpstream
	}
	return canonical.KindForStatus(status)
}

// statusForType is the HTTP status an error type implies, used for stream
// error events, which arrive inside a 200 response.
func statusForType(typ string) int {
	switch typ {
	case typeInvalidRequest:
		return http.StatusBadRequest
	case typeAuthentication:
		return http.StatusUnauthorized
	case typePermission:
		return http.StatusForbidden
	case typeNotFound:
		return http.StatusNotFound
	case typeRequestTooLarge:
		return http.StatusRequestEntityTooLarge
	case typeRateLimit:
		return http.StatusTooManyRequests
	case typeOverloaded:
		return statusOverloaded
	case typeTimeout:
		return http.StatusGatewayTimeout
	case typeAPI:
		return http.StatusInternalServerError
	}
	return http.StatusBadGateway
}

// errorType picks the Anthropic type for an outgoing envelope: by status
// first (the table in the codec brief), then the error's own type when it is
// already Anthropic vocabulary, then by Kind (SPEC §9.2).
func errorType(e *canonical.Error) string {
	switch s := e.Status; {
	case s == http.StatusBadRequest:
		return typeInvalidRequest
	case s == http.StatusUnauthorized:
		return typeAuthentication
	case s == http.StatusForbidden:
		return typePermission
	case s == http.StatusNotFound:
		return typeNotFound
	case s == http.StatusRequestEntityTooLarge:
		return typeRequestTooLarge
	case s == http.StatusTooManyRequests:
		return typeRateLimit
	case s == statusOverloaded:
		return typeOverloaded
	case s >= 500 && s <= 599:
		return typeAPI
	}
	switch e.Type {
	case typeInvalidRequest, typeAuthentication, typePermission, typeNotFound,
		typeRequestTooLarge, typeRateLimit, typeAPI, typeOverloaded, typeTimeout, typeBilling:
		return e.Type
	}
	switch e.Kind {
	case canonical.KindInvalidRequest:
		return typeInvalidRequest
	case canonical.KindAuth:
		return typeAuthentication
	case canonical.KindRateLimited:
		return typeRateLimit
	}
	return typeAPI
}

// errorMessage is the caller-safe message with the gateway hint appended
// as " (<hint>)" (SPEC §9.1).
func errorMessage(e *canonical.Error) string {
	msg := e.Message
	if e.Kind == canonical.KindInternal {
		// An internal error's text may come from a bug; show the fixed wording.
		msg = "internal gateway error"
	}
	if msg == "" {
		msg = http.StatusText(e.Status)
		if e.Status == statusOverloaded {
			msg = "Overloaded"
		}
		if msg == "" {
			msg = "error"
		}
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

// EncodeError renders e as the Anthropic unary error envelope
// {"type":"error","error":{"type","message"}}.
func EncodeError(e *canonical.Error) []byte {
	return appendErrorBody(nil, e)
}

// EncodeStreamError renders the one terminal error frame of SPEC §6.8:
// event "error" with the same body as the unary envelope.
func EncodeStreamError(e *canonical.Error) (name string, data []byte) {
	return "error", appendErrorBody(nil, e)
}

func appendErrorBody(b []byte, e *canonical.Error) []byte {
	if e == nil {
		e = &canonical.Error{Kind: canonical.KindInternal, Status: http.StatusInternalServerError}
	}
	b = append(b, `{"type":"error","error":{"type":`...)
	b = appendString(b, errorType(e))
	b = append(b, `,"message":`...)
	b = appendString(b, errorMessage(e))
	return append(b, "}}"...)
}

// invalidf builds the 400 a malformed client body earns.
func invalidf(param, format string, args ...any) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInvalidRequest,
		Status:  http.StatusBadRequest,
		Type:    typeInvalidRequest,
		Param:   param,
		Message: fmt.Sprintf(format, args...),
	}
}

// unsupported builds the 400 for a field an Anthropic target cannot honour
// (SPEC §5.5: refused, never silently dropped).
func unsupported(param, why string) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInvalidRequest,
		Status:  http.StatusBadRequest,
		Type:    "nexus_field_unsupported",
		Param:   param,
		Message: param + " is not supported by anthropic targets: " + why,
	}
}

// upstreamf builds the 502 for an upstream answer the codec cannot read.
func upstreamf(format string, args ...any) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindUpstream,
		Status:  http.StatusBadGateway,
		Code:    "upstream_error",
		Message: fmt.Sprintf(format, args...),
	}
}

// jsonError turns an encoding/json failure into a 400 naming the offending
// field. prefix is the JSON path of the value that was being decoded.
func jsonError(err error, prefix string) *canonical.Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		param := joinPath(prefix, te.Field)
		return invalidf(param, "%s: expected %s, got %s", displayPath(param), jsonKind(te.Type.Kind().String()), te.Value)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return invalidf(prefix, "request body is not valid JSON: %s (offset %d)", se.Error(), se.Offset)
	}
	return invalidf(prefix, "request body is not valid JSON: %s", err.Error())
}

func joinPath(prefix, field string) string {
	switch {
	case prefix == "":
		return field
	case field == "":
		return prefix
	}
	return prefix + "." + field
}

func displayPath(p string) string {
	if p == "" {
		return "request body"
	}
	return p
}

// jsonKind names a Go kind the way a JSON author thinks of it.
func jsonKind(k string) string {
	switch k {
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64", "float32", "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "slice", "array":
		return "an array"
	case "struct", "map", "ptr":
		return "an object"
	}
	return "a different type"
}
