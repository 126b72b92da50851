package mockupstream

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	localFixtures  = "testdata/fixtures"
	sharedFixtures = "../../../shared/fixtures"
)

// fixtureDirs are the folders replay is checked against: the package's own
// copies always, the shared folder when it is present.
func fixtureDirs(t *testing.T) []string {
	dirs := []string{localFixtures}
	if _, err := os.Stat(filepath.Join(sharedFixtures, "SOURCES.md")); err == nil {
		dirs = append(dirs, sharedFixtures)
	} else {
		t.Logf("shared fixtures absent (%v); replaying local copies only", err)
	}
	return dirs
}

func TestFixtureReplayIsByteExact(t *testing.T) {
	tests := []struct {
		fixture     string
		file        string
		path        string
		hdr         map[string]string
		body        string
		wantStatus  int
		wantCT      string
		sharedOnly  bool
		wantFrames  int
		description string
	}{
		{
			fixture: "openai-chat/raw-text-stream", file: "openai-chat/raw-text-stream.response.sse",
			path: "/v1/chat/completions", hdr: openaiAuth, body: `{"model":"gpt-4o","stream":true}`,
			wantStatus: 200, wantCT: "text/event-stream; charset=utf-8", wantFrames: 15,
		},
		{
			fixture: "anthropic-messages/text-stream", file: "anthropic-messages/text-stream.response.sse",
			path: "/v1/messages", hdr: anthropicAuth, body: `{"model":"c","stream":true}`,
			wantStatus: 200, wantCT: "text/event-stream; charset=utf-8", wantFrames: 7,
			description: "trailing-space padding inside data lines survives",
		},
		{
			fixture: "gemini/raw-max-tokens-stream-sse", file: "gemini/raw-max-tokens-stream-sse.response.sse",
			path: "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", hdr: geminiAuth, body: `{}`,
			wantStatus: 200, wantCT: "text/event-stream", wantFrames: 1,
			description: "CRLF frame ends survive",
		},
		{
			fixture: "errors/anthropic-529-overloaded-error", file: "errors/anthropic-529-overloaded-error.response.json",
			path: "/v1/messages", hdr: anthropicAuth, body: `{"model":"c"}`,
			wantStatus: 529, wantCT: "application/json",
			description: "no meta.json: status from the name",
		},
		{
			fixture: "errors/raw-openai-chat-401-invalid-api-key", file: "errors/raw-openai-chat-401-invalid-api-key.response.json",
			path: "/v1/chat/completions", hdr: openaiAuth, body: `{"model":"gpt-4o"}`,
			wantStatus: 401, wantCT: "application/json; charset=utf-8",
			description: "status and content type from meta.json",
		},
		{
			fixture: "openai-chat/raw-text-nonstream", file: "openai-chat/raw-text-nonstream.response.json",
			path: "/v1/chat/completions", hdr: openaiAuth, body: `{"model":"gpt-4o"}`,
			wantStatus: 200, wantCT: "application/json", sharedOnly: true,
		},
		{
			fixture: "errors/gemini-429-resource-exhausted-retryinfo", file: "errors/gemini-429-resource-exhausted-retryinfo.response.json",
			path: "/v1beta/models/g:generateContent", hdr: geminiAuth, body: `{}`,
			wantStatus: 429, wantCT: "application/json", sharedOnly: true,
		},
	}
	for _, dir := range fixtureDirs(t) {
		for _, tt := range tests {
			if tt.sharedOnly && dir != sharedFixtures {
				continue
			}
			label := "local"
			if dir == sharedFixtures {
				label = "shared"
			}
			t.Run(label+"/"+tt.fixture, func(t *testing.T) {
				want, err := os.ReadFile(filepath.Join(dir, tt.file))
				if err != nil {
					t.Fatal(err)
				}
				_, ts := newTestServer(t, Options{FixturesDir: dir})
				r := doReq(t, ts, http.MethodPost, tt.path, withHeader(tt.hdr, ControlHeader, "fixture="+tt.fixture), tt.body)
				if r.err != nil {
					t.Fatal(r.err)
				}
				if r.status != tt.wantStatus || r.header.Get("Content-Type") != tt.wantCT {
					t.Errorf("status %d content-type %q, want %d %q", r.status, r.header.Get("Content-Type"), tt.wantStatus, tt.wantCT)
				}
				if !bytes.Equal(r.body, want) {
					t.Errorf("replayed body differs from %s (%d vs %d bytes)", tt.file, len(r.body), len(want))
				}
			})
		}
	}
}

