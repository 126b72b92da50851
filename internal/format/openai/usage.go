package openai

import "github.com/nexus-gateway/nexus/internal/canonical"

// toCanonical normalizes wire usage (SPEC §5.10): cached tokens from
// prompt_tokens_details or the DeepSeek/Moonshot aliases (the largest
// reported value wins: vendors that send several agree or leave some at 0),
// reasoning from completion_tokens_details.
func (u *wireUsage) toCanonical() canonical.Usage {
	cu := canonical.Usage{InputTokens: u.PromptTokens, OutputTokens: u.CompletionTokens}
	if cu.OutputTokens == 0 && u.TotalTokens > u.PromptTokens {
		// Some servers omit completion_tokens and send only the total.
		cu.OutputTokens = u.TotalTokens - u.PromptTokens
	}
	if d := u.PromptTokensDetails; d != nil && d.CachedTokens != nil {
		cu.CacheReadTokens = *d.CachedTokens
	}
	for _, alias := range [...]*int{u.PromptCacheHitTokens, u.PromptCacheTokens, u.CachedTokens} {
		if alias != nil && *alias > cu.CacheReadTokens {
			cu.CacheReadTokens = *alias
		}
	}
	if d := u.CompletionTokensDetails; d != nil {
		cu.ReasoningTokens = d.ReasoningTokens
	}
	return cu
}

// appendUsage writes the OpenAI usage object; detail blocks only when > 0
// (SPEC §5.10).
func appendUsage(dst []byte, u *canonical.Usage) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = appendInt(dst, int64(u.InputTokens))
	dst = append(dst, `,"completion_tokens":`...)
	dst = appendInt(dst, int64(u.OutputTokens))
	dst = append(dst, `,"total_tokens":`...)
	dst = appendInt(dst, int64(u.Total()))
	if u.CacheReadTokens > 0 {
		dst = append(dst, `,"prompt_tokens_details":{"cached_tokens":`...)
		dst = appendInt(dst, int64(u.CacheReadTokens))
		dst = append(dst, '}')
	}
	if u.ReasoningTokens > 0 {
		dst = append(dst, `,"completion_tokens_details":{"reasoning_tokens":`...)
		dst = appendInt(dst, int64(u.ReasoningTokens))
		dst = append(dst, '}')
	}
	return append(dst, '}')
}

// finishFromWire maps an OpenAI-family finish_reason (SPEC §6.6). failed
// reports reasons that mean the generation broke (OpenRouter "error", GLM
// "network_error") rather than ended. Unknown reasons end the turn as stop.
func finishFromWire(s string) (reason canonical.FinishReason, failed bool) {
	switch s {
	case "length", "max_tokens", "model_length":
		return canonical.FinishLength, false
	case "tool_calls", "function_call", "tool_use":
		return canonical.FinishToolCalls, false
	case "content_filter", "sensitive": // GLM reports filtered output as "sensitive"
		return canonical.FinishContentFilter, false
	case "error", "network_error":
		return canonical.FinishStop, true
	}
	return canonical.FinishStop, false
}

// finishToWire maps a canonical finish reason onto the OpenAI vocabulary.
// A turn that called tools finishes as tool_calls whatever the upstream
// said, because OpenAI clients run their tool loop on that signal. A refusal
// whose text is shown in the refusal field ends as "stop", as OpenAI itself
// reports one; a refusal with nothing to show (Anthropic's stop_reason
// refusal) is content_filter, the only OpenAI word for withheld output.
func finishToWire(r canonical.FinishReason, calledTools, refusalShown bool) string {
	switch r {
	case canonical.FinishLength:
		return "length"
	case canonical.FinishRefusal:
		if refusalShown && !calledTools {
			return "stop"
		}
		return "content_filter"
	case canonical.FinishContentFilter:
		return "content_filter"
	case canonical.FinishToolCalls:
		return "tool_calls"
	}
	if calledTools {
		return "tool_calls"
	}
	return "stop"
}
