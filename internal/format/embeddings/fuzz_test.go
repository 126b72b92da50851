package embeddings

import (
	"encoding/json"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// The decoders read client bodies (DecodeOpenAIRequest) and upstream bodies
// (the response decoders); none may panic, and whatever they accept must
// re-encode to something they accept again with the same meaning.

func FuzzDecodeOpenAIRequest(f *testing.F) {
	for _, p := range fixtures(f, "openai-embeddings", ".request.json") {
		f.Add(readFile(f, p))
	}
	for _, s := range []string{
		`{"model":"m","input":"x"}`, `{"input":[[1,2],[3]],"dimensions":3}`, `{"input":[1,2]}`,
		`{"input":["a"],"nexus":{"ext":{"gemini":{"taskType":"X","batch":true}}},"extra":{"a":[1]}}`,
		`{"input":[],"encoding_format":"base64"}`, `{"input":"\u2028\ud800"}`, `null`, `{"input":[[]]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeOpenAIRequest(body)
		if err != nil {
			if canonical.As(err).Status != 400 {
				t.Fatalf("non-400 refusal: %v", err)
			}
			return
		}
		wire, err := EncodeOpenAIRequest(req, "up")
		if err != nil {
			t.Fatalf("accepted request does not encode: %v", err)
		}
		again, err := DecodeOpenAIRequest(wire)
		if err != nil {
			t.Fatalf("encoded request does not decode: %v\n%s", err, wire)
		}
		if again.InputCount() != req.InputCount() || again.EncodingFormat != req.EncodingFormat || again.User != req.User {
			t.Fatalf("round trip changed the request: %+v vs %+v", again, req)
		}
		_, _, _, _ = EncodeGeminiRequest(req, "m")
	})
}

func FuzzDecodeOpenAIResponse(f *testing.F) {
	for _, p := range fixtures(f, "openai-embeddings", ".response.json") {
		f.Add(shrunk(f, readFile(f, p)))
	}
	for _, s := range []string{
		`{"data":[{"index":0,"embedding":[1e-7,-0,3.4e38]}],"usage":{"prompt_tokens":1}}`,
		`{"data":[{"index":1,"embedding":"AACAPw=="},{"index":0,"embedding":"AACAPw"}]}`,
		`{"data":[{"embedding":"AAC\/Pw=="}]}`, `{"data":[]}`, `{"data":[{"index":0,"embedding":[1,]}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := DecodeOpenAIResponse(body, nil)
		if err != nil {
			if canonical.As(err).Status != 502 {
				t.Fatalf("non-502 refusal: %v", err)
			}
			return
		}
		checkReencodes(t, resp)
	})
}

func FuzzDecodeGeminiResponse(f *testing.F) {
	for _, p := range fixtures(f, "gemini", ".response.json") {
		f.Add(shrunk(f, readFile(f, p)))
	}
	for _, s := range []string{
		`{"embedding":{"values":[0.1,-2e-9]}}`, `{"embeddings":[{"values":[1],"statistics":{"tokenCount":3}}]}`,
		`{"embeddings":[]}`, `{"embedding":{"values":[1e400]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		resp, err := DecodeGeminiResponse(body, nil)
		if err != nil {
			if canonical.As(err).Status != 502 {
				t.Fatalf("non-502 refusal: %v", err)
			}
			return
		}
		checkReencodes(t, resp)
	})
}

// checkReencodes: an accepted answer renders in both encodings and reads
// back bit for bit.
func checkReencodes(t *testing.T, resp *canonical.EmbeddingResponse) {
	t.Helper()
	for _, format := range []string{canonical.EncodingFloat, canonical.EncodingBase64} {
		wire, err := EncodeOpenAIResponse(resp, format)
		if err != nil {
			t.Fatalf("accepted answer does not encode as %s: %v", format, err)
		}
		again, err := DecodeOpenAIResponse(wire, nil)
		if err != nil {
			t.Fatalf("encoded %s answer does not decode: %v\n%.300s", format, err, wire)
		}
		if !sameBits(again.Vectors, resp.Vectors) || again.Model != resp.Model {
			t.Fatalf("%s round trip changed the answer", format)
		}
	}
}

// shrunk keeps a recorded answer's structure but cuts every vector to a few
// values: Go's fuzzer slows to a crawl on multi-kilobyte seeds.
func shrunk(f *testing.F, body []byte) []byte {
	f.Helper()
	var shrink func(v any) any
	shrink = func(v any) any {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				x[k] = shrink(e)
			}
		case []any:
			if len(x) > 8 {
				x = x[:8]
			}
			for i, e := range x {
				x[i] = shrink(e)
			}
			return x
		case string:
			if len(x) > 64 {
				return x[:64] // 48 bytes: still whole float32s
			}
		}
		return v
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		f.Fatal(err)
	}
	out, err := json.Marshal(shrink(v))
	if err != nil {
		f.Fatal(err)
	}
	return out
}
