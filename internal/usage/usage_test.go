package usage

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/store"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fakeAuth knows two tokens: one with an RPM limit, one without.
type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, token string) (*pipeline.Key, error) {
	switch token {
	case "nvk_limited":
		return &pipeline.Key{ID: "key-limited", Name: "limited", RPM: 60}, nil
	case "nvk_open":
		return &pipeline.Key{ID: "key-open", Name: "open"}, nil
	case "nvk_down":
		return nil, &canonical.Error{Kind: canonical.KindInternal, Status: 503, Code: "AUTH_STORE_UNAVAILABLE", Message: "the key store is unavailable"}
	case "":
		return nil, canonical.Errorf(canonical.KindAuth, 401, "AUTH_KEY_MISSING", "no virtual key was presented").WithHint("send the key as x-nexus-virtual-key or Authorization: Bearer")
	}
	return nil, canonical.Errorf(canonical.KindAuth, 401, "AUTH_INVALID_KEY", "the virtual key is not valid").WithHint("check the key; it starts with nvk_")
}

// fakeStore answers from fixed rows and records the ranges asked for.
type fakeStore struct {
	totals   store.UsageTotals
	daily    []store.DailyUsage
	err      error
	gotRange [2]string
}

func (s *fakeStore) KeyUsage(_ context.Context, _ string, from, to string) (store.UsageTotals, error) {
	s.gotRange = [2]string{from, to}
	return s.totals, s.err
}

func (s *fakeStore) KeyDailyUsage(_ context.Context, _ string, from, to string) ([]store.DailyUsage, error) {
	s.gotRange = [2]string{from, to}
	return s.daily, s.err
}

type denyLimiter struct{ wait time.Duration }

func (l denyLimiter) Allow(string, int) (bool, time.Duration) { return false, l.wait }

// now is 2026-05-20 15:04 UTC in every test.
func now() time.Time { return time.Date(2026, 5, 20, 15, 4, 5, 0, time.UTC) }

func serve(t *testing.T, h *Handler, target, token string) *httptest.ResponseRecorder {
	t.Helper()
	mux := http.NewServeMux()
	for p, hh := range h.Routes() {
		mux.Handle(p, hh)
	}
	req := httptest.NewRequest(http.MethodGet, target, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	return rec
}

// golden compares a JSON body with testdata/<name>.json (indented there for
// review; compared by value).
func golden(t *testing.T, name string, body []byte) {
	t.Helper()
	path := filepath.Join("testdata", name+".json")
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, body, "", "  "); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	pretty.WriteByte('\n')
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Fatalf("%s differs:\ngot\n%s\nwant\n%s", path, pretty.Bytes(), want)
	}
}

func TestSummary(t *testing.T) {
	used := store.UsageTotals{Requests: 42, Errors: 2, InputTokens: 12000, OutputTokens: 3400, CostMicros: 12_345_678}
	tests := []struct {
		name   string
		token  string
		totals store.UsageTotals
		quota  func(context.Context, *pipeline.Key) *QuotaInfo
		golden string
	}{
		{"budget and rpm", "nvk_limited", used, func(_ context.Context, k *pipeline.Key) *QuotaInfo {
			if k.ID != "key-limited" {
				t.Errorf("quota asked for %q", k.ID)
			}
			return &QuotaInfo{LimitMicros: 50_000_000, UsedMicros: 12_300_000, EnforcementMode: "reject"}
		}, "summary_budget"},
		{"budget overspent shows nothing remaining", "nvk_open", used, func(context.Context, *pipeline.Key) *QuotaInfo {
			return &QuotaInfo{LimitMicros: 10_000_000, UsedMicros: 10_500_000, EnforcementMode: "downgrade"}
		}, "summary_overspent"},
		{"no quota engine, key with rpm", "nvk_limited", used, nil, "summary_rpm_only"},
		{"no budget, no rpm", "nvk_open", store.UsageTotals{}, func(context.Context, *pipeline.Key) *QuotaInfo { return nil }, "summary_empty"},
		{"unknown costs are flagged", "nvk_open", store.UsageTotals{Requests: 3, InputTokens: 30, OutputTokens: 3, CostMicros: 1500, UnknownCost: 2}, nil, "summary_unknown_cost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{totals: tt.totals}
			h := New(Options{Auth: fakeAuth{}, Store: st, Quota: tt.quota, Now: now})
			rec := serve(t, h, "/v1/usage", tt.token)
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if st.gotRange != [2]string{"2026-05-01", "2026-05-31"} {
				t.Fatalf("queried %v, want the UTC month", st.gotRange)
			}
			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Fatalf("content type %q", ct)
			}
			golden(t, tt.golden, rec.Body.Bytes())
		})
	}
}

