package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// encoder accumulates the coercions of one EncodeRequest call, once per field.
type encoder struct {
	coerced []canonical.Coercion
}

func (e *encoder) coerce(field, to string) {
	c := canonical.Coercion{Field: field, To: to}
	if !slices.Contains(e.coerced, c) {
		e.coerced = append(e.coerced, c)
	}
}

// EncodeRequest renders req as a Chat Completions body for an OpenAI-family
// upstream serving upstreamModel (req.Model when empty). Streaming requests
// always ask for usage (SPEC §6.7). What the wire cannot express is refused
// with 400 nexus_field_unsupported; documented hints are dropped and listed
// as coercions (doc.go).
func EncodeRequest(req *canonical.Request, upstreamModel string) ([]byte, []canonical.Coercion, error) {
	return EncodeRequestWith(req, upstreamModel, EncodeOptions{})
}

// EncodeOptions are vendor choices of the encoding.
type EncodeOptions struct {
	// CompletionCap writes the output cap as max_completion_tokens (OpenAI's
	// reasoning models refuse max_tokens).
	CompletionCap bool
}

// EncodeRequestWith is EncodeRequest with options.
func EncodeRequestWith(req *canonical.Request, upstreamModel string, opt EncodeOptions) ([]byte, []canonical.Coercion, error) {
	var enc encoder
	out := outRequest{
		Model:            upstreamModel,
		MaxTokens:        req.MaxTokens,
		Temperature:      req.Temperature,
		TopP:             req.TopP,
		FrequencyPenalty: req.FrequencyPenalty,
		PresencePenalty:  req.PresencePenalty,
		Stop:             req.Stop,
		Seed:             req.Seed,
		ReasoningEffort:  req.ReasoningEffort,
		User:             req.User,
		Metadata:         req.Metadata,
		Stream:           req.Stream,
	}
	if out.Model == "" {
		out.Model = req.Model
	}
	if opt.CompletionCap {
		out.MaxTokens, out.MaxCompletionTokens = nil, out.MaxTokens
	}
	if req.Stream {
		out.StreamOptions = &outStreamOptions{IncludeUsage: true}
	}
	if req.TopK != nil {
		enc.coerce("top_k", "removed")
	}
	// Other providers' parameters (Anthropic server tools, Gemini
	// safetySettings, …): hints are dropped and reported, the rest refused.
	coerced, param, why := req.Ext.Foreign(providerKey)
	if param != "" {
		return nil, nil, unsupported(param, why)
	}
	for _, c := range coerced {
		enc.coerce(c.Field, c.To)
	}
	var err error
	if out.Messages, err = enc.messages(req); err != nil {
		return nil, nil, err
	}
	if err = enc.tools(req, &out); err != nil {
		return nil, nil, err
	}
	if out.ResponseFormat, err = encodeResponseFormat(req.ResponseFormat); err != nil {
		return nil, nil, err
	}
	body, err := marshalNoEscape(out)
	if err != nil {
		return nil, nil, canonical.As(err)
	}
	if body, err = appendExt(body, req.Ext[providerKey]); err != nil {
		return nil, nil, err
	}
	return body, enc.coerced, nil
}

// marshalNoEscape is json.Marshal without HTML escaping, so prompt text
// reaches the upstream byte-for-byte.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	je := json.NewEncoder(&b)
	je.SetEscapeHTML(false)
	if err := je.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// ownKeys are members EncodeRequest writes from canonical fields; Ext cannot
// override them. "responses" holds the Responses-API round-trip state
// (SPEC §5.7) and never goes to a chat upstream.
func ownKey(k string) bool {
	switch k {
	case "model", "messages", "tools", "tool_choice", "parallel_tool_calls", "response_format",
		"max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "frequency_penalty",
		"presence_penalty", "stop", "seed", "reasoning_effort", "user", "metadata", "stream",
		"stream_options", "n", "functions", "function_call", "nexus", "responses":
		return true
	}
	return false
}

