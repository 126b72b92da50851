package main

import (
	"slices"
	"time"
)

// percentiles returns the nearest-rank p50 and p99 of ds (zero when empty).
// It sorts ds in place; callers hand over slices they no longer need.
func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0
	}
	slices.Sort(ds)
	return rank(ds, 50), rank(ds, 99)
}

// rank is the nearest-rank percentile p (0 < p ≤ 100) of sorted ds: the
// smallest value with at least p % of the samples at or below it.
func rank(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	i := (p*n + 99) / 100 // ceil(p·n/100), 1-based
	return sorted[min(max(i, 1), n)-1]
}
