package estimate

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/catalog"
	"github.com/nexus-gateway/nexus/internal/cost"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// job is one estimate request being answered: the parsed body, shared by
// every target, and the tokenizer counts already made for it (two targets
// on the same encoding count once).
type job struct {
	h      *Handler
	key    *pipeline.Key
	prompt *prompt
	counts [2][2]countOnce // [encoding][embedding]
}

type countOnce struct {
	once sync.Once
	n    int
	err  error
}

// tokenizerCount counts the prompt once per (encoding, reading) and request.
func (j *job) tokenizerCount(ctx context.Context, which int, embedding bool) (int, error) {
	emb := 0
	if embedding {
		emb = 1
	}
	c := &j.counts[which][emb]
	c.once.Do(func() {
		codec, err := j.h.enc.get(which)
		if err != nil {
			c.err = fmt.Errorf("load %s: %w", encodingName(which), err)
			return
		}
		c.n, c.err = countTokens(ctx, openAICounting{codec: codec, which: which}, j.prompt, embedding)
	})
	return c.n, c.err
}

// estimate answers one compare target (SPEC §11.10).
func (j *job) estimate(ctx context.Context, t compareTarget, effort, effortShown string) targetResult {
	res := targetResult{ProviderID: t.ProviderID, ModelCode: t.ModelID}
	m, ok := j.resolve(t)
	if !ok {
		res.Error = &targetError{Code: codeTargetNotFound, Message: notFoundMessage(t)}
		return res
	}
	if !j.allowed(&m) {
		// The model stays unnamed beyond what the caller sent: a key must
		// not learn what exists outside its allowlist.
		res.Error = &targetError{Code: codeModelNotAllowed, Message: fmt.Sprintf("model %q is not allowed for this virtual key", t.ModelID)}
		return res
	}
	if res.ProviderID == "" {
		res.ProviderID = m.Provider
	}
	res.ProviderName = m.Provider
	id := m.Code // we have no model UUIDs: the code is the id
	res.ModelID, res.ModelCode = &id, m.Code
	// Never estimate an unpriced model as free (SPEC §11.8).
	if !m.Price.Priced() {
		res.Error = &targetError{Code: codeEstimateFailed,
			Message: fmt.Sprintf("model %q has no price (input and output prices are unknown), so its cost cannot be estimated; set models[].pricing", m.Code)}
		return res
	}

	var notes []string
	embedding := isEmbedding(&m)
	in, inNotes, err := j.inputTokens(ctx, &m, embedding)
	if err != nil {
		res.Error = &targetError{Code: codeEstimateFailed, Message: failMessage(ctx, err)}
		return res
	}
	notes = append(notes, inNotes...)

	if effort == "" && effortShown == "" {
		effort = j.prompt.knobs.effort
		effortShown = effort
		if j.prompt.knobs.effortRaw != "" && effort == "" {
			notes = append(notes, fmt.Sprintf("reasoning effort %q in the request is not one of minimal, low, medium, high; ignored", j.prompt.knobs.effortRaw))
		}
	}
	out, reason, info, outNotes := j.outputRange(&m, embedding, effort)
	info.EffortRequested = effortShown
	notes = append(notes, outNotes...)

	price := func(o, r int) (cost.Breakdown, bool) {
		b := cost.Compute(m.Price, canonical.Usage{InputTokens: in, OutputTokens: o, ReasoningTokens: r})
		return b, !b.Unpriced
	}
	lo, ok1 := price(out.Low, reason.Low)
	ex, ok2 := price(out.Expected, reason.Expected)
	hi, ok3 := price(out.High, reason.High)
	if !ok1 || !ok2 || !ok3 {
		res.Error = &targetError{Code: codeEstimateFailed,
			Message: fmt.Sprintf("model %q is only partly priced (%s), so its cost cannot be estimated; set models[].pricing", m.Code, missingPrices(m.Price))}
		return res
	}
	notes = append(notes, "no prompt-cache discount assumed: every input token is priced as uncached")

	res.Tokens = &tokenEstimate{UncachedInput: in, Output: out, Reasoning: reason}
	res.Cost = &costEstimate{Currency: "USD", Low: figure(lo), Expected: figure(ex), High: figure(hi)}
	res.Reasoning = &info
	res.Assumptions = notes
	res.expectedMicros = ex.Total
	return res
}

