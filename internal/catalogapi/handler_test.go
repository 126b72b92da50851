package catalogapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/ratelimit"
)

const anthropicVersion = "2023-06-01"

// TestGoldenShapes: both shapes, list and detail, full and scoped keys,
// byte for byte (field names, omitted extensions, pricing nulls, the
// compacted capabilityJson and the dropped invalid one, created = now).
func TestGoldenShapes(t *testing.T) {
	h := mux(newHandler(t, Config{}))
	tests := []struct {
		golden, path string
		headers      []string
	}{
		{"openai-list", "/v1/models", []string{"Authorization", "Bearer nvk_all"}},
		{"openai-list-scoped", "/v1/models", []string{"Authorization", "Bearer nvk_scoped"}},
		{"openai-list-empty", "/v1/models", []string{"X-Nexus-Virtual-Key", "nvk_nothing"}},
		{"openai-detail", "/v1/models/gpt-4o", []string{"Authorization", "Bearer nvk_all"}},
		{"openai-detail-embedding", "/v1/models/text-embedding-3-small", []string{"Authorization", "Bearer nvk_scoped"}},
		{"anthropic-list", "/v1/models", []string{"X-Api-Key", "nvk_all", "Anthropic-Version", anthropicVersion}},
		{"anthropic-list-scoped", "/v1/models", []string{"X-Api-Key", "nvk_scoped", "Anthropic-Version", anthropicVersion}},
		{"anthropic-list-empty", "/v1/models", []string{"X-Api-Key", "nvk_nothing", "Anthropic-Version", anthropicVersion}},
		{"anthropic-detail", "/v1/models/claude-sonnet-4-5", []string{"X-Api-Key", "nvk_all", "Anthropic-Version", anthropicVersion}},
		{"anthropic-detail-no-display-name", "/v1/models/openai/gpt-oss-120b", []string{"X-Api-Key", "nvk_all", "Anthropic-Version", anthropicVersion}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			w := get(h, tt.path, tt.headers...)
			if w.Code != http.StatusOK || w.Header().Get("Content-Type") != "application/json" {
				t.Fatalf("status %d content-type %q: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
			}
			checkGolden(t, tt.golden, w.Body.Bytes())
		})
	}
}

// listIDs returns the ids of a list answer in either shape.
func listIDs(t *testing.T, body []byte) []string {
	t.Helper()
	var l struct {
		Data []struct{ ID string } `json:"data"`
	}
	if err := json.Unmarshal(body, &l); err != nil {
		t.Fatal(err)
	}
	ids := []string{}
	for _, d := range l.Data {
		ids = append(ids, d.ID)
	}
	return ids
}

func TestListIsScopedToTheKeysAllowlist(t *testing.T) {
	h := mux(newHandler(t, Config{}))
	tests := []struct {
		token string
		want  []string
	}{
		{"nvk_all", []string{"gpt-4o", "claude-sonnet-4-5", "text-embedding-3-small", "openai/gpt-oss-120b"}},
		{"nvk_scoped", []string{"gpt-4o", "text-embedding-3-small"}},
		{"nvk_nothing", []string{}},
	}
	for _, tt := range tests {
		for _, anthropic := range []bool{false, true} {
			headers := []string{"Authorization", "Bearer " + tt.token}
			if anthropic {
				headers = append(headers, "Anthropic-Version", anthropicVersion)
			}
			w := get(h, "/v1/models", headers...)
			if got := listIDs(t, w.Body.Bytes()); w.Code != 200 || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s anthropic=%v: %d %v, want %v", tt.token, anthropic, w.Code, got, tt.want)
			}
		}
	}
}

