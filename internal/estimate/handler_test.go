package estimate

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// post sends an estimate body with a good key and decodes the 200 answer.
func post(t *testing.T, h *Handler, body string) estimateResponse {
	t.Helper()
	rec := serve(h, "nvk_good", body)
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	var out estimateResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatal(err)
	}
	return out
}

func serve(h *Handler, token, body string) *httptest.ResponseRecorder {
	req := httptest.NewRequest(http.MethodPost, "/v1/estimate", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

const hello = `{"request":{"messages":[{"role":"user","content":"Hello"}]},"compareTargets":[{"modelId":"gpt-4o"}]}`

func TestCompareBucketKeyAndLimit(t *testing.T) {
	cases := []struct {
		name      string
		rpm       int
		wantCalls int
		wantRPM   int
	}{
		{"default limit", 0, 1, DefaultCompareRPM},
		{"configured limit", 5, 1, 5},
		{"negative disables", -1, 0, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, lim := newHandler()
			h.CompareRPM = c.rpm
			post(t, h, hello)
			if len(lim.calls) != c.wantCalls {
				t.Fatalf("limiter asked %d times, want %d", len(lim.calls), c.wantCalls)
			}
			if c.wantCalls > 0 && (lim.calls[0] != "key-good:compare" || lim.rpms[0] != c.wantRPM) {
				t.Errorf("limiter asked for %q at %d, want key-good:compare at %d", lim.calls[0], lim.rpms[0], c.wantRPM)
			}
		})
	}
}

func TestRateLimitedBeforeTheBodyIsRead(t *testing.T) {
	h, _ := newHandler()
	// A body that is not even JSON: the 429 must come first.
	rec := serve(h, "nvk_throttled", "not json")
	if rec.Code != http.StatusTooManyRequests || rec.Header().Get("Retry-After") != "2" {
		t.Errorf("status %d, Retry-After %q", rec.Code, rec.Header().Get("Retry-After"))
	}
}

func TestUnauthorizedBeforeTheBodyIsRead(t *testing.T) {
	h, lim := newHandler()
	rec := serve(h, "nvk_nobody", "not json")
	if rec.Code != http.StatusUnauthorized || len(lim.calls) != 0 {
		t.Errorf("status %d, limiter calls %d", rec.Code, len(lim.calls))
	}
}

func TestSlowTargetFailsAtTheDeadlineOthersAnswer(t *testing.T) {
	models := testModels()
	models.block, models.release = "deepseek-chat", make(chan struct{})
	defer close(models.release)
	h := &Handler{Models: models, Auth: stubAuth{}, Timeout: 100 * time.Millisecond}
	start := time.Now()
	out := post(t, h, `{"request":{"messages":[{"role":"user","content":"Hello"}]},
		"compareTargets":[{"modelId":"gpt-4o"},{"modelId":"deepseek-chat"},{"modelId":"gemini-2.5-flash"}]}`)
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("answer took %v with a 100ms deadline", d)
	}
	if out.Targets[0].Error != nil || out.Targets[2].Error != nil {
		t.Errorf("fast targets failed: %+v %+v", out.Targets[0].Error, out.Targets[2].Error)
	}
	e := out.Targets[1].Error
	if e == nil || e.Code != codeEstimateFailed || !strings.Contains(e.Message, "time limit") {
		t.Errorf("slow target: %+v", e)
	}
	if out.Targets[1].ModelCode != "deepseek-chat" || out.Summary.ErrorsCount != 1 || out.Summary.SuccessCount != 2 {
		t.Errorf("slow target echo or summary wrong: %+v %+v", out.Targets[1], out.Summary)
	}
}

// countingModels records how many Resolve calls run at once.
type countingModels struct {
	Models
	cur, peak atomic.Int32
}