// resolve finds the target's model. A providerId narrows the search to
// that provider: through ProviderModels when Models offers it, else by
// checking the provider of the model the code resolves to.
func (j *job) resolve(t compareTarget) (Model, bool) {
	if t.ModelID == "" {
		return Model{}, false
	}
	if t.ProviderID == "" {
		return j.h.Models.Resolve(t.ModelID)
	}
	if pm, ok := j.h.Models.(ProviderModels); ok {
		return pm.ResolveOn(t.ProviderID, t.ModelID)
	}
	m, ok := j.h.Models.Resolve(t.ModelID)
	if !ok || m.Provider != t.ProviderID {
		return Model{}, false
	}
	return m, true
}

func notFoundMessage(t compareTarget) string {
	switch {
	case t.ModelID == "":
		return "compare target has no modelId"
	case t.ProviderID != "":
		return fmt.Sprintf("model %q is not served by provider %q", t.ModelID, t.ProviderID)
	}
	return fmt.Sprintf("model %q is not served by this gateway", t.ModelID)
}

// allowed applies the key's model allowlist (SPEC §3.8): the Handler's
// Allowed when set, else the router's own glob rule.
func (j *job) allowed(m *Model) bool {
	if j.key == nil {
		return true
	}
	if j.h.Allowed != nil {
		return j.h.Allowed(j.key, *m)
	}
	return defaultAllowed(j.key, m)
}

// inputTokens counts the input for one model (SPEC §11.10 steps 2–3, with
// a real tokenizer for OpenAI models) and says how in the assumptions.
func (j *job) inputTokens(ctx context.Context, m *Model, embedding bool) (int, []string, error) {
	p := j.prompt
	var notes []string
	if which, exact, ok := openAIEncoding(m); ok {
		n, err := j.tokenizerCount(ctx, which, embedding)
		if err != nil {
			return 0, nil, err
		}
		if reasoningFamily(m) && !embedding {
			n -= tokensReplyPrime - tokensReplyPrimeReasoning
		}
		how := fmt.Sprintf("input tokens counted with the %s tokenizer", encodingName(which))
		switch {
		case embedding:
			notes = append(notes, how+"; exact for text inputs")
		case len(p.tools) > 0 || p.schema != "":
			notes = append(notes, fmt.Sprintf("%s and OpenAI's message framing; tool definitions and response schemas follow OpenAI's token-counting guide: typically within ±%d%% (+%d tokens)",
				how, toolsBandPct, toolsBandAbs))
		default:
			notes = append(notes, fmt.Sprintf("%s and OpenAI's message framing (3 tokens per message, %d to prime the reply): typically within ±%d%% for text",
				how, primer(m), tokenizerBandPct))
		}
		if !exact {
			notes = append(notes, fmt.Sprintf("model %q is not a known OpenAI model family; the %s encoding is assumed", m.UpstreamModel, encodingName(which)))
		}
		if reasoningFamily(m) && len(p.tools) > 0 && p.chat && !embedding {
			notes = append(notes, "reasoning models add hidden tool instructions to chat requests with tools (about 85 tokens observed) that are not counted")
		}
		return n, j.commonNotes(notes), nil
	}
	if err := ctx.Err(); err != nil {
		return 0, nil, err
	}
	n := heuristicCount(p, m.ProviderType, embedding)
	div := heuristicDivisor(m.ProviderType)
	switch {
	case isAnthropicType(m.ProviderType) || isGeminiType(m.ProviderType):
		notes = append(notes, fmt.Sprintf("%s token count is a chars/%s heuristic; ±%d%% (+%d tokens) typical error",
			adapterName(m), trimFloat(div), heuristicBandPct, heuristicBandAbs))
	default:
		notes = append(notes, fmt.Sprintf("%s token count is a chars/%s heuristic; ±%d%% (+%d tokens) for plain text, but vendor chat templates can add undisclosed system text (tools especially): larger errors are possible",
			adapterName(m), trimFloat(div), heuristicBandPct, heuristicBandAbs))
	}
	if isAnthropicType(m.ProviderType) && len(p.tools) > 0 {
		notes = append(notes, "includes Anthropic's documented tool-use system prompt (346 tokens, 313 with a forced tool choice)")
	}
	if isAnthropicType(m.ProviderType) && p.schema != "" {
		notes = append(notes, "structured output adds an Anthropic system prompt of undisclosed size (about 150 tokens observed) that is not counted")
	}
	if p.serverTools > 0 {
		notes = append(notes, fmt.Sprintf("%d provider-run tool(s) add system prompts of undisclosed size that are not counted", p.serverTools))
	}
	return n, j.commonNotes(notes), nil
}

