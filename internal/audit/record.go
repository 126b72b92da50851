// Package audit writes one record per proxied request to the store,
// asynchronously and in batches, so the request path never waits on the
// database (issue 6 item 4, SPEC §13.3). See docs/audit.md for what happens
// on overflow, on a database outage and on a crash.
package audit

import (
	"encoding/json"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/store"
)

// Record is what the gateway knows about a request once it has ended. It is
// also the line format of the on-disk spool (one JSON object per line), so
// its JSON names are stable: add fields, never rename them.
//
// The writer owns a Record once enqueued: slices and maps in it must not be
// modified afterwards (sharing read-only data such as a key's Labels map is
// fine). Captured bodies must be copies, not pooled buffers.
type Record struct {
	ID              string    `json:"id"`
	ClientRequestID string    `json:"client_request_id,omitempty"`
	Time            time.Time `json:"time"` // request start; Enqueue fills it when zero

	KeyID     string            `json:"key_id,omitempty"`
	KeyName   string            `json:"key_name,omitempty"`
	KeyPrefix string            `json:"key_prefix,omitempty"`
	Labels    map[string]string `json:"labels,omitempty"`

	Ingress  string `json:"ingress,omitempty"`  // wire shape of the route called
	Endpoint string `json:"endpoint,omitempty"` // chat, embeddings, …
	Stream   bool   `json:"stream,omitempty"`

	RequestedModel string `json:"requested_model,omitempty"`
	RoutedModel    string `json:"routed_model,omitempty"`
	Provider       string `json:"provider,omitempty"`
	UpstreamModel  string `json:"upstream_model,omitempty"`
	Attempts       int    `json:"attempts,omitempty"`

	Status    int           `json:"status"`
	ErrorCode string        `json:"error_code,omitempty"`
	Latency   time.Duration `json:"latency_ns,omitempty"`
	// TTFT is the time to the first upstream byte or token; 0 = none.
	TTFT time.Duration `json:"ttft_ns,omitempty"`

	Usage canonical.Usage `json:"usage"`

	// CostMicros is the request's cost in micro-dollars, meaningful only
	// when CostKnown. Leave CostKnown false when the model has no price
	// (and set CostUnpriced) or when no usage was reported: the row then
	// says "unknown", never $0. A request refused before any upstream call
	// costs a known 0.
	CostMicros   int64 `json:"cost_micros,omitempty"`
	CostKnown    bool  `json:"cost_known,omitempty"`
	CostUnpriced bool  `json:"cost_unpriced,omitempty"`

	Cache string          `json:"cache,omitempty"` // response cache outcome: hit, miss, skipped, or ""
	Hooks json.RawMessage `json:"hooks,omitempty"` // hook annotations, any JSON value

	// Captured bodies; kept only when Options.CaptureBodies is on, cut at
	// Options.MaxBodyBytes (BodiesTruncated then set).
	RequestBody     []byte `json:"request_body,omitempty"`
	ResponseBody    []byte `json:"response_body,omitempty"`
	BodiesTruncated bool   `json:"bodies_truncated,omitempty"`
}

// OriginalModelHeader is the response header the quota stage sets when it
// downgraded the request; its value is the model the caller asked for.
const OriginalModelHeader = "X-Nexus-Quota-Original-Model"

// FromExchange fills a Record with what an Exchange knows at the end of a
// request: identity, key, shape, models, attempts, timing and usage. The
// caller adds the outcome it decided (status and error code are passed
// here), the cost, the cache outcome, hook annotations and, when capture is
// on, copies of the bodies. end is when the answer was finished.
func FromExchange(x *pipeline.Exchange, status int, errorCode string, end time.Time) Record {
	r := Record{
		ID:             x.ID,
		Time:           x.Start,
		Ingress:        string(x.Ingress),
		Endpoint:       string(x.Endpoint),
		Stream:         x.Stream,
		RequestedModel: x.Model,
		RoutedModel:    x.Target.Model,
		Provider:       x.Target.Provider,
		UpstreamModel:  x.Target.UpstreamModel,
		Attempts:       x.Attempts,
		Status:         status,
		ErrorCode:      errorCode,
		TTFT:           x.UpstreamTTFB,
	}
	if !x.Start.IsZero() && end.After(x.Start) {
		r.Latency = end.Sub(x.Start)
	}
	if x.Header != nil {
		r.ClientRequestID = x.Header.Get("X-Request-Id")
	}
	if k := x.Key; k != nil {
		r.KeyID, r.KeyName, r.KeyPrefix, r.Labels = k.ID, k.Name, k.Prefix, k.Labels
	}
	// A quota downgrade rewrites x.Model; the caller asked for the original.
	if v := x.ResponseHeader.Get(OriginalModelHeader); v != "" {
		r.RequestedModel = v
	}
	if x.Usage != nil {
		r.Usage = *x.Usage
	}
	return r
}

// ceilMS rounds a duration up to whole milliseconds, so any request that ran
// at all reports at least 1 ms (SPEC §13.1).
func ceilMS(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + time.Millisecond - 1) / time.Millisecond)
}

// row converts a Record to the store's row.
func (r *Record) row() store.AuditRecord {
	return store.AuditRecord{
		ID:               r.ID,
		ClientRequestID:  r.ClientRequestID,
		Time:             r.Time,
		KeyID:            r.KeyID,
		KeyName:          r.KeyName,
		KeyPrefix:        r.KeyPrefix,
		Labels:           r.Labels,
		Ingress:          r.Ingress,
		Endpoint:         r.Endpoint,
		Stream:           r.Stream,
		RequestedModel:   r.RequestedModel,
		RoutedModel:      r.RoutedModel,
		Provider:         r.Provider,
		UpstreamModel:    r.UpstreamModel,
		Attempts:         r.Attempts,
		Status:           r.Status,
		ErrorCode:        r.ErrorCode,
		LatencyMS:        ceilMS(r.Latency),
		TTFTMS:           ceilMS(r.TTFT),
		InputTokens:      int64(r.Usage.InputTokens),
		OutputTokens:     int64(r.Usage.OutputTokens),
		CacheReadTokens:  int64(r.Usage.CacheReadTokens),
		CacheWriteTokens: int64(r.Usage.CacheWriteTokens),
		ReasoningTokens:  int64(r.Usage.ReasoningTokens),
		CostMicros:       r.CostMicros,
		CostKnown:        r.CostKnown,
		CostUnpriced:     r.CostUnpriced,
		CacheStatus:      r.Cache,
		Hooks:            r.Hooks,
		RequestBody:      r.RequestBody,
		ResponseBody:     r.ResponseBody,
		BodiesTruncated:  r.BodiesTruncated,
	}
}
