package gemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// decodeTools maps functionDeclarations to canonical tools. Other tool kinds
// (googleSearch, codeExecution, urlContext, …) have no canonical form: they
// are kept raw in Ext["gemini"]["tools"] so a Gemini target gets them back.
func decodeTools(req *canonical.Request, tools list[json.RawMessage]) error {
	var extra [][]byte
	for i, raw := range tools {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return invalid(fmt.Sprintf("tools[%d]", i), "tools[%d] must be an object", i)
		}
		others := &node{kind: 'o'}
		for _, key := range slices.Sorted(maps.Keys(fields)) {
			if camel(key) != "functionDeclarations" {
				others.set(camel(key), &node{kind: 'v', value: compactRaw(fields[key])})
				continue
			}
			var decls list[functionDeclaration]
			if err := json.Unmarshal(fields[key], &decls); err != nil {
				return invalid(fmt.Sprintf("tools[%d].functionDeclarations", i), "tools[%d].functionDeclarations must be an array of function declarations", i)
			}
			for k, fd := range decls {
				at := fmt.Sprintf("tools[%d].functionDeclarations[%d]", i, k)
				t, err := decodeDeclaration(at, fd)
				if err != nil {
					return err
				}
				req.Tools = append(req.Tools, t)
			}
		}
		if len(others.keys) > 0 {
			extra = append(extra, others.appendJSON(nil))
		}
	}
	if len(extra) > 0 {
		req.Ext.Set(provider, extTools, append(append([]byte{'['}, bytes.Join(extra, []byte{','})...), ']'))
	}
	return nil
}

func decodeDeclaration(at string, fd functionDeclaration) (canonical.Tool, error) {
	if fd.Name == "" {
		return canonical.Tool{}, invalid(at+".name", "%s.name is required", at)
	}
	t := canonical.Tool{Name: fd.Name, Description: fd.Description}
	js := fd.ParametersJSONSchema
	if js == nil {
		js = fd.ParametersJSONSchemaS
	}
	switch {
	case len(bytes.TrimSpace(js)) > 0 && string(bytes.TrimSpace(js)) != "null":
		// Already JSON Schema: keep it as sent.
		t.Parameters = compactRaw(js)
	case len(bytes.TrimSpace(fd.Parameters)) > 0 && string(bytes.TrimSpace(fd.Parameters)) != "null":
		s, err := normalizeSchema(fd.Parameters)
		if err != nil {
			return canonical.Tool{}, invalid(at+".parameters", "%s.parameters is not a valid schema: %s", at, err.Error())
		}
		t.Parameters = s
	}
	return t, nil
}

// decodeToolConfig maps functionCallingConfig to ToolChoice (SPEC §5.5):
// AUTO→auto, NONE→none, ANY→required, ANY with one allowed name→that tool.
// What ToolChoice cannot say (VALIDATED mode, ANY over a strict subset of
// several tools, retrievalConfig) keeps the whole toolConfig raw in
// Ext["gemini"]["tool_config"], which a Gemini target sends verbatim.
func decodeToolConfig(req *canonical.Request, tc *toolConfig) error {
	if tc == nil {
		return nil
	}
	fcc := pick(tc.FunctionCallingConfig, tc.FunctionCallingConfigS)
	lossy := len(bytes.TrimSpace(pickRaw(tc.RetrievalConfig, tc.RetrievalConfigS))) > 0
	if fcc != nil {
		names := fcc.AllowedFunctionNames
		if names == nil {
			names = fcc.AllowedFunctionNamesS
		}
		mode := strings.ToUpper(fcc.Mode)
		switch mode {
		case "", "AUTO", "MODE_UNSPECIFIED":
			req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceAuto}
			lossy = lossy || len(names) > 0
		case "VALIDATED":
			req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceAuto}
			lossy = true
		case "NONE":
			req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceNone}
			lossy = lossy || len(names) > 0
		case "ANY":
			switch {
			case len(names) == 1:
				req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceTool, Name: names[0]}
			default:
				req.ToolChoice = &canonical.ToolChoice{Mode: canonical.ToolChoiceRequired}
				lossy = lossy || (len(names) > 1 && !coversAllTools(names, req.Tools))
			}
		default:
			return invalid("toolConfig.functionCallingConfig.mode", "unknown function calling mode %q: want AUTO, ANY, NONE or VALIDATED", fcc.Mode)
		}
	}
	if lossy {
		raw, err := marshalToolConfig(tc, fcc)
		if err != nil {
			return invalid("toolConfig", "toolConfig could not be read: %s", err.Error())
		}
		req.Ext.Set(provider, extToolConfig, raw)
	}
	return nil
}

