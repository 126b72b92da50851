package estimate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// prompt is the countable text of a request body, whatever API shape it was
// written in (SPEC §11.10 step 2): OpenAI chat messages, Anthropic system and
// messages, Responses input and instructions, Gemini contents and
// systemInstruction, or an embeddings input. It is built once per estimate
// request and read by every target concurrently, so it is never modified
// after parsePrompt returns.
type prompt struct {
	messages []message
	// embedTexts and embedTokens are the inputs when the body is read as an
	// embeddings request (input: string | string[] | token arrays).
	embedTexts  []string
	embedTokens int // pre-tokenized inputs: already a token count
	tools       []toolDef
	// serverTools counts provider-run tools (web search, tool search, code
	// execution, …): they add system prompts no one publishes.
	serverTools int
	// forcedTool is set when tool_choice forces a call (any/required/a
	// name); Anthropic's tool-use system prompt is shorter then.
	forcedTool bool
	// schema is the compact JSON of a structured-output schema, which
	// providers render into the prompt.
	schema string
	// chat is set for a Chat Completions (or Messages) body: one with a
	// messages array.
	chat bool
	// thinking is set when the body turns on extended thinking
	// (Anthropic thinking.type "enabled" or "adaptive").
	thinking bool
	media    int // images, audio and documents: not counted

	knobs knobs
}

// message is one turn: its role and the texts it carries (content text,
// tool-call arguments, tool results).
type message struct {
	role, name string
	texts      []string
	// toolCalls and toolResults count the calls and results the turn
	// carries: each has framing beyond its text.
	toolCalls, toolResults int
}

// knobs are the body's output and reasoning settings (SPEC §11.10 steps 4, 6).
type knobs struct {
	maxTokens int    // first of max_completion_tokens, max_tokens, max_output_tokens, maxOutputTokens; 0 = unset
	effort    string // minimal|low|medium|high, "" = none stated
	effortRaw string // what the body said, when it could not be understood
}

// parsePrompt reads the body of an estimate's "request". It fails only
// when a member has a type no supported shape allows.
func parsePrompt(raw json.RawMessage) (*prompt, error) {
	var w wireBody
	if err := json.Unmarshal(raw, &w); err != nil {
		return nil, &fieldError{path: "request", err: err}
	}
	p := &prompt{}
	if err := p.system(w.System); err != nil {
		return nil, fmt.Errorf("request.system: %w", err)
	}
	if t, ok := rawString(w.Instructions); ok && t != "" {
		p.messages = append(p.messages, message{role: "system", texts: []string{t}})
	}
	for _, si := range []*geminiContent{w.SystemInstruction, w.SystemInstr2} {
		if si != nil {
			m := message{role: "system"}
			p.parts(&m, si.Parts)
			p.messages = append(p.messages, m)
		}
	}
	p.chat = len(w.Messages) > 0
	for i, wm := range w.Messages {
		m := message{role: wm.Role, name: wm.Name}
		if err := p.content(&m, wm.Content); err != nil {
			return nil, fmt.Errorf("request.messages[%d].content: %w", i, err)
		}
		for _, tc := range wm.ToolCalls {
			m.texts = appendText(m.texts, tc.Function.Name, tc.Function.Arguments)
			m.toolCalls++
		}
		if wm.Role == "tool" || wm.ToolCallID != "" {
			m.toolResults++
		}
		p.messages = append(p.messages, m)
	}
	for _, c := range w.Contents {
		m := message{role: c.Role}
		if m.role == "" {
			m.role = "user"
		}
		p.parts(&m, c.Parts)
		p.messages = append(p.messages, m)
	}
	if err := p.input(w.Input); err != nil {
		return nil, fmt.Errorf("request.input: %w", err)
	}
	for _, t := range w.Tools {
		p.tool(t)
	}
	p.forcedTool = forcedChoice(w.ToolChoice) ||
		(w.ToolConfig != nil && strings.EqualFold(w.ToolConfig.FunctionCallingConfig.Mode, "ANY"))
	p.schema = compactJSON(structuredSchema(&w))
	for _, th := range []*wireThinking{w.Thinking, nexusThinking(&w)} {
		if th != nil && (th.Type == "enabled" || th.Type == "adaptive") {
			p.thinking = true
		}
	}
	p.knobs = readKnobs(&w)
	return p, nil
}

