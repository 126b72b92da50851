package embeddings

import (
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// TestGoldenOpenAIRequests: every recorded /v1/embeddings request decodes to
// the golden canonical request and re-encodes to the same JSON.
func TestGoldenOpenAIRequests(t *testing.T) {
	paths := append(fixtures(t, "openai-embeddings", ".request.json"), fixtures(t, "errors", "openai-embeddings-404-model.request.json")...)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			body := readFile(t, path)
			req, err := DecodeOpenAIRequest(body)
			if err != nil {
				t.Fatalf("DecodeOpenAIRequest: %v", err)
			}
			checkGolden(t, goldenName(path, "canonical.json"), mustJSON(t, req))
			wire, err := EncodeOpenAIRequest(req, req.Model)
			if err != nil {
				t.Fatalf("EncodeOpenAIRequest: %v", err)
			}
			if got, want := generic(t, wire), generic(t, body); !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the request\n got: %s\nwant: %s", wire, body)
			}
		})
	}
}

// TestGoldenOpenAIResponses: every recorded answer decodes to the golden
// view; its values equal the upstream's at float32 precision; and it
// re-encodes in both encodings to bodies that decode to the same bits. An
// answer re-encoded in the encoding it arrived in is the upstream's own
// vector text: the base64 strings byte for byte, the float numbers token
// for token.
func TestGoldenOpenAIResponses(t *testing.T) {
	for _, path := range fixtures(t, "openai-embeddings", ".response.json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			body := readFile(t, path)
			resp, err := DecodeOpenAIResponse(body, nil)
			if err != nil {
				t.Fatalf("DecodeOpenAIResponse: %v", err)
			}
			checkGolden(t, goldenName(path, "canonical.json"), mustJSON(t, viewOf(resp)))
			upstream := asFloat32(wireVectorsFloat64(t, body))
			if !sameBits(resp.Vectors, upstream) {
				t.Fatal("decoded vectors differ from the upstream values at float32 precision")
			}
			arrived := canonical.EncodingFloat
			if strings.HasPrefix(filepath.Base(path), "base64") {
				arrived = canonical.EncodingBase64
			}
			for _, format := range []string{canonical.EncodingFloat, canonical.EncodingBase64} {
				wire, err := EncodeOpenAIResponse(resp, format)
				if err != nil {
					t.Fatalf("EncodeOpenAIResponse(%s): %v", format, err)
				}
				again, err := DecodeOpenAIResponse(wire, nil)
				if err != nil {
					t.Fatalf("re-decode %s: %v", format, err)
				}
				if !sameBits(again.Vectors, resp.Vectors) || again.Model != resp.Model || again.Usage != resp.Usage {
					t.Errorf("%s round trip changed the answer: %+v", format, viewOf(again))
				}
				if format == arrived {
					if got, want := embeddingTokens(t, wire), embeddingTokens(t, body); !reflect.DeepEqual(got, want) {
						t.Errorf("re-encoded %s vectors are not the upstream's text", format)
					}
				}
			}
		})
	}
}

// embeddingTokens returns each data[].embedding as its raw JSON text with
// whitespace removed (numbers and base64 strings contain none).
func embeddingTokens(t *testing.T, body []byte) []string {
	t.Helper()
	var w struct {
		Data []struct {
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range w.Data {
		out = append(out, strings.Join(strings.Fields(string(d.Embedding)), ""))
	}
	return out
}

// geminiFixtureRequest rebuilds the canonical request behind a recorded
// batchEmbedContents body: its texts, task type and dimensions.
func geminiFixtureRequest(t *testing.T, body []byte) (*canonical.EmbeddingRequest, string) {
	t.Helper()
	var w struct {
		Requests []struct {
			Model   string `json:"model"`
			Content struct {
				Parts []struct{ Text string } `json:"parts"`
			} `json:"content"`
			OutputDimensionality *int   `json:"outputDimensionality"`
			TaskType             string `json:"taskType"`
		} `json:"requests"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatal(err)
	}
	req := &canonical.EmbeddingRequest{Model: "client-model"}
	for _, r := range w.Requests {
		req.Inputs = append(req.Inputs, r.Content.Parts[0].Text)
		req.Dimensions = r.OutputDimensionality
		req.Ext.Set("gemini", "taskType", json.RawMessage(`"`+r.TaskType+`"`))
	}
	req.Ext.Set("gemini", "batch", json.RawMessage(`true`))
	return req, strings.TrimPrefix(w.Requests[0].Model, "models/")
}

// TestGoldenGeminiRequests: the canonical request behind each recorded
// batchEmbedContents call encodes to that very body.
func TestGoldenGeminiRequests(t *testing.T) {
	paths := append(fixtures(t, "gemini", ".request.json"), fixtures(t, "errors", "gemini-404-model-batch-embed.request.json")...)
	for _, path := range paths {
		t.Run(filepath.Base(path), func(t *testing.T) {
			body := readFile(t, path)
			req, model := geminiFixtureRequest(t, body)
			method, wire, coerced, err := EncodeGeminiRequest(req, model)
			if err != nil {
				t.Fatal(err)
			}
			if method != GeminiBatchEmbedContent || len(coerced) != 0 {
				t.Errorf("method %q coerced %v", method, coerced)
			}
			if got, want := generic(t, wire), generic(t, body); !reflect.DeepEqual(got, want) {
				t.Errorf("encoded body differs from the recorded one\n got: %s\nwant: %s", wire, body)
			}
		})
	}
}

// TestGoldenGeminiResponses: recorded Gemini answers decode to the golden
// view with the upstream values at float32 precision and an estimated
// usage, and reach an OpenAI client in either encoding unchanged.
func TestGoldenGeminiResponses(t *testing.T) {
	for _, path := range fixtures(t, "gemini", ".response.json") {
		t.Run(filepath.Base(path), func(t *testing.T) {
			body := readFile(t, path)
			req, _ := geminiFixtureRequest(t, readFile(t, strings.Replace(path, ".response.", ".request.", 1)))
			resp, err := DecodeGeminiResponse(body, req)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, goldenName(path, "canonical.json"), mustJSON(t, viewOf(resp)))
			if !sameBits(resp.Vectors, asFloat32(wireVectorsFloat64(t, body))) {
				t.Fatal("decoded vectors differ from the upstream values at float32 precision")
			}
			if !resp.UsageEstimated || resp.Usage.InputTokens != EstimateInputTokens(req) || resp.Model != req.Model {
				t.Errorf("usage %+v estimated %v model %q", resp.Usage, resp.UsageEstimated, resp.Model)
			}
			if req.Dimensions != nil && len(resp.Vectors[0]) != *req.Dimensions {
				t.Errorf("vector has %d values, asked %d", len(resp.Vectors[0]), *req.Dimensions)
			}
			for _, format := range []string{canonical.EncodingFloat, canonical.EncodingBase64} {
				wire, err := EncodeOpenAIResponse(resp, format)
				if err != nil {
					t.Fatal(err)
				}
				if !sameBits(asFloat32(wireVectorsFloat64(t, wire)), resp.Vectors) {
					t.Errorf("%s answer does not carry the upstream vectors", format)
				}
			}
		})
	}
}
