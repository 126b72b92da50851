package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"google.golang.org/genai"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// seen is what one client SDK reported, in that client's own vocabulary:
// Finish is its finish/stop reason string and Usage its own counters.
type seen struct {
	Text      string
	Reasoning string
	Redacted  bool
	Refusal   string
	Calls     []call
	Finish    string
	Usage     clientUsage
}

// clientUsage holds a client's usage fields as that client defines them
// (Anthropic input_tokens exclude cache reads; Gemini candidates exclude
// thoughts).
type clientUsage struct {
	Input, Output, Cached, CacheWrite, Reasoning int
}

// view says what a client of the given shape must see for an upstream
// answer o: the shape's finish vocabulary and usage convention.
func view(shape string, o outcome) seen {
	u := o.Usage
	switch shape {
	case "openai":
		finish := map[canonical.FinishReason]string{canonical.FinishLength: "length", canonical.FinishToolCalls: "tool_calls",
			canonical.FinishContentFilter: "content_filter", canonical.FinishRefusal: "content_filter"}[o.Finish]
		if finish == "" {
			finish = "stop"
		}
		return seen{Text: o.Text, Reasoning: o.Reasoning, Refusal: o.Refusal, Calls: o.Calls, Finish: finish,
			Usage: clientUsage{Input: u.InputTokens, Output: u.OutputTokens, Cached: u.CacheReadTokens, Reasoning: u.ReasoningTokens}}
	case "anthropic":
		finish := map[canonical.FinishReason]string{canonical.FinishLength: "max_tokens", canonical.FinishToolCalls: "tool_use",
			canonical.FinishContentFilter: "refusal", canonical.FinishRefusal: "refusal", canonical.FinishPause: "pause_turn"}[o.Finish]
		if finish == "" {
			finish = "end_turn"
		}
		// A refusal has no text field in Messages: its text is shown as text
		// and the turn ends as a refusal.
		if o.Refusal != "" {
			finish = "refusal"
		}
		return seen{Text: o.Text + o.Refusal, Reasoning: o.Reasoning, Redacted: o.Redacted, Calls: o.Calls, Finish: finish,
			Usage: clientUsage{Input: u.InputTokens - u.CacheReadTokens - u.CacheWriteTokens, Output: u.OutputTokens,
				Cached: u.CacheReadTokens, CacheWrite: u.CacheWriteTokens, Reasoning: u.ReasoningTokens}}
	default:
		finish := map[canonical.FinishReason]string{canonical.FinishLength: "MAX_TOKENS",
			canonical.FinishContentFilter: "SAFETY", canonical.FinishRefusal: "SAFETY"}[o.Finish]
		if finish == "" {
			finish = "STOP"
		}
		if o.Refusal != "" {
			finish = "SAFETY"
		}
		return seen{Text: o.Text + o.Refusal, Reasoning: o.Reasoning, Calls: o.Calls, Finish: finish,
			Usage: clientUsage{Input: u.InputTokens, Output: u.OutputTokens - u.ReasoningTokens, Cached: u.CacheReadTokens,
				Reasoning: u.ReasoningTokens}}
	}
}

// ask sends one user message with the given tools declared through the
// official client of shape and reports what it saw.
func (m *matrixEnv) ask(t *testing.T, shape, model, prompt string, tools []string, stream bool) seen {
	t.Helper()
	switch shape {
	case "openai":
		return m.askOpenAI(t, model, prompt, tools, stream)
	case "anthropic":
		return m.askAnthropic(t, model, prompt, tools, stream)
	}
	return m.askGemini(t, model, prompt, tools, stream)
}

func (m *matrixEnv) askOpenAI(t *testing.T, model, prompt string, tools []string, stream bool) seen {
	t.Helper()
	ctx := context.Background()
	c := m.openai()
	p := openai.ChatCompletionNewParams{
		Model:    model,
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(prompt)},
	}
	for _, name := range tools {
		p.Tools = append(p.Tools, openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
			Name: name, Parameters: shared.FunctionParameters{"type": "object", "properties": map[string]any{}}}))
	}
	var s seen
	if !stream {
		resp, err := c.Chat.Completions.New(ctx, p)
		if err != nil {
			t.Fatalf("openai client: %v", err)
		}
		msg := resp.Choices[0].Message
		s = seen{Text: msg.Content, Refusal: msg.Refusal, Finish: resp.Choices[0].FinishReason,
			Reasoning: extraString(msg.JSON.ExtraFields["reasoning_content"].Raw())}
		for _, tc := range msg.ToolCalls {
			s.Calls = append(s.Calls, call{Name: tc.Function.Name, Args: parseArgs(t, tc.Function.Arguments)})
		}
		s.Usage = openAIClientUsage(resp.Usage)
		return s
	}
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	st := c.Chat.Completions.NewStreaming(ctx, p)
	var acc openai.ChatCompletionAccumulator
	var reasoning strings.Builder
	for st.Next() {
		ch := st.Current()
		acc.AddChunk(ch)
		for _, choice := range ch.Choices {
			reasoning.WriteString(extraString(choice.Delta.JSON.ExtraFields["reasoning_content"].Raw()))
		}
	}
	if err := st.Err(); err != nil {
		t.Fatalf("openai stream: %v", err)
	}
	if len(acc.Choices) == 0 {
		t.Fatal("openai stream: no choice")
	}
	msg := acc.Choices[0].Message
	s = seen{Text: msg.Content, Refusal: msg.Refusal, Finish: acc.Choices[0].FinishReason, Reasoning: reasoning.String()}
	for _, tc := range msg.ToolCalls {
		s.Calls = append(s.Calls, call{Name: tc.Function.Name, Args: parseArgs(t, tc.Function.Arguments)})
	}
	s.Usage = openAIClientUsage(acc.Usage)
	return s
}

