package embeddings

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// interesting float32 values: signed zeros, subnormals, extremes, values
// whose shortest decimal needs an exponent, and ordinary embedding values.
var interesting = []float32{
	0, float32(math.Copysign(0, -1)), math.SmallestNonzeroFloat32, -math.SmallestNonzeroFloat32,
	1e-40, 1.17549435e-38, math.MaxFloat32, -math.MaxFloat32, 1e-7, 9.999999e-7, 1e-6, 1e21, 9.99999e20,
	0.1, -0.022495363, 0.0057293195, 1, -1, 123456.79,
}

// randomVector draws float32s spread over the full exponent range, from a
// seeded source so a failure reproduces.
func randomVector(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		for {
			f := math.Float32frombits(r.Uint32())
			if !math.IsNaN(float64(f)) && !math.IsInf(float64(f), 0) {
				v[i] = f
				break
			}
		}
	}
	return v
}

// TestFloatAndBase64AreExactBothWays: any finite float32 vector written as a
// float array or as base64 reads back bit for bit, through our decoder and
// through an independent reading (encoding/json float64 → float32, and
// base64 bytes → little-endian float32), whatever the length (the base64
// writer works in 48-value chunks, so lengths around 48 matter).
func TestFloatAndBase64AreExactBothWays(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	vectors := [][]float32{interesting, {}, {0.5}}
	for _, n := range []int{1, 2, 3, 47, 48, 49, 95, 96, 97, 1536, 3072} {
		vectors = append(vectors, randomVector(r, n))
	}
	resp := &canonical.EmbeddingResponse{Model: "m", Vectors: vectors, Usage: canonical.Usage{InputTokens: 9}}
	for _, format := range []string{canonical.EncodingFloat, canonical.EncodingBase64, ""} {
		t.Run("format="+format, func(t *testing.T) {
			wire, err := EncodeOpenAIResponse(resp, format)
			if err != nil {
				t.Fatal(err)
			}
			got, err := DecodeOpenAIResponse(wire, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(got.Vectors, vectors) {
				t.Fatal("codec round trip is not bit-exact")
			}
			if !sameBits(asFloat32(wireVectorsFloat64(t, wire)), vectors) {
				t.Fatal("independent reading of the wire differs")
			}
			if got.Usage.InputTokens != 9 || got.Model != "m" || got.UsageEstimated {
				t.Errorf("usage %+v model %q estimated %v", got.Usage, got.Model, got.UsageEstimated)
			}
		})
	}
}

func TestFloatTextIsShortestAndJSONStyle(t *testing.T) {
	tests := []struct {
		in   float32
		want string
	}{
		{0.0057293195, "0.0057293195"},
		{-0.022495363, "-0.022495363"},
		{1, "1"},
		{0, "0"},
		{1e-7, "1e-7"},
		{1.5e-10, "1.5e-10"},
		{1e21, "1e+21"},
		{123456.79, "123456.79"},
	}
	for _, tt := range tests {
		got, err := appendFloat32(nil, tt.in)
		if err != nil || string(got) != tt.want {
			t.Errorf("appendFloat32(%v) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		// encoding/json renders a float32 the same way.
		if std, _ := json.Marshal(tt.in); string(std) != tt.want {
			t.Errorf("encoding/json writes %s for %v, we write %s", std, tt.in, got)
		}
	}
}

func TestEncodeOpenAIResponseRefusesNonFiniteValuesAndUnknownFormats(t *testing.T) {
	for _, f := range []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1))} {
		resp := &canonical.EmbeddingResponse{Vectors: [][]float32{{1, f}}}
		for _, format := range []string{"float", "base64"} {
			if _, err := EncodeOpenAIResponse(resp, format); err == nil {
				t.Errorf("%v encoded as %s without error", f, format)
			}
		}
	}
	if _, err := EncodeOpenAIResponse(&canonical.EmbeddingResponse{}, "int8"); err == nil {
		t.Error("unknown format accepted")
	}
}

