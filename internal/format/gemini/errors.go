package gemini

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

// apiError is google.rpc.Status as the Gemini API renders it.
type apiError struct {
	Code    int           `json:"code"`
	Message string        `json:"message"`
	Status  string        `json:"status"`
	Details []errorDetail `json:"details"`
}

// errorDetail holds the fields of the google.rpc detail messages we read:
// ErrorInfo.reason, RetryInfo.retryDelay, BadRequest.fieldViolations.
type errorDetail struct {
	Type            string `json:"@type"`
	Reason          string `json:"reason"`
	RetryDelay      string `json:"retryDelay"`
	FieldViolations []struct {
		Field string `json:"field"`
	} `json:"fieldViolations"`
}

const (
	typeErrorInfo  = "type.googleapis.com/google.rpc.ErrorInfo"
	typeRetryInfo  = "type.googleapis.com/google.rpc.RetryInfo"
	typeBadRequest = "type.googleapis.com/google.rpc.BadRequest"
)

// errorDomain is the ErrorInfo.domain of errors the gateway renders.
const errorDomain = "nexus-gateway"

// DecodeError normalizes an upstream Gemini error body (SPEC §9.3): Kind from
// the google.rpc status name (HTTP status as fallback), Status kept, Type =
// status name, Code = ErrorInfo.reason, Param from BadRequest, RetryAfter from
// RetryInfo.retryDelay. A body that does not parse yields a generic message;
// raw bytes never reach Message. streamGenerateContent without alt=sse wraps
// the error in a JSON array, which is accepted too.
func DecodeError(status int, body []byte) *canonical.Error {
	env, ok := parseErrorBody(body)
	if status == 0 && ok {
		status = env.Code
	}
	if status == 0 {
		status = http.StatusBadGateway
	}
	e := &canonical.Error{Status: status}
	if !ok {
		e.Kind = canonical.KindForStatus(status)
		e.Message = fmt.Sprintf("upstream returned HTTP %d with an unreadable error body", status)
		return e
	}
	e.Type = env.Status
	e.Message = strings.TrimSpace(env.Message)
	if e.Message == "" {
		e.Message = fmt.Sprintf("upstream returned HTTP %d", status)
	}
	for _, d := range env.Details {
		switch d.Type {
		case typeErrorInfo:
			if e.Code == "" {
				e.Code = d.Reason
			}
		case typeRetryInfo:
			e.RetryAfter = parseDuration(d.RetryDelay)
		case typeBadRequest:
			if e.Param == "" && len(d.FieldViolations) > 0 {
				e.Param = d.FieldViolations[0].Field
			}
		}
	}
	e.Kind = kindFor(env.Status, e.Code, status)
	return e
}

func parseErrorBody(body []byte) (apiError, bool) {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var arr []struct {
			Error *apiError `json:"error"`
		}
		if json.Unmarshal(body, &arr) != nil || len(arr) == 0 || arr[0].Error == nil {
			return apiError{}, false
		}
		return *arr[0].Error, true
	}
	var env struct {
		Error *apiError `json:"error"`
	}
	if json.Unmarshal(body, &env) != nil || env.Error == nil {
		return apiError{}, false
	}
	return *env.Error, true
}

// kindFor classifies by google.rpc status name first: Google answers a bad
// API key with 400 INVALID_ARGUMENT + reason API_KEY_INVALID, which is an
// auth failure of the gateway's credential, not a bad client request.
func kindFor(grpcStatus, reason string, httpStatus int) canonical.Kind {
	switch reason {
	case "API_KEY_INVALID", "API_KEY_EXPIRED", "API_KEY_SERVICE_BLOCKED":
		return canonical.KindAuth
	}
	switch grpcStatus {
	case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE", "NOT_FOUND":
		return canonical.KindInvalidRequest
	case "UNAUTHENTICATED", "PERMISSION_DENIED":
		return canonical.KindAuth
	case "RESOURCE_EXHAUSTED":
		return canonical.KindRateLimited
	case "DEADLINE_EXCEEDED":
		return canonical.KindTimeout
	case "INTERNAL", "UNAVAILABLE", "UNKNOWN", "UNIMPLEMENTED", "ABORTED", "DATA_LOSS", "CANCELLED", "ALREADY_EXISTS":
		return canonical.KindUpstream
	}
	return canonical.KindForStatus(httpStatus)
}

// parseDuration reads a protobuf Duration in JSON form ("31s", "34.4s").
func parseDuration(s string) time.Duration {
	s = strings.TrimSpace(s)
	if !strings.HasSuffix(s, "s") {
		return 0
	}
	f, err := strconv.ParseFloat(strings.TrimSuffix(s, "s"), 64)
	if err != nil || f <= 0 || f > 1e6 {
		return 0
	}
	return time.Duration(f * float64(time.Second))
}

