package responses

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// The official OpenAI Go SDK's Responses client is the client our output
// must satisfy: an httptest server answers its requests with what our
// encoders write.

// serve starts a server answering POST /responses with status and body.
func serve(t *testing.T, status int, contentType, body string) *sdk.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/responses" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	c := sdk.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("nvk_test"), option.WithMaxRetries(0))
	return &c
}

func newParams() responses.ResponseNewParams {
	return responses.ResponseNewParams{Model: "routed-model", Input: responses.ResponseNewParamsInputUnion{OfString: sdk.String("hi")}}
}

// sdkView projects what the SDK parsed onto the stream view.
func sdkView(r *responses.Response) streamView {
	v := streamView{Status: string(r.Status), Reason: string(r.IncompleteDetails.Reason)}
	for _, it := range r.Output {
		switch it.Type {
		case "message":
			for _, c := range it.AsMessage().Content {
				if c.Type == "refusal" {
					v.Pieces = append(v.Pieces, piece{Kind: "refusal", Text: c.Refusal})
				} else {
					v.Pieces = append(v.Pieces, piece{Kind: "text", Text: c.Text})
				}
			}
		case "reasoning":
			for _, s := range it.AsReasoning().Summary {
				v.Pieces = append(v.Pieces, piece{Kind: "reasoning", Text: s.Text})
			}
		case "function_call":
			fc := it.AsFunctionCall()
			v.Pieces = append(v.Pieces, piece{Kind: "call", Text: fc.Arguments, CallID: fc.CallID, Name: fc.Name})
		}
	}
	if r.JSON.Usage.Valid() {
		v.Usage = &canonical.Usage{
			InputTokens: int(r.Usage.InputTokens), OutputTokens: int(r.Usage.OutputTokens),
			CacheReadTokens: int(r.Usage.InputTokensDetails.CachedTokens), ReasoningTokens: int(r.Usage.OutputTokensDetails.ReasoningTokens),
		}
	}
	return v
}

// responseView is the same projection of a canonical response.
func responseView(resp *canonical.Response) streamView {
	var v streamView
	v.Status, v.Reason = terminalStatus(resp.FinishReason)
	for _, p := range resp.Content {
		switch p.Type {
		case canonical.PartText:
			v.Pieces = append(v.Pieces, piece{Kind: "text", Text: p.Text})
		case canonical.PartRefusal:
			v.Pieces = append(v.Pieces, piece{Kind: "refusal", Text: p.Text})
		case canonical.PartReasoning:
			if p.Text != "" {
				v.Pieces = append(v.Pieces, piece{Kind: "reasoning", Text: p.Text})
			}
		case canonical.PartToolCall:
			v.Pieces = append(v.Pieces, piece{Kind: "call", Text: p.ToolCall.Arguments, CallID: p.ToolCall.ID, Name: p.ToolCall.Name})
		}
	}
	v.Usage = resp.Usage
	return v
}

func TestSDKParsesEncodedResponses(t *testing.T) {
	for _, path := range fixtures(t, false, ".response.json") {
		t.Run(fixtureName(path), func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := DecodeResponse(body)
			if err != nil {
				t.Fatal(err)
			}
			wire, err := EncodeResponse(resp)
			if err != nil {
				t.Fatal(err)
			}
			got, err := serve(t, 200, "application/json", string(wire)).Responses.New(context.Background(), newParams())
			if err != nil {
				t.Fatalf("SDK: %v", err)
			}
			if got.ID != generic(t, body)["id"] || got.Model != resp.Model {
				t.Errorf("SDK sees id %q model %q", got.ID, got.Model)
			}
			if want := responseView(resp); !equalViews(sdkView(got), want) {
				t.Errorf("SDK sees\n %v\nwant %v", sdkView(got), want)
			}
			var text strings.Builder
			for _, p := range resp.Content {
				if p.Type == canonical.PartText {
					text.WriteString(p.Text)
				}
			}
			if got.OutputText() != text.String() {
				t.Errorf("OutputText() = %.80q, want %.80q", got.OutputText(), text.String())
			}
		})
	}
}

