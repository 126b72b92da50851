// Package ratelimit holds the per-key requests-per-minute limiter (SPEC §3.7):
// an exact sliding 60-second window, in process. Each key has its own small
// lock, so keys never contend with each other.
package ratelimit

import (
	"sync"
	"time"
)

// Window is the sliding window length.
const Window = time.Minute

// maxTracked bounds memory per key: an exact log above this size would cost
// more than it is worth, so larger limits are clamped to it.
const maxTracked = 100_000

// Limiter tracks admissions per key id.
type Limiter struct {
	now  func() time.Time
	keys sync.Map // key id → *log
}

// New returns a Limiter; now may be nil (time.Now).
func New(now func() time.Time) *Limiter {
	if now == nil {
		now = time.Now
	}
	return &Limiter{now: now}
}

// log is a ring of admission times for one key.
type log struct {
	mu    sync.Mutex
	times []int64 // unix nanos, ring buffer
	head  int     // index of the oldest entry
	n     int     // entries in use
}

// Allow admits one request for key under a limit of rpm per minute. When the
// window is full it returns false and how long until a slot frees.
func (l *Limiter) Allow(key string, rpm int) (ok bool, retryAfter time.Duration) {
	if rpm <= 0 {
		return true, 0
	}
	if rpm > maxTracked {
		rpm = maxTracked
	}
	v, found := l.keys.Load(key)
	if !found {
		v, _ = l.keys.LoadOrStore(key, &log{})
	}
	lg := v.(*log)
	now := l.now().UnixNano()
	cutoff := now - int64(Window)

	lg.mu.Lock()
	defer lg.mu.Unlock()
	if len(lg.times) != rpm {
		lg.resize(rpm)
	}
	for lg.n > 0 && lg.times[lg.head] <= cutoff {
		lg.head = (lg.head + 1) % len(lg.times)
		lg.n--
	}
	if lg.n >= rpm {
		wait := time.Duration(lg.times[lg.head] - cutoff)
		return false, wait
	}
	lg.times[(lg.head+lg.n)%len(lg.times)] = now
	lg.n++
	return true, 0
}

// resize keeps the newest entries when a key's limit changes.
func (lg *log) resize(size int) {
	keep := lg.n
	if keep > size {
		keep = size
	}
	next := make([]int64, size)
	for i := 0; i < keep; i++ {
		next[i] = lg.times[(lg.head+lg.n-keep+i)%len(lg.times)]
	}
	lg.times, lg.head, lg.n = next, 0, keep
}

// RetryAfterSeconds renders a wait as whole seconds for the Retry-After
// header: floor(wait)+1, so a client that honours it is never early.
func RetryAfterSeconds(wait time.Duration) int {
	return int(wait/time.Second) + 1
}
