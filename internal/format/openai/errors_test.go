package openai

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	sdk "github.com/openai/openai-go/v3"
)

func TestDecodeErrorFixtures(t *testing.T) {
	cases := []struct {
		file       string
		status     int
		kind       canonical.Kind
		typ, code  string
		param      string
		msgPrefix  string
		retryAfter time.Duration
	}{
		{"openai-401-invalid-api-key", 401, canonical.KindAuth, "invalid_request_error", "invalid_api_key", "", "Incorrect API key provided", 0},
		{"openai-429-insufficient-quota", 429, canonical.KindRateLimited, "insufficient_quota", "insufficient_quota", "", "You exceeded your current quota", 0},
		{"openai-429-rate-limit-tpm", 429, canonical.KindRateLimited, "tokens", "rate_limit_exceeded", "", "Request too large for gpt-4o", 0},
		{"openai-500-server-error", 500, canonical.KindUpstream, "server_error", "", "", "The server had an error", 0},
		{"openai-chat-400-max-tokens-unsupported", 400, canonical.KindInvalidRequest, "invalid_request_error", "unsupported_parameter", "max_tokens", "Unsupported parameter: 'max_tokens'", 0},
		{"openai-chat-400-unsupported-value-system-role", 400, canonical.KindInvalidRequest, "invalid_request_error", "unsupported_value", "messages[0].role", "Unsupported value", 0},
		{"openai-chat-400-web-search-unsupported", 400, canonical.KindInvalidRequest, "invalid_request_error", "", "web_search_options", "Web search options", 0},
		{"openai-chat-404-model-not-found", 404, canonical.KindInvalidRequest, "invalid_request_error", "model_not_found", "", "The model `gpt-5.2-proo` does not exist", 0},
		{"openai-embeddings-404-model", 404, canonical.KindInvalidRequest, "invalid_request_error", "model_not_found", "", "The model `nonexistent`", 0},
		{"openai-responses-400-temperature-unsupported", 400, canonical.KindInvalidRequest, "invalid_request_error", "", "temperature", "Unsupported parameter: 'temperature'", 0},
		{"azure-400-content-filter", 400, canonical.KindInvalidRequest, "", "content_filter", "prompt", "The response was filtered", 0},
		{"azure-401-invalid-key", 401, canonical.KindAuth, "", "401", "", "Access denied", 0},
		{"azure-401-unauthorized-code", 401, canonical.KindAuth, "", "Unauthorized", "", "Access denied", 0},
		{"azure-404-deployment-not-found", 404, canonical.KindInvalidRequest, "", "DeploymentNotFound", "", "The API deployment", 0},
		{"azure-429-token-rate-limit", 429, canonical.KindRateLimited, "", "429", "", "Requests to the ChatCompletions_Create", 86400 * time.Second},
		{"glm-400-model-not-found-1211", 400, canonical.KindInvalidRequest, "", "1211", "", "模型不存在", 0},
		{"glm-401-token-expired-1003", 401, canonical.KindAuth, "", "1003", "", "Authorization Token", 0},
		{"glm-429-concurrency-1302", 429, canonical.KindRateLimited, "", "1302", "", "High concurrency", 0},
		{"glm-429-insufficient-balance-1113", 429, canonical.KindRateLimited, "", "1113", "", "余额不足", 0},
		{"glm-anthropic-endpoint-400-model-not-found", 400, canonical.KindInvalidRequest, "invalid_request_error", "1211", "", "[1211]", 0},
		{"groq-404-model", 404, canonical.KindInvalidRequest, "invalid_request_error", "model_not_found", "", "The model `non-existent`", 0},
		{"groq-tool-use-failed-400", 400, canonical.KindInvalidRequest, "invalid_request_error", "tool_use_failed", "", "Tool call validation failed", 0},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", "fixtures", "errors", tc.file+".response.json"))
			if err != nil {
				t.Fatal(err)
			}
			e := DecodeError(tc.status, body)
			if e.Status != tc.status || e.Kind != tc.kind || e.Type != tc.typ || e.Code != tc.code || e.Param != tc.param || e.RetryAfter != tc.retryAfter {
				t.Errorf("got status %d kind %s type %q code %q param %q retry %v", e.Status, e.Kind, e.Type, e.Code, e.Param, e.RetryAfter)
			}
			if !strings.HasPrefix(e.Message, tc.msgPrefix) {
				t.Errorf("message %q does not start with %q", e.Message, tc.msgPrefix)
			}
		})
	}
}

