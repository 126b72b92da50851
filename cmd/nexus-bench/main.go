// Command nexus-bench is the load harness behind docs/performance.md. In one
// run on one machine it measures, side by side, a client talking to the
// provider emulator directly, through a minimal httputil.ReverseProxy (the
// floor any Go proxy pays) and through `nexus serve`. Every server is its own
// OS process started by the harness on loopback; the harness is the client.
//
//	nexus-bench [--quick] [--out FILE] [--only direct,proxy,nexus]
//	            [--bodies 1k,50k] [--modes unary,stream] [--nexus PATH] …
//	nexus-bench proxy --listen ADDR --target URL
//
// The second form is the reverse proxy itself; the harness re-executes its
// own binary with it so the proxy runs in a separate process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Environ())
	stop()
	os.Exit(code)
}

// run dispatches to the proxy subcommand or the harness. environ is passed
// to the child processes (they need PATH, HOME, GOCACHE for the build…).
func run(ctx context.Context, args []string, stdout, stderr io.Writer, environ []string) int {
	if len(args) > 0 && args[0] == "proxy" {
		if err := runProxy(ctx, args[1:], stderr); err != nil {
			fmt.Fprintln(stderr, "nexus-bench proxy:", err)
			return 1
		}
		return 0
	}
	opts, err := parseOptions(args, stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		fmt.Fprintln(stderr, "nexus-bench:", err)
		return 2
	}
	opts.environ = environ
	res, err := runHarness(ctx, opts, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "nexus-bench:", err)
		return 1
	}
	report := renderReport(res)
	fmt.Fprint(stdout, report)
	if opts.out != "" {
		if err := os.WriteFile(opts.out, []byte(report), 0o644); err != nil {
			fmt.Fprintln(stderr, "nexus-bench:", err)
			return 1
		}
	}
	// Figures taken while requests fail are not figures; say so in the
	// exit status so CI notices.
	if p := res.problems(); len(p) > 0 {
		fmt.Fprintf(stderr, "nexus-bench: %d scenario(s) had failures\n", len(p))
		return 1
	}
	return 0
}
