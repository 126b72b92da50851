package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Encode-side wire types: lowerCamel only, optional fields omitted.

type outRequest struct {
	Contents          []outContent      `json:"contents"`
	SystemInstruction *outContent       `json:"systemInstruction,omitempty"`
	Tools             []json.RawMessage `json:"tools,omitempty"`
	ToolConfig        json.RawMessage   `json:"toolConfig,omitempty"`
	SafetySettings    json.RawMessage   `json:"safetySettings,omitempty"`
	GenerationConfig  json.RawMessage   `json:"generationConfig,omitempty"`
	CachedContent     string            `json:"cachedContent,omitempty"`
}

type outContent struct {
	Role  string    `json:"role,omitempty"`
	Parts []outPart `json:"parts"`
}

// outPart: Text is a pointer because a signature-only part must still carry
// "text":"" (a Part needs one data field).
type outPart struct {
	Text             *string      `json:"text,omitempty"`
	Thought          bool         `json:"thought,omitempty"`
	InlineData       *outBlob     `json:"inlineData,omitempty"`
	FileData         *outFileData `json:"fileData,omitempty"`
	FunctionCall     *outCall     `json:"functionCall,omitempty"`
	FunctionResponse *outResponse `json:"functionResponse,omitempty"`
	ThoughtSignature string       `json:"thoughtSignature,omitempty"`
}

type outBlob struct {
	MIMEType string `json:"mimeType"`
	Data     []byte `json:"data"` // encoding/json writes standard base64
}

type outFileData struct {
	MIMEType string `json:"mimeType,omitempty"`
	FileURI  string `json:"fileUri"`
}

type outCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type outResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type outDeclaration struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

// skipSignature is Google's documented placeholder thoughtSignature for
// function calls the client did not get from Gemini (history written by
// another model or rebuilt by a client that dropped the field). Gemini 3
// rejects a function-call turn without any signature with a 400.
const skipSignature = "skip_thought_signature_validator"

// EncodeRequest renders req as a generateContent body. upstreamModel is not
// written (Gemini takes the model from the URL) but selects model-dependent
// mappings: reasoning effort → thinkingLevel (Gemini 3+) or thinkingBudget
// (2.5), and the Gemini 3 thought-signature placeholder. What Gemini cannot
// honour is refused with a nexus_field_unsupported 400; pure hints are
// dropped and reported as coercions (doc.go lists both).
func EncodeRequest(req *canonical.Request, upstreamModel string) ([]byte, []canonical.Coercion, error) {
	if req == nil {
		return nil, nil, invalid("", "request is empty")
	}
	e := &requestEncoder{req: req, model: modelID(upstreamModel), callNames: map[string]string{}}
	out, err := e.encode()
	if err != nil {
		return nil, nil, err
	}
	body, err := marshal(out)
	if err != nil {
		return nil, nil, fmt.Errorf("gemini: encode request: %w", err)
	}
	return body, e.coercions, nil
}

type requestEncoder struct {
	req       *canonical.Request
	model     string
	coercions []canonical.Coercion
	// callNames maps tool-call ids seen so far to function names: Gemini's
	// functionResponse needs the name, which OpenAI tool messages lack.
	callNames map[string]string
}

func (e *requestEncoder) coerce(field, to string) {
	for _, c := range e.coercions {
		if c.Field == field {
			return
		}
	}
	e.coercions = append(e.coercions, canonical.Coercion{Field: field, To: to})
}

func (e *requestEncoder) encode() (*outRequest, error) {
	req := e.req
	out := &outRequest{Contents: []outContent{}}
	var system []outPart
	for j, p := range req.System {
		if p.Type != canonical.PartText {
			return nil, unsupported(fmt.Sprintf("system[%d]", j), "a Gemini systemInstruction holds text only")
		}
		e.noteCache(p)
		if p.Text != "" {
			system = append(system, textPart(p.Text))
		}
	}
	if err := e.contents(out, &system); err != nil {
		return nil, err
	}
	if len(system) > 0 {
		out.SystemInstruction = &outContent{Parts: system}
	}
	if len(out.Contents) == 0 {
		return nil, invalid("messages", "at least one user or assistant message is required")
	}
	if err := e.tools(out); err != nil {
		return nil, err
	}
	gc, err := e.generationConfig()
	if err != nil {
		return nil, err
	}
	out.GenerationConfig = gc
	if raw := req.Ext.Get(provider, extSafetySettings); !isNull(raw) {
		out.SafetySettings = raw
	}
	if raw := req.Ext.Get(provider, extCachedContent); !isNull(raw) {
		if json.Unmarshal(raw, &out.CachedContent) != nil {
			return nil, invalid("nexus.ext.gemini.cached_content", "nexus.ext.gemini.cached_content must be a string")
		}
	}
	// Other providers' parameters (OpenAI logprobs, Anthropic server
	// tools, …): hints are dropped and reported, the rest refused.
	coerced, param, why := req.Ext.Foreign(provider)
	if param != "" {
		return nil, unsupported(param, why)
	}
	for _, c := range coerced {
		e.coerce(c.Field, c.To)
	}
	if req.User != "" {
		e.coerce("user", "removed")
	}
	if len(req.Metadata) > 0 {
		e.coerce("metadata", "removed")
	}
	if req.ParallelToolCalls != nil && !*req.ParallelToolCalls {
		e.coerce("parallel_tool_calls", "removed")
	}
	return out, nil
}

