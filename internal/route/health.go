package route

import (
	"sync"
	"time"
)

// HealthPolicy tunes passive health tracking, the per-target circuit
// breaker and credential benching. Zero fields take the defaults shown.
type HealthPolicy struct {
	Window     time.Duration // error-rate window; 5m
	MinSamples int           // attempts in the window before the rate counts; 5
	// FailureThreshold consecutive failures (network, timeout, 5xx, a cut
	// stream) open a target's circuit; 5.
	FailureThreshold int
	// RateLimitThreshold 429s within RateLimitWindow open it too (a 429
	// storm: every credential is being throttled); 5 within 10s.
	RateLimitThreshold int
	RateLimitWindow    time.Duration
	// Cooldown is how long an open circuit stays open before one probe
	// request is let through (half-open); 30s.
	Cooldown time.Duration
	// RateLimitCooldown benches a credential that got a 429 without a
	// Retry-After (with one, for that long, capped at this); 60s.
	RateLimitCooldown time.Duration
	// AuthCooldown benches a credential the provider refused (401/403); 10m.
	AuthCooldown time.Duration
	// LatencyAlpha weighs a new latency sample in the EWMA; 0.2.
	LatencyAlpha float64
}

func (p HealthPolicy) withDefaults() HealthPolicy {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&p.Window, 5*time.Minute)
	def(&p.RateLimitWindow, 10*time.Second)
	def(&p.Cooldown, 30*time.Second)
	def(&p.RateLimitCooldown, 60*time.Second)
	def(&p.AuthCooldown, 10*time.Minute)
	if p.MinSamples <= 0 {
		p.MinSamples = 5
	}
	if p.FailureThreshold <= 0 {
		p.FailureThreshold = 5
	}
	if p.RateLimitThreshold <= 0 {
		p.RateLimitThreshold = 5
	}
	if p.LatencyAlpha <= 0 || p.LatencyAlpha > 1 {
		p.LatencyAlpha = 0.2
	}
	return p
}

// Health classes, best first (SPEC §7.4: healthy, degraded, unhealthy;
// ordering never removes a target, only the circuit does).
const (
	Healthy   = "healthy"
	Degraded  = "degraded"
	Unhealthy = "unhealthy"
)

// Circuit states.
const (
	CircuitClosed   = "closed"
	CircuitOpen     = "open"
	CircuitHalfOpen = "half-open"
)

const buckets = 10

type bucket struct {
	epoch    int64 // window slot this bucket counts for
	ok, fail int32
}

// health is one target's passive state. Each target has its own small
// mutex: requests for different targets never contend, and a request holds
// it only to read or record a few numbers.
type health struct {
	pol *HealthPolicy
	mu  sync.Mutex

	win [buckets]bucket

	latency float64 // EWMA, nanoseconds; 0 = no sample yet

	state    string // CircuitClosed | CircuitOpen | CircuitHalfOpen
	fails    int    // consecutive failures while closed
	until    time.Time
	probing  bool        // the one half-open probe is in flight
	limited  []time.Time // ring of the latest 429 times
	limitPos int
}

func newHealth(p *HealthPolicy) *health {
	return &health{pol: p, state: CircuitClosed, limited: make([]time.Time, p.RateLimitThreshold)}
}

// Snapshot is a target's health as Explain and the admin API report it.
type Snapshot struct {
	Class       string        // Healthy | Degraded | Unhealthy
	Circuit     string        // CircuitClosed | CircuitOpen | CircuitHalfOpen
	OpenUntil   time.Time     // when an open circuit lets a probe through
	Latency     time.Duration // EWMA; 0 = no sample
	Samples     int           // attempts in the window
	SuccessRate float64       // in the window; 1 when there are no samples
}

func (h *health) snapshot(now time.Time) Snapshot {
	h.mu.Lock()
	defer h.mu.Unlock()
	ok, fail := h.counts(now)
	s := Snapshot{Class: h.classLocked(ok, fail), Circuit: h.stateLocked(now), Latency: time.Duration(h.latency), Samples: ok + fail, SuccessRate: 1}
	if ok+fail > 0 {
		s.SuccessRate = float64(ok) / float64(ok+fail)
	}
	if s.Circuit == CircuitOpen {
		s.OpenUntil = h.until
	}
	return s
}

// stateLocked is the circuit state at now: an open circuit whose cooldown
// ran out reads as half-open (it takes a probe).
func (h *health) stateLocked(now time.Time) string {
	if h.state == CircuitOpen && !now.Before(h.until) {
		return CircuitHalfOpen
	}
	return h.state
}