// blankLineFrames splits independently of splitFrames: after every blank
// line, LF or CRLF.
func blankLineFrames(b []byte) []string {
	var out []string
	for len(b) > 0 {
		i := bytes.Index(b, []byte("\n\n"))
		j := bytes.Index(b, []byte("\r\n\r\n"))
		end := len(b)
		switch {
		case i >= 0 && (j < 0 || i < j):
			end = i + 2
		case j >= 0:
			end = j + 4
		}
		// A further blank line belongs with this frame.
		for end < len(b) && b[end] == '\n' {
			end++
		}
		out = append(out, string(b[:end]))
		b = b[end:]
	}
	return out
}

func TestFixtureReplayFlushesOneFramePerWrite(t *testing.T) {
	for _, name := range []string{"openai-chat/raw-text-stream", "anthropic-messages/text-stream", "gemini/raw-max-tokens-stream-sse"} {
		t.Run(name, func(t *testing.T) {
			s := New(Options{FixturesDir: localFixtures})
			raw, err := os.ReadFile(filepath.Join(localFixtures, name+".response.sse"))
			if err != nil {
				t.Fatal(err)
			}
			req := httptest.NewRequest(http.MethodPost, "/v1beta/models/g:streamGenerateContent?alt=sse", strings.NewReader(`{"stream":true}`))
			req.Header.Set("X-Goog-Api-Key", "k")
			req.Header.Set(ControlHeader, "fixture="+name)
			w := newRecordingWriter()
			s.ServeHTTP(w, req)
			want := blankLineFrames(raw)
			if len(w.flushed) != len(want) {
				t.Fatalf("flushed %d segments, want %d frames", len(w.flushed), len(want))
			}
			for i := range want {
				if w.flushed[i] != want[i] {
					t.Errorf("segment %d = %q, want %q", i, w.flushed[i], want[i])
				}
			}
		})
	}
}

func TestChunksFilesAreRebuiltIntoSSE(t *testing.T) {
	tests := []struct {
		fixture    string
		path       string
		hdr        map[string]string
		wantEvents bool
		wantDone   bool
	}{
		{"anthropic-messages/vercel-text", "/v1/messages", anthropicAuth, true, false},
		{"gemini/vercel-text-stream", "/v1beta/models/g:streamGenerateContent?alt=sse", geminiAuth, false, false},
		{"azure-openai/vercel-chat-stream-model-router", "/v1/chat/completions", openaiAuth, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			raw, err := os.ReadFile(filepath.Join(localFixtures, tt.fixture+".chunks.txt"))
			if err != nil {
				t.Fatal(err)
			}
			var lines []string
			for _, l := range strings.Split(string(raw), "\n") {
				if strings.TrimSpace(l) != "" {
					lines = append(lines, l)
				}
			}
			_, ts := newTestServer(t, Options{FixturesDir: localFixtures})
			r := doReq(t, ts, http.MethodPost, tt.path, withHeader(tt.hdr, ControlHeader, "fixture="+tt.fixture), `{"stream":true}`)
			if r.status != http.StatusOK {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			events := parseSSE(t, r.body)
			n := len(events)
			if tt.wantDone {
				if events[n-1].data != "[DONE]" {
					t.Fatalf("last frame = %q, want [DONE]", events[n-1].raw)
				}
				n--
			}
			if n != len(lines) {
				t.Fatalf("%d data frames for %d lines", n, len(lines))
			}
			for i := range n {
				if events[i].data != lines[i] {
					t.Errorf("frame %d data differs from line %d", i, i)
				}
				var probe struct {
					Type string `json:"type"`
				}
				mustJSON(t, []byte(events[i].data), &probe)
				if tt.wantEvents != (events[i].event != "") || events[i].event != probe.Type && tt.wantEvents {
					t.Errorf("frame %d event line %q for payload type %q", i, events[i].event, probe.Type)
				}
			}
		})
	}
}

