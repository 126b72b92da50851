package route

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// execute walks the plan: each target gets its attempts (retries with
// backoff), then the next target is tried (SPEC §7.9). Nothing is retried
// once a byte may have reached the client: a unary answer is returned
// whole, and a stream only after its first frame arrived (prime), so every
// failure before that point can still fail over.
func (r *Router) execute(ctx context.Context, x *pipeline.Exchange, p *plan, targets []*target) (*pipeline.Response, error) {
	var last *canonical.Error
	var lastClass errClass
	tried := 0
	coerced := len(x.Coerced)
	// The second pass only runs when the first skipped every target (their
	// circuits opened, or other requests hold their probes, since
	// planning): the request is then served regardless, as in plan.
	for pass, force := 0, p.forced; pass < 2 && tried == 0; pass, force = pass+1, true {
		for i, t := range targets {
			probe, ok := t.h.acquire(r.now())
			if !ok && !force {
				continue
			}
			tried++
			resp, err, cls, stop := r.attemptTarget(ctx, x, t, p.retry, probe, i == len(targets)-1, coerced)
			if resp != nil {
				return resp, nil
			}
			last, lastClass = err, cls
			if stop {
				return nil, err
			}
		}
	}
	return nil, exhausted(x, last, lastClass, tried)
}

// attemptTarget runs t's attempts. It returns the answer, or the last
// error with its class and whether to stop (true: answer the client with
// it now; false: fail over to the next target).
func (r *Router) attemptTarget(ctx context.Context, x *pipeline.Exchange, t *target, pol *RetryPolicy, probe, lastTarget bool, coerced int) (*pipeline.Response, *canonical.Error, errClass, bool) {
	var refused uint64 // credentials the provider refused during this request
	cred := t.prov.pick(r.now(), r.rand, 0)
	tries := 0
	for {
		// Each attempt starts from the request as the client sent it.
		x.Coerced = x.Coerced[:coerced]
		x.Target = t.pt
		x.Attempts++
		start := r.now()
		resp, err := cred.adapter.Do(ctx, x, t.pt)
		if err == nil && resp.Stream != nil {
			err = r.prime(ctx, resp, t)
		}
		if err == nil {
			now := r.now()
			t.h.success(now, now.Sub(start))
			cred.ok()
			return resp, nil, 0, true
		}
		ce := canonical.As(err)
		cls := classify(ce)
		if ctx.Err() != nil {
			cls = classClient
		}
		now := r.now()
		switch cls {
		case classClient:
			t.h.release(probe)
			return nil, clientGone(err), cls, true
		case classAuth:
			// The provider refused our key, not the client's request: bench
			// it and, if the provider has another, retry with that at once.
			cred.bench(now, r.health.AuthCooldown, "refused (401/403)")
			refused |= cred.bit
			if next := t.prov.pick(now, r.rand, refused); next != nil {
				cred = next
				continue
			}
			t.h.answered()
			return nil, ce, cls, true
		case classTerminal:
			t.h.answered()
			return nil, ce, cls, true
		case classLocal:
			t.h.release(probe)
			return nil, ce, cls, false
		}

		opened := t.h.failure(now, cls == classRateLimit)
		if cls == classRateLimit {
			bench := r.health.RateLimitCooldown
			if ce.RetryAfter > 0 {
				bench = ce.RetryAfter
			}
			cred.bench(now, bench, "rate limited (429)")
		}
		tries++
		// A timeout fails over at once while another target remains: a
		// stalled provider must not hold the request twice.
		if opened || tries >= pol.Attempts || !pol.retries(cls) || (cls == classTimeout && !lastTarget) {
			return nil, ce, cls, false
		}
		next := t.prov.pick(now, r.rand, refused)
		if next == nil {
			return nil, ce, cls, false
		}
		wait := pol.backoff(tries, r.rand)
		if cls == classRateLimit && ce.RetryAfter > 0 && next == cred {
			// Retry-After binds the credential that got it; another
			// credential of the provider may go sooner.
			if ce.RetryAfter > pol.RetryAfterMax {
				return nil, ce, cls, false
			}
			wait = max(wait, ce.RetryAfter)
		}
		if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
			return nil, ce, cls, false // no time to wait: fail over instead
		}
		if err := r.sleep(ctx, wait); err != nil {
			return nil, clientGone(err), classClient, true
		}
		cred = next
	}
}

// exhausted is the answer when no target served (SPEC §7.9). When a single
// target was tried there was nothing to fail over to, and its own error
// (status, and for the same wire family the provider's body) tells the
// client more than a generic one; after a failover the client gets 429
// PROVIDER_RATE_LIMITED when the last failure was a 429 (Retry-After kept),
// else 502 PROVIDER_UNAVAILABLE. A failure to prepare the call is returned
// as is: it is about the request, not the providers.
func exhausted(x *pipeline.Exchange, last *canonical.Error, cls errClass, tried int) *canonical.Error {
	if last == nil {
		return canonical.Errorf(canonical.KindInternal, http.StatusInternalServerError, "ROUTING_NO_MATCH",
			"no target for model %q could be tried", x.Model)
	}
	if tried == 1 || cls == classLocal {
		return last
	}
	msg := fmt.Sprintf("all %d targets for model %q failed (%d attempts); the last said: %s", tried, x.Model, x.Attempts, last.Message)
	if cls == classRateLimit {
		e := &canonical.Error{Kind: canonical.KindRateLimited, Status: http.StatusTooManyRequests, Code: "PROVIDER_RATE_LIMITED",
			Message: msg, RetryAfter: last.RetryAfter, Cause: last}
		return e
	}
	return &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "PROVIDER_UNAVAILABLE",
		Message: msg, Cause: last}
}

func clientGone(err error) *canonical.Error {
	return &canonical.Error{Kind: canonical.KindUpstream, Status: 499, Code: "CLIENT_CLOSED",
		Message: "client closed the request", Cause: err}
}

// prime pulls a stream's first frame before the stream is handed to
// ingress, so a stream that fails before it (a stall after the headers, a
// cut before any frame, an in-band error event) is a failed attempt that can
// still fail over. The frame is replayed by the wrapper.
func (r *Router) prime(ctx context.Context, resp *pipeline.Response, t *target) error {
	f, err := resp.Stream.Next(ctx)
	if err != nil && !errors.Is(err, io.EOF) {
		_ = resp.Stream.Close()
		resp.Stream = nil
		return err
	}
	resp.Stream = &primed{Stream: resp.Stream, first: f, firstErr: err, h: t.h, now: r.now}
	return nil
}

// primed replays the first frame, then relays the upstream stream. A
// failure after the first frame cannot be retried (bytes are out); it is
// recorded against the target's health and returned so ingress writes the
// terminal error frame.
type primed struct {
	pipeline.Stream
	first    pipeline.Frame
	firstErr error
	started  bool
	failed   bool
	h        *health
	now      func() time.Time
}

// Ready: the first frame is held here, so it is ready until replayed.
func (s *primed) Ready() bool { return !s.started || s.Stream.Ready() }

func (s *primed) Next(ctx context.Context) (pipeline.Frame, error) {
	if !s.started {
		s.started = true
		f := s.first
		s.first = pipeline.Frame{}
		return f, s.firstErr
	}
	f, err := s.Stream.Next(ctx)
	if err != nil && !s.failed && !errors.Is(err, io.EOF) && ctx.Err() == nil {
		s.failed = true
		s.h.failure(s.now(), false)
	}
	return f, err
}
