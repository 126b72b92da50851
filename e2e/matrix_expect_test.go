package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// The matrix compares what a client SDK sees with what the upstream
// recording says. The recording is read here with plain encoding/json and
// nothing from the gateway's codecs, so a codec bug cannot hide by being
// on both sides of the comparison.

// call is one tool call with its arguments parsed.
type call struct {
	Name string
	Args any
}

// outcome is one answer reduced to what must survive translation. Usage is
// in the canonical (OpenAI) convention: input includes cache reads and
// writes, output includes reasoning.
type outcome struct {
	Text      string
	Reasoning string // readable reasoning text (thinking, reasoning_content, thought parts)
	Redacted  bool   // the answer held redacted/opaque reasoning
	Refusal   string
	Calls     []call
	Finish    canonical.FinishReason
	Usage     canonical.Usage
}

// expectFrom reads a recorded upstream answer of the given wire.
func expectFrom(t *testing.T, wire, fixture string, stream bool) outcome {
	t.Helper()
	path := filepath.Join(fixtureDir, fixture)
	var body []byte
	var err error
	for _, ext := range fixtureExts(stream) {
		if body, err = os.ReadFile(path + ext); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("fixture %s: %v", fixture, err)
	}
	var o outcome
	switch wire {
	case "openai":
		if stream {
			o = openAIStreamOutcome(t, body)
		} else {
			o = openAIUnaryOutcome(t, body)
		}
	case "anthropic":
		if stream {
			o = anthropicStreamOutcome(t, body)
		} else {
			o = anthropicUnaryOutcome(t, body)
		}
	case "gemini":
		if stream {
			o = geminiStreamOutcome(t, body)
		} else {
			o = geminiUnaryOutcome(t, mustJSON(t, body))
		}
	default:
		t.Fatalf("unknown wire %q", wire)
	}
	return o
}

func fixtureExts(stream bool) []string {
	if stream {
		return []string{".response.sse", ".response.json"}
	}
	return []string{".response.json", ".response.sse"}
}

func mustJSON(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("fixture is not JSON: %v", err)
	}
	return m
}

// sseData returns the data payloads (with event names) of a recorded stream.
func sseData(t *testing.T, body []byte) (names []string, data [][]byte) {
	t.Helper()
	rd := sse.NewReader(bytes.NewReader(body), 0)
	for {
		ev, err := rd.Next()
		if len(bytes.TrimSpace(ev.Data)) > 0 {
			names = append(names, ev.Name)
			data = append(data, bytes.Clone(ev.Data))
		}
		if err != nil {
			return names, data
		}
	}
}

// Small accessors over decoded JSON; absent or mistyped values are zero.
func obj(v any, k string) map[string]any {
	m, _ := v.(map[string]any)
	x, _ := m[k].(map[string]any)
	return x
}
func arr(v any, k string) []any  { m, _ := v.(map[string]any); x, _ := m[k].([]any); return x }
func str(v any, k string) string { m, _ := v.(map[string]any); x, _ := m[k].(string); return x }
func num(v any, k string) int    { m, _ := v.(map[string]any); x, _ := m[k].(float64); return int(x) }
func has(v any, k string) bool   { m, _ := v.(map[string]any); _, ok := m[k]; return ok }

func parseArgs(t *testing.T, s string) any {
	t.Helper()
	if strings.TrimSpace(s) == "" {
		s = "{}"
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("tool arguments %q are not JSON: %v", s, err)
	}
	return v
}

// ---- OpenAI chat ----

func openAIFinish(s string, called bool) canonical.FinishReason {
	switch s {
	case "length":
		return canonical.FinishLength
	case "tool_calls":
		return canonical.FinishToolCalls
	case "content_filter":
		return canonical.FinishContentFilter
	}
	if called {
		return canonical.FinishToolCalls
	}
	return canonical.FinishStop
}

func openAIUsage(u map[string]any) canonical.Usage {
	return canonical.Usage{
		InputTokens: num(u, "prompt_tokens"), OutputTokens: num(u, "completion_tokens"),
		CacheReadTokens: num(obj(u, "prompt_tokens_details"), "cached_tokens"),
		ReasoningTokens: num(obj(u, "completion_tokens_details"), "reasoning_tokens"),
	}
}

