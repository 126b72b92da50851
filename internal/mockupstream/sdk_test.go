package mockupstream

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"google.golang.org/genai"
)

// The official SDKs are the strictest judges of wire fidelity we have
// offline: each decodes the emulator's answers exactly as it would a real
// provider's.

func newOpenAIClient(ts string) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(ts+"/v1/"),
		option.WithAPIKey("sk-sdk-test"),
		option.WithMaxRetries(0),
	)
}

func chatParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "gpt-4o-mini",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What is 4200 + 42?")},
	}
}

func TestOpenAISDKReadsPlainCompletion(t *testing.T) {
	s, ts := newTestServer(t, Options{})
	c := newOpenAIClient(ts.URL)
	resp, err := c.Chat.Completions.New(context.Background(), chatParams())
	if err != nil {
		t.Fatal(err)
	}
	if resp.Model != "gpt-4o-mini" || len(resp.Choices) != 1 || resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("response = %+v", resp)
	}
	if got := resp.Choices[0].Message.Content; got != Greeting+" You said: What is 4200 + 42?" {
		t.Errorf("content = %q", got)
	}
	if resp.Usage.CompletionTokens != defaultChunks || resp.Usage.TotalTokens != resp.Usage.PromptTokens+resp.Usage.CompletionTokens {
		t.Errorf("usage = %+v", resp.Usage)
	}
	h, _ := s.LastRequest()
	if h.Get("Authorization") != "Bearer sk-sdk-test" {
		t.Errorf("SDK sent Authorization %q", h.Get("Authorization"))
	}
}

func TestOpenAISDKAccumulatesStreamWithUsage(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	c := newOpenAIClient(ts.URL)
	p := chatParams()
	p.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := c.Chat.Completions.NewStreaming(context.Background(), p, option.WithHeader(ControlHeader, "chunks=32"))
	var acc openai.ChatCompletionAccumulator
	chunks := 0
	for stream.Next() {
		acc.AddChunk(stream.Current())
		chunks++
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	// role chunk + 32 content + finish + usage; [DONE] is consumed by the SDK.
	if chunks != 35 {
		t.Errorf("SDK saw %d chunks, want 35", chunks)
	}
	if len(acc.Choices) != 1 || !strings.HasPrefix(acc.Choices[0].Message.Content, Greeting) || acc.Choices[0].FinishReason != "stop" {
		t.Errorf("accumulated = %+v", acc.Choices)
	}
	if acc.Usage.CompletionTokens != 32 || acc.Usage.PromptTokens == 0 {
		t.Errorf("usage = %+v", acc.Usage)
	}
}

func TestOpenAISDKSurfaces429AsAPIError(t *testing.T) {
	s, ts := newTestServer(t, Options{})
	c := newOpenAIClient(ts.URL)
	_, err := c.Chat.Completions.New(context.Background(), chatParams(), option.WithHeader(ControlHeader, "status=429;retry_after=3"))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error = %T %v, want *openai.Error", err, err)
	}
	if apiErr.StatusCode != http.StatusTooManyRequests || apiErr.Code != "rate_limit_exceeded" || apiErr.Type != "requests" {
		t.Errorf("api error = status %d code %q type %q", apiErr.StatusCode, apiErr.Code, apiErr.Type)
	}
	if s.Requests() != 1 {
		t.Errorf("Requests() = %d with retries disabled", s.Requests())
	}
}

func TestOpenAISDKStreamsToolCall(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	c := newOpenAIClient(ts.URL)
	p := chatParams()
	p.Tools = []openai.ChatCompletionToolUnionParam{openai.ChatCompletionFunctionTool(openai.FunctionDefinitionParam{Name: "get_capital"})}
	stream := c.Chat.Completions.NewStreaming(context.Background(), p, option.WithHeader(ControlHeader, "tool=1"))
	var acc openai.ChatCompletionAccumulator
	for stream.Next() {
		acc.AddChunk(stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	tc := acc.Choices[0].Message.ToolCalls
	if len(tc) != 1 || tc[0].Function.Name != "get_capital" || tc[0].Function.Arguments != toolArguments || acc.Choices[0].FinishReason != "tool_calls" {
		t.Errorf("tool call = %+v finish %q", tc, acc.Choices[0].FinishReason)
	}
}

func TestAnthropicSDKReadsMessageAndStream(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	c := anthropic.NewClient(anthropicoption.WithBaseURL(ts.URL), anthropicoption.WithAPIKey("sk-ant-sdk"), anthropicoption.WithMaxRetries(0))
	p := anthropic.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 64,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("Hi there"))},
	}
	msg, err := c.Messages.New(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	if string(msg.Model) != "claude-sonnet-4-5" || len(msg.Content) != 1 || msg.Content[0].Text != Greeting+" You said: Hi there" || msg.StopReason != "end_turn" {
		t.Errorf("message = %+v", msg)
	}

	stream := c.Messages.NewStreaming(context.Background(), p, anthropicoption.WithHeader(ControlHeader, "chunks=20"))
	var acc anthropic.Message
	for stream.Next() {
		if err := acc.Accumulate(stream.Current()); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if len(acc.Content) != 1 || !strings.HasPrefix(acc.Content[0].Text, Greeting) || acc.StopReason != "end_turn" || acc.Usage.OutputTokens != 20 || acc.Usage.InputTokens == 0 {
		t.Errorf("accumulated = %+v", acc)
	}

	_, err = c.Messages.New(context.Background(), p, anthropicoption.WithHeader(ControlHeader, "status=529"))
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 529 {
		t.Errorf("529 error = %v", err)
	}
}

func TestGenAISDKReadsGenerateAndStream(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	ctx := context.Background()
	c, err := genai.NewClient(ctx, &genai.ClientConfig{
		APIKey:      "AIza-sdk",
		Backend:     genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: ts.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Models.GenerateContent(ctx, "gemini-2.5-flash", genai.Text("Count to three."), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.Text() != Greeting+" You said: Count to three." || resp.UsageMetadata == nil || resp.UsageMetadata.CandidatesTokenCount != defaultChunks {
		t.Errorf("response text %q usage %+v", resp.Text(), resp.UsageMetadata)
	}
	var text strings.Builder
	var last *genai.GenerateContentResponse
	for r, err := range c.Models.GenerateContentStream(ctx, "gemini-2.5-flash", genai.Text("Count to three."), nil) {
		if err != nil {
			t.Fatal(err)
		}
		text.WriteString(r.Text())
		last = r
	}
	if text.String() != resp.Text() {
		t.Errorf("streamed %q, unary %q", text.String(), resp.Text())
	}
	if last == nil || last.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Errorf("last frame = %+v", last)
	}
}
