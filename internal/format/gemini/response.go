package gemini

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Response-side Ext keys stamped by DecodeResponse so a Gemini client of a
// Gemini upstream gets the exact wire reason back from EncodeResponse.
const (
	extFinishReason = "finish_reason" // wire finishReason when it is not the default for the canonical reason
	extBlockReason  = "block_reason"  // promptFeedback.blockReason
)

// finishFromWire maps finishReason (SPEC §6.6). A STOP turn that called a
// function finishes as tool_calls, because Gemini has no separate reason.
func finishFromWire(reason string, calledTool bool) canonical.FinishReason {
	var f canonical.FinishReason
	switch reason {
	case "MAX_TOKENS":
		f = canonical.FinishLength
	case "SAFETY", "RECITATION", "LANGUAGE", "PROHIBITED_CONTENT", "SPII", "BLOCKLIST", "IMAGE_SAFETY", "MODEL_ARMOR",
		"IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		f = canonical.FinishContentFilter
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL", "TOO_MANY_TOOL_CALLS":
		f = canonical.FinishToolCalls
	default: // STOP, OTHER, FINISH_REASON_UNSPECIFIED, ""
		f = canonical.FinishStop
	}
	if f == canonical.FinishStop && calledTool {
		f = canonical.FinishToolCalls
	}
	return f
}

// finishToWire maps a canonical reason to finishReason (SPEC §6.6).
// Anthropic's refusal shows as SAFETY; pause_turn, which Gemini lacks, as STOP.
func finishToWire(f canonical.FinishReason) string {
	switch f {
	case canonical.FinishLength:
		return "MAX_TOKENS"
	case canonical.FinishContentFilter, canonical.FinishRefusal:
		return "SAFETY"
	}
	return "STOP"
}

// usageFromWire applies SPEC §5.10: output includes thoughts; the prompt
// count already includes cached content.
func usageFromWire(u *usageMetadata) canonical.Usage {
	return canonical.Usage{
		InputTokens:     u.PromptTokenCount,
		OutputTokens:    u.CandidatesTokenCount + u.ThoughtsTokenCount,
		CacheReadTokens: u.CachedContentTokenCount,
		ReasoningTokens: u.ThoughtsTokenCount,
	}
}

// DecodeResponse parses a generateContent body (first candidate). A prompt
// blocked by promptFeedback comes back as content_filter with no content.
func DecodeResponse(body []byte) (*canonical.Response, error) {
	var w genResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway,
			Message: "upstream returned a malformed generateContent response", Cause: fmt.Errorf("gemini: decode response: %w", err)}
	}
	if w.Error != nil && len(w.Candidates) == 0 {
		return nil, DecodeError(0, body)
	}
	resp := &canonical.Response{ID: w.ResponseID, Model: w.ModelVersion, Content: []canonical.Part{}}
	if t, err := time.Parse(time.RFC3339Nano, w.CreateTime); err == nil {
		resp.Created = t.Unix()
	}
	if w.UsageMetadata.present() {
		u := usageFromWire(&w.UsageMetadata)
		resp.Usage = &u
	}
	c := firstCandidate(w.Candidates)
	if c == nil {
		resp.FinishReason = canonical.FinishStop
		if w.PromptFeedback != nil {
			resp.FinishReason = canonical.FinishContentFilter
			// Present even when empty: it marks "the prompt was blocked".
			raw, _ := json.Marshal(w.PromptFeedback.BlockReason)
			resp.Ext.Set(provider, extBlockReason, raw)
		}
		return resp, nil
	}
	calls := 0
	for j := range c.Content.Parts {
		p := &c.Content.Parts[j]
		p.merge()
		if p.unsupportedKind() != "" {
			continue // code-execution output (Ext tools): no canonical form; the answer text follows it
		}
		if fc := p.FunctionCall; fc != nil {
			tc, err := responseCall(w.ResponseID, calls, fc, p.ThoughtSignature)
			if err != nil {
				return nil, err
			}
			calls++
			resp.Content = append(resp.Content, canonical.Part{Type: canonical.PartToolCall, ToolCall: tc})
			continue
		}
		cp, ok, err := contentPart(fmt.Sprintf("candidates[0].content.parts[%d]", j), p)
		if err != nil {
			return nil, &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway,
				Message: "upstream returned content the gateway cannot represent", Cause: err}
		}
		if ok {
			resp.Content = append(resp.Content, cp)
		}
	}
	resp.FinishReason = finishFromWire(c.FinishReason, calls > 0)
	if c.FinishReason != "" && c.FinishReason != finishToWire(resp.FinishReason) {
		raw, _ := json.Marshal(c.FinishReason)
		resp.Ext.Set(provider, extFinishReason, raw)
	}
	return resp, nil
}

func responseCall(respID string, n int, fc *functionCall, sig string) (*canonical.ToolCall, error) {
	args, err := argsText(fc.Args)
	if err != nil {
		return nil, &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway,
			Message: "upstream returned function-call args that are not an object", Cause: err}
	}
	id := fc.ID
	if id == "" {
		id = syntheticID(respID, n)
	}
	return &canonical.ToolCall{ID: id, Name: fc.Name, Arguments: args, ThoughtSignature: sig}, nil
}

