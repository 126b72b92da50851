package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Target names, in the order the report lists them.
const (
	targetDirect = "direct"
	targetProxy  = "proxy"
	targetNexus  = "nexus"
)

// quotasMemory is the --quotas value for counters inside the gateway.
const quotasMemory = "memory"

// Modes.
const (
	modeUnary  = "unary"
	modeStream = "stream"
)

var (
	allTargets = []string{targetDirect, targetProxy, targetNexus}
	allModes   = []string{modeUnary, modeStream}
)

// bodySpec is one request body size: the label as given ("1k") and bytes.
type bodySpec struct {
	label string
	size  int
}

// options is the parsed command line.
type options struct {
	quick   bool
	out     string
	targets []string
	bodies  []bodySpec
	modes   []string

	nexusBin string // empty: build ./cmd/nexus
	selfBin  string // binary that runs `proxy`; empty: os.Executable()
	goBin    string
	logDir   string // keep server logs here; empty: a removed temp dir

	// quotas puts the gateway's quota stage on every request: "" (off),
	// "memory" (counters in the gateway) or a redis:// URL (counters in that
	// Redis, as replicas share them). The URL is never printed.
	quotas string
	// quotaMode is the gateway's quotas.redis_mode with a redis:// --quotas:
	// "exact" (default) or "lease".
	quotaMode string

	nUnary, nStream       int // sequential measured requests at concurrency 1
	warmUnary, warmStream int // sequential warm-up requests
	concurrency           int
	duration, warmup      time.Duration
	chunks                int

	environ []string // for the child processes
}

func parseOptions(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("nexus-bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.BoolVar(&o.quick, "quick", false, "short runs for CI and smoke tests (small N, 1s throughput phases)")
	fs.StringVar(&o.out, "out", "", "also write the markdown report to this file")
	only := fs.String("only", strings.Join(allTargets, ","), "targets to measure: direct,proxy,nexus")
	bodies := fs.String("bodies", "1k,50k", "request body sizes (Nk or bytes)")
	modes := fs.String("modes", strings.Join(allModes, ","), "modes: unary,stream")
	fs.StringVar(&o.nexusBin, "nexus", "", "nexus binary (default: go build ./cmd/nexus into a temp dir)")
	fs.StringVar(&o.selfBin, "self", "", "binary that runs the `proxy` subcommand (default: this executable)")
	fs.StringVar(&o.goBin, "go", "go", "go command used to build nexus")
	fs.StringVar(&o.logDir, "logdir", "", "keep server logs and the gateway database in this directory")
	fs.IntVar(&o.nUnary, "n-unary", 2000, "measured sequential unary requests per scenario")
	fs.IntVar(&o.nStream, "n-stream", 300, "measured sequential streams per scenario")
	fs.IntVar(&o.warmUnary, "warm-unary", 200, "sequential unary warm-up requests")
	fs.IntVar(&o.warmStream, "warm-stream", 30, "sequential stream warm-up requests")
	fs.IntVar(&o.concurrency, "c", 64, "concurrency of the throughput phase")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured duration of the throughput phase")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before the throughput phase")
	fs.IntVar(&o.chunks, "chunks", 256, "content chunks per stream")
	fs.StringVar(&o.quotas, "quotas", "", "quota stage on every gateway request: memory, or a redis:// or rediss:// URL (default off)")
	fs.StringVar(&o.quotaMode, "quota-mode", "exact", "with --quotas redis://…: the gateway's redis_mode, exact or lease")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if o.quick {
		// --quick lowers only what was not set explicitly.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		lower := func(name string, p *int, v int) {
			if !set[name] {
				*p = v
			}
		}
		lower("n-unary", &o.nUnary, 50)
		lower("n-stream", &o.nStream, 15)
		lower("warm-unary", &o.warmUnary, 10)
		lower("warm-stream", &o.warmStream, 3)
		if !set["duration"] {
			o.duration = time.Second
		}
		if !set["warmup"] {
			o.warmup = 200 * time.Millisecond
		}
	}
	var err error
	if o.targets, err = pickList("--only", *only, allTargets); err != nil {
		return nil, err
	}
	if o.modes, err = pickList("--modes", *modes, allModes); err != nil {
		return nil, err
	}
	if o.bodies, err = parseBodies(*bodies); err != nil {
		return nil, err
	}
	switch {
	case o.nUnary < 1 || o.nStream < 1:
		return nil, errors.New("--n-unary and --n-stream must be at least 1")
	case o.warmUnary < 0 || o.warmStream < 0:
		return nil, errors.New("warm-up counts must not be negative")
	case o.concurrency < 1:
		return nil, errors.New("-c must be at least 1")
	case o.duration <= 0 || o.warmup < 0:
		return nil, errors.New("--duration must be positive and --warmup not negative")
	case o.chunks < 1:
		return nil, errors.New("--chunks must be at least 1")
	case o.quotas != "" && o.quotas != quotasMemory && !strings.HasPrefix(o.quotas, "redis://") && !strings.HasPrefix(o.quotas, "rediss://"):
		// The value may hold a password: do not quote it.
		return nil, errors.New("--quotas: want memory, or a redis:// or rediss:// URL")
	case o.quotaMode != "exact" && o.quotaMode != "lease":
		return nil, fmt.Errorf("--quota-mode: want exact or lease, got %q", o.quotaMode)
	case o.quotaMode == "lease" && (o.quotas == "" || o.quotas == quotasMemory):
		return nil, errors.New("--quota-mode lease needs --quotas redis://…")
	}
	return o, nil
}

// pickList parses a comma list whose items must come from allowed; the
// result keeps allowed's order so reports always read the same way.
func pickList(flagName, s string, allowed []string) ([]string, error) {
	want := map[string]bool{}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if !slices.Contains(allowed, item) {
			return nil, fmt.Errorf("%s: unknown %q (want some of %s)", flagName, item, strings.Join(allowed, ","))
		}
		want[item] = true
	}
	var out []string
	for _, a := range allowed {
		if want[a] {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: empty list", flagName)
	}
	return out, nil
}

// parseBodies reads "1k,50k" (k = 1024 bytes) or plain byte counts.
func parseBodies(s string) ([]bodySpec, error) {
	var out []bodySpec
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		num, mult := item, 1
		if n, ok := strings.CutSuffix(strings.ToLower(item), "k"); ok {
			num, mult = n, 1024
		}
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 || n > (64<<20)/mult {
			return nil, fmt.Errorf("--bodies: bad size %q (want e.g. 1k or 2048, at most 64 MiB)", item)
		}
		out = append(out, bodySpec{label: item, size: n * mult})
	}
	if len(out) == 0 {
		return nil, errors.New("--bodies: empty list")
	}
	return out, nil
}