func TestFixtureErrorsAnswerJSON(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret.response.json"), []byte(`{"secret":true}`), 0o600); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.response.json"), filepath.Join(dir, "x", "link.response.json")); err != nil {
		t.Skipf("symlinks unavailable: %v", err)
	}
	tests := []struct {
		name       string
		dir        string
		fixture    string
		wantStatus int
		wantInBody string
	}{
		{"dot-dot refused", dir, "../" + filepath.Base(outside) + "/secret", 400, "invalid fixture name"},
		{"nested dot-dot refused", dir, "x/../../secret", 400, "invalid fixture name"},
		{"absolute refused", dir, outside + "/secret", 400, "invalid fixture name"},
		{"backslash refused", dir, `x\..\secret`, 400, "invalid fixture name"},
		{"symlink out of the folder refused", dir, "x/link", 500, "could not be read"},
		{"unknown fixture", dir, "x/nothing", 404, "unknown fixture x/nothing"},
		{"no fixtures folder", "", "x/nothing", 404, "no fixtures folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, ts := newTestServer(t, Options{FixturesDir: tt.dir})
			r := doReq(t, ts, http.MethodPost, "/v1/chat/completions", withHeader(openaiAuth, ControlHeader, "fixture="+tt.fixture), `{"model":"m"}`)
			var e openaiErr
			mustJSON(t, r.body, &e)
			if r.status != tt.wantStatus || e.Error.Message == nil || !strings.Contains(*e.Error.Message, tt.wantInBody) {
				t.Errorf("status %d body %s", r.status, r.body)
			}
			if strings.Contains(string(r.body), "secret\":true") {
				t.Error("file outside the fixtures folder was served")
			}
		})
	}
}

func TestCutAfterAppliesToReplayedFrames(t *testing.T) {
	_, ts := newTestServer(t, Options{FixturesDir: localFixtures})
	r := doReq(t, ts, http.MethodPost, "/v1/chat/completions", withHeader(openaiAuth, ControlHeader, "fixture=openai-chat/raw-text-stream;cut_after=2"), `{"stream":true}`)
	if !errors.Is(r.err, io.ErrUnexpectedEOF) {
		t.Errorf("read error = %v, want unexpected EOF", r.err)
	}
	raw, _ := os.ReadFile(filepath.Join(localFixtures, "openai-chat/raw-text-stream.response.sse"))
	frames := blankLineFrames(raw)
	if want := frames[0] + frames[1]; string(r.body) != want {
		t.Errorf("got %q, want the first two frames", r.body)
	}
}

func TestSplitFramesKeepsEveryByte(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"data: a\n\ndata: b\n\n", []string{"data: a\n\n", "data: b\n\n"}},
		{"data: a\r\n\r\ndata: b\r\n\r\n", []string{"data: a\r\n\r\n", "data: b\r\n\r\n"}},
		{"event: x\ndata: {}\n\n\n", []string{"event: x\ndata: {}\n\n\n"}},
		{"data: a\n\ndata: tail-without-end", []string{"data: a\n\n", "data: tail-without-end"}},
		{"{\n  \"error\": 1\n}\n", []string{"{\n  \"error\": 1\n}\n"}},
		{"\n\ndata: a\n\n", []string{"\n\n", "data: a\n\n"}},
		{"", nil},
	}
	for _, tt := range tests {
		ends := splitFrames([]byte(tt.in))
		var got []string
		prev := 0
		for _, e := range ends {
			got = append(got, tt.in[prev:e])
			prev = e
		}
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("splitFrames(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestStatusFromName(t *testing.T) {
	tests := map[string]int{
		"anthropic-529-overloaded-error":   529,
		"raw-openai-chat-401-invalid-key":  401,
		"gemini-429-resource-exhausted":    429,
		"anthropic-stream-error-event":     200,
		"text-stream":                      200,
		"chat-200-ok":                      200,
		"embeddings-256-dims":              200,
		"openai-chat-4000-something-error": 200,
	}
	for name, want := range tests {
		if got := statusFromName(name); got != want {
			t.Errorf("statusFromName(%q) = %d, want %d", name, got, want)
		}
	}
}

func TestFixtureMetaHeadersAreCaseInsensitive(t *testing.T) {
	var fx fixture
	applyMeta(&fx, []byte(`{"response":{"status":418,"headers":{"CONTENT-TYPE":["text/plain"]}}}`))
	if fx.status != 418 || fx.contentType != "text/plain" {
		t.Errorf("fixture = %+v", fx)
	}
	fx = fixture{status: 200, contentType: "a"}
	applyMeta(&fx, []byte(`not json`))
	if fx.status != 200 || fx.contentType != "a" {
		t.Errorf("bad meta changed the fixture: %+v", fx)
	}
}