// firstCandidate returns the candidate with index 0 (the gateway asks for
// one candidate; others are ignored).
func firstCandidate(cs []candidate) *candidate {
	for i := range cs {
		if cs[i].Index == 0 {
			return &cs[i]
		}
	}
	return nil
}

type outResponseBody struct {
	Candidates     []outCandidate `json:"candidates"`
	PromptFeedback *outFeedback   `json:"promptFeedback,omitempty"`
	UsageMetadata  *outUsage      `json:"usageMetadata,omitempty"`
	ModelVersion   string         `json:"modelVersion,omitempty"`
	ResponseID     string         `json:"responseId,omitempty"`
}

type outCandidate struct {
	Content      outContent `json:"content"`
	FinishReason string     `json:"finishReason,omitempty"`
	Index        int        `json:"index"`
}

type outFeedback struct {
	BlockReason string `json:"blockReason,omitempty"`
}

type outUsage struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount,omitempty"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount,omitempty"`
}

func usageToWire(u canonical.Usage) *outUsage {
	return &outUsage{
		PromptTokenCount:        u.InputTokens,
		CandidatesTokenCount:    max(u.OutputTokens-u.ReasoningTokens, 0),
		TotalTokenCount:         u.InputTokens + u.OutputTokens,
		CachedContentTokenCount: u.CacheReadTokens,
		ThoughtsTokenCount:      u.ReasoningTokens,
	}
}

// EncodeResponse renders a canonical response as a generateContent body
// with one candidate. Tool calls go out whole with their thought signatures;
// synthesized call ids are left out (doc.go).
func EncodeResponse(resp *canonical.Response) ([]byte, error) {
	if resp == nil {
		return nil, fmt.Errorf("gemini: encode response: nil response")
	}
	out := outResponseBody{ModelVersion: resp.Model, ResponseID: resp.ID}
	cand := outCandidate{Content: outContent{Role: "model", Parts: []outPart{}}, FinishReason: finishToWire(resp.FinishReason)}
	var wire string
	if json.Unmarshal(resp.Ext.Get(provider, extFinishReason), &wire) == nil && wire != "" &&
		finishFromWire(wire, resp.FinishReason == canonical.FinishToolCalls) == resp.FinishReason {
		cand.FinishReason = wire
	}
	for j := range resp.Content {
		p := &resp.Content[j]
		op, ok, err := responsePart(p)
		if err != nil {
			return nil, fmt.Errorf("gemini: encode response content[%d]: %w", j, err)
		}
		if ok {
			cand.Content.Parts = append(cand.Content.Parts, op)
		}
	}
	var block string
	if json.Unmarshal(resp.Ext.Get(provider, extBlockReason), &block) == nil && len(resp.Content) == 0 {
		// The prompt itself was blocked: Gemini answers with feedback and no candidate.
		out.PromptFeedback = &outFeedback{BlockReason: block}
		out.Candidates = []outCandidate{}
	} else {
		out.Candidates = []outCandidate{cand}
	}
	if resp.Usage != nil {
		out.UsageMetadata = usageToWire(*resp.Usage)
	}
	return marshal(out)
}

// responsePart renders one content part of model output.
func responsePart(p *canonical.Part) (outPart, bool, error) {
	switch p.Type {
	case canonical.PartText, canonical.PartRefusal:
		if p.Text == "" && p.ThoughtSignature == "" {
			return outPart{}, false, nil
		}
		op := textPart(p.Text)
		op.ThoughtSignature = p.ThoughtSignature
		return op, true, nil
	case canonical.PartReasoning:
		if p.Reasoning != nil && p.Reasoning.Redacted {
			return outPart{}, false, nil // opaque to Gemini clients
		}
		op := textPart(p.Text)
		op.Thought = true
		if r := p.Reasoning; r != nil {
			op.ThoughtSignature = canonical.ShowSignature(provider, r.Provider, r.Signature)
		}
		return op, true, nil
	case canonical.PartToolCall:
		if p.ToolCall == nil {
			return outPart{}, false, fmt.Errorf("tool_call part without a call")
		}
		args, _ := argsObject(p.ToolCall.Arguments)
		return outPart{
			FunctionCall:     &outCall{ID: wireID(p.ToolCall.ID), Name: p.ToolCall.Name, Args: args},
			ThoughtSignature: p.ToolCall.ThoughtSignature,
		}, true, nil
	case canonical.PartImage, canonical.PartAudio, canonical.PartDocument:
		if p.Media == nil {
			return outPart{}, false, nil
		}
		if len(p.Media.Data) > 0 {
			return outPart{InlineData: &outBlob{MIMEType: p.Media.MIMEType, Data: p.Media.Data}}, true, nil
		}
		if p.Media.URL != "" {
			return outPart{FileData: &outFileData{MIMEType: p.Media.MIMEType, FileURI: p.Media.URL}}, true, nil
		}
	}
	return outPart{}, false, nil
}
