package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/gateway"
	"github.com/nexus-gateway/nexus/internal/logsink"
	"github.com/nexus-gateway/nexus/internal/mockupstream"
)

func loadConfig(path string, getenv func(string) string) (*config.Config, error) {
	if path == "" {
		path = getenv("NEXUS_CONFIG")
	}
	if path == "" {
		cfg := config.Default(getenv)
		return cfg, cfg.Validate()
	}
	return config.Load(path, getenv)
}

// newLogger builds the process logger on w. With a sink, w is that sink
// and records of level Warn and above flush it at once.
func newLogger(cfg *config.Config, w io.Writer, sink *logsink.Sink) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(cfg.Log.Level))
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewJSONHandler(w, opts)
	if cfg.Log.Format == "text" {
		h = slog.NewTextHandler(w, opts)
	}
	if sink != nil {
		h = logsink.Handler(h, sink)
	}
	return slog.New(h)
}

func serve(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfgPath := fs.String("config", "", "configuration file (default: built-in defaults and providers from the environment)")
	listen := fs.String("listen", "", "override the listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	if *listen != "" {
		cfg.Listen = *listen
	}
	// Log lines wait in memory up to log.flush_interval and leave together
	// (one write per batch instead of one per request).
	out, sink := stderr, (*logsink.Sink)(nil)
	if cfg.Log.FlushInterval > 0 {
		sink = logsink.New(stderr, cfg.Log.FlushInterval)
		defer sink.Close() // deferred first, so it runs last: after the shutdown lines
		out = sink
	}
	log := newLogger(cfg, out, sink)
	tuneGC(getenv)
	gw, err := gateway.New(ctx, gateway.Options{Config: cfg, Logger: log, Getenv: getenv})
	if err != nil {
		return err
	}
	defer gw.Close()

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           gw.Handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		// No WriteTimeout: streams may legitimately last minutes; upstream
		// total/idle timeouts bound them instead.
	}
	log.Info("nexus listening", "addr", ln.Addr().String(), "config", cfg.Source,
		"providers", len(cfg.Providers), "models", len(cfg.Models), "version", version)
	if sink != nil {
		_ = sink.Flush() // whoever waits for the address sees it now
	}
	return runServer(ctx, srv, ln, cfg.Timeouts.Drain, log)
}

// runServer serves until ctx ends, then shuts down gracefully: stop
// accepting, let in-flight requests and streams finish for up to drain, then
// close what is left.
func runServer(ctx context.Context, srv *http.Server, ln net.Listener, drain time.Duration, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "drain", drain.String())
	sctx, cancel := context.WithTimeout(context.Background(), drain)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		log.Warn("drain timeout reached; closing remaining connections")
		err = srv.Close()
	}
	if serr := <-errc; serr != nil && !errors.Is(serr, http.ErrServerClosed) {
		return serr
	}
	return err
}

func mockUpstream(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("mock-upstream", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:9001", "listen address")
	fixtures := fs.String("fixtures", "", "folder laid out like shared/fixtures, for replay (fixture=<folder>/<name>)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(stderr, nil))
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mockupstream.New(mockupstream.Options{FixturesDir: *fixtures, Logger: log}), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "nexus mock-upstream listening on %s\n", ln.Addr())
	return runServer(ctx, srv, ln, 5*time.Second, log)
}

// tuneGC runs the collector less often than Go's default (GOGC=100) unless
// the operator set GOGC. A gateway's live heap is small (caches, pools,
// connection state: tens of MB) while it allocates per request, so at 100
// it collects many times a second under load; at 400 it spent about 5 % of
// its CPU less on marking in the stream benchmark (docs/performance.md), for
// a heap that peaks at about five times the live set instead of twice. A
// soft memory limit (GOMEMLIMIT) still takes precedence when set.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
}