// StatusName maps an HTTP status to the google.rpc status name Gemini clients
// expect in error.status (SPEC §9.2). 413 has no Google mapping; Google
// itself answers oversized payloads with 400 INVALID_ARGUMENT, so 413 keeps
// its HTTP code but reports INVALID_ARGUMENT.
func StatusName(status int) string {
	switch status {
	case 400, 413, 422:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 408, 504:
		return "DEADLINE_EXCEEDED"
	case 409:
		return "ALREADY_EXISTS"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 500:
		return "INTERNAL"
	case 501:
		return "UNIMPLEMENTED"
	case 503, 529:
		// 529 is Anthropic's "overloaded"; Google reports its own overload
		// as 503 UNAVAILABLE ("The model is overloaded"), which is what a
		// Gemini client retries on.
		return "UNAVAILABLE"
	}
	return "UNKNOWN"
}

// statusFor is the HTTP status to render for e (its own, else by Kind).
func statusFor(e *canonical.Error) int {
	if e.Status >= 400 && e.Status <= 599 {
		return e.Status
	}
	switch e.Kind {
	case canonical.KindInvalidRequest, canonical.KindEndpointUnsupported, canonical.KindNoCompatible:
		return http.StatusBadRequest
	case canonical.KindAuth:
		return http.StatusUnauthorized
	case canonical.KindRateLimited:
		return http.StatusTooManyRequests
	case canonical.KindTimeout:
		return http.StatusGatewayTimeout
	case canonical.KindUpstream:
		return http.StatusBadGateway
	case canonical.KindNotImplemented:
		return http.StatusNotImplemented
	}
	return http.StatusInternalServerError
}

// EncodeError renders e as Gemini's unary error envelope (SPEC §9.1):
// {"error":{"code","message","status","details"?}}. The gateway code (or the
// provider type) travels as an ErrorInfo reason, RetryAfter as RetryInfo and
// Param as a BadRequest field violation, so Google SDKs surface them; a hint
// is appended to the message as " (<hint>)".
func EncodeError(e *canonical.Error) []byte {
	return appendErrorEnvelope(nil, e)
}

// EncodeStreamError renders the one terminal error frame of SPEC §6.8 for
// Gemini: a data-only frame (name "") holding the same envelope.
func EncodeStreamError(e *canonical.Error) (name string, data []byte) {
	return "", appendErrorEnvelope(nil, e)
}

func appendErrorEnvelope(dst []byte, e *canonical.Error) []byte {
	if e == nil {
		e = &canonical.Error{Kind: canonical.KindInternal, Status: 500, Message: "internal gateway error"}
	}
	status := statusFor(e)
	name := StatusName(status)
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(status)
	}
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	dst = append(dst, `{"error":{"code":`...)
	dst = strconv.AppendInt(dst, int64(status), 10)
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, msg)
	dst = append(dst, `,"status":`...)
	dst = appendString(dst, name)

	reason := e.Code
	if reason == "" && e.Type != name {
		reason = e.Type
	}
	if reason != "" || e.RetryAfter > 0 || e.Param != "" {
		dst = append(dst, `,"details":[`...)
		first := true
		sep := func() {
			if !first {
				dst = append(dst, ',')
			}
			first = false
		}
		if reason != "" {
			sep()
			dst = append(dst, `{"@type":"`+typeErrorInfo+`","reason":`...)
			dst = appendString(dst, reason)
			dst = append(dst, `,"domain":"`+errorDomain+`"}`...)
		}
		if e.RetryAfter > 0 {
			sep()
			dst = append(dst, `{"@type":"`+typeRetryInfo+`","retryDelay":"`...)
			dst = strconv.AppendFloat(dst, e.RetryAfter.Seconds(), 'f', -1, 64)
			dst = append(dst, `s"}`...)
		}
		if e.Param != "" {
			sep()
			dst = append(dst, `{"@type":"`+typeBadRequest+`","fieldViolations":[{"field":`...)
			dst = appendString(dst, e.Param)
			dst = append(dst, `,"description":`...)
			dst = appendString(dst, msg)
			dst = append(dst, `}]}`...)
		}
		dst = append(dst, ']')
	}
	return append(dst, '}', '}')
}

// invalid builds the 400 a decoder returns for a malformed client body.
func invalid(param, format string, args ...any) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInvalidRequest,
		Status:  http.StatusBadRequest,
		Type:    "invalid_request_error",
		Param:   param,
		Message: fmt.Sprintf(format, args...),
	}
}

// unsupported builds the 400 for a field Gemini cannot honour (SPEC §5.5:
// lossy translation is refused, never silently dropped).
func unsupported(param, why string) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInvalidRequest,
		Status:  http.StatusBadRequest,
		Type:    "nexus_field_unsupported",
		Param:   param,
		Message: param + " is not supported by gemini targets: " + why,
	}
}

// unsupportedInput is the decode-side twin: the Gemini body uses something
// the canonical model cannot carry.
func unsupportedInput(param, why string) *canonical.Error {
	e := unsupported(param, why)
	e.Message = param + " is not supported by the gateway: " + why
	return e
}
