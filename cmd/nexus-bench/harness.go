package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"time"
)

// result is one (target × body × mode) row of the report.
type result struct {
	target, body, mode string
	lat                latencyStats
	tput               throughputStats
}

// runResult is everything the report prints.
type runResult struct {
	opts    *options
	results []result
	machine string // CPU model and count
	goVer   string
	started time.Time
	wall    time.Duration
	// gatewayLog is the size of the gateway's request log, to show the
	// figures were taken with logging on.
	gatewayLogLines int64
	// loadBefore and loadAfter are /proc/loadavg around the run: figures
	// from a machine busy with other work read differently.
	loadBefore, loadAfter string
	// measured is the wall time of the measurements, ownCPU the CPU the
	// harness and its servers used in it, and otherCPU what the rest of
	// the machine used meanwhile (-1 when /proc/stat was unreadable).
	measured, ownCPU, otherCPU time.Duration
	cpus                       int
}

var (
	emulatorAddrRe = regexp.MustCompile(`mock-upstream listening on (\S+)`)
	proxyAddrRe    = regexp.MustCompile(`proxy listening on (\S+)`)
	gatewayAddrRe  = regexp.MustCompile(`"msg":"nexus listening","addr":"([^"]+)"`)
)

// upstreamKey is what direct and proxied requests present to the emulator,
// and what the gateway holds as its provider key.
const upstreamKey = "Bearer sk-bench-upstream"

// runHarness starts the servers, runs every scenario against every target
// and stops the servers again.
func runHarness(ctx context.Context, o *options, stderr io.Writer) (*runResult, error) {
	res := &runResult{opts: o, started: time.Now(), machine: machineInfo(), goVer: runtime.Version(),
		loadBefore: loadAvg(), cpus: runtime.NumCPU()}
	dir, cleanup, err := workDir(o.logDir)
	if err != nil {
		return nil, err
	}
	defer cleanup()

	// The emulator is `nexus mock-upstream`, so the binary is needed even
	// when the gateway itself is not measured.
	nexusBin := o.nexusBin
	if nexusBin == "" {
		fmt.Fprintln(stderr, "nexus-bench: building nexus…")
		if nexusBin, err = buildNexus(ctx, o.goBin, dir, o.environ); err != nil {
			return nil, err
		}
	}
	f := &fleet{}
	defer f.stop()
	if err := f.start(ctx, o, nexusBin, dir); err != nil {
		return nil, err
	}

	clock := newCPUClock()
	busy0, busyErr := clock.systemBusy()
	own0, start := f.cpu(clock), time.Now()
	if err := measureAll(ctx, o, f, clock, res, stderr); err != nil {
		return nil, err
	}
	busy1, err := clock.systemBusy()
	res.measured, res.ownCPU, res.otherCPU = time.Since(start), f.cpu(clock)-own0, -1
	if busyErr == nil && err == nil {
		res.otherCPU = max(busy1-busy0-res.ownCPU, 0)
	}
	res.wall, res.loadAfter = time.Since(res.started), loadAvg()
	if t := f.targets[targetNexus]; t != nil {
		res.gatewayLogLines, _ = countLines(t.server.logPath)
	}
	return res, nil
}

// measureAll runs the two phases of every scenario against every target.
// Scenario-major order keeps the targets of one scenario close in time, so
// drift on a shared machine hits them alike.
func measureAll(ctx context.Context, o *options, f *fleet, clock cpuClock, res *runResult, stderr io.Writer) error {
	client := newClient(o.concurrency)
	defer client.CloseIdleConnections()
	for _, b := range o.bodies {
		for _, mode := range o.modes {
			stream := mode == modeStream
			body := chatBody(b.size, stream, o.chunks)
			warm, n := o.warmUnary, o.nUnary
			if stream {
				warm, n = o.warmStream, o.nStream
			}
			for _, name := range o.targets {
				t := f.targets[name]
				fmt.Fprintf(stderr, "nexus-bench: %-6s %-4s %-6s ", name, b.label, mode)
				r := result{target: name, body: b.label, mode: mode}
				var err error
				if r.lat, err = measureLatency(ctx, newWorker(client, t, body, stream), warm, n); err != nil {
					return err
				}
				probe := cpuProbe{clock: clock, server: t.server, emulator: f.emu}
				newW := func() *worker { return newWorker(client, t, body, stream) }
				if r.tput, err = measureThroughput(ctx, newW, o.concurrency, o.warmup, o.duration, probe); err != nil {
					return err
				}
				fmt.Fprintf(stderr, "p50 %s  %.0f req/s  failures %d/%d\n",
					fmtDur(r.lat.p50), r.tput.rps(), r.lat.failures, r.tput.errors)
				if err := f.alive(); err != nil {
					return err
				}
				res.results = append(res.results, r)
			}
		}
	}
	return nil
}

// workDir is where logs, the config and the database go: the --logdir
// (kept) or a temporary directory (removed by cleanup).
func workDir(logDir string) (dir string, cleanup func(), err error) {
	if logDir == "" {
		tmp, err := os.MkdirTemp("", "nexus-bench-")
		if err != nil {
			return "", nil, err
		}
		return tmp, func() { os.RemoveAll(tmp) }, nil
	}
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return "", nil, err
	}
	abs, err := filepath.Abs(logDir)
	return abs, func() {}, err
}

// fleet is the set of server processes of one run.
type fleet struct {
	emu     *proc
	procs   []*proc // every process, in start order
	targets map[string]*target
}

