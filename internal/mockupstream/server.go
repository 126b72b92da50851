package mockupstream

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a Server. The zero value works: no fixtures, logs
// discarded, the wall clock.
type Options struct {
	// FixturesDir is a folder laid out like shared/fixtures, used by the
	// fixture= directive. Empty disables replay (the directive answers 404).
	FixturesDir string
	// Logger receives startup-level and failure messages; nil discards.
	// Nothing is logged per request unless the handler enables Debug.
	Logger *slog.Logger
	// Now stamps "created" fields; nil means time.Now.
	Now func() time.Time
}

// maxRequestBody caps what one request may upload (the gateway's own caps
// are far lower; this only protects the emulator).
const maxRequestBody = 64 << 20

// pooledBufferCap is the largest buffer returned to a pool, so one huge
// request does not pin memory for the life of the process.
const pooledBufferCap = 4 << 20

// Server is the provider emulator; it implements http.Handler.
type Server struct {
	fixturesDir string
	log         *slog.Logger
	now         func() time.Time

	requests atomic.Int64

	recMu      sync.Mutex
	lastHeader http.Header
	lastBody   []byte
	lastURI    string // path and query, as sent

	failMu sync.Mutex
	fails  map[string]int // fail_key → requests seen carrying fail_times

	fixMu    sync.Mutex
	fixtures map[string]*fixture // cache of loaded fixtures by name+form

	bodyPool  sync.Pool // *bytes.Buffer for request bodies
	framePool sync.Pool // *frameSet for answers
}

// New returns a ready Server.
func New(opts Options) *Server {
	s := &Server{
		fixturesDir: opts.FixturesDir,
		log:         opts.Logger,
		now:         opts.Now,
		fails:       make(map[string]int),
		fixtures:    make(map[string]*fixture),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	s.bodyPool.New = func() any { return new(bytes.Buffer) }
	s.framePool.New = func() any { return new(frameSet) }
	return s
}

// Requests is the number of requests received so far, whatever their
// outcome; tests use it to assert attempt counts or that no call was made.
func (s *Server) Requests() int64 { return s.requests.Load() }

// LastRequest returns copies of the headers and body of the most recent
// request (nil, nil before the first one).
func (s *Server) LastRequest() (http.Header, []byte) {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	if s.lastHeader == nil {
		return nil, nil
	}
	return s.lastHeader.Clone(), bytes.Clone(s.lastBody)
}

// LastRequestURI returns the path and query of the most recent request as
// the client sent them ("" before the first one), so tests can check the
// URL scheme a gateway used (Azure deployments and api-version, say).
func (s *Server) LastRequestURI() string {
	s.recMu.Lock()
	defer s.recMu.Unlock()
	return s.lastURI
}

func (s *Server) record(r *http.Request, body []byte) {
	hc := r.Header.Clone()
	s.recMu.Lock()
	s.lastHeader = hc
	s.lastURI = r.URL.RequestURI()
	// Reuse the recorder's own buffer: with 50 KB benchmark bodies a fresh
	// copy per request would be the emulator's largest allocation.
	s.lastBody = append(s.lastBody[:0], body...)
	s.recMu.Unlock()
}

// exchange is the per-request state handed to the answer writers.
type exchange struct {
	w    http.ResponseWriter
	r    *http.Request
	rt   route
	ctl  control
	seq  int64
	body []byte
}

// ServeHTTP answers one request; see the package documentation for routes
// and directives.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	seq := s.requests.Add(1)
	x := &exchange{w: w, r: r, rt: matchRoute(r.URL.Path), ctl: newControl(), seq: seq}

	h := w.Header()
	h.Set("X-Mock-Request-Id", strconv.FormatInt(seq, 10))
	setRequestID(h, x.rt.family, seq)

	buf := s.bodyPool.Get().(*bytes.Buffer)
	defer s.putBody(buf)
	if err := readBody(buf, r); err != nil {
		if errors.Is(err, errBodyTooLarge) {
			s.writeError(x, http.StatusRequestEntityTooLarge, "")
		}
		return // the client went away mid-upload; nobody to answer
	}
	x.body = buf.Bytes()
	s.record(r, x.body)

	x.ctl.parseBody(x.body)
	x.ctl.parse(r.Header.Get(ControlHeader))
	if s.log.Enabled(r.Context(), slog.LevelDebug) {
		s.log.DebugContext(r.Context(), "mock upstream request",
			"seq", seq, "method", r.Method, "path", r.URL.Path, "bytes", len(x.body))
	}

	if x.ctl.echoHeaders {
		h.Set("X-Mock-Seen-Headers", seenHeaders(r.Header))
	}
	if x.ctl.retryAfter >= 0 {
		setRetryAfter(h, x.rt.family, x.ctl.retryAfter, s.now())
	}
	if !sleepCtx(r.Context(), x.ctl.stall) {
		return
	}
	s.dispatch(x)
}