func (c *countingModels) Resolve(name string) (Model, bool) {
	n := c.cur.Add(1)
	for {
		p := c.peak.Load()
		if n <= p || c.peak.CompareAndSwap(p, n) {
			break
		}
	}
	time.Sleep(20 * time.Millisecond)
	c.cur.Add(-1)
	return c.Models.Resolve(name)
}

func TestTargetsRunConcurrentlyWithinTheLimit(t *testing.T) {
	models := &countingModels{Models: testModels()}
	h := &Handler{Models: models, Auth: stubAuth{}, Concurrency: 3}
	targets := strings.TrimSuffix(strings.Repeat(`{"modelId":"gpt-4o"},`, 10), ",")
	out := post(t, h, `{"request":{"messages":[{"role":"user","content":"Hello"}]},"compareTargets":[`+targets+`]}`)
	if out.Summary.SuccessCount != 10 {
		t.Fatalf("summary %+v", out.Summary)
	}
	if p := models.peak.Load(); p < 2 || p > 3 {
		t.Errorf("peak concurrency %d, want 2..3", p)
	}
}

// panicModels panics on one model.
type panicModels struct{ Models }

func (p panicModels) Resolve(name string) (Model, bool) {
	if name == "boom" {
		panic("resolver bug")
	}
	return p.Models.Resolve(name)
}

func TestPanicFailsOnlyItsTarget(t *testing.T) {
	h := &Handler{Models: panicModels{testModels()}, Auth: stubAuth{}}
	out := post(t, h, `{"request":{"messages":[{"role":"user","content":"Hi"}]},"compareTargets":[{"modelId":"boom"},{"modelId":"gpt-4o"}]}`)
	if e := out.Targets[0].Error; e == nil || e.Code != codeEstimateFailed {
		t.Errorf("panicking target: %+v", e)
	}
	if out.Targets[1].Error != nil {
		t.Errorf("other target failed: %+v", out.Targets[1].Error)
	}
}

func TestProviderIDDisambiguatesWithoutResolveOn(t *testing.T) {
	h := &Handler{Models: resolveOnly{testModels()}, Auth: stubAuth{}}
	out := post(t, h, `{"request":{"messages":[{"role":"user","content":"Hi"}]},"compareTargets":[
		{"providerId":"openai","modelId":"gpt-4o"},{"providerId":"azure","modelId":"gpt-4o"},{"providerId":"azure","modelId":"azure-gpt-4o"}]}`)
	if out.Targets[0].Error != nil || out.Targets[0].ProviderName != "openai" {
		t.Errorf("openai/gpt-4o: %+v", out.Targets[0])
	}
	if e := out.Targets[1].Error; e == nil || e.Code != codeTargetNotFound {
		t.Errorf("azure/gpt-4o without ResolveOn must not resolve to the openai model: %+v", out.Targets[1])
	}
	if out.Targets[2].Error != nil || out.Targets[2].ModelCode != "azure-gpt-4o" {
		t.Errorf("azure/azure-gpt-4o: %+v", out.Targets[2])
	}
}

func TestAllowedFunctionOverridesTheGlobs(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	h := &Handler{Models: testModels(), Auth: stubAuth{}, Allowed: func(k *pipeline.Key, m Model) bool {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, k.ID+"/"+m.Code)
		return m.Provider != "anthropic"
	}}
	out := post(t, h, `{"request":{"messages":[{"role":"user","content":"Hi"}]},"compareTargets":[{"modelId":"gpt-4o"},{"modelId":"sonnet"}]}`)
	if out.Targets[0].Error != nil {
		t.Errorf("gpt-4o: %+v", out.Targets[0].Error)
	}
	if e := out.Targets[1].Error; e == nil || e.Code != codeModelNotAllowed || out.Targets[1].ModelID != nil {
		t.Errorf("sonnet: %+v (modelId must stay null)", out.Targets[1])
	}
	if len(seen) != 2 {
		t.Errorf("Allowed called for %v", seen)
	}
}