// TestSDKParsesTranslatedResponse: a chat-shaped canonical answer (no kept
// state) with reasoning, text and two calls is a valid Responses object.
func TestSDKParsesTranslatedResponse(t *testing.T) {
	resp := &canonical.Response{
		ID: "chatcmpl-abc", Model: "deepseek-reasoner", Created: 1700000000,
		Content: []canonical.Part{
			{Type: canonical.PartReasoning, Text: "think"},
			{Type: canonical.PartText, Text: "Looking up."},
			{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "call_1", Name: "weather", Arguments: `{"city":"Rome"}`}},
			{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "call_2", Name: "time", Arguments: ""}},
		},
		FinishReason: canonical.FinishToolCalls,
		Usage:        &canonical.Usage{InputTokens: 10, OutputTokens: 20, CacheReadTokens: 4, ReasoningTokens: 5},
	}
	wire, err := EncodeResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	got, err := serve(t, 200, "application/json", string(wire)).Responses.New(context.Background(), newParams())
	if err != nil {
		t.Fatalf("SDK: %v", err)
	}
	if got.ID != "resp_chatcmpl-abc" || got.Status != "completed" || got.CreatedAt != 1700000000 {
		t.Errorf("id %q status %q created %v", got.ID, got.Status, got.CreatedAt)
	}
	want := responseView(resp)
	want.Pieces[3].Text = "{}" // a call without arguments is shown with an empty object
	if v := sdkView(got); !equalViews(v, want) {
		t.Errorf("SDK sees\n %v\nwant %v", v, want)
	}
	ids := map[string]bool{}
	for _, it := range got.Output {
		if it.ID == "" || ids[it.ID] {
			t.Errorf("item id %q empty or repeated", it.ID)
		}
		ids[it.ID] = true
	}
	if p := got.Output[0].ID; !strings.HasPrefix(p, "rs_") || !strings.HasPrefix(got.Output[1].ID, "msg_") || !strings.HasPrefix(got.Output[2].ID, "fc_") {
		t.Errorf("item ids %v", ids)
	}
	if !got.Usage.JSON.InputTokensDetails.Valid() || !got.Usage.JSON.OutputTokensDetails.Valid() || got.Usage.TotalTokens != 30 {
		t.Errorf("usage %s", got.Usage.RawJSON())
	}
}

// streamFromSDK runs the SDK's streaming client over body and rebuilds the
// answer from its typed events as an application would.
func streamFromSDK(t *testing.T, body string) (streamView, []responses.ResponseStreamEventUnion, error) {
	t.Helper()
	stream := serve(t, 200, "text/event-stream", body).Responses.NewStreaming(context.Background(), newParams())
	defer stream.Close()
	var evs []responses.ResponseStreamEventUnion
	var rec recorder
	for stream.Next() {
		ev := stream.Current()
		evs = append(evs, ev)
		rec.frames = append(rec.frames, frame{name: ev.Type, data: ev.RawJSON()})
	}
	if err := stream.Err(); err != nil {
		return streamView{}, evs, err
	}
	return projectFrames(t, rec.frames), evs, nil
}

func TestSDKStreamsEncodedStreams(t *testing.T) {
	for _, path := range fixtures(t, false, ".response.sse", ".chunks.txt") {
		if _, broken := brokenStreams[fixtureName(path)]; broken {
			continue
		}
		for _, frames := range loadStreams(t, path) {
			t.Run(fixtureName(path), func(t *testing.T) {
				evs := decodeFrames(t, frames)
				want := projectEvents(evs)
				enc := NewStreamEncoder(StreamOptions{Model: "routed-model", ID: "resp_sdk", Created: 7})
				var sb strings.Builder
				for _, ev := range evs {
					if err := enc.Encode(ev, sseText{&sb}); err != nil {
						t.Fatal(err)
					}
				}
				got, sdkEvs, err := streamFromSDK(t, sb.String())
				if err != nil {
					t.Fatalf("SDK stream error: %v", err)
				}
				if !equalViews(got, want) {
					t.Errorf("SDK rebuilds\n %v\nwant %v", got, want)
				}
				for i, ev := range sdkEvs {
					if ev.SequenceNumber != int64(i) {
						t.Fatalf("event %d (%s) has sequence_number %d", i, ev.Type, ev.SequenceNumber)
					}
				}
				last := sdkEvs[len(sdkEvs)-1]
				final := last.Response
				if last.Type != "response."+want.Status || final.ID != "resp_sdk" || final.Model != "routed-model" {
					t.Fatalf("terminal %s id %q model %q", last.Type, final.ID, final.Model)
				}
				if v := sdkView(&final); !equalViews(v, want) {
					t.Errorf("terminal response reads\n %v\nwant %v", v, want)
				}
			})
		}
	}
}

