package openai

import (
	"bytes"
	"encoding/json"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/jsonscan"
)

// wireUsage is the OpenAI usage object, with the cached-token aliases some
// compatible vendors use (SPEC §5.10).
type wireUsage struct {
	PromptTokens        int `json:"prompt_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails *struct {
		CachedTokens int `json:"cached_tokens"`
	} `json:"prompt_tokens_details"`
	CompletionTokensDetails *struct {
		ReasoningTokens int `json:"reasoning_tokens"`
	} `json:"completion_tokens_details"`
	PromptCacheHitTokens int `json:"prompt_cache_hit_tokens"` // DeepSeek
	PromptCacheTokens    int `json:"prompt_cache_tokens"`     // Moonshot
}

func (w *wireUsage) canonical() canonical.Usage {
	u := canonical.Usage{InputTokens: w.PromptTokens, OutputTokens: w.CompletionTokens}
	switch {
	case w.PromptTokensDetails != nil && w.PromptTokensDetails.CachedTokens > 0:
		u.CacheReadTokens = w.PromptTokensDetails.CachedTokens
	case w.PromptCacheHitTokens > 0:
		u.CacheReadTokens = w.PromptCacheHitTokens
	case w.PromptCacheTokens > 0:
		u.CacheReadTokens = w.PromptCacheTokens
	}
	if w.CompletionTokensDetails != nil {
		u.ReasoningTokens = w.CompletionTokensDetails.ReasoningTokens
	}
	return u
}

var usageKey = []string{"usage"}

// usageFromBody reads the top-level usage object of a chat completion or of a
// stream chunk. The cheap substring test keeps the per-chunk cost near zero
// for the chunks that carry none.
func usageFromBody(b []byte) (canonical.Usage, bool) {
	if !mayHoldUsage(b) {
		return canonical.Usage{}, false
	}
	var m [1]jsonscan.Member
	if jsonscan.Object(b, usageKey, m[:]) != nil || !m[0].Found || jsonscan.IsNull(b, m[0]) {
		return canonical.Usage{}, false
	}
	var w wireUsage
	if json.Unmarshal(jsonscan.Raw(b, m[0]), &w) != nil {
		return canonical.Usage{}, false
	}
	return w.canonical(), true
}

var usageKeyBytes = []byte(`usage"`) // after its opening quote: see findQuoted

// mayHoldUsage is the cheap pre-filter: some "usage" key followed by an
// object. With include_usage every chunk says "usage":null, so looking for
// the key alone would send every chunk to the scanner.
func mayHoldUsage(b []byte) bool {
	for {
		i := findQuoted(b, usageKeyBytes)
		if i < 0 {
			return false
		}
		b = b[i+1+len(usageKeyBytes):]
		j := 0
		for j < len(b) && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r' || b[j] == ':') {
			j++
		}
		if j < len(b) && b[j] == '{' {
			return true
		}
	}
}

// findQuoted returns the index of the quote that opens `"`+rest in b, or -1.
// The search anchors on rest's first byte rather than on the quote: JSON is
// full of quotes, and a pattern starting with one sends bytes.Index through
// many false starts (this halves the tap's cost per chunk; chunks are a few
// hundred bytes and a stream has hundreds).
func findQuoted(b, rest []byte) int {
	for off := 0; ; {
		i := bytes.Index(b[off:], rest)
		if i < 0 {
			return -1
		}
		i += off
		if i > 0 && b[i-1] == '"' {
			return i - 1
		}
		off = i + 1
	}
}
