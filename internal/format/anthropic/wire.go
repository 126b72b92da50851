package anthropic

import (
	"encoding/json"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// provider is this codec's key in canonical.Ext (nexus.ext.anthropic.*).
const provider = "anthropic"

// Ext keys this package reads and writes under Ext["anthropic"].
const (
	extThinking     = "thinking"      // top-level thinking object, verbatim (see passthroughField for the full list)
	extServerTools  = "server_tools"  // tools[] entries that are not client functions (web_search, …), verbatim array
	extOutputConfig = "output_config" // output_config minus format (effort, …), verbatim object
	extNative       = "native_blocks" // content blocks with no canonical part, with their position (see native.go)
	extStopDetails  = "stop_details"  // response side: refusal stop_details, verbatim
	extContainer    = "container"     // response side: code-execution container, verbatim
)

// wireCacheControl is {"type":"ephemeral","ttl":"1h"}.
type wireCacheControl struct {
	Type string `json:"type"`
	TTL  string `json:"ttl,omitempty"`
}

func cacheControlOf(cc *wireCacheControl) (typ, ttl string) {
	if cc == nil {
		return "", ""
	}
	return cc.Type, cc.TTL
}

func newCacheControl(typ, ttl string) *wireCacheControl {
	if typ == "" {
		return nil
	}
	return &wireCacheControl{Type: typ, TTL: ttl}
}

// wireUsage is Anthropic usage. Pointers tell "absent" from 0, which matters
// for message_delta: newer APIs repeat the input side there, older ones send
// only output_tokens (SPEC §5.10).
type wireUsage struct {
	InputTokens              *int `json:"input_tokens"`
	OutputTokens             *int `json:"output_tokens"`
	CacheCreationInputTokens *int `json:"cache_creation_input_tokens"`
	CacheReadInputTokens     *int `json:"cache_read_input_tokens"`
	OutputTokensDetails      *struct {
		ThinkingTokens *int `json:"thinking_tokens"`
	} `json:"output_tokens_details"`
}

// rawUsage is Anthropic's own accounting: input excludes cache reads/writes.
type rawUsage struct {
	input, output, cacheRead, cacheWrite, thinking int
}

// merge overwrites the counts present in w: every Anthropic count is a
// cumulative whole-message total, so a later value replaces, never adds.
func (u *rawUsage) merge(w *wireUsage) {
	if w == nil {
		return
	}
	set := func(dst *int, src *int) {
		if src != nil {
			*dst = *src
		}
	}
	set(&u.input, w.InputTokens)
	set(&u.output, w.OutputTokens)
	set(&u.cacheRead, w.CacheReadInputTokens)
	set(&u.cacheWrite, w.CacheCreationInputTokens)
	if w.OutputTokensDetails != nil {
		set(&u.thinking, w.OutputTokensDetails.ThinkingTokens)
	}
}

// canonical converts to the OpenAI convention (SPEC §5.10): input includes
// cache reads and writes; output already includes thinking.
func (u rawUsage) canonical() canonical.Usage {
	return canonical.Usage{
		InputTokens:      u.input + u.cacheRead + u.cacheWrite,
		OutputTokens:     u.output,
		CacheReadTokens:  u.cacheRead,
		CacheWriteTokens: u.cacheWrite,
		ReasoningTokens:  u.thinking,
	}
}

// rawFromCanonical is the inverse of canonical(), clamping an inconsistent
// snapshot (cache counts larger than the input total) at zero.
func rawFromCanonical(c canonical.Usage) rawUsage {
	in := c.InputTokens - c.CacheReadTokens - c.CacheWriteTokens
	if in < 0 {
		in = 0
	}
	return rawUsage{input: in, output: c.OutputTokens, cacheRead: c.CacheReadTokens, cacheWrite: c.CacheWriteTokens, thinking: c.ReasoningTokens}
}

// appendUsage writes an Anthropic usage object. The input side is always
// written: in message_delta it lets SDKs pick up input counts a translated
// upstream only reported at the end.
func appendUsage(b []byte, u rawUsage) []byte {
	b = append(b, `{"input_tokens":`...)
	b = appendInt(b, u.input)
	b = append(b, `,"cache_creation_input_tokens":`...)
	b = appendInt(b, u.cacheWrite)
	b = append(b, `,"cache_read_input_tokens":`...)
	b = appendInt(b, u.cacheRead)
	b = append(b, `,"output_tokens":`...)
	b = appendInt(b, u.output)
	if u.thinking > 0 {
		b = append(b, `,"output_tokens_details":{"thinking_tokens":`...)
		b = appendInt(b, u.thinking)
		b = append(b, '}')
	}
	return append(b, '}')
}

// finishFromStop maps an Anthropic stop_reason (SPEC §6.6).
func finishFromStop(s string) canonical.FinishReason {
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
	return canonical.FinishStop // end_turn, stop_sequence, and anything newer
}

// stopFromFinish maps a canonical finish reason to stop_reason. A turn that
// produced a tool call ends as tool_use whatever the upstream said (Gemini
// reports STOP for function calls). content_filter becomes "refusal", not
// the reference's lossy "stop_sequence" (SPEC §16.19): current SDKs know
// refusal and it tells the client the output was withheld.
func stopFromFinish(f canonical.FinishReason, stopSeq string, sawToolCall bool) string {
	switch f {
	case canonical.FinishLength:
		return "max_tokens"
	case canonical.FinishToolCalls:
		return "tool_use"
	case canonical.FinishContentFilter, canonical.FinishRefusal:
		return "refusal"
	case canonical.FinishPause:
		return "pause_turn"
	}
	if sawToolCall {
		return "tool_use"
	}
	if stopSeq != "" {
		return "stop_sequence"
	}
	return "end_turn"
}

// defaultMaxTokens is the per-family max_tokens filled when the caller gave
// none (SPEC §5.5); Anthropic requires the field.
func defaultMaxTokens(model string) int {
	m := strings.ToLower(model)
	switch {
	case strings.Contains(m, "opus-4"):
		return 32000
	case strings.Contains(m, "sonnet-4"):
		return 64000
	case strings.Contains(m, "haiku-4"):
		return 8192
	case strings.Contains(m, "3-5-sonnet"), strings.Contains(m, "3-7-sonnet"),
		strings.Contains(m, "3.5-sonnet"), strings.Contains(m, "3.7-sonnet"):
		return 8192
	case strings.Contains(m, "3-opus"), strings.Contains(m, "3-haiku"):
		return 4096
	}
	return 8192
}

// isNull reports whether raw is absent or the JSON literal null.
func isNull(raw json.RawMessage) bool {
	s := strings.TrimSpace(string(raw))
	return s == "" || s == "null"
}

// firstByte returns the first non-space byte of raw, 0 when empty.
func firstByte(raw []byte) byte {
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return c
	}
	return 0
}
