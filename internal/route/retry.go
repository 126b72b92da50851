package route

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// RetryClass names a kind of failed attempt a policy may retry (SPEC §7.8).
type RetryClass string

const (
	RetryNetwork   RetryClass = "network" // connection refused, reset, DNS, TLS
	RetryTimeout   RetryClass = "timeout" // connect, first-byte, idle or total timeout
	RetryRateLimit RetryClass = "429"     // upstream 429 (and Anthropic's overloaded)
	Retry5xx       RetryClass = "5xx"     // upstream 5xx (incl. 529), a stream cut before its first frame
)

// RetryClasses lists every class, for validation messages.
func RetryClasses() []RetryClass {
	return []RetryClass{RetryNetwork, RetryTimeout, RetryRateLimit, Retry5xx}
}

// RetryPolicy says how often one target is tried and how long to wait in
// between. After a target's attempts are spent the next target is tried.
type RetryPolicy struct {
	Attempts int // per target, clamped to 1–5; 0 = 2
	// On lists the classes retried on the same target; nil = all four,
	// empty = none (every failure fails over at once).
	On            []RetryClass
	Backoff       time.Duration // before the first retry; 0 = 250ms; doubles per retry
	BackoffMax    time.Duration // 0 = 5s
	Jitter        float64       // ± fraction of each backoff, 0–1 (0 = none)
	RetryAfterMax time.Duration // longest upstream Retry-After honoured; 0 = 10s
}

// DefaultRetry is the policy of SPEC §7.7 with a Retry-After cap.
func DefaultRetry() RetryPolicy {
	return RetryPolicy{Attempts: 2, Backoff: 250 * time.Millisecond, BackoffMax: 5 * time.Second,
		Jitter: 0.2, RetryAfterMax: 10 * time.Second}
}

// withDefaults fills zero fields; a wholly zero policy is DefaultRetry.
func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.Attempts == 0 && p.On == nil && p.Backoff == 0 && p.BackoffMax == 0 && p.Jitter == 0 && p.RetryAfterMax == 0 {
		return DefaultRetry()
	}
	d := DefaultRetry()
	if p.Attempts <= 0 {
		p.Attempts = d.Attempts
	}
	p.Attempts = min(p.Attempts, 5)
	if p.Backoff <= 0 {
		p.Backoff = d.Backoff
	}
	if p.BackoffMax <= 0 {
		p.BackoffMax = d.BackoffMax
	}
	p.BackoffMax = max(p.BackoffMax, p.Backoff)
	p.Jitter = min(max(p.Jitter, 0), 1)
	if p.RetryAfterMax <= 0 {
		p.RetryAfterMax = d.RetryAfterMax
	}
	return p
}

// retries reports whether class c is retried on the same target.
func (p *RetryPolicy) retries(c errClass) bool {
	rc := c.retryClass()
	if rc == "" {
		return false
	}
	if p.On == nil {
		return true
	}
	for _, v := range p.On {
		if v == rc {
			return true
		}
	}
	return false
}

// backoff is the wait before retry number n (1-based): Backoff·2^(n-1),
// capped, with uniform ±Jitter.
func (p *RetryPolicy) backoff(n int, rnd func() float64) time.Duration {
	d := p.Backoff
	for i := 1; i < n && d < p.BackoffMax; i++ {
		d *= 2
	}
	d = min(d, p.BackoffMax)
	if p.Jitter > 0 {
		d = time.Duration(float64(d) * (1 + p.Jitter*(2*rnd()-1)))
	}
	return d
}

// String renders the policy for Explain.
func (p RetryPolicy) String() string {
	on := "network,timeout,429,5xx"
	if p.On != nil {
		parts := make([]string, len(p.On))
		for i, c := range p.On {
			parts[i] = string(c)
		}
		on = strings.Join(parts, ",")
		if on == "" {
			on = "nothing"
		}
	}
	return "up to " + itoa(p.Attempts) + " attempts per target, retrying " + on +
		"; backoff " + p.Backoff.String() + " doubling to " + p.BackoffMax.String() +
		" ±" + itoa(int(p.Jitter*100+0.5)) + "%; Retry-After honoured up to " + p.RetryAfterMax.String()
}

// errClass is how the executor treats one failed attempt.
type errClass uint8

const (
	classNetwork   errClass = iota + 1 // retryable: the upstream could not be reached
	classTimeout                       // retryable: nothing came back in time
	classRateLimit                     // retryable: 429
	class5xx                           // retryable: the upstream failed
	classAuth                          // the credential was refused (401/403): bench it, try another
	classTerminal                      // the upstream refused the request itself: back to the client
	classLocal                         // could not prepare the call for this target: fail over, no retry
	classClient                        // the client went away
)

func (c errClass) retryClass() RetryClass {
	switch c {
	case classNetwork:
		return RetryNetwork
	case classTimeout:
		return RetryTimeout
	case classRateLimit:
		return RetryRateLimit
	case class5xx:
		return Retry5xx
	}
	return ""
}

func (c errClass) retryable() bool { return c.retryClass() != "" }

// classify sorts a failed attempt (SPEC §7.8). Errors carrying Upstream are
// answers of the provider, judged by status; the rest were produced on our
// side of the wire (transport, watchdogs, codecs) and are judged by kind.
// Unlike the reference, every upstream 4xx other than 408/429 is terminal
// (SPEC §16.14): resending a request the provider refused cannot help.
func classify(e *canonical.Error) errClass {
	if e.Status == 499 || e.Code == "CLIENT_CLOSED" {
		return classClient
	}
	if e.Upstream != nil {
		switch s := e.Status; {
		case s == http.StatusUnauthorized || s == http.StatusForbidden:
			return classAuth
		case s == http.StatusTooManyRequests || e.Kind == canonical.KindRateLimited:
			return classRateLimit
		case s == http.StatusRequestTimeout:
			return classTimeout
		case s >= 500:
			return class5xx
		}
		return classTerminal
	}
	switch e.Kind {
	case canonical.KindTimeout:
		return classTimeout
	case canonical.KindRateLimited:
		return classRateLimit
	case canonical.KindAuth:
		return classAuth
	case canonical.KindUpstream:
		if e.Code == "upstream_unreachable" {
			return classNetwork
		}
		return class5xx
	}
	return classLocal
}

func itoa(n int) string { return strconv.Itoa(n) }
