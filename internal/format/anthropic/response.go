package anthropic

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// wireResponse is a non-streamed Messages answer.
type wireResponse struct {
	ID           string            `json:"id"`
	Type         string            `json:"type"`
	Model        string            `json:"model"`
	Content      []json.RawMessage `json:"content"`
	StopReason   string            `json:"stop_reason"`
	StopSequence string            `json:"stop_sequence"`
	StopDetails  json.RawMessage   `json:"stop_details"`
	Container    json.RawMessage   `json:"container"`
	Usage        *wireUsage        `json:"usage"`
}

// DecodeResponse converts an Anthropic Messages response body. Blocks with no
// canonical part (server tool use and results) are kept in
// Ext["anthropic"]["native_blocks"]; refusal stop_details and container
// ride in Ext too.
func DecodeResponse(body []byte) (*canonical.Response, error) { return decodeResponse(body, true) }

// decodeResponse optionally tries the one-pass path first, so tests can hold
// the two against each other.
func decodeResponse(body []byte, onePass bool) (*canonical.Response, error) {
	if firstByte(body) != '{' {
		return nil, upstreamf("anthropic response is not a JSON object")
	}
	if onePass {
		if resp, ok := decodeTextResponse(body); ok {
			return resp, nil
		}
		if resp, ok := decodePlainResponse(body); ok {
			return resp, nil
		}
	}
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, upstreamf("anthropic response is malformed: %v", err)
	}
	if w.Type != "" && w.Type != "message" {
		return nil, upstreamf("anthropic response has type %q, want message", w.Type)
	}
	resp := &canonical.Response{
		ID:           w.ID,
		Model:        w.Model,
		Content:      make([]canonical.Part, 0, len(w.Content)),
		FinishReason: finishFromStop(w.StopReason),
		StopSequence: w.StopSequence,
	}
	natives := nativeSet{}
	for i, raw := range w.Content {
		var b wireBlock
		if err := json.Unmarshal(raw, &b); err != nil {
			return nil, upstreamf("anthropic response content[%d] is malformed: %v", i, err)
		}
		p, err := blockToPart(&b, fmt.Sprintf("content[%d]", i))
		if errors.Is(err, errNative) {
			natives.add(-1, len(resp.Content), raw)
			continue
		}
		if err != nil {
			return nil, upstreamf("anthropic response content[%d] cannot be read: %s", i, canonical.As(err).Message)
		}
		resp.Content = append(resp.Content, p)
	}
	if w.Usage != nil {
		var u rawUsage
		u.merge(w.Usage)
		cu := u.canonical()
		resp.Usage = &cu
	}
	if raw, err := natives.marshal(); err != nil {
		return nil, err
	} else if raw != nil {
		resp.Ext.Set(provider, extNative, raw)
	}
	if !isNull(w.StopDetails) {
		resp.Ext.Set(provider, extStopDetails, w.StopDetails)
	}
	if !isNull(w.Container) {
		resp.Ext.Set(provider, extContainer, w.Container)
	}
	return resp, nil
}

// plainResponse is wireResponse with its blocks decoded in the same pass.
type plainResponse struct {
	wireResponse
	Content []wireBlock `json:"content"`
}

// decodePlainResponse decodes an answer whose blocks all have a canonical
// part in one encoding/json pass; DecodeResponse's general path scans every
// block twice to keep the raw bytes of blocks it does not model. false means
// "use the general path" (a server tool block, a malformed body, …), which
// then gives the same result or the exact error.
func decodePlainResponse(body []byte) (*canonical.Response, bool) {
	var w plainResponse
	if json.Unmarshal(body, &w) != nil || w.Type != "" && w.Type != "message" {
		return nil, false
	}
	resp := &canonical.Response{
		ID:           w.ID,
		Model:        w.Model,
		Content:      make([]canonical.Part, 0, len(w.Content)),
		FinishReason: finishFromStop(w.StopReason),
		StopSequence: w.StopSequence,
	}
	for i := range w.Content {
		p, err := blockToPart(&w.Content[i], "")
		if err != nil {
			return nil, false
		}
		resp.Content = append(resp.Content, p)
	}
	if w.Usage != nil {
		var u rawUsage
		u.merge(w.Usage)
		cu := u.canonical()
		resp.Usage = &cu
	}
	if !isNull(w.StopDetails) {
		resp.Ext.Set(provider, extStopDetails, w.StopDetails)
	}
	if !isNull(w.Container) {
		resp.Ext.Set(provider, extContainer, w.Container)
	}
	return resp, true
}

// outResponse is the Messages answer shown to an Anthropic client.
type outResponse struct {
	ID           string          `json:"id"`
	Type         string          `json:"type"`
	Role         string          `json:"role"`
	Model        string          `json:"model"`
	Content      []any           `json:"content"`
	StopReason   string          `json:"stop_reason"`
	StopSequence *string         `json:"stop_sequence"`
	StopDetails  json.RawMessage `json:"stop_details,omitempty"`
	Container    json.RawMessage `json:"container,omitempty"`
	Usage        json.RawMessage `json:"usage"`
}

