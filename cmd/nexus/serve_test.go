package main

import (
	"runtime/debug"
	"testing"
)

// nexus serve collects garbage at GOGC=400 unless the operator chose a
// setting; an explicit GOGC is left to the runtime.
func TestTuneGCRespectsGOGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)
	tuneGC(func(k string) string { return map[string]string{"GOGC": "150"}[k] })
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("GOGC set: percent changed to %d", got)
	}
	tuneGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != 400 {
		t.Fatalf("GOGC unset: percent %d, want 400", got)
	}
}
