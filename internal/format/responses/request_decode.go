package responses

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// wireRequest holds the members DecodeRequest maps onto canonical fields.
// Polymorphic members stay raw and are read by hand, so every accepted form
// is explicit and a wrong type names its JSON path.
type wireRequest struct {
	Model             string            `json:"model"`
	Input             json.RawMessage   `json:"input"`
	Instructions      *string           `json:"instructions"`
	MaxOutputTokens   *int              `json:"max_output_tokens"`
	Temperature       *float64          `json:"temperature"`
	TopP              *float64          `json:"top_p"`
	ParallelToolCalls *bool             `json:"parallel_tool_calls"`
	Metadata          map[string]string `json:"metadata"`
	Stream            bool              `json:"stream"`
	User              string            `json:"user"`
	Tools             []json.RawMessage `json:"tools"`
	ToolChoice        json.RawMessage   `json:"tool_choice"`
	Text              json.RawMessage   `json:"text"`
	Reasoning         json.RawMessage   `json:"reasoning"`
	Nexus             *struct {
		Ext canonical.Ext `json:"ext"`
	} `json:"nexus"`
}

// mappedMember lists the top-level members with a canonical home; every
// other member is kept verbatim in the Responses state.
func mappedMember(k string) bool {
	switch k {
	case "model", "input", "instructions", "max_output_tokens", "temperature", "top_p", "parallel_tool_calls",
		"metadata", "stream", "user", "tools", "tool_choice", "text", "reasoning", "nexus":
		return true
	}
	return liftedMember(k)
}

// liftedMember lists members the chat wire has under the same name: they go
// to Ext["openai"][name], where the chat codec sends them on to an
// OpenAI-family upstream (and EncodeRequest takes them back).
func liftedMember(k string) bool {
	return k == "service_tier" || k == "prompt_cache_key" || k == "safety_identifier"
}

// DecodeRequest converts a Responses API request body into the canonical
// request (the stateless downgrade of SPEC §5.8; doc.go has the mapping).
// What the chat pivot cannot type — previous_response_id, store, built-in
// tools, item ids, … — is kept in Ext["openai"]["responses"] rather than
// refused, so a body can cross the pivot and still reach a native target
// whole; Guard decides whether a non-native target may take it. Malformed
// JSON and wrong types yield a 400 *canonical.Error naming the JSON path.
func DecodeRequest(body []byte) (*canonical.Request, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil || top == nil {
		return nil, invalidParam("", "request body must be a JSON object")
	}
	var w wireRequest
	if err := json.Unmarshal(body, &w); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return nil, invalidParam(te.Field, "%s has the wrong type (got %s)", te.Field, te.Value)
		}
		return nil, invalidParam("", "request body could not be decoded")
	}
	req := &canonical.Request{
		Model: w.Model, MaxTokens: w.MaxOutputTokens, Temperature: w.Temperature, TopP: w.TopP,
		ParallelToolCalls: w.ParallelToolCalls, Metadata: w.Metadata, Stream: w.Stream, User: w.User,
		// Responses streams always end with usage (response.completed), so
		// the client has, in chat terms, asked for it.
		IncludeUsage: w.Stream,
	}
	if w.Nexus != nil {
		req.Ext = w.Nexus.Ext
	}
	var st state
	if w.Instructions != nil && *w.Instructions != "" {
		req.System = []canonical.Part{{Type: canonical.PartText, Text: *w.Instructions}}
	}
	steps := [...]func() error{
		func() error { return decodeInput(w.Input, req, &st) },
		func() error { return decodeTools(w.Tools, req, &st) },
		func() error { return decodeToolChoice(w.ToolChoice, req, &st) },
		func() error { return decodeText(w.Text, req, &st) },
		func() error { return decodeReasoning(w.Reasoning, req, &st) },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return nil, err
		}
	}
	for k, v := range top {
		switch {
		case liftedMember(k):
			if present(v) {
				req.Ext.Set(providerKey, k, bytes.Clone(v))
			}
		case !mappedMember(k):
			st.setField(k, v)
		}
	}
	if err := st.store(&req.Ext); err != nil {
		return nil, canonical.As(err)
	}
	return req, nil
}

// msgBuilder turns items into canonical messages: consecutive assistant-side
// items (reasoning, assistant messages, function calls) form one assistant
// turn as chat has it, consecutive function_call_outputs one tool turn.
type msgBuilder struct {
	req       *canonical.Request
	st        *state
	pending   []json.RawMessage // native items waiting for the next part's position
	callNames map[string]string // call_id → function name, for ToolResult.Name
}

