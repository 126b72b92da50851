package responses

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// invalidParam is the 400 DecodeRequest returns for a body it cannot read.
func invalidParam(param, format string, args ...any) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInvalidRequest,
		Status:  http.StatusBadRequest,
		Type:    "invalid_request_error",
		Param:   param,
		Message: fmt.Sprintf(format, args...),
	}
}

// notCarried refuses, at decode time, a value the canonical model has no
// home for and the Responses state cannot keep either (SPEC §5.5: never a
// silent drop).
func notCarried(param, why string) *canonical.Error {
	e := invalidParam(param, "%s is not supported by the gateway: %s", param, why)
	e.Type, e.Code = "nexus_field_unsupported", "invalid_request"
	return e
}

// unsupported is EncodeRequest's refusal of canonical content a Responses
// upstream cannot take.
func unsupported(param, why string) *canonical.Error {
	return &canonical.Error{
		Kind: canonical.KindInvalidRequest, Status: http.StatusBadRequest, Code: "invalid_request",
		Type: "nexus_field_unsupported", Param: param,
		Message: param + " is not supported by openai responses targets: " + why,
	}
}

// badUpstream is the 502 for an upstream answer that cannot be read
// (SPEC §9.4: never forward bytes the gateway does not understand).
func badUpstream(msg string) *canonical.Error {
	return &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error", Message: msg}
}

// typeErrorText names what went wrong in a nested value without echoing input.
func typeErrorText(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok {
		field := te.Field
		if field == "" {
			field = "value"
		}
		return field + " has the wrong type (got " + te.Value + ")"
	}
	return "malformed value"
}

// wireError is an OpenAI-family error object; code is a string, a number or null.
type wireError struct {
	Message string          `json:"message"`
	Type    *string         `json:"type"`
	Param   *string         `json:"param"`
	Code    json.RawMessage `json:"code"`
}

// DecodeError normalizes a Responses upstream error body (OpenAI family,
// SPEC §9.3: classification is status-driven, the provider's type and code
// are kept). Bodies that do not parse yield a generic message: raw upstream
// bytes never reach Message.
func DecodeError(status int, body []byte) *canonical.Error {
	e := &canonical.Error{Kind: canonical.KindForStatus(status), Status: status}
	if we := parseErrorBody(body); we != nil {
		e.Message = strings.TrimSpace(we.Message)
		if we.Type != nil {
			e.Type = *we.Type
		}
		if we.Param != nil {
			e.Param = *we.Param
		}
		e.Code = codeString(we.Code)
	}
	if e.Message == "" {
		e.Message = fmt.Sprintf("upstream returned HTTP %d %s", status, http.StatusText(status))
	}
	e.RetryAfter = retryAfterFromMessage(e.Message)
	return e
}

// parseErrorBody accepts {"error":{…}}, {"error":"text"} and the flat
// {"type":"error","code","message"} object of a Responses stream error event.
func parseErrorBody(body []byte) *wireError {
	var env struct {
		Error json.RawMessage `json:"error"`
		wireError
	}
	if json.Unmarshal(bytes.TrimSpace(body), &env) != nil {
		return nil
	}
	switch rawKind(env.Error) {
	case '{':
		var we wireError
		if json.Unmarshal(env.Error, &we) != nil {
			return nil
		}
		return &we
	case '"':
		var msg string
		if json.Unmarshal(env.Error, &msg) != nil {
			return nil
		}
		return &wireError{Message: msg}
	}
	if env.Message != "" {
		return &env.wireError
	}
	return nil
}

// codeString renders an error code that may be a string, a number or null.
func codeString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	switch rawKind(raw) {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
	case 0, 'n':
	default:
		if _, err := strconv.ParseFloat(string(raw), 64); err == nil {
			return string(raw)
		}
	}
	return ""
}

// retryAfterFromMessage reads the delay OpenAI ("Please try again in 1.5s")
// and Azure ("Please retry after 86400 seconds") put in the message text.
func retryAfterFromMessage(msg string) time.Duration {
	lower := strings.ToLower(msg)
	if _, rest, ok := strings.Cut(lower, "try again in "); ok {
		if j := strings.IndexAny(rest, " ,;)"); j >= 0 {
			rest = rest[:j]
		}
		if d, err := time.ParseDuration(strings.TrimRight(rest, ".")); err == nil && d > 0 {
			return d
		}
	}
	if _, rest, ok := strings.Cut(lower, "retry after "); ok {
		j := 0
		for j < len(rest) && rest[j] >= '0' && rest[j] <= '9' {
			j++
		}
		if n, err := strconv.Atoi(rest[:j]); err == nil && n > 0 && strings.HasPrefix(rest[j:], " second") {
			return time.Duration(n) * time.Second
		}
	}
	return 0
}

