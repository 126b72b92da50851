package usage

import (
	"net/http"
	"time"
)

// summaryBody is SPEC §2.5's summary shape.
type summaryBody struct {
	VirtualKeyID string       `json:"virtualKeyId"`
	Period       string       `json:"period"`
	PeriodType   string       `json:"periodType"`
	Usage        summaryUsage `json:"usage"`
	Quota        *quotaBody   `json:"quota"`
}

type summaryUsage struct {
	TotalRequests    int64   `json:"totalRequests"`
	PromptTokens     int64   `json:"promptTokens"`
	CompletionTokens int64   `json:"completionTokens"`
	TotalTokens      int64   `json:"totalTokens"`
	EstimatedCostUSD float64 `json:"estimatedCostUsd"`
	// See totals.UnknownCostRequests.
	UnknownCostRequests int64 `json:"unknownCostRequests,omitempty"`
}

// quotaBody is either the budget form (limit, used, remaining, mode, RPM)
// or, for a key with only an RPM limit, {"enforcementMode":"none","rateLimitRpm":N}.
type quotaBody struct {
	LimitUSD        *float64 `json:"limitUsd,omitempty"`
	UsedUSD         *float64 `json:"usedUsd,omitempty"`
	RemainingUSD    *float64 `json:"remainingUsd,omitempty"`
	EnforcementMode string   `json:"enforcementMode"`
	RateLimitRPM    *int     `json:"rateLimitRpm"`
}

// Summary serves GET /v1/usage: the calling key's usage in the current UTC
// month, and its budget.
func (h *Handler) Summary(w http.ResponseWriter, r *http.Request) {
	key, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	now := h.o.Now().UTC()
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1)
	u, err := h.o.Store.KeyUsage(r.Context(), key.ID, first.Format(time.DateOnly), last.Format(time.DateOnly))
	if err != nil {
		h.queryFailed(w, r, err)
		return
	}
	body := summaryBody{
		VirtualKeyID: key.ID,
		Period:       first.Format("2006-01"),
		PeriodType:   "monthly",
		Usage: summaryUsage{
			TotalRequests:       u.Requests,
			PromptTokens:        u.InputTokens,
			CompletionTokens:    u.OutputTokens,
			TotalTokens:         u.InputTokens + u.OutputTokens,
			EstimatedCostUSD:    usd(u.CostMicros),
			UnknownCostRequests: u.UnknownCost,
		},
	}
	var rpm *int
	if key.RPM > 0 {
		rpm = &key.RPM
	}
	var q *QuotaInfo
	if h.o.Quota != nil {
		q = h.o.Quota(r.Context(), key)
	}
	switch {
	case q != nil:
		limit, used := usd(q.LimitMicros), usd(q.UsedMicros)
		remaining := usd(max(0, q.LimitMicros-q.UsedMicros))
		body.Quota = &quotaBody{LimitUSD: &limit, UsedUSD: &used, RemainingUSD: &remaining, EnforcementMode: q.EnforcementMode, RateLimitRPM: rpm}
	case rpm != nil:
		body.Quota = &quotaBody{EnforcementMode: "none", RateLimitRPM: rpm}
	}
	writeJSON(w, http.StatusOK, body)
}

func (h *Handler) queryFailed(w http.ResponseWriter, r *http.Request, err error) {
	h.o.Logger.Error("usage query failed", "path", r.URL.Path, "error", err.Error())
	writeError(w, http.StatusInternalServerError, "USAGE_QUERY_FAILED", "the usage report could not be read", "retry shortly")
}
