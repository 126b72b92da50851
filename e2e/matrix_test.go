package e2e

import (
	"fmt"
	"reflect"
	"testing"
)

// scenario is one recorded upstream answer, unary and streamed ("" when the
// upstream recording does not exist in that mode).
type scenario struct {
	name          string
	unary, stream string // fixture "<folder>/<name>" under testdata/fixtures
}

// matrixScenarios lists, per upstream kind, the recorded transcripts the
// emulator replays. Every kind has text, a tool call, parallel calls where
// recorded, reasoning, a refusal (or its analogue) and a length finish.
var matrixScenarios = map[string][]scenario{
	"openai": {
		{"text", "openai-chat/text-nonstream", "openai-chat/raw-text-stream"},
		{"tool_call", "openai-chat/tool-call-nonstream", "openai-chat/tool-call-stream-args-split"},
		{"parallel_tool_calls", "glm/raw-parallel-tool-calls-nonstream", "openai-chat/tool-calls-parallel-stream"},
		// GLM speaks the OpenAI wire and is the only recording with
		// reasoning text, reasoning tokens and cached tokens together.
		{"reasoning_cached", "glm/raw-text-nonstream", "glm/raw-text-stream"},
		{"reasoning_tokens", "openai-chat/reasoning-o3-mini-nonstream", ""},
		{"refusal", "openai-chat/raw-refusal-nonstream", "openai-chat/raw-refusal-stream"},
		{"length", "openai-chat/raw-max-tokens-length-nonstream", "openai-chat/raw-max-tokens-length-stream"},
	},
	"anthropic": {
		{"text", "anthropic-messages/text-nonstream", "anthropic-messages/text-stream"},
		{"tool_call", "anthropic-messages/tool-use-nonstream", "anthropic-messages/tool-use-stream-input-json-delta"},
		{"parallel_tool_calls", "anthropic-messages/tool-use-parallel-nonstream", "anthropic-messages/raw-parallel-tool-use-args-stream"},
		{"thinking", "anthropic-messages/thinking-nonstream", "anthropic-messages/thinking-stream"},
		{"thinking_redacted", "anthropic-messages/thinking-redacted-nonstream", "anthropic-messages/thinking-redacted-stream"},
		{"thinking_tool_use", "anthropic-messages/thinking-with-tool-use-nonstream", ""},
		{"refusal", "anthropic-messages/vercel-refusal", "anthropic-messages/sdk-refusal-stream"},
		{"length", "anthropic-messages/raw-max-tokens-nonstream", "anthropic-messages/raw-max-tokens-stream"},
	},
	"gemini": {
		{"text", "gemini/text-nonstream", "gemini/text-stream-sse-usage"},
		{"tool_call", "gemini/function-call-nonstream", "gemini/function-call-stream-sse"},
		{"tool_call_signed", "", "gemini/raw-function-call-stream-sse"},
		{"parallel_tool_calls", "gemini/firebase-parallel-function-calls", ""},
		{"thinking", "gemini/thinking-nonstream", "gemini/thinking-stream-sse"},
		{"thinking_tool_call", "gemini/firebase-thinking-function-call", "gemini/firebase-thinking-function-call-stream"},
		// Gemini's refusal analogues: a SAFETY finish, a blocked prompt.
		{"refusal", "gemini/firebase-finish-reason-safety", "gemini/firebase-prompt-blocked-stream"},
		{"length", "gemini/raw-max-tokens-nonstream", "gemini/raw-max-tokens-stream-sse"},
	},
}

// TestTranslationMatrix drives all 18 paths — {OpenAI, Anthropic, Gemini}
// ingress × {OpenAI, Anthropic, Gemini} upstream × {unary, stream} — with
// the official client of the ingress shape, against the emulator replaying
// recorded upstream answers, and checks that the client sees what the
// upstream said: text, reasoning, refusal, tool calls with parsed arguments,
// the finish reason and the usage counts, each in the client's convention.
func TestTranslationMatrix(t *testing.T) {
	m := newMatrixEnv(t)
	for _, ingress := range matrixIngress {
		for _, upstream := range matrixUpstream {
			for _, stream := range []bool{false, true} {
				mode := map[bool]string{false: "unary", true: "stream"}[stream]
				t.Run(fmt.Sprintf("%s_client/%s_upstream/%s", ingress, upstream, mode), func(t *testing.T) {
					for _, sc := range matrixScenarios[upstream] {
						fixture := sc.unary
						if stream {
							fixture = sc.stream
						}
						if fixture == "" {
							continue // not recorded in this mode
						}
						t.Run(sc.name, func(t *testing.T) {
							want := view(ingress, expectFrom(t, upstream, fixture, stream))
							got := m.ask(t, ingress, matrixModel[upstream], directive("fixture="+fixture), toolNames(want.Calls), stream)
							compareSeen(t, got, want)
						})
					}
				})
			}
		}
	}
}

// toolNames declares the tools the recorded answer calls, once each.
func toolNames(calls []call) []string {
	var out []string
	seen := map[string]bool{}
	for _, c := range calls {
		if !seen[c.Name] {
			seen[c.Name] = true
			out = append(out, c.Name)
		}
	}
	return out
}

func compareSeen(t *testing.T, got, want seen) {
	t.Helper()
	if got.Text != want.Text {
		t.Errorf("text:\n got %q\nwant %q", got.Text, want.Text)
	}
	if got.Reasoning != want.Reasoning {
		t.Errorf("reasoning:\n got %q\nwant %q", got.Reasoning, want.Reasoning)
	}
	if got.Redacted != want.Redacted {
		t.Errorf("redacted reasoning shown = %v, want %v", got.Redacted, want.Redacted)
	}
	if got.Refusal != want.Refusal {
		t.Errorf("refusal: got %q, want %q", got.Refusal, want.Refusal)
	}
	if len(got.Calls) != len(want.Calls) {
		t.Errorf("tool calls: got %d %+v, want %d %+v", len(got.Calls), got.Calls, len(want.Calls), want.Calls)
	} else {
		for i := range want.Calls {
			if got.Calls[i].Name != want.Calls[i].Name || !reflect.DeepEqual(got.Calls[i].Args, want.Calls[i].Args) {
				t.Errorf("tool call %d: got %s(%v), want %s(%v)", i, got.Calls[i].Name, got.Calls[i].Args, want.Calls[i].Name, want.Calls[i].Args)
			}
		}
	}
	if got.Finish != want.Finish {
		t.Errorf("finish: got %q, want %q", got.Finish, want.Finish)
	}
	if got.Usage != want.Usage {
		t.Errorf("usage: got %+v, want %+v", got.Usage, want.Usage)
	}
}
