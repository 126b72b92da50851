package gemini

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func TestDecodeErrorFixtures(t *testing.T) {
	tests := []struct {
		fixture    string
		status     int
		kind       canonical.Kind
		typ        string
		code       string
		msgPrefix  string
		retryAfter time.Duration
	}{
		{"gemini-400-api-key-invalid.response.json", 400, canonical.KindAuth, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid.", 0},
		{"raw-gemini-400-api-key-invalid.response.json", 400, canonical.KindAuth, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid.", 0},
		{"raw-gemini-400-api-key-invalid-stream.response.sse", 400, canonical.KindAuth, "INVALID_ARGUMENT", "API_KEY_INVALID", "API key not valid.", 0},
		{"gemini-403-api-not-enabled.response.json", 403, canonical.KindAuth, "PERMISSION_DENIED", "SERVICE_DISABLED", "Generative Language API has not been used", 0},
		{"gemini-404-model-not-found.response.json", 404, canonical.KindInvalidRequest, "NOT_FOUND", "", "models/gemini-3.6-flahs is not found", 0},
		{"raw-gemini-404-model-not-found.response.json", 404, canonical.KindInvalidRequest, "NOT_FOUND", "", "models/", 0},
		{"gemini-404-unknown-model-v1.response.json", 404, canonical.KindInvalidRequest, "NOT_FOUND", "", "models/gemini-5.0-flash is not found", 0},
		{"gemini-429-quota-exceeded.response.json", 429, canonical.KindRateLimited, "RESOURCE_EXHAUSTED", "RATE_LIMIT_EXCEEDED", "Quota exceeded", 0},
		{"gemini-429-resource-exhausted-retryinfo.response.json", 429, canonical.KindRateLimited, "RESOURCE_EXHAUSTED", "", "You exceeded your current quota", 34400 * time.Millisecond},
		{"gemini-500-internal.response.json", 500, canonical.KindUpstream, "INTERNAL", "", "An internal error has occurred.", 0},
		{"gemini-503-high-demand.response.json", 503, canonical.KindUpstream, "UNAVAILABLE", "", "This model is currently experiencing high demand.", 0},
		{"gemini-503-overloaded.response.json", 503, canonical.KindUpstream, "UNAVAILABLE", "", "The model is overloaded.", 0},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			e := DecodeError(tt.status, readFixture(t, "errors", tt.fixture))
			if e.Kind != tt.kind || e.Status != tt.status || e.Type != tt.typ || e.Code != tt.code {
				t.Errorf("got kind=%s status=%d type=%q code=%q, want %s %d %q %q", e.Kind, e.Status, e.Type, e.Code, tt.kind, tt.status, tt.typ, tt.code)
			}
			if !strings.HasPrefix(e.Message, tt.msgPrefix) {
				t.Errorf("message = %q, want prefix %q", e.Message, tt.msgPrefix)
			}
			if e.RetryAfter != tt.retryAfter {
				t.Errorf("retry after = %v, want %v", e.RetryAfter, tt.retryAfter)
			}
			if strings.Contains(e.Message, "DebugInfo") || strings.Contains(e.Message, "key1234") {
				t.Errorf("detail bytes leaked into the message: %q", e.Message)
			}
		})
	}
}

func TestDecodeErrorUnusualBodies(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		kind    canonical.Kind
		status2 int
		param   string
	}{
		{"html from a proxy", 502, `<html>Bad Gateway</html>`, canonical.KindUpstream, 502, ""},
		{"empty 429", 429, ``, canonical.KindRateLimited, 429, ""},
		{"array form of streamGenerateContent", 400, `[{"error":{"code":400,"message":"bad","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"contents[0].parts","description":"x"}]}]}}]`, canonical.KindInvalidRequest, 400, "contents[0].parts"},
		{"status from body when unknown", 0, `{"error":{"code":504,"message":"late","status":"DEADLINE_EXCEEDED"}}`, canonical.KindTimeout, 504, ""},
		{"cancelled mid-stream", 499, `{"error":{"code":499,"message":"The operation was cancelled.","status":"CANCELLED"}}`, canonical.KindUpstream, 499, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := DecodeError(tt.status, []byte(tt.body))
			if e.Kind != tt.kind || e.Status != tt.status2 || e.Param != tt.param {
				t.Errorf("got %s %d param=%q, want %s %d %q", e.Kind, e.Status, e.Param, tt.kind, tt.status2, tt.param)
			}
			if strings.Contains(e.Message, "<html>") {
				t.Errorf("raw body leaked: %q", e.Message)
			}
		})
	}
}

func TestEncodeErrorEnvelope(t *testing.T) {
	tests := []struct {
		name string
		err  *canonical.Error
		want string
	}{
		{"gateway auth code", &canonical.Error{Kind: canonical.KindAuth, Status: 401, Code: "AUTH_INVALID_KEY", Message: "invalid virtual key"},
			`{"error":{"code":401,"message":"invalid virtual key","status":"UNAUTHENTICATED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"AUTH_INVALID_KEY","domain":"nexus-gateway"}]}}`},
		{"rate limit with retry and hint", &canonical.Error{Kind: canonical.KindRateLimited, Status: 429, Code: "QUOTA_EXCEEDED", Message: "quota exceeded", Hint: "check /v1/usage", RetryAfter: 31 * time.Second},
			`{"error":{"code":429,"message":"quota exceeded (check /v1/usage)","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"QUOTA_EXCEEDED","domain":"nexus-gateway"},{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"31s"}]}}`},
		{"unsupported field", unsupported("response_format", "why"),
			`{"error":{"code":400,"message":"response_format is not supported by gemini targets: why","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"nexus_field_unsupported","domain":"nexus-gateway"},{"@type":"type.googleapis.com/google.rpc.BadRequest","fieldViolations":[{"field":"response_format","description":"response_format is not supported by gemini targets: why"}]}]}}`},
		{"upstream gemini error keeps no duplicate reason", &canonical.Error{Kind: canonical.KindUpstream, Status: 503, Type: "UNAVAILABLE", Message: "overloaded"},
			`{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}`},
		{"payload too large", &canonical.Error{Kind: canonical.KindInvalidRequest, Status: 413, Code: "PAYLOAD_TOO_LARGE", Message: "too big"},
			`{"error":{"code":413,"message":"too big","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"PAYLOAD_TOO_LARGE","domain":"nexus-gateway"}]}}`},
		{"no status falls back to kind", &canonical.Error{Kind: canonical.KindTimeout, Message: "slow"},
			`{"error":{"code":504,"message":"slow","status":"DEADLINE_EXCEEDED"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := EncodeError(tt.err)
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Fatal("not JSON")
			}
			name, data := EncodeStreamError(tt.err)
			if name != "" || string(data) != tt.want {
				t.Errorf("stream error frame = %q %s", name, data)
			}
			// What Google sends, Google's decoder reads back.
			back := DecodeError(0, got)
			if back.Status != statusFor(tt.err) || back.RetryAfter != tt.err.RetryAfter {
				t.Errorf("decoded back: %+v", back)
			}
		})
	}
}

func TestStatusName(t *testing.T) {
	want := map[int]string{400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
		409: "ALREADY_EXISTS", 413: "INVALID_ARGUMENT", 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 501: "UNIMPLEMENTED",
		503: "UNAVAILABLE", 529: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED", 408: "DEADLINE_EXCEEDED", 502: "UNKNOWN", 418: "UNKNOWN"}
	for status, name := range want {
		if got := StatusName(status); got != name {
			t.Errorf("StatusName(%d) = %s, want %s", status, got, name)
		}
	}
}
