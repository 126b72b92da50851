package estimate

import (
	"strconv"
	"strings"
)

// Reasoning efforts, in increasing order.
const (
	effortMinimal = "minimal"
	effortLow     = "low"
	effortMedium  = "medium"
	effortHigh    = "high"
)

// maxBudget is the largest reasoning budget a compare target may name
// (SPEC §2.6).
const maxBudget = 100_000

// defaultMaxTokens is the output ceiling assumed when neither the request
// nor the model gives one (SPEC §11.10 step 6).
const defaultMaxTokens = 4096

// anchor is one row of the static output table (SPEC §11.10 step 5):
// expected output tokens per reasoning effort. minimal is 0 where the
// model has no minimal effort (low is used). thinksByDefault says the
// model reasons when no effort is stated (OpenAI o-series and gpt-5,
// Gemini 2.5, DeepSeek and Kimi thinking models); Claude thinks only when
// asked.
type anchor struct {
	minimal, low, medium, high int
	thinksByDefault            bool
}

// anchorFor is the static (model code, effort) table of SPEC §11.10. It is
// a switch rather than a map so the package holds no mutable state.
func anchorFor(code string) (anchor, bool) {
	switch code {
	case "gpt-5":
		return anchor{200, 500, 1500, 5000, true}, true
	case "gpt-5-mini":
		return anchor{150, 400, 1200, 4000, true}, true
	case "o3":
		return anchor{200, 600, 2000, 8000, true}, true
	case "o3-mini":
		return anchor{150, 400, 1200, 4000, true}, true
	case "o4-mini":
		return anchor{150, 500, 1500, 6000, true}, true
	case "claude-opus-4-7", "claude-opus-4-6":
		return anchor{0, 800, 4000, 12000, false}, true
	case "claude-sonnet-4-7", "claude-sonnet-4-6":
		return anchor{0, 600, 3000, 10000, false}, true
	case "claude-haiku-4-5":
		return anchor{0, 400, 1500, 5000, false}, true
	case "gemini-2.5-pro":
		return anchor{0, 600, 3000, 10000, true}, true
	case "gemini-2.5-flash":
		return anchor{0, 400, 1500, 5000, true}, true
	case "deepseek-v4-pro":
		return anchor{0, 600, 2500, 8000, true}, true
	case "deepseek-v4-flash":
		return anchor{0, 300, 1200, 4000, true}, true
	case "kimi-k2.6":
		return anchor{0, 600, 3000, 10000, true}, true
	case "kimi-k2.5":
		return anchor{0, 500, 2500, 8000, true}, true
	}
	return anchor{}, false
}

// lookupAnchor finds a model's row by its code, then by its upstream id,
// each also without a dated snapshot suffix. It returns the row's name.
func lookupAnchor(names ...string) (anchor, string, bool) {
	for _, n := range names {
		for _, k := range [2]string{n, stripDate(n)} {
			if a, ok := anchorFor(k); ok {
				return a, k, true
			}
		}
	}
	return anchor{}, "", false
}

// stripDate removes a dated snapshot suffix: -20250929 or -2025-04-14.
func stripDate(s string) string {
	digits := func(t string) bool {
		for i := 0; i < len(t); i++ {
			if t[i] < '0' || t[i] > '9' {
				return false
			}
		}
		return true
	}
	if n := len(s); n > 9 && s[n-9] == '-' && digits(s[n-8:]) {
		return s[:n-9]
	}
	if n := len(s); n > 11 && s[n-11] == '-' && s[n-6] == '-' && s[n-3] == '-' &&
		digits(s[n-10:n-6]) && digits(s[n-5:n-3]) && digits(s[n-2:]) {
		return s[:n-11]
	}
	return s
}

func (a anchor) at(effort string) int {
	switch effort {
	case effortMinimal:
		if a.minimal > 0 {
			return a.minimal
		}
		return a.low
	case effortMedium:
		return a.medium
	case effortHigh:
		return a.high
	}
	return a.low
}

// reasoningShare is the part of the output spent reasoning at an effort
// (SPEC §11.10 step 8).
func reasoningShare(effort string) float64 {
	switch effort {
	case effortHigh:
		return 0.60
	case effortMedium:
		return 0.30
	}
	return 0.10
}

// span is a low / expected / high token range.
type span struct {
	Low      int `json:"low"`
	Expected int `json:"expected"`
	High     int `json:"high"`
}

