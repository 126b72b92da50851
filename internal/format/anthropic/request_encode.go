package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// jsonObjectInstruction is appended to the system prompt for
// response_format json_object, which Anthropic has no switch for (SPEC §5.5).
const jsonObjectInstruction = "Respond with exactly one raw JSON object and nothing else: no prose, no Markdown code fences."

// outRequest is the body sent to an Anthropic upstream. Field order is the
// marshalled order.
type outRequest struct {
	Model         string          `json:"model"`
	MaxTokens     int             `json:"max_tokens"`
	System        any             `json:"system,omitempty"` // string or []outBlock
	Messages      []outMessage    `json:"messages"`
	Tools         []any           `json:"tools,omitempty"` // outTool or raw server tool
	ToolChoice    *outToolChoice  `json:"tool_choice,omitempty"`
	StopSequences []string        `json:"stop_sequences,omitempty"`
	Temperature   *float64        `json:"temperature,omitempty"`
	TopP          *float64        `json:"top_p,omitempty"`
	TopK          *int            `json:"top_k,omitempty"`
	Metadata      *wireMetadata   `json:"metadata,omitempty"`
	Stream        bool            `json:"stream,omitempty"`
	OutputConfig  json.RawMessage `json:"output_config,omitempty"`

	Thinking          json.RawMessage `json:"thinking,omitempty"`
	ServiceTier       json.RawMessage `json:"service_tier,omitempty"`
	Container         json.RawMessage `json:"container,omitempty"`
	MCPServers        json.RawMessage `json:"mcp_servers,omitempty"`
	ContextManagement json.RawMessage `json:"context_management,omitempty"`
	CacheControl      json.RawMessage `json:"cache_control,omitempty"`
	InferenceGeo      json.RawMessage `json:"inference_geo,omitempty"`
	Speed             json.RawMessage `json:"speed,omitempty"`
}

// passthroughField returns the top-level field that Ext["anthropic"][key]
// is written back to, nil for keys outside the closed list of Anthropic
// fields without a canonical home (the same list DecodeRequest lifts).
// Keeping it closed means a nexus.ext key can never overwrite model,
// messages or any other field the codec owns.
func (o *outRequest) passthroughField(key string) *json.RawMessage {
	switch key {
	case extThinking:
		return &o.Thinking
	case "service_tier":
		return &o.ServiceTier
	case "container":
		return &o.Container
	case "mcp_servers":
		return &o.MCPServers
	case "context_management":
		return &o.ContextManagement
	case "cache_control":
		return &o.CacheControl
	case "inference_geo":
		return &o.InferenceGeo
	case "speed":
		return &o.Speed
	}
	return nil
}

type outMessage struct {
	Role    string `json:"role"`
	Content []any  `json:"content"` // outBlock or raw native block
}

type outTool struct {
	Name         string            `json:"name"`
	Description  string            `json:"description,omitempty"`
	InputSchema  json.RawMessage   `json:"input_schema"`
	Strict       *bool             `json:"strict,omitempty"`
	CacheControl *wireCacheControl `json:"cache_control,omitempty"`
}

type outToolChoice struct {
	Type                   string `json:"type"`
	Name                   string `json:"name,omitempty"`
	DisableParallelToolUse bool   `json:"disable_parallel_tool_use,omitempty"`
}

// encoder carries the coercions of one EncodeRequest call.
type encoder struct {
	coerced []canonical.Coercion
}

func (e *encoder) coerce(field, to string) {
	c := canonical.Coercion{Field: field, To: to}
	if !slices.Contains(e.coerced, c) {
		e.coerced = append(e.coerced, c)
	}
}

// EncodeRequest renders req as an Anthropic Messages body for upstreamModel.
// It refuses (400 nexus_field_unsupported) what Anthropic cannot honour and
// reports every rewrite or dropped hint as a Coercion (see doc.go).
func EncodeRequest(req *canonical.Request, upstreamModel string) ([]byte, []canonical.Coercion, error) {
	return AppendRequest(nil, req, upstreamModel)
}