// TestSDKSeesStreamFailure: an error after the first frames is one
// response.failed frame, numbered after the others, whose response carries
// the error; the SDK delivers it as the last event (not a transport error).
func TestSDKSeesStreamFailure(t *testing.T) {
	enc := NewStreamEncoder(StreamOptions{ID: "resp_fail", Model: "m"})
	var sb strings.Builder
	for _, ev := range []canonical.Event{
		{Type: canonical.EventStart},
		{Type: canonical.EventBlockStart, Block: &canonical.Part{Type: canonical.PartText}},
		{Type: canonical.EventDelta, Delta: "partial"},
		{Type: canonical.EventError, Err: &canonical.Error{Kind: canonical.KindRateLimited, Status: 429, Message: "slow down"}},
		{Type: canonical.EventDelta, Delta: "ignored"},
	} {
		if err := enc.Encode(ev, sseText{&sb}); err != nil {
			t.Fatal(err)
		}
	}
	_, evs, err := streamFromSDK(t, sb.String())
	if err != nil {
		t.Fatalf("SDK: %v", err)
	}
	last := evs[len(evs)-1]
	if last.Type != "response.failed" || last.SequenceNumber != int64(len(evs)-1) {
		t.Fatalf("last event %s #%d of %d", last.Type, last.SequenceNumber, len(evs))
	}
	f := last.AsResponseFailed()
	if f.Response.Status != "failed" || f.Response.Error.Message != "slow down" || f.Response.Error.Code != "rate_limit_exceeded" {
		t.Errorf("failed response %s", f.Response.RawJSON())
	}
}

// TestSDKSurfacesGuardRefusal: the guard's 400 reaches an SDK caller as an
// API error with the type, code and param of SPEC §5.8.
func TestSDKSurfacesGuardRefusal(t *testing.T) {
	ge := Guard([]byte(`{"model":"m","input":"hi","tools":[{"type":"web_search"}]}`))
	if ge == nil {
		t.Fatal("guard passed a built-in tool")
	}
	_, err := serve(t, ge.Status, "application/json", string(EncodeError(ge))).Responses.New(context.Background(), newParams())
	var apiErr *sdk.Error
	if !errors.As(err, &apiErr) {
		t.Fatalf("error %v is not an API error", err)
	}
	if apiErr.StatusCode != 400 || apiErr.Type != "unsupported_feature" || apiErr.Code != GuardCode || apiErr.Param != "tools[0].type" ||
		!strings.Contains(apiErr.Message, "web_search") {
		t.Errorf("SDK sees %d %q %q %q %q", apiErr.StatusCode, apiErr.Type, apiErr.Code, apiErr.Param, apiErr.Message)
	}
}

// equalViews compares views, treating call arguments as JSON values.
func equalViews(a, b streamView) bool {
	if len(a.Pieces) != len(b.Pieces) || a.Status != b.Status || a.Reason != b.Reason || a.Error != b.Error {
		return false
	}
	if (a.Usage == nil) != (b.Usage == nil) || a.Usage != nil && *a.Usage != *b.Usage {
		return false
	}
	for i := range a.Pieces {
		p, q := a.Pieces[i], b.Pieces[i]
		if p.Kind == "call" {
			var x, y any
			if json.Unmarshal([]byte(p.Text), &x) != nil || json.Unmarshal([]byte(q.Text), &y) != nil || !jsonEqual(x, y) {
				return false
			}
			p.Text, q.Text = "", ""
		}
		if p != q {
			return false
		}
	}
	return true
}

func jsonEqual(x, y any) bool {
	a, _ := json.Marshal(x)
	b, _ := json.Marshal(y)
	return string(a) == string(b)
}
