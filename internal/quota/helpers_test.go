package quota

import (
	"context"
	"fmt"
	"io"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// fakePricer prices in micro-dollars per token (= USD per 1M tokens).
type fakePricer map[string][2]float64 // model -> {input, output}

func (p fakePricer) Estimate(model string, in, out int) (int64, bool) {
	pr, ok := p[model]
	if !ok {
		return 0, false
	}
	return int64(math.Round(float64(in)*pr[0] + float64(out)*pr[1])), true
}

func (p fakePricer) Cost(model string, u canonical.Usage) (int64, bool) {
	return p.Estimate(model, u.InputTokens, u.OutputTokens)
}

// prices: gpt-4o $2.50/$10 per 1M, gpt-4o-mini $0.15/$0.60, free-model 0/0; "mystery" has none.
var testPrices = fakePricer{
	"gpt-4o":      {2.5, 10},
	"gpt-4o-mini": {0.15, 0.6},
	"free-model":  {0, 0},
}

// clock is a settable fake time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *clock { return &clock{t: t} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *clock) add(d time.Duration) { c.set(c.now().Add(d)) }

func mustStage(t testing.TB, q config.Quotas, now func() time.Time) *Stage {
	t.Helper()
	s, err := New(q, testPrices, nil, now)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// request builds a chat exchange for key with a body of bodyBytes bytes
// (input estimate bodyBytes/4) and max_tokens (0 = absent).
func request(t testing.TB, key *pipeline.Key, model string, bodyBytes, maxTokens int) *pipeline.Exchange {
	t.Helper()
	head := fmt.Sprintf(`{"model":%q,`, model)
	if maxTokens > 0 {
		head += fmt.Sprintf(`"max_tokens":%d,`, maxTokens)
	}
	head += `"messages":[{"role":"user","content":"`
	tail := `"}]}`
	pad := bodyBytes - len(head) - len(tail)
	if pad < 0 {
		t.Fatalf("body of %d bytes cannot hold the request skeleton (%d bytes)", bodyBytes, len(head)+len(tail))
	}
	body := []byte(head + strings.Repeat("a", pad) + tail)
	fb, err := fastpath.Peek(body)
	if err != nil {
		t.Fatalf("Peek: %v", err)
	}
	return &pipeline.Exchange{Key: key, Body: body, Fast: &fb, Model: fb.Model(), Stream: fb.Stream(),
		Ingress: pipeline.ShapeOpenAI, Endpoint: pipeline.EndpointChat}
}

// upstream is a fake terminal handler: it routes to x.Model, records the
// models it saw and answers with the usage use returns.
type upstream struct {
	mu     sync.Mutex
	models []string
	calls  atomic.Int64
	usage  func(x *pipeline.Exchange) *canonical.Usage
	err    error
	stream bool
}

func (u *upstream) Serve(_ context.Context, x *pipeline.Exchange) (*pipeline.Response, error) {
	u.calls.Add(1)
	u.mu.Lock()
	u.models = append(u.models, x.Model)
	u.mu.Unlock()
	x.Target = pipeline.Target{Model: x.Model, UpstreamModel: x.Model, Provider: "p"}
	if u.err != nil {
		return nil, u.err
	}
	var us *canonical.Usage
	if u.usage != nil {
		us = u.usage(x)
	}
	if u.stream {
		return &pipeline.Response{Stream: &fakeStream{frames: 2, usage: us}}, nil
	}
	return &pipeline.Response{Body: []byte(`{}`), Usage: us}, nil
}

func (u *upstream) lastModel() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.models) == 0 {
		return ""
	}
	return u.models[len(u.models)-1]
}

func fixedUsage(in, out int) func(*pipeline.Exchange) *canonical.Usage {
	return func(*pipeline.Exchange) *canonical.Usage { return &canonical.Usage{InputTokens: in, OutputTokens: out} }
}

// fakeStream yields frames then io.EOF; usage is reported only at the end,
// as OpenAI streams do.
type fakeStream struct {
	frames int
	sent   int
	usage  *canonical.Usage
	done   bool
	closed int
}

func (s *fakeStream) Next(context.Context) (pipeline.Frame, error) {
	if s.sent >= s.frames {
		s.done = true
		return pipeline.Frame{}, io.EOF
	}
	s.sent++
	return pipeline.Frame{Raw: []byte("data: {}\n\n")}, nil
}

func (s *fakeStream) Close() error { s.closed++; return nil }

func (s *fakeStream) Usage() *canonical.Usage {
	if !s.done {
		return nil
	}
	return s.usage
}

// drain reads a stream to its end and closes it, as ingress does.
func drain(t testing.TB, st pipeline.Stream) {
	t.Helper()
	for {
		_, err := st.Next(context.Background())
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// used reads one axis of the first rule's counter for key through State.
func used(t testing.TB, s *Stage, key *pipeline.Key, rule, axis string) int64 {
	t.Helper()
	// Settlements reach Redis asynchronously; apply this stage's first.
	if err := s.Flush(context.Background()); err != nil {
		t.Logf("Flush: %v", err)
	}
	st, err := s.State(context.Background(), key)
	if err != nil {
		t.Fatalf("State: %v", err)
	}
	for _, u := range st {
		if u.Rule == rule && u.Axis == axis {
			return u.Used
		}
	}
	t.Fatalf("no counter %s/%s for key %s in %+v", rule, axis, key.ID, st)
	return 0
}

func quotaErr(t testing.TB, err error) *canonical.Error {
	t.Helper()
	if err == nil {
		t.Fatal("want an error, got none")
	}
	e, ok := err.(*canonical.Error)
	if !ok {
		t.Fatalf("error %T %v is not a *canonical.Error", err, err)
	}
	return e
}

func (s *fakeStream) Ready() bool { return false }

// serveConcurrently sends n requests (400 bytes, max_tokens 100, answered
// with usage) at once, request i to stages[i%len(stages)], and returns how
// many were admitted; a failure other than the quota refusal fails t.
func serveConcurrently(t *testing.T, stages []*Stage, n int, usage func(*pipeline.Exchange) *canonical.Usage) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, err := stages[i%len(stages)].Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), &upstream{usage: usage})
			mu.Lock()
			defer mu.Unlock()
			switch e, _ := err.(*canonical.Error); {
			case err == nil:
				admitted++
			case e == nil || e.Code != CodeExceeded:
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	close(start)
	wg.Wait()
	return admitted
}
