package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/nexus-gateway/nexus/internal/store"
)

// waitAudit waits for the asynchronous audit record of one request.
func (e *env) waitAudit(t *testing.T, id string) store.AuditRecord {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		rec, err := e.db.AuditByID(context.Background(), id)
		if err == nil {
			return rec
		}
		if time.Now().After(deadline) {
			t.Fatalf("no audit record for %s: %v", id, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestEveryRequestIsAuditedWithItsCost: successes (unary and streamed) carry
// tokens and a cost priced from the catalogue; rejects are audited too.
func TestEveryRequestIsAuditedWithItsCost(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "app", func(k *store.VirtualKey) { k.Labels = map[string]string{"team": "search"} })
	c := e.client(key)

	var raw *http.Response
	if _, err := c.Chat.Completions.New(context.Background(), userMsg("price me"), option.WithResponseInto(&raw)); err != nil {
		t.Fatal(err)
	}
	rec := e.waitAudit(t, raw.Header.Get("X-Nexus-Request-Id"))
	if rec.Status != 200 || rec.KeyName != "app" || rec.Labels["team"] != "search" || rec.RoutedModel != "gpt-4o-mini" ||
		rec.Provider != "openai" || rec.InputTokens == 0 || rec.OutputTokens == 0 || !rec.CostKnown || rec.CostMicros <= 0 {
		t.Fatalf("unary record = %+v", rec)
	}
	// gpt-4o-mini lists at $0.15 / $0.60 per million tokens.
	want := (rec.InputTokens*150_000 + rec.OutputTokens*600_000 + 500_000) / 1_000_000
	if d := rec.CostMicros - want; d < -1 || d > 1 {
		t.Fatalf("cost %d µ$, want ≈%d for %d in / %d out", rec.CostMicros, want, rec.InputTokens, rec.OutputTokens)
	}

	r := e.post(t, "/v1/chat/completions", key, `{"model":"mini","stream":true,"messages":[{"role":"user","content":"[[mock: chunks=12]]"}]}`, nil)
	_, _ = io.Copy(io.Discard, r.Body)
	r.Body.Close()
	rec = e.waitAudit(t, r.Header.Get("X-Nexus-Request-Id"))
	if !rec.Stream || rec.OutputTokens != 12 || !rec.CostKnown || rec.CostMicros <= 0 {
		t.Fatalf("stream record = %+v", rec)
	}

	r = e.post(t, "/v1/chat/completions", "nvk_"+strings.Repeat("0", 64), `{"model":"mini"}`, nil)
	r.Body.Close()
	rec = e.waitAudit(t, r.Header.Get("X-Nexus-Request-Id"))
	if rec.Status != 401 || rec.ErrorCode != "AUTH_INVALID_KEY" || rec.CostMicros != 0 {
		t.Fatalf("reject record = %+v", rec)
	}
}

// TestUsageEndpointReportsTheKeysSpend reads back, through GET /v1/usage,
// what the audit trail recorded for the calling key.
func TestUsageEndpointReportsTheKeysSpend(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "app", nil)
	c := e.client(key)
	var ids []string
	for i := 0; i < 3; i++ {
		var raw *http.Response
		if _, err := c.Chat.Completions.New(context.Background(), userMsg("count me"), option.WithResponseInto(&raw)); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, raw.Header.Get("X-Nexus-Request-Id"))
	}
	for _, id := range ids {
		e.waitAudit(t, id)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/usage", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var u struct {
		Usage struct {
			TotalRequests    int     `json:"totalRequests"`
			CompletionTokens int     `json:"completionTokens"`
			EstimatedCostUsd float64 `json:"estimatedCostUsd"`
		} `json:"usage"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || resp.StatusCode != 200 {
		t.Fatalf("status %d: %v", resp.StatusCode, err)
	}
	if u.Usage.TotalRequests != 3 || u.Usage.CompletionTokens == 0 || u.Usage.EstimatedCostUsd <= 0 {
		t.Fatalf("usage = %+v", u.Usage)
	}
}

// TestQuotaThroughTheGateway: a hard USD budget rejects with a 429 in the
// caller's shape and Retry-After; an unpriced model under a budget is refused.
func TestQuotaThroughTheGateway(t *testing.T) {
	e := newEnv(t, envOptions{
		limits: "quotas:\n  rules:\n    - name: tiny\n      scope: key\n      usd_per_day: 0.0001\n      rpm: 100\n",
		models: "- name: house-model\n  provider: openai\n  upstream_model: house-model-unpriced",
	})
	key := e.newKey(t, "app", nil)
	c := e.client(key)
	var rejected *openai.Error
	var raw *http.Response
	for i := 0; i < 50; i++ {
		_, err := c.Chat.Completions.New(context.Background(), userMsg(strings.Repeat("spend ", 200)), option.WithResponseInto(&raw))
		if errors.As(err, &rejected) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if rejected == nil || rejected.StatusCode != 429 || rejected.Code != "QUOTA_EXCEEDED" || raw.Header.Get("Retry-After") == "" {
		t.Fatalf("budget never enforced: %+v", rejected)
	}
	p := userMsg("hi")
	p.Model = "house-model"
	_, err := c.Chat.Completions.New(context.Background(), p)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 503 || apiErr.Code != "QUOTA_MODEL_UNPRICED" {
		t.Fatalf("unpriced model under a budget: %v", err)
	}
}

// TestEstimateAndModelsThroughTheGateway exercises the read-only endpoints
// with a real key: the estimate for a served model and the key-scoped list.
func TestEstimateAndModelsThroughTheGateway(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "app", func(k *store.VirtualKey) { k.AllowedModels = []string{"gpt-4o-mini"} })
	body := `{"request":{"model":"gpt-4o-mini","messages":[{"role":"user","content":"How many tokens is this?"}]},"compareTargets":[{"modelId":"gpt-4o-mini"},{"modelId":"gpt-4o"}]}`
	r := e.post(t, "/v1/estimate", key, body, nil)
	defer r.Body.Close()
	var est struct {
		Targets []struct {
			ModelCode string `json:"modelCode"`
			Tokens    struct {
				UncachedInput int `json:"uncachedInput"`
			} `json:"tokens"`
			Error *struct {
				Code string `json:"code"`
			} `json:"error"`
		} `json:"targets"`
	}
	if err := json.NewDecoder(r.Body).Decode(&est); err != nil || r.StatusCode != 200 || len(est.Targets) != 2 {
		t.Fatalf("estimate: %d %v %+v", r.StatusCode, err, est)
	}
	if est.Targets[0].Tokens.UncachedInput == 0 || est.Targets[0].Error != nil {
		t.Fatalf("allowed target: %+v", est.Targets[0])
	}
	if est.Targets[1].Error == nil || est.Targets[1].Error.Code != "vk_model_not_allowed" {
		t.Fatalf("disallowed target: %+v", est.Targets[1])
	}
	c := e.client(key)
	page, err := c.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Data) != 1 || page.Data[0].ID != "gpt-4o-mini" {
		t.Fatalf("key-scoped list = %+v", page.Data)
	}
	if _, err := c.Models.Get(context.Background(), "gpt-4o"); err == nil {
		t.Fatal("a model outside the allowlist was revealed")
	}
}

// TestEveryRouteWritesAnAuditRecordWithCost: Anthropic-shaped, Gemini-shaped
// and embeddings requests are priced and audited like chat completions.
func TestEveryRouteWritesAnAuditRecordWithCost(t *testing.T) {
	e := newEnv(t, envOptions{
		models: "- name: text-embedding-3-small\n  provider: openai\n  type: embedding",
	})
	key := e.newKey(t, "app", nil)
	cases := []struct {
		name, path, body string
		hdr              map[string]string
	}{
		{"anthropic messages", "/v1/messages", `{"model":"gpt-4o-mini","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`,
			map[string]string{"anthropic-version": "2023-06-01"}},
		{"gemini generateContent", "/v1beta/models/gpt-4o-mini:generateContent", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, nil},
		{"gemini stream", "/v1beta/models/gpt-4o-mini:streamGenerateContent?alt=sse", `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`, nil},
		// Long enough to cost whole micro-dollars at $0.02 per million tokens.
		{"embeddings", "/v1/embeddings", `{"model":"text-embedding-3-small","input":["` + strings.Repeat("words ", 4000) + `","b"]}`, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.post(t, c.path, key, c.body, c.hdr)
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Fatalf("status %d", r.StatusCode)
			}
			rec := e.waitAudit(t, r.Header.Get("X-Nexus-Request-Id"))
			if rec.InputTokens == 0 || !rec.CostKnown || rec.CostMicros <= 0 || rec.Status != 200 {
				t.Fatalf("record = %+v", rec)
			}
		})
	}
}