func openAIClientUsage(u openai.CompletionUsage) clientUsage {
	return clientUsage{Input: int(u.PromptTokens), Output: int(u.CompletionTokens),
		Cached: int(u.PromptTokensDetails.CachedTokens), Reasoning: int(u.CompletionTokensDetails.ReasoningTokens)}
}

// extraString decodes a JSON string from an SDK extra field ("" otherwise).
func extraString(raw string) string {
	var s string
	if json.Unmarshal([]byte(raw), &s) != nil {
		return ""
	}
	return s
}

func anthropicTools(names []string) []anthropic.ToolUnionParam {
	var out []anthropic.ToolUnionParam
	for _, n := range names {
		out = append(out, anthropic.ToolUnionParam{OfTool: &anthropic.ToolParam{Name: n,
			InputSchema: anthropic.ToolInputSchemaParam{Properties: map[string]any{}}}})
	}
	return out
}

func (m *matrixEnv) askAnthropic(t *testing.T, model, prompt string, tools []string, stream bool) seen {
	t.Helper()
	ctx := context.Background()
	c := m.anthropic()
	p := anthropic.MessageNewParams{
		Model:     anthropic.Model(model),
		MaxTokens: 1024,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(prompt))},
		Tools:     anthropicTools(tools),
	}
	var msg *anthropic.Message
	if !stream {
		var err error
		if msg, err = c.Messages.New(ctx, p); err != nil {
			t.Fatalf("anthropic client: %v", err)
		}
	} else {
		st := c.Messages.NewStreaming(ctx, p)
		msg = &anthropic.Message{}
		for st.Next() {
			if err := msg.Accumulate(st.Current()); err != nil {
				t.Fatalf("anthropic accumulate: %v", err)
			}
		}
		if err := st.Err(); err != nil {
			t.Fatalf("anthropic stream: %v", err)
		}
	}
	s := seen{Finish: string(msg.StopReason)}
	var text, reasoning strings.Builder
	for _, b := range msg.Content {
		switch b.Type {
		case "text":
			text.WriteString(b.Text)
		case "thinking":
			reasoning.WriteString(b.Thinking)
		case "redacted_thinking":
			s.Redacted = true
		case "tool_use":
			s.Calls = append(s.Calls, call{Name: b.Name, Args: parseArgs(t, string(b.Input))})
		}
	}
	s.Text, s.Reasoning = text.String(), reasoning.String()
	u := msg.Usage
	s.Usage = clientUsage{Input: int(u.InputTokens), Output: int(u.OutputTokens), Cached: int(u.CacheReadInputTokens),
		CacheWrite: int(u.CacheCreationInputTokens), Reasoning: int(u.OutputTokensDetails.ThinkingTokens)}
	return s
}

func (m *matrixEnv) askGemini(t *testing.T, model, prompt string, tools []string, stream bool) seen {
	t.Helper()
	ctx := context.Background()
	c := m.genai(t)
	var cfg *genai.GenerateContentConfig
	if len(tools) > 0 {
		decls := make([]*genai.FunctionDeclaration, len(tools))
		for i, n := range tools {
			decls[i] = &genai.FunctionDeclaration{Name: n, ParametersJsonSchema: map[string]any{"type": "object"}}
		}
		cfg = &genai.GenerateContentConfig{Tools: []*genai.Tool{{FunctionDeclarations: decls}}}
	}
	var s seen
	var text, reasoning strings.Builder
	add := func(r *genai.GenerateContentResponse) {
		if len(r.Candidates) > 0 && r.Candidates[0] != nil {
			cand := r.Candidates[0]
			if cand.Content != nil {
				for _, p := range cand.Content.Parts {
					switch {
					case p.FunctionCall != nil:
						args := any(map[string]any{})
						if p.FunctionCall.Args != nil {
							args = roundTrip(t, p.FunctionCall.Args)
						}
						s.Calls = append(s.Calls, call{Name: p.FunctionCall.Name, Args: args})
					case p.Thought:
						reasoning.WriteString(p.Text)
					default:
						text.WriteString(p.Text)
					}
				}
			}
			if cand.FinishReason != "" {
				s.Finish = string(cand.FinishReason)
			}
		} else if r.PromptFeedback != nil && r.PromptFeedback.BlockReason != "" {
			s.Finish = "SAFETY"
		}
		if u := r.UsageMetadata; u != nil {
			s.Usage = clientUsage{Input: int(u.PromptTokenCount), Output: int(u.CandidatesTokenCount),
				Cached: int(u.CachedContentTokenCount), Reasoning: int(u.ThoughtsTokenCount)}
		}
	}
	if !stream {
		r, err := c.Models.GenerateContent(ctx, model, genai.Text(prompt), cfg)
		if err != nil {
			t.Fatalf("genai client: %v", err)
		}
		add(r)
	} else {
		for r, err := range c.Models.GenerateContentStream(ctx, model, genai.Text(prompt), cfg) {
			if err != nil {
				t.Fatalf("genai stream: %v", err)
			}
			add(r)
		}
	}
	s.Text, s.Reasoning = text.String(), reasoning.String()
	return s
}

// roundTrip normalises a Go value to what encoding/json decodes, so SDK
// maps compare equal to fixture JSON.
func roundTrip(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}
