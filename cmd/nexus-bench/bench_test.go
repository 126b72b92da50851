package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestQuickRunEveryTargetAnswersEveryScenario runs the whole harness in
// --quick mode against freshly built binaries: emulator, proxy and gateway
// as separate processes. It asserts correctness only — every scenario
// measured, no failed request, no cut stream — never speed.
func TestQuickRunEveryTargetAnswersEveryScenario(t *testing.T) {
	if testing.Short() {
		t.Skip("builds binaries and runs servers; skipped with -short")
	}
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("needs /proc for CPU accounting")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dir := t.TempDir()
	// The test binary cannot serve `proxy`, so build the real command too.
	self := filepath.Join(dir, "nexus-bench")
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", self, ".").CombinedOutput(); err != nil {
		t.Fatalf("build nexus-bench: %v\n%s", err, out)
	}
	nexusBin, err := buildNexus(ctx, "go", dir, os.Environ())
	if err != nil {
		t.Fatal(err)
	}

	logDir := filepath.Join(dir, "logs")
	o, err := parseOptions([]string{"--quick", "--nexus", nexusBin, "--self", self, "--logdir", logDir,
		"--duration", "700ms", "--warmup", "100ms"}, os.Stderr)
	if err != nil {
		t.Fatal(err)
	}
	o.environ = os.Environ()
	var progress strings.Builder
	res, err := runHarness(ctx, o, &progress)
	if err != nil {
		t.Fatalf("harness: %v\n%s", err, progress.String())
	}

	if p := res.problems(); len(p) > 0 {
		t.Errorf("problems:\n%s", strings.Join(p, "\n"))
	}
	if want := len(allTargets) * 2 * len(allModes); len(res.results) != want {
		t.Fatalf("%d rows, want %d", len(res.results), want)
	}
	for _, x := range res.results {
		name := x.target + " " + x.body + " " + x.mode
		if x.lat.p50 <= 0 || x.lat.p99 < x.lat.p50 {
			t.Errorf("%s: c1 p50 %v p99 %v", name, x.lat.p50, x.lat.p99)
		}
		if x.mode == modeStream && (x.lat.ttfbP50 <= 0 || x.lat.ttfbP50 > x.lat.p50) {
			t.Errorf("%s: TTFB p50 %v vs total p50 %v", name, x.lat.ttfbP50, x.lat.p50)
		}
		if x.tput.requests <= 0 || x.tput.emulatorCPU < 0 {
			t.Errorf("%s: c64 requests %d emulator CPU %v", name, x.tput.requests, x.tput.emulatorCPU)
		}
		if hasServer := x.target != targetDirect; hasServer != (x.tput.serverCPU >= 0) {
			t.Errorf("%s: server CPU %v", name, x.tput.serverCPU)
		}
	}
	// Logging stayed on: the gateway wrote a line per request.
	if res.gatewayLogLines < int64(o.nUnary) {
		t.Errorf("gateway log has %d lines", res.gatewayLogLines)
	}
	report := renderReport(res)
	if !strings.Contains(report, "| nexus | 50k | stream |") || !strings.Contains(report, "### Targets") {
		t.Errorf("report:\n%s", report)
	}
	// Every server was stopped.
	if b, err := os.ReadFile(filepath.Join(logDir, "gateway.log")); err != nil || !strings.Contains(string(b), "shutting down") {
		t.Errorf("gateway did not shut down cleanly (%v)", err)
	}
}