func b64(v ...float32) string {
	b := make([]byte, 4*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint32(b[i*4:], math.Float32bits(f))
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestDecodeOpenAIResponse(t *testing.T) {
	one := &canonical.EmbeddingRequest{Inputs: []string{"abcdefgh"}}
	two := &canonical.EmbeddingRequest{Inputs: []string{"a", "bb"}}
	tests := []struct {
		name      string
		body      string
		req       *canonical.EmbeddingRequest
		want      [][]float32
		tokens    int
		estimated bool
	}{
		{"vectors placed by index", `{"data":[{"index":1,"embedding":[2]},{"index":0,"embedding":[1]}],"model":"m","usage":{"prompt_tokens":3,"total_tokens":3}}`,
			two, [][]float32{{1}, {2}}, 3, false},
		{"mixed encodings in one answer", `{"data":[{"index":0,"embedding":"` + b64(0.25, -1) + `"},{"index":1,"embedding":[0.5]}],"usage":{"prompt_tokens":2}}`,
			two, [][]float32{{0.25, -1}, {0.5}}, 2, false},
		{"unpadded base64", `{"data":[{"index":0,"embedding":"` + strings.TrimRight(b64(0.25), "=") + `"}],"usage":{"prompt_tokens":1}}`,
			one, [][]float32{{0.25}}, 1, false},
		{"escaped slash in base64", `{"data":[{"index":0,"embedding":"` + strings.ReplaceAll(b64(float32(math.Float32frombits(0xfcffffff))), "/", `\/`) + `"}],"usage":{"prompt_tokens":1}}`,
			one, [][]float32{{math.Float32frombits(0xfcffffff)}}, 1, false},
		{"no index: array order", `{"data":[{"embedding":[1]},{"embedding":[2]}],"usage":{"prompt_tokens":5}}`,
			two, [][]float32{{1}, {2}}, 5, false},
		{"total only", `{"data":[{"index":0,"embedding":[1]}],"usage":{"total_tokens":7}}`,
			one, [][]float32{{1}}, 7, false},
		{"usage missing: estimated from the request", `{"data":[{"index":0,"embedding":[1]}]}`,
			one, [][]float32{{1}}, 2, true},
		{"zero usage: estimated", `{"data":[{"index":0,"embedding":[1]},{"index":1,"embedding":[1]}],"usage":{"prompt_tokens":0,"total_tokens":0}}`,
			two, [][]float32{{1}, {1}}, 2, true},
		{"no request, no usage: zero, not estimated", `{"data":[{"index":0,"embedding":[ 1 , 2 ]}]}`,
			nil, [][]float32{{1, 2}}, 0, false},
		{"empty vector", `{"data":[{"index":0,"embedding":[]}],"usage":{"prompt_tokens":1}}`,
			one, [][]float32{{}}, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeOpenAIResponse([]byte(tt.body), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(got.Vectors, tt.want) || got.Usage.InputTokens != tt.tokens || got.UsageEstimated != tt.estimated {
				t.Errorf("got %v tokens %d estimated %v; want %v %d %v", got.Vectors, got.Usage.InputTokens, got.UsageEstimated, tt.want, tt.tokens, tt.estimated)
			}
		})
	}
}

func TestDecodeOpenAIResponseRefusesUnreadableAnswersWith502(t *testing.T) {
	one := &canonical.EmbeddingRequest{Inputs: []string{"a"}}
	nan := b64(float32(math.NaN()))
	tests := []struct{ name, body string }{
		{"not JSON", `{"data":`},
		{"no data", `{"object":"list"}`},
		{"index out of range", `{"data":[{"index":1,"embedding":[1]}]}`},
		{"index repeated", `{"data":[{"index":0,"embedding":[1]},{"index":0,"embedding":[1]}]}`},
		{"count differs from inputs", `{"data":[{"index":0,"embedding":[1]},{"index":1,"embedding":[1]}]}`},
		{"NaN in base64", `{"data":[{"index":0,"embedding":"` + nan + `"}]}`},
		{"not whole float32s", `{"data":[{"index":0,"embedding":"AAAA"}]}`},
		{"bad base64", `{"data":[{"index":0,"embedding":"!!!!!!!!"}]}`},
		{"float32 overflow", `{"data":[{"index":0,"embedding":[1e39]}]}`},
		{"null vector", `{"data":[{"index":0,"embedding":null}]}`},
		{"strings in array", `{"data":[{"index":0,"embedding":["1"]}]}`},
		{"object vector", `{"data":[{"index":0,"embedding":{}}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeOpenAIResponse([]byte(tt.body), one)
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status != 502 || ce.Kind != canonical.KindUpstream {
				t.Fatalf("got %v, want a 502 upstream_error", err)
			}
			if strings.Contains(ce.Message, "embedding\"") || strings.Contains(ce.Message, "!!") {
				t.Errorf("message leaks upstream bytes: %q", ce.Message)
			}
		})
	}
}

func TestDecodeGeminiResponse(t *testing.T) {
	req := &canonical.EmbeddingRequest{Model: "client", Inputs: []string{"hello", "é"}}
	tests := []struct {
		name      string
		body      string
		req       *canonical.EmbeddingRequest
		want      [][]float32
		tokens    int
		estimated bool
	}{
		{"batch answer, estimated usage", `{"embeddings":[{"values":[0.1,0.2]},{"values":[0.3]}]}`, req,
			[][]float32{{0.1, 0.2}, {0.3}}, 2 + 1, true},
		{"single answer", `{"embedding":{"values":[1e-7]}}`, &canonical.EmbeddingRequest{Inputs: []string{"abcd"}},
			[][]float32{{1e-7}}, 1, true},
		{"vertex token counts win over the estimate", `{"embeddings":[{"values":[1],"statistics":{"tokenCount":4}},{"values":[2],"statistics":{"tokenCount":6}}]}`, req,
			[][]float32{{1}, {2}}, 10, false},
		{"partial token counts fall back to the estimate", `{"embeddings":[{"values":[1],"statistics":{"tokenCount":4}},{"values":[2]}]}`, req,
			[][]float32{{1}, {2}}, 3, true},
		{"no request: no estimate", `{"embeddings":[{"values":[1]}]}`, nil,
			[][]float32{{1}}, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeGeminiResponse([]byte(tt.body), tt.req)
			if err != nil {
				t.Fatal(err)
			}
			if !sameBits(got.Vectors, tt.want) || got.Usage.InputTokens != tt.tokens || got.UsageEstimated != tt.estimated {
				t.Errorf("got %v tokens %d estimated %v; want %v %d %v", got.Vectors, got.Usage.InputTokens, got.UsageEstimated, tt.want, tt.tokens, tt.estimated)
			}
			if tt.req != nil && got.Model != tt.req.Model {
				t.Errorf("model %q", got.Model)
			}
		})
	}
	for _, body := range []string{`{}`, `{"embeddings":[{"values":null}]}`, `{"embeddings":[{}]}`, `{"embedding":{"values":["x"]}}`, `[1]`,
		`{"embeddings":[{"values":[1]}]}` /* one vector for two inputs */} {
		_, err := DecodeGeminiResponse([]byte(body), req)
		var ce *canonical.Error
		if !errors.As(err, &ce) || ce.Status != 502 {
			t.Errorf("%s: got %v, want 502", body, err)
		}
	}
}

func TestEstimateInputTokensIsBytesOverFourRoundedUp(t *testing.T) {
	tests := []struct {
		req  canonical.EmbeddingRequest
		want int
	}{
		{canonical.EmbeddingRequest{Inputs: []string{""}}, 0},
		{canonical.EmbeddingRequest{Inputs: []string{"a"}}, 1},
		{canonical.EmbeddingRequest{Inputs: []string{"abcd", "abcde"}}, 1 + 2},
		{canonical.EmbeddingRequest{Inputs: []string{"日本語"}}, 3}, // 9 bytes
		{canonical.EmbeddingRequest{Tokens: [][]int{{1, 2, 3}, {4}}}, 4},
	}
	for i, tt := range tests {
		if got := EstimateInputTokens(&tt.req); got != tt.want {
			t.Errorf("case %d: %d, want %d", i, got, tt.want)
		}
	}
}

func TestParseFloatArrayMatchesStrconv(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	var sb strings.Builder
	want := make([]float32, 0, 500)
	sb.WriteString(" [ ")
	for i := 0; i < 500; i++ {
		if i > 0 {
			sb.WriteString(" ,\n")
		}
		// Decimal text with more digits than float32 holds: rounding happens once.
		s := strconv.FormatFloat(r.NormFloat64()*math.Pow(10, float64(r.IntN(20)-10)), 'g', 17, 64)
		sb.WriteString(s)
		f, _ := strconv.ParseFloat(s, 32)
		want = append(want, float32(f))
	}
	sb.WriteString(" ] ")
	got, err := parseFloatArray([]byte(sb.String()), nil)
	if err != nil {
		t.Fatal(err)
	}
	if !sameBits([][]float32{got}, [][]float32{want}) {
		t.Error("parsed values differ from strconv.ParseFloat(s, 32)")
	}
}
