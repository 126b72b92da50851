package embeddings

import (
	"encoding/json"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// TestRecordedEmbeddingErrors: the recorded upstream errors of both
// embeddings wires normalize like chat errors do (SPEC §9.3), and the
// OpenAI envelope a /v1/embeddings caller gets keeps status, type and code.
func TestRecordedEmbeddingErrors(t *testing.T) {
	tests := []struct {
		fixture string
		decode  func(int, []byte) *canonical.Error
		kind    canonical.Kind
		typ     string
		code    string
	}{
		{"openai-embeddings-404-model.response.json", DecodeOpenAIError, canonical.KindInvalidRequest, "invalid_request_error", "model_not_found"},
		{"gemini-404-model-batch-embed.response.json", DecodeGeminiError, canonical.KindInvalidRequest, "NOT_FOUND", ""},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			e := tt.decode(404, readFile(t, "testdata/fixtures/errors/"+tt.fixture))
			if e.Status != 404 || e.Kind != tt.kind || e.Type != tt.typ || e.Code != tt.code || e.Message == "" {
				t.Fatalf("decoded %+v", e)
			}
			var env struct {
				Error struct {
					Message string `json:"message"`
					Type    string `json:"type"`
					Code    any    `json:"code"`
				} `json:"error"`
			}
			if err := json.Unmarshal(EncodeOpenAIError(e), &env); err != nil {
				t.Fatal(err)
			}
			if env.Error.Message != e.Message || env.Error.Type == "" {
				t.Errorf("OpenAI envelope %+v", env.Error)
			}
			if tt.code != "" && env.Error.Code != tt.code {
				t.Errorf("code %v, want %s", env.Error.Code, tt.code)
			}
		})
	}
}