// expand widens an anchor into a range (SPEC §11.10 step 7): low = a/3
// (at least 1), expected = a, high = 3a, with high capped by ceiling but
// never below a. ceiling 0 means unknown.
func expand(a, ceiling int) span {
	if a <= 0 {
		return span{}
	}
	s := span{Low: max(a/3, 1), Expected: a, High: a * 3}
	if ceiling > 0 && s.High > ceiling {
		s.High = max(ceiling, a)
	}
	return s
}

// normalizeEffort maps a stated effort to the closed set; ok is false for
// values outside it. "none" (gpt-5.1) means no reasoning effort.
func normalizeEffort(s string) (string, bool) {
	switch e := strings.ToLower(strings.TrimSpace(s)); e {
	case effortMinimal, effortLow, effortMedium, effortHigh:
		return e, true
	case "none", "":
		return "", true
	}
	return "", false
}

// bucketBudget maps a thinking budget to an effort (SPEC §11.10 step 4):
// under 2000 low, under 8000 medium, else high. A budget of 0 turns
// thinking off; negative budgets (Gemini's -1 = dynamic) state no effort.
func bucketBudget(b int) string {
	switch {
	case b <= 0:
		return ""
	case b < 2000:
		return effortLow
	case b < 8000:
		return effortMedium
	}
	return effortHigh
}

// parseTargetEffort validates a compare target's reasoningEffort: an
// effort name or a positive integer budget ≤ 100000, as a JSON string or
// number. It returns the effort it stands for.
func parseTargetEffort(raw []byte) (effort, shown string, ok bool) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return "", "", true
	}
	if s[0] == '"' {
		unq, err := strconv.Unquote(s)
		if err != nil {
			return "", "", false
		}
		s = strings.TrimSpace(unq)
		if e, known := normalizeEffort(s); known && s != "" && s != "none" {
			return e, e, true
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 || n > maxBudget {
		return "", "", false
	}
	return bucketBudget(n), strconv.Itoa(n), true
}

// readKnobs finds the output ceiling and the reasoning effort in a body,
// in the precedence order of SPEC §11.10 steps 4 and 6 (shape-specific
// spellings that say the same thing are read in the same position).
func readKnobs(w *wireBody) knobs {
	var k knobs
	gen := w.GenerationConfig
	if gen == nil {
		gen = w.GenerationConfig2
	}
	for _, v := range []*int{w.MaxCompletionTokens, w.MaxTokens, w.MaxOutputTokens, genMax(gen)} {
		if v != nil && *v > 0 {
			k.maxTokens = *v
			break
		}
	}
	stated := func(s *string) bool {
		if s == nil {
			return false
		}
		e, ok := normalizeEffort(*s)
		if !ok {
			k.effortRaw = *s
			return false
		}
		k.effort = e
		return e != ""
	}
	if stated(w.ReasoningEffort) {
		return k
	}
	if w.Reasoning != nil && stated(w.Reasoning.Effort) {
		return k
	}
	for _, th := range []*wireThinking{w.Thinking, nexusThinking(w)} {
		if th != nil && th.Type != "disabled" && th.BudgetTokens != nil {
			if k.effort = bucketBudget(*th.BudgetTokens); k.effort != "" {
				return k
			}
		}
	}
	for _, tc := range []*wireThinkingConfig{w.ThinkingConfig, nexusThinkingConfig(w), genThinking(gen)} {
		if tc == nil {
			continue
		}
		if b := tc.budget(); b != nil {
			if k.effort = bucketBudget(*b); k.effort != "" {
				return k
			}
		}
		for _, lvl := range []string{tc.ThinkingLevel, tc.ThinkingLevel2} {
			if lvl != "" && stated(&lvl) {
				return k
			}
		}
	}
	return k
}

func genMax(g *geminiGenConf) *int {
	if g == nil {
		return nil
	}
	if g.MaxOutputTokens != nil {
		return g.MaxOutputTokens
	}
	return g.MaxOutputTokens2
}

func genThinking(g *geminiGenConf) *wireThinkingConfig {
	if g == nil {
		return nil
	}
	if g.ThinkingConfig != nil {
		return g.ThinkingConfig
	}
	return g.ThinkingConfig2
}

func nexusThinking(w *wireBody) *wireThinking {
	if w.Nexus == nil {
		return nil
	}
	return w.Nexus.Ext.Anthropic.Thinking
}

func nexusThinkingConfig(w *wireBody) *wireThinkingConfig {
	if w.Nexus == nil {
		return nil
	}
	return w.Nexus.Ext.Gemini.ThinkingConfig
}