// AppendRequest is EncodeRequest writing into dst, so an adapter can encode
// straight into the pooled buffer it sends from.
func AppendRequest(dst []byte, req *canonical.Request, upstreamModel string) ([]byte, []canonical.Coercion, error) {
	if req == nil {
		return nil, nil, invalidf("", "empty request")
	}
	e := &encoder{}
	out := outRequest{
		Model:         upstreamModel,
		StopSequences: req.Stop,
		TopP:          req.TopP,
		TopK:          req.TopK,
		Stream:        req.Stream,
	}
	if req.MaxTokens != nil {
		out.MaxTokens = *req.MaxTokens
	} else {
		out.MaxTokens = defaultMaxTokens(upstreamModel)
		e.coerce("max_tokens", strconv.Itoa(out.MaxTokens)+"_model_default")
	}
	if t := req.Temperature; t != nil {
		if *t < 0 || *t > 1 {
			return nil, nil, unsupported("temperature", fmt.Sprintf("Anthropic accepts 0 to 1, got %g", *t))
		}
		out.Temperature = t
	}
	if req.Seed != nil {
		e.coerce("seed", "removed")
	}
	if req.ReasoningEffort != "" {
		e.coerce("reasoning_effort", "removed")
	}
	// Anthropic has no sampling penalties; like seed and top_k elsewhere
	// they only nudge sampling, so they are dropped as hints.
	if req.FrequencyPenalty != nil {
		e.coerce("frequency_penalty", "removed")
	}
	if req.PresencePenalty != nil {
		e.coerce("presence_penalty", "removed")
	}
	// Other providers' parameters (OpenAI logprobs, Gemini safetySettings,
	// …): hints are dropped and reported, the rest refused.
	coerced, param, why := req.Ext.Foreign(provider)
	if param != "" {
		return nil, nil, unsupported(param, why)
	}
	for _, c := range coerced {
		e.coerce(c.Field, c.To)
	}
	e.encodeUser(req, &out)

	ext := req.Ext[provider]
	natives, err := parseNative(ext[extNative])
	if err != nil {
		return nil, nil, err
	}
	system := slices.Clone(req.System)
	if out.Messages, system, err = e.encodeMessages(req.Messages, system, natives); err != nil {
		return nil, nil, err
	}
	if err := e.encodeFormat(req.ResponseFormat, &system, ext[extOutputConfig], &out); err != nil {
		return nil, nil, err
	}
	if out.System, err = encodeSystem(system); err != nil {
		return nil, nil, err
	}
	if err := encodeTools(req, ext[extServerTools], &out); err != nil {
		return nil, nil, err
	}
	if err := applyExt(ext, &out); err != nil {
		return nil, nil, err
	}
	body, err := marshalRequest(dst, &out)
	if err != nil {
		return nil, nil, fmt.Errorf("anthropic: marshal request: %w", err)
	}
	return body, e.coerced, nil
}

// encodeUser maps User (and an OpenAI metadata user_id) to metadata.user_id;
// other metadata keys are OpenAI dashboard labels Anthropic rejects.
func (e *encoder) encodeUser(req *canonical.Request, out *outRequest) {
	user := req.User
	for k, v := range req.Metadata {
		if k == "user_id" && user == "" {
			user = v
			continue
		}
		e.coerce("metadata", "removed")
	}
	if user != "" {
		out.Metadata = &wireMetadata{UserID: user}
	}
}

func encodeSystem(parts []canonical.Part) (any, error) {
	if len(parts) == 0 {
		return nil, nil
	}
	if len(parts) == 1 && parts[0].Type == canonical.PartText && parts[0].CacheControl == "" {
		return parts[0].Text, nil
	}
	blocks := make([]outBlock, 0, len(parts))
	for i := range parts {
		p := &parts[i]
		if p.Type != canonical.PartText {
			return nil, unsupported(fmt.Sprintf("system[%d]", i), fmt.Sprintf("the system prompt can only hold text, got %s", p.Type))
		}
		if p.Text == "" {
			continue
		}
		blocks = append(blocks, outBlock{Type: "text", Text: strp(p.Text), CacheControl: newCacheControl(p.CacheControl, p.CacheTTL)})
	}
	if len(blocks) == 0 {
		return nil, nil
	}
	return blocks, nil
}

