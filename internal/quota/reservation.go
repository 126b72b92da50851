package quota

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// reservation is one admitted request's hold on its counters, released or
// settled exactly once.
type reservation struct {
	stage    *Stage
	counters []counter
	buf      [8]counter // backing array for the usual few counters: one allocation per request

	in, out  int    // estimated tokens
	model    string // model the amounts were priced for
	failOpen bool   // admitted without a reservation (Redis down, fail-open)
	usedIdx  int    // counter reported in X-Nexus-Quota-Used, -1 = none
	settled  atomic.Bool
}

// price sets every counter's amount for model: one request, the estimated
// tokens, and the estimated cost on USD axes. A model without a price under
// a USD limit is refused unless the rule allows unpriced models, which then
// reserve nothing on that axis.
func (r *reservation) price(model string) *canonical.Error {
	var micros int64
	priced := false
	if r.stage.pricer != nil {
		micros, priced = r.stage.pricer.Estimate(model, r.in, r.out)
	}
	for i := range r.counters {
		c := &r.counters[i]
		switch {
		case c.axis == axisRPM:
			c.amount = 1
		case c.axis == axisTPM:
			c.amount = int64(r.in + r.out)
		case priced:
			c.amount = micros
		case c.rule.allowUnpriced:
			c.amount = 0
		default:
			return &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusServiceUnavailable, Code: CodeUnpriced,
				Message: fmt.Sprintf("the model %q has no price, and the USD budget of quota rule %q applies to this request", model, c.rule.name),
				Hint:    "ask the gateway operator to price the model (models[].pricing) or to set allow_unpriced on the rule"}
		}
	}
	r.model = model
	return nil
}

// settle replaces the reservation with what the request really used. ok
// says the answer completed. With usage known the tokens and its cost
// (priced at the routed model) are charged; a completed answer without usage
// keeps its estimate (never free); a failed or cancelled one without usage
// is released. Requests always count on the RPM axis. Idempotent.
func (r *reservation) settle(ctx context.Context, ok bool, u *canonical.Usage, model string) {
	if !r.settled.CompareAndSwap(false, true) {
		return
	}
	s := r.stage
	var cost int64
	costKnown := false
	if u != nil && s.pricer != nil {
		if model == "" {
			model = r.model
		}
		cost, costKnown = s.pricer.Cost(model, *u)
	}
	changed := false
	for i := range r.counters {
		c := &r.counters[i]
		var final int64
		switch {
		case c.axis == axisRPM:
			final = 1
		case u == nil && ok:
			final = c.amount
		case u == nil:
			final = 0
		case c.axis == axisTPM:
			final = int64(u.InputTokens + u.OutputTokens)
		case costKnown:
			final = cost
		default: // the routed model has no price: keep the estimate
			final = c.amount
		}
		reserved := c.amount
		if r.failOpen {
			reserved = 0
		}
		c.delta = final - reserved
		changed = changed || c.delta != 0
	}
	if !changed {
		return
	}
	if !s.remote {
		_ = s.store.adjust(ctx, r.counters) // in-process: cannot fail
		return
	}
	if s.lease != nil { // charged against the lease; Redis only sees what goes beyond it
		s.lease.settle(r)
		return
	}
	// Off the request path: the flusher applies the deltas within a few
	// milliseconds, merged with other settlements. Until then the counter
	// still holds the reservation. The headers report this request's own
	// adjustment of the value it was admitted at.
	for i := range r.counters {
		r.counters[i].used += r.counters[i].delta
	}
	if s.flusher.enqueue(r) {
		return
	}
	for i := range r.counters { // the synchronous adjust below sets the real values
		r.counters[i].used -= r.counters[i].delta
	}
	s.stats.settledSync.Add(1)
	if s.isDown() {
		s.stats.unsettled.Add(1)
		return
	}
	// The client may be gone (a cancelled stream); settlement still runs,
	// within redis_timeout.
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
	defer cancel()
	if err := s.store.adjust(sctx, r.counters); err != nil {
		s.stats.unsettled.Add(1)
		s.markDown(err)
	}
}

// settlingStream settles the reservation when the stream ends (io.EOF),
// fails, or is closed before its end (the client went away).
type settlingStream struct {
	pipeline.Stream
	r     *reservation
	ctx   context.Context
	model string
}

func (s *settlingStream) Next(ctx context.Context) (pipeline.Frame, error) {
	f, err := s.Stream.Next(ctx)
	if err != nil {
		s.r.settle(ctx, errors.Is(err, io.EOF), s.Stream.Usage(), s.model)
	}
	return f, err
}

