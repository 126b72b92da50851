package anthropic

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// TestDecodeErrorFixtures: recorded Anthropic error bodies normalize per
// SPEC §9.3 (type first, status kept).
func TestDecodeErrorFixtures(t *testing.T) {
	cases := []struct {
		file   string
		status int
		kind   canonical.Kind
		typ    string
		msg    string
		code   string
	}{
		{"anthropic-400-invalid-request.response.json", 400, canonical.KindInvalidRequest, "invalid_request_error",
			"This model does not support effort level 'xhigh'. Supported levels: high, low, max, medium.", ""},
		{"anthropic-401-authentication-error.response.json", 401, canonical.KindAuth, "authentication_error", "invalid x-api-key", ""},
		{"raw-anthropic-401-authentication-error.response.json", 401, canonical.KindAuth, "authentication_error", "invalid x-api-key", ""},
		{"anthropic-404-model-not-found.response.json", 404, canonical.KindInvalidRequest, "not_found_error", "model: claude-sonet-4-5", ""},
		{"anthropic-404-model-count-tokens.response.json", 404, canonical.KindInvalidRequest, "not_found_error", "model: claude-does-not-exist", ""},
		{"raw-anthropic-404-model-not-found-stream.response.json", 404, canonical.KindInvalidRequest, "not_found_error", "model: this-model-does-not-exist-12345", ""},
		{"anthropic-429-rate-limit-error.response.json", 429, canonical.KindRateLimited, "rate_limit_error",
			"This request would exceed the rate limit for your organization (0dccdde6-f924-4f1b-bb3b-92ef846e0a5b) of 20,000 input tokens per minute.", ""},
		{"anthropic-500-api-error.response.json", 500, canonical.KindUpstream, "api_error", "Internal server error", ""},
		{"anthropic-529-overloaded-error.response.json", 529, canonical.KindRateLimited, "overloaded_error", "Overloaded", ""},
		{"anthropic-529-overloaded-error-no-request-id.response.json", 529, canonical.KindRateLimited, "overloaded_error", "Overloaded", ""},
		{"glm-anthropic-endpoint-400-model-not-found.response.json", 400, canonical.KindInvalidRequest, "invalid_request_error",
			"[1211][模型不存在，请检查模型代码。][2026072314261388604bc32fa54e40]", "1211"},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			body, err := os.ReadFile("testdata/fixtures/errors/" + c.file)
			if err != nil {
				t.Fatal(err)
			}
			e := DecodeError(c.status, body)
			if e.Kind != c.kind || e.Status != c.status || e.Type != c.typ || e.Code != c.code || e.RetryAfter != 0 {
				t.Errorf("got kind=%s status=%d type=%s code=%q retry=%v", e.Kind, e.Status, e.Type, e.Code, e.RetryAfter)
			}
			if strings.Contains(string(body), `"request_id"`) != (e.Cause != nil && strings.Contains(e.Cause.Error(), "req")) {
				t.Errorf("request_id not kept for logs: cause %v", e.Cause)
			}
			if !strings.HasPrefix(e.Message, c.msg) {
				t.Errorf("message = %q, want prefix %q", e.Message, c.msg)
			}
		})
	}
}

// TestDecodeErrorNeverEchoesUnparsedBytes: a body that is not the
// Anthropic envelope yields a status-derived message, not the raw bytes.
func TestDecodeErrorNeverEchoesUnparsedBytes(t *testing.T) {
	cases := []struct {
		status int
		body   string
		kind   canonical.Kind
	}{
		{502, `<html>Bad gateway secret-token-123</html>`, canonical.KindUpstream},
		{429, `{"unexpected":"secret-token-123"}`, canonical.KindRateLimited},
		{401, ``, canonical.KindAuth},
		{504, `{"type":"error","error":{"type":"timeout_error","message":"Request timed out"}}`, canonical.KindTimeout},
	}
	for _, c := range cases {
		e := DecodeError(c.status, []byte(c.body))
		if e.Kind != c.kind || e.Status != c.status {
			t.Errorf("%d %q: kind %s status %d", c.status, c.body, e.Kind, e.Status)
		}
		if strings.Contains(e.Message, "secret-token") || e.Message == "" {
			t.Errorf("%d: message %q", c.status, e.Message)
		}
	}
}

