package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// providerKey is this family's key in canonical.Ext and in error messages.
const providerKey = "openai"

// invalidParam is the 400 DecodeRequest returns for a body it cannot accept.
func invalidParam(param, format string, args ...any) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInvalidRequest,
		Status:  http.StatusBadRequest,
		Type:    "invalid_request_error",
		Param:   param,
		Message: fmt.Sprintf(format, args...),
	}
}

// unsupported is the refusal EncodeRequest returns instead of a silent drop
// (SPEC §5.5: unmappable fields yield 400 nexus_field_unsupported).
func unsupported(param, why string) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInvalidRequest,
		Status:  http.StatusBadRequest,
		Code:    "invalid_request",
		Type:    "nexus_field_unsupported",
		Param:   param,
		Message: param + " is not supported by openai targets: " + why,
	}
}

// jsonBodyError turns an encoding/json failure into a 400 naming the JSON
// path. The library reports type errors without array indexes, so the path
// is recomputed from the byte offset (cold path only).
func jsonBodyError(body []byte, err error) *canonical.Error {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return invalidParam("", "request body is not valid JSON: %s (at byte %d)", syn.Error(), syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		path := pathAtOffset(body, typ.Offset)
		if path == "" {
			path = typ.Field
		}
		if path == "" {
			return invalidParam("", "request body must be a JSON object, got %s", typ.Value)
		}
		return invalidParam(path, "%s has the wrong type: got %s, want %s", path, typ.Value, jsonKind(typ.Type.String()))
	}
	return invalidParam("", "request body could not be decoded")
}

// jsonKind renders a Go type as the JSON kind a client understands.
func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "string"
	case goType == "bool" || goType == "*bool":
		return "boolean"
	case strings.HasPrefix(goType, "[]"):
		return "array"
	case strings.Contains(goType, "int") || strings.Contains(goType, "float"):
		return "number"
	default:
		return "object"
	}
}

// pathAtOffset walks body token by token and returns the JSON path
// ("messages[1].role") of the first value that ends at or after off.
func pathAtOffset(body []byte, off int64) string {
	type frame struct {
		array   bool
		wantKey bool
		idx     int
		key     string
	}
	var stack []frame
	valueDone := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].array {
				stack[n-1].idx++
			} else {
				stack[n-1].wantKey = true
			}
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	for {
		tok, err := dec.Token()
		if err != nil {
			return ""
		}
		n := len(stack)
		if n > 0 && !stack[n-1].array && stack[n-1].wantKey {
			if k, ok := tok.(string); ok {
				stack[n-1].key, stack[n-1].wantKey = k, false
				continue
			}
		}
		d, isDelim := tok.(json.Delim)
		if isDelim && (d == '}' || d == ']') {
			stack = stack[:n-1]
			valueDone()
			continue
		}
		if dec.InputOffset() >= off {
			var b strings.Builder
			for _, f := range stack {
				if f.array {
					b.WriteString("[" + strconv.Itoa(f.idx) + "]")
					continue
				}
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(f.key)
			}
			return b.String()
		}
		if isDelim {
			stack = append(stack, frame{array: d == '[', wantKey: d == '{'})
			continue
		}
		valueDone()
	}
}

// DecodeError normalizes an OpenAI-family upstream error body (SPEC §9.3:
// classification is status-driven; the provider's type is kept for
// observability). Bodies that do not parse yield a generic message: raw
// upstream bytes never reach Message.
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

// parseErrorBody accepts {"error":{…}}, {"error":"text"}, a one-element array
// of those, and flat {"message":…} bodies some compatible servers send.
func parseErrorBody(body []byte) *wireError {
	body = bytes.TrimSpace(body)
	if len(body) > 0 && body[0] == '[' {
		var arr []json.RawMessage
		if json.Unmarshal(body, &arr) != nil || len(arr) == 0 {
			return nil
		}
		body = arr[0]
	}
	var env struct {
		Error json.RawMessage `json:"error"`
		wireError
	}
	if json.Unmarshal(body, &env) != nil {
		return nil
	}
	switch v := bytes.TrimSpace(env.Error); {
	case len(v) > 0 && v[0] == '{':
		var we wireError
		if json.Unmarshal(v, &we) != nil {
			return nil
		}
		return &we
	case len(v) > 0 && v[0] == '"':
		var msg string
		if json.Unmarshal(v, &msg) != nil {
			return nil
		}
		return &wireError{Message: msg}
	case env.Message != "":
		return &env.wireError
	}
	return nil
}

// codeString renders an error code that may be a string, a number or null.
func codeString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return ""
	}
	if _, err := strconv.ParseFloat(string(raw), 64); err == nil {
		return string(raw)
	}
	return ""
}

// retryAfterFromMessage reads the delay OpenAI ("Please try again in 1.5s")
// and Azure ("Please retry after 86400 seconds") put in the message text.
func retryAfterFromMessage(msg string) time.Duration {
	lower := strings.ToLower(msg)
	if i := strings.Index(lower, "try again in "); i >= 0 {
		tok := lower[i+len("try again in "):]
		if j := strings.IndexAny(tok, " ,;)"); j >= 0 {
			tok = tok[:j]
		}
		if d, err := time.ParseDuration(strings.TrimRight(tok, ".")); err == nil && d > 0 {
			return d
		}
	}
	if i := strings.Index(lower, "retry after "); i >= 0 {
		rest := lower[i+len("retry after "):]
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

// errorEnvelope is the OpenAI error body: {"error":{message,type,param,code}}.
type errorEnvelope struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    any     `json:"code"`
	Hint    string  `json:"hint,omitempty"`
}

// EncodeError renders e as an OpenAI-family unary error body (SPEC §9.1).
// code is the gateway or upstream code, or the numeric HTTP status when
// there is none; type is semantic (see errorType).
func EncodeError(e *canonical.Error) []byte {
	b, err := json.Marshal(errorEnvelope{Error: errorBodyOf(e)})
	if err != nil {
		// Only strings and numbers are marshalled; this cannot fail.
		return []byte(`{"error":{"message":"internal gateway error","type":"api_error","param":null,"code":500}}`)
	}
	return b
}

// EncodeStreamError renders the one terminal error frame of SPEC §6.8:
// a nameless data frame holding the same envelope.
func EncodeStreamError(e *canonical.Error) (name string, data []byte) {
	return "", EncodeError(e)
}

func errorBodyOf(e *canonical.Error) errorBody {
	if e == nil {
		e = &canonical.Error{Kind: canonical.KindInternal, Status: http.StatusInternalServerError}
	}
	status := e.Status
	if status == 0 {
		status = http.StatusInternalServerError
	}
	body := errorBody{Message: e.Message, Type: errorType(e, status), Hint: e.Hint}
	if body.Message == "" {
		body.Message = http.StatusText(status)
	}
	if e.Param != "" {
		body.Param = &e.Param
	}
	if e.Code != "" {
		body.Code = e.Code
	} else {
		body.Code = status
	}
	return body
}

// keptType reports whether an error type already speaks OpenAI's vocabulary
// or is one of the gateway's documented types; anything else (another
// provider's type such as overloaded_error) is replaced by the semantic type.
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

func errorType(e *canonical.Error, status int) string {
	if keptType(e.Type) {
		return e.Type
	}
	if e.Type != "" && e.Upstream != nil && e.Upstream.Format == providerKey {
		return e.Type
	}
	switch status {
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
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
