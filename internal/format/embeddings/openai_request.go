package embeddings

import (
	"bytes"
	"encoding/json"
	"sort"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// providerOpenAI is the Ext key of OpenAI-family-only request members.
const providerOpenAI = "openai"

// ownedKeys are the top-level members the OpenAI codec reads and writes
// itself; every other member is carried in Ext["openai"].
var ownedKeys = [...]string{"model", "input", "dimensions", "encoding_format", "user", "nexus"}

func owned(k string) bool {
	for _, o := range ownedKeys {
		if o == k {
			return true
		}
	}
	return false
}

// DecodeOpenAIRequest reads an OpenAI /v1/embeddings body (also the Azure
// and GLM shims and every compatible vendor's). Malformed bodies are 400
// invalid_request_error with Param naming the member.
func DecodeOpenAIRequest(body []byte) (*canonical.EmbeddingRequest, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil || members == nil {
		return nil, invalid("", "request body must be a JSON object")
	}
	req := &canonical.EmbeddingRequest{}
	if raw, ok := members["model"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &req.Model) != nil {
			return nil, invalid("model", "model must be a string")
		}
	}
	raw, ok := members["input"]
	if !ok || isNull(raw) {
		return nil, invalid("input", "input is required")
	}
	if err := decodeInput(raw, req); err != nil {
		return nil, err
	}
	if raw, ok := members["dimensions"]; ok && !isNull(raw) {
		var d int
		if json.Unmarshal(raw, &d) != nil || d < 1 {
			return nil, invalid("dimensions", "dimensions must be a positive integer")
		}
		req.Dimensions = &d
	}
	if raw, ok := members["encoding_format"]; ok && !isNull(raw) {
		var f string
		if json.Unmarshal(raw, &f) != nil || (f != canonical.EncodingFloat && f != canonical.EncodingBase64) {
			return nil, invalid("encoding_format", `encoding_format must be "float" or "base64"`)
		}
		req.EncodingFormat = f
	}
	if raw, ok := members["user"]; ok && !isNull(raw) {
		if json.Unmarshal(raw, &req.User) != nil {
			return nil, invalid("user", "user must be a string")
		}
	}
	if raw, ok := members["nexus"]; ok && !isNull(raw) {
		if err := decodeNexus(raw, req); err != nil {
			return nil, err
		}
	}
	for k, v := range members {
		if !owned(k) {
			// Vendor members (Mistral output_dtype, vLLM truncate_prompt_tokens,
			// …) travel on to OpenAI-family targets; the top-level member wins
			// over a nexus.ext.openai copy.
			req.Ext.Set(providerOpenAI, k, v)
		}
	}
	return req, nil
}

func isNull(raw json.RawMessage) bool { return string(bytes.TrimSpace(raw)) == "null" }

// decodeInput accepts the four OpenAI input forms: a string, an array of
// strings, an array of token ids, an array of token-id arrays.
func decodeInput(raw json.RawMessage, req *canonical.EmbeddingRequest) error {
	raw = bytes.TrimSpace(raw)
	const forms = "input must be a string, an array of strings, an array of token ids or an array of token-id arrays"
	switch raw[0] {
	case '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return invalid("input", forms)
		}
		req.Inputs = []string{s}
		return nil
	case '[':
	default:
		return invalid("input", forms)
	}
	i := skipSpace(raw, 1)
	if i >= len(raw) || raw[i] == ']' {
		return invalid("input", "input must not be an empty array")
	}
	switch c := raw[i]; {
	case c == '"':
		if json.Unmarshal(raw, &req.Inputs) != nil {
			return invalid("input", forms)
		}
	case c == '-' || (c >= '0' && c <= '9'):
		var toks []int
		if json.Unmarshal(raw, &toks) != nil || !validTokens(toks) {
			return invalid("input", forms)
		}
		req.Tokens = [][]int{toks}
	case c == '[':
		if json.Unmarshal(raw, &req.Tokens) != nil {
			return invalid("input", forms)
		}
		for j, t := range req.Tokens {
			if len(t) == 0 || !validTokens(t) {
				req.Tokens = nil
				return invalid("input", "input[%d] must be a non-empty array of token ids", j)
			}
		}
	default:
		return invalid("input", forms)
	}
	return nil
}

func validTokens(t []int) bool {
	for _, v := range t {
		if v < 0 {
			return false
		}
	}
	return true
}

// decodeNexus lifts "nexus":{"ext":{provider:{key:value}}} into Ext.
func decodeNexus(raw json.RawMessage, req *canonical.EmbeddingRequest) error {
	var n struct {
		Ext map[string]map[string]json.RawMessage `json:"ext"`
	}
	if json.Unmarshal(raw, &n) != nil {
		return invalid("nexus", "nexus must be an object of the form {\"ext\":{\"<provider>\":{\"<key>\":<value>}}}")
	}
	for p, kv := range n.Ext {
		for k, v := range kv {
			req.Ext.Set(p, k, v)
		}
	}
	return nil
}

// EncodeOpenAIRequest writes req for an OpenAI-family upstream with
// upstreamModel as the model ("" leaves model out: Azure deployment paths
// name the model in the URL). Inputs are always sent as an array; the
// caller's encoding_format is forwarded as asked (DecodeOpenAIResponse reads
// either form, so a server that ignores it does no harm). Ext["openai"]
// members are appended sorted by key; the nexus object is never sent.
func EncodeOpenAIRequest(req *canonical.EmbeddingRequest, upstreamModel string) ([]byte, error) {
	if len(req.Inputs) > 0 && len(req.Tokens) > 0 {
		return nil, internalErr("embedding request holds both text and token inputs")
	}
	if req.InputCount() == 0 {
		return nil, invalid("input", "input is required")
	}
	size := 64 + len(upstreamModel)
	for _, s := range req.Inputs {
		size += len(s) + 4
	}
	for _, t := range req.Tokens {
		size += len(t)*7 + 2
	}
	b := make([]byte, 0, size)
	b = append(b, '{')
	if upstreamModel != "" {
		b = append(b, `"model":`...)
		b = appendString(b, upstreamModel)
		b = append(b, ',')
	}
	b = append(b, `"input":[`...)
	for i, s := range req.Inputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, s)
	}
	for i, t := range req.Tokens {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, v := range t {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendInt(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, ']')
	if req.Dimensions != nil {
		b = append(b, `,"dimensions":`...)
		b = appendInt(b, *req.Dimensions)
	}
	if req.EncodingFormat != "" {
		b = append(b, `,"encoding_format":`...)
		b = appendString(b, req.EncodingFormat)
	}
	if req.User != "" {
		b = append(b, `,"user":`...)
		b = appendString(b, req.User)
	}
	if extra := req.Ext[providerOpenAI]; len(extra) > 0 {
		keys := make([]string, 0, len(extra))
		for k := range extra {
			if !owned(k) && k != "responses" {
				keys = append(keys, k)
			}
		}
		sort.Strings(keys)
		for _, k := range keys {
			v := bytes.TrimSpace(extra[k])
			if !json.Valid(v) {
				return nil, invalid("nexus.ext.openai."+k, "nexus.ext.openai.%s is not valid JSON", k)
			}
			b = append(b, ',')
			b = appendString(b, k)
			b = append(b, ':')
			b = append(b, v...)
		}
	}
	return append(b, '}'), nil
}
