package provider

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"sync"
	"time"
)

// NewClient builds the HTTP client for one provider. Timeouts are enforced
// where they can be exact: connect in the dialer, first byte as the
// transport's response-header timeout, total and idle by the caller's context
// (see Call). Pool sizes follow SPEC §14: a gateway multiplexes many clients
// onto few upstream hosts, so idle connections per host must be plentiful.
func NewClient(t Timeouts) *http.Client {
	t = t.WithDefaults()
	dialer := &net.Dialer{Timeout: t.Connect, KeepAlive: 30 * time.Second}
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           dialer.DialContext,
		TLSHandshakeTimeout:   t.Connect,
		ResponseHeaderTimeout: t.FirstByte,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          2000,
		MaxIdleConnsPerHost:   500,
		IdleConnTimeout:       90 * time.Second,
		ForceAttemptHTTP2:     true,
		// The gateway relays bytes as they come; transparent gzip would make
		// the transport buffer and decompress behind our back, and we never
		// forward the client's Accept-Encoding (SPEC §5.9).
		DisableCompression: true,
		// Larger than the 4 KiB default: a 50 KB prompt then leaves in one
		// or two writes instead of thirteen, and a stream's buffered
		// frames come in with fewer reads (measured in docs/performance.md).
		ReadBufferSize:  32 << 10,
		WriteBufferSize: 32 << 10,
	}
	return &http.Client{
		Transport: tr,
		// Upstream redirects are not followed: a provider redirect is an
		// error to surface, never a reason to resend credentials elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Errors that say which watchdog ended a call; they are the cancellation
// causes of the call context.
var (
	ErrIdleTimeout  = errors.New("upstream stream idle timeout")
	ErrTotalTimeout = errors.New("upstream total timeout")
)

// Call is one upstream HTTP call bounded by the total and idle timeouts.
// Close it exactly once when done with the response body.
type Call struct {
	Ctx    context.Context
	cancel context.CancelCauseFunc
	stop   func() bool
	idle   time.Duration
	timer  *time.Timer
	once   sync.Once
}

// NewCall derives the call context from parent (so a client disconnect
// cancels the upstream call) and arms the total-timeout watchdog.
func NewCall(parent context.Context, t Timeouts) *Call {
	t = t.WithDefaults()
	ctx, cancel := context.WithCancelCause(parent)
	c := &Call{Ctx: ctx, cancel: cancel, idle: t.Idle}
	total := time.AfterFunc(t.Total, func() { cancel(ErrTotalTimeout) })
	c.stop = total.Stop
	return c
}

// WatchBody wraps a response body so that a gap longer than the idle timeout
// between two reads cancels the call. Resetting a per-call timer on each read
// costs no lock shared with other requests.
func (c *Call) WatchBody(body io.ReadCloser) io.ReadCloser {
	c.timer = time.AfterFunc(c.idle, func() { c.cancel(ErrIdleTimeout) })
	return &watchedBody{rc: body, call: c}
}

// Cause reports why the call context ended (nil while it is live).
func (c *Call) Cause() error { return context.Cause(c.Ctx) }

// Close stops the watchdogs and releases the context.
func (c *Call) Close() {
	c.once.Do(func() {
		c.stop()
		if c.timer != nil {
			c.timer.Stop()
		}
		c.cancel(context.Canceled)
	})
}

type watchedBody struct {
	rc   io.ReadCloser
	call *Call
}

func (w *watchedBody) Read(p []byte) (int, error) {
	n, err := w.rc.Read(p)
	if n > 0 {
		w.call.timer.Reset(w.call.idle)
	}
	return n, err
}

func (w *watchedBody) Close() error { return w.rc.Close() }
