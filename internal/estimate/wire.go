package estimate

import (
	"encoding/json"

	"github.com/nexus-gateway/nexus/internal/cost"
)

// Limits of SPEC §2.6.
const (
	maxTargets = 10
)

// Top-level error codes of SPEC §2.6, plus two of ours: a body over the
// size cap, and a key store that cannot answer (a 503 is truer than a 401).
const (
	codeMethodNotAllowed = "estimate_method_not_allowed"       // 405
	codeUnauthorized     = "estimate_unauthorized"             // 401
	codeRateLimited      = "estimate_compare_rate_limited"     // 429
	codeInvalidJSON      = "estimate_invalid_json"             // 400
	codeNoTargets        = "estimate_no_targets"               // 400
	codeTooManyTargets   = "estimate_too_many_targets"         // 400
	codeNoRequest        = "estimate_no_request"               // 400
	codeInvalidEffort    = "estimate_invalid_reasoning_effort" // 400
	codePayloadTooLarge  = "estimate_payload_too_large"        // 413 (ours)
	codeAuthUnavailable  = "estimate_auth_unavailable"         // 503 (ours)
	codeTargetNotFound   = "estimate_target_not_found"         // per target
	codeModelNotAllowed  = "vk_model_not_allowed"              // per target
	codeEstimateFailed   = "estimate_failed"                   // per target
)

// estimateRequest is the body of POST /v1/estimate.
type estimateRequest struct {
	Request        json.RawMessage `json:"request"`
	CompareTargets []compareTarget `json:"compareTargets"`
	Options        *struct {
		IngressFormat string `json:"ingressFormat"` // a metrics label in the reference; unused here
	} `json:"options"`
}

type compareTarget struct {
	ProviderID      string          `json:"providerId"`
	ModelID         string          `json:"modelId"`
	ReasoningEffort json.RawMessage `json:"reasoningEffort"`
}

// estimateResponse is the 200 answer.
type estimateResponse struct {
	Targets []targetResult `json:"targets"`
	Summary summary        `json:"summary"`
}

type targetResult struct {
	ProviderID   string         `json:"providerId"`
	ProviderName string         `json:"providerName,omitempty"`
	ModelID      *string        `json:"modelId"` // null when the model did not resolve (or is hidden)
	ModelCode    string         `json:"modelCode"`
	Tokens       *tokenEstimate `json:"tokens,omitempty"`
	Cost         *costEstimate  `json:"cost,omitempty"`
	Reasoning    *reasoningInfo `json:"reasoning,omitempty"`
	Assumptions  []string       `json:"assumptions,omitempty"`
	Error        *targetError   `json:"error,omitempty"`

	expectedMicros int64 // for the summary
}

type tokenEstimate struct {
	UncachedInput int  `json:"uncachedInput"`
	InputCached   int  `json:"inputCached"`
	Output        span `json:"output"`
	Reasoning     span `json:"reasoning"`
}

type costEstimate struct {
	Currency string     `json:"currency"`
	Low      costFigure `json:"low"`
	Expected costFigure `json:"expected"`
	High     costFigure `json:"high"`
}

// costFigure is one cost breakdown in USD (converted from micro-dollars).
type costFigure struct {
	UncachedInput  float64 `json:"uncachedInput"`
	CacheRead      float64 `json:"cacheRead"`
	CacheWrite     float64 `json:"cacheWrite"`
	Output         float64 `json:"output"`
	Total          float64 `json:"total"`
	ReasoningSplit float64 `json:"reasoningSplit,omitempty"`
}

func figure(b cost.Breakdown) costFigure {
	return costFigure{
		UncachedInput:  cost.USD(b.UncachedInput),
		CacheRead:      cost.USD(b.CacheRead),
		CacheWrite:     cost.USD(b.CacheWrite),
		Output:         cost.USD(b.Output),
		Total:          cost.USD(b.Total),
		ReasoningSplit: cost.USD(b.Reasoning),
	}
}

type reasoningInfo struct {
	EffortRequested  string `json:"effortRequested"`
	SupportedByModel bool   `json:"supportedByModel"`
	EstimatedTokens  int    `json:"estimatedTokens"`
}

type targetError struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

type summary struct {
	CheapestExpectedTarget        *string  `json:"cheapestExpectedTarget"`
	CheapestExpectedTotalUSD      *float64 `json:"cheapestExpectedTotalUsd"`
	MostExpensiveExpectedTotalUSD *float64 `json:"mostExpensiveExpectedTotalUsd"`
	ErrorsCount                   int      `json:"errorsCount"`
	SuccessCount                  int      `json:"successCount"`
}

// errorBody is the top-level error shape {"error":{"code","message"}}.
type errorBody struct {
	Error targetError `json:"error"`
}

// summarize picks the cheapest and most expensive targets by expected
// total (SPEC §11.10 step 10); ties keep the earlier target.
func summarize(results []targetResult) summary {
	var s summary
	var lo, hi *targetResult
	for i := range results {
		r := &results[i]
		if r.Error != nil {
			s.ErrorsCount++
			continue
		}
		s.SuccessCount++
		if lo == nil || r.expectedMicros < lo.expectedMicros {
			lo = r
		}
		if hi == nil || r.expectedMicros > hi.expectedMicros {
			hi = r
		}
	}
	if lo != nil {
		code := lo.ModelCode
		loUSD, hiUSD := cost.USD(lo.expectedMicros), cost.USD(hi.expectedMicros)
		s.CheapestExpectedTarget, s.CheapestExpectedTotalUSD, s.MostExpensiveExpectedTotalUSD = &code, &loUSD, &hiUSD
	}
	return s
}
