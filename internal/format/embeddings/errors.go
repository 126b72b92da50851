package embeddings

import (
	"fmt"
	"net/http"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/format/gemini"
	"github.com/nexus-gateway/nexus/internal/format/openai"
)

// Error bodies of the embeddings endpoints are the same envelopes as the
// chat endpoints of each family, so the chat codecs own them; these names
// only make the embeddings API complete in one place.

// DecodeOpenAIError normalizes an OpenAI-family upstream error body
// (OpenAI, Azure, GLM and compatible vendors) — openai.DecodeError.
func DecodeOpenAIError(status int, body []byte) *canonical.Error {
	return openai.DecodeError(status, body)
}

// EncodeOpenAIError renders e as the OpenAI-family error envelope the
// /v1/embeddings caller expects — openai.EncodeError.
func EncodeOpenAIError(e *canonical.Error) []byte { return openai.EncodeError(e) }

// DecodeGeminiError normalizes a Gemini upstream error body (google.rpc
// status) — gemini.DecodeError.
func DecodeGeminiError(status int, body []byte) *canonical.Error {
	return gemini.DecodeError(status, body)
}

// invalid is the 400 the request decoder returns for a body it cannot accept.
func invalid(param, format string, args ...any) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInvalidRequest,
		Status:  http.StatusBadRequest,
		Type:    "invalid_request_error",
		Param:   param,
		Message: fmt.Sprintf(format, args...),
	}
}

// unsupported is the refusal an encoder returns instead of a silent drop
// (SPEC §5.5: unmappable fields yield 400 nexus_field_unsupported).
func unsupported(target, param, why string) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInvalidRequest,
		Status:  http.StatusBadRequest,
		Code:    "invalid_request",
		Type:    "nexus_field_unsupported",
		Param:   param,
		Message: param + " is not supported by " + target + " targets: " + why,
	}
}

// badUpstream is the 502 for an upstream success body the gateway cannot
// read or reshape (SPEC §9.4); the detail goes to Cause, never to the client.
func badUpstream(format string, args ...any) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindUpstream,
		Status:  http.StatusBadGateway,
		Message: "the upstream embeddings answer could not be read",
		Cause:   fmt.Errorf(format, args...),
	}
}

// internalErr is the 500 for a canonical value no wire can express (a bug
// upstream of the encoder, not something the caller did).
func internalErr(format string, args ...any) *canonical.Error {
	return &canonical.Error{
		Kind:    canonical.KindInternal,
		Status:  http.StatusInternalServerError,
		Message: "internal gateway error",
		Cause:   fmt.Errorf(format, args...),
	}
}
