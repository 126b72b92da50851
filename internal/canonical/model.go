// Package canonical is the typed pivot every wire shape translates through
// (ARCHITECTURE.md): requests, messages with typed parts, tools, responses,
// usage and stream events. It imports nothing internal. It is a superset of
// the three wire shapes so that Anthropic blocks, OpenAI messages and Gemini
// parts all round-trip; anything with no canonical home rides in Ext.
package canonical

import "encoding/json"

// Role is the author of a message.
type Role string

const (
	RoleSystem    Role = "system" // also OpenAI "developer"
	RoleUser      Role = "user"
	RoleAssistant Role = "assistant" // Gemini "model"
	RoleTool      Role = "tool"      // carries tool results (Anthropic puts them in user turns)
)

// PartType is the closed set of content part kinds.
type PartType string

const (
	PartText       PartType = "text"
	PartImage      PartType = "image"
	PartDocument   PartType = "document"
	PartToolCall   PartType = "tool_call"
	PartToolResult PartType = "tool_result"
	PartReasoning  PartType = "reasoning"
	PartRefusal    PartType = "refusal"
	PartAudio      PartType = "audio" // input audio (OpenAI input_audio, Gemini inlineData audio/*): Media.Data + MIMEType
)

// Part is one typed piece of content. Exactly the fields for its Type are set.
type Part struct {
	Type PartType `json:"type"`

	// Text holds the text of text, refusal and reasoning parts.
	Text string `json:"text,omitempty"`

	// Media is set for image, document and audio parts.
	Media *Media `json:"media,omitempty"`

	// ToolCall is set for tool_call parts (assistant asks to run a tool).
	ToolCall *ToolCall `json:"tool_call,omitempty"`

	// ToolResult is set for tool_result parts (the caller answers a call).
	ToolResult *ToolResult `json:"tool_result,omitempty"`

	// Reasoning carries what makes a reasoning part replayable on the next turn.
	Reasoning *Reasoning `json:"reasoning,omitempty"`

	// CacheControl keeps an Anthropic prompt-cache marker on the part ("ephemeral"), "" = none.
	CacheControl string `json:"cache_control,omitempty"`
	// CacheTTL keeps the Anthropic cache_control ttl ("5m", "1h") next to
	// CacheControl; "" = the provider default. Without it a 1h breakpoint
	// re-encoded for Anthropic would silently become a 5m one.
	CacheTTL string `json:"cache_ttl,omitempty"`

	// ThoughtSignature is Gemini's opaque thoughtSignature on a text part
	// (Gemini 3 attaches one to the answer text and wants it replayed).
	// Reasoning parts keep theirs in Reasoning.Signature, tool calls in
	// ToolCall.ThoughtSignature; shapes without the concept drop it.
	ThoughtSignature string `json:"thought_signature,omitempty"`
}

// Media is an image or document, given by URL or by bytes.
type Media struct {
	URL      string `json:"url,omitempty"`       // http(s) or provider file URI (Gemini fileData)
	MIMEType string `json:"mime_type,omitempty"` // e.g. image/png, application/pdf
	Data     []byte `json:"data,omitempty"`      // raw bytes (decoded from base64 / data URL)
	Detail   string `json:"detail,omitempty"`    // OpenAI image detail: auto|low|high
	Title    string `json:"title,omitempty"`     // document title, when the shape has one
	// FileID references a file uploaded to the provider's file store (OpenAI
	// file_id, Anthropic Files API); only that provider can resolve it.
	FileID string `json:"file_id,omitempty"`
}

// ToolCall is a function call requested by the model. Arguments is the JSON
// text of the arguments object as produced by the model (may be "{}").
type ToolCall struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
	// ThoughtSignature is Gemini's opaque signature attached to a functionCall part.
	ThoughtSignature string `json:"thought_signature,omitempty"`
}

// ToolResult answers a tool call.
type ToolResult struct {
	CallID  string `json:"call_id"`
	Name    string `json:"name,omitempty"` // Gemini functionResponse needs the name
	Content []Part `json:"content"`        // text and/or images
	IsError bool   `json:"is_error,omitempty"`
}

// Reasoning is the provider-specific evidence a reasoning part carries.
type Reasoning struct {
	Signature string `json:"signature,omitempty"` // Anthropic thinking signature, Gemini thoughtSignature
	// Provider is the wire family whose model produced Signature / Data
	// ("anthropic", "gemini"; "" unknown). Only that provider verifies them:
	// encoders drop another provider's signature instead of replaying it
	// (ShowSignature / ReadSignature carry it across shapes).
	Provider string `json:"provider,omitempty"`
	Redacted bool   `json:"redacted,omitempty"` // Anthropic redacted_thinking: Data holds the opaque payload
	Data     string `json:"data,omitempty"`     // redacted/encrypted payload (Anthropic redacted data, OpenAI encrypted_content)
	Summary  bool   `json:"summary,omitempty"`  // text is a summary (OpenAI Responses reasoning summary)
}

// Message is one turn.
type Message struct {
	Role  Role   `json:"role"`
	Name  string `json:"name,omitempty"`
	Parts []Part `json:"parts"`
}

// Tool is a function the model may call. Parameters is a JSON Schema object.
type Tool struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
	// CacheControl / CacheTTL keep an Anthropic prompt-cache breakpoint set on
	// the tool definition (same meaning as on Part); "" = none.
	CacheControl string `json:"cache_control,omitempty"`
	CacheTTL     string `json:"cache_ttl,omitempty"`
}

// ToolChoiceMode is the closed set of tool-choice modes.
type ToolChoiceMode string