// TestHiddenModelsAreIndistinguishableFromUnknownOnes: a model outside the
// allowlist answers the very bytes an unknown model does.
func TestHiddenModelsAreIndistinguishableFromUnknownOnes(t *testing.T) {
	h := mux(newHandler(t, Config{}))
	for _, anthropic := range []bool{false, true} {
		headers := []string{"X-Nexus-Virtual-Key", "nvk_scoped"}
		if anthropic {
			headers = append(headers, "Anthropic-Version", anthropicVersion)
		}
		tests := []struct {
			path, id string
			status   int
		}{
			{"/v1/models/gpt-4o", "gpt-4o", 200},
			{"/v1/models/claude-sonnet-4-5", "claude-sonnet-4-5", 404}, // exists, not allowed
			{"/v1/models/no-such-model", "no-such-model", 404},         // does not exist
			{"/v1/models/gpt-4o-latest", "gpt-4o-latest", 404},         // alias: not resolved here
			{"/v1/models/GPT-4O", "GPT-4O", 404},                       // exact code only
		}
		for _, tt := range tests {
			w := get(h, tt.path, headers...)
			if w.Code != tt.status {
				t.Errorf("anthropic=%v %s: %d, want %d", anthropic, tt.path, w.Code, tt.status)
				continue
			}
			if tt.status == 404 {
				want := `{"error":{"message":"model not found: ` + tt.id + `"}}` + "\n"
				if w.Body.String() != want {
					t.Errorf("%s: body %q, want %q", tt.path, w.Body, want)
				}
			}
		}
	}
}

func TestModelCodesWithSlashes(t *testing.T) {
	h := mux(newHandler(t, Config{}))
	for _, path := range []string{"/v1/models/openai/gpt-oss-120b", "/v1/models/openai%2Fgpt-oss-120b"} {
		w := get(h, path, "Authorization", "Bearer nvk_all")
		var e struct{ ID string }
		if err := json.Unmarshal(w.Body.Bytes(), &e); err != nil || w.Code != 200 || e.ID != "openai/gpt-oss-120b" {
			t.Errorf("%s: %d %s", path, w.Code, w.Body)
		}
	}
}

const authBody = `{"error":{"message":"authentication required: provide a valid virtual key"}}` + "\n"

func TestKeyCarriers(t *testing.T) {
	tests := []struct {
		name    string
		headers []string
		status  int
		token   string // what the authenticator was given
	}{
		{"no carrier", nil, 401, ""},
		{"unknown key", []string{"Authorization", "Bearer nvk_bogus"}, 401, "nvk_bogus"},
		{"bearer", []string{"Authorization", "Bearer nvk_all"}, 200, "nvk_all"},
		{"nexus header", []string{"X-Nexus-Virtual-Key", "nvk_all"}, 200, "nvk_all"},
		{"nexus header wins over bearer", []string{"X-Nexus-Virtual-Key", "nvk_all", "Authorization", "Bearer nvk_bogus"}, 200, "nvk_all"},
		{"x-api-key ignored without anthropic-version", []string{"X-Api-Key", "nvk_all"}, 401, ""},
		{"x-api-key accepted with anthropic-version", []string{"X-Api-Key", "nvk_all", "Anthropic-Version", anthropicVersion}, 200, "nvk_all"},
		{"bearer still first with anthropic-version", []string{"X-Api-Key", "nvk_bogus", "Authorization", "Bearer nvk_all", "Anthropic-Version", anthropicVersion}, 200, "nvk_all"},
		{"goog and azure carriers never accepted", []string{"X-Goog-Api-Key", "nvk_all", "Api-Key", "nvk_all"}, 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := &fakeAuth{}
			h := mux(newHandler(t, Config{Auth: a}))
			for _, path := range []string{"/v1/models", "/v1/models/gpt-4o"} {
				w := get(h, path, tt.headers...)
				if w.Code != tt.status {
					t.Fatalf("%s: %d, want %d: %s", path, w.Code, tt.status, w.Body)
				}
				if tt.status == 401 && w.Body.String() != authBody {
					t.Errorf("401 body %q", w.Body)
				}
			}
			if len(a.tokens) != 2 || a.tokens[0] != tt.token {
				t.Errorf("authenticator saw %q, want %q", a.tokens, tt.token)
			}
		})
	}
}

func TestKeyStoreOutageIsNotReportedAsABadKey(t *testing.T) {
	w := get(mux(newHandler(t, Config{})), "/v1/models", "Authorization", "Bearer nvk_store_down")
	if w.Code != http.StatusServiceUnavailable || strings.Contains(w.Body.String(), "authentication") {
		t.Errorf("%d %s", w.Code, w.Body)
	}
}

