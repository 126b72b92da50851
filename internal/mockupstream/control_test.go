package mockupstream

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

type openaiErr struct {
	Error struct {
		Message *string `json:"message"`
		Type    string  `json:"type"`
		Param   *string `json:"param"`
		Code    *string `json:"code"`
	} `json:"error"`
}

type anthropicErr struct {
	Type  string `json:"type"`
	Error struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"`
	RequestID string `json:"request_id"`
}

type geminiErr struct {
	Error struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
		Status  string `json:"status"`
		Details []struct {
			Type       string `json:"@type"`
			RetryDelay string `json:"retryDelay"`
		} `json:"details"`
	} `json:"error"`
}

func TestControlParsing(t *testing.T) {
	tests := []struct {
		name   string
		body   string
		header string
		want   control
	}{
		{
			name:   "header pairs with both separators and spaces",
			header: " status = 429 ; retry_after=7, fail_times=2;fail_key=k1 ",
			want:   control{status: 429, retryAfter: 7, failTimes: 2, failKey: "k1", cutAfter: -1},
		},
		{
			name: "body directive inside a JSON string",
			body: `{"messages":[{"role":"user","content":"hi [[mock: chunks=256; chunk_delay=5ms; malformed=1]] there"}]}`,
			want: control{chunks: 256, chunkDelay: 5 * time.Millisecond, malformed: true, retryAfter: -1, cutAfter: -1},
		},
		{
			name:   "header wins per key, body keeps the others",
			body:   `"[[mock: status=500, tool=1]]"`,
			header: "status=503",
			want:   control{status: 503, tool: true, retryAfter: -1, cutAfter: -1},
		},
		{
			name: "later body directive wins",
			body: `[[mock: status=500]] ... [[mock: status=529]]`,
			want: control{status: 529, retryAfter: -1, cutAfter: -1},
		},
		{
			name:   "durations, bare milliseconds and flags",
			header: "latency=1.5s;stall=250;cut_after=0;body_bytes=51200;echo_headers=true;fixture=openai-chat/raw-text-stream",
			want:   control{latency: 1500 * time.Millisecond, stall: 250 * time.Millisecond, cutAfter: 0, bodyBytes: 51200, echoHeaders: true, fixture: "openai-chat/raw-text-stream", retryAfter: -1},
		},
		{
			name:   "unknown keys and bad values are ignored",
			header: "colour=red;status=abc;status=99;chunks=0;chunks=-3;latency=soon;novalue;=x",
			want:   control{retryAfter: -1, cutAfter: -1},
		},
		{
			name: "unterminated body directive is ignored",
			body: `[[mock: status=500`,
			want: control{retryAfter: -1, cutAfter: -1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newControl()
			c.parseBody([]byte(tt.body))
			c.parse(tt.header)
			if c != tt.want {
				t.Errorf("got  %+v\nwant %+v", c, tt.want)
			}
		})
	}
}

// familyRoute is one request per family that would otherwise succeed.
type familyRoute struct {
	name   string
	path   string
	hdr    map[string]string
	body   string
	stream string // the same request, streamed
}