func TestSummaryMonthBoundaries(t *testing.T) {
	tests := []struct {
		now      time.Time
		from, to string
	}{
		{time.Date(2028, 2, 29, 23, 59, 59, 0, time.UTC), "2028-02-01", "2028-02-29"},
		{time.Date(2026, 12, 31, 12, 0, 0, 0, time.UTC), "2026-12-01", "2026-12-31"},
		// 00:30 on Jan 1 in UTC+2 is still December in UTC.
		{time.Date(2027, 1, 1, 0, 30, 0, 0, time.FixedZone("EET", 2*3600)), "2026-12-01", "2026-12-31"},
	}
	for _, tt := range tests {
		st := &fakeStore{}
		h := New(Options{Auth: fakeAuth{}, Store: st, Now: func() time.Time { return tt.now }})
		if rec := serve(t, h, "/v1/usage", "nvk_open"); rec.Code != 200 {
			t.Fatalf("status %d", rec.Code)
		}
		if st.gotRange != [2]string{tt.from, tt.to} {
			t.Errorf("at %v queried %v, want %s..%s", tt.now, st.gotRange, tt.from, tt.to)
		}
	}
}

func TestDaily(t *testing.T) {
	rows := []store.DailyUsage{
		{Day: "2026-05-01", Model: "claude-haiku-4-5", Provider: "anthropic", UsageTotals: store.UsageTotals{Requests: 1, InputTokens: 300, OutputTokens: 30, CostMicros: 3000}},
		{Day: "2026-05-01", Model: "gpt-4o", Provider: "openai", UsageTotals: store.UsageTotals{Requests: 2, InputTokens: 300, OutputTokens: 30, CostMicros: 3000}},
		{Day: "2026-05-02", Model: "gpt-4o", Provider: "", UsageTotals: store.UsageTotals{Requests: 1, Errors: 1}},
		{Day: "2026-05-03", Model: "mystery", Provider: "openai", UsageTotals: store.UsageTotals{Requests: 1, InputTokens: 50, OutputTokens: 5, UnknownCost: 1}},
	}
	tests := []struct {
		name      string
		query     string
		rows      []store.DailyUsage
		wantRange [2]string
		golden    string
	}{
		{"explicit range", "?startDate=2026-05-01&endDate=2026-05-03", rows, [2]string{"2026-05-01", "2026-05-03"}, "daily_range"},
		{"default: last 30 days to today", "", nil, [2]string{"2026-04-21", "2026-05-20"}, "daily_default_empty"},
		{"only endDate: 30 days up to it", "?endDate=2026-03-31", nil, [2]string{"2026-03-02", "2026-03-31"}, ""},
		{"only startDate: up to today", "?startDate=2026-05-10", nil, [2]string{"2026-05-10", "2026-05-20"}, ""},
		{"exactly 90 days", "?startDate=2026-01-01&endDate=2026-03-31", nil, [2]string{"2026-01-01", "2026-03-31"}, ""},
		{"one day", "?startDate=2026-05-20&endDate=2026-05-20", nil, [2]string{"2026-05-20", "2026-05-20"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeStore{daily: tt.rows}
			h := New(Options{Auth: fakeAuth{}, Store: st, Now: now})
			rec := serve(t, h, "/v1/usage/daily"+tt.query, "nvk_limited")
			if rec.Code != 200 {
				t.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			if st.gotRange != tt.wantRange {
				t.Fatalf("queried %v, want %v", st.gotRange, tt.wantRange)
			}
			if tt.golden != "" {
				golden(t, tt.golden, rec.Body.Bytes())
			}
		})
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name       string
		target     string
		token      string
		store      *fakeStore
		limiter    Limiter
		wantStatus int
		golden     string
		retryAfter string
	}{
		{"no key", "/v1/usage", "", &fakeStore{}, nil, 401, "error_auth_missing", ""},
		{"bad key", "/v1/usage/daily", "nvk_wrong", &fakeStore{}, nil, 401, "error_auth_invalid", ""},
		{"key store down", "/v1/usage", "nvk_down", &fakeStore{}, nil, 503, "error_auth_store", ""},
		{"malformed date", "/v1/usage/daily?startDate=2026-5-1", "nvk_open", &fakeStore{}, nil, 400, "error_invalid_date", ""},
		{"impossible date", "/v1/usage/daily?endDate=2026-02-30", "nvk_open", &fakeStore{}, nil, 400, "error_invalid_end_date", ""},
		{"start after end", "/v1/usage/daily?startDate=2026-05-10&endDate=2026-05-09", "nvk_open", &fakeStore{}, nil, 400, "error_start_after_end", ""},
		{"91 days", "/v1/usage/daily?startDate=2026-01-01&endDate=2026-04-01", "nvk_open", &fakeStore{}, nil, 400, "error_range_too_large", ""},
		{"summary query fails", "/v1/usage", "nvk_open", &fakeStore{err: errors.New("disk I/O error")}, nil, 500, "error_query_failed", ""},
		{"daily query fails", "/v1/usage/daily", "nvk_open", &fakeStore{err: errors.New("disk I/O error")}, nil, 500, "error_query_failed", ""},
		{"rate limited", "/v1/usage", "nvk_limited", &fakeStore{}, denyLimiter{wait: 1500 * time.Millisecond}, 429, "error_rate_limited", "2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := New(Options{Auth: fakeAuth{}, Store: tt.store, Limiter: tt.limiter, Now: now})
			rec := serve(t, h, tt.target, tt.token)
			if rec.Code != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", rec.Code, tt.wantStatus, rec.Body)
			}
			if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
				t.Fatalf("Retry-After %q, want %q", got, tt.retryAfter)
			}
			golden(t, tt.golden, rec.Body.Bytes())
			if bytes.Contains(rec.Body.Bytes(), []byte("disk I/O")) {
				t.Fatal("an internal error reached the caller")
			}
		})
	}
}

