package anthropic

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// wireRequest is a /v1/messages body. Fields with no canonical home are kept
// raw and lifted into Ext["anthropic"]; unknown fields are ignored.
type wireRequest struct {
	Model         string                     `json:"model"`
	Messages      []wireMessage              `json:"messages"`
	System        json.RawMessage            `json:"system"`
	MaxTokens     *int                       `json:"max_tokens"`
	Temperature   *float64                   `json:"temperature"`
	TopP          *float64                   `json:"top_p"`
	TopK          *int                       `json:"top_k"`
	StopSequences []string                   `json:"stop_sequences"`
	Stream        bool                       `json:"stream"`
	Metadata      *wireMetadata              `json:"metadata"`
	Tools         []json.RawMessage          `json:"tools"`
	ToolChoice    *wireToolChoice            `json:"tool_choice"`
	OutputConfig  map[string]json.RawMessage `json:"output_config"`
	OutputFormat  *wireOutputFormat          `json:"output_format"` // beta spelling of output_config.format

	Thinking          json.RawMessage `json:"thinking"`
	ServiceTier       json.RawMessage `json:"service_tier"`
	Container         json.RawMessage `json:"container"`
	MCPServers        json.RawMessage `json:"mcp_servers"`
	ContextManagement json.RawMessage `json:"context_management"`
	CacheControl      json.RawMessage `json:"cache_control"`
	InferenceGeo      json.RawMessage `json:"inference_geo"`
	Speed             json.RawMessage `json:"speed"`

	Nexus *struct {
		Ext map[string]map[string]json.RawMessage `json:"ext"`
	} `json:"nexus"`
}

// passthrough pairs each lifted top-level field with its Ext key.
func (w *wireRequest) passthrough() [8]struct {
	key string
	val *json.RawMessage
} {
	return [8]struct {
		key string
		val *json.RawMessage
	}{
		{extThinking, &w.Thinking}, {"service_tier", &w.ServiceTier}, {"container", &w.Container},
		{"mcp_servers", &w.MCPServers}, {"context_management", &w.ContextManagement},
		{"cache_control", &w.CacheControl}, {"inference_geo", &w.InferenceGeo}, {"speed", &w.Speed},
	}
}

type wireMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

type wireMetadata struct {
	UserID string `json:"user_id"`
}

type wireToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name"`
	DisableParallelToolUse *bool  `json:"disable_parallel_tool_use"`
}

type wireOutputFormat struct {
	Type   string          `json:"type"`
	Schema json.RawMessage `json:"schema"`
}

type wireTool struct {
	Type         string            `json:"type"`
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	InputSchema  json.RawMessage   `json:"input_schema"`
	Strict       *bool             `json:"strict"`
	CacheControl *wireCacheControl `json:"cache_control"`
}

// DecodeRequest converts an Anthropic Messages body into canonical form.
// Malformed JSON and wrong types give a 400 *canonical.Error naming the
// field; unknown top-level fields are ignored.
func DecodeRequest(body []byte) (*canonical.Request, error) {
	if firstByte(body) != '{' {
		return nil, invalidf("", "request body must be a JSON object")
	}
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError(err, "")
	}
	req := &canonical.Request{
		Model:       w.Model,
		MaxTokens:   w.MaxTokens,
		Temperature: w.Temperature,
		TopP:        w.TopP,
		TopK:        w.TopK,
		Stop:        w.StopSequences,
		Stream:      w.Stream,
		// Anthropic streams always end with usage; a translated upstream
		// must be asked for it (OpenAI stream_options.include_usage).
		IncludeUsage: w.Stream,
	}
	if w.Metadata != nil {
		req.User = w.Metadata.UserID
	}
	if w.Nexus != nil {
		for prov, kv := range w.Nexus.Ext {
			for k, v := range kv {
				req.Ext.Set(prov, k, v)
			}
		}
	}
	var err error
	if req.System, err = decodeSystem(w.System); err != nil {
		return nil, err
	}
	natives := nativeSet{}
	if req.Messages, err = decodeMessages(w.Messages, &natives); err != nil {
		return nil, err
	}
	if err := decodeTools(&w, req); err != nil {
		return nil, err
	}
	if err := decodeToolChoice(w.ToolChoice, req); err != nil {
		return nil, err
	}
	if err := decodeOutput(&w, req); err != nil {
		return nil, err
	}
	for _, f := range w.passthrough() {
		if !isNull(*f.val) {
			req.Ext.Set(provider, f.key, *f.val) // the native field wins over nexus.ext
		}
	}
	raw, err := natives.marshal()
	if err != nil {
		return nil, err
	}
	if raw != nil {
		req.Ext.Set(provider, extNative, raw)
	}
	return req, nil
}

