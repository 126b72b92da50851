package canonical

// EncodingFloat and EncodingBase64 are the two vector encodings of the OpenAI
// embeddings wire. They describe how the caller wants the answer rendered;
// the canonical vectors themselves are always plain float32 values.
const (
	EncodingFloat  = "float"
	EncodingBase64 = "base64"
)

// EmbeddingRequest is an embeddings request in canonical form (SPEC §5.1:
// input, model, dimensions, encoding_format).
//
// The input is either text (Inputs) or pre-tokenized token ids (Tokens),
// never both. OpenAI accepts a string, an array of strings, an array of
// token ids and an array of token-id arrays; a lone string or a lone token
// array is one input, so both collapse to a one-element list here (the
// answer to either is a one-element data list, so nothing observable is
// lost). Token ids are kept separate because they only mean something to
// the tokenizer of the model they were made for: an OpenAI-family target can
// take them, a Gemini target cannot and refuses them.
type EmbeddingRequest struct {
	Model  string   `json:"model"`
	Inputs []string `json:"inputs,omitempty"`
	Tokens [][]int  `json:"tokens,omitempty"`

	// Dimensions asks for shortened vectors (OpenAI dimensions, Gemini
	// outputDimensionality); nil = the model's native size.
	Dimensions *int `json:"dimensions,omitempty"`
	// EncodingFormat is what the caller asked the answer to be rendered in:
	// EncodingFloat, EncodingBase64, or "" (the OpenAI default, float).
	EncodingFormat string `json:"encoding_format,omitempty"`
	User           string `json:"user,omitempty"`

	// Ext carries provider-only parameters (nexus.ext.gemini.taskType, …) and,
	// under "openai", unknown top-level members of an OpenAI-family body.
	Ext Ext `json:"ext,omitempty"`
}

// InputCount is the number of inputs, whichever form they take.
func (r *EmbeddingRequest) InputCount() int {
	if len(r.Tokens) > 0 {
		return len(r.Tokens)
	}
	return len(r.Inputs)
}

// EmbeddingResponse is an embeddings answer in canonical form. Vectors are
// float32 because that is the precision providers compute and ship: OpenAI's
// base64 form is little-endian float32, Gemini's proto field is float. Holding
// them as float32 makes float ⇄ base64 re-encoding exact.
type EmbeddingResponse struct {
	Model   string      `json:"model"`
	Vectors [][]float32 `json:"vectors"` // one per input, in input order
	// Usage carries InputTokens only; embeddings produce no output tokens.
	Usage Usage `json:"usage"`
	// UsageEstimated is set when the upstream reported no token usage and
	// Usage.InputTokens is a local estimate (SPEC §11.8: audit marks it
	// usage_extraction_status=estimated).
	UsageEstimated bool `json:"usage_estimated,omitempty"`
}
