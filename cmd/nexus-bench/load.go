package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// target is one way to reach the emulator.
type target struct {
	name string
	url  string // full chat completions URL
	auth string // Authorization header value
	// server is the proxy or gateway process; nil for direct.
	server *proc
}

// newClient is the one client of the run: keep-alive pools big enough for
// the concurrency, no transparent gzip (bytes are counted as sent), HTTP/1.1
// as the servers speak it in clear text.
func newClient(concurrency int) *http.Client {
	pool := max(2*concurrency, 128)
	return &http.Client{
		Transport: &http.Transport{
			DialContext:           (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:          2 * pool,
			MaxIdleConnsPerHost:   pool,
			IdleConnTimeout:       90 * time.Second,
			DisableCompression:    true,
			ResponseHeaderTimeout: 30 * time.Second,
		},
		Timeout: 60 * time.Second,
	}
}

// chatBody is an OpenAI chat request of exactly size bytes when size allows:
// the user message is padded with prose. Streams carry the emulator
// directive asking for chunks pieces, which travels through every target
// because it is inside the body.
func chatBody(size int, stream bool, chunks int) []byte {
	const head = `{"model":"gpt-4o-mini","messages":[{"role":"user","content":"`
	directive := ""
	tail := `"}]}`
	if stream {
		directive = "[[mock: chunks=" + strconv.Itoa(chunks) + "]] "
		tail = `"}],"stream":true}`
	}
	const filler = "The quick brown fox jumps over the lazy dog while the gateway relays bytes. "
	b := make([]byte, 0, max(size, len(head)+len(directive)+len(tail)))
	b = append(b, head...)
	b = append(b, directive...)
	for pad := size - len(head) - len(directive) - len(tail); pad > 0; {
		n := min(pad, len(filler))
		b = append(b, filler[:n]...)
		pad -= n
	}
	return append(b, tail...)
}

// worker holds one client goroutine's reusable state so the harness stays
// cheap: the header map, the stream reader and the unary body buffer are
// allocated once, not per request.
type worker struct {
	client *http.Client
	t      *target
	body   []byte
	stream bool
	hdr    http.Header
	br     *bufio.Reader
	buf    bytes.Buffer
}

func newWorker(client *http.Client, t *target, body []byte, stream bool) *worker {
	hdr := http.Header{}
	hdr.Set("Content-Type", "application/json")
	hdr.Set("Authorization", t.auth)
	return &worker{client: client, t: t, body: body, stream: stream, hdr: hdr, br: bufio.NewReaderSize(nil, streamBufSize)}
}

// streamBufSize holds any normal SSE line whole; longer lines still work.
const streamBufSize = 32 << 10

// sample is one request's outcome. ttfb is zero for unary requests.
type sample struct {
	total, ttfb time.Duration
	err         error
}

// errCut marks a stream that ended without data: [DONE].
var errCut = errors.New("stream ended without data: [DONE]")

// do sends one request and reads the whole answer.
func (w *worker) do(ctx context.Context) sample {
	start := time.Now()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.t.url, bytes.NewReader(w.body))
	if err != nil {
		return sample{err: err}
	}
	req.Header = w.hdr
	resp, err := w.client.Do(req)
	if err != nil {
		return sample{err: err}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
		return sample{err: fmt.Errorf("status %d: %s", resp.StatusCode, b)}
	}
	if w.stream {
		ttfb, err := w.readStream(resp.Body, start)
		return sample{total: time.Since(start), ttfb: ttfb, err: err}
	}
	w.buf.Reset()
	if _, err := w.buf.ReadFrom(resp.Body); err != nil {
		return sample{err: fmt.Errorf("read body: %w", err)}
	}
	if !bytes.Contains(w.buf.Bytes(), []byte(`"choices"`)) {
		return sample{err: errors.New("answer is not a chat completion")}
	}
	return sample{total: time.Since(start)}
}

// readStream reads SSE lines until EOF. It returns the time from start to
// the first data: line, and errCut unless a data: [DONE] line arrived and
// the body then ended cleanly.
func (w *worker) readStream(body io.Reader, start time.Time) (time.Duration, error) {
	w.br.Reset(body)
	var ttfb time.Duration
	done, lineStart := false, true
	for {
		line, err := w.br.ReadSlice('\n')
		if lineStart && len(line) > 0 {
			if ttfb == 0 && bytes.HasPrefix(line, []byte("data:")) {
				ttfb = time.Since(start)
			}
			if bytes.HasPrefix(line, []byte("data: [DONE]")) {
				done = true
			}
		}
		// A line longer than the buffer arrives in pieces; only the first
		// piece starts a line.
		lineStart = err != bufio.ErrBufferFull
		switch {
		case err == nil || err == bufio.ErrBufferFull:
		case err == io.EOF && done:
			return ttfb, nil
		case err == io.EOF:
			return ttfb, errCut
		default:
			return ttfb, fmt.Errorf("%w: %w", errCut, err)
		}
	}
}