func TestCheapestAndMostExpensiveByExpectedTotal(t *testing.T) {
	h, _ := newHandler()
	out := post(t, h, `{"request":{"messages":[{"role":"user","content":"Hi"}],"max_tokens":400},
		"compareTargets":[{"modelId":"gpt-4o"},{"modelId":"deepseek-chat"},{"modelId":"claude-opus-4-6"},{"modelId":"nope"}]}`)
	s := out.Summary
	if s.CheapestExpectedTarget == nil || *s.CheapestExpectedTarget != "deepseek-chat" {
		t.Fatalf("cheapest %v", s.CheapestExpectedTarget)
	}
	var lo, hi float64 = 1e9, 0
	for _, tr := range out.Targets {
		if tr.Error == nil {
			lo, hi = min(lo, tr.Cost.Expected.Total), max(hi, tr.Cost.Expected.Total)
		}
	}
	if *s.CheapestExpectedTotalUSD != lo || *s.MostExpensiveExpectedTotalUSD != hi || s.ErrorsCount != 1 || s.SuccessCount != 3 {
		t.Errorf("summary %+v, want %v..%v", s, lo, hi)
	}
}

func TestSummaryIsNullWithoutSuccess(t *testing.T) {
	h, _ := newHandler()
	rec := serve(h, "nvk_good", `{"request":{},"compareTargets":[{"modelId":"nope"}]}`)
	want := `"summary":{"cheapestExpectedTarget":null,"cheapestExpectedTotalUsd":null,"mostExpensiveExpectedTotalUsd":null,"errorsCount":1,"successCount":0}`
	if !strings.Contains(rec.Body.String(), want) {
		t.Errorf("body %s", rec.Body)
	}
}

// TestCostIsTheFormulaOfTheTokens checks an answer against the cost
// formula by hand: gpt-4o, 46 input tokens, output 66 / 200 / 600.
func TestCostIsTheFormulaOfTheTokens(t *testing.T) {
	h, _ := newHandler()
	out := post(t, h, `{"request":{"messages":[
		{"role":"system","content":"You are a concise assistant that answers questions about European history."},
		{"role":"user","content":"Summarise the causes of the First World War in three bullet points, then name the treaty that ended it."}],
		"max_tokens":800},"compareTargets":[{"modelId":"gpt-4o"}]}`)
	tr := out.Targets[0]
	if tr.Tokens.UncachedInput != 46 || tr.Tokens.Output != (span{66, 200, 600}) {
		t.Fatalf("tokens %+v", tr.Tokens)
	}
	// 46 × 2.50 = 115 µ$; 200 × 10 = 2000 µ$; total 2115 µ$ = $0.002115.
	e := tr.Cost.Expected
	if e.UncachedInput != 0.000115 || e.Output != 0.002 || e.Total != 0.002115 || e.CacheRead != 0 || e.CacheWrite != 0 {
		t.Errorf("expected cost %+v", e)
	}
	// 600 × 10 = 6000 µ$ → 0.006115.
	if tr.Cost.High.Total != 0.006115 || tr.Cost.Low.Total != 0.000775 {
		t.Errorf("low %v high %v", tr.Cost.Low.Total, tr.Cost.High.Total)
	}
}

func BenchmarkServeEstimate(b *testing.B) {
	h, _ := newHandler()
	h.Limiter = nil
	body := `{"request":{"messages":[{"role":"system","content":"You are helpful."},{"role":"user","content":"Compare the economies of Norway and Portugal in 200 words."}],"max_tokens":500},
		"compareTargets":[{"modelId":"gpt-4o"},{"modelId":"claude-sonnet-4-6","reasoningEffort":"medium"},{"modelId":"gemini-2.5-flash"}]}`
	serve(h, "nvk_good", body) // load the tokenizer outside the loop
	b.ReportAllocs()
	for b.Loop() {
		if rec := serve(h, "nvk_good", body); rec.Code != http.StatusOK {
			b.Fatal(rec.Code)
		}
	}
}
