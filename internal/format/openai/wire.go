package openai

import (
	"encoding/json"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Wire types for decoding OpenAI Chat Completions bodies. Polymorphic members
// (content, tool_choice, stop, arguments) stay json.RawMessage and are
// interpreted by hand so that every accepted variant is explicit and a wrong
// type reports the exact JSON path.

type wireRequest struct {
	Model               string              `json:"model"`
	Messages            []wireMessage       `json:"messages"`
	Tools               []wireTool          `json:"tools"`
	ToolChoice          json.RawMessage     `json:"tool_choice"`
	ParallelToolCalls   *bool               `json:"parallel_tool_calls"`
	ResponseFormat      *wireResponseFormat `json:"response_format"`
	MaxTokens           *int                `json:"max_tokens"`
	MaxCompletionTokens *int                `json:"max_completion_tokens"`
	Temperature         *float64            `json:"temperature"`
	TopP                *float64            `json:"top_p"`
	TopK                *int                `json:"top_k"`
	FrequencyPenalty    *float64            `json:"frequency_penalty"`
	PresencePenalty     *float64            `json:"presence_penalty"`
	Stop                json.RawMessage     `json:"stop"`
	Seed                *int64              `json:"seed"`
	ReasoningEffort     string              `json:"reasoning_effort"`
	User                string              `json:"user"`
	Metadata            map[string]string   `json:"metadata"`
	Stream              bool                `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
	N            *int            `json:"n"`
	Functions    json.RawMessage `json:"functions"`
	FunctionCall json.RawMessage `json:"function_call"`
	Nexus        *struct {
		Ext canonical.Ext `json:"ext"`
	} `json:"nexus"`

	// Fields with no canonical home, lifted into Ext["openai"] (see doc.go).
	LogitBias        json.RawMessage `json:"logit_bias"`
	Logprobs         json.RawMessage `json:"logprobs"`
	TopLogprobs      json.RawMessage `json:"top_logprobs"`
	ServiceTier      json.RawMessage `json:"service_tier"`
	Store            json.RawMessage `json:"store"`
	Prediction       json.RawMessage `json:"prediction"`
	Modalities       json.RawMessage `json:"modalities"`
	Audio            json.RawMessage `json:"audio"`
	WebSearchOptions json.RawMessage `json:"web_search_options"`
	Verbosity        json.RawMessage `json:"verbosity"`
	PromptCacheKey   json.RawMessage `json:"prompt_cache_key"`
	SafetyIdentifier json.RawMessage `json:"safety_identifier"`
	Thinking         json.RawMessage `json:"thinking"`
}

// liftedField is one wire member with no canonical home.
type liftedField struct {
	key string
	val json.RawMessage
}

// liftedFields lists the members DecodeRequest lifts into Ext["openai"] so an
// OpenAI-family target gets them back; EncodeRequest re-emits Ext["openai"].
func (w *wireRequest) liftedFields() [13]liftedField {
	return [13]liftedField{
		{"logit_bias", w.LogitBias}, {"logprobs", w.Logprobs}, {"top_logprobs", w.TopLogprobs},
		{"service_tier", w.ServiceTier}, {"store", w.Store}, {"prediction", w.Prediction},
		{"modalities", w.Modalities}, {"audio", w.Audio}, {"web_search_options", w.WebSearchOptions},
		{"verbosity", w.Verbosity}, {"prompt_cache_key", w.PromptCacheKey},
		{"safety_identifier", w.SafetyIdentifier}, {"thinking", w.Thinking},
	}
}

type wireMessage struct {
	Role string `json:"role"`
	Name string `json:"name"`
	// Content aliases the body being decoded (no copy: prompts can be
	// large); decodeContent turns it into parts before DecodeRequest or
	// DecodeResponse returns.
	Content          rawRef         `json:"content"`
	Refusal          *string        `json:"refusal"`
	ReasoningContent *string        `json:"reasoning_content"`
	Reasoning        *string        `json:"reasoning"`
	ToolCalls        []wireToolCall `json:"tool_calls"`
	ToolCallID       string         `json:"tool_call_id"`
	// inPlace lets a string content alias the body (DecodeRequestInPlace).
	inPlace bool
}

type wireToolCall struct {
	Index    *int   `json:"index"`
	ID       string `json:"id"`
	Type     string `json:"type"`
	Function struct {
		Name      string          `json:"name"`
		Arguments json.RawMessage `json:"arguments"`
	} `json:"function"`
}

// wirePart is one element of an array-valued content.
type wirePart struct {
	Type       string          `json:"type"`
	Text       string          `json:"text"`
	Refusal    string          `json:"refusal"`
	ImageURL   json.RawMessage `json:"image_url"`
	InputAudio *struct {
		Data   string `json:"data"`
		Format string `json:"format"`
	} `json:"input_audio"`
	File *struct {
		FileData string `json:"file_data"`
		FileID   string `json:"file_id"`
		Filename string `json:"filename"`
	} `json:"file"`
	// Thinking is Mistral's reasoning part: {"type":"thinking","thinking":[{"type":"text","text":…}]}.
	Thinking     json.RawMessage `json:"thinking"`
	CacheControl *struct {
		Type string `json:"type"`
		TTL  string `json:"ttl"`
	} `json:"cache_control"`
}

type wireImageURL struct {
	URL    string `json:"url"`
	Detail string `json:"detail"`
}

type wireTool struct {
	Type     string `json:"type"`
	Function *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
		Strict      *bool           `json:"strict"`
	} `json:"function"`
}

type wireResponseFormat struct {
	Type       string `json:"type"`
	JSONSchema *struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Schema      json.RawMessage `json:"schema"`
		Strict      *bool           `json:"strict"`
	} `json:"json_schema"`
}

// wireUsage covers OpenAI usage plus the cached-token aliases of compatible
// vendors (SPEC §5.10).
type wireUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	TotalTokens         int `json:"total_tokens"`
	PromptTokensDetails *struct {
		CachedTokens *int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	PromptCacheHitTokens *int `json:"prompt_cache_hit_tokens"` // DeepSeek
	PromptCacheTokens    *int `json:"prompt_cache_tokens"`     // Moonshot
	CachedTokens         *int `json:"cached_tokens"`           // Moonshot (top-level variant)
}

// wireError is the OpenAI-family error object; code is a string, a number or null.
type wireError struct {
	Message string          `json:"message"`
	Type    *string         `json:"type"`
	Param   *string         `json:"param"`
	Code    json.RawMessage `json:"code"`
}
