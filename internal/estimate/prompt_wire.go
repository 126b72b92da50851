package estimate

import "encoding/json"

// wireBody lists every member of the supported shapes that carries text or
// an output/reasoning setting. Polymorphic members stay raw and are read by
// the helpers below.
type wireBody struct {
	Messages          []wireMessage   `json:"messages"`
	System            json.RawMessage `json:"system"`
	Input             json.RawMessage `json:"input"`
	Instructions      json.RawMessage `json:"instructions"`
	Contents          []geminiContent `json:"contents"`
	SystemInstruction *geminiContent  `json:"systemInstruction"`
	SystemInstr2      *geminiContent  `json:"system_instruction"`
	Tools             []wireTool      `json:"tools"`
	ToolChoice        json.RawMessage `json:"tool_choice"`
	ToolConfig        *struct {
		FunctionCallingConfig struct {
			Mode string `json:"mode"`
		} `json:"functionCallingConfig"`
	} `json:"toolConfig"`

	// Structured-output schemas of each shape.
	ResponseFormat *struct {
		JSONSchema *struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"json_schema"`
	} `json:"response_format"`
	Text *struct {
		Format *struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"format"`
	} `json:"text"`
	OutputConfig *struct {
		Format *struct {
			Schema json.RawMessage `json:"schema"`
		} `json:"format"`
	} `json:"output_config"`

	MaxTokens           *int           `json:"max_tokens"`
	MaxCompletionTokens *int           `json:"max_completion_tokens"`
	MaxOutputTokens     *int           `json:"max_output_tokens"`
	GenerationConfig    *geminiGenConf `json:"generationConfig"`
	GenerationConfig2   *geminiGenConf `json:"generation_config"`

	ReasoningEffort *string `json:"reasoning_effort"`
	Reasoning       *struct {
		Effort *string `json:"effort"`
	} `json:"reasoning"`
	Thinking       *wireThinking       `json:"thinking"`
	ThinkingConfig *wireThinkingConfig `json:"thinking_config"`
	Nexus          *struct {
		Ext struct {
			Anthropic struct {
				Thinking *wireThinking `json:"thinking"`
			} `json:"anthropic"`
			Gemini struct {
				ThinkingConfig *wireThinkingConfig `json:"thinking_config"`
			} `json:"gemini"`
		} `json:"ext"`
	} `json:"nexus"`
}

type wireMessage struct {
	Role       string          `json:"role"`
	Name       string          `json:"name"`
	Content    json.RawMessage `json:"content"`
	ToolCallID string          `json:"tool_call_id"`
	ToolCalls  []struct {
		Function struct {
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
		} `json:"function"`
	} `json:"tool_calls"`
}

// wirePart is a content part of any shape: OpenAI (text, image_url,
// input_audio, file), Anthropic (text, image, document, tool_use,
// tool_result, thinking), Responses items and parts (input_text,
// output_text, function_call, function_call_output), Gemini parts.
type wirePart struct {
	Type      string          `json:"type"`
	Role      string          `json:"role"`
	Text      *string         `json:"text"`
	Name      string          `json:"name"`
	Input     json.RawMessage `json:"input"`     // Anthropic tool_use
	Content   json.RawMessage `json:"content"`   // Anthropic tool_result, Responses message item
	Arguments *string         `json:"arguments"` // Responses function_call
	Output    json.RawMessage `json:"output"`    // Responses function_call_output

	FunctionCall     *geminiCall     `json:"functionCall"`
	FunctionResponse *geminiResponse `json:"functionResponse"`
	InlineData       json.RawMessage `json:"inlineData"`
	FileData         json.RawMessage `json:"fileData"`
}

type geminiContent struct {
	Role  string     `json:"role"`
	Parts []wirePart `json:"parts"`
}

type geminiCall struct {
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type geminiResponse struct {
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type geminiGenConf struct {
	ResponseSchema     json.RawMessage     `json:"responseSchema"`
	ResponseJSONSchema json.RawMessage     `json:"responseJsonSchema"`
	MaxOutputTokens    *int                `json:"maxOutputTokens"`
	MaxOutputTokens2   *int                `json:"max_output_tokens"`
	ThinkingConfig     *wireThinkingConfig `json:"thinkingConfig"`
	ThinkingConfig2    *wireThinkingConfig `json:"thinking_config"`
}

type wireThinking struct {
	Type         string `json:"type"`
	BudgetTokens *int   `json:"budget_tokens"`
}

type wireThinkingConfig struct {
	ThinkingBudget  *int   `json:"thinking_budget"`
	ThinkingBudget2 *int   `json:"thinkingBudget"`
	ThinkingLevel   string `json:"thinkingLevel"`
	ThinkingLevel2  string `json:"thinking_level"`
}

func (c *wireThinkingConfig) budget() *int {
	if c.ThinkingBudget != nil {
		return c.ThinkingBudget
	}
	return c.ThinkingBudget2
}

// wireTool is a tool definition of any shape: OpenAI chat wraps it in
// "function", Responses and Anthropic put it at the top, Gemini groups
// declarations under functionDeclarations.
type wireTool struct {
	Type                 string          `json:"type"`
	Function             *wireFunction   `json:"function"`
	FunctionDeclarations []wireFunction  `json:"functionDeclarations"`
	FunctionDecls2       []wireFunction  `json:"function_declarations"`
	Name                 string          `json:"name"`
	Description          string          `json:"description"`
	Parameters           json.RawMessage `json:"parameters"`
	InputSchema          json.RawMessage `json:"input_schema"`
}

type wireFunction struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description"`
	Parameters           json.RawMessage `json:"parameters"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
	ParametersJSONSnake  json.RawMessage `json:"parameters_json_schema"`
}

// toolDef is one function the model may call.
type toolDef struct {
	name, description string
	params            json.RawMessage // JSON Schema of the arguments; may be empty
}
