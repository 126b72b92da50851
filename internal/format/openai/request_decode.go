package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// DecodeRequest converts an OpenAI Chat Completions request body into the
// canonical request. Malformed JSON, wrong types and shapes the canonical
// model cannot carry (n>1, legacy functions, non-function tools) yield a
// *canonical.Error with status 400 naming the JSON path. Unknown top-level
// members are ignored.
func DecodeRequest(body []byte) (*canonical.Request, error) { return decodeRequest(body, true, false) }

// DecodeRequestInPlace is DecodeRequest for a body that stays unchanged for
// as long as the request is used (the gateway's inbound body, held until the
// request ends): message texts written without escapes alias body instead
// of being copied. A 50 KB prompt then costs no allocation and no copy,
// which a large string does (about 10 µs, most of it the fresh span).
func DecodeRequestInPlace(body []byte) (*canonical.Request, error) {
	return decodeRequest(body, true, true)
}

// decodeRequest is DecodeRequest with the messages fast path optional, so
// tests can hold the two decodings against each other, and aliasing of
// message texts optional.
func decodeRequest(body []byte, fast, inPlace bool) (*canonical.Request, error) {
	var w wireRequest
	if !fast || !decodeWire(body, &w) {
		w = wireRequest{}
		if err := json.Unmarshal(body, &w); err != nil {
			return nil, jsonBodyError(body, err)
		}
	}
	if rawKind(body) != '{' {
		return nil, invalidParam("", "request body must be a JSON object")
	}
	if w.N != nil && *w.N > 1 {
		return nil, notCarried("n", "the gateway returns a single choice; send n requests instead")
	}
	if k := rawKind(w.Functions); k != 0 && k != 'n' {
		return nil, notCarried("functions", "legacy functions are not supported; use tools")
	}
	if k := rawKind(w.FunctionCall); k != 0 && k != 'n' {
		return nil, notCarried("function_call", "legacy function_call is not supported; use tool_choice")
	}
	req := &canonical.Request{
		Model:             w.Model,
		ParallelToolCalls: w.ParallelToolCalls,
		MaxTokens:         w.MaxTokens,
		Temperature:       w.Temperature,
		TopP:              w.TopP,
		TopK:              w.TopK,
		FrequencyPenalty:  w.FrequencyPenalty,
		PresencePenalty:   w.PresencePenalty,
		Seed:              w.Seed,
		ReasoningEffort:   w.ReasoningEffort,
		User:              w.User,
		Metadata:          w.Metadata,
		Stream:            w.Stream,
	}
	if w.MaxCompletionTokens != nil {
		// The newer name wins: it is what reasoning models honour.
		req.MaxTokens = w.MaxCompletionTokens
	}
	if w.StreamOptions != nil {
		req.IncludeUsage = w.StreamOptions.IncludeUsage
	}
	if inPlace {
		for i := range w.Messages {
			w.Messages[i].inPlace = true
		}
	}
	if err := decodeMessages(w.Messages, req); err != nil {
		return nil, err
	}
	var err error
	if req.Tools, err = decodeTools(w.Tools); err != nil {
		return nil, err
	}
	if req.ToolChoice, err = decodeToolChoice(w.ToolChoice); err != nil {
		return nil, err
	}
	if req.ResponseFormat, err = decodeResponseFormat(w.ResponseFormat); err != nil {
		return nil, err
	}
	if req.Stop, err = decodeStop(w.Stop); err != nil {
		return nil, err
	}
	if w.Nexus != nil {
		req.Ext = w.Nexus.Ext
	}
	for _, f := range w.liftedFields() {
		if k := rawKind(f.val); k != 0 && k != 'n' {
			req.Ext.Set(providerKey, f.key, bytes.Clone(f.val))
		}
	}
	return req, nil
}