// marshalToolConfig re-renders a toolConfig in lowerCamel form.
func marshalToolConfig(tc *toolConfig, fcc *functionCallingConfig) ([]byte, error) {
	type outFCC struct {
		Mode                 string   `json:"mode,omitempty"`
		AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
	}
	out := struct {
		FunctionCallingConfig *outFCC         `json:"functionCallingConfig,omitempty"`
		RetrievalConfig       json.RawMessage `json:"retrievalConfig,omitempty"`
	}{RetrievalConfig: pickRaw(tc.RetrievalConfig, tc.RetrievalConfigS)}
	if fcc != nil {
		names := fcc.AllowedFunctionNames
		if names == nil {
			names = fcc.AllowedFunctionNamesS
		}
		out.FunctionCallingConfig = &outFCC{Mode: fcc.Mode, AllowedFunctionNames: names}
	}
	return marshal(out)
}

func coversAllTools(names []string, tools []canonical.Tool) bool {
	for _, t := range tools {
		if !slices.Contains(names, t.Name) {
			return false
		}
	}
	return true
}

func pickRaw(a, b json.RawMessage) json.RawMessage {
	if len(bytes.TrimSpace(a)) > 0 && string(bytes.TrimSpace(a)) != "null" {
		return a
	}
	if len(bytes.TrimSpace(b)) > 0 && string(bytes.TrimSpace(b)) != "null" {
		return b
	}
	return nil
}

// decodeGenerationConfig reads sampling and output settings. Keys are
// matched in lowerCamel after converting snake_case. Known keys map to
// canonical fields; thinkingConfig is lifted to Ext["gemini"]
// ["thinking_config"] (and mapped to ReasoningEffort); everything else
// (responseModalities, mediaResolution, speechConfig, …) is kept raw in
// Ext["gemini"]["generation_config"] for a Gemini target.
func decodeGenerationConfig(req *canonical.Request, gc map[string]json.RawMessage) error {
	extras := &node{kind: 'o'}
	var mime string
	var schema, jsonSchema json.RawMessage
	for _, rawKey := range slices.Sorted(maps.Keys(gc)) {
		key := camel(rawKey)
		raw := gc[rawKey]
		at := "generationConfig." + key
		if isNull(raw) {
			continue
		}
		var err error
		switch key {
		case "temperature":
			req.Temperature, err = number(at, raw)
		case "topP":
			req.TopP, err = number(at, raw)
		case "presencePenalty":
			req.PresencePenalty, err = number(at, raw)
		case "frequencyPenalty":
			req.FrequencyPenalty, err = number(at, raw)
		case "topK":
			req.TopK, err = integer(at, raw)
		case "maxOutputTokens":
			req.MaxTokens, err = integer(at, raw)
		case "seed":
			var n *int
			if n, err = integer(at, raw); n != nil {
				s := int64(*n)
				req.Seed = &s
			}
		case "candidateCount":
			var n *int
			if n, err = integer(at, raw); err == nil && n != nil && *n > 1 {
				return unsupportedInput(at, "the gateway returns one candidate per request")
			}
		case "stopSequences":
			var stops list[string]
			if json.Unmarshal(raw, &stops) != nil {
				var one string
				if json.Unmarshal(raw, &one) != nil {
					return invalid(at, "%s must be an array of strings", at)
				}
				stops = list[string]{one}
			}
			req.Stop = stops
		case "responseMimeType":
			if json.Unmarshal(raw, &mime) != nil {
				return invalid(at, "%s must be a string", at)
			}
		case "responseSchema":
			schema = raw
		case "responseJsonSchema":
			jsonSchema = raw
		case "thinkingConfig":
			raw = compactRaw(raw)
			req.Ext.Set(provider, extThinkingConfig, raw)
			req.ReasoningEffort = effortFromThinking(raw)
		default:
			extras.set(key, &node{kind: 'v', value: compactRaw(raw)})
		}
		if err != nil {
			return err
		}
	}
	if err := decodeResponseFormat(req, mime, schema, jsonSchema, extras); err != nil {
		return err
	}
	if len(extras.keys) > 0 {
		req.Ext.Set(provider, extGenerationConfig, extras.appendJSON(nil))
	}
	return nil
}