// decodeSystem accepts a string or an array of text blocks.
func decodeSystem(raw json.RawMessage) ([]canonical.Part, error) {
	if isNull(raw) {
		return nil, nil
	}
	if firstByte(raw) == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonError(err, "system")
		}
		if s == "" {
			return nil, nil
		}
		return []canonical.Part{{Type: canonical.PartText, Text: s}}, nil
	}
	var blocks []wireBlock
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, jsonError(err, "system")
	}
	parts := make([]canonical.Part, 0, len(blocks))
	for i := range blocks {
		if blocks[i].Type != "text" {
			return nil, invalidf(fmt.Sprintf("system[%d].type", i), "system blocks must be text, got %q", blocks[i].Type)
		}
		p := canonical.Part{Type: canonical.PartText, Text: blocks[i].Text}
		p.CacheControl, p.CacheTTL = cacheControlOf(blocks[i].CacheControl)
		parts = append(parts, p)
	}
	return parts, nil
}

// msgBuilder splits wire turns into canonical messages: the tool_result
// blocks of a user turn become RoleTool messages (canonical convention),
// the rest stays a user message, order preserved.
type msgBuilder struct {
	out     []canonical.Message
	current int // index in out of the message receiving parts for this wire turn, -1 = none
}

func (b *msgBuilder) target(role canonical.Role) *canonical.Message {
	if b.current < 0 || b.out[b.current].Role != role {
		b.out = append(b.out, canonical.Message{Role: role, Parts: []canonical.Part{}})
		b.current = len(b.out) - 1
	}
	return &b.out[b.current]
}

func decodeMessages(msgs []wireMessage, natives *nativeSet) ([]canonical.Message, error) {
	b := msgBuilder{out: make([]canonical.Message, 0, len(msgs))}
	for i := range msgs {
		m := &msgs[i]
		path := fmt.Sprintf("messages[%d]", i)
		var role canonical.Role
		switch m.Role {
		case "user":
			role = canonical.RoleUser
		case "assistant":
			role = canonical.RoleAssistant
		default:
			return nil, invalidf(path+".role", "%s.role must be \"user\" or \"assistant\", got %q", path, m.Role)
		}
		b.current = -1
		if firstByte(m.Content) == '"' {
			var s string
			if err := json.Unmarshal(m.Content, &s); err != nil {
				return nil, jsonError(err, path+".content")
			}
			t := b.target(role)
			t.Parts = append(t.Parts, canonical.Part{Type: canonical.PartText, Text: s})
			continue
		}
		if isNull(m.Content) {
			return nil, invalidf(path+".content", "%s.content is required", path)
		}
		var raws []json.RawMessage
		if err := json.Unmarshal(m.Content, &raws); err != nil {
			return nil, jsonError(err, path+".content")
		}
		for j, raw := range raws {
			if err := b.addBlock(role, raw, fmt.Sprintf("%s.content[%d]", path, j), natives); err != nil {
				return nil, err
			}
		}
		if b.current < 0 { // empty content array: keep the turn
			b.target(role)
		}
	}
	return b.out, nil
}

