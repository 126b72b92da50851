package provider

import (
	"net/http"
	"strings"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Request headers a client may pass to the upstream, per wire (SPEC §5.9).
// Everything else — client credentials and hop-by-hop headers first of all —
// is dropped. Auth headers are set by the adapter from the provider key.
var requestAllow = map[pipeline.Shape][]string{
	pipeline.ShapeOpenAI:    {"Accept", "User-Agent", "Openai-Beta", "Openai-Organization", "Openai-Project"},
	pipeline.ShapeAnthropic: {"Accept", "User-Agent", "Anthropic-Beta", "Anthropic-Version"},
	pipeline.ShapeGemini:    {"Accept", "User-Agent", "X-Goog-User-Project"},
}

// Response headers the client may see from the upstream (SPEC §5.9).
var responseAllow = map[pipeline.Shape][]string{
	pipeline.ShapeOpenAI: {"Openai-Version", "X-Request-Id", "Openai-Processing-Ms",
		"X-Ratelimit-Limit-Requests", "X-Ratelimit-Limit-Tokens", "X-Ratelimit-Remaining-Requests",
		"X-Ratelimit-Remaining-Tokens", "X-Ratelimit-Reset-Requests", "X-Ratelimit-Reset-Tokens", "Retry-After"},
	pipeline.ShapeAnthropic: {"Anthropic-Version", "Request-Id",
		"Anthropic-Ratelimit-Requests-Limit", "Anthropic-Ratelimit-Requests-Remaining", "Anthropic-Ratelimit-Requests-Reset",
		"Anthropic-Ratelimit-Input-Tokens-Limit", "Anthropic-Ratelimit-Input-Tokens-Remaining", "Anthropic-Ratelimit-Input-Tokens-Reset",
		"Anthropic-Ratelimit-Output-Tokens-Limit", "Anthropic-Ratelimit-Output-Tokens-Remaining", "Anthropic-Ratelimit-Output-Tokens-Reset",
		"Retry-After"},
	pipeline.ShapeGemini: {"Retry-After"},
}

// CopyRequestHeaders copies the allowlisted client headers for wire into dst.
// Same-wire headers only: an Anthropic-Beta header means nothing to OpenAI.
func CopyRequestHeaders(dst, src http.Header, clientShape, wire pipeline.Shape) {
	for _, k := range requestAllow[wire] {
		if k != "Accept" && k != "User-Agent" && clientShape != wire {
			continue
		}
		if v := src[k]; len(v) > 0 {
			dst[k] = v
		}
	}
}

// FilterResponseHeaders returns the allowlisted upstream response headers,
// dropping any whose value carries one of the secrets (an upstream echoing
// the credential must not pass it on).
func FilterResponseHeaders(src http.Header, wire pipeline.Shape, secrets ...Secret) http.Header {
	var out http.Header
	for _, k := range responseAllow[wire] {
		if v := src[k]; len(v) > 0 && !carriesSecret(v, secrets) {
			if out == nil {
				out = make(http.Header, 4)
			}
			out[k] = v
		}
	}
	return out
}

// deniedStatic are header names configuration may never set as static extra
// upstream headers: credentials come only from the provider key.
var deniedStatic = []string{"authorization", "x-api-key", "x-goog-api-key", "api-key", "cookie",
	"host", "content-length", "transfer-encoding", "connection", "proxy-authorization"}

// StaticHeaderAllowed reports whether configuration may set header name.
func StaticHeaderAllowed(name string) bool {
	n := strings.ToLower(name)
	for _, d := range deniedStatic {
		if n == d {
			return false
		}
	}
	return true
}

func carriesSecret(vals []string, secrets []Secret) bool {
	for _, s := range secrets {
		k := s.Reveal()
		if len(k) < 4 {
			continue
		}
		for _, v := range vals {
			if strings.Contains(v, k) {
				return true
			}
		}
	}
	return false
}
