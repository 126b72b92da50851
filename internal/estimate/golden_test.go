package estimate

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden answers in testdata/golden")

// goldenAnswer is what a golden file records: the status, the headers a
// client acts on, and the JSON body.
type goldenAnswer struct {
	Status  int               `json:"status"`
	Headers map[string]string `json:"headers,omitempty"`
	Body    json.RawMessage   `json:"body"`
}

// TestGoldenHTTPShapes drives the handler with request files and compares
// the whole answer with testdata/golden/<name>.response.json (go test
// -run TestGoldenHTTPShapes -update rewrites them; review the diff).
func TestGoldenHTTPShapes(t *testing.T) {
	cases := []struct {
		name   string
		method string
		token  string // sent as Authorization: Bearer
		nexus  string // sent as x-nexus-virtual-key
		file   string // request body file (defaults to name)
		maxLen int64
	}{
		{name: "compare-openai-chat", token: "nvk_good"},
		{name: "anthropic-body-tools-thinking", nexus: "nvk_good"},
		{name: "gemini-body", token: "nvk_good"},
		{name: "responses-body", token: "nvk_good"},
		{name: "embeddings-body", token: "nvk_good"},
		{name: "allowlist", token: "nvk_limited"},
		{name: "error-method", method: http.MethodGet, token: "nvk_good", file: "minimal"},
		{name: "error-no-key", file: "minimal"},
		{name: "error-unknown-key", token: "nvk_who", file: "minimal"},
		{name: "error-disabled-key", nexus: "nvk_disabled", file: "minimal"},
		{name: "error-key-store-down", token: "nvk_storedown", file: "minimal"},
		{name: "error-rate-limited", token: "nvk_throttled", file: "minimal"},
		{name: "error-invalid-json", token: "nvk_good", file: "invalid-json"},
		{name: "error-invalid-request-shape", token: "nvk_good", file: "invalid-request-shape"},
		{name: "error-no-targets", token: "nvk_good", file: "no-targets"},
		{name: "error-too-many-targets", token: "nvk_good", file: "too-many-targets"},
		{name: "error-no-request", token: "nvk_good", file: "no-request"},
		{name: "error-request-not-object", token: "nvk_good", file: "request-not-object"},
		{name: "error-invalid-effort-name", token: "nvk_good", file: "invalid-effort-name"},
		{name: "error-invalid-effort-budget", token: "nvk_good", file: "invalid-effort-budget"},
		{name: "error-invalid-effort-fraction", token: "nvk_good", file: "invalid-effort-fraction"},
		{name: "error-payload-too-large", token: "nvk_good", file: "compare-openai-chat", maxLen: 100},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			file := c.file
			if file == "" {
				file = c.name
			}
			body, err := os.ReadFile(filepath.Join("testdata", "golden", file+".request.json"))
			if err != nil {
				t.Fatal(err)
			}
			method := c.method
			if method == "" {
				method = http.MethodPost
			}
			req := httptest.NewRequest(method, "/v1/estimate", bytes.NewReader(body))
			if c.token != "" {
				req.Header.Set("Authorization", "Bearer "+c.token)
			}
			if c.nexus != "" {
				req.Header.Set("X-Nexus-Virtual-Key", c.nexus)
			}
			h, _ := newHandler()
			h.MaxBodyBytes = c.maxLen
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)

			if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			got := goldenAnswer{Status: rec.Code, Body: json.RawMessage(rec.Body.Bytes())}
			for _, k := range []string{"Allow", "Retry-After"} {
				if v := rec.Header().Get(k); v != "" {
					if got.Headers == nil {
						got.Headers = map[string]string{}
					}
					got.Headers[k] = v
				}
			}
			out, err := json.MarshalIndent(got, "", "  ")
			if err != nil {
				t.Fatalf("answer is not JSON: %v\n%s", err, rec.Body.Bytes())
			}
			out = append(out, '\n')
			path := filepath.Join("testdata", "golden", c.name+".response.json")
			if *update {
				if err := os.WriteFile(path, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("answer differs from %s:\n%s", path, lineDiff(string(want), string(out)))
			}
		})
	}
}

// lineDiff shows the first lines where two texts differ.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	shown := 0
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			b.WriteString("line " + strconv.Itoa(i+1) + "\n  want: " + wl + "\n  got:  " + gl + "\n")
			if shown++; shown == 8 {
				break
			}
		}
	}
	return b.String()
}