func decodeInput(raw json.RawMessage, req *canonical.Request, st *state) error {
	switch rawKind(raw) {
	case 0, 'n':
		return nil // allowed: a prompt or a previous response can supply the input
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return invalidParam("input", "input must be a string or an array of items")
		}
		req.Messages = []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: s}}}}
		return nil
	case '[':
	default:
		return invalidParam("input", "input must be a string or an array of items")
	}
	var raws []json.RawMessage
	if err := json.Unmarshal(raw, &raws); err != nil {
		return invalidParam("input", "input must be a string or an array of items")
	}
	b := msgBuilder{req: req, st: st}
	req.Messages = make([]canonical.Message, 0, len(raws))
	for i, r := range raws {
		if err := b.add(r, "input["+strconv.Itoa(i)+"]"); err != nil {
			return err
		}
	}
	for _, r := range b.pending {
		st.addNative(len(req.Messages), 0, r)
	}
	return nil
}

func (b *msgBuilder) add(raw json.RawMessage, path string) error {
	it, err := decodeItem(raw, path, true)
	if err != nil {
		return err
	}
	if it.typ == "" {
		b.pending = append(b.pending, raw)
		return nil
	}
	if len(it.parts) == 0 {
		return nil // an empty message adds nothing to any conversation
	}
	m := b.target(&it)
	msg := &b.req.Messages[m]
	first := len(msg.Parts)
	for _, r := range b.pending {
		b.st.addNative(m, first, r)
	}
	b.pending = b.pending[:0]
	for k := range it.parts {
		p := &it.parts[k]
		switch p.Type {
		case canonical.PartToolCall:
			if b.callNames == nil {
				b.callNames = map[string]string{}
			}
			b.callNames[p.ToolCall.ID] = p.ToolCall.Name
		case canonical.PartToolResult:
			p.ToolResult.Name = b.callNames[p.ToolResult.CallID]
		}
		n := note{Message: m, Part: first + k, Type: it.typ, Content: it.partExtra[k]}
		if k == 0 {
			n.Item = it.extra
			if n.Item == nil && it.typ == itemReasoning {
				n.Item = json.RawMessage("{}") // reasoning replays only as a whole item: mark where it starts
			}
		}
		b.st.addNote(n)
	}
	msg.Parts = append(msg.Parts, it.parts...)
	return nil
}

// target returns the index of the message an item's parts go to, starting
// a new message when the item opens a new turn.
func (b *msgBuilder) target(it *decodedItem) int {
	msgs := &b.req.Messages
	last := len(*msgs) - 1
	role := canonical.RoleAssistant
	switch {
	case it.typ == itemFunctionOutput:
		role = canonical.RoleTool
	case it.typ == itemMessage && it.role == "user":
		role = canonical.RoleUser
	case it.typ == itemMessage && (it.role == "system" || it.role == "developer"):
		role = canonical.RoleSystem
	}
	join := last >= 0 && (*msgs)[last].Role == role
	switch role {
	case canonical.RoleUser, canonical.RoleSystem:
		join = false // each input message is its own turn, as in chat
	case canonical.RoleAssistant:
		// A second assistant message after text is a new turn; reasoning
		// and function calls belong to the turn they follow.
		join = join && !(it.typ == itemMessage && hasText((*msgs)[last].Parts))
	}
	if !join {
		*msgs = append(*msgs, canonical.Message{Role: role})
		last++
	}
	return last
}

func hasText(parts []canonical.Part) bool {
	for _, p := range parts {
		if p.Type == canonical.PartText || p.Type == canonical.PartRefusal {
			return true
		}
	}
	return false
}

