package gemini

import (
	"bytes"
	"encoding/json"
)

// Decode-side wire types. Google's REST surface parses proto JSON, which
// accepts both the lowerCamel names and the original snake_case field names
// (Google's own curl examples send "system_instruction", "inline_data",
// "function_declarations"), so every struct a client writes has a second,
// decode-only field for the snake_case spelling; merge() folds it in.
// Responses come from Google itself and are always lowerCamel.

// list decodes a repeated field given either as a JSON array or as a single
// object: proto JSON accepts both, and Google's examples send
// "parts": {"text": …}.
type list[T any] []T

func (l *list[T]) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var one T
		if err := json.Unmarshal(b, &one); err != nil {
			return err
		}
		*l = list[T]{one}
		return nil
	}
	var many []T
	if err := json.Unmarshal(b, &many); err != nil {
		return err
	}
	*l = many
	return nil
}

// genRequest is a GenerateContentRequest body as a client sends it.
type genRequest struct {
	Contents           list[content]              `json:"contents"`
	SystemInstruction  *content                   `json:"systemInstruction"`
	SystemInstructionS *content                   `json:"system_instruction"`
	Tools              list[json.RawMessage]      `json:"tools"`
	ToolConfig         *toolConfig                `json:"toolConfig"`
	ToolConfigS        *toolConfig                `json:"tool_config"`
	GenerationConfig   map[string]json.RawMessage `json:"generationConfig"`
	GenerationConfigS  map[string]json.RawMessage `json:"generation_config"`
	SafetySettings     json.RawMessage            `json:"safetySettings"`
	SafetySettingsS    json.RawMessage            `json:"safety_settings"`
	CachedContent      string                     `json:"cachedContent"`
	CachedContentS     string                     `json:"cached_content"`
	Nexus              *struct {
		Ext map[string]map[string]json.RawMessage `json:"ext"`
	} `json:"nexus"`
}

func (r *genRequest) merge() {
	r.SystemInstruction = pick(r.SystemInstruction, r.SystemInstructionS)
	r.ToolConfig = pick(r.ToolConfig, r.ToolConfigS)
	if r.GenerationConfig == nil {
		r.GenerationConfig = r.GenerationConfigS
	}
	if r.SafetySettings == nil {
		r.SafetySettings = r.SafetySettingsS
	}
	if r.CachedContent == "" {
		r.CachedContent = r.CachedContentS
	}
}

// content is one turn: role "user" | "model" (older clients: "function").
type content struct {
	Role  string     `json:"role"`
	Parts list[part] `json:"parts"`
}

// part is one Part of a content. Exactly one data field is expected; Text is
// a plain string because a streamed frame decodes one per chunk and an empty
// text part carries nothing we keep unless it has a signature.
type part struct {
	Text             string            `json:"text"`
	Thought          bool              `json:"thought"`
	ThoughtSignature string            `json:"thoughtSignature"`
	InlineData       *blob             `json:"inlineData"`
	FileData         *fileData         `json:"fileData"`
	FunctionCall     *functionCall     `json:"functionCall"`
	FunctionResponse *functionResponse `json:"functionResponse"`

	ThoughtSignatureS string            `json:"thought_signature"`
	InlineDataS       *blob             `json:"inline_data"`
	FileDataS         *fileData         `json:"file_data"`
	FunctionCallS     *functionCall     `json:"function_call"`
	FunctionResponseS *functionResponse `json:"function_response"`

	// Part kinds with no canonical home; seeing one makes DecodeRequest refuse.
	ExecutableCode       json.RawMessage `json:"executableCode"`
	ExecutableCodeS      json.RawMessage `json:"executable_code"`
	CodeExecutionResult  json.RawMessage `json:"codeExecutionResult"`
	CodeExecutionResultS json.RawMessage `json:"code_execution_result"`
}

func (p *part) merge() {
	if p.ThoughtSignature == "" {
		p.ThoughtSignature = p.ThoughtSignatureS
	}
	p.InlineData = pick(p.InlineData, p.InlineDataS)
	p.FileData = pick(p.FileData, p.FileDataS)
	p.FunctionCall = pick(p.FunctionCall, p.FunctionCallS)
	p.FunctionResponse = pick(p.FunctionResponse, p.FunctionResponseS)
	if p.InlineData != nil && p.InlineData.MIMEType == "" {
		p.InlineData.MIMEType = p.InlineData.MIMETypeS
	}
	if p.FileData != nil {
		if p.FileData.MIMEType == "" {
			p.FileData.MIMEType = p.FileData.MIMETypeS
		}
		if p.FileData.FileURI == "" {
			p.FileData.FileURI = p.FileData.FileURIS
		}
	}
	if fc := p.FunctionCall; fc != nil {
		if fc.PartialArgs == nil {
			fc.PartialArgs = fc.PartialArgsS
		}
		fc.WillContinue = fc.WillContinue || fc.WillContinueS
	}
}