func (s *settlingStream) Close() error {
	err := s.Stream.Close()
	s.r.settle(s.ctx, false, s.Stream.Usage(), s.model)
	return err
}

// reject answers 429 QUOTA_EXCEEDED for counter c, with Retry-After at the
// reset of c's window.
func (s *Stage) reject(x *pipeline.Exchange, r *reservation, c *counter, downgradeTried bool) error {
	s.stats.rejected.Add(1)
	s.setUsedHeaders(x, r)
	msg := fmt.Sprintf("%s quota exceeded: %s (%s, rule %s)", scopeWord(c.rule), c.rule.describe(c.subject), amounts(c, c.used), c.rule.name)
	if c.axis != axisRPM && c.amount > 0 {
		msg += "; this request needs about " + formatAmount(c.axis, c.amount)
	}
	if downgradeTried {
		msg = "no affordable model available: " + msg
	}
	wait := c.axis.end(c.window).Sub(s.now())
	if wait < time.Second {
		wait = time.Second
	}
	return &canonical.Error{Kind: canonical.KindRateLimited, Status: http.StatusTooManyRequests, Code: CodeExceeded,
		Message: msg, Hint: "check GET /v1/usage, wait for the reset, or ask the gateway operator for more budget",
		RetryAfter: wait}
}

// setHeaders reports the admitted request's quota state: the soft warning
// nearest its limit, and the key-level USD state.
func (s *Stage) setHeaders(x *pipeline.Exchange, r *reservation) {
	warn := -1
	var worst float64
	for i := range r.counters {
		c := &r.counters[i]
		if c.rule.soft == 0 || c.used*100 < c.rule.soft*c.limit {
			continue
		}
		if f := float64(c.used) / float64(c.limit); warn < 0 || f > worst {
			warn, worst = i, f
		}
	}
	if warn >= 0 {
		c := &r.counters[warn]
		s.stats.warned.Add(1)
		x.SetHeader(HeaderWarning, fmt.Sprintf("%s quota at %d%% of its %s: %s (%s, rule %s)", scopeWord(c.rule),
			c.used*100/c.limit, c.axis, c.rule.describe(c.subject), amounts(c, c.used), c.rule.name))
	}
	s.setUsedHeaders(x, r)
}

// setUsedHeaders picks the key-scope USD counter closest to its limit (a
// rule may limit a day and a month) and reports it.
func (s *Stage) setUsedHeaders(x *pipeline.Exchange, r *reservation) {
	r.usedIdx = -1
	var worst float64
	for i := range r.counters {
		c := &r.counters[i]
		if c.rule.label != "" || !c.axis.usd() {
			continue
		}
		if f := float64(c.used) / float64(c.limit); r.usedIdx < 0 || f > worst {
			r.usedIdx, worst = i, f
		}
	}
	if r.usedIdx >= 0 {
		s.setUsed(x, &r.counters[r.usedIdx])
	}
}

func (s *Stage) setUsed(x *pipeline.Exchange, c *counter) {
	x.SetHeader(HeaderUsed, usd(c.used))
	x.SetHeader(HeaderLimit, usd(c.limit))
}

func scopeWord(r *rule) string {
	if r.label == "" {
		return "key"
	}
	return "label"
}

// amounts renders "used / limit unit" for a message.
func amounts(c *counter, used int64) string {
	switch c.axis {
	case axisRPM:
		return strconv.FormatInt(used, 10) + " / " + strconv.FormatInt(c.limit, 10) + " requests per minute"
	case axisTPM:
		return strconv.FormatInt(used, 10) + " / " + strconv.FormatInt(c.limit, 10) + " tokens per minute"
	case axisUSDDay:
		return usd(used) + " / " + usd(c.limit) + " USD per day"
	default:
		return usd(used) + " / " + usd(c.limit) + " USD per month"
	}
}

func formatAmount(a axis, n int64) string {
	switch a {
	case axisTPM:
		return strconv.FormatInt(n, 10) + " tokens"
	case axisRPM:
		return strconv.FormatInt(n, 10) + " requests"
	}
	return strconv.FormatFloat(float64(n)/1e6, 'f', 4, 64) + " USD"
}

// usd renders micro-dollars as USD with two decimals (SPEC §8.1 %.2f).
func usd(micros int64) string { return strconv.FormatFloat(float64(micros)/1e6, 'f', 2, 64) }
