package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"time"
)

// runProxy is `nexus-bench proxy`: the least a Go reverse proxy can do —
// httputil.ReverseProxy with immediate flushing and a connection pool large
// enough for the load — so the report can separate what any proxy costs from
// what the gateway adds on top.
func runProxy(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("proxy", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "listen address")
	target := fs.String("target", "", "upstream base URL, e.g. http://127.0.0.1:9001")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *target == "" {
		return errors.New("--target is required")
	}
	u, err := url.Parse(*target)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("--target %q: want an absolute URL", *target)
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv := &http.Server{
		Handler:           newProxyHandler(u, stderr),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          log.New(stderr, "proxy: ", log.LstdFlags),
	}
	// The harness waits for this line to learn the port.
	fmt.Fprintf(stderr, "nexus-bench proxy listening on %s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}

// newProxyHandler is the reverse proxy with one fix it cannot do without.
// The HTTP/1 server drains and closes the request body when response
// headers are written, while the transport may still be making its final
// read of that body to check its length; the read fails, the transport
// closes the upstream connection and the stream being relayed is cut
// (golang/go#40747; about 1 stream in 30 here). Full duplex keeps the body
// open; it adds no work per request.
func newProxyHandler(target *url.URL, stderr io.Writer) http.Handler {
	rp := newReverseProxy(target, stderr)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		rp.ServeHTTP(w, r)
	})
}

func newReverseProxy(target *url.URL, stderr io.Writer) *httputil.ReverseProxy {
	tr := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		ExpectContinueTimeout: time.Second,
		// Bytes are relayed as they come, like the gateway does.
		DisableCompression: true,
	}
	return &httputil.ReverseProxy{
		Rewrite:       func(r *httputil.ProxyRequest) { r.SetURL(target) },
		Transport:     tr,
		FlushInterval: -1,
		ErrorLog:      log.New(stderr, "proxy: ", log.LstdFlags),
	}
}