// open reports whether the circuit refuses requests at now, and until when.
func (h *health) open(now time.Time) (bool, time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.stateLocked(now) {
	case CircuitOpen:
		return true, h.until
	case CircuitHalfOpen:
		return h.probing, now.Add(time.Second) // a probe is out: come back shortly
	}
	return false, time.Time{}
}

// acquire admits one attempt at the target. In half-open state exactly one
// request (the probe) gets through until its outcome is recorded.
func (h *health) acquire(now time.Time) (probe, ok bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch h.stateLocked(now) {
	case CircuitOpen:
		return false, false
	case CircuitHalfOpen:
		if h.probing {
			return false, false
		}
		h.state, h.probing = CircuitHalfOpen, true
		return true, true
	}
	return false, true
}

// success records an answer: it closes the circuit (a half-open one after
// its probe, an open one tried because nothing else was left) and feeds the
// latency average (lat 0 = no latency sample).
func (h *health) success(now time.Time, lat time.Duration) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.slot(now).ok++
	h.fails, h.probing, h.state = 0, false, CircuitClosed
	if lat > 0 {
		if h.latency == 0 {
			h.latency = float64(lat)
		} else {
			a := h.pol.LatencyAlpha
			h.latency = a*float64(lat) + (1-a)*h.latency
		}
	}
}

// answered records an upstream that answered with a refusal of the request
// itself (a 4xx): it is alive, so a probe counts as passed, but the answer
// says nothing about its error rate.
func (h *health) answered() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.fails, h.probing, h.state = 0, false, CircuitClosed
}

// release gives back a probe whose attempt ended without a verdict (the
// client left, the call could not be prepared).
func (h *health) release(probe bool) {
	if !probe {
		return
	}
	h.mu.Lock()
	h.probing = false
	h.mu.Unlock()
}

// failure records a failed attempt and reports whether the circuit is now
// open. A failed probe reopens it at once; otherwise FailureThreshold
// consecutive failures, or a 429 storm, open it.
func (h *health) failure(now time.Time, rateLimited bool) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.slot(now).fail++
	if h.state == CircuitHalfOpen || h.stateLocked(now) == CircuitHalfOpen {
		h.trip(now)
		return true
	}
	if h.state == CircuitOpen {
		return true // opened by a concurrent request
	}
	if rateLimited {
		// Ring of the last RateLimitThreshold 429s: when the oldest is
		// still inside the window, that many came within it.
		h.limited[h.limitPos] = now
		h.limitPos = (h.limitPos + 1) % len(h.limited)
		if oldest := h.limited[h.limitPos]; !oldest.IsZero() && now.Sub(oldest) < h.pol.RateLimitWindow {
			h.trip(now)
			return true
		}
		return false
	}
	h.fails++
	if h.fails >= h.pol.FailureThreshold {
		h.trip(now)
		return true
	}
	return false
}

func (h *health) trip(now time.Time) {
	h.state, h.until, h.probing, h.fails = CircuitOpen, now.Add(h.pol.Cooldown), false, 0
	clear(h.limited)
}

// latencyEWMA is the average latency, 0 when unmeasured.
func (h *health) latencyEWMA() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	return time.Duration(h.latency)
}

// class is the health class for ordering.
func (h *health) class(now time.Time) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.classLocked(h.counts(now))
}

// classLocked applies SPEC §4's thresholds: healthy ≥95 % successes,
// degraded ≥50 %, below that unhealthy; too few samples count as healthy.
func (h *health) classLocked(ok, fail int) string {
	n := ok + fail
	switch {
	case n < h.pol.MinSamples || ok*100 >= n*95:
		return Healthy
	case ok*2 >= n:
		return Degraded
	}
	return Unhealthy
}

// slot returns the bucket for now, recycling it when it held an older slot.
func (h *health) slot(now time.Time) *bucket {
	width := int64(h.pol.Window) / buckets
	epoch := now.UnixNano() / max(width, 1)
	b := &h.win[epoch%buckets]
	if b.epoch != epoch {
		*b = bucket{epoch: epoch}
	}
	return b
}

// counts sums the buckets still inside the window.
func (h *health) counts(now time.Time) (ok, fail int) {
	width := int64(h.pol.Window) / buckets
	epoch := now.UnixNano() / max(width, 1)
	for i := range h.win {
		if b := &h.win[i]; epoch-b.epoch < buckets && b.epoch <= epoch {
			ok += int(b.ok)
			fail += int(b.fail)
		}
	}
	return ok, fail
}