// encodeFormat maps response_format: json_schema to output_config.format,
// json_object to a system instruction (coerced), and merges the raw rest
// of output_config kept by an Anthropic decoder.
func (e *encoder) encodeFormat(rf *canonical.ResponseFormat, system *[]canonical.Part, rest json.RawMessage, out *outRequest) error {
	cfg := map[string]json.RawMessage{}
	if !isNull(rest) {
		if err := json.Unmarshal(rest, &cfg); err != nil {
			return unsupported("nexus.ext.anthropic."+extOutputConfig, "not a JSON object")
		}
	}
	if rf != nil {
		switch rf.Type {
		case canonical.FormatText, "":
		case canonical.FormatJSONObject:
			*system = append(*system, canonical.Part{Type: canonical.PartText, Text: jsonObjectInstruction})
			e.coerce("response_format", "system_instruction")
		case canonical.FormatJSONSchema:
			if isNull(rf.Schema) || firstByte(rf.Schema) != '{' {
				return invalidf("response_format.json_schema.schema", "response_format json_schema needs a schema object")
			}
			f, err := json.Marshal(wireOutputFormat{Type: "json_schema", Schema: rf.Schema})
			if err != nil {
				return invalidf("response_format.json_schema.schema", "response_format schema is not valid JSON")
			}
			cfg["format"] = f
		default:
			return unsupported("response_format.type", fmt.Sprintf("unknown format %q", rf.Type))
		}
	}
	if len(cfg) == 0 {
		return nil
	}
	raw, err := json.Marshal(cfg)
	if err != nil {
		return unsupported("nexus.ext.anthropic."+extOutputConfig, "not valid JSON")
	}
	out.OutputConfig = raw
	return nil
}

func encodeTools(req *canonical.Request, serverTools json.RawMessage, out *outRequest) error {
	for i := range req.Tools {
		t := &req.Tools[i]
		if t.Name == "" {
			return invalidf(fmt.Sprintf("tools[%d].name", i), "tools[%d] has no name", i)
		}
		schema := t.Parameters
		if isNull(schema) {
			schema = json.RawMessage(`{"type":"object","properties":{}}`)
		} else if firstByte(schema) != '{' || !json.Valid(schema) {
			return invalidf(fmt.Sprintf("tools[%d].parameters", i), "tools[%d] parameters must be a JSON Schema object", i)
		}
		out.Tools = append(out.Tools, outTool{
			Name: t.Name, Description: t.Description, InputSchema: schema, Strict: t.Strict,
			CacheControl: newCacheControl(t.CacheControl, t.CacheTTL),
		})
	}
	if !isNull(serverTools) {
		var raws []json.RawMessage
		if err := json.Unmarshal(serverTools, &raws); err != nil {
			return unsupported("nexus.ext.anthropic."+extServerTools, "not an array of tool objects")
		}
		for _, r := range raws {
			out.Tools = append(out.Tools, r)
		}
	}
	return encodeToolChoice(req, out)
}

func encodeToolChoice(req *canonical.Request, out *outRequest) error {
	noParallel := req.ParallelToolCalls != nil && !*req.ParallelToolCalls
	tc := req.ToolChoice
	if tc == nil {
		if noParallel && len(out.Tools) > 0 {
			out.ToolChoice = &outToolChoice{Type: "auto", DisableParallelToolUse: true}
		}
		return nil
	}
	c := &outToolChoice{}
	switch tc.Mode {
	case canonical.ToolChoiceAuto, "":
		c.Type = "auto"
	case canonical.ToolChoiceNone:
		// Never widened to auto; parallelism is moot when no tool may run.
		out.ToolChoice = &outToolChoice{Type: "none"}
		return nil
	case canonical.ToolChoiceRequired:
		c.Type = "any"
	case canonical.ToolChoiceTool:
		if tc.Name == "" {
			return invalidf("tool_choice.function.name", "a named tool_choice needs a tool name")
		}
		c.Type, c.Name = "tool", tc.Name
	default:
		return unsupported("tool_choice", fmt.Sprintf("unknown mode %q", tc.Mode))
	}
	c.DisableParallelToolUse = noParallel
	out.ToolChoice = c
	return nil
}

// applyExt writes Ext["anthropic"] back: allowlisted top-level fields
// verbatim; keys consumed elsewhere are skipped; any other key is refused so
// a typo in nexus.ext.anthropic.* is reported instead of ignored.
func applyExt(ext map[string]json.RawMessage, out *outRequest) error {
	keys := make([]string, 0, len(ext))
	for k := range ext {
		keys = append(keys, k)
	}
	slices.Sort(keys) // report the same bad key every time
	for _, k := range keys {
		v := ext[k]
		switch k {
		case extNative, extServerTools, extOutputConfig:
			continue
		}
		dst := out.passthroughField(k)
		if dst == nil {
			return unsupported("nexus.ext.anthropic."+k, "unknown key (supported: thinking, service_tier, container, mcp_servers, context_management, cache_control, inference_geo, speed, output_config, server_tools)")
		}
		if isNull(v) {
			continue
		}
		if !json.Valid(v) {
			return invalidf("nexus.ext.anthropic."+k, "nexus.ext.anthropic.%s is not valid JSON", k)
		}
		*dst = v
	}
	return nil
}

// marshalNoEscape marshals without HTML escaping: prompts are full of <, >
// and &, and \u003c only bloats the body.
func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}