// decodeMessages fills req.System with the leading system/developer messages
// and req.Messages with the rest. Consecutive tool messages become one
// RoleTool message so targets that group results per turn get them together.
func decodeMessages(ws []wireMessage, req *canonical.Request) error {
	if len(ws) == 0 {
		return invalidParam("messages", "messages must be a non-empty array")
	}
	req.Messages = make([]canonical.Message, 0, len(ws))
	var callNames map[string]string // tool_call_id → function name, for ToolResult.Name
	leading := true
	for i := range ws {
		wm := &ws[i]
		path := "messages[" + strconv.Itoa(i) + "]"
		switch wm.Role {
		case "system", "developer":
			parts, err := decodeContent(wm.Content, path+".content", nil, wm.inPlace)
			if err != nil {
				return err
			}
			for _, p := range parts {
				if p.Type != canonical.PartText {
					return invalidParam(path+".content", "%s.content of a %s message may only hold text", path, wm.Role)
				}
			}
			if leading {
				req.System = append(req.System, parts...)
				continue
			}
			req.Messages = append(req.Messages, canonical.Message{Role: canonical.RoleSystem, Name: wm.Name, Parts: parts})
		case "user":
			parts, err := decodeContent(wm.Content, path+".content", nil, wm.inPlace)
			if err != nil {
				return err
			}
			req.Messages = append(req.Messages, canonical.Message{Role: canonical.RoleUser, Name: wm.Name, Parts: parts})
		case "assistant":
			m, err := decodeAssistant(wm, path)
			if err != nil {
				return err
			}
			for _, p := range m.Parts {
				if p.Type == canonical.PartToolCall {
					if callNames == nil {
						callNames = map[string]string{}
					}
					callNames[p.ToolCall.ID] = p.ToolCall.Name
				}
			}
			req.Messages = append(req.Messages, m)
		case "tool":
			if err := appendToolResult(wm, path, callNames, req); err != nil {
				return err
			}
		case "function":
			return notCarried(path+".role", "the legacy function role is not supported; use tool messages")
		case "":
			return invalidParam(path+".role", "%s.role is required", path)
		default:
			return invalidParam(path+".role", "%s.role %q is not one of system, developer, user, assistant, tool", path, wm.Role)
		}
		leading = false
	}
	return nil
}

// decodeAssistant orders an assistant turn as reasoning, content, refusal,
// tool calls: the order the model produced them in.
func decodeAssistant(wm *wireMessage, path string) (canonical.Message, error) {
	m := canonical.Message{Role: canonical.RoleAssistant, Name: wm.Name}
	reasoning := wm.ReasoningContent
	if reasoning == nil {
		reasoning = wm.Reasoning // OpenRouter / vLLM alias
	}
	if reasoning != nil && *reasoning != "" {
		m.Parts = append(m.Parts, canonical.Part{Type: canonical.PartReasoning, Text: *reasoning})
	}
	parts, err := decodeContent(wm.Content, path+".content", m.Parts, wm.inPlace)
	if err != nil {
		return m, err
	}
	m.Parts = parts
	for _, p := range m.Parts {
		if p.Type != canonical.PartText && p.Type != canonical.PartRefusal && p.Type != canonical.PartReasoning {
			return m, invalidParam(path+".content", "%s.content of an assistant message may only hold text and refusal parts", path)
		}
	}
	if wm.Refusal != nil && *wm.Refusal != "" {
		m.Parts = append(m.Parts, canonical.Part{Type: canonical.PartRefusal, Text: *wm.Refusal})
	}
	for j := range wm.ToolCalls {
		tc := &wm.ToolCalls[j]
		tcPath := path + ".tool_calls[" + strconv.Itoa(j) + "]"
		if tc.Type != "" && tc.Type != "function" {
			return m, notCarried(tcPath+".type", "tool call type "+strconv.Quote(tc.Type)+" has no canonical form")
		}
		if tc.Function.Name == "" {
			return m, invalidParam(tcPath+".function.name", "%s.function.name is required", tcPath)
		}
		args, err := argumentsText(tc.Function.Arguments)
		if err != nil {
			return m, invalidParam(tcPath+".function.arguments", "%s.function.arguments must be a JSON string", tcPath)
		}
		m.Parts = append(m.Parts, canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{
			ID: tc.ID, Name: tc.Function.Name, Arguments: args,
		}})
	}
	return m, nil
}

