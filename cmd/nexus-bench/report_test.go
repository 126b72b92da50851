package main

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// row builds a result with the figures the checks read.
func row(target, body, mode string, p50, ttfb99 time.Duration, rps float64, serverCPU time.Duration) result {
	return result{
		target: target, body: body, mode: mode,
		lat: latencyStats{n: 10, p50: p50, p99: p50, ttfbP99: ttfb99},
		tput: throughputStats{
			concurrency: 64, elapsed: time.Second, requests: int64(rps),
			serverCPU: serverCPU, emulatorCPU: 10 * time.Microsecond,
		},
	}
}

func benchRun(t *testing.T, rows ...result) *runResult {
	t.Helper()
	o, err := parseOptions(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return &runResult{opts: o, results: rows}
}

func TestJudgeAppliesEachTarget(t *testing.T) {
	us := time.Microsecond
	r := benchRun(t,
		row("proxy", "1k", "unary", 200*us, 0, 1000, 100*us),
		row("nexus", "1k", "unary", 300*us, 0, 950, 120*us), // +100 µs: met exactly; 0.95×: met
		row("proxy", "1k", "stream", time.Millisecond, 800*us, 500, 200*us),
		row("nexus", "1k", "stream", time.Millisecond, 2*time.Millisecond, 400, 300*us), // +1.2 ms: missed; 0.80×: missed
		row("proxy", "50k", "unary", 300*us, 0, 1000, 100*us),
		row("nexus", "50k", "unary", 900*us, 0, 1000, 100*us), // p50 is only judged for 1 KB
	)
	got := map[string]bool{}
	for _, c := range judge(r) {
		got[c.name+" / "+c.scenario] = c.met
	}
	want := map[string]bool{
		"throughput c64 / 1k unary":        true,
		"c1 p50 overhead / 1k unary":       true,
		"throughput c64 / 1k stream":       false,
		"c1 TTFB p99 overhead / 1k stream": false,
		"throughput c64 / 50k unary":       true,
	}
	if len(got) != len(want) {
		t.Errorf("checks = %v, want %v", got, want)
	}
	for k, v := range want {
		if met, ok := got[k]; !ok || met != v {
			t.Errorf("%s: met=%v present=%v, want met=%v", k, met, ok, v)
		}
	}
}

func TestProblemsNameEveryFailure(t *testing.T) {
	us := time.Microsecond
	clean := func() []result {
		var rows []result
		for _, b := range []string{"1k", "50k"} {
			for _, m := range allModes {
				for _, tg := range allTargets {
					rows = append(rows, row(tg, b, m, 100*us, 100*us, 100, 50*us))
				}
			}
		}
		return rows
	}
	tests := []struct {
		name   string
		mutate func(rows []result) []result
		want   []string
	}{
		{"clean run", func(r []result) []result { return r }, nil},
		{"cut streams at concurrency 1", func(r []result) []result {
			r[3].lat.failures, r[3].lat.firstErr = 2, errCut
			return r
		}, []string{"direct 1k stream: 2 failed at concurrency 1"}},
		{"errors at concurrency 64", func(r []result) []result {
			r[2].tput.errors, r[2].tput.firstErr = 5, errors.New("status 502")
			return r
		}, []string{"nexus 1k unary: 5 failed at concurrency 64, first: status 502"}},
		{"nothing completed", func(r []result) []result {
			r[1].tput.requests = 0
			return r
		}, []string{"proxy 1k unary: no request completed"}},
		{"missing row", func(r []result) []result { return r[1:] }, []string{"direct 1k unary: not measured"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := benchRun(t, tt.mutate(clean())...)
			got := r.problems()
			if len(got) != len(tt.want) {
				t.Fatalf("problems = %q, want %q", got, tt.want)
			}
			for i := range got {
				if !strings.HasPrefix(got[i], tt.want[i]) {
					t.Errorf("problem %d = %q, want prefix %q", i, got[i], tt.want[i])
				}
			}
			report := renderReport(r)
			if hasFailures := strings.Contains(report, "### Failures"); hasFailures != (len(tt.want) > 0) {
				t.Errorf("report failure section present = %v", hasFailures)
			}
		})
	}
}

func TestRenderReportListsEveryRowAndVerdict(t *testing.T) {
	us := time.Microsecond
	r := benchRun(t,
		row("direct", "1k", "unary", 50*us, 0, 9000, -1),
		row("proxy", "1k", "unary", 200*us, 0, 1000, 100*us),
		row("nexus", "1k", "unary", 400*us, 0, 500, 150*us),
	)
	out := renderReport(r)
	for _, want := range []string{
		"| direct | 1k | unary | 50 µs |",
		"| nexus | 1k | unary | 400 µs |",
		"| throughput c64 | 1k unary | 500/s | 1000/s | 0.50× | ≥ 0.90× | **missed** |",
		"| c1 p50 overhead | 1k unary | 400 µs | 200 µs | +200 µs | ≤ 100 µs | **missed** |",
		"| 1k unary | 150 µs | 100 µs | +50 µs | 1.50× |",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestFmtDurPicksTheUnit(t *testing.T) {
	tests := []struct {
		in   time.Duration
		want string
	}{
		{0, "0 µs"},
		{999 * time.Microsecond, "999 µs"},
		{1500 * time.Microsecond, "1.50 ms"},
		{25 * time.Millisecond, "25.0 ms"},
		{2 * time.Second, "2.00 s"},
	}
	for _, tt := range tests {
		if got := fmtDur(tt.in); got != tt.want {
			t.Errorf("fmtDur(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got := fmtSigned(-30 * time.Microsecond); got != "−30 µs" {
		t.Errorf("fmtSigned = %q", got)
	}
}

func TestReportWarnsWhenOtherWorkSharedTheMachine(t *testing.T) {
	tests := []struct {
		name     string
		other    time.Duration
		wantWarn bool
	}{
		{"quiet", 100 * time.Millisecond, false}, // 1 % of 2 CPUs × 5 s
		{"busy", 3 * time.Second, true},          // 30 %
		{"unknown", -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := benchRun(t)
			r.measured, r.cpus, r.ownCPU, r.otherCPU = 5*time.Second, 2, 8*time.Second, tt.other
			out := renderReport(r)
			if got := strings.Contains(out, "figures are disturbed"); got != tt.wantWarn {
				t.Errorf("warning present = %v, want %v:\n%s", got, tt.wantWarn, out)
			}
		})
	}
}
