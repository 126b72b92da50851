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

type gatewayError struct {
	Error struct {
		Message string  `json:"message"`
		Type    string  `json:"type"`
		Code    any     `json:"code"`
		Param   *string `json:"param"`
		Hint    string  `json:"hint"`
	} `json:"error"`
}

func decodeErr(t *testing.T, r *http.Response) gatewayError {
	t.Helper()
	defer r.Body.Close()
	var g gatewayError
	b, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(b, &g); err != nil || g.Error.Message == "" {
		t.Fatalf("not an OpenAI error envelope (%d): %s", r.StatusCode, b)
	}
	return g
}

func TestAuthFailuresWithOfficialClient(t *testing.T) {
	e := newEnv(t, envOptions{})
	past := time.Now().Add(-time.Hour)
	disabled := e.newKey(t, "disabled", func(k *store.VirtualKey) { k.Enabled = false })
	expired := e.newKey(t, "expired", func(k *store.VirtualKey) { k.ExpiresAt = &past })
	limited := e.newKey(t, "limited", func(k *store.VirtualKey) { k.AllowedModels = []string{"claude-*"} })
	before := e.mock.Requests()

	cases := []struct {
		name   string
		key    string
		status int
		code   string
	}{
		{"missing", "", 401, "AUTH_KEY_MISSING"},
		{"garbage", "not-a-key", 401, "AUTH_INVALID_KEY"},
		{"unknown", "nvk_" + strings.Repeat("0", 64), 401, "AUTH_INVALID_KEY"},
		{"provider key", providerKey, 401, "AUTH_INVALID_KEY"},
		{"disabled", disabled, 401, "AUTH_KEY_DISABLED"},
		{"expired", expired, 401, "AUTH_KEY_EXPIRED"},
		{"model not allowed", limited, 403, "MODEL_NOT_ALLOWED"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			opts := []option.RequestOption{}
			if tc.key == "" {
				opts = append(opts, option.WithHeaderDel("Authorization"))
			}
			c := e.client(tc.key, opts...)
			_, err := c.Chat.Completions.New(context.Background(), userMsg("hi"))
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v", err)
			}
			if apiErr.StatusCode != tc.status || apiErr.Code != tc.code {
				t.Fatalf("got %d %q, want %d %q", apiErr.StatusCode, apiErr.Code, tc.status, tc.code)
			}
		})
	}
	if e.mock.Requests() != before {
		t.Fatal("a rejected request reached the upstream")
	}
}

func TestKeyCarriersAndNoQueryParameter(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "app", nil)
	body := `{"model":"mini","messages":[{"role":"user","content":"hi"}]}`
	if r := e.post(t, "/v1/chat/completions", "", body, map[string]string{"X-Nexus-Virtual-Key": key}); r.StatusCode != 200 {
		t.Fatalf("x-nexus-virtual-key: %d", r.StatusCode)
	}
	// x-api-key is an Anthropic-route carrier only.
	if r := e.post(t, "/v1/chat/completions", "", body, map[string]string{"X-Api-Key": key}); r.StatusCode != 401 {
		t.Fatalf("x-api-key on an OpenAI route: %d", r.StatusCode)
	}
	req, _ := http.NewRequest("POST", e.srv.URL+"/v1/chat/completions?key="+key, strings.NewReader(body))
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if g := decodeErr(t, r); r.StatusCode != 401 || g.Error.Code != "AUTH_KEY_MISSING" {
		t.Fatalf("query key: %d %v", r.StatusCode, g.Error.Code)
	}
}

func TestDisableAndRevokeTakeEffectOnNextRequest(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "app", nil)
	c := e.client(key)
	if _, err := c.Chat.Completions.New(context.Background(), userMsg("hi")); err != nil {
		t.Fatal(err)
	}
	// A second handle on the same database, as the `nexus keys` CLI uses.
	cli, err := store.Open(context.Background(), "sqlite://"+strings.TrimPrefix(e.dbPath(t), "sqlite://"))
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	if err := cli.SetKeyEnabled(context.Background(), "app", false); err != nil {
		t.Fatal(err)
	}
	_, err = c.Chat.Completions.New(context.Background(), userMsg("hi"))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.Code != "AUTH_KEY_DISABLED" {
		t.Fatalf("after disable: %v", err)
	}
	if err := cli.SetKeyEnabled(context.Background(), "app", true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat.Completions.New(context.Background(), userMsg("hi")); err != nil {
		t.Fatalf("after enable: %v", err)
	}
	if err := cli.RevokeKey(context.Background(), "app"); err != nil {
		t.Fatal(err)
	}
	_, err = c.Chat.Completions.New(context.Background(), userMsg("hi"))
	if !errors.As(err, &apiErr) || apiErr.Code != "AUTH_KEY_DISABLED" {
		t.Fatalf("after revoke: %v", err)
	}
}

func TestRateLimitPerKey(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "slow", func(k *store.VirtualKey) { k.RPM = 2 })
	c := e.client(key)
	for i := 0; i < 2; i++ {
		var raw *http.Response
		if _, err := c.Chat.Completions.New(context.Background(), userMsg("hi"), option.WithResponseInto(&raw)); err != nil {
			t.Fatal(err)
		}
		if raw.Header.Get("X-RateLimit-Limit") != "2" {
			t.Fatalf("X-RateLimit-Limit = %q", raw.Header.Get("X-RateLimit-Limit"))
		}
	}
	var raw *http.Response
	_, err := c.Chat.Completions.New(context.Background(), userMsg("hi"), option.WithResponseInto(&raw))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 429 || apiErr.Code != "RATE_LIMITED" {
		t.Fatalf("err = %v", err)
	}
	if ra := raw.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After = %q", ra)
	}
}

func TestMalformedRequestsGet4xxInOpenAIEnvelope(t *testing.T) {
	e := newEnv(t, envOptions{limits: "limits:\n  max_body_bytes: 4KiB"})
	key := e.newKey(t, "app", nil)
	cases := []struct {
		name, method, path, body string
		status                   int
	}{
		{"malformed JSON", "POST", "/v1/chat/completions", `{"model":"mini",`, 400},
		{"not an object", "POST", "/v1/chat/completions", `["model"]`, 400},
		{"empty body", "POST", "/v1/chat/completions", ``, 400},
		{"missing model", "POST", "/v1/chat/completions", `{"messages":[]}`, 400},
		{"model not a string", "POST", "/v1/chat/completions", `{"model":7}`, 400},
		{"stream not a bool", "POST", "/v1/chat/completions", `{"model":"mini","stream":"yes"}`, 400},
		{"duplicate model", "POST", "/v1/chat/completions", `{"model":"mini","model":"gpt-4o"}`, 400},
		{"unknown model", "POST", "/v1/chat/completions", `{"model":"nope","messages":[]}`, 404},
		{"unknown route", "POST", "/v1/nothing-here", `{}`, 404},
		{"wrong method", "GET", "/v1/chat/completions", ``, 405},
		{"too large", "POST", "/v1/chat/completions", `{"model":"mini","x":"` + strings.Repeat("a", 5000) + `"}`, 413},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, e.srv.URL+tc.path, strings.NewReader(tc.body))
			req.Header.Set("Authorization", "Bearer "+key)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			g := decodeErr(t, r)
			if r.StatusCode != tc.status {
				t.Fatalf("status %d, want %d (%+v)", r.StatusCode, tc.status, g.Error)
			}
			if r.Header.Get("X-Nexus-Request-Id") == "" {
				t.Fatal("no request id on error")
			}
		})
	}
}

func (e *env) dbPath(t *testing.T) string {
	t.Helper()
	return e.gw.DatabaseDSN
}