// argumentsText returns tool-call arguments as JSON text. The wire value is a
// string holding JSON; some clients send the object itself, which is kept
// as its compact text. Missing or empty arguments become "{}".
func argumentsText(raw json.RawMessage) (string, error) {
	switch rawKind(raw) {
	case 0, 'n':
		return "{}", nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		if s == "" {
			return "{}", nil
		}
		return s, nil
	case '{':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	return "", errors.New("arguments must be JSON text")
}

func appendToolResult(wm *wireMessage, path string, callNames map[string]string, req *canonical.Request) error {
	if wm.ToolCallID == "" {
		return invalidParam(path+".tool_call_id", "%s.tool_call_id is required", path)
	}
	content, err := decodeContent(wm.Content, path+".content", nil, wm.inPlace)
	if err != nil {
		return err
	}
	part := canonical.Part{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{
		CallID: wm.ToolCallID, Name: callNames[wm.ToolCallID], Content: content,
	}}
	if part.ToolResult.Name == "" {
		part.ToolResult.Name = wm.Name
	}
	if n := len(req.Messages); n > 0 && req.Messages[n-1].Role == canonical.RoleTool {
		req.Messages[n-1].Parts = append(req.Messages[n-1].Parts, part)
		return nil
	}
	req.Messages = append(req.Messages, canonical.Message{Role: canonical.RoleTool, Parts: []canonical.Part{part}})
	return nil
}

func decodeTools(ws []wireTool) ([]canonical.Tool, error) {
	if len(ws) == 0 {
		return nil, nil
	}
	tools := make([]canonical.Tool, 0, len(ws))
	for i, wt := range ws {
		path := "tools[" + strconv.Itoa(i) + "]"
		if wt.Type != "" && wt.Type != "function" {
			return nil, notCarried(path+".type", "tool type "+strconv.Quote(wt.Type)+" has no canonical form; only function tools translate")
		}
		if wt.Function == nil || wt.Function.Name == "" {
			return nil, invalidParam(path+".function.name", "%s.function.name is required", path)
		}
		t := canonical.Tool{Name: wt.Function.Name, Description: wt.Function.Description, Strict: wt.Function.Strict}
		if k := rawKind(wt.Function.Parameters); k != 0 && k != 'n' {
			if k != '{' {
				return nil, invalidParam(path+".function.parameters", "%s.function.parameters must be a JSON Schema object", path)
			}
			t.Parameters = bytes.Clone(wt.Function.Parameters)
		}
		tools = append(tools, t)
	}
	return tools, nil
}

func decodeToolChoice(raw json.RawMessage) (*canonical.ToolChoice, error) {
	switch rawKind(raw) {
	case 0, 'n':
		return nil, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalidParam("tool_choice", "tool_choice must be a string or an object")
		}
		switch s {
		case "auto":
			return &canonical.ToolChoice{Mode: canonical.ToolChoiceAuto}, nil
		case "none":
			return &canonical.ToolChoice{Mode: canonical.ToolChoiceNone}, nil
		case "required":
			return &canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}, nil
		}
		return nil, invalidParam("tool_choice", "tool_choice %q is not one of auto, none, required", s)
	case '{':
		var obj struct {
			Type     string `json:"type"`
			Function *struct {
				Name string `json:"name"`
			} `json:"function"`
		}
		if err := json.Unmarshal(raw, &obj); err != nil {
			return nil, invalidParam("tool_choice", "tool_choice object is malformed: %s", typeErrorText(err))
		}
		if obj.Type != "function" {
			return nil, notCarried("tool_choice.type", "tool_choice type "+strconv.Quote(obj.Type)+" has no canonical form")
		}
		if obj.Function == nil || obj.Function.Name == "" {
			return nil, invalidParam("tool_choice.function.name", "tool_choice.function.name is required")
		}
		return &canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: obj.Function.Name}, nil
	}
	return nil, invalidParam("tool_choice", "tool_choice must be a string or an object")
}

func decodeResponseFormat(w *wireResponseFormat) (*canonical.ResponseFormat, error) {
	if w == nil {
		return nil, nil
	}
	switch w.Type {
	case "text":
		return &canonical.ResponseFormat{Type: canonical.FormatText}, nil
	case "json_object":
		return &canonical.ResponseFormat{Type: canonical.FormatJSONObject}, nil
	case "json_schema":
		js := w.JSONSchema
		if js == nil {
			return nil, invalidParam("response_format.json_schema", "response_format.json_schema is required for type json_schema")
		}
		rf := &canonical.ResponseFormat{Type: canonical.FormatJSONSchema, Name: js.Name, Description: js.Description, Strict: js.Strict}
		if k := rawKind(js.Schema); k != 0 && k != 'n' {
			rf.Schema = bytes.Clone(js.Schema)
		}
		return rf, nil
	}
	return nil, invalidParam("response_format.type", "response_format.type %q is not one of text, json_object, json_schema", w.Type)
}

func decodeStop(raw json.RawMessage) ([]string, error) {
	switch rawKind(raw) {
	case 0, 'n':
		return nil, nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, invalidParam("stop", "stop must be a string or an array of strings")
		}
		return []string{s}, nil
	case '[':
		var ss []string
		if err := json.Unmarshal(raw, &ss); err != nil {
			return nil, invalidParam("stop", "stop must be a string or an array of strings")
		}
		return ss, nil
	}
	return nil, invalidParam("stop", "stop must be a string or an array of strings")
}
