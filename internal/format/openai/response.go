package openai

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

type wireResponse struct {
	ID                string          `json:"id"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	Choices           []wireChoice    `json:"choices"`
	Usage             *wireUsage      `json:"usage"`
	ServiceTier       string          `json:"service_tier"`
	SystemFingerprint string          `json:"system_fingerprint"`
	Error             json.RawMessage `json:"error"`
}

type wireChoice struct {
	Index        int         `json:"index"`
	Message      wireMessage `json:"message"`
	FinishReason string      `json:"finish_reason"`
}

// badUpstream is the 502 for an upstream success body that cannot be read
// as a chat completion (SPEC §9.4).
func badUpstream(msg string) *canonical.Error {
	return &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error", Message: msg}
}

// DecodeResponse converts a chat.completion body into the canonical
// response (choice 0). An error object in a 2xx body, a missing choice or a
// failed finish_reason yield a *canonical.Error.
func DecodeResponse(body []byte) (*canonical.Response, error) {
	var w wireResponse
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, badUpstream("upstream response is not a valid chat completion")
	}
	if k := rawKind(w.Error); k != 0 && k != 'n' {
		e := DecodeError(http.StatusBadGateway, body)
		e.Kind = canonical.KindUpstream
		return nil, e
	}
	ch := pickChoice(w.Choices)
	if ch == nil {
		return nil, badUpstream("upstream response has no choices")
	}
	resp := &canonical.Response{ID: w.ID, Model: w.Model, Created: w.Created}
	m, err := decodeAssistant(&ch.Message, "choices[0].message")
	if err != nil {
		return nil, badUpstream("upstream response message is malformed: " + canonical.As(err).Message)
	}
	resp.Content = m.Parts
	reason, failed := finishFromWire(ch.FinishReason)
	if failed {
		return nil, badUpstream("upstream generation failed (finish_reason " + ch.FinishReason + ")")
	}
	switch {
	case reason == canonical.FinishStop && hasToolCall(resp.Content):
		reason = canonical.FinishToolCalls
	case reason == canonical.FinishStop && hasPart(resp.Content, canonical.PartRefusal):
		// OpenAI ends a refusal with "stop"; canonically the model refused,
		// which other shapes must show (Anthropic stop_reason refusal).
		reason = canonical.FinishRefusal
	}
	resp.FinishReason = reason
	if w.Usage != nil {
		u := w.Usage.toCanonical()
		resp.Usage = &u
	}
	if w.ServiceTier != "" {
		resp.Ext.Set(providerKey, "service_tier", jsonString(w.ServiceTier))
	}
	if w.SystemFingerprint != "" {
		resp.Ext.Set(providerKey, "system_fingerprint", jsonString(w.SystemFingerprint))
	}
	return resp, nil
}

func pickChoice(cs []wireChoice) *wireChoice {
	for i := range cs {
		if cs[i].Index == 0 {
			return &cs[i]
		}
	}
	return nil
}

func hasToolCall(parts []canonical.Part) bool { return hasPart(parts, canonical.PartToolCall) }

func hasPart(parts []canonical.Part, t canonical.PartType) bool {
	for _, p := range parts {
		if p.Type == t {
			return true
		}
	}
	return false
}

func jsonString(s string) json.RawMessage { return appendJSONString(nil, s) }

// extString reads a string stamped into Ext["openai"], "" when absent.
func extString(ext canonical.Ext, key string) string {
	var s string
	if raw := ext.Get(providerKey, key); raw != nil && json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

type outResponse struct {
	ID                string          `json:"id"`
	Object            string          `json:"object"`
	Created           int64           `json:"created"`
	Model             string          `json:"model"`
	Choices           []outChoice     `json:"choices"`
	Usage             json.RawMessage `json:"usage,omitempty"`
	ServiceTier       string          `json:"service_tier,omitempty"`
	SystemFingerprint string          `json:"system_fingerprint,omitempty"`
}

type outChoice struct {
	Index        int            `json:"index"`
	Message      outRespMessage `json:"message"`
	Logprobs     *struct{}      `json:"logprobs"`
	FinishReason string         `json:"finish_reason"`
}

type outRespMessage struct {
	Role             string        `json:"role"`
	Content          *string       `json:"content"`
	Refusal          *string       `json:"refusal"`
	ReasoningContent string        `json:"reasoning_content,omitempty"`
	ToolCalls        []outToolCall `json:"tool_calls,omitempty"`
}

// EncodeResponse renders resp as a chat.completion body. Content OpenAI chat
// cannot show (images, documents, tool results) makes it fail with a 502
// rather than vanish.
func EncodeResponse(resp *canonical.Response) ([]byte, error) {
	msg := outRespMessage{Role: "assistant"}
	var text, refusal, reasoning strings.Builder
	hasText, hasRefusal := false, false
	for _, p := range resp.Content {
		switch p.Type {
		case canonical.PartText:
			text.WriteString(p.Text)
			hasText = true
		case canonical.PartRefusal:
			refusal.WriteString(p.Text)
			hasRefusal = true
		case canonical.PartReasoning:
			if p.Reasoning == nil || !p.Reasoning.Redacted {
				reasoning.WriteString(p.Text)
			}
		case canonical.PartToolCall:
			args := p.ToolCall.Arguments
			if args == "" {
				args = "{}"
			}
			msg.ToolCalls = append(msg.ToolCalls, outToolCall{ID: p.ToolCall.ID, Type: "function", Function: outFunction{Name: p.ToolCall.Name, Arguments: args}})
		default:
			return nil, badUpstream("the upstream answer holds " + string(p.Type) + " content, which OpenAI chat completions cannot carry")
		}
	}
	if hasText {
		s := text.String()
		msg.Content = &s
	}
	if hasRefusal {
		s := refusal.String()
		msg.Refusal = &s
	}
	msg.ReasoningContent = reasoning.String()
	out := outResponse{
		ID: resp.ID, Object: "chat.completion", Created: resp.Created, Model: resp.Model,
		Choices:           []outChoice{{Message: msg, FinishReason: finishToWire(resp.FinishReason, msg.ToolCalls != nil, hasRefusal)}},
		ServiceTier:       extString(resp.Ext, "service_tier"),
		SystemFingerprint: extString(resp.Ext, "system_fingerprint"),
	}
	if resp.Usage != nil {
		out.Usage = appendUsage(nil, resp.Usage)
	}
	b, err := marshalNoEscape(out)
	if err != nil {
		return nil, canonical.As(err)
	}
	return b, nil
}
