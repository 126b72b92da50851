package gemini

import (
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// media renders an image/document/audio part as inlineData (bytes or a data
// URL) or fileData (any other URL: Gemini file URIs, public URLs).
func (e *requestEncoder) media(at string, p *canonical.Part) (outPart, error) {
	m := p.Media
	if m == nil {
		return outPart{}, invalid(at+".media", "%s: %s part has no media", at, p.Type)
	}
	switch strings.ToLower(m.Detail) {
	case "", "auto":
	case "low":
		// A cost hint: Gemini picks its own resolution per request.
		e.coerce("image_url.detail", "removed")
	case "high":
		return outPart{}, unsupported(at+".detail", `Gemini has no per-image detail setting, so "high" cannot be honoured`)
	default:
		return outPart{}, invalid(at+".detail", "unknown image detail %q", m.Detail)
	}
	if m.Title != "" {
		e.coerce("document.title", "removed")
	}
	switch {
	case len(m.Data) > 0:
		mt := m.MIMEType
		if mt == "" {
			mt = http.DetectContentType(m.Data)
		}
		return outPart{InlineData: &outBlob{MIMEType: mt, Data: m.Data}}, nil
	case strings.HasPrefix(m.URL, "data:"):
		mt, data, err := parseDataURL(m.URL)
		if err != nil {
			return outPart{}, invalid(at+".url", "%s: malformed data URL: %s", at, err.Error())
		}
		if mt == "" {
			mt = m.MIMEType
		}
		return outPart{InlineData: &outBlob{MIMEType: mt, Data: data}}, nil
	case m.URL != "":
		mt := m.MIMEType
		if mt == "" {
			mt = mime.TypeByExtension(path.Ext(strings.SplitN(m.URL, "?", 2)[0]))
			mt, _, _ = strings.Cut(mt, ";")
		}
		return outPart{FileData: &outFileData{MIMEType: mt, FileURI: m.URL}}, nil
	case m.FileID != "":
		return outPart{}, unsupported(at+".file_id", "a file id from another provider's file store cannot be resolved by Gemini")
	}
	return outPart{}, invalid(at+".media", "%s: media has neither data nor a URL", at)
}

// parseDataURL splits "data:<mime>[;base64],<payload>" (RFC 2397).
func parseDataURL(u string) (string, []byte, error) {
	meta, payload, ok := strings.Cut(strings.TrimPrefix(u, "data:"), ",")
	if !ok {
		return "", nil, fmt.Errorf("no comma")
	}
	isB64 := strings.HasSuffix(meta, ";base64")
	mt, _, _ := strings.Cut(strings.TrimSuffix(meta, ";base64"), ";")
	if isB64 {
		data, err := decodeBase64(payload)
		if err != nil {
			return "", nil, fmt.Errorf("payload is not base64")
		}
		return mt, data, nil
	}
	s, err := url.PathUnescape(payload)
	if err != nil {
		return "", nil, err
	}
	return mt, []byte(s), nil
}

// tools renders function declarations (schemas as parametersJsonSchema:
// canonical parameters are JSON Schema, which the Schema-subset
// "parameters" field rejects when it uses additionalProperties, $defs, …),
// then appends Ext["gemini"]["tools"] (googleSearch & co.), then toolConfig.
func (e *requestEncoder) tools(out *outRequest) error {
	req := e.req
	var decls []outDeclaration
	for i, t := range req.Tools {
		if t.Name == "" {
			return invalid(fmt.Sprintf("tools[%d].name", i), "tools[%d] has no name", i)
		}
		if t.Strict != nil && *t.Strict {
			// Gemini validates calls against the declared schema anyway.
			e.coerce("tools.strict", "removed")
		}
		if t.CacheControl != "" {
			e.coerce("cache_control", "removed")
		}
		d := outDeclaration{Name: t.Name, Description: t.Description}
		if !isNull(t.Parameters) {
			d.ParametersJSONSchema = t.Parameters
		}
		decls = append(decls, d)
	}
	if len(decls) > 0 {
		raw, err := marshal(struct {
			FunctionDeclarations []outDeclaration `json:"functionDeclarations"`
		}{decls})
		if err != nil {
			return fmt.Errorf("gemini: encode tools: %w", err)
		}
		out.Tools = append(out.Tools, raw)
	}
	if raw := req.Ext.Get(provider, extTools); !isNull(raw) {
		var extra []json.RawMessage
		if json.Unmarshal(raw, &extra) != nil {
			return invalid("nexus.ext.gemini.tools", "nexus.ext.gemini.tools must be an array of tool objects")
		}
		out.Tools = append(out.Tools, extra...)
	}
	if raw := req.Ext.Get(provider, extToolConfig); !isNull(raw) {
		out.ToolConfig = raw
		return nil
	}
	tc := req.ToolChoice
	if tc == nil {
		return nil
	}
	fcc := struct {
		Mode                 string   `json:"mode"`
		AllowedFunctionNames []string `json:"allowedFunctionNames,omitempty"`
	}{}
	switch tc.Mode {
	case canonical.ToolChoiceAuto, "":
		fcc.Mode = "AUTO"
	case canonical.ToolChoiceNone:
		fcc.Mode = "NONE"
	case canonical.ToolChoiceRequired:
		fcc.Mode = "ANY"
	case canonical.ToolChoiceTool:
		if tc.Name == "" {
			return invalid("tool_choice.name", "tool_choice names no tool")
		}
		fcc.Mode = "ANY"
		fcc.AllowedFunctionNames = []string{tc.Name}
	default:
		return invalid("tool_choice", "unknown tool_choice mode %q", tc.Mode)
	}
	raw, err := marshal(struct {
		FunctionCallingConfig any `json:"functionCallingConfig"`
	}{fcc})
	if err != nil {
		return fmt.Errorf("gemini: encode toolConfig: %w", err)
	}
	out.ToolConfig = raw
	return nil
}

// generationConfig assembles sampling, output format and thinking settings,
// then adds Ext["gemini"]["generation_config"] keys the canonical fields did
// not already set. nil when empty.
func (e *requestEncoder) generationConfig() (json.RawMessage, error) {
	req := e.req
	gc := &node{kind: 'o'}
	setNum := func(key string, v any) {
		gc.set(key, scalar(v))
	}
	if req.Temperature != nil {
		setNum("temperature", *req.Temperature)
	}
	if req.TopP != nil {
		setNum("topP", *req.TopP)
	}
	if req.TopK != nil {
		setNum("topK", *req.TopK)
	}
	if req.MaxTokens != nil {
		setNum("maxOutputTokens", *req.MaxTokens)
	}
	if len(req.Stop) > 0 {
		setNum("stopSequences", req.Stop)
	}
	if req.Seed != nil {
		setNum("seed", *req.Seed)
	}
	if req.PresencePenalty != nil {
		setNum("presencePenalty", *req.PresencePenalty)
	}
	if req.FrequencyPenalty != nil {
		setNum("frequencyPenalty", *req.FrequencyPenalty)
	}
	if rf := req.ResponseFormat; rf != nil {
		switch rf.Type {
		case canonical.FormatText, "":
			gc.set("responseMimeType", scalar("text/plain"))
		case canonical.FormatJSONObject:
			gc.set("responseMimeType", scalar("application/json"))
		case canonical.FormatJSONSchema:
			if isNull(rf.Schema) {
				return nil, invalid("response_format.json_schema.schema", "response_format json_schema has no schema")
			}
			gc.set("responseMimeType", scalar("application/json"))
			// The inner schema only (SPEC §16.30); name/strict have no Gemini field.
			gc.set("responseJsonSchema", &node{kind: 'v', value: compactRaw(rf.Schema)})
		default:
			return nil, invalid("response_format.type", "unknown response_format type %q", rf.Type)
		}
	}
	if err := e.thinking(gc); err != nil {
		return nil, err
	}
	if raw := req.Ext.Get(provider, extGenerationConfig); !isNull(raw) {
		extra, err := parseTree(raw)
		if err != nil || extra.kind != 'o' {
			return nil, invalid("nexus.ext.gemini.generation_config", "nexus.ext.gemini.generation_config must be an object")
		}
		for k, key := range extra.keys {
			if gc.get(camel(key)) == nil {
				gc.set(camel(key), extra.vals[k])
			}
		}
	}
	if len(gc.keys) == 0 {
		return nil, nil
	}
	return gc.appendJSON(nil), nil
}

// thinking sets thinkingConfig: Ext["gemini"]["thinking_config"] verbatim
// with keys converted to lowerCamel (SPEC §5.7 documents the snake_case
// form), else a mapping of ReasoningEffort by model generation.
func (e *requestEncoder) thinking(gc *node) error {
	if raw := e.req.Ext.Get(provider, extThinkingConfig); !isNull(raw) {
		tc, err := parseTree(raw)
		if err != nil || tc.kind != 'o' {
			return invalid("nexus.ext.gemini.thinking_config", "nexus.ext.gemini.thinking_config must be an object")
		}
		for k := range tc.keys {
			tc.keys[k] = camel(tc.keys[k])
		}
		gc.set("thinkingConfig", tc)
		return nil
	}
	effort := strings.ToLower(e.req.ReasoningEffort)
	if effort == "" {
		return nil
	}
	budgets := map[string]int{"minimal": 512, "low": 1024, "medium": 8192, "high": 24576}
	budget, ok := budgets[effort]
	if !ok {
		return invalid("reasoning_effort", "unknown reasoning_effort %q: want minimal, low, medium or high", e.req.ReasoningEffort)
	}
	major, minor, known := geminiVersion(e.model)
	switch {
	case known && major >= 3:
		gc.set("thinkingConfig", &node{kind: 'o', keys: []string{"thinkingLevel"}, vals: []*node{scalar(effort)}})
		e.coerce("reasoning_effort", "thinking_level")
	case known && major == 2 && minor >= 5:
		// Budgets follow Google's OpenAI-compatibility mapping; 512 for
		// minimal is the smallest budget every 2.5 model accepts.
		gc.set("thinkingConfig", &node{kind: 'o', keys: []string{"thinkingBudget"}, vals: []*node{scalar(budget)}})
		e.coerce("reasoning_effort", "thinking_budget")
	default:
		// Models before 2.5 (and unknown ones) reject thinkingConfig.
		e.coerce("reasoning_effort", "removed")
	}
	return nil
}

// modelID normalizes an upstream model id ("models/gemini-2.5-pro" → "gemini-2.5-pro").
func modelID(m string) string {
	return strings.ToLower(strings.TrimPrefix(strings.TrimSpace(m), "models/"))
}

// geminiVersion parses "gemini-<major>[.<minor>]-…"; known=false otherwise.
func geminiVersion(model string) (major, minor int, known bool) {
	rest, ok := strings.CutPrefix(model, "gemini-")
	if !ok {
		return 0, 0, false
	}
	ver, _, _ := strings.Cut(rest, "-")
	majS, minS, _ := strings.Cut(ver, ".")
	maj, err := strconv.Atoi(majS)
	if err != nil {
		return 0, 0, false
	}
	mn := 0
	if minS != "" {
		if mn, err = strconv.Atoi(minS); err != nil {
			return 0, 0, false
		}
	}
	return maj, mn, true
}

// needsSignatures reports whether the model validates thought signatures on
// function-call history (Gemini 3 and later).
func needsSignatures(model string) bool {
	major, _, known := geminiVersion(model)
	return known && major >= 3
}