func deref(f *float64) float64 {
	if f == nil {
		return -1
	}
	return *f
}

// TestUsageReportsTheQuotaBudget: GET /v1/usage shows the key-level USD
// budget the quota stage enforces, with this key's spend in it.
func TestUsageReportsTheQuotaBudget(t *testing.T) {
	e := newEnv(t, envOptions{
		limits: "quotas:\n  rules:\n    - name: daily\n      scope: key\n      usd_per_day: 10\n      action: reject\n",
	})
	key := e.newKey(t, "app", nil)
	c := e.client(key)
	if _, err := c.Chat.Completions.New(context.Background(), userMsg("spend a little")); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("GET", e.srv.URL+"/v1/usage", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var u struct {
		Quota *struct {
			LimitUSD        *float64 `json:"limitUsd"`
			UsedUSD         *float64 `json:"usedUsd"`
			RemainingUSD    *float64 `json:"remainingUsd"`
			EnforcementMode string   `json:"enforcementMode"`
		} `json:"quota"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&u); err != nil || u.Quota == nil {
		t.Fatalf("no quota block: %v", err)
	}
	q := u.Quota
	if deref(q.LimitUSD) != 10 || deref(q.UsedUSD) <= 0 || deref(q.RemainingUSD) >= 10 || q.EnforcementMode != "reject" {
		t.Fatalf("quota block: limit %v used %v remaining %v mode %q", deref(q.LimitUSD), deref(q.UsedUSD), deref(q.RemainingUSD), q.EnforcementMode)
	}
}
