package provider

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// TransportError classifies a failure to get an upstream answer at all:
// timeouts before the first byte and refused connections are retryable
// upstream conditions; the caller's own cancellation is not an upstream fault.
func TransportError(call *Call, provider string, err error) *canonical.Error {
	cause := call.Cause()
	switch {
	case errors.Is(cause, ErrTotalTimeout):
		return &canonical.Error{Kind: canonical.KindTimeout, Status: http.StatusGatewayTimeout, Code: "upstream_timeout",
			Message: fmt.Sprintf("provider %s did not finish within the total timeout", provider), Cause: err}
	case errors.Is(cause, ErrIdleTimeout):
		return &canonical.Error{Kind: canonical.KindTimeout, Status: http.StatusGatewayTimeout, Code: "upstream_idle_timeout",
			Message: fmt.Sprintf("provider %s stopped sending data (idle timeout)", provider), Cause: err}
	case cause != nil && errors.Is(cause, context.Canceled) || errors.Is(err, context.Canceled):
		return &canonical.Error{Kind: canonical.KindUpstream, Status: 499, Code: "CLIENT_CLOSED",
			Message: "client closed the request", Cause: err}
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return &canonical.Error{Kind: canonical.KindTimeout, Status: http.StatusGatewayTimeout, Code: "upstream_timeout",
			Message: fmt.Sprintf("provider %s timed out before answering", provider), Cause: err}
	}
	return &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_unreachable",
		Message: fmt.Sprintf("provider %s could not be reached", provider), Cause: err}
}

// MidStreamError classifies a read failure after the stream began: our own
// watchdogs and the client's departure keep their meaning; anything else
// (reset, unexpected EOF) means the upstream cut the stream.
func MidStreamError(call *Call, provider string, err error) *canonical.Error {
	if call.Cause() != nil {
		return TransportError(call, provider, err)
	}
	return StreamCut(provider, err)
}

// StreamCut is the error for a stream that ended without its terminal signal.
func StreamCut(provider string, err error) *canonical.Error {
	if errors.Is(err, io.EOF) {
		// A cut is no clean end, and stream consumers test errors.Is(err,
		// io.EOF) for exactly that: an upstream that closed before its
		// terminal frame must not read as a finished stream.
		err = io.ErrUnexpectedEOF
	}
	return &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Code: "upstream_error",
		Message: fmt.Sprintf("provider %s ended the stream before completion", provider), Cause: err}
}

// RetryAfter parses a Retry-After header (seconds or HTTP date).
func RetryAfter(h http.Header, now time.Time) time.Duration {
	v := h.Get("Retry-After")
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseFloat(v, 64); err == nil && s >= 0 {
		return time.Duration(s * float64(time.Second))
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// Scrub replaces every occurrence of the secrets in b with [redacted]. An
// upstream that echoes the key it received (some do, in 401 bodies) must not
// hand our credential to the caller.
func Scrub(b []byte, secrets ...Secret) []byte {
	for _, s := range secrets {
		k := s.Reveal()
		if len(k) < 4 || indexSecret(b, k) < 0 {
			continue
		}
		b = bytes.ReplaceAll(b, []byte(k), []byte("[redacted]"))
	}
	return b
}

// indexSecret is bytes.Index(b, k) for a credential k, which the relay runs
// on every batch of frames. A key's first byte is often one JSON text is
// full of (the s of "sk-…"), which sends bytes.Index through a false start
// every few bytes; anchoring on the key's rarest-looking byte (an uppercase
// letter, a digit) turns the search into an IndexByte sweep with few
// candidates.
func indexSecret(b []byte, k string) int {
	a := anchorOf(k)
	c := k[a]
	for off := a; off < len(b); {
		i := bytes.IndexByte(b[off:], c)
		if i < 0 {
			return -1
		}
		if p := off + i - a; p+len(k) <= len(b) && string(b[p:p+len(k)]) == k {
			return p
		}
		off += i + 1
	}
	return -1
}

// anchorOf picks the index of the byte of k least likely to occur in JSON
// text: rare uppercase letters, then other uppercase, rare lowercase,
// digits, and anything else last.
func anchorOf(k string) int {
	rank := func(c byte) int {
		switch {
		case strings.IndexByte("QZXJKVWY", c) >= 0:
			return 0
		case c >= 'A' && c <= 'Z':
			return 1
		case strings.IndexByte("qzxjkvwy", c) >= 0:
			return 2
		case c >= '0' && c <= '9':
			return 3
		case c >= 'a' && c <= 'z':
			return 4
		}
		return 5
	}
	best := 0
	for i := 1; i < len(k); i++ {
		if rank(k[i]) < rank(k[best]) {
			best = i
		}
	}
	return best
}
