// Package quota is the quota and budget stage (SPEC §11, docs/quotas.md):
// per key and per label group, requests and tokens per minute and USD per
// UTC day and month, each with a soft warning threshold and a hard limit
// that rejects (429 QUOTA_EXCEEDED) or downgrades to a cheaper model.
//
// Enforcement reserves a request's estimated cost and tokens before it is
// dispatched and settles them with the real usage afterwards (when a
// streamed answer ends or is closed; with Redis, asynchronously, batched by a
// background flusher), so concurrent requests overspend by
// at most their under-estimates. Counters live in this process by default
// and in Redis when configured, where one Lua script checks and increments
// all of a request's counters atomically, so replicas share one budget; or,
// with redis_mode: lease, each replica admits against slices of each budget
// it leases from Redis ahead of need (lease.go).
package quota

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// Response headers (SPEC §8.1).
const (
	HeaderUsed          = "X-Nexus-Quota-Used"
	HeaderLimit         = "X-Nexus-Quota-Limit"
	HeaderWarning       = "X-Nexus-Quota-Warning"
	HeaderDowngrade     = "X-Nexus-Quota-Downgrade"
	HeaderOriginalModel = "X-Nexus-Quota-Original-Model"
)

// Error codes of the answers the stage gives itself.
const (
	CodeExceeded    = "QUOTA_EXCEEDED"       // 429: a hard limit
	CodeUnpriced    = "QUOTA_MODEL_UNPRICED" // 503: no price while a USD limit applies
	CodeUnavailable = "QUOTA_UNAVAILABLE"    // 503: Redis failed and on_redis_error is fail-closed
)

// Pricer prices tokens in integer micro-dollars. priced is false when the
// model has no price (never treated as free).
type Pricer interface {
	// Estimate prices in input and out output tokens of model, no cache discount.
	Estimate(model string, in, out int) (micros int64, priced bool)
	// Cost prices the usage an upstream reported for model.
	Cost(model string, u canonical.Usage) (micros int64, priced bool)
}

// downCooldown is how long the stage stops calling Redis after a failure:
// while Redis is down, requests get the on_redis_error policy at once
// instead of each waiting out redis_timeout. The first request after the
// cooldown probes again.
const downCooldown = 250 * time.Millisecond

// logEvery rate-limits the log line about Redis failures.
const logEvery = 10 * time.Second

// Stage enforces the configured rules. It is safe for concurrent use.
type Stage struct {
	rules      []*rule
	store      store
	remote     bool         // store is Redis: calls can fail and time out
	flusher    *flusher     // settles Redis reservations off the request path; nil in process
	group      *groupCommit // coalesces concurrent Redis reservations; nil in process and in lease mode
	lease      *leaser      // redis_mode: lease; nil otherwise
	pricer     Pricer
	log        *slog.Logger
	now        func() time.Time
	timeout    time.Duration
	failClosed bool
	defaultOut int

	downUntil  atomic.Int64 // unix nanos; Redis is skipped until then
	lastLog    atomic.Int64 // unix nanos of the last Redis-failure log line
	suppressed atomic.Int64 // failures not logged since
	closeOnce  sync.Once
	stats      counters
}

// counters are the Stats fields, updated atomically.
type counters struct {
	checked, rejected, downgraded, warned, unpriced atomic.Uint64
	storeErrors, failOpen, failClosed, unsettled    atomic.Uint64
	batches, settledSync                            atomic.Uint64
}

// Stats counts the stage's decisions since New.
type Stats struct {
	Checked    uint64 // requests at least one rule applied to
	Rejected   uint64 // refused with 429 QUOTA_EXCEEDED
	Downgraded uint64 // served by a rule's downgrade_to model
	Warned     uint64 // admitted past a soft threshold
	Unpriced   uint64 // refused with 503 QUOTA_MODEL_UNPRICED
	// StoreErrors counts reservations that failed, exceeded redis_timeout
	// or were skipped during the cooldown after a failure (a failed call
	// shared by several reservations counts once for each), and settlement
	// writes that failed.
	StoreErrors uint64
	FailOpen    uint64 // requests admitted unchecked because Redis could not answer
	FailClosed  uint64 // requests refused with 503 QUOTA_UNAVAILABLE for the same reason
	// Unsettled counts settlements that did not reach Redis (after the
	// flusher's retries, or on the request path when its queue was full):
	// the request's reservation stays charged (or, when admitted
	// fail-open, it is not charged).
	Unsettled uint64
	// SettleBatches counts the script calls that applied queued settlements
	// (many settlements each); SettledSync the settlements made on the
	// request path because the queue was full or the stage closed.
	SettleBatches uint64
	SettledSync   uint64
	// ReserveCalls counts the reservation script calls sent to Redis; it
	// is below the number of reservations when concurrent ones shared a
	// call (group commit).
	ReserveCalls uint64
	// LeaseCalls counts the lease script calls (redis_mode: lease), far
	// below the requests checked while leases cover them.
	LeaseCalls uint64
}