// start launches the emulator and the servers the selected targets need.
func (f *fleet) start(ctx context.Context, o *options, nexusBin, dir string) error {
	emu, emuAddr, err := startProc(ctx, "emulator", nexusBin, []string{"mock-upstream", "--listen", "127.0.0.1:0"},
		o.environ, filepath.Join(dir, "emulator.log"), emulatorAddrRe)
	if err != nil {
		return err
	}
	f.emu, f.procs = emu, append(f.procs, emu)
	emuURL := "http://" + emuAddr
	const path = "/v1/chat/completions"

	f.targets = map[string]*target{}
	for _, name := range o.targets {
		switch name {
		case targetDirect:
			f.targets[name] = &target{name: name, url: emuURL + path, auth: upstreamKey}
		case targetProxy:
			self := o.selfBin
			if self == "" {
				if self, err = os.Executable(); err != nil {
					return fmt.Errorf("find own binary for the proxy: %w", err)
				}
			}
			p, addr, err := startProc(ctx, "proxy", self, []string{"proxy", "--listen", "127.0.0.1:0", "--target", emuURL},
				o.environ, filepath.Join(dir, "proxy.log"), proxyAddrRe)
			if err != nil {
				return err
			}
			f.procs = append(f.procs, p)
			f.targets[name] = &target{name: name, url: "http://" + addr + path, auth: upstreamKey, server: p}
		case targetNexus:
			p, addr, key, err := startGateway(ctx, nexusBin, dir, emuURL, o.quotas, o.quotaMode, o.environ)
			if err != nil {
				return err
			}
			f.procs = append(f.procs, p)
			f.targets[name] = &target{name: name, url: "http://" + addr + path, auth: "Bearer " + key, server: p}
		}
	}
	return nil
}

// stop ends the servers, last started first.
func (f *fleet) stop() {
	for i := len(f.procs) - 1; i >= 0; i-- {
		f.procs[i].stop()
	}
}

// alive fails when any server has died: its figures would be meaningless.
func (f *fleet) alive() error {
	for _, p := range f.procs {
		if err := p.alive(); err != nil {
			return err
		}
	}
	return nil
}

// cpu is the CPU time used so far by the harness and every server.
func (f *fleet) cpu(clock cpuClock) time.Duration {
	total, _ := clock.used(0)
	for _, p := range f.procs {
		d, _ := clock.used(p.pid())
		total += d
	}
	return total
}

// startGateway writes the gateway configuration, mints a key with `nexus
// keys create` and starts `nexus serve` with logging at info, as deployed.
// quotas and mode are the --quotas and --quota-mode values.
func startGateway(ctx context.Context, nexusBin, dir, emuURL, quotas, mode string, environ []string) (*proc, string, string, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, "", "", err
	}
	env := append(append([]string(nil), environ...), "NEXUS_SECRET="+hex.EncodeToString(secret))
	cfg := quotaConfig(quotas, mode) + fmt.Sprintf(`listen: 127.0.0.1:0
database: sqlite://%s
log:
  level: info
  format: json
providers:
  - name: mock
    type: openai
    base_url: %s/v1
    api_key: %s
models:
  - name: gpt-4o-mini
    provider: mock
`, filepath.Join(dir, "nexus.db"), emuURL, strings.TrimPrefix(upstreamKey, "Bearer "))
	cfgPath := filepath.Join(dir, "nexus.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o600); err != nil {
		return nil, "", "", err
	}
	key, err := createKey(ctx, nexusBin, cfgPath, env)
	if err != nil {
		return nil, "", "", err
	}
	p, addr, err := startProc(ctx, "gateway", nexusBin, []string{"serve", "--config", cfgPath},
		env, filepath.Join(dir, "gateway.log"), gatewayAddrRe)
	if err != nil {
		return nil, "", "", err
	}
	return p, addr, key, nil
}

// quotaConfig is the gateway's quotas block for a --quotas value: a
// per-key rule on requests and USD whose limits are never reached, so every
// request is reserved and settled and none is refused. The Redis URL goes
// through the environment-free YAML as a quoted string; mode (--quota-mode)
// is its redis_mode.
func quotaConfig(quotas, mode string) string {
	if quotas == "" {
		return ""
	}
	redis, modeLine := "", ""
	if quotas != quotasMemory {
		redis = quotas
		if mode != "" {
			modeLine = "\n  redis_mode: " + mode
		}
	}
	return fmt.Sprintf(`quotas:
  redis: %q%s
  redis_timeout: 200ms
  rules:
    - {name: bench, scope: key, rpm: 100000000, usd_per_day: 100000}
`, redis, modeLine)
}

// quotaLabel says in the report where the gateway kept its quota counters.
func quotaLabel(quotas, mode string) string {
	switch {
	case quotas == "":
		return "off"
	case quotas == quotasMemory:
		return "on, counters in the gateway process"
	case mode == "lease":
		return "on, counters in Redis, lease mode"
	default:
		return "on, counters in Redis"
	}
}

// machineInfo names the CPU for the report header.
func machineInfo() string {
	model := "unknown CPU"
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		defer f.Close()
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
				model = strings.TrimSpace(v)
				break
			}
		}
	}
	return fmt.Sprintf("%s, %d logical CPUs, %s/%s", model, runtime.NumCPU(), runtime.GOOS, runtime.GOARCH)
}

// loadAvg is the 1, 5 and 15 minute load average, or "unknown".
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 256<<10)
	for {
		k, err := f.Read(buf)
		n += int64(bytes.Count(buf[:k], []byte{'\n'}))
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}