func openAIUnaryOutcome(t *testing.T, body []byte) outcome {
	m := mustJSON(t, body)
	ch := arr(m, "choices")[0]
	msg := obj(ch, "message")
	o := outcome{Text: str(msg, "content"), Reasoning: str(msg, "reasoning_content"), Refusal: str(msg, "refusal")}
	for _, tc := range arr(msg, "tool_calls") {
		fn := obj(tc, "function")
		o.Calls = append(o.Calls, call{Name: str(fn, "name"), Args: parseArgs(t, str(fn, "arguments"))})
	}
	o.Finish = openAIFinish(str(ch, "finish_reason"), len(o.Calls) > 0)
	o.Usage = openAIUsage(obj(m, "usage"))
	return o
}

func openAIStreamOutcome(t *testing.T, body []byte) outcome {
	_, frames := sseData(t, body)
	var o outcome
	var text, reasoning, refusal strings.Builder
	type acc struct{ name, args strings.Builder }
	var calls []*acc
	finish := ""
	for _, f := range frames {
		if string(bytes.TrimSpace(f)) == "[DONE]" {
			break
		}
		m := mustJSON(t, f)
		if u := obj(m, "usage"); u != nil {
			o.Usage = openAIUsage(u)
		}
		for _, ch := range arr(m, "choices") {
			d := obj(ch, "delta")
			text.WriteString(str(d, "content"))
			reasoning.WriteString(str(d, "reasoning_content"))
			refusal.WriteString(str(d, "refusal"))
			for _, tc := range arr(d, "tool_calls") {
				i := num(tc, "index")
				for len(calls) <= i {
					calls = append(calls, &acc{})
				}
				fn := obj(tc, "function")
				calls[i].name.WriteString(str(fn, "name"))
				calls[i].args.WriteString(str(fn, "arguments"))
			}
			if r := str(ch, "finish_reason"); r != "" && finish == "" {
				finish = r
			}
		}
	}
	o.Text, o.Reasoning, o.Refusal = text.String(), reasoning.String(), refusal.String()
	for _, c := range calls {
		o.Calls = append(o.Calls, call{Name: c.name.String(), Args: parseArgs(t, c.args.String())})
	}
	o.Finish = openAIFinish(finish, len(o.Calls) > 0)
	return o
}

// ---- Anthropic Messages ----

func anthropicFinish(s string) canonical.FinishReason {
	switch s {
	case "max_tokens", "model_context_window_exceeded":
		return canonical.FinishLength
	case "tool_use":
		return canonical.FinishToolCalls
	case "refusal":
		return canonical.FinishRefusal
	case "pause_turn":
		return canonical.FinishPause
	}
	return canonical.FinishStop
}

// anthropicUsage folds cache reads and writes into input, as the canonical
// (OpenAI) convention counts them.
func anthropicUsage(u map[string]any) canonical.Usage {
	read, write := num(u, "cache_read_input_tokens"), num(u, "cache_creation_input_tokens")
	return canonical.Usage{
		InputTokens: num(u, "input_tokens") + read + write, OutputTokens: num(u, "output_tokens"),
		CacheReadTokens: read, CacheWriteTokens: write,
		ReasoningTokens: num(obj(u, "output_tokens_details"), "thinking_tokens"),
	}
}

func anthropicBlocks(t *testing.T, o *outcome, blocks []any) {
	var text, reasoning strings.Builder
	for _, b := range blocks {
		switch str(b, "type") {
		case "text":
			text.WriteString(str(b, "text"))
		case "thinking":
			reasoning.WriteString(str(b, "thinking"))
		case "redacted_thinking":
			o.Redacted = true
		case "tool_use":
			o.Calls = append(o.Calls, call{Name: str(b, "name"), Args: obj(b, "input")})
		}
	}
	o.Text, o.Reasoning = text.String(), reasoning.String()
}

func anthropicUnaryOutcome(t *testing.T, body []byte) outcome {
	m := mustJSON(t, body)
	var o outcome
	anthropicBlocks(t, &o, arr(m, "content"))
	o.Finish = anthropicFinish(str(m, "stop_reason"))
	o.Usage = anthropicUsage(obj(m, "usage"))
	return o
}

