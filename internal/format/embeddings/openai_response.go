package embeddings

import (
	"encoding/json"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

type wireResponse struct {
	Data  []wireItem `json:"data"`
	Model string     `json:"model"`
	Usage *struct {
		PromptTokens int `json:"prompt_tokens"`
		TotalTokens  int `json:"total_tokens"`
	} `json:"usage"`
}

type wireItem struct {
	Index     *int            `json:"index"`
	Embedding json.RawMessage `json:"embedding"`
}

// DecodeOpenAIResponse reads an OpenAI-family embeddings answer. Each vector
// may be a float array or a base64 string (whatever the upstream chose,
// independent of what was asked); vectors are placed by their index. When
// req is given, the vector count must match its input count, and an answer
// without usage (some compatible servers omit it) gets the local estimate of
// EstimateInputTokens with UsageEstimated set. Unreadable answers are 502.
func DecodeOpenAIResponse(body []byte, req *canonical.EmbeddingRequest) (*canonical.EmbeddingResponse, error) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, badUpstream("embeddings body: %w", err)
	}
	if w.Data == nil {
		return nil, badUpstream("embeddings body has no data array")
	}
	resp := &canonical.EmbeddingResponse{Model: w.Model, Vectors: make([][]float32, len(w.Data))}
	byIndex := true
	for _, it := range w.Data {
		if it.Index == nil {
			byIndex = false
			break
		}
	}
	for i, it := range w.Data {
		slot := i
		if byIndex {
			slot = *it.Index
			if slot < 0 || slot >= len(w.Data) || resp.Vectors[slot] != nil {
				return nil, badUpstream("data[%d].index %d is out of range or repeated", i, slot)
			}
		}
		v, err := decodeVector(it.Embedding)
		if err != nil {
			return nil, badUpstream("data[%d].embedding: %w", i, err)
		}
		resp.Vectors[slot] = v
	}
	if req != nil && req.InputCount() != len(resp.Vectors) {
		return nil, badUpstream("%d vectors for %d inputs", len(resp.Vectors), req.InputCount())
	}
	switch u := w.Usage; {
	case u != nil && u.PromptTokens > 0:
		resp.Usage.InputTokens = u.PromptTokens
	case u != nil && u.TotalTokens > 0:
		resp.Usage.InputTokens = u.TotalTokens
	case req != nil:
		resp.Usage.InputTokens = EstimateInputTokens(req)
		resp.UsageEstimated = true
	}
	return resp, nil
}

// decodeVector reads one embedding, float array or base64 string. A vector
// is never nil after a successful decode, so "already filled" is detectable.
func decodeVector(raw json.RawMessage) ([]float32, error) {
	i := skipSpace(raw, 0)
	if i < len(raw) && raw[i] == '"' {
		v, err := decodeBase64Vector(raw[i:])
		if v == nil && err == nil {
			v = []float32{}
		}
		return v, err
	}
	v, err := parseFloatArray(raw, nil)
	if v == nil && err == nil {
		v = []float32{}
	}
	return v, err
}

// EncodeOpenAIResponse writes resp as an OpenAI embeddings answer with each
// vector in format: canonical.EncodingBase64 (little-endian float32, standard
// base64) or canonical.EncodingFloat / "" (a float array). Either way the
// client decodes exactly the float32 values in resp. Usage is written as
// prompt_tokens = total_tokens = InputTokens.
func EncodeOpenAIResponse(resp *canonical.EmbeddingResponse, format string) ([]byte, error) {
	base64 := false
	switch format {
	case canonical.EncodingBase64:
		base64 = true
	case canonical.EncodingFloat, "":
	default:
		return nil, internalErr("unknown embedding encoding format %q", format)
	}
	n := 0
	for _, v := range resp.Vectors {
		n += len(v)
	}
	perFloat := 14 // "-0.012345678," is 13; exponents are rare
	if base64 {
		perFloat = 6
	}
	b := make([]byte, 0, 128+len(resp.Model)+len(resp.Vectors)*48+n*perFloat)
	b = append(b, `{"object":"list","data":[`...)
	for i, v := range resp.Vectors {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = appendInt(b, i)
		b = append(b, `,"embedding":`...)
		var err error
		if base64 {
			b, err = appendBase64(b, v)
		} else {
			b, err = appendFloatArray(b, v)
		}
		if err != nil {
			return nil, internalErr("vector %d: %w", i, err)
		}
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendString(b, resp.Model)
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = appendInt(b, resp.Usage.InputTokens)
	b = append(b, `,"total_tokens":`...)
	b = appendInt(b, resp.Usage.InputTokens)
	return append(b, `}}`...), nil
}

// EstimateInputTokens is the local input-token estimate used when an
// upstream reports no usage (Gemini never does): UTF-8 bytes / 4, rounded
// up, per text input — a deliberate over-estimate for CJK text, which is
// the safe side for quota checks. Token-id inputs are counted exactly.
func EstimateInputTokens(req *canonical.EmbeddingRequest) int {
	n := 0
	for _, s := range req.Inputs {
		n += (len(s) + 3) / 4
	}
	for _, t := range req.Tokens {
		n += len(t)
	}
	return n
}
