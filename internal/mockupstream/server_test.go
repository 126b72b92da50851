package mockupstream

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Tests of what every route shares: credentials, request ids, routing
// errors and the request recorder.

func TestEchoHeadersListsNamesNeverValues(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	hdr := withHeader(openaiAuth, ControlHeader, "echo_headers=1")
	hdr["X-Custom-Thing"] = "v1"
	r := doReq(t, ts, http.MethodPost, "/v1/chat/completions", hdr, chatBody)
	seen := r.header.Get("X-Mock-Seen-Headers")
	for _, name := range []string{"Authorization", "X-Custom-Thing", "Content-Type", ControlHeader} {
		if !strings.Contains(","+seen+",", ","+name+",") {
			t.Errorf("X-Mock-Seen-Headers = %q lacks %s", seen, name)
		}
	}
	if strings.Contains(seen, "secret") || strings.Contains(seen, "v1") {
		t.Errorf("header values leaked: %q", seen)
	}
}

func TestCredentialsAreNeverEchoed(t *testing.T) {
	const secret = "sk-very-secret-value-123"
	cases := []struct {
		path string
		hdr  map[string]string
		body string
	}{
		{"/v1/chat/completions", map[string]string{"Authorization": "Bearer " + secret, ControlHeader: "status=401;echo_headers=1"}, chatBody},
		{"/v1/chat/completions", map[string]string{"Authorization": "Bearer " + secret, ControlHeader: "echo_headers=1"}, chatBody},
		{"/v1/messages", map[string]string{"X-Api-Key": secret}, familyRoutes()[1].body},
		{"/v1/messages", map[string]string{"X-Api-Key": secret, "Anthropic-Version": "2023-06-01", ControlHeader: "status=401"}, familyRoutes()[1].body},
		{"/v1beta/models/g:generateContent?key=" + secret, map[string]string{ControlHeader: "status=403"}, familyRoutes()[2].body},
	}
	for _, c := range cases {
		_, ts := newTestServer(t, Options{})
		r := doReq(t, ts, http.MethodPost, c.path, c.hdr, c.body)
		if strings.Contains(string(r.body), secret) {
			t.Errorf("%s: body echoes the key: %s", c.path, r.body)
		}
		for k, vs := range r.header {
			for _, v := range vs {
				if strings.Contains(v, secret) {
					t.Errorf("%s: header %s echoes the key", c.path, k)
				}
			}
		}
	}
}

