package route

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	openaifmt "github.com/nexus-gateway/nexus/internal/format/openai"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// clock is a manual clock.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// seeded is a deterministic Rand safe for concurrent use.
func seeded(seed uint64) func() float64 {
	var mu sync.Mutex
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	return func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return r.Float64()
	}
}

// sleeps records backoff waits and advances the clock instead of sleeping.
type sleeps struct {
	mu    sync.Mutex
	clock *clock
	waits []time.Duration
}

func (s *sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.waits = append(s.waits, d)
	s.mu.Unlock()
	if s.clock != nil {
		s.clock.Advance(d)
	}
	return ctx.Err()
}

func (s *sleeps) total() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	var t time.Duration
	for _, w := range s.waits {
		t += w
	}
	return t
}

// call is one adapter invocation as the fake saw it.
type call struct {
	target pipeline.Target
	cred   string
}

// fake is a scripted adapter. Each credential of each provider gets its own
// fake (bound to a name); all of them share one script and one call log.
type fake struct {
	mu     sync.Mutex
	calls  []call
	script func(n int, c call) (*pipeline.Response, error) // n counts calls from 0
}

func (f *fake) bind(cred string) Adapter { return &bound{f: f, cred: cred} }

type bound struct {
	f    *fake
	cred string
}

func (b *bound) Do(ctx context.Context, x *pipeline.Exchange, t pipeline.Target) (*pipeline.Response, error) {
	b.f.mu.Lock()
	c := call{target: t, cred: b.cred}
	n := len(b.f.calls)
	b.f.calls = append(b.f.calls, c)
	script := b.f.script
	b.f.mu.Unlock()
	if script == nil {
		return okResponse(), nil
	}
	return script(n, c)
}

func (f *fake) log() []call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]call(nil), f.calls...)
}

// providers of the test catalogue, in call-log notation "provider/upstream".
func (f *fake) path() []string {
	var out []string
	for _, c := range f.log() {
		out = append(out, c.target.Provider+"/"+c.target.UpstreamModel)
	}
	return out
}

func okResponse() *pipeline.Response { return &pipeline.Response{Status: 200, Body: []byte(`{}`)} }

func upstreamErr(status int, retryAfter time.Duration) error {
	return &canonical.Error{Kind: canonical.KindForStatus(status), Status: status, Code: "upstream",
		Message: "upstream said " + http.StatusText(status), RetryAfter: retryAfter,
		Upstream: &canonical.UpstreamError{Format: "openai", Body: []byte(`{"error":{"message":"x"}}`)}}
}

func networkErr() error {
	return &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Code: "upstream_unreachable", Message: "could not be reached"}
}

func timeoutErr() error {
	return &canonical.Error{Kind: canonical.KindTimeout, Status: 504, Code: "upstream_timeout", Message: "timed out"}
}

func price(v float64) *float64 { return &v }

var allFeatures = []string{"vision", "function_calling", "json_schema", "streaming"}

// model builds a catalogue entry served by provider p with upstream id = name.
func model(name, p string, in, out float64, features ...string) Model {
	m := Model{Name: name, Provider: p, ProviderType: "openai", Wire: pipeline.ShapeOpenAI, UpstreamModel: name,
		Type: "chat", Features: features, ContextWindow: 128000}
	if features == nil {
		m.Features = allFeatures
	}
	if in >= 0 {
		m.InputPrice, m.OutputPrice = price(in), price(out)
	}
	return m
}

// env is a router over a fake adapter with a manual clock and seeded rand.
type env struct {
	r      *Router
	f      *fake
	clock  *clock
	sleeps *sleeps
}

// newEnv builds a router; providers get one credential each unless creds
// names more ("p": {"a", "b"}), weights 1.
func newEnv(t testing.TB, o Options, creds map[string][]string) *env {
	t.Helper()
	e := &env{f: &fake{}, clock: newClock()}
	e.sleeps = &sleeps{clock: e.clock}
	names := map[string]bool{}
	for _, m := range o.Models {
		names[m.Provider] = true
	}
	for _, p := range o.Providers {
		names[p.Name] = false
	}
	for p, missing := range names {
		if !missing {
			continue
		}
		prov := Provider{Name: p}
		cs := creds[p]
		if cs == nil {
			cs = []string{"default"}
		}
		for _, c := range cs {
			prov.Credentials = append(prov.Credentials, Credential{Name: c, Adapter: e.f.bind(c)})
		}
		o.Providers = append(o.Providers, prov)
	}
	if o.Now == nil {
		o.Now = e.clock.Now
	}
	if o.Rand == nil {
		o.Rand = seeded(1)
	}
	if o.Sleep == nil {
		o.Sleep = e.sleeps.Sleep
	}
	r, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.r = r
	return e
}

// exchange builds an OpenAI-shaped request as ingress would.
func exchange(t testing.TB, body string) *pipeline.Exchange {
	t.Helper()
	fb, err := fastpath.Peek([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Exchange{Ingress: pipeline.ShapeOpenAI, Endpoint: pipeline.EndpointChat, Body: []byte(body),
		Model: fb.Model(), Stream: fb.Stream(), Fast: &fb, Decode: openaifmt.DecodeRequest, Header: http.Header{}}
}

func chat(model string) string {
	return `{"model":"` + model + `","messages":[{"role":"user","content":"hi"}]}`
}

// stream is a scripted pipeline.Stream: frames, then err (io.EOF for a
// clean end). failAt >= 0 returns err before frame failAt.
type stream struct {
	frames []string
	failAt int
	err    error
	pos    int
	closed int
}

func (s *stream) Next(context.Context) (pipeline.Frame, error) {
	if s.failAt >= 0 && s.pos == s.failAt {
		return pipeline.Frame{}, s.err
	}
	if s.pos >= len(s.frames) {
		return pipeline.Frame{}, io.EOF
	}
	s.pos++
	return pipeline.Frame{Raw: []byte(s.frames[s.pos-1])}, nil
}

func (s *stream) Close() error            { s.closed++; return nil }
func (s *stream) Usage() *canonical.Usage { return nil }

func ceOf(t *testing.T, err error) *canonical.Error {
	t.Helper()
	var ce *canonical.Error
	if !errors.As(err, &ce) {
		t.Fatalf("error %v is not a *canonical.Error", err)
	}
	return ce
}

func (s *stream) Ready() bool { return false }
