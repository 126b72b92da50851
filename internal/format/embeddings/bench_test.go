package embeddings

import (
	"math/rand/v2"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// A typical batch: 16 inputs of text-embedding-3-large size (3072 values).
func benchResponse() *canonical.EmbeddingResponse {
	r := rand.New(rand.NewPCG(5, 6))
	resp := &canonical.EmbeddingResponse{Model: "text-embedding-3-large", Usage: canonical.Usage{InputTokens: 512}}
	for range 16 {
		v := make([]float32, 3072)
		for i := range v {
			v[i] = float32(r.NormFloat64() * 0.03)
		}
		resp.Vectors = append(resp.Vectors, v)
	}
	return resp
}

func BenchmarkEncodeOpenAIResponse(b *testing.B) {
	resp := benchResponse()
	for _, format := range []string{canonical.EncodingFloat, canonical.EncodingBase64} {
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := EncodeOpenAIResponse(resp, format); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeOpenAIResponse(b *testing.B) {
	resp := benchResponse()
	for _, format := range []string{canonical.EncodingFloat, canonical.EncodingBase64} {
		body, err := EncodeOpenAIResponse(resp, format)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(format, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				if _, err := DecodeOpenAIResponse(body, nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkDecodeGeminiResponse(b *testing.B) {
	body := readFile(b, "testdata/fixtures/gemini/embeddings-batch.response.json")
	req := &canonical.EmbeddingRequest{Inputs: []string{"Hello, world!"}}
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := DecodeGeminiResponse(body, req); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeOpenAIRequest(b *testing.B) {
	body := []byte(`{"model":"text-embedding-3-small","input":["The food was delicious and the waiter was friendly.","Hello, world!"],"encoding_format":"base64","dimensions":512}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeOpenAIRequest(body); err != nil {
			b.Fatal(err)
		}
	}
}
