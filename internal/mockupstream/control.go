package mockupstream

import (
	"bytes"
	"strconv"
	"strings"
	"time"
)

// ControlHeader is the request header carrying per-request directives.
const ControlHeader = "X-Mock-Control"

// Limits that keep a hostile or mistyped directive from exhausting memory.
const (
	defaultChunks = 8
	maxChunks     = 1 << 16
	maxBodyBytes  = 64 << 20
	maxDimensions = 1 << 14
)

const (
	bodyDirectiveOpen  = "[[mock:"
	bodyDirectiveClose = "]]"
)

// control holds the directives of one request; unset numbers are -1 or 0 as
// documented per field.
type control struct {
	status      int           // 0 = answer normally
	retryAfter  int           // seconds; -1 = unset
	failTimes   int           // 0 = status applies to every request
	failKey     string        // counter key for failTimes
	latency     time.Duration // before the answer (after headers for streams)
	stall       time.Duration // before anything, headers included
	chunks      int           // 0 = defaultChunks
	chunkDelay  time.Duration // between stream frames
	cutAfter    int           // -1 = unset
	malformed   bool
	bodyBytes   int // 0 = no padding
	fixture     string
	tool        bool
	echoHeaders bool
}

func newControl() control { return control{retryAfter: -1, cutAfter: -1} }

// chunkCount is the number of content chunks a stream carries.
func (c *control) chunkCount() int {
	if c.chunks <= 0 {
		return defaultChunks
	}
	return c.chunks
}

// parseBody applies every `[[mock: …]]` directive found in the body, in
// order, so a later one wins per key. A plain byte search: the directive
// must work through a gateway that re-encodes the body in another wire shape,
// so it cannot rely on any particular JSON field.
func (c *control) parseBody(body []byte) {
	for {
		i := bytes.Index(body, []byte(bodyDirectiveOpen))
		if i < 0 {
			return
		}
		body = body[i+len(bodyDirectiveOpen):]
		j := bytes.Index(body, []byte(bodyDirectiveClose))
		if j < 0 {
			return
		}
		c.parse(string(body[:j]))
		body = body[j+len(bodyDirectiveClose):]
	}
}

// parse applies `key=value` pairs separated by ';' or ','. Unknown keys and
// unparsable values are ignored so a typo never breaks the request itself.
func (c *control) parse(s string) {
	for s != "" {
		var pair string
		if i := strings.IndexAny(s, ";,"); i >= 0 {
			pair, s = s[:i], s[i+1:]
		} else {
			pair, s = s, ""
		}
		key, val, ok := strings.Cut(pair, "=")
		if !ok {
			continue
		}
		c.set(strings.ToLower(strings.TrimSpace(key)), strings.TrimSpace(val))
	}
}

func (c *control) set(key, val string) {
	switch key {
	case "status":
		if n, ok := atoiRange(val, 100, 599); ok {
			c.status = n
		}
	case "retry_after":
		if n, ok := atoiRange(val, 0, 1<<20); ok {
			c.retryAfter = n
		}
	case "fail_times":
		if n, ok := atoiRange(val, 0, 1<<30); ok {
			c.failTimes = n
		}
	case "fail_key":
		c.failKey = val
	case "latency":
		c.latency = parseDuration(val, c.latency)
	case "stall":
		c.stall = parseDuration(val, c.stall)
	case "chunks":
		if n, ok := atoiRange(val, 1, maxChunks); ok {
			c.chunks = n
		}
	case "chunk_delay":
		c.chunkDelay = parseDuration(val, c.chunkDelay)
	case "cut_after":
		if n, ok := atoiRange(val, 0, 1<<30); ok {
			c.cutAfter = n
		}
	case "malformed":
		c.malformed = isTrue(val)
	case "body_bytes":
		if n, ok := atoiRange(val, 0, maxBodyBytes); ok {
			c.bodyBytes = n
		}
	case "fixture":
		c.fixture = val
	case "tool":
		c.tool = isTrue(val)
	case "echo_headers":
		c.echoHeaders = isTrue(val)
	}
}

func atoiRange(s string, lo, hi int) (int, bool) {
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, false
	}
	return n, true
}

// parseDuration accepts Go durations; a bare number means milliseconds,
// which is what people type in a hurry. Invalid values keep prev.
func parseDuration(s string, prev time.Duration) time.Duration {
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return d
	}
	if n, ok := atoiRange(s, 0, 1<<30); ok {
		return time.Duration(n) * time.Millisecond
	}
	return prev
}

func isTrue(s string) bool {
	switch strings.ToLower(s) {
	case "1", "true", "yes", "on":
		return true
	}
	return false
}