func TestDecodeErrorNeverEchoesUnparsedBytes(t *testing.T) {
	cases := []struct {
		name, body string
		want       string
	}{
		{"html page", "<html><body>sk-secret-key 502 Bad Gateway</body></html>", "upstream returned HTTP 502 Bad Gateway"},
		{"empty", "", "upstream returned HTTP 502 Bad Gateway"},
		{"string error", `{"error":"quota gone, try again in 2s"}`, "quota gone, try again in 2s"},
		{"flat message", `{"message":"flat"}`, "flat"},
		{"array body", `[{"error":{"message":"in array","code":500}}]`, "in array"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := DecodeError(502, []byte(tc.body))
			if e.Message != tc.want || e.Kind != canonical.KindUpstream {
				t.Errorf("message %q kind %s, want %q", e.Message, e.Kind, tc.want)
			}
		})
	}
	if e := DecodeError(429, []byte(`{"error":{"message":"Rate limit reached. Please try again in 1.5s."}}`)); e.RetryAfter != 1500*time.Millisecond {
		t.Errorf("retry after = %v, want 1.5s", e.RetryAfter)
	}
}

func TestEncodeErrorEnvelope(t *testing.T) {
	cases := []struct {
		name string
		in   canonical.Error
		want string
	}{
		{"gateway auth code", canonical.Error{Kind: canonical.KindAuth, Status: 401, Code: "AUTH_INVALID_KEY", Message: "invalid key"},
			`{"error":{"message":"invalid key","type":"authentication_error","param":null,"code":"AUTH_INVALID_KEY"}}`},
		{"forbidden", canonical.Error{Kind: canonical.KindAuth, Status: 403, Code: "MODEL_NOT_ALLOWED", Message: "no"},
			`{"error":{"message":"no","type":"permission_error","param":null,"code":"MODEL_NOT_ALLOWED"}}`},
		{"not found", canonical.Error{Kind: canonical.KindInvalidRequest, Status: 404, Code: "ROUTING_NO_MATCH", Message: "unknown model"},
			`{"error":{"message":"unknown model","type":"not_found_error","param":null,"code":"ROUTING_NO_MATCH"}}`},
		{"too large", canonical.Error{Kind: canonical.KindInvalidRequest, Status: 413, Code: "PAYLOAD_TOO_LARGE", Message: "big"},
			`{"error":{"message":"big","type":"request_too_large","param":null,"code":"PAYLOAD_TOO_LARGE"}}`},
		{"quota with hint", canonical.Error{Kind: canonical.KindRateLimited, Status: 429, Code: "QUOTA_EXCEEDED", Message: "budget", Hint: "check /v1/usage"},
			`{"error":{"message":"budget","type":"rate_limit_error","param":null,"code":"QUOTA_EXCEEDED","hint":"check /v1/usage"}}`},
		{"numeric code when none", canonical.Error{Kind: canonical.KindInvalidRequest, Status: 400, Message: "unreadable body"},
			`{"error":{"message":"unreadable body","type":"invalid_request_error","param":null,"code":400}}`},
		{"field unsupported keeps type and param", canonical.Error{Kind: canonical.KindInvalidRequest, Status: 400, Code: "invalid_request", Type: "nexus_field_unsupported", Param: "response_format", Message: "response_format is not supported by anthropic targets: x"},
			`{"error":{"message":"response_format is not supported by anthropic targets: x","type":"nexus_field_unsupported","param":"response_format","code":"invalid_request"}}`},
		{"foreign provider type is replaced", canonical.Error{Kind: canonical.KindRateLimited, Status: 529, Type: "overloaded_error", Message: "Overloaded"},
			`{"error":{"message":"Overloaded","type":"rate_limit_error","param":null,"code":529}}`},
		{"timeout", canonical.Error{Kind: canonical.KindTimeout, Status: 504, Message: "slow"},
			`{"error":{"message":"slow","type":"timeout_error","param":null,"code":504}}`},
		{"internal", canonical.Error{Kind: canonical.KindInternal, Status: 500, Message: "internal gateway error"},
			`{"error":{"message":"internal gateway error","type":"api_error","param":null,"code":500}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := EncodeError(&tc.in)
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
			name, data := EncodeStreamError(&tc.in)
			if name != "" || string(data) != tc.want {
				t.Errorf("stream frame %q %s", name, data)
			}
			// The official SDK must read the envelope's error object.
			var env struct {
				Error json.RawMessage `json:"error"`
			}
			if err := json.Unmarshal(got, &env); err != nil {
				t.Fatal(err)
			}
			var se sdk.Error
			if err := se.UnmarshalJSON(env.Error); err != nil {
				t.Fatalf("openai-go cannot parse: %v", err)
			}
			if se.Message != tc.in.Message || se.Type == "" {
				t.Errorf("openai-go read message %q type %q", se.Message, se.Type)
			}
			if tc.in.Code != "" && se.Code != tc.in.Code {
				t.Errorf("openai-go read code %q, want %q", se.Code, tc.in.Code)
			}
		})
	}
}
