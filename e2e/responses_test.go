package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"

	"github.com/nexus-gateway/nexus/internal/mockupstream"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// newResponsesEnv: the OpenAI provider (native Responses) replays the
// recorded transcripts; claude-haiku-4-5 and gemini-2.5-flash sit behind a
// route that allows the downgrade to chat, claude-sonnet-4-5 behind none.
func newResponsesEnv(t *testing.T) *env {
	return newEnv(t, envOptions{
		fixtures: fixtureDir,
		providers: "- {name: anthropic, type: anthropic, base_url: UPSTREAM, api_key: a-key}\n" +
			"- {name: gemini, type: gemini, base_url: UPSTREAM/v1beta, api_key: g-key}",
		models: "- {name: claude-haiku-4-5, provider: anthropic}\n" +
			"- {name: claude-sonnet-4-5, provider: anthropic}\n" +
			"- {name: gemini-2.5-flash, provider: gemini}",
		limits: `routes:
  - name: chat-downgrade
    match: {models: [claude-haiku-4-5, gemini-2.5-flash]}
    responses: downgrade
    strategy: priority
    targets: [{model: claude-haiku-4-5}]
  - name: gemini-downgrade
    match: {models: [gemini-flash]}
    responses: downgrade
    targets: [{model: gemini-2.5-flash}]`,
	})
}

// respView is what a test compares of a Responses answer: the same
// projection read from a recording (JSON) and from the client's types.
type respView struct {
	ID        string
	Text      string
	Calls     []string // name(arguments)
	Reasoning string   // summary texts, joined
	Usage     [5]int64 // input, output, total, cached, reasoning
}

