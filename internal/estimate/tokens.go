package estimate

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/tiktoken-go/tokenizer"
)

// Per-message overhead of OpenAI chat models, as OpenAI documents it for
// counting with tiktoken: every message is framed by 3 tokens
// (<|start|>{role}<|message|>…<|end|>, the role itself counted as text), a
// name adds 1, and every reply is primed with 3 more.
const (
	tokensPerMessage = 3
	tokensPerName    = 1
	tokensReplyPrime = 3
	// The reasoning models (o-series, gpt-5) bill one token less than the
	// guide's count on every recorded text-only request: their reply
	// primer is 2 tokens.
	tokensReplyPrimeReasoning = 2
	// Tool calls in the history and the results answering them are framed
	// beyond their text (the recipient "functions.<name>", call ids). Not
	// published; fitted on the recorded tool-call transcripts.
	tokensPerToolCall   = 8
	tokensPerToolResult = 5
	// A structured-output schema is rendered under a heading; fitted on
	// the recorded json_schema transcripts.
	tokensSchemaFrame = 12
	// Tool definitions are rendered by OpenAI into a hidden system text
	// whose form is not published; OpenAI's token-counting guide
	// approximates it as a frame per function around "name:description",
	// a frame per argument around "name:type:description", enum values,
	// and a closing block once. These are its constants for o200k models.
	tokensPerTool       = 7 // 10 for cl100k_base models
	tokensPerToolCl100k = 10
	tokensToolArgs      = 3
	tokensPerArg        = 3
	tokensEnumStart     = -3
	tokensPerEnumValue  = 3
	tokensToolsEnd      = 12
)

// Heuristic divisors of SPEC §11.10 step 3: characters (UTF-8 bytes) per token.
const (
	divisorGemini  = 4.0
	divisorDefault = 3.5
)

// Error bands stated in assumptions and checked against recorded usage in
// band_test.go. Each band is ±pct% of the real count plus an absolute
// allowance, because providers frame every request with tokens no text
// shows, which dominates short prompts.
const (
	tokenizerBandPct = 3 // OpenAI text-only chat, Responses and embeddings
	tokenizerBandAbs = 2
	toolsBandPct     = 20 // OpenAI requests with tool definitions or a response schema
	toolsBandAbs     = 5
	heuristicBandPct = 25 // Anthropic and Gemini
	heuristicBandAbs = 12
)

// encodings builds the tokenizers once per Handler, on first use: loading
// a vocabulary costs tens of milliseconds and megabytes, and most gateways
// answer few estimates. The codecs are safe for concurrent use.
type encodings struct {
	once  [2]sync.Once
	codec [2]tokenizer.Codec
	err   [2]error
}

const (
	encO200k = iota
	encCl100k
)

func encodingName(which int) string {
	if which == encCl100k {
		return "cl100k_base"
	}
	return "o200k_base"
}

func (e *encodings) get(which int) (tokenizer.Codec, error) {
	e.once[which].Do(func() {
		enc := tokenizer.O200kBase
		if which == encCl100k {
			enc = tokenizer.Cl100kBase
		}
		e.codec[which], e.err[which] = tokenizer.Get(enc)
	})
	return e.codec[which], e.err[which]
}

// openAIEncoding says whether a model is counted with a real tokenizer (an
// OpenAI model: provider type openai or azure-openai, or a gpt-*, o1…o9*
// or text-embedding-* model anywhere) and which encoding it uses. exact is
// false when the provider is OpenAI's but the name belongs to no known
// family, and the newest encoding is assumed.
func openAIEncoding(m *Model) (which int, exact, ok bool) {
	for _, n := range [2]string{m.UpstreamModel, m.Code} {
		if w, known := familyEncoding(n); known {
			return w, true, true
		}
	}
	if m.ProviderType == "openai" || m.ProviderType == "azure-openai" {
		return encO200k, false, true
	}
	return 0, false, false
}

// reasoningFamily reports the OpenAI reasoning models: the o-series and gpt-5.
func reasoningFamily(m *Model) bool {
	for _, name := range [2]string{m.UpstreamModel, m.Code} {
		n := baseName(name)
		if oSeries(n) || strings.HasPrefix(n, "gpt-5") {
			return true
		}
	}
	return false
}

