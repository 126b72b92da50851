package openai

import "encoding/json"

// Output types for EncodeRequest. Field order is the order on the wire.
type outRequest struct {
	Model             string             `json:"model"`
	Messages          []outMessage       `json:"messages"`
	Tools             []outTool          `json:"tools,omitempty"`
	ToolChoice        any                `json:"tool_choice,omitempty"`
	ParallelToolCalls *bool              `json:"parallel_tool_calls,omitempty"`
	ResponseFormat    *outResponseFormat `json:"response_format,omitempty"`
	MaxTokens         *int               `json:"max_tokens,omitempty"`
	// MaxCompletionTokens carries the cap instead of max_tokens for models
	// that refuse the older name (EncodeOptions.CompletionCap).
	MaxCompletionTokens *int              `json:"max_completion_tokens,omitempty"`
	Temperature         *float64          `json:"temperature,omitempty"`
	TopP                *float64          `json:"top_p,omitempty"`
	FrequencyPenalty    *float64          `json:"frequency_penalty,omitempty"`
	PresencePenalty     *float64          `json:"presence_penalty,omitempty"`
	Stop                []string          `json:"stop,omitempty"`
	Seed                *int64            `json:"seed,omitempty"`
	ReasoningEffort     string            `json:"reasoning_effort,omitempty"`
	User                string            `json:"user,omitempty"`
	Metadata            map[string]string `json:"metadata,omitempty"`
	Stream              bool              `json:"stream,omitempty"`
	StreamOptions       *outStreamOptions `json:"stream_options,omitempty"`
}

type outStreamOptions struct {
	IncludeUsage bool `json:"include_usage"`
}

type outMessage struct {
	Role             string        `json:"role"`
	Name             string        `json:"name,omitempty"`
	Content          *outContent   `json:"content,omitempty"`
	Refusal          string        `json:"refusal,omitempty"`
	ReasoningContent string        `json:"reasoning_content,omitempty"`
	ToolCalls        []outToolCall `json:"tool_calls,omitempty"`
	ToolCallID       string        `json:"tool_call_id,omitempty"`
}

// outContent is a string or an array of parts on the wire.
type outContent struct {
	text  string
	parts []outPart
}

func (c *outContent) MarshalJSON() ([]byte, error) {
	if c.parts != nil {
		return marshalNoEscape(c.parts)
	}
	return appendJSONString(nil, c.text), nil
}

type outPart struct {
	Type       string       `json:"type"`
	Text       string       `json:"text,omitempty"`
	ImageURL   *wireImage   `json:"image_url,omitempty"`
	InputAudio *outAudio    `json:"input_audio,omitempty"`
	File       *outFilePart `json:"file,omitempty"`
}

type wireImage struct {
	URL    string `json:"url"`
	Detail string `json:"detail,omitempty"`
}

type outAudio struct {
	Data   string `json:"data"`
	Format string `json:"format"`
}

type outFilePart struct {
	FileData string `json:"file_data,omitempty"`
	FileID   string `json:"file_id,omitempty"`
	Filename string `json:"filename,omitempty"`
}

type outToolCall struct {
	ID       string      `json:"id"`
	Type     string      `json:"type"`
	Function outFunction `json:"function"`
}

type outFunction struct {
	Name      string `json:"name"`
	Arguments string `json:"arguments"`
}

type outTool struct {
	Type     string         `json:"type"`
	Function outFunctionDef `json:"function"`
}

type outFunctionDef struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Parameters  json.RawMessage `json:"parameters,omitempty"`
	Strict      *bool           `json:"strict,omitempty"`
}

type outResponseFormat struct {
	Type       string         `json:"type"`
	JSONSchema *outJSONSchema `json:"json_schema,omitempty"`
}

type outJSONSchema struct {
	Name        string          `json:"name"`
	Description string          `json:"description,omitempty"`
	Schema      json.RawMessage `json:"schema"`
	Strict      *bool           `json:"strict,omitempty"`
}