func (j *job) commonNotes(notes []string) []string {
	if j.prompt.media > 0 {
		notes = append(notes, fmt.Sprintf("%d image, audio or document part(s) are not counted", j.prompt.media))
	}
	return notes
}

func primer(m *Model) int {
	if reasoningFamily(m) {
		return tokensReplyPrimeReasoning
	}
	return tokensReplyPrime
}

// outputRange is SPEC §11.10 steps 4–8: the output and reasoning ranges.
func (j *job) outputRange(m *Model, embedding bool, effort string) (out, reason span, info reasoningInfo, notes []string) {
	if embedding {
		return span{}, span{}, info, []string{"embedding model: input tokens only, no output"}
	}
	k := j.prompt.knobs
	// The output can never exceed what the request allows, else the model's ceiling.
	ceiling := m.MaxOutput
	if k.maxTokens > 0 && (ceiling == 0 || k.maxTokens < ceiling) {
		ceiling = k.maxTokens
	}
	row, rowName, inTable := lookupAnchor(m.Code, m.UpstreamModel)
	info.SupportedByModel = inTable || m.hasFeature(catalog.FeatureThinking)
	var a int
	if inTable {
		a = row.at(effort)
		label := effort
		if label == "" {
			label = "default (low)"
		}
		notes = append(notes, fmt.Sprintf("output anchor %d tokens from the static table for %s at effort %s", a, rowName, label))
	} else {
		maxTok := k.maxTokens
		src := "the request's max tokens"
		if maxTok <= 0 {
			maxTok, src = m.MaxOutput, "the model's max output"
		}
		if maxTok <= 0 {
			maxTok, src = defaultMaxTokens, "the default of 4096"
		}
		a = max(maxTok/4, 100)
		notes = append(notes, fmt.Sprintf("output anchor %d tokens = a quarter of %s (%d)", a, src, maxTok))
	}
	if ceiling > 0 && a > ceiling {
		a = ceiling
	}
	out = expand(a, ceiling)
	if ceiling > 0 {
		notes = append(notes, fmt.Sprintf("output range low = anchor/3, high = 3 × anchor capped at %d", ceiling))
	} else {
		notes = append(notes, "output range low = anchor/3, high = 3 × anchor")
	}

	thinks := effort != "" || (inTable && row.thinksByDefault)
	switch {
	case effort != "" && !info.SupportedByModel:
		notes = append(notes, fmt.Sprintf("reasoning effort %s requested, but %s does not reason: no reasoning tokens estimated", effort, m.Code))
	case info.SupportedByModel && thinks:
		share := reasoningShare(effort)
		reason = span{
			Low:      int(float64(out.Low) * share),
			Expected: int(float64(out.Expected) * share),
			High:     int(float64(out.High) * share),
		}
		notes = append(notes, fmt.Sprintf("reasoning tokens = %d%% of the output (part of it, billed at the output price)", int(share*100+0.5)))
	}
	info.EstimatedTokens = reason.Expected
	return out, reason, info, notes
}

func isEmbedding(m *Model) bool {
	if m.Type != "" {
		return m.Type == catalog.TypeEmbedding
	}
	n := strings.ToLower(m.UpstreamModel + " " + m.Code)
	return strings.Contains(n, "embedding") || strings.Contains(n, "embed-")
}

func adapterName(m *Model) string {
	if m.ProviderType != "" {
		return m.ProviderType
	}
	return m.Provider
}

func trimFloat(f float64) string {
	return fmt.Sprintf("%.1f", f)
}

func missingPrices(p cost.Price) string {
	var miss []string
	if p.Input == nil {
		miss = append(miss, "no input price")
	}
	if p.Output == nil {
		miss = append(miss, "no output price")
	}
	return strings.Join(miss, ", ")
}

func failMessage(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return "the estimate did not finish within its time limit"
	}
	return "the estimate failed: " + err.Error()
}