// baseName lowercases a model name and drops an aggregator prefix
// ("openai/gpt-4o") and a fine-tune marker ("ft:").
func baseName(name string) string {
	n := strings.ToLower(name)
	if i := strings.LastIndexByte(n, '/'); i >= 0 {
		n = n[i+1:]
	}
	return strings.TrimPrefix(n, "ft:")
}

// familyEncoding maps an OpenAI model name to its encoding: o200k_base for
// gpt-4o, gpt-4.1, gpt-4.5, gpt-5, gpt-oss and the o-series; cl100k_base for
// gpt-4, gpt-3.5 and the text-embedding models.
func familyEncoding(name string) (int, bool) {
	n := baseName(name)
	switch {
	case strings.HasPrefix(n, "gpt-4o"), strings.HasPrefix(n, "chatgpt-4o"), strings.HasPrefix(n, "gpt-4.1"),
		strings.HasPrefix(n, "gpt-4.5"), strings.HasPrefix(n, "gpt-5"), strings.HasPrefix(n, "gpt-oss"),
		oSeries(n):
		return encO200k, true
	case strings.HasPrefix(n, "gpt-4"), strings.HasPrefix(n, "gpt-3.5"), strings.HasPrefix(n, "gpt-35"),
		strings.HasPrefix(n, "text-embedding-"):
		return encCl100k, true
	case strings.HasPrefix(n, "gpt-"):
		return encO200k, true
	}
	return 0, false
}

// oSeries matches o1 … o9, alone or followed by "-" (o3-mini, o4-mini-high).
func oSeries(n string) bool {
	return len(n) >= 2 && n[0] == 'o' && n[1] >= '1' && n[1] <= '9' && (len(n) == 2 || n[2] == '-')
}

// openAICounting says how to count for one OpenAI model.
type openAICounting struct {
	codec     tokenizer.Codec
	which     int  // encO200k or encCl100k
	reasoning bool // o-series and gpt-5: 2-token reply primer
}

// tally accumulates a token count, checking for cancellation between
// texts (a request may carry megabytes of text).
type tally struct {
	ctx   context.Context
	codec tokenizer.Codec
	n     int
	err   error
}

func (t *tally) text(s string) {
	for s != "" && t.err == nil {
		if t.err = t.ctx.Err(); t.err != nil {
			return
		}
		var piece string
		piece, s = nextChunk(s)
		k, err := t.codec.Count(piece)
		if err != nil {
			t.err = fmt.Errorf("count tokens: %w", err)
			return
		}
		t.n += k
	}
}

// chunkBytes bounds the text given to the tokenizer at once. Its
// pre-tokenizing regular expression backtracks quadratically on long runs
// of whitespace and newlines (1 MiB of "\n \n" takes minutes), and one
// Count call cannot be cancelled; in chunks the worst case is about half a
// second per MiB and the deadline is checked between chunks.
const chunkBytes = 2048

// nextChunk splits off at most chunkBytes of s. It cuts before a space that
// starts a word (where the tokenizer starts a new piece anyway, so the
// count is unchanged), else at a rune boundary.
func nextChunk(s string) (chunk, rest string) {
	if len(s) <= chunkBytes {
		return s, ""
	}
	cut := chunkBytes
	for i := min(chunkBytes, len(s)-2); i > chunkBytes-256; i-- {
		if s[i] == ' ' && !isSpace(s[i-1]) && !isSpace(s[i+1]) {
			return s[:i], s[i:]
		}
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut], s[cut:]
}

func isSpace(b byte) bool { return b == ' ' || b == '\t' || b == '\n' || b == '\r' }

// countTokens counts a prompt's input tokens the way OpenAI bills them.
// embedding selects the embeddings reading of the body (bare texts, no
// message framing).
func countTokens(ctx context.Context, oc openAICounting, p *prompt, embedding bool) (int, error) {
	t := &tally{ctx: ctx, codec: oc.codec}
	if embedding {
		for _, s := range p.embedTexts {
			t.text(s)
		}
		return t.n + p.embedTokens, t.err
	}
	for i := range p.messages {
		m := &p.messages[i]
		t.n += tokensPerMessage + m.toolCalls*tokensPerToolCall + m.toolResults*tokensPerToolResult
		t.text(m.role)
		if m.name != "" {
			t.n += tokensPerName
			t.text(m.name)
		}
		for _, s := range m.texts {
			t.text(s)
		}
	}
	if oc.reasoning {
		t.n += tokensReplyPrimeReasoning
	} else {
		t.n += tokensReplyPrime
	}
	perTool := tokensPerTool
	if oc.which == encCl100k {
		perTool = tokensPerToolCl100k
	}
	countTools(t, p.tools, perTool)
	if p.schema != "" {
		t.n += tokensSchemaFrame
		t.text(p.schema)
	}
	return t.n, t.err
}

