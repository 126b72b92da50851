package main

import (
	"testing"
	"time"
)

func TestPercentilesUseNearestRank(t *testing.T) {
	us := func(vs ...int) []time.Duration {
		out := make([]time.Duration, len(vs))
		for i, v := range vs {
			out[i] = time.Duration(v) * time.Microsecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // reversed: percentiles must sort first
	}
	tests := []struct {
		name     string
		in       []time.Duration
		p50, p99 time.Duration
	}{
		{"empty gives zero", nil, 0, 0},
		{"single sample is every percentile", us(7), 7 * time.Microsecond, 7 * time.Microsecond},
		{"two samples: p50 is the lower", us(9, 3), 3 * time.Microsecond, 9 * time.Microsecond},
		{"hundred samples", us(hundred...), 50 * time.Microsecond, 99 * time.Microsecond},
		{"one outlier in ten sets p99 only", us(1, 1, 1, 1, 1, 1, 1, 1, 1, 500), time.Microsecond, 500 * time.Microsecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p50, p99 := percentiles(tt.in)
			if p50 != tt.p50 || p99 != tt.p99 {
				t.Errorf("percentiles = %v, %v; want %v, %v", p50, p99, tt.p50, tt.p99)
			}
		})
	}
}