// anthropicStreamOutcome rebuilds the blocks from the deltas; usage is the
// message_start usage overridden key by key by the cumulative message_delta.
func anthropicStreamOutcome(t *testing.T, body []byte) outcome {
	_, frames := sseData(t, body)
	var blocks []map[string]any
	var partial []strings.Builder
	usage := map[string]any{}
	stop := ""
	for _, f := range frames {
		m := mustJSON(t, f)
		switch str(m, "type") {
		case "message_start":
			for k, v := range obj(obj(m, "message"), "usage") {
				usage[k] = v
			}
		case "content_block_start":
			blocks = append(blocks, obj(m, "content_block"))
			partial = append(partial, strings.Builder{})
		case "content_block_delta":
			i, d := num(m, "index"), obj(m, "delta")
			switch str(d, "type") {
			case "text_delta":
				blocks[i]["text"] = str(blocks[i], "text") + str(d, "text")
			case "thinking_delta":
				blocks[i]["thinking"] = str(blocks[i], "thinking") + str(d, "thinking")
			case "input_json_delta":
				partial[i].WriteString(str(d, "partial_json"))
			}
		case "message_delta":
			stop = str(obj(m, "delta"), "stop_reason")
			for k, v := range obj(m, "usage") {
				usage[k] = v
			}
		}
	}
	list := make([]any, len(blocks))
	for i, b := range blocks {
		if str(b, "type") == "tool_use" {
			b["input"] = parseArgs(t, partial[i].String())
		}
		list[i] = b
	}
	var o outcome
	anthropicBlocks(t, &o, list)
	o.Finish = anthropicFinish(stop)
	o.Usage = anthropicUsage(usage)
	return o
}

// ---- Gemini ----

func geminiFinish(s string, called bool) canonical.FinishReason {
	switch s {
	case "MAX_TOKENS":
		return canonical.FinishLength
	case "SAFETY", "RECITATION", "LANGUAGE", "PROHIBITED_CONTENT", "SPII", "BLOCKLIST", "IMAGE_SAFETY", "MODEL_ARMOR":
		return canonical.FinishContentFilter
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL":
		return canonical.FinishToolCalls
	}
	if called {
		return canonical.FinishToolCalls
	}
	return canonical.FinishStop
}

func geminiUsage(u map[string]any) canonical.Usage {
	thoughts := num(u, "thoughtsTokenCount")
	return canonical.Usage{
		InputTokens: num(u, "promptTokenCount"), OutputTokens: num(u, "candidatesTokenCount") + thoughts,
		CacheReadTokens: num(u, "cachedContentTokenCount"), ReasoningTokens: thoughts,
	}
}

// geminiParts appends one response's candidate parts to o.
func geminiParts(o *outcome, text, reasoning *strings.Builder, m map[string]any) (finish string) {
	cands := arr(m, "candidates")
	if len(cands) == 0 {
		if br := str(obj(m, "promptFeedback"), "blockReason"); br != "" {
			return "SAFETY"
		}
		return ""
	}
	c := cands[0]
	for _, p := range arr(obj(c, "content"), "parts") {
		switch {
		case has(p, "functionCall"):
			fc := obj(p, "functionCall")
			args := any(obj(fc, "args"))
			if obj(fc, "args") == nil {
				args = map[string]any{}
			}
			o.Calls = append(o.Calls, call{Name: str(fc, "name"), Args: args})
		case has(p, "text") && p.(map[string]any)["thought"] == true:
			reasoning.WriteString(str(p, "text"))
		case has(p, "text"):
			text.WriteString(str(p, "text"))
		}
	}
	return str(c, "finishReason")
}

func geminiUnaryOutcome(t *testing.T, m map[string]any) outcome {
	var o outcome
	var text, reasoning strings.Builder
	finish := geminiParts(&o, &text, &reasoning, m)
	o.Text, o.Reasoning = text.String(), reasoning.String()
	o.Finish = geminiFinish(finish, len(o.Calls) > 0)
	o.Usage = geminiUsage(obj(m, "usageMetadata"))
	return o
}

func geminiStreamOutcome(t *testing.T, body []byte) outcome {
	_, frames := sseData(t, body)
	var o outcome
	var text, reasoning strings.Builder
	finish := ""
	for _, f := range frames {
		m := mustJSON(t, f)
		if r := geminiParts(&o, &text, &reasoning, m); r != "" {
			finish = r
		}
		if u := obj(m, "usageMetadata"); u != nil {
			o.Usage = geminiUsage(u)
		}
	}
	o.Text, o.Reasoning = text.String(), reasoning.String()
	o.Finish = geminiFinish(finish, len(o.Calls) > 0)
	return o
}
