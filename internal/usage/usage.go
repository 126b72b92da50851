// Package usage serves a virtual key's own usage report: GET /v1/usage (the
// current UTC month) and GET /v1/usage/daily (per day and model), in the
// shapes of SPEC §2.5, summed from the audit trail.
package usage

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/nexus-gateway/nexus/internal/auth"
	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/store"
)

// Authenticator resolves a presented virtual key (auth.Authenticator).
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (*pipeline.Key, error)
}

// Limiter is the per-key requests-per-minute limiter the data plane uses;
// SPEC §3.3 applies a key's RPM to read endpoints too.
type Limiter interface {
	Allow(key string, rpm int) (ok bool, retryAfter time.Duration)
}

// Store is what the reports read (*store.DB).
type Store interface {
	KeyUsage(ctx context.Context, keyID, from, to string) (store.UsageTotals, error)
	KeyDailyUsage(ctx context.Context, keyID, from, to string) ([]store.DailyUsage, error)
}

// QuotaInfo is a key's USD budget as the quota engine sees it, in
// micro-dollars.
type QuotaInfo struct {
	LimitMicros     int64
	UsedMicros      int64
	EnforcementMode string // what happens at the limit: reject, downgrade, …
}

// Options wire a Handler. Auth and Store are required.
type Options struct {
	Auth  Authenticator
	Store Store
	// Quota reports the key-level USD budget, or nil when the key has none.
	// May itself be nil (no quota engine): the report then shows only the
	// key's RPM, or null.
	Quota   func(ctx context.Context, key *pipeline.Key) *QuotaInfo
	Limiter Limiter          // nil: no RPM check
	Now     func() time.Time // nil: time.Now
	Logger  *slog.Logger     // nil: discard
}

// MaxRangeDays is the longest /v1/usage/daily range.
const MaxRangeDays = 90

// defaultRangeDays is the range when startDate is not given: the last 30
// days, today included.
const defaultRangeDays = 30

// Handler serves both reports.
type Handler struct {
	o Options
	// carriers: /v1/usage* take x-nexus-virtual-key and Bearer only (SPEC §3.4).
	carriers []auth.Carrier
}

// New builds the handler.
func New(o Options) *Handler {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Handler{o: o, carriers: []auth.Carrier{auth.CarrierNexus, auth.CarrierBearer}}
}

// Routes returns the patterns to register (ingress.Config.Extra takes them).
func (h *Handler) Routes() map[string]http.Handler {
	return map[string]http.Handler{
		"GET /v1/usage":       http.HandlerFunc(h.Summary),
		"GET /v1/usage/daily": http.HandlerFunc(h.Daily),
	}
}

// totals is the usage block shared by the summary, each day and each model.
type totals struct {
	Requests         int64   `json:"requests"`
	PromptTokens     int64   `json:"promptTokens"`
	CompletionTokens int64   `json:"completionTokens"`
	TotalTokens      int64   `json:"totalTokens"`
	CostUSD          float64 `json:"costUsd"`
	// UnknownCostRequests counts requests whose cost is unknown (an
	// unpriced model, or no usage reported): costUsd leaves them out, so it
	// is a lower bound. Omitted when zero, which keeps SPEC's shape exact.
	UnknownCostRequests int64 `json:"unknownCostRequests,omitempty"`
	micros              int64
}

func (t *totals) add(u store.UsageTotals) {
	t.Requests += u.Requests
	t.PromptTokens += u.InputTokens
	t.CompletionTokens += u.OutputTokens
	t.TotalTokens += u.InputTokens + u.OutputTokens
	t.micros += u.CostMicros
	t.CostUSD = usd(t.micros)
	t.UnknownCostRequests += u.UnknownCost
}

// usd converts micro-dollars for display; sums are always kept in micros.
func usd(micros int64) float64 { return float64(micros) / 1e6 }

// authenticate runs auth and the RPM check, writing the error on failure.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request) (*pipeline.Key, bool) {
	key, err := h.o.Auth.Authenticate(r.Context(), auth.Extract(r.Header, h.carriers))
	if err != nil {
		e := canonical.As(err)
		if e.Status == http.StatusUnauthorized {
			// SPEC §2.5 names one code for every auth failure here; the
			// message and hint still say which one it was.
			writeError(w, http.StatusUnauthorized, "AUTH_INVALID", e.Message, e.Hint)
			return nil, false
		}
		h.o.Logger.Warn("usage: authentication failed", "error", err.Error())
		writeError(w, e.Status, e.Code, e.Message, e.Hint)
		return nil, false
	}
	if key.RPM > 0 {
		w.Header().Set("X-RateLimit-Limit", strconv.Itoa(key.RPM))
		if h.o.Limiter != nil {
			if ok, wait := h.o.Limiter.Allow(key.ID, key.RPM); !ok {
				secs := int((wait + time.Second - 1) / time.Second)
				if secs < 1 {
					secs = 1
				}
				w.Header().Set("Retry-After", strconv.Itoa(secs))
				writeError(w, http.StatusTooManyRequests, "RATE_LIMITED",
					"this virtual key is limited to "+strconv.Itoa(key.RPM)+" requests per minute", "retry after "+strconv.Itoa(secs)+"s")
				return nil, false
			}
		}
	}
	return key, true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"message":"internal gateway error","type":"proxy_error","code":"USAGE_QUERY_FAILED"}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError answers in the gateway envelope of SPEC §2.5 / §9.1.
func writeError(w http.ResponseWriter, status int, code, message, hint string) {
	type body struct {
		Message string `json:"message"`
		Type    string `json:"type"`
		Code    string `json:"code"`
		Hint    string `json:"hint,omitempty"`
	}
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	writeJSON(w, status, map[string]body{"error": {Message: message, Type: "proxy_error", Code: code, Hint: hint}})
}
