package gateway

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/nexus-gateway/nexus/internal/audit"
	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/cost"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/quota"
	"github.com/nexus-gateway/nexus/internal/usage"
)

// costTable prices the served models: configuration overrides, catalogue
// defaults (config.Model.Pricing already merges both).
func costTable(cfg *config.Config) (*cost.Table, error) {
	entries := make([]cost.Entry, 0, len(cfg.Models))
	for _, m := range cfg.Models {
		entries = append(entries, cost.Entry{Model: m.Name, Aliases: m.Aliases, Provider: m.Provider,
			UpstreamModel: m.UpstreamModel, Price: cost.PriceFromConfig(m.Pricing)})
	}
	t, err := cost.NewTable(entries)
	if err != nil {
		return nil, fmt.Errorf("pricing: %w", err)
	}
	return t, nil
}

// accountant is the ingress Observer: it prices every finished request from
// the usage the upstream reported and hands one audit record to the
// asynchronous writer. It never blocks the request on the database.
type accountant struct {
	prices *cost.Table
	audit  *audit.Writer
	log    *slog.Logger
}

func (a *accountant) Finished(x *pipeline.Exchange, status int, e *canonical.Error, end time.Time) {
	code := ""
	if e != nil {
		code = e.Code
		if code == "" {
			code = string(e.Kind)
		}
	}
	r := audit.FromExchange(x, status, code, end)
	switch {
	case x.Usage == nil && x.Attempts == 0:
		// Refused before any upstream call: a known zero.
		r.CostKnown = true
	case x.Usage == nil:
		// An upstream answered without usage (or failed): unknown, never $0.
		r.CostKnown = false
	default:
		model := x.Target.Model
		b, ok := a.prices.Breakdown(model, *x.Usage)
		if ok && !b.Unpriced {
			r.CostMicros, r.CostKnown = b.Total, true
		} else {
			r.CostUnpriced = true
		}
	}
	if status >= http.StatusBadRequest && x.Usage == nil {
		r.CostKnown = true // failed requests are not charged
	}
	a.audit.Enqueue(r)
}

// keyBudget bridges the quota stage to GET /v1/usage: the key-scope USD
// budget nearest its limit (a rule may limit a day and a month), as the
// X-Nexus-Quota-Used/-Limit headers report it. A failed read (Redis down)
// leaves the quota block out rather than failing the report.
func keyBudget(q *quota.Stage, log *slog.Logger) func(ctx context.Context, key *pipeline.Key) *usage.QuotaInfo {
	return func(ctx context.Context, key *pipeline.Key) *usage.QuotaInfo {
		state, err := q.State(ctx, key)
		if err != nil {
			log.Warn("usage: quota state unavailable", "error", err.Error())
			return nil
		}
		var best *quota.Usage
		var worst float64
		for i := range state {
			u := &state[i]
			if u.Scope != "key" || (u.Axis != "usd_per_day" && u.Axis != "usd_per_month") || u.Limit <= 0 {
				continue
			}
			if f := float64(u.Used) / float64(u.Limit); best == nil || f > worst {
				best, worst = u, f
			}
		}
		if best == nil {
			return nil
		}
		return &usage.QuotaInfo{LimitMicros: best.Limit, UsedMicros: best.Used, EnforcementMode: best.Action}
	}
}