// contents maps messages to turns. Leading system messages join the system
// instruction. Tool results become functionResponse parts of a user turn;
// consecutive tool messages, and a user message next to them, share that
// turn, since Gemini wants all responses to a parallel call in one content.
func (e *requestEncoder) contents(out *outRequest, system *[]outPart) error {
	seenTurn := false
	lastHasTool := false
	for i, m := range e.req.Messages {
		if m.Name != "" {
			e.coerce("messages.name", "removed")
		}
		var role string
		switch m.Role {
		case canonical.RoleSystem:
			if seenTurn {
				return unsupported(fmt.Sprintf("messages[%d]", i), "Gemini has one systemInstruction and no system turns inside the conversation")
			}
			for j, p := range m.Parts {
				if p.Type != canonical.PartText {
					return unsupported(fmt.Sprintf("messages[%d].parts[%d]", i, j), "a Gemini systemInstruction holds text only")
				}
				if p.Text != "" {
					*system = append(*system, textPart(p.Text))
				}
			}
			continue
		case canonical.RoleUser, canonical.RoleTool:
			role = "user"
		case canonical.RoleAssistant:
			role = "model"
		default:
			return invalid(fmt.Sprintf("messages[%d].role", i), "unknown role %q", m.Role)
		}
		seenTurn = true
		parts, hasTool, err := e.parts(i, m)
		if err != nil {
			return err
		}
		if len(parts) == 0 {
			continue
		}
		n := len(out.Contents)
		if role == "user" && n > 0 && out.Contents[n-1].Role == "user" && (hasTool || lastHasTool) {
			out.Contents[n-1].Parts = append(out.Contents[n-1].Parts, parts...)
			lastHasTool = true
			continue
		}
		out.Contents = append(out.Contents, outContent{Role: role, Parts: parts})
		lastHasTool = hasTool
	}
	if needsSignatures(e.model) {
		for i := range out.Contents {
			if out.Contents[i].Role == "model" && fillSignature(out.Contents[i].Parts) {
				e.coerce("thought_signature", skipSignature)
			}
		}
	}
	return nil
}

// fillSignature gives the first functionCall of a model turn the placeholder
// signature when no call of that turn has one; true if it did.
func fillSignature(parts []outPart) bool {
	first := -1
	for k := range parts {
		if parts[k].FunctionCall == nil {
			continue
		}
		if parts[k].ThoughtSignature != "" {
			return false
		}
		if first < 0 {
			first = k
		}
	}
	if first < 0 {
		return false
	}
	parts[first].ThoughtSignature = skipSignature
	return true
}

