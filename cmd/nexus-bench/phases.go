package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// latencyStats is the concurrency-1 phase of one scenario.
type latencyStats struct {
	n, failures      int
	p50, p99         time.Duration
	ttfbP50, ttfbP99 time.Duration // streams only
	firstErr         error
}

// measureLatency sends warm sequential requests, then n measured ones.
func measureLatency(ctx context.Context, w *worker, warm, n int) (latencyStats, error) {
	st := latencyStats{n: n}
	for range warm {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		if s := w.do(ctx); s.err != nil {
			st.failures++
			st.firstErr = firstOf(st.firstErr, s.err)
		}
	}
	totals := make([]time.Duration, 0, n)
	ttfbs := make([]time.Duration, 0, n)
	for range n {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		s := w.do(ctx)
		if s.err != nil {
			st.failures++
			st.firstErr = firstOf(st.firstErr, s.err)
			continue
		}
		totals = append(totals, s.total)
		if w.stream {
			ttfbs = append(ttfbs, s.ttfb)
		}
	}
	st.p50, st.p99 = percentiles(totals)
	st.ttfbP50, st.ttfbP99 = percentiles(ttfbs)
	return st, nil
}

// throughputStats is the concurrency-N phase of one scenario.
type throughputStats struct {
	concurrency int
	elapsed     time.Duration
	requests    int64 // completed without error inside the measured window
	errors      int64 // failed, warm-up included
	firstErr    error
	p50, p99    time.Duration
	// CPU per request over the measured window; -1 when not applicable.
	serverCPU, emulatorCPU, clientCPU time.Duration
}

func (t throughputStats) rps() float64 {
	if t.elapsed <= 0 {
		return 0
	}
	return float64(t.requests) / t.elapsed.Seconds()
}

// cpuProbe samples the processes whose CPU the report splits out.
type cpuProbe struct {
	clock    cpuClock
	server   *proc // nil for direct
	emulator *proc
}

type cpuSample struct{ server, emulator, client time.Duration }

func (p cpuProbe) sample() (cpuSample, error) {
	var s cpuSample
	var err error
	if p.server != nil {
		if s.server, err = p.clock.used(p.server.pid()); err != nil {
			return s, err
		}
	}
	if s.emulator, err = p.clock.used(p.emulator.pid()); err != nil {
		return s, err
	}
	s.client, err = p.clock.used(0)
	return s, err
}

// measureThroughput runs a closed loop of concurrency workers: warm up, then
// count completions and CPU over duration. Workers are never cancelled mid
// request (that would count as an error); they stop taking new requests and
// finish the one in hand.
func measureThroughput(ctx context.Context, newW func() *worker, concurrency int, warmup, duration time.Duration, probe cpuProbe) (throughputStats, error) {
	st := throughputStats{concurrency: concurrency, serverCPU: -1}
	var (
		ok, failed      atomic.Int64
		measuring, stop atomic.Bool
		mu              sync.Mutex
		firstErr        error
		wg              sync.WaitGroup
	)
	lat := make([][]time.Duration, concurrency)
	for i := range concurrency {
		w := newW()
		wg.Add(1)
		go func() {
			defer wg.Done()
			own := make([]time.Duration, 0, 4096)
			for !stop.Load() && ctx.Err() == nil {
				inWindow := measuring.Load()
				s := w.do(ctx)
				if s.err != nil {
					failed.Add(1)
					mu.Lock()
					firstErr = firstOf(firstErr, s.err)
					mu.Unlock()
					continue
				}
				ok.Add(1)
				if inWindow && measuring.Load() {
					own = append(own, s.total)
				}
			}
			lat[i] = own
		}()
	}
	finish := func() { stop.Store(true); wg.Wait() }

	if !sleepCtx(ctx, warmup) {
		finish()
		return st, ctx.Err()
	}
	c0, err := probe.sample()
	if err != nil {
		finish()
		return st, err
	}
	n0, t0 := ok.Load(), time.Now()
	measuring.Store(true)
	slept := sleepCtx(ctx, duration)
	measuring.Store(false)
	n1, t1 := ok.Load(), time.Now()
	c1, err := probe.sample()
	finish()
	if !slept {
		return st, ctx.Err()
	}
	if err != nil {
		return st, err
	}
	st.elapsed, st.requests = t1.Sub(t0), n1-n0
	st.errors, st.firstErr = failed.Load(), firstErr
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	st.p50, st.p99 = percentiles(all)
	if st.requests > 0 {
		per := func(d time.Duration) time.Duration { return d / time.Duration(st.requests) }
		if probe.server != nil {
			st.serverCPU = per(c1.server - c0.server)
		}
		st.emulatorCPU = per(c1.emulator - c0.emulator)
		st.clientCPU = per(c1.client - c0.client)
	}
	return st, nil
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func firstOf(have, next error) error {
	if have != nil {
		return have
	}
	return next
}

// describeErr is a short error for the report.
func describeErr(err error) string {
	if err == nil {
		return ""
	}
	s := fmt.Sprint(err)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