// appendExt splices Ext["openai"] members into the encoded object, sorted
// by key so the body is deterministic.
func appendExt(body []byte, ext map[string]json.RawMessage) ([]byte, error) {
	if len(ext) == 0 {
		return body, nil
	}
	keys := make([]string, 0, len(ext))
	for k := range ext {
		if !ownKey(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	body = body[:len(body)-1] // drop the closing brace
	for _, k := range keys {
		v := bytes.TrimSpace(ext[k])
		if !json.Valid(v) {
			return nil, invalidParam("nexus.ext.openai."+k, "nexus.ext.openai.%s is not valid JSON", k)
		}
		body = append(body, ',')
		body = appendJSONString(body, k)
		body = append(body, ':')
		body = append(body, v...)
	}
	return append(body, '}'), nil
}

func (e *encoder) messages(req *canonical.Request) ([]outMessage, error) {
	msgs := make([]outMessage, 0, len(req.System)+len(req.Messages))
	// One system message per system part keeps each a plain string, which
	// every OpenAI-compatible server accepts.
	for i, p := range req.System {
		if p.Type != canonical.PartText {
			return nil, unsupported("system["+strconv.Itoa(i)+"]", "system content may only hold text")
		}
		e.noteCache(p)
		msgs = append(msgs, outMessage{Role: "system", Content: &outContent{text: p.Text}})
	}
	for i := range req.Messages {
		var err error
		if msgs, err = e.message(msgs, &req.Messages[i], "messages["+strconv.Itoa(i)+"]"); err != nil {
			return nil, err
		}
	}
	return msgs, nil
}

func (e *encoder) noteCache(p canonical.Part) {
	if p.CacheControl != "" {
		e.coerce("cache_control", "removed")
	}
}

// message appends the wire messages for one canonical message. Tool results
// become one tool message each, wherever they sit.
func (e *encoder) message(msgs []outMessage, m *canonical.Message, path string) ([]outMessage, error) {
	var rest []canonical.Part
	results := 0
	for j := range m.Parts {
		p := &m.Parts[j]
		if p.Type != canonical.PartToolResult {
			rest = append(rest, *p)
			continue
		}
		tm, err := e.toolResult(p, path+".parts["+strconv.Itoa(j)+"]")
		if err != nil {
			return nil, err
		}
		msgs = append(msgs, tm)
		results++
	}
	if len(rest) == 0 && (results > 0 || m.Role == canonical.RoleTool) {
		return msgs, nil // a turn of results only (Anthropic user turn) adds no empty message
	}
	switch m.Role {
	case canonical.RoleSystem:
		om, err := e.textOnly("system", rest, path)
		if err != nil {
			return nil, err
		}
		om.Name = m.Name
		return append(msgs, om), nil
	case canonical.RoleUser:
		c, err := e.userContent(rest, path)
		if err != nil {
			return nil, err
		}
		return append(msgs, outMessage{Role: "user", Name: m.Name, Content: c}), nil
	case canonical.RoleAssistant:
		om, err := e.assistant(rest, path)
		if err != nil {
			return nil, err
		}
		om.Name = m.Name
		return append(msgs, om), nil
	case canonical.RoleTool:
		return nil, unsupported(path, "a tool message may only hold tool results")
	}
	return nil, unsupported(path+".role", "role "+strconv.Quote(string(m.Role))+" has no OpenAI equivalent")
}

func (e *encoder) textOnly(role string, parts []canonical.Part, path string) (outMessage, error) {
	om := outMessage{Role: role}
	texts := make([]outPart, 0, len(parts))
	for j, p := range parts {
		if p.Type != canonical.PartText {
			return om, unsupported(path+".parts["+strconv.Itoa(j)+"]", role+" messages may only hold text")
		}
		e.noteCache(p)
		texts = append(texts, outPart{Type: "text", Text: p.Text})
	}
	om.Content = contentOf(texts)
	return om, nil
}

// contentOf uses the plain-string form for a single text part.
func contentOf(parts []outPart) *outContent {
	switch {
	case len(parts) == 0:
		return &outContent{}
	case len(parts) == 1 && parts[0].Type == "text":
		return &outContent{text: parts[0].Text}
	}
	return &outContent{parts: parts}
}

func (e *encoder) userContent(parts []canonical.Part, path string) (*outContent, error) {
	out := make([]outPart, 0, len(parts))
	for j, p := range parts {
		pp := path + ".parts[" + strconv.Itoa(j) + "]"
		e.noteCache(p)
		switch p.Type {
		case canonical.PartText:
			out = append(out, outPart{Type: "text", Text: p.Text})
		case canonical.PartImage:
			img, err := encodeImage(p.Media, pp)
			if err != nil {
				return nil, err
			}
			out = append(out, outPart{Type: "image_url", ImageURL: img})
		case canonical.PartAudio:
			a, err := encodeAudio(p.Media, pp)
			if err != nil {
				return nil, err
			}
			out = append(out, outPart{Type: "input_audio", InputAudio: a})
		case canonical.PartDocument:
			f, err := encodeDocument(p.Media, pp)
			if err != nil {
				return nil, err
			}
			out = append(out, outPart{Type: "file", File: f})
		default:
			return nil, unsupported(pp, "user messages cannot carry "+string(p.Type)+" parts")
		}
	}
	return contentOf(out), nil
}

// assistant joins text parts into one string: boundaries between text blocks
// of a model turn carry no meaning, and many compatible servers reject
// array content on assistant messages.
func (e *encoder) assistant(parts []canonical.Part, path string) (outMessage, error) {
	om := outMessage{Role: "assistant"}
	var text, refusal, reasoning strings.Builder
	hasText := false
	for j, p := range parts {
		e.noteCache(p)
		switch p.Type {
		case canonical.PartText:
			text.WriteString(p.Text)
			hasText = true
		case canonical.PartRefusal:
			refusal.WriteString(p.Text)
		case canonical.PartReasoning:
			// Plain reasoning text (reasoning_content from an OpenAI-family
			// model) replays as reasoning_content; signed, redacted or
			// encrypted reasoning belongs to the provider that produced it.
			if p.Reasoning != nil && (p.Reasoning.Signature != "" || p.Reasoning.Redacted || p.Reasoning.Data != "" || p.Reasoning.Summary) {
				e.coerce("reasoning", "removed")
				continue
			}
			reasoning.WriteString(p.Text)
		case canonical.PartToolCall:
			tc := p.ToolCall
			if tc.ThoughtSignature != "" {
				e.coerce("thought_signature", "removed")
			}
			args := tc.Arguments
			if args == "" {
				args = "{}"
			}
			om.ToolCalls = append(om.ToolCalls, outToolCall{ID: tc.ID, Type: "function", Function: outFunction{Name: tc.Name, Arguments: args}})
		default:
			return om, unsupported(path+".parts["+strconv.Itoa(j)+"]", "assistant messages cannot carry "+string(p.Type)+" parts")
		}
	}
	if hasText || (om.ToolCalls == nil && refusal.Len() == 0) {
		om.Content = &outContent{text: text.String()}
	}
	om.Refusal = refusal.String()
	om.ReasoningContent = reasoning.String()
	return om, nil
}

func (e *encoder) toolResult(p *canonical.Part, path string) (outMessage, error) {
	tr := p.ToolResult
	if tr == nil || tr.CallID == "" {
		return outMessage{}, unsupported(path+".tool_result.call_id", "a tool result needs the id of the call it answers")
	}
	if tr.IsError {
		e.coerce("tool_result.is_error", "removed")
	}
	e.noteCache(*p)
	texts := make([]outPart, 0, len(tr.Content))
	for k, c := range tr.Content {
		if c.Type != canonical.PartText {
			return outMessage{}, unsupported(path+".tool_result.content["+strconv.Itoa(k)+"]", "tool results may only hold text, not "+string(c.Type))
		}
		e.noteCache(c)
		texts = append(texts, outPart{Type: "text", Text: c.Text})
	}
	return outMessage{Role: "tool", ToolCallID: tr.CallID, Content: contentOf(texts)}, nil
}

func encodeImage(m *canonical.Media, path string) (*wireImage, error) {
	if m == nil {
		return nil, unsupported(path, "an image part needs media")
	}
	img := &wireImage{Detail: m.Detail}
	switch {
	case len(m.Data) > 0:
		if m.MIMEType == "" {
			return nil, unsupported(path+".media.mime_type", "image bytes need a MIME type to form a data URL")
		}
		img.URL = dataURL(m.MIMEType, m.Data)
	case m.URL != "":
		if !strings.HasPrefix(m.URL, "https://") && !strings.HasPrefix(m.URL, "http://") && !strings.HasPrefix(m.URL, "data:") {
			return nil, unsupported(path+".media.url", "image_url takes http(s) or data URLs, not provider file URIs")
		}
		img.URL = m.URL
	case m.FileID != "":
		return nil, unsupported(path+".media.file_id", "image_url cannot reference an uploaded file id")
	default:
		return nil, unsupported(path+".media", "an image needs a URL or bytes")
	}
	return img, nil
}

func encodeAudio(m *canonical.Media, path string) (*outAudio, error) {
	if m == nil || len(m.Data) == 0 {
		return nil, unsupported(path+".media", "input_audio needs inline audio bytes")
	}
	format, ok := audioFormat(m.MIMEType)
	if !ok {
		return nil, unsupported(path+".media.mime_type", "input_audio takes wav or mp3, not "+strconv.Quote(m.MIMEType))
	}
	return &outAudio{Data: base64.StdEncoding.EncodeToString(m.Data), Format: format}, nil
}

func encodeDocument(m *canonical.Media, path string) (*outFilePart, error) {
	switch {
	case m == nil:
		return nil, unsupported(path, "a document part needs media")
	case len(m.Data) > 0:
		if m.MIMEType != "application/pdf" {
			return nil, unsupported(path+".media.mime_type", "file inputs take PDF documents, not "+strconv.Quote(m.MIMEType))
		}
		return &outFilePart{FileData: dataURL(m.MIMEType, m.Data), Filename: m.Title}, nil
	case m.FileID != "":
		return &outFilePart{FileID: m.FileID, Filename: m.Title}, nil
	}
	return nil, unsupported(path+".media.url", "file inputs take inline data or a file id, not a URL")
}

// tools fills tools, tool_choice and parallel_tool_calls. Without tools, an
// auto/none choice and parallel_tool_calls mean nothing and are left out
// (OpenAI rejects them alone); a forced choice cannot be honoured.
func (e *encoder) tools(req *canonical.Request, out *outRequest) error {
	for _, t := range req.Tools {
		out.Tools = append(out.Tools, outTool{Type: "function", Function: outFunctionDef{
			Name: t.Name, Description: t.Description, Parameters: t.Parameters, Strict: t.Strict,
		}})
	}
	tc := req.ToolChoice
	if len(out.Tools) == 0 {
		if tc != nil && (tc.Mode == canonical.ToolChoiceRequired || tc.Mode == canonical.ToolChoiceTool) {
			return unsupported("tool_choice", "a tool call is forced but no tools are declared")
		}
		return nil
	}
	out.ParallelToolCalls = req.ParallelToolCalls
	if tc == nil {
		return nil
	}
	switch tc.Mode {
	case canonical.ToolChoiceAuto, canonical.ToolChoiceNone, canonical.ToolChoiceRequired:
		out.ToolChoice = string(tc.Mode)
	case canonical.ToolChoiceTool:
		if tc.Name == "" {
			return unsupported("tool_choice.name", "a named tool choice needs the tool name")
		}
		out.ToolChoice = map[string]any{"type": "function", "function": map[string]string{"name": tc.Name}}
	default:
		return unsupported("tool_choice", "mode "+strconv.Quote(string(tc.Mode))+" has no OpenAI equivalent")
	}
	return nil
}

func encodeResponseFormat(rf *canonical.ResponseFormat) (*outResponseFormat, error) {
	if rf == nil {
		return nil, nil
	}
	switch rf.Type {
	case canonical.FormatText, canonical.FormatJSONObject:
		return &outResponseFormat{Type: string(rf.Type)}, nil
	case canonical.FormatJSONSchema:
		if len(rf.Schema) == 0 {
			return nil, unsupported("response_format.schema", "json_schema output needs a schema")
		}
		name := rf.Name
		if name == "" {
			name = "response" // OpenAI requires a name; the value is not shown to the model's caller
		}
		return &outResponseFormat{Type: "json_schema", JSONSchema: &outJSONSchema{
			Name: name, Description: rf.Description, Schema: rf.Schema, Strict: rf.Strict,
		}}, nil
	}
	return nil, unsupported("response_format.type", "type "+strconv.Quote(string(rf.Type))+" has no OpenAI equivalent")
}