func (e *requestEncoder) parts(i int, m canonical.Message) ([]outPart, bool, error) {
	var parts []outPart
	hasTool := false
	for j := range m.Parts {
		p := &m.Parts[j]
		at := fmt.Sprintf("messages[%d].parts[%d]", i, j)
		e.noteCache(*p)
		switch p.Type {
		case canonical.PartText, canonical.PartRefusal:
			if p.Text == "" && p.ThoughtSignature == "" {
				continue // Gemini rejects empty text parts
			}
			op := textPart(p.Text)
			op.ThoughtSignature = p.ThoughtSignature
			parts = append(parts, op)
		case canonical.PartImage, canonical.PartDocument, canonical.PartAudio:
			op, err := e.media(at, p)
			if err != nil {
				return nil, false, err
			}
			parts = append(parts, op)
		case canonical.PartReasoning:
			if m.Role != canonical.RoleAssistant {
				return nil, false, invalid(at, "%s: reasoning parts belong to assistant messages", at)
			}
			r := p.Reasoning
			if r != nil && r.Redacted || p.Text == "" && (r == nil || r.Signature == "") {
				// Opaque payloads of another provider (Anthropic redacted
				// thinking, OpenAI encrypted reasoning) mean nothing to Gemini.
				if r != nil && (r.Redacted || r.Data != "") {
					e.coerce("reasoning", "removed")
				}
				continue
			}
			op := textPart(p.Text)
			op.Thought = true
			switch {
			case r == nil:
			case r.ReplayableBy(provider):
				op.ThoughtSignature = r.Signature
			default:
				// Another provider's signature (Anthropic thinking) fails
				// Gemini's validation; the thought text is still history.
				e.coerce("reasoning_signature", "removed")
				if p.Text == "" {
					continue
				}
			}
			parts = append(parts, op)
		case canonical.PartToolCall:
			if m.Role != canonical.RoleAssistant || p.ToolCall == nil {
				return nil, false, invalid(at, "%s: tool calls belong to assistant messages", at)
			}
			op, err := e.toolCall(at, p.ToolCall)
			if err != nil {
				return nil, false, err
			}
			parts = append(parts, op)
		case canonical.PartToolResult:
			if m.Role == canonical.RoleAssistant || p.ToolResult == nil {
				return nil, false, invalid(at, "%s: tool results belong to tool messages", at)
			}
			op, err := e.toolResult(at, p.ToolResult)
			if err != nil {
				return nil, false, err
			}
			parts = append(parts, op)
			hasTool = true
		default:
			return nil, false, invalid(at+".type", "unknown part type %q", p.Type)
		}
	}
	return parts, hasTool, nil
}

func (e *requestEncoder) noteCache(p canonical.Part) {
	if p.CacheControl != "" {
		e.coerce("cache_control", "removed")
	}
}

func (e *requestEncoder) toolCall(at string, tc *canonical.ToolCall) (outPart, error) {
	if tc.Name == "" {
		return outPart{}, invalid(at+".tool_call.name", "%s: tool call has no name", at)
	}
	e.callNames[tc.ID] = tc.Name
	args, wrapped := argsObject(tc.Arguments)
	if wrapped {
		e.coerce("tool_calls.arguments", "wrapped_raw")
	}
	return outPart{
		FunctionCall:     &outCall{ID: wireID(tc.ID), Name: tc.Name, Args: args},
		ThoughtSignature: tc.ThoughtSignature,
	}, nil
}

// argsObject turns canonical argument text into the object Gemini requires.
// Empty text is {}. Text that is not a JSON object (a model can emit broken
// JSON) is wrapped as {"_raw": text} rather than refused, so a conversation
// holding such a call can still continue; wrapped reports that it happened.
func argsObject(text string) (json.RawMessage, bool) {
	t := strings.TrimSpace(text)
	if t == "" {
		return json.RawMessage("{}"), false
	}
	var buf bytes.Buffer
	if s, ok := compactObject(&buf, []byte(t)); ok {
		return json.RawMessage(s), false
	}
	return append(appendString([]byte(`{"_raw":`), text), '}'), true
}

// toolResult renders a functionResponse. Gemini needs the function name:
// ToolResult.Name, else the name of the earlier call with the same id. A
// result whose text is a JSON object is the response as is; other text is
// wrapped as {"result": text} ({"error": text} for error results, the key
// Google documents for failures).
func (e *requestEncoder) toolResult(at string, tr *canonical.ToolResult) (outPart, error) {
	name := tr.Name
	if name == "" {
		name = e.callNames[tr.CallID]
	}
	if name == "" {
		return outPart{}, unsupported(at+".tool_result.name",
			fmt.Sprintf("a Gemini functionResponse needs the function name, and no earlier tool call has id %q", tr.CallID))
	}
	var text strings.Builder
	for k, c := range tr.Content {
		if c.Type != canonical.PartText {
			return outPart{}, unsupported(fmt.Sprintf("%s.tool_result.content[%d]", at, k), "Gemini function responses carry JSON, not "+string(c.Type)+" parts")
		}
		text.WriteString(c.Text)
	}
	var resp json.RawMessage
	var buf bytes.Buffer
	if s, ok := compactObject(&buf, []byte(text.String())); ok {
		resp = json.RawMessage(s)
	} else {
		key := `{"result":`
		if tr.IsError {
			key = `{"error":`
		}
		resp = append(appendString([]byte(key), text.String()), '}')
	}
	return outPart{FunctionResponse: &outResponse{ID: wireID(tr.CallID), Name: name, Response: resp}}, nil
}

func textPart(s string) outPart {
	return outPart{Text: &s}
}