func TestAuthIsRequiredPerProvider(t *testing.T) {
	tests := []struct {
		name       string
		path       string
		hdr        map[string]string
		wantStatus int
		wantKind   string // substring expected in the body
	}{
		{"openai without key", "/v1/chat/completions", nil, 401, `"type":"invalid_request_error"`},
		{"openai empty bearer", "/v1/chat/completions", map[string]string{"Authorization": "Bearer "}, 401, `"param":null`},
		{"openai basic auth", "/v1/chat/completions", map[string]string{"Authorization": "Basic abc"}, 401, `"error"`},
		{"anthropic without key", "/v1/messages", map[string]string{"Anthropic-Version": "2023-06-01"}, 401, `"authentication_error"`},
		{"anthropic with bearer key (anthropic-sdk-go v2)", "/v1/messages", map[string]string{"Authorization": "Bearer k", "Anthropic-Version": "2023-06-01"}, 200, `"type":"message"`},
		{"anthropic without version", "/v1/messages", map[string]string{"X-Api-Key": "k"}, 400, `"invalid_request_error"`},
		{"gemini without key", "/v1beta/models/g:generateContent", nil, 403, `"PERMISSION_DENIED"`},
		{"gemini with bearer only", "/v1beta/models/g:generateContent", map[string]string{"Authorization": "Bearer t"}, 401, `"UNAUTHENTICATED"`},
		{"gemini key in query", "/v1beta/models/g:generateContent?key=k", nil, 200, `"candidates"`},
		{"openai models without key", "/v1/models", nil, 401, `"error"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, ts := newTestServer(t, Options{})
			method, body := http.MethodPost, `{"model":"m","messages":[{"role":"user","content":"hi"}],"contents":[{"parts":[{"text":"hi"}]}]}`
			if strings.HasSuffix(tt.path, "/models") {
				method, body = http.MethodGet, ""
			}
			r := doReq(t, ts, method, tt.path, tt.hdr, body)
			if r.status != tt.wantStatus || !strings.Contains(string(r.body), tt.wantKind) {
				t.Errorf("status %d body %s", r.status, r.body)
			}
			if s.Requests() != 1 {
				t.Errorf("Requests() = %d", s.Requests())
			}
		})
	}
}

func TestUnknownRouteAndWrongMethod(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	r := doReq(t, ts, http.MethodPost, "/v1/nothing/here", openaiAuth, "{}")
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "Invalid URL (POST /v1/nothing/here)") {
		t.Errorf("unknown route: %d %s", r.status, r.body)
	}
	r = doReq(t, ts, http.MethodGet, "/v1/messages", anthropicAuth, "")
	var e anthropicErr
	mustJSON(t, r.body, &e)
	if r.status != http.StatusMethodNotAllowed || e.Type != "error" {
		t.Errorf("wrong method: %d %s", r.status, r.body)
	}
}

func TestRecorderKeepsTheLastRequest(t *testing.T) {
	s, ts := newTestServer(t, Options{})
	if h, b := s.LastRequest(); h != nil || b != nil {
		t.Fatal("LastRequest before any request is not empty")
	}
	doReq(t, ts, http.MethodPost, "/v1/chat/completions", openaiAuth, `{"first":1}`)
	r := doReq(t, ts, http.MethodPost, "/v1/chat/completions", withHeader(openaiAuth, "X-Trace", "t2"), chatBody)
	if r.header.Get("X-Mock-Request-Id") != "2" {
		t.Errorf("X-Mock-Request-Id = %q", r.header.Get("X-Mock-Request-Id"))
	}
	h, b := s.LastRequest()
	if string(b) != chatBody || h.Get("X-Trace") != "t2" || h.Get("Authorization") != openaiAuth["Authorization"] {
		t.Fatalf("LastRequest = %v %s", h, b)
	}
	b[0] = 'X'
	h.Set("X-Trace", "changed")
	h2, b2 := s.LastRequest()
	if string(b2) != chatBody || h2.Get("X-Trace") != "t2" {
		t.Error("LastRequest returned shared memory")
	}
}

func TestOversizedBodyIsRefusedInTheRouteShape(t *testing.T) {
	s := New(Options{})
	req := httptest.NewRequest(http.MethodPost, "/v1/messages", strings.NewReader(`{}`))
	req.ContentLength = maxRequestBody + 1 // declared size alone decides
	w := newRecordingWriter()
	s.ServeHTTP(w, req)
	w.Flush()
	body := strings.Join(w.flushed, "")
	if w.status != http.StatusRequestEntityTooLarge || !strings.Contains(body, `"request_too_large"`) || w.header.Get("X-Mock-Request-Id") != "1" {
		t.Errorf("status %d headers %v body %s", w.status, w.header, body)
	}
}

func TestLastRequestURIKeepsPathAndQuery(t *testing.T) {
	s := New(Options{})
	if s.LastRequestURI() != "" {
		t.Fatal("URI before any request")
	}
	req := httptest.NewRequest(http.MethodPost, "/openai/deployments/d%201/chat/completions?api-version=2024-10-21",
		strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`))
	req.Header.Set("api-key", "k")
	s.ServeHTTP(httptest.NewRecorder(), req)
	if got := s.LastRequestURI(); got != "/openai/deployments/d%201/chat/completions?api-version=2024-10-21" {
		t.Fatalf("LastRequestURI = %q", got)
	}
}