func (b *msgBuilder) addBlock(role canonical.Role, raw json.RawMessage, path string, natives *nativeSet) error {
	var wb wireBlock
	if firstByte(raw) != '{' {
		return invalidf(path, "%s must be an object", path)
	}
	if err := json.Unmarshal(raw, &wb); err != nil {
		return jsonError(err, path)
	}
	p, err := blockToPart(&wb, path)
	if errors.Is(err, errNative) {
		t := b.target(role)
		natives.add(b.current, len(t.Parts), raw)
		return nil
	}
	if err != nil {
		return err
	}
	switch p.Type {
	case canonical.PartToolResult:
		if role != canonical.RoleUser {
			return invalidf(path+".type", "%s: tool_result blocks belong in user turns", path)
		}
		role = canonical.RoleTool
	case canonical.PartToolCall, canonical.PartReasoning:
		if role != canonical.RoleAssistant {
			return invalidf(path+".type", "%s: %s blocks belong in assistant turns", path, wb.Type)
		}
	}
	t := b.target(role)
	t.Parts = append(t.Parts, p)
	return nil
}

// decodeTools splits client tools (canonical) from server tools (kept raw
// in Ext["anthropic"]["server_tools"]).
func decodeTools(w *wireRequest, req *canonical.Request) error {
	var server []json.RawMessage
	for i, raw := range w.Tools {
		path := fmt.Sprintf("tools[%d]", i)
		var t wireTool
		if firstByte(raw) != '{' {
			return invalidf(path, "%s must be an object", path)
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return jsonError(err, path)
		}
		if t.Type != "" && t.Type != "custom" {
			server = append(server, raw)
			continue
		}
		if t.Name == "" {
			return invalidf(path+".name", "%s.name is required", path)
		}
		ct := canonical.Tool{Name: t.Name, Description: t.Description, Strict: t.Strict}
		if !isNull(t.InputSchema) {
			ct.Parameters = append(json.RawMessage(nil), t.InputSchema...)
		}
		ct.CacheControl, ct.CacheTTL = cacheControlOf(t.CacheControl)
		req.Tools = append(req.Tools, ct)
	}
	if len(server) > 0 {
		raw, err := json.Marshal(server)
		if err != nil {
			return fmt.Errorf("anthropic: marshal server tools: %w", err)
		}
		req.Ext.Set(provider, extServerTools, raw)
	}
	return nil
}

func decodeToolChoice(tc *wireToolChoice, req *canonical.Request) error {
	if tc == nil {
		return nil
	}
	switch tc.Type {
	case "auto":
		req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceAuto}
	case "any":
		req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}
	case "none":
		req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceNone}
	case "tool":
		if tc.Name == "" {
			return invalidf("tool_choice.name", "tool_choice.name is required when type is \"tool\"")
		}
		req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: tc.Name}
	default:
		return invalidf("tool_choice.type", "tool_choice.type must be auto, any, tool or none, got %q", tc.Type)
	}
	if tc.DisableParallelToolUse != nil {
		parallel := !*tc.DisableParallelToolUse
		req.ParallelToolCalls = &parallel
	}
	return nil
}

// decodeOutput reads structured output (output_config.format, or the beta
// top-level output_format) and keeps the rest of output_config raw.
func decodeOutput(w *wireRequest, req *canonical.Request) error {
	format := w.OutputFormat
	param := "output_format"
	if raw, ok := w.OutputConfig["format"]; ok && !isNull(raw) {
		format, param = &wireOutputFormat{}, "output_config.format"
		if err := json.Unmarshal(raw, format); err != nil {
			return jsonError(err, param)
		}
	}
	if format != nil {
		if format.Type != "json_schema" {
			return invalidf(param+".type", "%s.type must be \"json_schema\", got %q", param, format.Type)
		}
		if isNull(format.Schema) {
			return invalidf(param+".schema", "%s.schema is required", param)
		}
		req.ResponseFormat = &canonical.ResponseFormat{
			Type:   canonical.FormatJSONSchema,
			Schema: append(json.RawMessage(nil), format.Schema...),
		}
	}
	rest := make(map[string]json.RawMessage, len(w.OutputConfig))
	for k, v := range w.OutputConfig {
		if k != "format" {
			rest[k] = v
		}
	}
	if len(rest) > 0 {
		raw, err := json.Marshal(rest)
		if err != nil {
			return fmt.Errorf("anthropic: marshal output_config: %w", err)
		}
		req.Ext.Set(provider, extOutputConfig, raw)
	}
	return nil
}