func (s *Server) dispatch(x *exchange) {
	switch {
	case x.rt.kind == routeUnknown:
		s.writeError(x, http.StatusNotFound, "Invalid URL ("+x.r.Method+" "+x.r.URL.Path+")")
		return
	case x.r.Method != x.rt.method:
		s.writeError(x, http.StatusMethodNotAllowed, "Method "+x.r.Method+" is not allowed on "+x.r.URL.Path)
		return
	}
	if status, msg := authorize(x.rt.family, x.r); status != 0 {
		s.writeError(x, status, msg)
		return
	}
	if status := s.injectedStatus(&x.ctl); status != 0 {
		s.writeError(x, status, "")
		return
	}
	if x.ctl.fixture != "" {
		s.replayFixture(x)
		return
	}
	ri := parseRequest(x.rt, x.body)
	switch x.rt.kind {
	case routeChat:
		s.serveChat(x, &ri)
	case routeEmbeddings:
		s.serveEmbeddings(x, &ri)
	case routeModels:
		s.serveModels(x)
	case routeMessages:
		s.serveMessages(x, &ri)
	case routeResponses:
		s.serveResponses(x, &ri)
	case routeGenerate, routeStreamGenerate:
		s.serveGemini(x, &ri)
	case routeGeminiEmbed, routeGeminiBatchEmbed:
		s.serveGeminiEmbed(x, x.rt.kind == routeGeminiBatchEmbed)
	}
}

// injectedStatus applies status= together with fail_times=/fail_key=.
func (s *Server) injectedStatus(c *control) int {
	if c.status < 400 {
		return 0
	}
	if c.failTimes <= 0 {
		return c.status
	}
	s.failMu.Lock()
	s.fails[c.failKey]++
	n := s.fails[c.failKey]
	s.failMu.Unlock()
	if n <= c.failTimes {
		return c.status
	}
	return 0
}

var errBodyTooLarge = errors.New("mockupstream: request body too large")

func readBody(buf *bytes.Buffer, r *http.Request) error {
	buf.Reset()
	if r.Body == nil {
		return nil
	}
	if r.ContentLength > maxRequestBody {
		return errBodyTooLarge
	}
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	n, err := buf.ReadFrom(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return err
	}
	if n > maxRequestBody {
		return errBodyTooLarge
	}
	return nil
}

func (s *Server) putBody(b *bytes.Buffer) {
	if b.Cap() <= pooledBufferCap {
		s.bodyPool.Put(b)
	}
}

// authorize checks the credential each provider demands, returning the
// status and message of the provider's refusal. It never looks at the key's
// value beyond emptiness, so nothing can leak it into an answer.
func authorize(f family, r *http.Request) (int, string) {
	switch f {
	case famAnthropic:
		// x-api-key is the documented carrier; anthropic-sdk-go v2 sends
		// its API key as a bearer token instead, which the API accepts.
		if r.Header.Get("X-Api-Key") == "" && !hasBearer(r) {
			return http.StatusUnauthorized, "x-api-key header is required"
		}
		if r.Header.Get("Anthropic-Version") == "" {
			return http.StatusBadRequest, "anthropic-version: header is required"
		}
	case famGemini:
		if r.Header.Get("X-Goog-Api-Key") != "" || r.URL.Query().Get("key") != "" {
			return 0, ""
		}
		if strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
			// Google treats a bearer token as OAuth, which this emulator
			// does not accept: the real API answers 401 UNAUTHENTICATED.
			return http.StatusUnauthorized, "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential."
		}
		return http.StatusForbidden, "Method doesn't allow unregistered callers (callers without established identity). Please use API key or other form of API consumer identity to call this API."
	default:
		if hasBearer(r) {
			return 0, ""
		}
		if r.Header.Get("Api-Key") != "" { // Azure OpenAI's key header
			return 0, ""
		}
		return http.StatusUnauthorized, "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
	}
	return 0, ""
}

// hasBearer reports a non-empty "Authorization: Bearer" credential.
func hasBearer(r *http.Request) bool {
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	return ok && strings.TrimSpace(tok) != ""
}

func setRequestID(h http.Header, f family, seq int64) {
	switch f {
	case famOpenAI:
		h["X-Request-Id"] = []string{string(appendID(make([]byte, 0, 24), "req_", seq))}
	case famAnthropic:
		h["Request-Id"] = []string{string(appendID(make([]byte, 0, 24), "req_", seq))}
	}
}

// setRetryAfter adds Retry-After and the provider's own reset headers, which
// SDKs read in preference (openai-python honours retry-after-ms).
func setRetryAfter(h http.Header, f family, secs int, now time.Time) {
	v := strconv.Itoa(secs)
	h.Set("Retry-After", v)
	switch f {
	case famOpenAI:
		h.Set("Retry-After-Ms", strconv.Itoa(secs*1000))
		h.Set("X-Ratelimit-Reset-Requests", v+"s")
		h.Set("X-Ratelimit-Reset-Tokens", v+"s")
	case famAnthropic:
		reset := now.Add(time.Duration(secs) * time.Second).UTC().Format(time.RFC3339)
		h.Set("Anthropic-Ratelimit-Requests-Reset", reset)
		h.Set("Anthropic-Ratelimit-Tokens-Reset", reset)
	}
}

// seenHeaders lists the names (never the values) of the request headers.
func seenHeaders(h http.Header) string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	return strings.Join(names, ",")
}

// sleepCtx waits d or until ctx ends; false means the client is gone.
func sleepCtx(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
