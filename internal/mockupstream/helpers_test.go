package mockupstream

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fixedNow keeps "created" fields deterministic in tests.
var fixedNow = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func newTestServer(t testing.TB, opts Options) (*Server, *httptest.Server) {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return fixedNow }
	}
	s := New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return s, ts
}

// Credentials per family, as each SDK sends them.
var (
	openaiAuth    = map[string]string{"Authorization": "Bearer sk-test-secret-openai"}
	anthropicAuth = map[string]string{"X-Api-Key": "sk-ant-test-secret", "Anthropic-Version": "2023-06-01"}
	geminiAuth    = map[string]string{"X-Goog-Api-Key": "AIza-test-secret"}
)

type reply struct {
	status int
	header http.Header
	body   []byte
	err    error // body read error
}

func doReq(t testing.TB, ts *httptest.Server, method, path string, hdr map[string]string, body string) reply {
	t.Helper()
	req, err := http.NewRequest(method, ts.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, rerr := io.ReadAll(resp.Body)
	return reply{status: resp.StatusCode, header: resp.Header, body: b, err: rerr}
}

func withHeader(base map[string]string, k, v string) map[string]string {
	out := make(map[string]string, len(base)+1)
	for bk, bv := range base {
		out[bk] = bv
	}
	out[k] = v
	return out
}

// sseEvent is one parsed SSE frame.
type sseEvent struct {
	event string
	data  string
	raw   string
}

// parseSSE splits a stream into events independently of the server's own
// splitter: frames end at a blank line (LF or CRLF).
func parseSSE(t testing.TB, body []byte) []sseEvent {
	t.Helper()
	norm := strings.ReplaceAll(string(body), "\r\n", "\n")
	var out []sseEvent
	for _, block := range strings.Split(norm, "\n\n") {
		if strings.TrimSpace(block) == "" {
			continue
		}
		ev := sseEvent{raw: block}
		for _, line := range strings.Split(block, "\n") {
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			default:
				t.Errorf("unexpected SSE line %q", line)
			}
		}
		out = append(out, ev)
	}
	return out
}

func mustJSON(t testing.TB, s []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(s, v); err != nil {
		t.Fatalf("invalid JSON: %v\n%s", err, s)
	}
}

// recordingWriter records each flushed segment, to check frame-by-frame
// writing without a network in between.
type recordingWriter struct {
	header  http.Header
	status  int
	pending bytes.Buffer
	flushed []string
}

func newRecordingWriter() *recordingWriter { return &recordingWriter{header: http.Header{}} }

func (w *recordingWriter) Header() http.Header { return w.header }
func (w *recordingWriter) WriteHeader(s int) {
	if w.status == 0 {
		w.status = s
	}
}

func (w *recordingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.pending.Write(p)
}

func (w *recordingWriter) Flush() {
	if w.pending.Len() > 0 {
		w.flushed = append(w.flushed, w.pending.String())
		w.pending.Reset()
	}
}