const (
	ToolChoiceAuto     ToolChoiceMode = "auto"
	ToolChoiceNone     ToolChoiceMode = "none"
	ToolChoiceRequired ToolChoiceMode = "required" // Anthropic "any", Gemini ANY
	ToolChoiceTool     ToolChoiceMode = "tool"     // a named tool
)

// ToolChoice says whether and which tools the model must call.
type ToolChoice struct {
	Mode ToolChoiceMode `json:"mode"`
	Name string         `json:"name,omitempty"` // for ToolChoiceTool
}

// ResponseFormatType is the closed set of output formats.
type ResponseFormatType string

const (
	FormatText       ResponseFormatType = "text"
	FormatJSONObject ResponseFormatType = "json_object"
	FormatJSONSchema ResponseFormatType = "json_schema"
)

// ResponseFormat asks for structured output.
type ResponseFormat struct {
	Type        ResponseFormatType `json:"type"`
	Name        string             `json:"name,omitempty"`
	Description string             `json:"description,omitempty"`
	Schema      json.RawMessage    `json:"schema,omitempty"`
	Strict      *bool              `json:"strict,omitempty"`
}

// Request is a chat/messages/generateContent request in canonical form.
type Request struct {
	Model string `json:"model"`
	// System holds the system prompt as parts (OpenAI leading system/developer
	// messages, Anthropic system, Gemini systemInstruction).
	System   []Part    `json:"system,omitempty"`
	Messages []Message `json:"messages"`

	Tools             []Tool          `json:"tools,omitempty"`
	ToolChoice        *ToolChoice     `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool           `json:"parallel_tool_calls,omitempty"`
	ResponseFormat    *ResponseFormat `json:"response_format,omitempty"`

	MaxTokens       *int              `json:"max_tokens,omitempty"`
	Temperature     *float64          `json:"temperature,omitempty"`
	TopP            *float64          `json:"top_p,omitempty"`
	TopK            *int              `json:"top_k,omitempty"`
	Stop            []string          `json:"stop,omitempty"`
	Seed            *int64            `json:"seed,omitempty"`
	ReasoningEffort string            `json:"reasoning_effort,omitempty"` // minimal|low|medium|high
	User            string            `json:"user,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`

	// FrequencyPenalty and PresencePenalty are OpenAI/Gemini sampling
	// penalties (-2..2); targets without them must refuse or coerce.
	FrequencyPenalty *float64 `json:"frequency_penalty,omitempty"`
	PresencePenalty  *float64 `json:"presence_penalty,omitempty"`

	Stream       bool `json:"stream,omitempty"`
	IncludeUsage bool `json:"include_usage,omitempty"` // client asked for streamed usage (OpenAI stream_options)

	// Ext carries provider-only parameters: Ext["anthropic"]["thinking"] is the
	// wire's nexus.ext.anthropic.thinking. Only that provider's adapter reads it.
	Ext Ext `json:"ext,omitempty"`
}

// Ext is the per-provider extension slot: provider → key → raw JSON value.
type Ext map[string]map[string]json.RawMessage

// Get returns the raw value of ext[provider][key], nil when absent.
func (e Ext) Get(provider, key string) json.RawMessage {
	if e == nil {
		return nil
	}
	return e[provider][key]
}

// Set stores a raw value, creating maps as needed.
func (e *Ext) Set(provider, key string, v json.RawMessage) {
	if *e == nil {
		*e = Ext{}
	}
	m := (*e)[provider]
	if m == nil {
		m = map[string]json.RawMessage{}
		(*e)[provider] = m
	}
	m[key] = v
}

// FinishReason is the closed set of reasons a turn ended.
type FinishReason string

const (
	FinishStop          FinishReason = "stop"
	FinishLength        FinishReason = "length"
	FinishToolCalls     FinishReason = "tool_calls"
	FinishContentFilter FinishReason = "content_filter"
	FinishRefusal       FinishReason = "refusal" // Anthropic "refusal"; OpenAI shows content_filter
	FinishPause         FinishReason = "pause"   // Anthropic "pause_turn"
)

// Usage counts tokens in the OpenAI convention: InputTokens includes cached
// reads and cache writes; OutputTokens includes reasoning tokens.
type Usage struct {
	InputTokens      int `json:"input_tokens"`
	OutputTokens     int `json:"output_tokens"`
	CacheReadTokens  int `json:"cache_read_tokens,omitempty"`
	CacheWriteTokens int `json:"cache_write_tokens,omitempty"`
	ReasoningTokens  int `json:"reasoning_tokens,omitempty"`
}

// Total is input plus output.
func (u Usage) Total() int { return u.InputTokens + u.OutputTokens }

// Response is a complete (non-streamed) model answer: one choice.
type Response struct {
	ID           string       `json:"id"`
	Model        string       `json:"model"`
	Created      int64        `json:"created,omitempty"` // unix seconds
	Content      []Part       `json:"content"`
	FinishReason FinishReason `json:"finish_reason"`
	StopSequence string       `json:"stop_sequence,omitempty"`
	Usage        *Usage       `json:"usage,omitempty"`
	Ext          Ext          `json:"ext,omitempty"`
}

// Coercion records one parameter an encoder rewrote or dropped because the
// target cannot take it as sent but it is a pure hint on the documented list.
// Rendered in X-Nexus-Coerced as "<Field>-><To>", e.g. "max_tokens->max_completion_tokens",
// "seed->removed".
type Coercion struct {
	Field string
	To    string
}

func (c Coercion) String() string { return c.Field + "->" + c.To }
