package openai

import (
	"os"
	"testing"

	"github.com/nexus-gateway/nexus/internal/provider"
)

func TestUpstreamURLs(t *testing.T) {
	cases := []struct {
		typ, base, version, model, op, want string
	}{
		{"openai", "https://api.openai.com/v1", "", "gpt-4o", "chat/completions", "https://api.openai.com/v1/chat/completions"},
		{"glm", "https://open.bigmodel.cn/api/paas/v4", "", "glm-4.6", "embeddings", "https://open.bigmodel.cn/api/paas/v4/embeddings"},
		{"azure-openai", "https://res.openai.azure.com", "2024-10-21", "gpt-4o-mini", "chat/completions",
			"https://res.openai.azure.com/openai/deployments/gpt-4o-mini/chat/completions?api-version=2024-10-21"},
		{"azure-openai", "https://res.openai.azure.com/openai/", "2024-10-21", "text-embedding-3-small", "embeddings",
			"https://res.openai.azure.com/openai/deployments/text-embedding-3-small/embeddings?api-version=2024-10-21"},
		{"azure-openai", "https://res.openai.azure.com", "2025-04-01-preview", "my deployment", "chat/completions",
			"https://res.openai.azure.com/openai/deployments/my%20deployment/chat/completions?api-version=2025-04-01-preview"},
		{"azure-openai", "https://res.openai.azure.com", "2025-04-01-preview", "gpt-4o", "responses",
			"https://res.openai.azure.com/openai/responses?api-version=2025-04-01-preview"},
		{"azure-openai", "https://res.openai.azure.com/openai/v1", "2024-10-21", "gpt-5-mini", "chat/completions",
			"https://res.openai.azure.com/openai/v1/chat/completions"},
		{"azure-openai", "https://res.openai.azure.com/openai/v1/", "2024-10-21", "gpt-5-mini", "responses",
			"https://res.openai.azure.com/openai/v1/responses"},
	}
	for _, c := range cases {
		u := newURLScheme(&provider.Endpoint{Type: c.typ, BaseURL: c.base, APIVersion: c.version})
		if got := u.url(c.model, c.op); got != c.want {
			t.Errorf("%s %s %s: got %s, want %s", c.typ, c.base, c.op, got, c.want)
		}
	}
}

// Azure's content-filter 400 keeps its code through normalisation; one
// that only says so in innererror gets the code too.
func TestAzureContentFilterError(t *testing.T) {
	body, err := os.ReadFile("testdata/azure-400-content-filter.response.json")
	if err != nil {
		t.Fatal(err)
	}
	e := decodeError(400, body)
	if e.Status != 400 || e.Code != "content_filter" || e.Param != "prompt" || e.Kind != "invalid_request" {
		t.Fatalf("decoded %+v", e)
	}
	e = decodeError(400, []byte(`{"error":{"message":"filtered","innererror":{"code":"ResponsibleAIPolicyViolation"}}}`))
	if e.Code != "content_filter" || e.Message != "filtered" {
		t.Fatalf("innererror only: %+v", e)
	}
	if e := decodeError(400, []byte(`{"error":{"message":"bad","code":"invalid_value"}}`)); e.Code != "invalid_value" {
		t.Fatalf("ordinary error: %+v", e)
	}
}