// fieldError locates a JSON decoding error inside the estimate body.
type fieldError struct {
	path string
	err  error
}

func (e *fieldError) Error() string { return e.path + ": " + e.err.Error() }
func (e *fieldError) Unwrap() error { return e.err }

// system reads Anthropic's system: a string or an array of text blocks.
func (p *prompt) system(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	m := message{role: "system"}
	if err := p.content(&m, raw); err != nil {
		return err
	}
	p.messages = append(p.messages, m)
	return nil
}

// content reads a message content: a string, null, or an array of parts.
func (p *prompt) content(m *message, raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	if s, ok := rawString(raw); ok {
		m.texts = appendText(m.texts, s)
		return nil
	}
	var parts []wirePart
	if json.Unmarshal(raw, &parts) != nil {
		return errors.New("must be a string or an array of content parts")
	}
	p.parts(m, parts)
	return nil
}

// parts collects the text of content parts; media are counted, not read.
// Nested content (tool results, Responses message items) is read in place.
func (p *prompt) parts(m *message, parts []wirePart) {
	for i := range parts {
		pt := &parts[i]
		switch {
		case pt.Type == "thinking" || pt.Type == "redacted_thinking" || pt.Type == "reasoning":
			// Earlier turns' reasoning is dropped or summarised by the
			// providers before billing; counting it would overshoot.
		case pt.Text != nil:
			m.texts = appendText(m.texts, *pt.Text)
		case pt.FunctionCall != nil:
			m.texts = appendText(m.texts, pt.FunctionCall.Name, compactJSON(pt.FunctionCall.Args))
			m.toolCalls++
		case pt.FunctionResponse != nil:
			m.texts = appendText(m.texts, pt.FunctionResponse.Name, compactJSON(pt.FunctionResponse.Response))
			m.toolResults++
		case pt.Type == "tool_use":
			m.texts = appendText(m.texts, pt.Name, compactJSON(pt.Input))
			m.toolCalls++
		case pt.Arguments != nil: // Responses function_call item
			m.texts = appendText(m.texts, pt.Name, *pt.Arguments)
			m.toolCalls++
		case len(pt.Output) > 0: // Responses function_call_output item
			m.toolResults++
			if s, ok := rawString(pt.Output); ok {
				m.texts = appendText(m.texts, s)
			} else {
				_ = p.content(m, pt.Output)
			}
		case len(pt.Content) > 0: // tool_result, Responses message item
			if pt.Type == "tool_result" {
				m.toolResults++
			}
			_ = p.content(m, pt.Content)
		case isMedia(pt):
			p.media++
		}
	}
}

func isMedia(pt *wirePart) bool {
	switch pt.Type {
	case "image", "image_url", "input_image", "document", "file", "input_file", "input_audio", "audio":
		return true
	}
	return len(pt.InlineData) > 0 || len(pt.FileData) > 0
}

