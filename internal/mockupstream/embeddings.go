package mockupstream

import (
	"encoding/base64"
	"encoding/binary"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// Embeddings follow openai-embeddings/*.response.json: a list of
// {"object":"embedding","index","embedding"} with float arrays, or base64 of
// little-endian float32 when encoding_format is "base64".

const defaultDimensions = 1536

func (s *Server) serveEmbeddings(x *exchange, ri *reqInfo) {
	inputs := embeddingInputs(ri.input)
	if len(inputs) == 0 {
		s.writeError(x, http.StatusBadRequest, "'input' is a required property and must be a non-empty string or array.")
		return
	}
	dims := ri.dimensions
	if dims <= 0 || dims > maxDimensions {
		dims = defaultDimensions
		if strings.Contains(ri.model, "large") {
			dims = 3072
		}
	}
	f := s.getFrames()
	defer s.putFrames(f)
	f.buf = appendEmbeddings(f.buf, inputs, ri.model, dims, ri.base64)
	s.writeBody(x, http.StatusOK, contentTypeJSON, f.buf)
}

// embeddingInputs splits "input" into one raw value per embedding: a string,
// an array of strings, a token array, or an array of token arrays.
func embeddingInputs(raw []byte) [][]byte {
	raw = trimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] != '[' {
		return [][]byte{raw}
	}
	var out [][]byte
	tokens := false
	arrayEach(raw, func(v []byte) bool {
		if len(out) == 0 && len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')) {
			tokens = true
			return false
		}
		out = append(out, v)
		return true
	})
	if tokens {
		return [][]byte{raw}
	}
	return out
}

func trimSpace(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && isSpace(b[i]) {
		i++
	}
	for j > i && isSpace(b[j-1]) {
		j--
	}
	return b[i:j]
}

// embeddingVector fills v with a deterministic unit vector derived from the
// input bytes, so equal inputs embed equally and different ones differ.
func embeddingVector(v []float32, input []byte) {
	h := fnv.New64a()
	_, _ = h.Write(input)
	state := h.Sum64() | 1
	var sum float64
	for i := range v {
		// xorshift64*: cheap and good enough to look like noise.
		state ^= state >> 12
		state ^= state << 25
		state ^= state >> 27
		r := state * 2685821657736338717
		x := float64(r>>11)/(1<<52) - 1 // 53 random bits scaled to [-1, 1)
		v[i] = float32(x)
		sum += x * x
	}
	norm := float32(1 / math.Sqrt(sum))
	for i := range v {
		v[i] *= norm
	}
}

func appendEmbeddings(dst []byte, inputs [][]byte, model string, dims int, b64 bool) []byte {
	vec := make([]float32, dims)
	var raw []byte
	if b64 {
		raw = make([]byte, dims*4)
	}
	prompt := 0
	dst = append(dst, `{"object":"list","data":[`...)
	for i, in := range inputs {
		prompt += max(1, len(in)/4)
		embeddingVector(vec, in)
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"object":"embedding","index":`...)
		dst = appendInt(dst, i)
		dst = append(dst, `,"embedding":`...)
		if b64 {
			for j, f := range vec {
				binary.LittleEndian.PutUint32(raw[j*4:], math.Float32bits(f))
			}
			dst = append(dst, '"')
			dst = base64.StdEncoding.AppendEncode(dst, raw)
			dst = append(dst, '"')
		} else {
			dst = append(dst, '[')
			for j, f := range vec {
				if j > 0 {
					dst = append(dst, ',')
				}
				dst = strconv.AppendFloat(dst, float64(f), 'g', -1, 32)
			}
			dst = append(dst, ']')
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `],"model":`...)
	dst = appendJSONString(dst, model)
	dst = append(dst, `,"usage":{"prompt_tokens":`...)
	dst = appendInt(dst, prompt)
	dst = append(dst, `,"total_tokens":`...)
	dst = appendInt(dst, prompt)
	return append(dst, "}}"...)
}

// serveModels lists a few models of each provider, OpenAI-shaped.
func (s *Server) serveModels(x *exchange) {
	models := [...]string{
		"gpt-4o", "gpt-4o-mini", "gpt-4.1", "text-embedding-3-small", "text-embedding-3-large",
		"claude-sonnet-4-5", "claude-haiku-4-5", "gemini-2.5-flash", "gemini-2.5-pro",
	}
	created := s.now().Unix()
	f := s.getFrames()
	defer s.putFrames(f)
	f.buf = append(f.buf, `{"object":"list","data":[`...)
	for i, m := range models {
		if i > 0 {
			f.buf = append(f.buf, ',')
		}
		f.buf = append(f.buf, `{"id":`...)
		f.buf = appendJSONString(f.buf, m)
		f.buf = append(f.buf, `,"object":"model","created":`...)
		f.buf = appendInt(f.buf, int(created))
		f.buf = append(f.buf, `,"owned_by":"nexus-mock"}`...)
	}
	f.buf = append(f.buf, "]}"...)
	s.writeBody(x, http.StatusOK, contentTypeJSON, f.buf)
}