// New builds the stage. pricer is required when a rule has a USD limit;
// logger and now may be nil. With Redis configured it connects lazily.
func New(cfg config.Quotas, pricer Pricer, logger *slog.Logger, now func() time.Time) (*Stage, error) {
	rules, err := compileRules(cfg.Rules)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if now == nil {
		now = time.Now
	}
	s := &Stage{rules: rules, pricer: pricer, log: logger, now: now,
		timeout:    cfg.RedisTimeout,
		failClosed: cfg.OnRedisError == config.QuotaFailClosed,
		defaultOut: cfg.DefaultOutputTokens,
	}
	if s.timeout <= 0 {
		s.timeout = config.DefaultQuotaRedisTimeout
	}
	if s.defaultOut <= 0 {
		s.defaultOut = config.DefaultQuotaDefaultOutputTokens
	}
	if pricer == nil {
		for _, r := range rules {
			if r.usdLimited {
				return nil, fmt.Errorf("quota: rule %q has a USD limit but no pricer was given", r.name)
			}
		}
	}
	if cfg.Redis == "" {
		if cfg.RedisMode == config.QuotaModeLease {
			return nil, errors.New("quota: redis_mode lease needs a redis URL")
		}
		s.store = newMemStore()
		return s, nil
	}
	fraction, err := leaseFraction(cfg)
	if err != nil {
		return nil, err
	}
	rs, err := newRedisStore(cfg.Redis, s.timeout)
	if err != nil {
		return nil, err
	}
	s.store, s.remote = rs, true
	if s.flusher, err = newFlusher(s, rs); err != nil {
		_ = rs.close()
		return nil, err
	}
	if cfg.RedisMode == config.QuotaModeLease {
		s.lease = newLeaser(s, rs, fraction)
		return s, nil
	}
	s.group = &groupCommit{send: rs.sendReserve, wireMax: reserveWire, batchMax: reserveBatchMax,
		skip: s.skipRedis, orphaned: s.release}
	return s, nil
}

// Enabled reports whether any rule is configured (without one the stage
// passes every request straight through).
func (s *Stage) Enabled() bool { return len(s.rules) > 0 }

// Close applies the settlements still queued (a last attempt at a failed
// batch and one at the rest, each within redis_timeout; what fails is
// counted in Stats().Unsettled) and releases
// the Redis connections. Requests settling after Close do so synchronously
// and fail (counted the same way). Close is idempotent.
func (s *Stage) Close() error {
	if s.flusher == nil {
		return s.store.close()
	}
	var err error
	s.closeOnce.Do(func() {
		if s.lease != nil { // its unused lease goes through the flusher's last drain
			s.lease.close()
		}
		s.flusher.close()
		err = s.store.close()
	})
	return err
}

// Flush applies the settlements queued so far to Redis now and waits for
// the outcome (a no-op with in-process counters). In lease mode it first
// gives every unused lease back. The stage flushes on its own within a few
// milliseconds; Flush is for readers that must see this replica's
// settlements, such as tests and a graceful shutdown.
func (s *Stage) Flush(ctx context.Context) error {
	if s.flusher == nil {
		return nil
	}
	if s.lease != nil {
		s.lease.sweep(true)
	}
	return s.flusher.flush(ctx)
}

// Stats returns the decision counters.
func (s *Stage) Stats() Stats {
	c := &s.stats
	return Stats{
		Checked: c.checked.Load(), Rejected: c.rejected.Load(), Downgraded: c.downgraded.Load(),
		Warned: c.warned.Load(), Unpriced: c.unpriced.Load(), StoreErrors: c.storeErrors.Load(),
		FailOpen: c.failOpen.Load(), FailClosed: c.failClosed.Load(), Unsettled: c.unsettled.Load(),
		SettleBatches: c.batches.Load(), SettledSync: c.settledSync.Load(),
		ReserveCalls: s.reserveCalls(), LeaseCalls: s.leaseCalls(),
	}
}