// input reads "input": Responses input (a string or items) and, for
// embedding targets, the embeddings input (a string, strings, or token
// arrays). Both readings are kept; the target decides which applies.
func (p *prompt) input(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	if s, ok := rawString(raw); ok {
		p.embedTexts = append(p.embedTexts, s)
		p.messages = append(p.messages, message{role: "user", texts: []string{s}})
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return errors.New("must be a string or an array")
	}
	for i, it := range items {
		it = bytes.TrimSpace(it)
		switch {
		case len(it) > 0 && it[0] == '"':
			s, _ := rawString(it)
			p.embedTexts = append(p.embedTexts, s)
			p.messages = append(p.messages, message{role: "user", texts: []string{s}})
		case len(it) > 0 && it[0] == '[': // pre-tokenized embeddings input
			var ids []json.RawMessage
			if json.Unmarshal(it, &ids) != nil {
				return fmt.Errorf("[%d] must be an array of token ids", i)
			}
			p.embedTokens += len(ids)
		case len(it) > 0 && it[0] == '{':
			var pt wirePart
			if json.Unmarshal(it, &pt) != nil {
				return fmt.Errorf("[%d] is not a valid input item", i)
			}
			role := pt.Role
			if role == "" {
				role = "user"
			}
			m := message{role: role}
			p.parts(&m, []wirePart{pt})
			p.messages = append(p.messages, m)
		default: // a bare token id: the whole input is one token array
			p.embedTokens++
		}
	}
	return nil
}

// tool records one tool definition. Provider-run tools (web search, …)
// carry no schema to count; they are only tallied.
func (p *prompt) tool(t wireTool) {
	add := func(name, desc string, params json.RawMessage) {
		if name != "" || desc != "" || len(params) > 0 {
			p.tools = append(p.tools, toolDef{name: name, description: desc, params: params})
		}
	}
	switch {
	case t.Function != nil:
		f := t.Function
		add(f.Name, f.Description, firstRaw(f.Parameters, f.ParametersJSONSchema, f.ParametersJSONSnake))
	case len(t.FunctionDeclarations) > 0 || len(t.FunctionDecls2) > 0:
		for _, d := range append(t.FunctionDeclarations, t.FunctionDecls2...) {
			add(d.Name, d.Description, firstRaw(d.Parameters, d.ParametersJSONSchema, d.ParametersJSONSnake))
		}
	case t.Type == "" || t.Type == "function" || t.Type == "custom":
		add(t.Name, t.Description, firstRaw(t.Parameters, t.InputSchema))
	default:
		p.serverTools++
	}
}

// forcedChoice reports a tool_choice that forces a call: OpenAI "required"
// or a named function, Anthropic {"type":"any"} or {"type":"tool"}.
func forcedChoice(raw json.RawMessage) bool {
	if s, ok := rawString(raw); ok {
		return s == "required"
	}
	var c struct {
		Type string `json:"type"`
	}
	if isNull(raw) || json.Unmarshal(raw, &c) != nil {
		return false
	}
	return c.Type == "any" || c.Type == "tool" || c.Type == "function"
}

// structuredSchema finds a structured-output schema in any shape.
func structuredSchema(w *wireBody) json.RawMessage {
	switch {
	case w.ResponseFormat != nil && w.ResponseFormat.JSONSchema != nil:
		return w.ResponseFormat.JSONSchema.Schema
	case w.Text != nil && w.Text.Format != nil:
		return w.Text.Format.Schema
	case w.OutputConfig != nil && w.OutputConfig.Format != nil:
		return w.OutputConfig.Format.Schema
	}
	for _, g := range []*geminiGenConf{w.GenerationConfig, w.GenerationConfig2} {
		if g != nil {
			if r := firstRaw(g.ResponseSchema, g.ResponseJSONSchema); r != nil {
				return r
			}
		}
	}
	return nil
}

func firstRaw(rs ...json.RawMessage) json.RawMessage {
	for _, r := range rs {
		if !isNull(r) {
			return r
		}
	}
	return nil
}

func appendText(dst []string, texts ...string) []string {
	for _, t := range texts {
		if t != "" {
			dst = append(dst, t)
		}
	}
	return dst
}

func isNull(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// rawString decodes raw as a JSON string; ok is false for other types.
func rawString(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// compactJSON renders a JSON value without insignificant whitespace, the
// form a provider's prompt template is closest to.
func compactJSON(raw json.RawMessage) string {
	if isNull(raw) {
		return ""
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}
