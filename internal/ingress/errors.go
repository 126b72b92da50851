package ingress

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// writeError answers with e in the caller's envelope. An upstream error from
// a provider of the caller's own wire family is forwarded verbatim (SPEC
// §9.1) so native SDKs keep the provider's fields.
func writeError(w http.ResponseWriter, shape pipeline.Shape, e *canonical.Error) {
	h := w.Header()
	if e.RetryAfter > 0 && h.Get("Retry-After") == "" {
		h.Set("Retry-After", strconv.Itoa(int((e.RetryAfter+999_999_999)/1e9)))
	}
	var body []byte
	if e.Upstream != nil && sameFamily(pipeline.Shape(e.Upstream.Format), shape) && len(e.Upstream.Body) > 0 && json.Valid(e.Upstream.Body) {
		copyHeaders(h, e.Upstream.Header)
		body = e.Upstream.Body
	} else {
		body = encodeError(shape, e)
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	status := e.Status
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func sameFamily(a, b pipeline.Shape) bool { return a == b }

// encodeError renders the unary error envelope of a shape.
func encodeError(shape pipeline.Shape, e *canonical.Error) []byte {
	return openAIError(e)
}

// streamError renders the terminal error frame of a shape's stream grammar.
func streamError(shape pipeline.Shape, e *canonical.Error) (name string, data []byte) {
	return "", openAIError(e)
}

// openAIError is SPEC §9.1's OpenAI-family envelope. Upstream errors keep
// the provider's type; gateway errors are typed proxy_error with a string
// code. The message is always the safe, caller-facing text.
func openAIError(e *canonical.Error) []byte {
	type body struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    any     `json:"code"`
		Hint    string  `json:"hint,omitempty"`
	}
	b := body{Message: e.Message, Type: e.Type, Hint: e.Hint}
	if b.Type == "" {
		b.Type = openAIType(e)
	}
	if e.Param != "" {
		b.Param = &e.Param
	}
	if e.Code != "" {
		b.Code = e.Code
	} else {
		b.Code = strconv.Itoa(e.Status)
	}
	out, _ := json.Marshal(struct {
		Error body `json:"error"`
	}{b})
	return out
}

func openAIType(e *canonical.Error) string {
	if e.Upstream != nil {
		switch e.Kind {
		case canonical.KindInvalidRequest:
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
	return "proxy_error"
}