func decodeTools(raws []json.RawMessage, req *canonical.Request, st *state) error {
	for i, raw := range raws {
		path := "tools[" + strconv.Itoa(i) + "]"
		var t struct {
			Type        string          `json:"type"`
			Name        string          `json:"name"`
			Description *string         `json:"description"`
			Parameters  json.RawMessage `json:"parameters"`
			Strict      *bool           `json:"strict"`
		}
		if rawKind(raw) != '{' {
			return invalidParam(path, "%s must be an object", path)
		}
		if err := json.Unmarshal(raw, &t); err != nil {
			return invalidParam(path, "%s is malformed: %s", path, typeErrorText(err))
		}
		switch t.Type {
		case "function":
		case "":
			return invalidParam(path+".type", "%s.type is required", path)
		default:
			st.tools = append(st.tools, indexedTool{Index: i, Tool: bytes.Clone(raw)})
			continue
		}
		if t.Name == "" {
			return invalidParam(path+".name", "%s.name is required", path)
		}
		tool := canonical.Tool{Name: t.Name, Strict: t.Strict}
		if t.Description != nil {
			tool.Description = *t.Description
		}
		switch rawKind(t.Parameters) {
		case 0, 'n':
		case '{':
			tool.Parameters = bytes.Clone(t.Parameters)
		default:
			return invalidParam(path+".parameters", "%s.parameters must be a JSON Schema object", path)
		}
		req.Tools = append(req.Tools, tool)
	}
	return nil
}

func decodeToolChoice(raw json.RawMessage, req *canonical.Request, st *state) error {
	switch rawKind(raw) {
	case 0, 'n':
		return nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return invalidParam("tool_choice", "tool_choice must be a string or an object")
		}
		switch s {
		case "auto":
			req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceAuto}
		case "none":
			req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceNone}
		case "required":
			req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}
		default:
			return invalidParam("tool_choice", "tool_choice %q is not one of auto, none, required", s)
		}
		return nil
	case '{':
		var obj struct {
			Type string `json:"type"`
			Name string `json:"name"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return invalidParam("tool_choice", "tool_choice object is malformed: %s", typeErrorText(err))
		}
		if obj.Type != "function" {
			st.setField("tool_choice", raw) // allowed_tools, a built-in tool, mcp, custom: native targets only
			return nil
		}
		if obj.Name == "" {
			return invalidParam("tool_choice.name", "tool_choice.name is required")
		}
		req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: obj.Name}
		return nil
	}
	return invalidParam("tool_choice", "tool_choice must be a string or an object")
}

// decodeText maps text.format onto ResponseFormat and text.verbosity onto
// the chat wire's verbosity; other text members are kept.
func decodeText(raw json.RawMessage, req *canonical.Request, st *state) error {
	switch rawKind(raw) {
	case 0, 'n':
		return nil
	case '{':
	default:
		return invalidParam("text", "text must be an object")
	}
	m, rest, err := splitMembers(raw, func(k string) bool { return k == "format" || k == "verbosity" })
	if err != nil {
		return invalidParam("text", "text is malformed")
	}
	if v := m["verbosity"]; present(v) {
		req.Ext.Set(providerKey, "verbosity", bytes.Clone(v))
	}
	if rest != nil {
		st.setField("text", rest)
	}
	f := m["format"]
	if !present(f) {
		return nil
	}
	var w struct {
		Type        string          `json:"type"`
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
	}
	if err := json.Unmarshal(f, &w); err != nil {
		return invalidParam("text.format", "text.format is malformed: %s", typeErrorText(err))
	}
	switch w.Type {
	case "text":
		req.ResponseFormat = &canonical.ResponseFormat{Type: canonical.FormatText}
	case "json_object":
		req.ResponseFormat = &canonical.ResponseFormat{Type: canonical.FormatJSONObject}
	case "json_schema":
		rf := &canonical.ResponseFormat{Type: canonical.FormatJSONSchema, Name: w.Name, Description: w.Description, Strict: w.Strict}
		if present(w.Schema) {
			rf.Schema = bytes.Clone(w.Schema)
		}
		req.ResponseFormat = rf
	default:
		return invalidParam("text.format.type", "text.format.type %q is not one of text, json_object, json_schema", w.Type)
	}
	return nil
}

// decodeReasoning maps reasoning.effort; summary and the rest are kept.
func decodeReasoning(raw json.RawMessage, req *canonical.Request, st *state) error {
	switch rawKind(raw) {
	case 0, 'n':
		return nil
	case '{':
	default:
		return invalidParam("reasoning", "reasoning must be an object")
	}
	m, rest, err := splitMembers(raw, func(k string) bool { return k == "effort" })
	if err != nil {
		return invalidParam("reasoning", "reasoning is malformed")
	}
	if err := str(m, "effort", "reasoning", &req.ReasoningEffort); err != nil {
		return err
	}
	if rest != nil {
		st.setField("reasoning", rest)
	}
	return nil
}