// Serve implements pipeline.Stage: admit (reserve), call next, settle.
func (s *Stage) Serve(ctx context.Context, x *pipeline.Exchange, next pipeline.Handler) (*pipeline.Response, error) {
	if len(s.rules) == 0 || x.Key == nil {
		return next.Serve(ctx, x)
	}
	r := s.plan(x)
	if r == nil {
		return next.Serve(ctx, x)
	}
	s.stats.checked.Add(1)
	if err := s.admit(ctx, x, r); err != nil {
		return nil, err
	}
	return s.forward(ctx, x, r, next)
}

// plan lists the counters the request touches, ordered by (rule, axis) —
// the lock order memStore relies on — or returns nil when no rule applies.
func (s *Stage) plan(x *pipeline.Exchange) *reservation {
	var r *reservation
	now := s.now()
	for _, ru := range s.rules {
		subject, ok := ru.subject(x.Key)
		if !ok {
			continue
		}
		if r == nil {
			r = &reservation{stage: s, usedIdx: -1}
			r.counters = r.buf[:0]
		}
		for a := axis(0); a < numAxes; a++ {
			if ru.limits[a] > 0 {
				r.counters = append(r.counters, counter{rule: ru, axis: a, subject: subject, window: a.window(now), limit: ru.limits[a]})
			}
		}
	}
	if r == nil {
		return nil
	}
	// The estimate needs no decode: bytes/4 for the input (SPEC's ÷3 is
	// tighter for JSON-heavy bodies, ÷4 is closer for prose; the error band
	// is the documented overspend bound), max_tokens for the output.
	r.in = max(len(x.Body)/4, 1)
	if x.Endpoint != pipeline.EndpointEmbeddings {
		r.out = s.defaultOut
		if x.Fast != nil {
			if n := x.Fast.MaxTokens(); n > 0 {
				r.out = n
			}
		}
	}
	return r
}

// admit reserves the request's estimate, downgrading or refusing it.
func (s *Stage) admit(ctx context.Context, x *pipeline.Exchange, r *reservation) error {
	if err := r.price(x.Model); err != nil {
		s.stats.unpriced.Add(1)
		return err
	}
	failed, err := s.reserve(ctx, r)
	if err != nil {
		return s.storeDown(ctx, x, r)
	}
	if failed >= 0 {
		c := &r.counters[failed]
		to := c.rule.downgradeTo
		if to == "" || to == x.Model {
			return s.reject(x, r, c, false)
		}
		// SPEC §11.6: the cheaper model must fit the budget too (and be
		// priced when a USD limit applies), else nothing is affordable.
		if r.price(to) != nil {
			return s.reject(x, r, c, true)
		}
		failed, err = s.reserve(ctx, r)
		if err == nil && failed >= 0 {
			return s.reject(x, r, &r.counters[failed], true)
		}
		// Downgrade even when Redis fails now and the policy admits: the
		// first answer already said the requested model does not fit.
		x.SetHeader(HeaderDowngrade, "true")
		x.SetHeader(HeaderOriginalModel, x.Model)
		x.Model = to
		s.stats.downgraded.Add(1)
		if err != nil {
			return s.storeDown(ctx, x, r)
		}
	}
	s.setHeaders(x, r)
	return nil
}

func (s *Stage) leaseCalls() uint64 {
	if s.lease == nil {
		return 0
	}
	return s.lease.calls.Load()
}

func (s *Stage) reserveCalls() uint64 {
	if s.group == nil {
		return 0
	}
	return s.group.calls.Load()
}

// reserve runs the store's reserve within redis_timeout; with Redis, in a
// group commit with the replica's concurrent reservations.
func (s *Stage) reserve(ctx context.Context, r *reservation) (int, error) {
	if !s.remote {
		return s.store.reserve(ctx, r.counters)
	}
	if err := ctx.Err(); err != nil { // the client is gone: ask Redis nothing
		return -1, err
	}
	if s.lease != nil { // counts its own store errors
		return s.lease.reserve(ctx, r.counters)
	}
	if s.isDown() {
		s.stats.storeErrors.Add(1)
		return -1, errDown
	}
	rctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	failed, err := s.group.reserve(rctx, r.counters)
	switch {
	case ctx.Err() != nil:
		// A client that went away says nothing about Redis. If its batch
		// admitted it anyway, nothing will serve or settle it: give it back.
		if err == nil && failed < 0 {
			s.release(r.counters)
		}
		return -1, ctx.Err()
	case errors.Is(err, errDown): // a batch failed just before this one: the cooldown is on
		s.stats.storeErrors.Add(1)
	case err != nil:
		s.markDown(err)
	}
	return failed, err
}

