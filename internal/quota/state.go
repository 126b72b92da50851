package quota

import (
	"context"
	"time"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Usage is the state of one budget that applies to a key, for reporting
// (GET /v1/usage, the CLI).
type Usage struct {
	Rule    string    // rule name
	Scope   string    // "key" or "label:NAME"
	Subject string    // key id, or the label value shared by the group
	Axis    string    // rpm | tpm | usd_per_day | usd_per_month
	Used    int64     // requests, tokens or micro-dollars in the current window (reservations included)
	Limit   int64     // same unit
	Resets  time.Time // end of the current window (UTC)
	Action  string    // reject | downgrade
}

// State reads the current window of every budget that applies to key, in
// rule order. With Redis it is one MGET within redis_timeout.
func (s *Stage) State(ctx context.Context, key *pipeline.Key) ([]Usage, error) {
	if key == nil || len(s.rules) == 0 {
		return nil, nil
	}
	now := s.now()
	var cs []counter
	for _, ru := range s.rules {
		subject, ok := ru.subject(key)
		if !ok {
			continue
		}
		for a := axis(0); a < numAxes; a++ {
			if ru.limits[a] > 0 {
				cs = append(cs, counter{rule: ru, axis: a, subject: subject, window: a.window(now), limit: ru.limits[a]})
			}
		}
	}
	if len(cs) == 0 {
		return nil, nil
	}
	if s.remote {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	if err := s.store.read(ctx, cs); err != nil {
		return nil, err
	}
	if s.lease != nil {
		s.lease.adjustRead(cs)
	}
	out := make([]Usage, len(cs))
	for i := range cs {
		c := &cs[i]
		action := config.QuotaActionReject
		if c.rule.downgradeTo != "" {
			action = config.QuotaActionDowngrade
		}
		out[i] = Usage{Rule: c.rule.name, Scope: c.rule.scope, Subject: c.subject, Axis: c.axis.String(),
			Used: c.used, Limit: c.limit, Resets: c.axis.end(c.window), Action: action}
	}
	return out, nil
}