// TestRateLimitSharesTheKeysBucket: the RPM limiter is asked with the key's
// id and limit; past the limit the answer is 429 plain text with
// Retry-After and X-RateLimit-Limit, and nothing from the catalogue.
func TestRateLimitSharesTheKeysBucket(t *testing.T) {
	now := fixedNow
	lim := ratelimit.New(func() time.Time { return now })
	h := mux(newHandler(t, Config{Limiter: lim}))
	for i := range 2 {
		w := get(h, "/v1/models", "Authorization", "Bearer nvk_rpm")
		if w.Code != 200 || w.Header().Get("X-RateLimit-Limit") != "2" {
			t.Fatalf("request %d: %d limit header %q", i, w.Code, w.Header().Get("X-RateLimit-Limit"))
		}
	}
	now = now.Add(20 * time.Second)
	w := get(h, "/v1/models/gpt-4o", "Authorization", "Bearer nvk_rpm")
	if w.Code != http.StatusTooManyRequests || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		t.Fatalf("%d %q", w.Code, w.Header().Get("Content-Type"))
	}
	if w.Header().Get("Retry-After") != "41" || w.Header().Get("X-RateLimit-Limit") != "2" || strings.Contains(w.Body.String(), "gpt-4o") {
		t.Errorf("headers %v body %q", w.Header(), w.Body)
	}
	// The data plane's requests count against the same key: its bucket is full too.
	if ok, _ := lim.Allow("k-rpm", 2); ok {
		t.Error("the limiter bucket was not the key's")
	}
	// Keys without an RPM are not limited and get no limit header.
	if w := get(h, "/v1/models", "Authorization", "Bearer nvk_all"); w.Code != 200 || w.Header().Get("X-RateLimit-Limit") != "" {
		t.Errorf("unlimited key: %d %v", w.Code, w.Header())
	}
}

func TestOnlyGetAndHead(t *testing.T) {
	h := mux(newHandler(t, Config{}))
	for _, m := range []string{http.MethodPost, http.MethodDelete, http.MethodPut} {
		r := httptest.NewRequest(m, "/v1/models", nil)
		r.Header.Set("Authorization", "Bearer nvk_all")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusMethodNotAllowed || w.Header().Get("Allow") != "GET, HEAD" {
			t.Errorf("%s: %d allow %q", m, w.Code, w.Header().Get("Allow"))
		}
	}
	r := httptest.NewRequest(http.MethodHead, "/v1/models", nil)
	r.Header.Set("Authorization", "Bearer nvk_all")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != 200 {
		t.Errorf("HEAD: %d", w.Code)
	}
}

// TestCustomAllowedIsConsulted: an injected Allowed replaces the default
// glob check for both list and detail.
func TestCustomAllowedIsConsulted(t *testing.T) {
	onlyEmbeddings := func(_ *pipeline.Key, e Entry) bool { return e.Type == "embedding" }
	h := mux(newHandler(t, Config{Allowed: onlyEmbeddings}))
	if got := listIDs(t, get(h, "/v1/models", "Authorization", "Bearer nvk_all").Body.Bytes()); !reflect.DeepEqual(got, []string{"text-embedding-3-small"}) {
		t.Errorf("list %v", got)
	}
	if w := get(h, "/v1/models/gpt-4o", "Authorization", "Bearer nvk_all"); w.Code != 404 {
		t.Errorf("detail %d", w.Code)
	}
}

func TestDefaultAllowedMatchesTheRoutersGlobs(t *testing.T) {
	e := catalogue()[0] // gpt-4o, openai, upstream gpt-4o-2024-08-06, alias gpt-4o-latest
	tests := []struct {
		globs []string
		want  bool
	}{
		{nil, true},
		{[]string{"gpt-4o"}, true},
		{[]string{"gpt-4o-2024-*"}, true},
		{[]string{"openai/*"}, true},
		{[]string{"gpt-4o-latest"}, true},
		{[]string{"gpt-4"}, false},
		{[]string{"anthropic/*"}, false},
	}
	for _, tt := range tests {
		if got := DefaultAllowed(&pipeline.Key{AllowedModels: tt.globs}, e); got != tt.want {
			t.Errorf("%v: %v, want %v", tt.globs, got, tt.want)
		}
	}
	if DefaultAllowed(nil, e) {
		t.Error("no key admitted a model")
	}
}

func TestNewRequiresModelsAndAuth(t *testing.T) {
	if _, err := New(Config{Auth: &fakeAuth{}}); err == nil {
		t.Error("no Models accepted")
	}
	if _, err := New(Config{Models: catalogue()}); err == nil {
		t.Error("no Auth accepted")
	}
}
