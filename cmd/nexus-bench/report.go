package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Targets the gateway is judged on, relative to the bare reverse proxy.
const (
	targetThroughputRatio = 0.9
	targetP50Overhead     = 100 * time.Microsecond
	targetTTFBP99Overhead = time.Millisecond
)

// renderReport is the markdown the harness prints and writes with --out.
func renderReport(r *runResult) string {
	var b strings.Builder
	o := r.opts
	fmt.Fprintf(&b, "### Run\n\n")
	fmt.Fprintf(&b, "- machine: %s; harness built with %s\n", r.machine, r.goVer)
	fmt.Fprintf(&b, "- started %s, took %s; load average %s before, %s after\n",
		r.started.UTC().Format(time.RFC3339), r.wall.Round(time.Second), r.loadBefore, r.loadAfter)
	fmt.Fprintf(&b, "- concurrency 1: %d unary / %d streams measured after %d / %d warm-up requests\n",
		o.nUnary, o.nStream, o.warmUnary, o.warmStream)
	fmt.Fprintf(&b, "- concurrency %d: closed loop, %s measured after %s warm-up; streams of %d chunks\n",
		o.concurrency, o.duration, o.warmup, o.chunks)
	if r.otherCPU >= 0 && r.measured > 0 {
		fmt.Fprintf(&b, "- during the %s of measurements the harness and its servers used %s of CPU, other processes %s\n",
			r.measured.Round(time.Second), r.ownCPU.Round(100*time.Millisecond), r.otherCPU.Round(100*time.Millisecond))
		if share := r.otherShare(); share > 0.05 {
			fmt.Fprintf(&b, "- **warning: other processes took %.0f %% of the machine; these figures are disturbed, rerun on a quiet machine**\n", 100*share)
		}
	}
	if slices.Contains(o.targets, targetNexus) {
		fmt.Fprintf(&b, "- gateway quotas (--quotas): %s\n", quotaLabel(o.quotas, o.quotaMode))
	}
	if r.gatewayLogLines > 0 {
		fmt.Fprintf(&b, "- gateway logged at info: %d lines written during the run\n", r.gatewayLogLines)
	}

	fmt.Fprintf(&b, "\n### Figures\n\n")
	b.WriteString("| target | body | mode | c1 p50 | c1 p99 | c1 TTFB p50 | c1 TTFB p99 | c1 failed | ")
	fmt.Fprintf(&b, "c%d req/s | c%d p50 | c%d p99 | c%d errors | server CPU/req | emulator CPU/req | client CPU/req |\n",
		o.concurrency, o.concurrency, o.concurrency, o.concurrency)
	b.WriteString("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, x := range r.results {
		ttfb50, ttfb99 := "–", "–"
		if x.mode == modeStream {
			ttfb50, ttfb99 = fmtDur(x.lat.ttfbP50), fmtDur(x.lat.ttfbP99)
		}
		server := "–"
		if x.tput.serverCPU >= 0 {
			server = fmtCPU(x.tput.serverCPU)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s | %d/%d | %.0f | %s | %s | %d | %s | %s | %s |\n",
			x.target, x.body, x.mode, fmtDur(x.lat.p50), fmtDur(x.lat.p99), ttfb50, ttfb99,
			x.lat.failures, x.lat.n, x.tput.rps(), fmtDur(x.tput.p50), fmtDur(x.tput.p99), x.tput.errors,
			server, fmtCPU(x.tput.emulatorCPU), fmtCPU(x.tput.clientCPU))
	}

	if checks := judge(r); len(checks) > 0 {
		fmt.Fprintf(&b, "\n### Targets (nexus against the bare proxy)\n\n")
		b.WriteString("| check | scenario | nexus | proxy | result | target | verdict |\n|---|---|--:|--:|--:|--:|---|\n")
		for _, c := range checks {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", c.name, c.scenario, c.nexus, c.proxy, c.value, c.target, c.verdict())
		}
	}
	if cpu := cpuComparison(r); len(cpu) > 0 {
		fmt.Fprintf(&b, "\n### CPU per request, nexus against the bare proxy (informational)\n\n")
		b.WriteString("| scenario | nexus | proxy | added by nexus | ratio |\n|---|--:|--:|--:|--:|\n")
		b.WriteString(cpu)
	}
	if p := r.problems(); len(p) > 0 {
		fmt.Fprintf(&b, "\n### Failures\n\n")
		for _, s := range p {
			fmt.Fprintf(&b, "- %s\n", s)
		}
	}
	return b.String()
}

// otherShare is the fraction of the machine's CPU capacity that other
// processes used during the measurements.
func (r *runResult) otherShare() float64 {
	if r.otherCPU <= 0 || r.measured <= 0 || r.cpus <= 0 {
		return 0
	}
	return float64(r.otherCPU) / (float64(r.measured) * float64(r.cpus))
}

