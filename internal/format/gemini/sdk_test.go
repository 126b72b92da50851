package gemini

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"sync"
	"testing"

	"google.golang.org/genai"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// The official Go SDK (google.golang.org/genai) is the client of record:
// what it sends must decode, and what the codec writes must parse in it.

// fakeGemini serves canned bodies and records the last request body.
type fakeGemini struct {
	mu     sync.Mutex
	body   []byte
	status int
	reply  []byte   // unary body
	frames [][]byte // SSE data payloads
}

func (f *fakeGemini) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.body = b
	f.mu.Unlock()
	status := f.status
	if status == 0 {
		status = http.StatusOK
	}
	if strings.Contains(r.URL.Path, ":streamGenerateContent") && status == http.StatusOK {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(status)
		for _, fr := range f.frames {
			_, _ = w.Write([]byte("data: "))
			_, _ = w.Write(fr)
			_, _ = w.Write([]byte("\r\n\r\n"))
		}
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(f.reply)
}

func newSDK(t *testing.T, f *fakeGemini) *genai.Client {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	c, err := genai.NewClient(context.Background(), &genai.ClientConfig{
		APIKey: "test-key", Backend: genai.BackendGeminiAPI,
		HTTPOptions: genai.HTTPOptions{BaseURL: srv.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestSDKRequestDecodesAndRoundTrips(t *testing.T) {
	f := &fakeGemini{reply: readFixture(t, "gemini", "text-nonstream.response.json")}
	c := newSDK(t, f)
	budget := int32(2048)
	temp := float32(0.25)
	cfg := &genai.GenerateContentConfig{
		SystemInstruction: genai.NewContentFromText("Be brief.", genai.RoleUser),
		Temperature:       &temp,
		MaxOutputTokens:   256,
		StopSequences:     []string{"STOP!"},
		ThinkingConfig:    &genai.ThinkingConfig{IncludeThoughts: true, ThinkingBudget: &budget},
		SafetySettings:    []*genai.SafetySetting{{Category: genai.HarmCategoryHarassment, Threshold: genai.HarmBlockThresholdBlockNone}},
		Tools: []*genai.Tool{{FunctionDeclarations: []*genai.FunctionDeclaration{{
			Name: "get_weather", Description: "Weather by city",
			Parameters: &genai.Schema{Type: genai.TypeObject, Properties: map[string]*genai.Schema{"city": {Type: genai.TypeString}}, Required: []string{"city"}},
		}}}, {GoogleSearch: &genai.GoogleSearch{}}},
		ToolConfig: &genai.ToolConfig{FunctionCallingConfig: &genai.FunctionCallingConfig{Mode: genai.FunctionCallingConfigModeAny, AllowedFunctionNames: []string{"get_weather"}}},
	}
	history := []*genai.Content{
		genai.NewContentFromText("Weather in Paris?", genai.RoleUser),
		{Role: genai.RoleModel, Parts: []*genai.Part{{FunctionCall: &genai.FunctionCall{Name: "get_weather", Args: map[string]any{"city": "Paris"}}, ThoughtSignature: []byte("sig-bytes")}}},
		{Role: genai.RoleUser, Parts: []*genai.Part{genai.NewPartFromFunctionResponse("get_weather", map[string]any{"temp": 21})}},
		{Role: genai.RoleUser, Parts: []*genai.Part{genai.NewPartFromBytes([]byte("\x89PNG\r\n"), "image/png")}},
	}
	resp, err := c.Models.GenerateContent(context.Background(), "gemini-2.5-flash", history, cfg)
	if err != nil {
		t.Fatalf("SDK call: %v", err)
	}
	if resp.Text() != "The capital of France is Paris.\n" {
		t.Errorf("SDK read text %q", resp.Text())
	}

	req, err := DecodeRequest(f.body)
	if err != nil {
		t.Fatalf("DecodeRequest(SDK body): %v\n%s", err, f.body)
	}
	if len(req.System) != 1 || req.System[0].Text != "Be brief." || req.MaxTokens == nil || *req.MaxTokens != 256 {
		t.Errorf("system/max tokens = %+v %v", req.System, req.MaxTokens)
	}
	if req.ToolChoice == nil || req.ToolChoice.Mode != canonical.ToolChoiceTool || req.ToolChoice.Name != "get_weather" {
		t.Errorf("tool choice = %+v", req.ToolChoice)
	}
	if len(req.Tools) != 1 || !jsonEqual(t, req.Tools[0].Parameters, []byte(`{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}`)) {
		t.Errorf("tools = %+v", req.Tools)
	}
	tc := req.Messages[1].Parts[0].ToolCall
	if tc == nil || tc.Arguments != `{"city":"Paris"}` || tc.ThoughtSignature == "" {
		t.Errorf("history call = %+v", tc)
	}
	if tr := req.Messages[2].Parts[0].ToolResult; tr == nil || tr.CallID != tc.ID || tr.Content[0].Text != `{"temp":21}` {
		t.Errorf("history result = %+v", tr)
	}
	if img := req.Messages[3].Parts[0]; img.Type != canonical.PartImage || string(img.Media.Data) != "\x89PNG\r\n" {
		t.Errorf("image = %+v", img)
	}
	wire, _, err := EncodeRequest(req, "gemini-2.5-flash")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := requestProjection(t, wire), requestProjection(t, f.body); !reflect.DeepEqual(got, want) {
		t.Errorf("SDK body does not survive a round trip:\n got %v\nwant %v", got, want)
	}
}

func TestSDKParsesEncodedResponse(t *testing.T) {
	resp, err := DecodeResponse(readFixture(t, "gemini", "firebase-thinking-function-call.response.json"))
	if err != nil {
		t.Fatal(err)
	}
	body, err := EncodeResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	c := newSDK(t, &fakeGemini{reply: body})
	got, err := c.Models.GenerateContent(context.Background(), "gemini-2.5-pro", genai.Text("days to NYE?"), nil)
	if err != nil {
		t.Fatalf("SDK rejected our response: %v", err)
	}
	calls := got.FunctionCalls()
	if len(calls) != 1 || calls[0].Name != "now" {
		t.Fatalf("function calls = %+v", calls)
	}
	parts := got.Candidates[0].Content.Parts
	if !parts[0].Thought || len(parts[1].ThoughtSignature) == 0 {
		t.Errorf("thought / signature lost: %+v %+v", parts[0], parts[1])
	}
	if u := got.UsageMetadata; u == nil || u.PromptTokenCount != 38 || u.CandidatesTokenCount != 8 || u.ThoughtsTokenCount != 501 || u.TotalTokenCount != 547 {
		t.Errorf("usage = %+v", got.UsageMetadata)
	}
	if got.Candidates[0].FinishReason != genai.FinishReasonStop {
		t.Errorf("finish = %s", got.Candidates[0].FinishReason)
	}
}

func TestSDKParsesEncodedStream(t *testing.T) {
	evs := decodeAll(t, streamFrames(t, "thinking-stream-sse.response.sse"))
	rec := encodeAll(t, StreamOptions{Model: "gemini-2.5-pro", ID: "r-1"}, evs)
	c := newSDK(t, &fakeGemini{frames: rec.frames})
	var text, thoughts strings.Builder
	var last *genai.GenerateContentResponse
	for chunk, err := range c.Models.GenerateContentStream(context.Background(), "gemini-2.5-pro", genai.Text("hi"), nil) {
		if err != nil {
			t.Fatalf("SDK stream error: %v", err)
		}
		for _, p := range chunk.Candidates[0].Content.Parts {
			if p.Thought {
				thoughts.WriteString(p.Text)
			} else {
				text.WriteString(p.Text)
			}
		}
		last = chunk
	}
	want := project(t, evs)
	if text.String() != want.Blocks[1].Text || thoughts.String() != want.Blocks[0].Text {
		t.Errorf("SDK saw text %d/%d bytes, thoughts %d/%d bytes", text.Len(), len(want.Blocks[1].Text), thoughts.Len(), len(want.Blocks[0].Text))
	}
	if last == nil || last.Candidates[0].FinishReason != genai.FinishReasonStop || last.UsageMetadata == nil ||
		int(last.UsageMetadata.ThoughtsTokenCount) != want.Usage.ReasoningTokens || last.ResponseID != "r-1" {
		t.Errorf("terminal chunk = %+v", last)
	}
}

func TestSDKReadsErrors(t *testing.T) {
	e := &canonical.Error{Kind: canonical.KindRateLimited, Status: 429, Code: "PROVIDER_RATE_LIMITED", Message: "slow down", RetryAfter: 12500 * 1e6}
	c := newSDK(t, &fakeGemini{status: 429, reply: EncodeError(e)})
	_, err := c.Models.GenerateContent(context.Background(), "gemini-2.5-flash", genai.Text("x"), nil)
	var apiErr genai.APIError
	if !errors.As(err, &apiErr) {
		t.Fatalf("want genai.APIError, got %T %v", err, err)
	}
	if apiErr.Code != 429 || apiErr.Status != "RESOURCE_EXHAUSTED" || apiErr.Message != "slow down" || len(apiErr.Details) != 2 {
		t.Errorf("APIError = %+v", apiErr)
	}
	if apiErr.Details[1]["retryDelay"] != "12.5s" {
		t.Errorf("retry detail = %v", apiErr.Details[1])
	}

	// A terminal error frame mid-stream reaches the SDK as an APIError too.
	_, frame := EncodeStreamError(&canonical.Error{Kind: canonical.KindUpstream, Status: 502, Message: "upstream stream ended before completion"})
	text := `{"candidates":[{"content":{"role":"model","parts":[{"text":"partial"}]},"index":0}]}`
	c = newSDK(t, &fakeGemini{frames: [][]byte{[]byte(text), frame}})
	var sawText bool
	var streamErr error
	for chunk, err := range c.Models.GenerateContentStream(context.Background(), "gemini-2.5-flash", genai.Text("x"), nil) {
		if err != nil {
			streamErr = err
			break
		}
		sawText = sawText || chunk.Text() == "partial"
	}
	if !sawText || !errors.As(streamErr, &apiErr) || apiErr.Code != 502 {
		t.Errorf("stream error: sawText=%v err=%v", sawText, streamErr)
	}
}