// EncodeResponse renders resp as an Anthropic Messages response. A part
// Anthropic responses cannot carry (generated images) fails with a 502
// rather than being dropped from the answer.
func EncodeResponse(resp *canonical.Response) ([]byte, error) {
	if resp == nil {
		return nil, upstreamf("no response to encode")
	}
	natives, err := parseNative(resp.Ext.Get(provider, extNative))
	if err != nil {
		return nil, err
	}
	out := outResponse{
		ID:    messageID(resp.ID, resp),
		Type:  "message",
		Role:  "assistant",
		Model: resp.Model,
	}
	out.Content = make([]any, 0, len(resp.Content)+len(natives))
	sawToolCall := false
	for i := range resp.Content {
		var now []json.RawMessage
		now, natives = natives.take(-1, i)
		out.Content = appendRaw(out.Content, now)
		p := &resp.Content[i]
		b, ok, err := responseBlock(p, i)
		if err != nil {
			return nil, err
		}
		if ok {
			out.Content = append(out.Content, b)
		}
		sawToolCall = sawToolCall || p.Type == canonical.PartToolCall
	}
	for _, n := range natives {
		out.Content = append(out.Content, n.Block)
	}
	out.StopReason = stopFromFinish(resp.FinishReason, resp.StopSequence, sawToolCall)
	if resp.StopSequence != "" {
		out.StopSequence = &resp.StopSequence
	}
	out.StopDetails = resp.Ext.Get(provider, extStopDetails)
	out.Container = resp.Ext.Get(provider, extContainer)
	var u rawUsage
	if resp.Usage != nil {
		u = rawFromCanonical(*resp.Usage)
	}
	out.Usage = appendUsage(nil, u)
	body, err := marshalNoEscape(&out)
	if err != nil {
		return nil, fmt.Errorf("anthropic: marshal response: %w", err)
	}
	return body, nil
}

// responseBlock converts an answer part. Unsigned reasoning from another
// provider is still shown as a thinking block (the client reads it; only
// replaying it to Anthropic would fail, and the request encoder drops it).
func responseBlock(p *canonical.Part, index int) (outBlock, bool, error) {
	switch p.Type {
	case canonical.PartText, canonical.PartRefusal:
		return outBlock{Type: "text", Text: strp(p.Text)}, true, nil
	case canonical.PartReasoning:
		r := p.Reasoning
		if r != nil && r.Redacted {
			return outBlock{Type: "redacted_thinking", Data: r.Data}, true, nil
		}
		if p.Text == "" && (r == nil || r.Signature == "") {
			return outBlock{}, false, nil // an encrypted-only item has nothing to show
		}
		sig := ""
		if r != nil {
			sig = canonical.ShowSignature(provider, r.Provider, r.Signature)
		}
		return outBlock{Type: "thinking", Thinking: strp(p.Text), Signature: strp(sig)}, true, nil
	case canonical.PartToolCall:
		tc := p.ToolCall
		if tc == nil {
			return outBlock{}, false, upstreamf("tool call part without a call")
		}
		input := json.RawMessage(tc.Arguments)
		if firstByte(input) != '{' || !json.Valid(input) {
			// Arguments cut off by max_tokens are not an object; Anthropic
			// clients require one, and "{}" is what Anthropic itself shows.
			input = json.RawMessage("{}")
		}
		return outBlock{Type: "tool_use", ID: toolUseID(tc.ID, index, tc), Name: tc.Name, Input: input}, true, nil
	}
	return outBlock{}, false, upstreamf("response part type %q cannot be shown in an anthropic messages response", p.Type)
}

// messageID returns an id in Anthropic's msg_ form: an upstream msg_ id as
// is, another provider's id prefixed (traceable), or — when there is none —
// one derived from the content so repeated encodes agree.
func messageID(id string, resp *canonical.Response) string {
	if strings.HasPrefix(id, "msg_") {
		return id
	}
	if id != "" {
		return "msg_" + id
	}
	h := sha256.New()
	h.Write([]byte(resp.Model))
	for i := range resp.Content {
		h.Write([]byte(resp.Content[i].Text))
		if tc := resp.Content[i].ToolCall; tc != nil {
			h.Write([]byte(tc.ID + tc.Name + tc.Arguments))
		}
	}
	return "msg_" + hex.EncodeToString(h.Sum(nil)[:12])
}

// toolUseID returns the call id, deriving a stable one when the upstream
// gave none (Gemini function calls may lack ids): an Anthropic client must
// echo the id in its tool_result, and Anthropic rejects an empty one.
func toolUseID(id string, index int, tc *canonical.ToolCall) string {
	if id != "" {
		return id
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s", index, tc.Name, tc.Arguments)
	return "toolu_" + hex.EncodeToString(h.Sum(nil)[:12])
}