// check is one target the gateway is judged on.
type check struct {
	name, scenario, nexus, proxy, value, target string
	met                                         bool
}

func (c check) verdict() string {
	if c.met {
		return "met"
	}
	return "**missed**"
}

// find returns the row for target/body/mode, or nil.
func (r *runResult) find(target, body, mode string) *result {
	for i := range r.results {
		x := &r.results[i]
		if x.target == target && x.body == body && x.mode == mode {
			return x
		}
	}
	return nil
}

// judge compares nexus with the proxy on the three published targets:
// throughput ratio in every scenario, p50 overhead for 1 KB unary, stream
// TTFB p99 overhead.
func judge(r *runResult) []check {
	var out []check
	for _, b := range r.opts.bodies {
		for _, mode := range r.opts.modes {
			n, p := r.find(targetNexus, b.label, mode), r.find(targetProxy, b.label, mode)
			if n == nil || p == nil {
				continue
			}
			scen := b.label + " " + mode
			if pr := p.tput.rps(); pr > 0 {
				ratio := n.tput.rps() / pr
				out = append(out, check{
					name: fmt.Sprintf("throughput c%d", r.opts.concurrency), scenario: scen,
					nexus: fmt.Sprintf("%.0f/s", n.tput.rps()), proxy: fmt.Sprintf("%.0f/s", pr),
					value: fmt.Sprintf("%.2f×", ratio), target: fmt.Sprintf("≥ %.2f×", targetThroughputRatio),
					met: ratio >= targetThroughputRatio,
				})
			}
			if mode == modeUnary && b.size == 1024 {
				d := n.lat.p50 - p.lat.p50
				out = append(out, check{
					name: "c1 p50 overhead", scenario: scen, nexus: fmtDur(n.lat.p50), proxy: fmtDur(p.lat.p50),
					value: fmtSigned(d), target: "≤ " + fmtDur(targetP50Overhead), met: d <= targetP50Overhead,
				})
			}
			if mode == modeStream {
				d := n.lat.ttfbP99 - p.lat.ttfbP99
				out = append(out, check{
					name: "c1 TTFB p99 overhead", scenario: scen, nexus: fmtDur(n.lat.ttfbP99), proxy: fmtDur(p.lat.ttfbP99),
					value: fmtSigned(d), target: "≤ " + fmtDur(targetTTFBP99Overhead), met: d <= targetTTFBP99Overhead,
				})
			}
		}
	}
	return out
}

// cpuComparison lists server CPU per request of nexus and the proxy.
func cpuComparison(r *runResult) string {
	var b strings.Builder
	for _, body := range r.opts.bodies {
		for _, mode := range r.opts.modes {
			n, p := r.find(targetNexus, body.label, mode), r.find(targetProxy, body.label, mode)
			if n == nil || p == nil || n.tput.serverCPU < 0 || p.tput.serverCPU <= 0 {
				continue
			}
			fmt.Fprintf(&b, "| %s %s | %s | %s | %s | %.2f× |\n", body.label, mode,
				fmtCPU(n.tput.serverCPU), fmtCPU(p.tput.serverCPU), fmtSigned(n.tput.serverCPU-p.tput.serverCPU),
				float64(n.tput.serverCPU)/float64(p.tput.serverCPU))
		}
	}
	return b.String()
}

// problems lists every failed request, cut stream and missing row; an
// empty list means every target answered every scenario.
func (r *runResult) problems() []string {
	var out []string
	for _, b := range r.opts.bodies {
		for _, mode := range r.opts.modes {
			for _, t := range r.opts.targets {
				x := r.find(t, b.label, mode)
				switch {
				case x == nil:
					out = append(out, fmt.Sprintf("%s %s %s: not measured", t, b.label, mode))
					continue
				case x.lat.failures > 0:
					out = append(out, fmt.Sprintf("%s %s %s: %d failed at concurrency 1, first: %s",
						t, b.label, mode, x.lat.failures, describeErr(x.lat.firstErr)))
				}
				if x.tput.errors > 0 {
					out = append(out, fmt.Sprintf("%s %s %s: %d failed at concurrency %d, first: %s",
						t, b.label, mode, x.tput.errors, x.tput.concurrency, describeErr(x.tput.firstErr)))
				}
				if x.tput.requests == 0 {
					out = append(out, fmt.Sprintf("%s %s %s: no request completed at concurrency %d",
						t, b.label, mode, x.tput.concurrency))
				}
			}
		}
	}
	return out
}

// fmtDur prints latencies in the unit that keeps three significant digits.
func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/1e6)
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
}

func fmtSigned(d time.Duration) string {
	if d < 0 {
		return "−" + fmtDur(-d)
	}
	return "+" + fmtDur(d)
}

// fmtCPU prints CPU per request in µs, which reads best across scenarios.
func fmtCPU(d time.Duration) string {
	return fmt.Sprintf("%.0f µs", float64(d)/1e3)
}
