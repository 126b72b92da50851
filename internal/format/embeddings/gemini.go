package embeddings

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// providerGemini is the Ext key of Gemini embedding parameters
// (SPEC §5.7: nexus.ext.gemini.taskType, .title, .batch).
const providerGemini = "gemini"

// Gemini method suffixes EncodeGeminiRequest chooses between; the adapter
// appends the one it gets to "<base>/v1beta/models/<model>".
const (
	GeminiEmbedContent      = ":embedContent"
	GeminiBatchEmbedContent = ":batchEmbedContents"
)

// geminiOptions are the Ext["gemini"] values an embeddings request may carry.
type geminiOptions struct {
	taskType string
	title    string
	batch    bool
}

func readGeminiOptions(ext canonical.Ext) (geminiOptions, error) {
	var o geminiOptions
	str := func(dst *string, keys ...string) error {
		for _, k := range keys {
			if raw := ext.Get(providerGemini, k); raw != nil && !isNull(raw) {
				if json.Unmarshal(raw, dst) != nil {
					return invalid("nexus.ext.gemini."+keys[0], "nexus.ext.gemini.%s must be a string", keys[0])
				}
				return nil
			}
		}
		return nil
	}
	// lowerCamel is the documented spelling; snake_case is read too because
	// proto JSON accepts both and the chat keys are snake_case.
	if err := str(&o.taskType, "taskType", "task_type"); err != nil {
		return o, err
	}
	if err := str(&o.title, "title"); err != nil {
		return o, err
	}
	if raw := ext.Get(providerGemini, "batch"); raw != nil && !isNull(raw) {
		if json.Unmarshal(raw, &o.batch) != nil {
			return o, invalid("nexus.ext.gemini.batch", "nexus.ext.gemini.batch must be a boolean")
		}
	}
	return o, nil
}

// EncodeGeminiRequest writes req for the Gemini API and returns the method
// suffix to call on "models/<model>": one input goes to :embedContent, more
// (or one with nexus.ext.gemini.batch:true) to :batchEmbedContents with one
// request per input, each naming the model as batch calls require.
// Dimensions become outputDimensionality; nexus.ext.gemini.taskType and
// .title are sent on every request. Gemini always answers with floats, so
// EncodingFormat is not sent (EncodeOpenAIResponse renders base64 itself).
//
// Token-id inputs are refused (400 nexus_field_unsupported): they belong to
// another model's tokenizer. user has no Gemini field and is dropped as a
// hint, reported as the coercion "user->removed".
func EncodeGeminiRequest(req *canonical.EmbeddingRequest, model string) (path string, body []byte, coerced []canonical.Coercion, err error) {
	if len(req.Tokens) > 0 {
		return "", nil, nil, unsupported("gemini", "input", "token-id inputs only mean something to the tokenizer they were made for; send text")
	}
	if len(req.Inputs) == 0 {
		return "", nil, nil, invalid("input", "input is required")
	}
	opts, oerr := readGeminiOptions(req.Ext)
	if oerr != nil {
		return "", nil, nil, oerr
	}
	if req.User != "" {
		coerced = append(coerced, canonical.Coercion{Field: "user", To: "removed"})
	}
	ref := model
	if !strings.Contains(ref, "/") {
		ref = "models/" + ref
	}
	// Every request repeats the model and options around its text.
	perInput := 96 + len(ref) + len(opts.taskType) + len(opts.title)
	size := 16
	for _, s := range req.Inputs {
		size += perInput + len(s) + len(s)/8
	}
	b := make([]byte, 0, size)
	if len(req.Inputs) == 1 && !opts.batch {
		b = appendGeminiEmbed(b, ref, req.Inputs[0], req.Dimensions, opts)
		return GeminiEmbedContent, b, coerced, nil
	}
	b = append(b, `{"requests":[`...)
	for i, s := range req.Inputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendGeminiEmbed(b, ref, s, req.Dimensions, opts)
	}
	b = append(b, ']', '}')
	return GeminiBatchEmbedContent, b, coerced, nil
}

// appendGeminiEmbed writes one EmbedContentRequest.
func appendGeminiEmbed(b []byte, ref, text string, dims *int, o geminiOptions) []byte {
	b = append(b, `{"model":`...)
	b = appendString(b, ref)
	b = append(b, `,"content":{"parts":[{"text":`...)
	b = appendString(b, text)
	b = append(b, `}]}`...)
	if o.taskType != "" {
		b = append(b, `,"taskType":`...)
		b = appendString(b, o.taskType)
	}
	if o.title != "" {
		b = append(b, `,"title":`...)
		b = appendString(b, o.title)
	}
	if dims != nil {
		b = append(b, `,"outputDimensionality":`...)
		b = appendInt(b, *dims)
	}
	return append(b, '}')
}

type geminiEmbedding struct {
	Values     json.RawMessage `json:"values"`
	Statistics *struct {
		TokenCount float64 `json:"tokenCount"`
	} `json:"statistics"`
}

// DecodeGeminiResponse reads an :embedContent ({"embedding":{values}}) or
// :batchEmbedContents ({"embeddings":[{values}]}) answer. The Gemini API
// reports no token usage, so Usage.InputTokens is EstimateInputTokens(req)
// with UsageEstimated set — unless every vector carries Vertex's
// statistics.tokenCount, whose sum is used instead. Model is req.Model
// (the answer names none). With req given, the vector count must match its
// input count. Unreadable answers are 502.
func DecodeGeminiResponse(body []byte, req *canonical.EmbeddingRequest) (*canonical.EmbeddingResponse, error) {
	var w struct {
		Embedding  *geminiEmbedding  `json:"embedding"`
		Embeddings []geminiEmbedding `json:"embeddings"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, badUpstream("gemini embeddings body: %w", err)
	}
	items := w.Embeddings
	if items == nil {
		if w.Embedding == nil {
			return nil, badUpstream("gemini embeddings body has neither embedding nor embeddings")
		}
		items = []geminiEmbedding{*w.Embedding}
	}
	resp := &canonical.EmbeddingResponse{Vectors: make([][]float32, len(items))}
	counted, tokens := true, 0
	for i, it := range items {
		if len(bytes.TrimSpace(it.Values)) == 0 || isNull(it.Values) {
			return nil, badUpstream("embeddings[%d] has no values", i)
		}
		v, err := parseFloatArray(it.Values, nil)
		if err != nil {
			return nil, badUpstream("embeddings[%d].values: %w", i, err)
		}
		if v == nil {
			v = []float32{}
		}
		resp.Vectors[i] = v
		if it.Statistics == nil || it.Statistics.TokenCount <= 0 {
			counted = false
		} else {
			tokens += int(it.Statistics.TokenCount)
		}
	}
	if req == nil {
		if counted {
			resp.Usage.InputTokens = tokens
		}
		return resp, nil
	}
	resp.Model = req.Model
	if req.InputCount() != len(resp.Vectors) {
		return nil, badUpstream("%d vectors for %d inputs", len(resp.Vectors), req.InputCount())
	}
	if counted {
		resp.Usage.InputTokens = tokens
	} else {
		resp.Usage.InputTokens = EstimateInputTokens(req)
		resp.UsageEstimated = true
	}
	return resp, nil
}