func TestCarriers(t *testing.T) {
	h := New(Options{Auth: fakeAuth{}, Store: &fakeStore{}, Now: now})
	mux := http.NewServeMux()
	for p, hh := range h.Routes() {
		mux.Handle(p, hh)
	}
	tests := []struct {
		name   string
		header string
		value  string
		want   int
	}{
		{"x-nexus-virtual-key", "X-Nexus-Virtual-Key", "nvk_open", 200},
		{"bearer", "Authorization", "Bearer nvk_open", 200},
		// Carriers of other routes do not authenticate here (SPEC §3.4).
		{"x-api-key refused", "X-Api-Key", "nvk_open", 401},
		{"x-goog-api-key refused", "X-Goog-Api-Key", "nvk_open", 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(http.MethodGet, "/v1/usage", nil)
			req.Header.Set(tt.header, tt.value)
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, req)
			if rec.Code != tt.want {
				t.Fatalf("status %d, want %d", rec.Code, tt.want)
			}
		})
	}
	// The key's RPM is announced on admitted requests.
	if rec := serve(t, h, "/v1/usage", "nvk_limited"); rec.Header().Get("X-RateLimit-Limit") != "60" {
		t.Fatalf("X-RateLimit-Limit %q", rec.Header().Get("X-RateLimit-Limit"))
	}
}