// EncodeError renders e as the Responses unary error body of SPEC §9.1:
// {"error":{"message","type","code"?,"param"?,"hint"?}}. The guard's
// refusal (Guard) renders as SPEC §5.8 shows it.
func EncodeError(e *canonical.Error) []byte {
	return appendErrorEnvelope(make([]byte, 0, 160), e)
}

func appendErrorEnvelope(b []byte, e *canonical.Error) []byte {
	e, status := normalized(e)
	b = append(b, `{"error":{"message":`...)
	b = appendString(b, messageOf(e, status))
	b = append(b, `,"type":`...)
	b = appendString(b, errorType(e, status))
	if e.Code != "" {
		b = append(b, `,"code":`...)
		b = appendString(b, e.Code)
	}
	if e.Param != "" {
		b = append(b, `,"param":`...)
		b = appendString(b, e.Param)
	}
	if e.Hint != "" {
		b = append(b, `,"hint":`...)
		b = appendString(b, e.Hint)
	}
	return append(b, "}}"...)
}

func normalized(e *canonical.Error) (*canonical.Error, int) {
	if e == nil {
		e = &canonical.Error{Kind: canonical.KindInternal, Status: http.StatusInternalServerError}
	}
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	return e, status
}

func messageOf(e *canonical.Error, status int) string {
	if e.Message != "" {
		return e.Message
	}
	return http.StatusText(status)
}

// keptType reports whether an error type already speaks OpenAI's vocabulary
// or is one of the gateway's documented types.
func keptType(t string) bool {
	switch t {
	case "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
		"rate_limit_error", "insufficient_quota", "server_error", "api_error", "timeout_error",
		"request_too_large", "nexus_field_unsupported", "unsupported_feature", "no_compatible_provider",
		"no_compatible_capability", "cross_format_stream_unsupported", "proxy_error":
		return true
	}
	return false
}

// errorType is the semantic type of SPEC §9.2 (OpenAI/Responses column).
func errorType(e *canonical.Error, status int) string {
	if keptType(e.Type) {
		return e.Type
	}
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "authentication_error"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusRequestTimeout, http.StatusGatewayTimeout:
		return "timeout_error"
	}
	switch e.Kind {
	case canonical.KindInvalidRequest, canonical.KindEndpointUnsupported, canonical.KindNotImplemented:
		return "invalid_request_error"
	case canonical.KindAuth:
		return "authentication_error"
	case canonical.KindRateLimited:
		return "rate_limit_error"
	case canonical.KindTimeout:
		return "timeout_error"
	}
	return "api_error"
}

// failedCode is the error.code of a failed response object. Responses
// clients switch on it, so a value is always given: the error's own code,
// else the nearest code the Responses API itself uses.
func failedCode(e *canonical.Error, status int) string {
	if e.Code != "" {
		return e.Code
	}
	if status == http.StatusTooManyRequests || e.Kind == canonical.KindRateLimited {
		return "rate_limit_exceeded"
	}
	return "server_error"
}

// StreamPosition says where a stream stands when it must end in an error:
// the next sequence_number and the response the failed frame closes.
type StreamPosition struct {
	Sequence   int    // sequence_number of the next frame (0 when nothing was sent)
	ResponseID string // "" = none known; the frame then carries no id
	Model      string
	CreatedAt  int64
}

// EncodeStreamError renders the one terminal error frame of SPEC §6.8 for a
// stream that sent nothing yet: response.failed with sequence_number 0.
// Once frames went out, use StreamEncoder.ErrorFrame (translated streams)
// or EncodeStreamErrorAt with StreamDecoder.Position (relayed streams).
func EncodeStreamError(e *canonical.Error) (name string, data []byte) {
	return EncodeStreamErrorAt(e, StreamPosition{})
}

// EncodeStreamErrorAt renders response.failed at pos: the sequence number
// continues the stream's own numbering and the response object names the
// stream's response.
func EncodeStreamErrorAt(e *canonical.Error, pos StreamPosition) (name string, data []byte) {
	h := respHead{id: pos.ResponseID, model: pos.Model, createdAt: pos.CreatedAt, status: statusFailed, err: e}
	b := make([]byte, 0, 512)
	b = append(b, `{"type":"response.failed","sequence_number":`...)
	b = appendInt(b, pos.Sequence)
	b = append(b, `,"response":`...)
	b = appendResponse(b, &h, nil)
	return evFailed, append(b, '}')
}
