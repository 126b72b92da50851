// Command nexus is the Nexus AI gateway: `nexus serve` runs it, `nexus keys`
// manages virtual keys, `nexus mock-upstream` runs the provider emulator.
// main only parses flags and the environment and calls into internal
// packages; it exits with run's result.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const usage = `nexus — an AI traffic gateway

usage:
  nexus serve [--config FILE]                start the gateway
  nexus keys create --name NAME [--models GLOB,...] [--rpm N] [--expires DURATION] [--label k=v] [--config FILE]
  nexus keys list|disable|enable|revoke [ID|NAME] [--config FILE]
  nexus providers set-key NAME [--config FILE]   read a provider key on stdin, store it sealed (needs NEXUS_MASTER_KEY)
  nexus providers list [--config FILE]
  nexus route explain --model M [--key K] [--ingress openai|anthropic|gemini] [--tag T] [--config FILE]   targets a request would get, and why not the others
  nexus usage [--by key|model|provider|day] [--since DATE|24h|7d] [--config FILE]
  nexus mock-upstream [--listen HOST:PORT] [--fixtures DIR]
  nexus version
`

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], stderr, getenv)
	case "keys":
		err = keys(ctx, args[1:], stdout, getenv)
	case "providers":
		err = providers(ctx, args[1:], stdin, stdout, getenv)
	case "route":
		err = routeCmd(ctx, args[1:], stdout, getenv)
	case "usage":
		err = usageCmd(ctx, args[1:], stdout, getenv)
	case "mock-upstream":
		err = mockUpstream(ctx, args[1:], stderr)
	case "version", "--version", "-v":
		fmt.Fprintln(stdout, "nexus", version)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
	default:
		fmt.Fprintf(stderr, "nexus: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
	if err != nil {
		fmt.Fprintln(stderr, "nexus:", err)
		return 1
	}
	return 0
}
