package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/jsonscan"
	"github.com/nexus-gateway/nexus/internal/sse"
)

const fixtureDir = "testdata/fixtures"

func fixtureNames(t *testing.T, folder, suffix string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(fixtureDir, folder, "*"+suffix))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no %s fixtures in %s: %v", suffix, folder, err)
	}
	var out []string
	for _, p := range paths {
		out = append(out, strings.TrimSuffix(filepath.Base(p), suffix))
	}
	return out
}

// lastUsage returns the usage object of the last SSE frame that carries one.
func lastUsage(t *testing.T, stream []byte) map[string]any {
	t.Helper()
	rd := sse.NewReader(bytes.NewReader(stream), 0)
	var usage map[string]any
	for {
		ev, err := rd.Next()
		if len(ev.Data) > 0 && ev.Data[0] == '{' {
			var m [1]jsonscan.Member
			if jsonscan.Object(ev.Data, []string{"usage"}, m[:]) == nil && m[0].Found && !jsonscan.IsNull(ev.Data, m[0]) {
				usage = nil
				_ = json.Unmarshal(jsonscan.Raw(ev.Data, m[0]), &usage)
			}
		}
		if err != nil {
			return usage
		}
	}
}

// TestRecordedStreamsAreRelayedByteForByte replays every recorded OpenAI chat
// stream through the gateway: the same-shape relay must deliver the upstream
// bytes unchanged, and the usage the gateway records must equal the recorded
// usage chunk.
func TestRecordedStreamsAreRelayedByteForByte(t *testing.T) {
	e := newEnv(t, envOptions{fixtures: fixtureDir})
	key := e.newKey(t, "app", nil)
	for _, name := range fixtureNames(t, "openai-chat", ".response.sse") {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join(fixtureDir, "openai-chat", name+".response.sse"))
			if err != nil {
				t.Fatal(err)
			}
			body := fmt.Sprintf(`{"model":"mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"[[mock: fixture=openai-chat/%s]]"}]}`, name)
			r := e.post(t, "/v1/chat/completions", key, body, nil)
			got, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, got)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("relayed stream differs from the recording\n got: %q\nwant: %q", tail(got), tail(want))
			}
			if u := lastUsage(t, want); u != nil {
				e.waitLog(t, fmt.Sprintf(`"output_tokens":%v`, u["completion_tokens"]))
			}
		})
	}
}

func tail(b []byte) []byte {
	if len(b) > 300 {
		return b[len(b)-300:]
	}
	return b
}

// TestRecordedToolCallStreamsParseInTheSDK checks what the official client
// sees on the recorded tool-call streams: every call has a name and
// arguments that parse as JSON, and the turn ends as tool_calls.
func TestRecordedToolCallStreamsParseInTheSDK(t *testing.T) {
	e := newEnv(t, envOptions{fixtures: fixtureDir})
	c := e.client(e.newKey(t, "app", nil))
	for _, name := range []string{"raw-parallel-tool-calls-stream", "tool-call-stream-args-split", "tool-calls-parallel-stream", "tool-calls-parallel-stream-2"} {
		t.Run(name, func(t *testing.T) {
			stream := c.Chat.Completions.NewStreaming(context.Background(), userMsg("[[mock: fixture=openai-chat/"+name+"]]"))
			acc := accumulate(t, stream)
			calls := acc.Choices[0].Message.ToolCalls
			if len(calls) == 0 || acc.Choices[0].FinishReason != "tool_calls" {
				t.Fatalf("choice = %+v", acc.Choices[0])
			}
			for _, call := range calls {
				var args any
				if call.Function.Name == "" || json.Unmarshal([]byte(call.Function.Arguments), &args) != nil {
					t.Fatalf("incomplete tool call %+v", call)
				}
			}
		})
	}
}

func TestRecordedUnaryAnswersAndUsage(t *testing.T) {
	e := newEnv(t, envOptions{fixtures: fixtureDir})
	key := e.newKey(t, "app", nil)
	for _, name := range fixtureNames(t, "openai-chat", ".response.json") {
		t.Run(name, func(t *testing.T) {
			want, _ := os.ReadFile(filepath.Join(fixtureDir, "openai-chat", name+".response.json"))
			body := fmt.Sprintf(`{"model":"mini","messages":[{"role":"user","content":"[[mock: fixture=openai-chat/%s]]"}]}`, name)
			r := e.post(t, "/v1/chat/completions", key, body, nil)
			got, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 || !bytes.Equal(got, want) {
				t.Fatalf("status %d, body differs: %s", r.StatusCode, tail(got))
			}
			var resp struct {
				Usage *struct {
					Prompt int `json:"prompt_tokens"`
				} `json:"usage"`
			}
			if json.Unmarshal(want, &resp) == nil && resp.Usage != nil {
				e.waitLog(t, fmt.Sprintf(`"input_tokens":%d`, resp.Usage.Prompt))
			}
		})
	}
}

var statusInName = regexp.MustCompile(`-([45]\d\d)-`)

// TestRecordedUpstreamErrorsKeepStatusAndBody replays real OpenAI error
// bodies: the caller gets the upstream status and the provider's own body
// (same family ⇒ verbatim), and the SDK's typed error carries its fields.
func TestRecordedUpstreamErrorsKeepStatusAndBody(t *testing.T) {
	e := newEnv(t, envOptions{fixtures: fixtureDir})
	key := e.newKey(t, "app", nil)
	c := e.client(key)
	for _, name := range fixtureNames(t, "errors", ".response.json") {
		t.Run(name, func(t *testing.T) {
			m := statusInName.FindStringSubmatch(name)
			if m == nil {
				t.Skip("no status in name")
			}
			status, _ := strconv.Atoi(m[1])
			want, _ := os.ReadFile(filepath.Join(fixtureDir, "errors", name+".response.json"))
			directive := "[[mock: fixture=errors/" + name + "]]"
			r := e.post(t, "/v1/chat/completions", key, `{"model":"mini","messages":[{"role":"user","content":"`+directive+`"}]}`, nil)
			got, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != status || !bytes.Equal(got, want) {
				t.Fatalf("got %d %s, want %d verbatim", r.StatusCode, got, status)
			}
			_, err := c.Chat.Completions.New(context.Background(), userMsg(directive))
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != status || apiErr.Message == "" {
				t.Fatalf("SDK error = %v", err)
			}
			var env struct {
				Error struct {
					Type string `json:"type"`
				} `json:"error"`
			}
			_ = json.Unmarshal(want, &env)
			if apiErr.Type != env.Error.Type {
				t.Fatalf("type %q, want %q", apiErr.Type, env.Error.Type)
			}
			wantKind := canonical.KindForStatus(status)
			e.waitLog(t, `"error_kind":"`+string(wantKind)+`"`)
		})
	}
}
