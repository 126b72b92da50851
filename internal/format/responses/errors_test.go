package responses

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// fixtureStatus reads the recorded HTTP status of an error fixture, falling
// back to the one its name states.
func fixtureStatus(t *testing.T, path string, named int) int {
	t.Helper()
	meta := strings.TrimSuffix(path, ".response.json") + ".meta.json"
	var m struct {
		Response struct {
			Status int `json:"status"`
		} `json:"response"`
	}
	if b, err := os.ReadFile(meta); err == nil && json.Unmarshal(b, &m) == nil && m.Response.Status != 0 {
		return m.Response.Status
	}
	return named
}

func TestDecodeErrorFixtures(t *testing.T) {
	tests := []struct {
		file             string
		status           int
		kind             canonical.Kind
		typ, code, param string
		messagePrefix    string
	}{
		{"openai-responses-400-model-not-found", 400, canonical.KindInvalidRequest, "invalid_request_error", "model_not_found", "model", "The requested model 'gpt-5.2-proo'"},
		{"openai-responses-400-modified-reasoning-history", 400, canonical.KindInvalidRequest, "invalid_request_error", "", "input", "Item 'rs_"},
		{"openai-responses-400-temperature-below-min", 400, canonical.KindInvalidRequest, "invalid_request_error", "decimal_below_min_value", "temperature", "Invalid 'temperature'"},
		{"openai-responses-400-temperature-unsupported", 400, canonical.KindInvalidRequest, "invalid_request_error", "", "temperature", "Unsupported parameter"},
		{"raw-azure-responses-400-content-filter", 400, canonical.KindInvalidRequest, "invalid_request_error", "content_filter", "prompt", "The response was filtered"},
		{"raw-openai-responses-400-model-not-found", 400, canonical.KindInvalidRequest, "invalid_request_error", "model_not_found", "model", "The requested model"},
		{"raw-openai-responses-401-invalid-api-key", 401, canonical.KindAuth, "invalid_request_error", "invalid_api_key", "", "Incorrect API key"},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := "testdata/fixtures/errors/" + tc.file + ".response.json"
			status := fixtureStatus(t, path, tc.status)
			if status != tc.status {
				t.Fatalf("recorded status %d, table says %d", status, tc.status)
			}
			e := DecodeError(status, mustRead(t, path))
			if e.Kind != tc.kind || e.Status != tc.status || e.Type != tc.typ || e.Code != tc.code || e.Param != tc.param || len(e.Message) < len(tc.messagePrefix) || e.Message[:len(tc.messagePrefix)] != tc.messagePrefix {
				t.Errorf("DecodeError = %+v", e)
			}
			// Re-encoded, the client sees the same error.
			back := generic(t, EncodeError(e))["error"].(map[string]any)
			if back["message"] != e.Message || back["type"] != tc.typ || (tc.code != "") != (back["code"] != nil) {
				t.Errorf("EncodeError = %v", back)
			}
		})
	}
}

func TestDecodeErrorOddBodies(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		message    string
		retry      time.Duration
	}{
		{"not JSON", `<html>bad gateway</html>`, 502, "upstream returned HTTP 502 Bad Gateway", 0},
		{"a string error", `{"error":"overloaded"}`, 503, "overloaded", 0},
		{"a flat stream error", `{"type":"error","code":"server_error","message":"boom"}`, 500, "boom", 0},
		{"a rate limit with a delay", `{"error":{"message":"Rate limit reached. Please try again in 1.5s.","type":"requests","code":"rate_limit_exceeded"}}`, 429, "Rate limit reached. Please try again in 1.5s.", 1500 * time.Millisecond},
		{"an Azure delay", `{"error":{"message":"Please retry after 20 seconds.","code":"429"}}`, 429, "Please retry after 20 seconds.", 20 * time.Second},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := DecodeError(tc.status, []byte(tc.body))
			if e.Message != tc.message || e.RetryAfter != tc.retry || e.Kind != canonical.KindForStatus(tc.status) || e.Status != tc.status {
				t.Errorf("DecodeError = %+v", e)
			}
		})
	}
}

func TestEncodeError(t *testing.T) {
	tests := []struct {
		name string
		err  *canonical.Error
		want map[string]any
	}{
		{"a gateway auth error keeps its code", &canonical.Error{Kind: canonical.KindAuth, Status: 401, Code: "AUTH_INVALID_KEY", Message: "invalid key"},
			map[string]any{"message": "invalid key", "type": "authentication_error", "code": "AUTH_INVALID_KEY"}},
		{"a quota error keeps its hint", &canonical.Error{Kind: canonical.KindRateLimited, Status: 429, Code: "QUOTA_EXCEEDED", Message: "over budget", Hint: "check usage"},
			map[string]any{"message": "over budget", "type": "rate_limit_error", "code": "QUOTA_EXCEEDED", "hint": "check usage"}},
		{"another provider's type becomes the semantic one", &canonical.Error{Kind: canonical.KindRateLimited, Status: 529, Type: "overloaded_error", Message: "busy"},
			map[string]any{"message": "busy", "type": "rate_limit_error"}},
		{"an empty message shows the status text", &canonical.Error{Kind: canonical.KindTimeout, Status: http.StatusGatewayTimeout},
			map[string]any{"message": "Gateway Timeout", "type": "timeout_error"}},
		{"an internal error shows nothing of its cause", canonical.As(errTest("secret detail")),
			map[string]any{"message": "internal gateway error", "type": "api_error"}},
		{"a nil error is an internal error", nil, map[string]any{"message": "Internal Server Error", "type": "api_error"}},
		{"a refusal of the codec keeps its type and param", unsupported("stop", "no"),
			map[string]any{"message": "stop is not supported by openai responses targets: no", "type": "nexus_field_unsupported", "code": "invalid_request", "param": "stop"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := generic(t, EncodeError(tc.err))["error"]
			if !jsonEqual(got, tc.want) {
				t.Errorf("EncodeError = %v, want %v", got, tc.want)
			}
		})
	}
}

type errTest string

func (e errTest) Error() string { return string(e) }
