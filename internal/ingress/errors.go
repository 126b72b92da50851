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
	if e.Upstream != nil && pipeline.Shape(e.Upstream.Format) == shape && len(e.Upstream.Body) > 0 && json.Valid(e.Upstream.Body) {
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

// encodeError renders the unary error envelope of a shape.
func encodeError(shape pipeline.Shape, e *canonical.Error) []byte {
	c, ok := codecs[shape]
	if !ok {
		c = codecs[pipeline.ShapeOpenAI]
	}
	return c.encodeError(gatewayTyped(shape, e))
}

// streamError renders the terminal error frame of a shape's stream grammar.
func streamError(shape pipeline.Shape, e *canonical.Error) (name string, data []byte) {
	c, ok := codecs[shape]
	if !ok {
		c = codecs[pipeline.ShapeOpenAI]
	}
	return c.streamError(gatewayTyped(shape, e))
}

// gatewayTyped gives gateway-generated errors the OpenAI-family type
// "proxy_error" of SPEC §9.1, so callers can tell them from provider errors;
// other shapes use their semantic types (SPEC §16.4).
func gatewayTyped(shape pipeline.Shape, e *canonical.Error) *canonical.Error {
	if shape != pipeline.ShapeOpenAI || e.Upstream != nil || e.Type != "" {
		return e
	}
	c := *e
	c.Type = "proxy_error"
	return &c
}