// viewOfJSON reads a recorded response object.
func viewOfJSON(t *testing.T, b []byte) respView {
	t.Helper()
	var w struct {
		ID     string `json:"id"`
		Output []struct {
			Type      string `json:"type"`
			Name      string `json:"name"`
			Arguments string `json:"arguments"`
			Content   []struct {
				Type string `json:"type"`
				Text string `json:"text"`
			} `json:"content"`
			Summary []struct {
				Text string `json:"text"`
			} `json:"summary"`
		} `json:"output"`
		Usage struct {
			Input  int64 `json:"input_tokens"`
			Output int64 `json:"output_tokens"`
			Total  int64 `json:"total_tokens"`
			InDet  struct {
				Cached int64 `json:"cached_tokens"`
			} `json:"input_tokens_details"`
			OutDet struct {
				Reasoning int64 `json:"reasoning_tokens"`
			} `json:"output_tokens_details"`
		} `json:"usage"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		t.Fatalf("recording: %v", err)
	}
	v := respView{ID: w.ID, Usage: [5]int64{w.Usage.Input, w.Usage.Output, w.Usage.Total, w.Usage.InDet.Cached, w.Usage.OutDet.Reasoning}}
	for _, o := range w.Output {
		switch o.Type {
		case "message":
			for _, c := range o.Content {
				if c.Type == "output_text" {
					v.Text += c.Text
				}
			}
		case "function_call":
			v.Calls = append(v.Calls, o.Name+"("+o.Arguments+")")
		case "reasoning":
			for _, s := range o.Summary {
				v.Reasoning += s.Text
			}
		}
	}
	return v
}

// viewOfClient reads what the official client decoded.
func viewOfClient(r *responses.Response) respView {
	u := r.Usage
	v := respView{ID: r.ID, Text: r.OutputText(),
		Usage: [5]int64{u.InputTokens, u.OutputTokens, u.TotalTokens, u.InputTokensDetails.CachedTokens, u.OutputTokensDetails.ReasoningTokens}}
	for _, o := range r.Output {
		switch o.Type {
		case "function_call":
			v.Calls = append(v.Calls, o.Name+"("+o.Arguments.OfString+")")
		case "reasoning":
			for _, s := range o.Summary {
				v.Reasoning += s.Text
			}
		}
	}
	return v
}

func (v respView) String() string { return fmt.Sprintf("%+v", struct{ respView }{v}) }

func equalViews(a, b respView) bool {
	return a.ID == b.ID && a.Text == b.Text && strings.Join(a.Calls, "|") == strings.Join(b.Calls, "|") &&
		a.Reasoning == b.Reasoning && a.Usage == b.Usage
}

func inputOf(s string) responses.ResponseNewParamsInputUnion {
	return responses.ResponseNewParamsInputUnion{OfString: openai.String(s)}
}

// completedOf returns the response object of a recorded stream's terminal
// frame (response.completed or response.incomplete).
func completedOf(t *testing.T, stream []byte) []byte {
	t.Helper()
	rd := sse.NewReader(bytes.NewReader(stream), 0)
	for {
		ev, err := rd.Next()
		if ev.Name == "response.completed" || ev.Name == "response.incomplete" {
			var f struct {
				Response json.RawMessage `json:"response"`
			}
			if json.Unmarshal(ev.Data, &f) != nil {
				t.Fatal("bad response.completed frame")
			}
			return f.Response
		}
		if err != nil {
			t.Fatal("recording has no terminal frame")
		}
	}
}

func checkNexusHeaders(t *testing.T, h http.Header, provider, model string) {
	t.Helper()
	if h.Get("X-Nexus-Routed-Provider") != provider || h.Get("X-Nexus-Routed-Model") != model ||
		h.Get("X-Nexus-Request-Id") == "" || h.Get("X-Nexus-Attempts") != "1" {
		t.Fatalf("nexus headers: provider %q model %q id %q attempts %q", h.Get("X-Nexus-Routed-Provider"),
			h.Get("X-Nexus-Routed-Model"), h.Get("X-Nexus-Request-Id"), h.Get("X-Nexus-Attempts"))
	}
}

// TestResponsesNativeUnaryThroughOfficialClient: recorded Responses objects
// (text, function call, reasoning summary) reach the official client as
// recorded, with the Nexus headers, and the audit trail holds their usage.
func TestResponsesNativeUnaryThroughOfficialClient(t *testing.T) {
	e := newResponsesEnv(t)
	c := e.client(e.newKey(t, "app", nil))
	for _, name := range []string{"text-nonstream", "function-call-nonstream", "reasoning-summary-nonstream"} {
		t.Run(name, func(t *testing.T) {
			rec, err := os.ReadFile(filepath.Join(fixtureDir, "openai-responses", name+".response.json"))
			if err != nil {
				t.Fatal(err)
			}
			want := viewOfJSON(t, rec)
			var raw *http.Response
			resp, err := c.Responses.New(context.Background(), responses.ResponseNewParams{
				Model: "gpt-4o-mini", Input: inputOf("[[mock: fixture=openai-responses/" + name + "]]"),
			}, option.WithResponseInto(&raw))
			if err != nil {
				t.Fatal(err)
			}
			if got := viewOfClient(resp); !equalViews(got, want) {
				t.Fatalf("client decoded\n%v\nrecording holds\n%v", got, want)
			}
			checkNexusHeaders(t, raw.Header, "openai", "gpt-4o-mini")
			a := e.waitAudit(t, raw.Header.Get("X-Nexus-Request-Id"))
			if a.Endpoint != "responses" || a.Ingress != "openai-responses" || a.InputTokens != want.Usage[0] ||
				a.OutputTokens != want.Usage[1] || a.ReasoningTokens != want.Usage[4] || !a.CostKnown {
				t.Fatalf("audit = %+v, want usage %v", a, want.Usage)
			}
		})
	}
	// The body went upstream with the model rewritten and nothing else.
	_, body := e.mock.LastRequest()
	if !bytes.Contains(body, []byte(`"model":"gpt-4o-mini"`)) || !bytes.Contains(body, []byte(`"input":`)) {
		t.Fatalf("upstream body = %s", body)
	}
}

// TestResponsesNativeStreamsThroughOfficialClient: recorded Responses
// streams are relayed byte for byte; the official client's deltas and
// final response equal the recording's, and the audit trail has the usage.
func TestResponsesNativeStreamsThroughOfficialClient(t *testing.T) {
	e := newResponsesEnv(t)
	key := e.newKey(t, "app", nil)
	c := e.client(key)
	names := fixtureNames(t, "openai-responses", ".response.sse")
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			rec, err := os.ReadFile(filepath.Join(fixtureDir, "openai-responses", name+".response.sse"))
			if err != nil {
				t.Fatal(err)
			}
			body := fmt.Sprintf(`{"model":"gpt-4o-mini","stream":true,"input":"[[mock: fixture=openai-responses/%s]]"}`, name)
			r := e.post(t, "/v1/responses", key, body, nil)
			got, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 || !bytes.Equal(got, rec) {
				t.Fatalf("status %d; relayed stream differs from the recording\n got: %q\nwant: %q", r.StatusCode, tail(got), tail(rec))
			}
			checkNexusHeaders(t, r.Header, "openai", "gpt-4o-mini")

			want := viewOfJSON(t, completedOf(t, rec))
			st := c.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
				Model: "gpt-4o-mini", Input: inputOf("[[mock: fixture=openai-responses/" + name + "]]"),
			})
			var text, reasoning, args strings.Builder
			var final *responses.Response
			for st.Next() {
				ev := st.Current()
				switch ev.Type {
				case "response.output_text.delta":
					text.WriteString(ev.Delta)
				case "response.reasoning_summary_text.delta":
					reasoning.WriteString(ev.Delta)
				case "response.function_call_arguments.delta":
					args.WriteString(ev.Delta)
				case "response.completed", "response.incomplete":
					f := ev.Response
					final = &f
				}
			}
			if err := st.Err(); err != nil {
				t.Fatal(err)
			}
			if final == nil {
				t.Fatal("no terminal event")
			}
			if got := viewOfClient(final); !equalViews(got, want) {
				t.Fatalf("client decoded\n%v\nrecording holds\n%v", got, want)
			}
			if text.String() != want.Text || reasoning.String() != want.Reasoning {
				t.Fatalf("deltas: text %q reasoning %q; recording %q / %q", text.String(), reasoning.String(), want.Text, want.Reasoning)
			}
			if len(want.Calls) == 1 && !strings.HasSuffix(want.Calls[0], "("+args.String()+")") {
				t.Fatalf("argument deltas %q, call %s", args.String(), want.Calls[0])
			}
			a := e.waitAudit(t, r.Header.Get("X-Nexus-Request-Id"))
			if !a.Stream || a.InputTokens != want.Usage[0] || a.OutputTokens != want.Usage[1] || a.ReasoningTokens != want.Usage[4] {
				t.Fatalf("audit = %+v, want usage %v", a, want.Usage)
			}
		})
	}
	for _, need := range []string{"function-call-stream", "reasoning-summary-stream", "text-stream-logprobs"} {
		if !strings.Contains(strings.Join(names, ","), need) {
			t.Fatalf("fixture %s is missing from testdata", need)
		}
	}
}

// TestResponsesNativeUpstreamErrorIsVerbatim: a Responses upstream's error
// reaches the client as sent, with its status.
func TestResponsesNativeUpstreamErrorIsVerbatim(t *testing.T) {
	e := newResponsesEnv(t)
	c := e.client(e.newKey(t, "app", nil))
	_, err := c.Responses.New(context.Background(), responses.ResponseNewParams{
		Model: "gpt-4o-mini", Input: inputOf("[[mock: fixture=openai-responses-errors/openai-responses-400-model-not-found]]"),
	})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "model_not_found" || apiErr.Param != "model" {
		t.Fatalf("err = %v", err)
	}
}

// TestResponsesNativeMidStreamCutEndsWithFailedFrame: an upstream that
// drops the connection mid-stream gets one response.failed frame that
// continues the recording's sequence numbers and names its response.
func TestResponsesNativeMidStreamCutEndsWithFailedFrame(t *testing.T) {
	e := newResponsesEnv(t)
	key := e.newKey(t, "app", nil)
	body := `{"model":"gpt-4o-mini","stream":true,"input":"[[mock: fixture=openai-responses/reasoning-summary-stream; cut_after=6]]"}`
	r := e.post(t, "/v1/responses", key, body, nil)
	got, _ := io.ReadAll(r.Body)
	r.Body.Close()
	frames := sseFrames(t, got)
	if r.StatusCode != 200 || len(frames) != 7 {
		t.Fatalf("status %d, %d frames: %s", r.StatusCode, len(frames), tail(got))
	}
	last := frames[len(frames)-1]
	var f struct {
		Type     string `json:"type"`
		Seq      int    `json:"sequence_number"`
		Response struct {
			ID     string `json:"id"`
			Status string `json:"status"`
			Error  struct {
				Code, Message string
			} `json:"error"`
		} `json:"response"`
	}
	if last.name != "response.failed" || json.Unmarshal(last.data, &f) != nil || f.Type != "response.failed" ||
		f.Seq != 6 || f.Response.Status != "failed" || f.Response.Error.Code == "" ||
		f.Response.ID != "resp_68c42d0fb418819dbfa579f69406b49508fbf9b1584184ff" {
		t.Fatalf("last frame %s %s", last.name, last.data)
	}
	a := e.waitAudit(t, r.Header.Get("X-Nexus-Request-Id"))
	if a.Status != 502 {
		t.Fatalf("audit status %d, want 502 for a cut stream", a.Status)
	}
}

type sseFrame struct {
	name string
	data []byte
}

func sseFrames(t *testing.T, b []byte) []sseFrame {
	t.Helper()
	rd := sse.NewReader(bytes.NewReader(b), 0)
	var out []sseFrame
	for {
		ev, err := rd.Next()
		if len(ev.Data) > 0 {
			out = append(out, sseFrame{ev.Name, bytes.Clone(ev.Data)})
		}
		if err != nil {
			return out
		}
	}
}

// TestResponsesToChatTargetRefusedByDefault: without a downgrade route, a
// Responses request for an Anthropic model is a Responses-shaped 400 naming
// the provider, and nothing is sent upstream.
func TestResponsesToChatTargetRefusedByDefault(t *testing.T) {
	e := newResponsesEnv(t)
	c := e.client(e.newKey(t, "app", nil))
	before := e.mock.Requests()
	_, err := c.Responses.New(context.Background(), responses.ResponseNewParams{Model: "claude-sonnet-4-5", Input: inputOf("hi")})
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Code != "responses_not_supported" ||
		apiErr.Type != "invalid_request_error" || !strings.Contains(apiErr.Message, `"anthropic"`) {
		t.Fatalf("err = %v", err)
	}
	if e.mock.Requests() != before {
		t.Fatal("a refused request reached the upstream")
	}
	// Gateway errors on the route use the same envelope.
	bad := e.client("nvk_" + strings.Repeat("0", 64))
	_, err = bad.Responses.New(context.Background(), responses.ResponseNewParams{Model: "gpt-4o-mini", Input: inputOf("hi")})
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 || apiErr.Code == "" || apiErr.Message == "" {
		t.Fatalf("bad key: %v", err)
	}
}

// TestResponsesDowngradeServesStatelessRequests: behind responses:
// downgrade, Anthropic and Gemini targets answer Responses requests — text
// and function calls, unary and streamed — read by the official client.
func TestResponsesDowngradeServesStatelessRequests(t *testing.T) {
	e := newResponsesEnv(t)
	c := e.client(e.newKey(t, "app", nil))
	wantText := mockupstream.Greeting + " You said: What is 4200 + 42?"
	tool := []responses.ToolUnionParam{responses.ToolParamOfFunction("add", map[string]any{"type": "object", "properties": map[string]any{}}, false)}
	for _, tc := range []struct{ model, routed, provider string }{
		{"claude-haiku-4-5", "claude-haiku-4-5", "anthropic"},
		{"gemini-flash", "gemini-2.5-flash", "gemini"},
	} {
		t.Run(tc.provider, func(t *testing.T) {
			var raw *http.Response
			resp, err := c.Responses.New(context.Background(), responses.ResponseNewParams{
				Model: tc.model, Input: inputOf("What is 4200 + 42?"), Instructions: openai.String("Be brief."),
			}, option.WithResponseInto(&raw))
			if err != nil {
				t.Fatal(err)
			}
			if resp.OutputText() != wantText || resp.Status != "completed" || resp.Object != "response" ||
				resp.Usage.OutputTokens == 0 || resp.Usage.TotalTokens != resp.Usage.InputTokens+resp.Usage.OutputTokens {
				t.Fatalf("response = %+v", resp)
			}
			checkNexusHeaders(t, raw.Header, tc.provider, tc.routed)

			resp, err = c.Responses.New(context.Background(), responses.ResponseNewParams{
				Model: tc.model, Input: inputOf("add [[mock: tool=1]]"), Tools: tool,
			})
			if err != nil {
				t.Fatal(err)
			}
			if v := viewOfClient(resp); len(v.Calls) != 1 || v.Calls[0] != `add({"mock":true})` {
				t.Fatalf("calls = %v (output %+v)", v.Calls, resp.Output)
			}

			for _, withTool := range []bool{false, true} {
				p := responses.ResponseNewParams{Model: tc.model, Input: inputOf("What is 4200 + 42?")}
				if withTool {
					p.Input, p.Tools = inputOf("add [[mock: tool=1]]"), tool
				}
				st := c.Responses.NewStreaming(context.Background(), p)
				var deltas, args strings.Builder
				var final *responses.Response
				seq := int64(0)
				for st.Next() {
					ev := st.Current()
					if ev.SequenceNumber != seq {
						t.Fatalf("%s has sequence %d, want %d", ev.Type, ev.SequenceNumber, seq)
					}
					seq++
					switch ev.Type {
					case "response.output_text.delta":
						deltas.WriteString(ev.Delta)
					case "response.function_call_arguments.delta":
						args.WriteString(ev.Delta)
					case "response.completed":
						f := ev.Response
						final = &f
					}
				}
				if err := st.Err(); err != nil {
					t.Fatal(err)
				}
				if final == nil || final.Usage.OutputTokens == 0 {
					t.Fatalf("tool=%v: final = %+v", withTool, final)
				}
				if withTool {
					if v := viewOfClient(final); len(v.Calls) != 1 || v.Calls[0] != "add("+args.String()+")" || args.String() != `{"mock":true}` {
						t.Fatalf("streamed call %v, argument deltas %q", v.Calls, args.String())
					}
				} else if deltas.String() != wantText || final.OutputText() != wantText {
					t.Fatalf("streamed text %q, final %q", deltas.String(), final.OutputText())
				}
			}
		})
	}
}

// TestResponsesDowngradeRefusesStatefulRequests: even behind responses:
// downgrade, what a chat target would silently lose is a 400 naming the
// parameter, before any upstream call.
func TestResponsesDowngradeRefusesStatefulRequests(t *testing.T) {
	e := newResponsesEnv(t)
	c := e.client(e.newKey(t, "app", nil))
	before := e.mock.Requests()
	for _, tc := range []struct {
		param  string
		mutate func(*responses.ResponseNewParams)
	}{
		{"previous_response_id", func(p *responses.ResponseNewParams) { p.PreviousResponseID = openai.String("resp_123") }},
		{"store", func(p *responses.ResponseNewParams) { p.Store = openai.Bool(true) }},
		{"tools[0].type", func(p *responses.ResponseNewParams) {
			p.Tools = []responses.ToolUnionParam{{OfWebSearch: &responses.WebSearchToolParam{Type: responses.WebSearchToolTypeWebSearch}}}
		}},
	} {
		p := responses.ResponseNewParams{Model: "claude-haiku-4-5", Input: inputOf("hi")}
		tc.mutate(&p)
		_, err := c.Responses.New(context.Background(), p)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 || apiErr.Param != tc.param ||
			apiErr.Code != "feature_requires_native_responses_target" || apiErr.Type != "unsupported_feature" {
			t.Fatalf("%s: err = %v", tc.param, err)
		}
	}
	if e.mock.Requests() != before {
		t.Fatal("a refused request reached the upstream")
	}
	// The same stateful request is fine for a native target.
	if _, err := c.Responses.New(context.Background(), responses.ResponseNewParams{
		Model: "gpt-4o-mini", Input: inputOf("hi"), Store: openai.Bool(true), PreviousResponseID: openai.String("resp_123"),
	}); err != nil {
		t.Fatal(err)
	}
}

// TestResponsesDowngradeMidStreamCutEndsWithFailedFrame: a translated
// stream cut upstream ends with response.failed at the encoder's next
// sequence number.
func TestResponsesDowngradeMidStreamCutEndsWithFailedFrame(t *testing.T) {
	e := newResponsesEnv(t)
	key := e.newKey(t, "app", nil)
	r := e.post(t, "/v1/responses", key, `{"model":"claude-haiku-4-5","stream":true,"input":"hi [[mock: cut_after=3]]"}`, nil)
	got, _ := io.ReadAll(r.Body)
	r.Body.Close()
	frames := sseFrames(t, got)
	if r.StatusCode != 200 || len(frames) < 3 {
		t.Fatalf("status %d: %s", r.StatusCode, got)
	}
	var last struct {
		Type string `json:"type"`
		Seq  int    `json:"sequence_number"`
	}
	lf := frames[len(frames)-1]
	if json.Unmarshal(lf.data, &last) != nil || last.Type != "response.failed" || last.Seq != len(frames)-1 {
		t.Fatalf("last of %d frames: %s %s", len(frames), lf.name, lf.data)
	}
	for _, f := range frames[:len(frames)-1] {
		if f.name == "response.failed" || f.name == "response.completed" {
			t.Fatalf("terminal frame %s before the end", f.name)
		}
	}
}

// TestResponsesNativeInBandErrorIsRelayedWhole: OpenAI's in-stream error
// event and the response.failed after it reach the client as recorded, with
// no gateway frame added, and the request is recorded as failed.
func TestResponsesNativeInBandErrorIsRelayedWhole(t *testing.T) {
	e := newResponsesEnv(t)
	key := e.newKey(t, "app", nil)
	body := `{"model":"gpt-4o-mini","stream":true,"input":"[[mock: fixture=openai-responses-errors/openai-responses-stream-error-event]]"}`
	r := e.post(t, "/v1/responses", key, body, nil)
	got, _ := io.ReadAll(r.Body)
	r.Body.Close()
	frames := sseFrames(t, got)
	names := make([]string, len(frames))
	for i, f := range frames {
		names[i] = f.name
	}
	if r.StatusCode != 200 || strings.Join(names, ",") != "response.created,response.in_progress,error,response.failed" ||
		!bytes.Contains(frames[3].data, []byte(`"sequence_number":3`)) {
		t.Fatalf("status %d, frames %v", r.StatusCode, names)
	}
	if a := e.waitAudit(t, r.Header.Get("X-Nexus-Request-Id")); a.Status < 400 {
		t.Fatalf("audit = %+v, want a failure", a)
	}
}
