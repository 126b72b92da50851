package responses

import (
	"encoding/json"
	"slices"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// reqEncoder carries one EncodeRequest call: the kept state and the
// coercions, once per field.
type reqEncoder struct {
	st      state
	notes   noteIndex
	natives []native
	coerced []canonical.Coercion
}

func (e *reqEncoder) coerce(field, to string) {
	c := canonical.Coercion{Field: field, To: to}
	if !slices.Contains(e.coerced, c) {
		e.coerced = append(e.coerced, c)
	}
}

// obj is a JSON object under construction; encoding/json writes its keys
// sorted, which keeps the body deterministic.
type obj = map[string]any

// EncodeRequest renders req as a Responses API request body for a native
// Responses upstream serving upstreamModel (req.Model when empty). The
// state DecodeRequest kept (Ext["openai"]["responses"]) is put back: stateful
// members, built-in tools, native items, item ids and annotations. What
// the Responses wire cannot express is refused with 400
// nexus_field_unsupported; documented hints are dropped and listed as
// coercions (doc.go).
func EncodeRequest(req *canonical.Request, upstreamModel string) ([]byte, []canonical.Coercion, error) {
	st, ok := loadState(req.Ext)
	if !ok {
		return nil, nil, unsupported("nexus.ext.openai."+ExtKey, "the kept Responses state is malformed")
	}
	e := &reqEncoder{st: st, notes: indexNotes(st.notes), natives: st.natives}
	out := obj{}
	for k, v := range st.fields {
		out[k] = json.RawMessage(v)
	}
	out["model"] = upstreamModel
	if upstreamModel == "" {
		out["model"] = req.Model
	}
	if err := e.hints(req); err != nil {
		return nil, nil, err
	}
	instr, err := instructions(req.System)
	if err != nil {
		return nil, nil, err
	}
	if instr != "" {
		out["instructions"] = instr
	}
	input, err := e.input(req.Messages)
	if err != nil {
		return nil, nil, err
	}
	out["input"] = input
	if err := e.tools(req, out); err != nil {
		return nil, nil, err
	}
	if err := e.text(req, out); err != nil {
		return nil, nil, err
	}
	if req.ReasoningEffort != "" || out["reasoning"] != nil {
		r := keptObject(st.fields["reasoning"])
		if req.ReasoningEffort != "" {
			r["effort"] = req.ReasoningEffort
		}
		out["reasoning"] = r
	}
	setIf(out, "max_output_tokens", req.MaxTokens)
	setIf(out, "temperature", req.Temperature)
	setIf(out, "top_p", req.TopP)
	setIf(out, "parallel_tool_calls", req.ParallelToolCalls)
	if req.Metadata != nil {
		out["metadata"] = req.Metadata
	}
	if req.User != "" {
		out["user"] = req.User
	}
	if req.Stream {
		out["stream"] = true
	}
	for _, k := range [...]string{"service_tier", "prompt_cache_key", "safety_identifier"} {
		if v := req.Ext.Get(providerKey, k); present(v) {
			out[k] = json.RawMessage(v)
		}
	}
	body, err := marshalNoEscape(out)
	if err != nil {
		return nil, nil, canonical.As(err)
	}
	return body, e.coerced, nil
}

func setIf[T any](out obj, key string, v *T) {
	if v != nil {
		out[key] = *v
	}
}

// hints drops what the Responses API has no parameter for. Stop sequences
// change the answer, so they are refused rather than dropped.
func (e *reqEncoder) hints(req *canonical.Request) error {
	if len(req.Stop) > 0 {
		return unsupported("stop", "the Responses API has no stop sequences")
	}
	for _, h := range [...]struct {
		set  bool
		name string
	}{
		{req.TopK != nil, "top_k"}, {req.Seed != nil, "seed"},
		{req.FrequencyPenalty != nil, "frequency_penalty"}, {req.PresencePenalty != nil, "presence_penalty"},
	} {
		if h.set {
			e.coerce(h.name, "removed")
		}
	}
	return nil
}

// instructions joins the system parts. Responses has one instructions
// string; separate system blocks (Anthropic) are kept apart by a blank line.
func instructions(parts []canonical.Part) (string, error) {
	var s string
	for i, p := range parts {
		if p.Type != canonical.PartText {
			return "", unsupported("system["+strconv.Itoa(i)+"]", "instructions hold text only")
		}
		if s != "" && p.Text != "" {
			s += "\n\n"
		}
		s += p.Text
	}
	return s, nil
}

// keptObject decodes a kept object member into a map to extend; anything
// else yields an empty map.
func keptObject(raw json.RawMessage) obj {
	m := obj{}
	var kept map[string]json.RawMessage
	if rawKind(raw) == '{' && json.Unmarshal(raw, &kept) == nil {
		for k, v := range kept {
			m[k] = v
		}
	}
	return m
}

// withExtra merges kept members into an item or part object; members the
// encoder wrote win.
func withExtra(o obj, extra json.RawMessage) obj {
	if !present(extra) {
		return o
	}
	var kept map[string]json.RawMessage
	if json.Unmarshal(extra, &kept) != nil {
		return o
	}
	for k, v := range kept {
		if _, own := o[k]; !own {
			o[k] = v
		}
	}
	return o
}

func (e *reqEncoder) tools(req *canonical.Request, out obj) error {
	tools := make([]any, 0, len(req.Tools)+len(e.st.tools))
	builtin := e.st.tools
	for _, t := range req.Tools {
		for len(builtin) > 0 && builtin[0].Index <= len(tools) {
			tools = append(tools, builtin[0].Tool)
			builtin = builtin[1:]
		}
		if t.CacheControl != "" {
			e.coerce("cache_control", "removed")
		}
		params := json.RawMessage(t.Parameters)
		if !present(params) {
			params = json.RawMessage(`{"type":"object","properties":{}}`)
		}
		// Responses makes function tools strict unless told otherwise; a
		// tool from a wire without the flag keeps chat's non-strict meaning.
		strict := false
		if t.Strict != nil {
			strict = *t.Strict
		}
		tool := obj{"type": "function", "name": t.Name, "parameters": params, "strict": strict}
		if t.Description != "" {
			tool["description"] = t.Description
		}
		tools = append(tools, tool)
	}
	for _, b := range builtin {
		tools = append(tools, b.Tool)
	}
	if len(tools) > 0 {
		out["tools"] = tools
	}
	tc := req.ToolChoice
	if tc == nil {
		return nil // a kept native tool_choice (allowed_tools, …) is already in out
	}
	switch tc.Mode {
	case canonical.ToolChoiceAuto, canonical.ToolChoiceNone, canonical.ToolChoiceRequired:
		out["tool_choice"] = string(tc.Mode)
	case canonical.ToolChoiceTool:
		out["tool_choice"] = obj{"type": "function", "name": tc.Name}
	default:
		return unsupported("tool_choice", "unknown tool_choice mode "+strconv.Quote(string(tc.Mode)))
	}
	if len(tools) == 0 && tc.Mode != canonical.ToolChoiceAuto && tc.Mode != canonical.ToolChoiceNone {
		return unsupported("tool_choice", "a forced tool_choice needs tools")
	}
	return nil
}

func (e *reqEncoder) text(req *canonical.Request, out obj) error {
	t := keptObject(e.st.fields["text"])
	if v := req.Ext.Get(providerKey, "verbosity"); present(v) {
		t["verbosity"] = json.RawMessage(v)
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case canonical.FormatText, canonical.FormatJSONObject:
			t["format"] = obj{"type": string(rf.Type)}
		case canonical.FormatJSONSchema:
			if !present(rf.Schema) {
				return unsupported("response_format.schema", "json_schema output needs a schema")
			}
			f := obj{"type": "json_schema", "name": rf.Name, "schema": json.RawMessage(rf.Schema)}
			if rf.Name == "" {
				f["name"] = "response" // OpenAI requires a name
			}
			if rf.Description != "" {
				f["description"] = rf.Description
			}
			if rf.Strict != nil {
				f["strict"] = *rf.Strict
			}
			t["format"] = f
		default:
			return unsupported("response_format.type", "unknown output format "+strconv.Quote(string(rf.Type)))
		}
	}
	if len(t) > 0 {
		out["text"] = t
	}
	return nil
}