func TestEncodeErrorTypes(t *testing.T) {
	cases := []struct {
		name string
		err  *canonical.Error
		want string
	}{
		{"gateway auth code maps to a semantic type", &canonical.Error{Kind: canonical.KindAuth, Status: 401, Code: "AUTH_INVALID_KEY", Message: "invalid virtual key"},
			`{"type":"error","error":{"type":"authentication_error","message":"invalid virtual key"}}`},
		{"hint appended", &canonical.Error{Kind: canonical.KindRateLimited, Status: 429, Code: "QUOTA_EXCEEDED", Message: "monthly budget reached", Hint: "check /v1/usage"},
			`{"type":"error","error":{"type":"rate_limit_error","message":"monthly budget reached (check /v1/usage)"}}`},
		{"403", &canonical.Error{Kind: canonical.KindAuth, Status: 403, Message: "blocked by policy"},
			`{"type":"error","error":{"type":"permission_error","message":"blocked by policy"}}`},
		{"404", &canonical.Error{Kind: canonical.KindInvalidRequest, Status: 404, Code: "ROUTING_NO_MATCH", Message: "model x not found"},
			`{"type":"error","error":{"type":"not_found_error","message":"model x not found"}}`},
		{"413", &canonical.Error{Kind: canonical.KindInvalidRequest, Status: 413, Message: "body too large"},
			`{"type":"error","error":{"type":"request_too_large","message":"body too large"}}`},
		{"field unsupported", unsupported("temperature", "Anthropic accepts 0 to 1, got 1.5"),
			`{"type":"error","error":{"type":"invalid_request_error","message":"temperature is not supported by anthropic targets: Anthropic accepts 0 to 1, got 1.5"}}`},
		{"529 overloaded", &canonical.Error{Kind: canonical.KindRateLimited, Status: 529, Type: "overloaded_error", Message: "Overloaded"},
			`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`},
		{"502 from an OpenAI upstream", &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Type: "server_error", Message: "bad gateway"},
			`{"type":"error","error":{"type":"api_error","message":"bad gateway"}}`},
		{"internal error hides its text", &canonical.Error{Kind: canonical.KindInternal, Status: 500, Message: "nil pointer in quota.go:12"},
			`{"type":"error","error":{"type":"api_error","message":"internal gateway error"}}`},
		{"unlisted 4xx by kind", &canonical.Error{Kind: canonical.KindInvalidRequest, Status: 422, Message: "bad"},
			`{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}`},
		{"escaping", &canonical.Error{Kind: canonical.KindInvalidRequest, Status: 400, Message: "bad \"x\"\n\t\x01"},
			`{"type":"error","error":{"type":"invalid_request_error","message":"bad \"x\"\n\t\u0001"}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := string(EncodeError(c.err)); got != c.want {
				t.Errorf("\n got: %s\nwant: %s", got, c.want)
			}
			name, data := EncodeStreamError(c.err)
			if name != "error" || string(data) != c.want {
				t.Errorf("stream frame %s %s", name, data)
			}
		})
	}
}

// TestErrorRoundTrip: an envelope we encode decodes back to the same kind,
// type and message (the same-shape path renders upstream errors this way).
func TestErrorRoundTrip(t *testing.T) {
	for _, status := range []int{400, 401, 403, 404, 413, 429, 500, 529} {
		in := &canonical.Error{Kind: canonical.KindForStatus(status), Status: status, Message: "m", RetryAfter: time.Second}
		out := DecodeError(status, EncodeError(in))
		if out.Message != "m" || out.Type != errorType(in) || out.Status != status {
			t.Errorf("%d: %+v", status, out)
		}
	}
}