// skipRedis is the group commit's check before it sends a batch: after a
// failure, the requests queued behind it get the policy at once.
func (s *Stage) skipRedis() error {
	if s.isDown() {
		return errDown
	}
	return nil
}

// release gives back a whole reservation that will not be served or
// settled (its request stopped waiting while Redis admitted it): every
// amount, the request included, since the request was not served against
// it. It goes through the settlement queue like any settlement.
func (s *Stage) release(cs []counter) {
	out := make([]counter, 0, len(cs))
	for i := range cs {
		// Field by field: the request that gave up may be writing used and
		// delta of its own copy right now (a fail-open admission settling).
		c := &cs[i]
		out = append(out, counter{rule: c.rule, axis: c.axis, subject: c.subject,
			window: c.window, limit: c.limit, amount: c.amount, delta: -c.amount})
	}
	s.push(out)
}

// push applies the deltas of cs (a release, or lease mode's returns and
// charges beyond the lease) through the settlement queue, or on the calling
// goroutine within redis_timeout when the queue is full or closed.
func (s *Stage) push(cs []counter) {
	r := &reservation{stage: s, usedIdx: -1, counters: cs}
	r.settled.Store(true)
	if s.flusher.enqueue(r) {
		return
	}
	s.stats.settledSync.Add(1)
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if err := s.store.adjust(ctx, r.counters); err != nil {
		s.stats.unsettled.Add(1)
		s.markDown(err)
	}
}

var errDown = fmt.Errorf("quota: redis marked down for %v after a failure", downCooldown)

func (s *Stage) isDown() bool { return s.now().UnixNano() < s.downUntil.Load() }

// markDown counts and logs a Redis failure (at most one line per logEvery)
// and starts the cooldown.
func (s *Stage) markDown(err error) {
	s.stats.storeErrors.Add(1)
	now := s.now().UnixNano()
	s.downUntil.Store(now + int64(downCooldown))
	last := s.lastLog.Load()
	if now-last < int64(logEvery) || !s.lastLog.CompareAndSwap(last, now) {
		s.suppressed.Add(1)
		return
	}
	policy := config.QuotaFailOpen
	if s.failClosed {
		policy = config.QuotaFailClosed
	}
	s.log.Warn("quota: redis unavailable; applying on_redis_error", "policy", policy,
		"error", err.Error(), "suppressed", s.suppressed.Swap(0))
}

// storeDown applies on_redis_error to a request Redis could not check.
func (s *Stage) storeDown(ctx context.Context, x *pipeline.Exchange, r *reservation) error {
	if err := ctx.Err(); err != nil {
		return &canonical.Error{Kind: canonical.KindUpstream, Status: 499, Code: "CLIENT_CLOSED",
			Message: "client closed the request", Cause: err}
	}
	if s.failClosed {
		s.stats.failClosed.Add(1)
		return &canonical.Error{Kind: canonical.KindUpstream, Status: 503, Code: CodeUnavailable,
			Message:    "quota enforcement is unavailable, so this gateway refuses requests until it is back",
			Hint:       "retry shortly; the gateway operator is alerted by its logs and metrics",
			RetryAfter: time.Second}
	}
	s.stats.failOpen.Add(1)
	r.failOpen = true
	// Say so rather than guess silently: the answer carries no quota state.
	x.SetHeader(HeaderWarning, "quota backend unavailable: request admitted without a quota check")
	return nil
}

// forward calls next and settles the reservation when the answer is known:
// now for a unary answer or an error, at the end of a stream otherwise.
func (s *Stage) forward(ctx context.Context, x *pipeline.Exchange, r *reservation, next pipeline.Handler) (*pipeline.Response, error) {
	handed := false
	defer func() {
		if !handed { // next panicked: free the reservation before the panic travels on
			r.settle(ctx, false, nil, "")
		}
	}()
	resp, err := next.Serve(ctx, x)
	handed = true
	if err != nil || resp == nil {
		r.settle(ctx, false, x.Usage, x.Target.Model)
		return resp, err
	}
	if resp.Stream != nil {
		resp.Stream = &settlingStream{Stream: resp.Stream, r: r, ctx: ctx, model: x.Target.Model}
		return resp, nil
	}
	u := resp.Usage
	if u == nil {
		u = x.Usage
	}
	r.settle(ctx, true, u, x.Target.Model)
	if r.usedIdx >= 0 && !r.failOpen {
		s.setUsed(x, &r.counters[r.usedIdx]) // now with the real cost
	}
	return resp, nil
}