func familyRoutes() []familyRoute {
	return []familyRoute{
		{"openai", "/v1/chat/completions", openaiAuth,
			`{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"anthropic", "/v1/messages", anthropicAuth,
			`{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"gemini", "/v1beta/models/gemini-2.5-flash:generateContent", geminiAuth,
			`{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
			""},
	}
}

func TestStatusDirectiveAnswersProviderShapedErrors(t *testing.T) {
	tests := []struct {
		family     string
		status     int
		wantType   string // OpenAI error.type, Anthropic error.type, Gemini error.status
		wantCode   string // OpenAI error.code
		wantDetail bool   // Gemini RetryInfo present
	}{
		{"openai", 429, "requests", "rate_limit_exceeded", false},
		{"openai", 500, "server_error", "", false},
		{"openai", 503, "server_error", "", false},
		{"openai", 400, "invalid_request_error", "", false},
		{"openai", 401, "invalid_request_error", "invalid_api_key", false},
		{"anthropic", 429, "rate_limit_error", "", false},
		{"anthropic", 529, "overloaded_error", "", false},
		{"anthropic", 500, "api_error", "", false},
		{"anthropic", 400, "invalid_request_error", "", false},
		{"anthropic", 401, "authentication_error", "", false},
		{"gemini", 429, "RESOURCE_EXHAUSTED", "", true},
		{"gemini", 503, "UNAVAILABLE", "", false},
		{"gemini", 500, "INTERNAL", "", false},
		{"gemini", 400, "INVALID_ARGUMENT", "", false},
		{"gemini", 404, "NOT_FOUND", "", false},
	}
	routes := map[string]familyRoute{}
	for _, fr := range familyRoutes() {
		routes[fr.name] = fr
	}
	for _, tt := range tests {
		t.Run(tt.family+"_"+http.StatusText(tt.status), func(t *testing.T) {
			_, ts := newTestServer(t, Options{})
			fr := routes[tt.family]
			hdr := withHeader(fr.hdr, ControlHeader, "status="+strconv.Itoa(tt.status)+";retry_after=12")
			r := doReq(t, ts, http.MethodPost, fr.path, hdr, fr.body)
			if r.status != tt.status {
				t.Fatalf("status = %d, want %d", r.status, tt.status)
			}
			if r.header.Get("Retry-After") != "12" {
				t.Errorf("Retry-After = %q", r.header.Get("Retry-After"))
			}
			switch tt.family {
			case "openai":
				var e openaiErr
				mustJSON(t, r.body, &e)
				code := ""
				if e.Error.Code != nil {
					code = *e.Error.Code
				}
				if e.Error.Type != tt.wantType || code != tt.wantCode || e.Error.Message == nil || *e.Error.Message == "" {
					t.Errorf("body = %s", r.body)
				}
				if !strings.Contains(string(r.body), `"param":null`) {
					t.Errorf("param key missing: %s", r.body)
				}
				if r.header.Get("X-Ratelimit-Reset-Requests") != "12s" || r.header.Get("Retry-After-Ms") != "12000" {
					t.Errorf("OpenAI reset headers = %v", r.header)
				}
			case "anthropic":
				var e anthropicErr
				mustJSON(t, r.body, &e)
				if e.Type != "error" || e.Error.Type != tt.wantType || e.Error.Message == "" || !strings.HasPrefix(e.RequestID, "req_") {
					t.Errorf("body = %s", r.body)
				}
				want := fixedNow.Add(12 * time.Second).Format(time.RFC3339)
				if r.header.Get("Anthropic-Ratelimit-Requests-Reset") != want || r.header.Get("Request-Id") != e.RequestID {
					t.Errorf("Anthropic headers = %v", r.header)
				}
			case "gemini":
				var e geminiErr
				mustJSON(t, r.body, &e)
				if e.Error.Code != tt.status || e.Error.Status != tt.wantType || e.Error.Message == "" {
					t.Errorf("body = %s", r.body)
				}
				var retry string
				for _, d := range e.Error.Details {
					if d.Type == "type.googleapis.com/google.rpc.RetryInfo" {
						retry = d.RetryDelay
					}
				}
				if tt.wantDetail != (retry == "12s") {
					t.Errorf("RetryInfo retryDelay = %q (want present: %v)", retry, tt.wantDetail)
				}
			}
		})
	}
}

func TestFailTimesFailsOnlyTheFirstRequestsPerKey(t *testing.T) {
	s, ts := newTestServer(t, Options{})
	fr := familyRoutes()[0]
	send := func(key string) int {
		hdr := withHeader(fr.hdr, ControlHeader, "status=429;fail_times=2;fail_key="+key)
		return doReq(t, ts, http.MethodPost, fr.path, hdr, fr.body).status
	}
	got := []int{send("a"), send("a"), send("b"), send("a"), send("a"), send("b"), send("b")}
	want := []int{429, 429, 429, 200, 200, 429, 200}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("statuses = %v, want %v", got, want)
		}
	}
	if s.Requests() != int64(len(want)) {
		t.Errorf("Requests() = %d, want %d", s.Requests(), len(want))
	}
}

func TestBodyDirectiveDrivesFaultsWithoutTheHeader(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	body := `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"[[mock: status=529]] hello"}]}`
	r := doReq(t, ts, http.MethodPost, "/v1/messages", anthropicAuth, body)
	var e anthropicErr
	mustJSON(t, r.body, &e)
	if r.status != 529 || e.Error.Type != "overloaded_error" {
		t.Errorf("status %d body %s", r.status, r.body)
	}
}

// handlerDone wraps the server so a test can tell when ServeHTTP returned.
func handlerDone(s *Server) (http.Handler, <-chan struct{}) {
	done := make(chan struct{}, 16)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.ServeHTTP(w, r)
		done <- struct{}{}
	}), done
}

func TestWaitsEndWhenTheClientGoesAway(t *testing.T) {
	tests := []struct {
		name    string
		control string
		stream  bool
	}{
		{"stall before headers", "stall=30s", false},
		{"latency before a unary answer", "latency=30s", false},
		{"latency before the first stream frame", "latency=30s", true},
		{"chunk delay between frames", "chunk_delay=30s", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(Options{})
			h, done := handlerDone(s)
			ts := httptest.NewServer(h)
			defer ts.Close()
			fr := familyRoutes()[0]
			body := fr.body
			if tt.stream {
				body = fr.stream
			}
			ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, ts.URL+fr.path, strings.NewReader(body))
			for k, v := range withHeader(fr.hdr, ControlHeader, tt.control) {
				req.Header.Set(k, v)
			}
			start := time.Now()
			resp, err := ts.Client().Do(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			if err == nil {
				t.Fatal("request completed despite a 30s wait")
			}
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				t.Fatal("handler still running 5s after the client left")
			}
			if el := time.Since(start); el > 5*time.Second {
				t.Errorf("handler returned after %v", el)
			}
		})
	}
}

func TestStallWithholdsHeaders(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	fr := familyRoutes()[0]
	start := time.Now()
	r := doReq(t, ts, http.MethodPost, fr.path, withHeader(fr.hdr, ControlHeader, "stall=120ms"), fr.body)
	if r.status != http.StatusOK || time.Since(start) < 120*time.Millisecond {
		t.Errorf("status %d after %v", r.status, time.Since(start))
	}
}

func TestCutAfterAbortsTheConnection(t *testing.T) {
	for _, fr := range familyRoutes() {
		t.Run(fr.name+" unary", func(t *testing.T) {
			_, ts := newTestServer(t, Options{})
			r := doReq(t, ts, http.MethodPost, fr.path, withHeader(fr.hdr, ControlHeader, "cut_after=20"), fr.body)
			if !errors.Is(r.err, io.ErrUnexpectedEOF) {
				t.Errorf("body read error = %v, want unexpected EOF", r.err)
			}
			if len(r.body) != 20 {
				t.Errorf("got %d bytes before the cut, want 20", len(r.body))
			}
		})
	}
	streams := []struct {
		name, path string
		hdr        map[string]string
		body       string
		isContent  func(sseEvent) bool
	}{
		{"openai stream", "/v1/chat/completions", openaiAuth, familyRoutes()[0].stream,
			func(e sseEvent) bool { return strings.Contains(e.data, `"delta":{"content"`) }},
		{"anthropic stream", "/v1/messages", anthropicAuth, familyRoutes()[1].stream,
			func(e sseEvent) bool { return e.event == "content_block_delta" }},
		{"gemini sse", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", geminiAuth, familyRoutes()[2].body,
			func(e sseEvent) bool { return strings.Contains(e.data, `"text"`) }},
	}
	for _, tt := range streams {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTestServer(t, Options{})
			r := doReq(t, ts, http.MethodPost, tt.path, withHeader(tt.hdr, ControlHeader, "cut_after=3"), tt.body)
			if r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			if r.err == nil || errors.Is(r.err, io.EOF) && !errors.Is(r.err, io.ErrUnexpectedEOF) {
				t.Fatalf("body read error = %v, want a non-EOF error", r.err)
			}
			n := 0
			for _, e := range parseSSE(t, r.body) {
				if tt.isContent(e) {
					n++
				}
				if e.data == "[DONE]" || e.event == "message_stop" || strings.Contains(e.data, "finishReason") {
					t.Errorf("terminal frame sent before the cut: %s", e.raw)
				}
			}
			if n != 3 {
				t.Errorf("content frames before the cut = %d, want 3", n)
			}
		})
	}
}

func TestMalformedInsertsOneBrokenFrameAfterTheFirstChunk(t *testing.T) {
	streams := []struct {
		name, path string
		hdr        map[string]string
		body       string
		terminal   string
	}{
		{"openai", "/v1/chat/completions", openaiAuth, familyRoutes()[0].stream, "[DONE]"},
		{"anthropic", "/v1/messages", anthropicAuth, familyRoutes()[1].stream, `{"type":"message_stop"}`},
		{"gemini", "/v1beta/models/g:streamGenerateContent?alt=sse", geminiAuth, familyRoutes()[2].body, ""},
	}
	for _, tt := range streams {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTestServer(t, Options{})
			r := doReq(t, ts, http.MethodPost, tt.path, withHeader(tt.hdr, ControlHeader, "malformed=1"), tt.body)
			events := parseSSE(t, r.body)
			broken := -1
			for i, e := range events {
				if e.data == "[DONE]" {
					continue
				}
				if !jsonValid(e.data) {
					if broken >= 0 {
						t.Errorf("second broken frame at %d", i)
					}
					broken = i
				}
			}
			if broken < 1 {
				t.Fatalf("broken frame index = %d", broken)
			}
			prev := events[broken-1]
			if !strings.Contains(prev.data, "Hello") {
				t.Errorf("frame before the broken one is not the first content chunk: %s", prev.raw)
			}
			if tt.terminal != "" && events[len(events)-1].data != tt.terminal {
				t.Errorf("stream did not continue to its end: last = %s", events[len(events)-1].raw)
			}
		})
	}
}

func TestBodyBytesPadsUnaryAnswers(t *testing.T) {
	for _, size := range []int{1024, 50 * 1024} {
		for _, fr := range familyRoutes() {
			t.Run(fr.name+"_"+strconv.Itoa(size), func(t *testing.T) {
				_, ts := newTestServer(t, Options{})
				r := doReq(t, ts, http.MethodPost, fr.path, withHeader(fr.hdr, ControlHeader, "body_bytes="+strconv.Itoa(size)), fr.body)
				if d := len(r.body) - size; d < -8 || d > 8 {
					t.Errorf("body is %d bytes, want about %d", len(r.body), size)
				}
				if !jsonValid(string(r.body)) {
					t.Errorf("padded body is not JSON")
				}
			})
		}
	}
}

func jsonValid(s string) bool { return json.Valid([]byte(s)) }