// decodeResponseFormat: application/json without a schema is json_object,
// with one json_schema carrying the schema itself (SPEC §16.30: the inner
// schema, never a wrapper). Other MIME types (text/x.enum) have no canonical
// form and stay in the generation_config extras.
func decodeResponseFormat(req *canonical.Request, mime string, schema, jsonSchema json.RawMessage, extras *node) error {
	var s json.RawMessage
	switch {
	case jsonSchema != nil:
		s = compactRaw(jsonSchema)
	case schema != nil:
		n, err := normalizeSchema(schema)
		if err != nil {
			return invalid("generationConfig.responseSchema", "generationConfig.responseSchema is not a valid schema: %s", err.Error())
		}
		s = n
	}
	switch strings.ToLower(mime) {
	case "application/json":
		if s != nil {
			req.ResponseFormat = &canonical.ResponseFormat{Type: canonical.FormatJSONSchema, Schema: s}
		} else {
			req.ResponseFormat = &canonical.ResponseFormat{Type: canonical.FormatJSONObject}
		}
		return nil
	case "text/plain":
		req.ResponseFormat = &canonical.ResponseFormat{Type: canonical.FormatText}
		if s == nil {
			return nil
		}
	case "":
		if s == nil {
			return nil
		}
	}
	if mime != "" {
		extras.set("responseMimeType", scalar(mime))
	}
	if jsonSchema != nil {
		extras.set("responseJsonSchema", &node{kind: 'v', value: compactRaw(jsonSchema)})
	} else if schema != nil {
		extras.set("responseSchema", &node{kind: 'v', value: compactRaw(schema)})
	}
	return nil
}

// effortFromThinking maps a thinkingConfig to the canonical reasoning effort
// so non-Gemini targets get the intent: thinkingLevel directly, and
// thinkingBudget by size (0→minimal, ≤1024 low, ≤8192 medium, more high;
// -1 = dynamic → none).
func effortFromThinking(raw json.RawMessage) string {
	var tc struct {
		Level   string `json:"thinkingLevel"`
		LevelS  string `json:"thinking_level"`
		Budget  *int   `json:"thinkingBudget"`
		BudgetS *int   `json:"thinking_budget"`
	}
	if json.Unmarshal(raw, &tc) != nil {
		return ""
	}
	level := strings.ToLower(tc.Level + tc.LevelS)
	switch level {
	case "minimal", "low", "medium", "high":
		return level
	}
	b := pick(tc.Budget, tc.BudgetS)
	switch {
	case b == nil || *b < 0:
		return ""
	case *b == 0:
		return "minimal"
	case *b <= 1024:
		return "low"
	case *b <= 8192:
		return "medium"
	}
	return "high"
}

func number(at string, raw json.RawMessage) (*float64, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		return nil, invalid(at, "%s must be a number", at)
	}
	return &f, nil
}

// integer accepts 40 and 40.0 (some clients serialize every number as a
// float) but not 40.5.
func integer(at string, raw json.RawMessage) (*int, error) {
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil || f > 1<<53 || f < -(1<<53) || f != float64(int(f)) {
		return nil, invalid(at, "%s must be an integer", at)
	}
	n := int(f)
	return &n, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}
