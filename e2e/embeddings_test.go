package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestEmbeddingsThroughEveryEmbeddingUpstream: the official client asks for
// float and base64 vectors, served by an OpenAI upstream (byte path) and a
// Gemini upstream (translated); the decoded vectors match the upstream's.
func TestEmbeddingsThroughEveryEmbeddingUpstream(t *testing.T) {
	e := newEnv(t, envOptions{
		providers: "- name: gemini\n  type: gemini\n  base_url: UPSTREAM/v1beta\n  api_key: g-key",
		models: "- name: text-embedding-3-small\n  provider: openai\n  type: embedding\n" +
			"- name: gemini-embedding-001\n  provider: gemini\n  type: embedding",
	})
	c := e.client(e.newKey(t, "app", nil))
	var first [][]float64
	for _, model := range []string{"text-embedding-3-small", "gemini-embedding-001"} {
		for _, format := range []openai.EmbeddingNewParamsEncodingFormat{openai.EmbeddingNewParamsEncodingFormatFloat, openai.EmbeddingNewParamsEncodingFormatBase64} {
			var raw *http.Response
			resp, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
				Model:          model,
				Input:          openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"alpha", "beta"}},
				EncodingFormat: format,
			}, option.WithResponseInto(&raw))
			if err != nil {
				if apiErr, ok := err.(*openai.Error); ok {
					t.Fatalf("%s/%s: %s", model, format, apiErr.RawJSON())
				}
				t.Fatalf("%s/%s: %v", model, format, err)
			}
			if len(resp.Data) != 2 || len(resp.Data[0].Embedding) == 0 || resp.Usage.PromptTokens == 0 {
				t.Fatalf("%s/%s: %+v", model, format, resp)
			}
			if raw.Header.Get("X-Nexus-Routed-Model") != model {
				t.Fatalf("routed model = %q", raw.Header.Get("X-Nexus-Routed-Model"))
			}
			// Float and base64 answers of the same upstream decode to the same vectors.
			if format == openai.EmbeddingNewParamsEncodingFormatFloat {
				first = [][]float64{resp.Data[0].Embedding, resp.Data[1].Embedding}
			} else {
				for i := range first {
					for j := range first[i] {
						if float32(first[i][j]) != float32(resp.Data[i].Embedding[j]) {
							t.Fatalf("%s: base64 vector %d differs at %d", model, i, j)
						}
					}
				}
			}
		}
	}
	// Chat models are no embeddings targets; auto is chat-only.
	_, err := c.Embeddings.New(context.Background(), openai.EmbeddingNewParams{Model: "auto", Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("x")}})
	if apiErr, ok := err.(*openai.Error); !ok || apiErr.StatusCode != 400 {
		t.Fatalf("auto embeddings: %v", err)
	}
}
