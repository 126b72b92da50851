package responses

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// wireUsage is Responses usage (SPEC §5.10): input_tokens includes cached
// reads, output_tokens includes reasoning, as the canonical convention.
type wireUsage struct {
	InputTokens        int `json:"input_tokens"`
	OutputTokens       int `json:"output_tokens"`
	TotalTokens        int `json:"total_tokens"`
	InputTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"input_tokens_details"`
	OutputTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"output_tokens_details"`
}

func (u *wireUsage) toCanonical() canonical.Usage {
	cu := canonical.Usage{InputTokens: u.InputTokens, OutputTokens: u.OutputTokens}
	if cu.OutputTokens == 0 && u.TotalTokens > u.InputTokens {
		cu.OutputTokens = u.TotalTokens - u.InputTokens // servers that send only the total
	}
	if d := u.InputTokensDetails; d != nil {
		cu.CacheReadTokens = d.CachedTokens
	}
	if d := u.OutputTokensDetails; d != nil {
		cu.ReasoningTokens = d.ReasoningTokens
	}
	return cu
}

// finishFor derives the canonical finish reason of a finished response
// (SPEC §6.6 read backwards): incomplete for max_output_tokens is length,
// for content_filter a content filter; a completed turn that called tools
// finishes as tool_calls, because chat clients run their tool loop on it;
// one that answered with a refusal part is a refusal, as the chat codec
// reads a chat refusal.
func finishFor(status, incompleteReason string, calledTools, refused bool) canonical.FinishReason {
	switch {
	case status == statusIncomplete && incompleteReason == "content_filter":
		return canonical.FinishContentFilter
	case status == statusIncomplete:
		return canonical.FinishLength // max_output_tokens, or a reason this codec does not know: the turn was cut
	case calledTools:
		return canonical.FinishToolCalls
	case refused:
		return canonical.FinishRefusal
	}
	return canonical.FinishStop
}

// failedError turns the error object of a failed response (or of a stream
// "error" event) into a canonical error. The HTTP status is a best guess
// from the code: the real one was 200, so it only steers logs and retries.
func failedError(raw json.RawMessage) *canonical.Error {
	var we wireError
	if rawKind(raw) == '{' {
		_ = json.Unmarshal(raw, &we) // a malformed error object still fails the response
	}
	e := &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: codeString(we.Code), Message: strings.TrimSpace(we.Message)}
	if we.Type != nil && *we.Type != "error" {
		e.Type = *we.Type
	}
	switch code := e.Code; {
	case code == "rate_limit_exceeded" || code == "insufficient_quota" || e.Type == "insufficient_quota" || e.Type == "rate_limit_error":
		e.Kind, e.Status = canonical.KindRateLimited, http.StatusTooManyRequests
	case strings.HasPrefix(code, "invalid_") || code == "content_filter" || e.Type == "invalid_request_error":
		e.Kind, e.Status = canonical.KindInvalidRequest, http.StatusBadRequest
	}
	if e.Code == "" {
		e.Code = "upstream_error"
	}
	if e.Message == "" {
		e.Message = "upstream response failed"
	}
	e.RetryAfter = retryAfterFromMessage(e.Message)
	return e
}