// countTools counts tool definitions the way OpenAI's guide does.
func countTools(t *tally, tools []toolDef, perTool int) {
	if len(tools) == 0 {
		return
	}
	t.n += tokensToolsEnd
	for i := range tools {
		td := &tools[i]
		t.n += perTool
		t.text(td.header())
		props := td.properties()
		if len(props) > 0 {
			t.n += tokensToolArgs
		}
		for j := range props {
			pr := &props[j]
			t.n += tokensPerArg
			if len(pr.enum) > 0 {
				t.n += tokensEnumStart
				for _, e := range pr.enum {
					t.n += tokensPerEnumValue
					t.text(e)
				}
			}
			t.text(pr.line())
		}
	}
}

// chars is the UTF-8 length of the prompt's text (SPEC §11.10 step 2),
// tool definitions included.
func (p *prompt) chars(embedding bool) int {
	n := 0
	if embedding {
		for _, t := range p.embedTexts {
			n += len(t)
		}
		return n
	}
	for _, m := range p.messages {
		for _, t := range m.texts {
			n += len(t)
		}
	}
	return n
}

// heuristicTokens is chars / divisor rounded up, at least 1 when there is
// any text (SPEC §11.10 step 3).
func heuristicTokens(chars int, divisor float64) int {
	if chars <= 0 {
		return 0
	}
	return max(int(math.Ceil(float64(chars)/divisor)), 1)
}

// heuristicDivisor is 4.0 for Gemini and Vertex, 3.5 for everything else.
func heuristicDivisor(providerType string) float64 {
	if isGeminiType(providerType) {
		return divisorGemini
	}
	return divisorDefault
}

// Anthropic's documented size of the tool-use system prompt it adds when a
// request has tools (Claude 4 and Sonnet 3.7 models): 346 tokens with
// tool_choice auto or none, 313 with any or a named tool.
const (
	anthropicToolPromptAuto   = 346
	anthropicToolPromptForced = 313
)

// heuristicCount estimates the input tokens of a non-OpenAI model: the
// prompt's characters (text, tool definitions, structured-output schema)
// over the divisor, plus the framing the provider adds around the turns.
func heuristicCount(p *prompt, providerType string, embedding bool) int {
	div := heuristicDivisor(providerType)
	if embedding {
		return heuristicTokens(p.chars(true), div) + p.embedTokens
	}
	chars := p.chars(false)
	anthropic := isAnthropicType(providerType)
	if !isGeminiType(providerType) {
		// Gemini does not bill its responseSchema as prompt tokens.
		chars += len(p.schema)
	}
	for i := range p.tools {
		if anthropic {
			chars += p.tools[i].jsonChars()
		} else {
			chars += p.tools[i].renderedChars()
		}
	}
	n := heuristicTokens(chars, div)
	if n == 0 {
		return 0
	}
	switch {
	case anthropic:
		n += anthropicFraming
		switch {
		case len(p.tools) > 0 && p.forcedTool:
			n += anthropicToolPromptForced
		case len(p.tools) > 0:
			n += anthropicToolPromptAuto
		case p.thinking:
			n += anthropicThinkingPrompt
		}
	case isGeminiType(providerType):
		n += geminiFraming
	default:
		n += compatFramingRequest + compatFramingMessage*len(p.messages)
	}
	return n
}

// Framing added around the text, per provider family, fitted on the
// recorded transcripts (none of it is published): Anthropic frames a
// request with about 7 tokens; extended thinking without tools adds about
// 28 (observed on Sonnet 4 and 4.5); Gemini adds about 2; OpenAI-compatible
// chat templates frame each message like OpenAI does.
const (
	anthropicFraming        = 7
	anthropicThinkingPrompt = 28
	geminiFraming           = 2
	compatFramingRequest    = 3
	compatFramingMessage    = 4
)

func isAnthropicType(t string) bool { return t == "anthropic" || t == "bedrock" }

func isGeminiType(t string) bool { return t == "gemini" || t == "vertex" }
