package embeddings

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// TestSDKDecodesEncodedEmbeddings: the official OpenAI Go client calls
// Embeddings.New against a server that decodes its request with
// DecodeOpenAIRequest, reads a recorded upstream answer (OpenAI base64,
// OpenAI float, Gemini) and answers with EncodeOpenAIResponse in the
// encoding the client asked for. The vectors the client decodes equal the
// upstream's at float32 precision in every combination.
func TestSDKDecodesEncodedEmbeddings(t *testing.T) {
	upstreams := []struct {
		name   string
		path   string
		inputs []string
		decode func([]byte, *canonical.EmbeddingRequest) (*canonical.EmbeddingResponse, error)
	}{
		{"openai base64 upstream", "testdata/fixtures/openai-embeddings/base64-documents.response.json", []string{"hello", "world"}, DecodeOpenAIResponse},
		{"openai float upstream", "testdata/fixtures/openai-embeddings/vercel-float.response.json", []string{"sunny day at the beach", "rainy day in the city"}, DecodeOpenAIResponse},
		{"gemini upstream", "testdata/fixtures/gemini/embeddings-batch-dimensions.response.json", []string{"Hello, world!"}, DecodeGeminiResponse},
	}
	formats := []sdk.EmbeddingNewParamsEncodingFormat{sdk.EmbeddingNewParamsEncodingFormatFloat, sdk.EmbeddingNewParamsEncodingFormatBase64, ""}
	for _, up := range upstreams {
		upstreamBody := readFile(t, up.path)
		want := asFloat32(wireVectorsFloat64(t, upstreamBody))
		for _, format := range formats {
			asks := string(format)
			if asks == "" {
				asks = "nothing"
			}
			t.Run(up.name+"/client asks "+asks, func(t *testing.T) {
				var seen *canonical.EmbeddingRequest
				srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					if r.URL.Path != "/v1/embeddings" || r.Method != http.MethodPost {
						http.Error(w, "unexpected "+r.Method+" "+r.URL.Path, http.StatusNotFound)
						return
					}
					body, _ := io.ReadAll(r.Body)
					req, err := DecodeOpenAIRequest(body)
					if err != nil {
						ce := canonical.As(err)
						w.WriteHeader(ce.Status)
						_, _ = w.Write(EncodeOpenAIError(ce))
						return
					}
					seen = req
					resp, err := up.decode(upstreamBody, req)
					if err != nil {
						ce := canonical.As(err)
						w.WriteHeader(ce.Status)
						_, _ = w.Write(EncodeOpenAIError(ce))
						return
					}
					out, err := EncodeOpenAIResponse(resp, req.EncodingFormat)
					if err != nil {
						http.Error(w, err.Error(), http.StatusInternalServerError)
						return
					}
					w.Header().Set("Content-Type", "application/json")
					_, _ = w.Write(out)
				}))
				defer srv.Close()

				client := sdk.NewClient(option.WithBaseURL(srv.URL+"/v1/"), option.WithAPIKey("nvk_test"), option.WithMaxRetries(0))
				params := sdk.EmbeddingNewParams{
					Model: "text-embedding-3-small",
					Input: sdk.EmbeddingNewParamsInputUnion{OfArrayOfStrings: up.inputs},
				}
				if format != "" {
					params.EncodingFormat = format
				}
				got, err := client.Embeddings.New(context.Background(), params)
				if err != nil {
					t.Fatalf("Embeddings.New: %v", err)
				}
				if seen == nil || seen.EncodingFormat != string(format) || len(seen.Inputs) != len(up.inputs) {
					t.Fatalf("server saw %+v", seen)
				}
				if len(got.Data) != len(want) {
					t.Fatalf("client got %d vectors, want %d", len(got.Data), len(want))
				}
				for i, d := range got.Data {
					if int(d.Index) != i || len(d.Embedding) != len(want[i]) {
						t.Fatalf("vector %d: index %d len %d, want len %d", i, d.Index, len(d.Embedding), len(want[i]))
					}
					for j, f := range d.Embedding {
						if float32(f) != want[i][j] {
							t.Fatalf("vector %d value %d: client %v, upstream %v", i, j, f, want[i][j])
						}
						if format == sdk.EmbeddingNewParamsEncodingFormatBase64 && f != float64(want[i][j]) {
							t.Fatalf("base64 value %d.%d is not the exact float32 %v: %v", i, j, want[i][j], f)
						}
					}
				}
				if got.Usage.PromptTokens <= 0 || got.Usage.TotalTokens != got.Usage.PromptTokens {
					t.Errorf("usage %+v", got.Usage)
				}
			})
		}
	}
}