// unsupportedKind names a part kind canonical cannot carry, "" if none.
func (p *part) unsupportedKind() string {
	switch {
	case p.ExecutableCode != nil || p.ExecutableCodeS != nil:
		return "executableCode"
	case p.CodeExecutionResult != nil || p.CodeExecutionResultS != nil:
		return "codeExecutionResult"
	}
	return ""
}

type blob struct {
	MIMEType  string `json:"mimeType"`
	MIMETypeS string `json:"mime_type"`
	Data      string `json:"data"`
}

type fileData struct {
	MIMEType  string `json:"mimeType"`
	MIMETypeS string `json:"mime_type"`
	FileURI   string `json:"fileUri"`
	FileURIS  string `json:"file_uri"`
}

type functionCall struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
	// PartialArgs/WillContinue are Gemini 3's streamed function-call
	// arguments (streamFunctionCallArguments): a call opens with its name and
	// willContinue, its argument values follow by JSON path, and an empty
	// functionCall closes it.
	PartialArgs   []partialArg `json:"partialArgs"`
	PartialArgsS  []partialArg `json:"partial_args"`
	WillContinue  bool         `json:"willContinue"`
	WillContinueS bool         `json:"will_continue"`
}

// partialArg is one streamed argument value at a JSON path (RFC 9535 subset).
type partialArg struct {
	JSONPath     string   `json:"jsonPath"`
	StringValue  *string  `json:"stringValue"`
	NumberValue  *float64 `json:"numberValue"`
	BoolValue    *bool    `json:"boolValue"`
	NullValue    *string  `json:"nullValue"`
	WillContinue bool     `json:"willContinue"`
}

type functionResponse struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type toolConfig struct {
	FunctionCallingConfig  *functionCallingConfig `json:"functionCallingConfig"`
	FunctionCallingConfigS *functionCallingConfig `json:"function_calling_config"`
	RetrievalConfig        json.RawMessage        `json:"retrievalConfig"`
	RetrievalConfigS       json.RawMessage        `json:"retrieval_config"`
}

type functionCallingConfig struct {
	Mode                  string   `json:"mode"`
	AllowedFunctionNames  []string `json:"allowedFunctionNames"`
	AllowedFunctionNamesS []string `json:"allowed_function_names"`
}

type functionDeclaration struct {
	Name                  string          `json:"name"`
	Description           string          `json:"description"`
	Parameters            json.RawMessage `json:"parameters"`
	ParametersJSONSchema  json.RawMessage `json:"parametersJsonSchema"`
	ParametersJSONSchemaS json.RawMessage `json:"parameters_json_schema"`
}

// genResponse is a GenerateContentResponse: a unary body or one stream frame.
type genResponse struct {
	frameBody
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
	CreateTime   string `json:"createTime"`
}

// frameBody is the part of a response that changes from frame to frame;
// the stream decoder reads frames after the first into it alone, so the
// ids repeated on every frame are skipped instead of allocated again.
type frameBody struct {
	Candidates     []candidate     `json:"candidates"`
	PromptFeedback *promptFeedback `json:"promptFeedback"`
	UsageMetadata  usageMetadata   `json:"usageMetadata"`
	// Error appears when Google reports a failure inside a 200 stream.
	Error *apiError `json:"error"`
}

// candidate.Content holds only parts: the role is always "model".
type candidate struct {
	Content struct {
		Parts []part `json:"parts"`
	} `json:"content"`
	FinishReason string `json:"finishReason"`
	Index        int    `json:"index"`
}

type promptFeedback struct {
	BlockReason string `json:"blockReason"`
}

// usageMetadata is a value, not a pointer, so decoding it allocates
// nothing; present() stands in for "was it sent".
type usageMetadata struct {
	PromptTokenCount        int `json:"promptTokenCount"`
	CandidatesTokenCount    int `json:"candidatesTokenCount"`
	CachedContentTokenCount int `json:"cachedContentTokenCount"`
	ThoughtsTokenCount      int `json:"thoughtsTokenCount"`
	TotalTokenCount         int `json:"totalTokenCount"`
}

func (u *usageMetadata) present() bool { return *u != usageMetadata{} }

// pick returns a unless it is nil, then b.
func pick[T any](a, b *T) *T {
	if a != nil {
		return a
	}
	return b
}
