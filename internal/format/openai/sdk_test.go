package openai

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	sdk "github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/packages/ssestream"
)

// The official OpenAI Go SDK is the client our OpenAI-shape output must
// satisfy: these tests feed it what the encoders write.

func TestSDKReadsEncodedResponses(t *testing.T) {
	for _, path := range fixtures(t, ".response.json") {
		t.Run(strings.TrimPrefix(path, "testdata/fixtures/"), func(t *testing.T) {
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
			var cc sdk.ChatCompletion
			if err := json.Unmarshal(wire, &cc); err != nil {
				t.Fatalf("SDK cannot parse: %v", err)
			}
			want := projectResponse(generic(t, body))
			msg := cc.Choices[0].Message
			if cc.ID != want.ID || msg.Content != want.Content || msg.Refusal != want.Refusal || string(cc.Choices[0].FinishReason) != want.Finish {
				t.Errorf("SDK sees id %q content %.40q refusal %q finish %q; want %+v", cc.ID, msg.Content, msg.Refusal, cc.Choices[0].FinishReason, want)
			}
			if len(msg.ToolCalls) != len(want.ToolCalls) {
				t.Fatalf("SDK sees %d tool calls, want %d", len(msg.ToolCalls), len(want.ToolCalls))
			}
			for i, tc := range msg.ToolCalls {
				if tc.ID != want.ToolCalls[i].ID || tc.Function.Name != want.ToolCalls[i].Name {
					t.Errorf("tool call %d = %s %s", i, tc.ID, tc.Function.Name)
				}
			}
			if u := want.Usage; u != nil {
				if int(cc.Usage.PromptTokens) != u.Prompt || int(cc.Usage.CompletionTokens) != u.Completion ||
					int(cc.Usage.PromptTokensDetails.CachedTokens) != u.Cached || int(cc.Usage.CompletionTokensDetails.ReasoningTokens) != u.Reasoning {
					t.Errorf("SDK usage %+v, want %+v", cc.Usage, *u)
				}
			}
		})
	}
}

func TestSDKAccumulatesEncodedStreams(t *testing.T) {
	for _, path := range fixtures(t, ".response.sse", ".chunks.txt") {
		t.Run(strings.TrimPrefix(path, "testdata/fixtures/"), func(t *testing.T) {
			evs := decodeFrames(t, loadFrames(t, path))
			want := projectEvents(evs)
			enc := NewStreamEncoder(StreamOptions{Model: "routed", ID: "chatcmpl-sdk", Created: 7, IncludeUsage: true})
			var sb strings.Builder
			w := sseText{&sb}
			for _, ev := range evs {
				if err := enc.Encode(ev, w); err != nil {
					t.Fatal(err)
				}
			}
			res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(strings.NewReader(sb.String()))}
			stream := ssestream.NewStream[sdk.ChatCompletionChunk](ssestream.NewDecoder(res), nil)
			var acc sdk.ChatCompletionAccumulator
			for stream.Next() {
				if !acc.AddChunk(stream.Current()) {
					t.Fatalf("accumulator rejected chunk %s", stream.Current().RawJSON())
				}
			}
			if err := stream.Err(); err != nil {
				t.Fatalf("SDK stream error: %v", err)
			}
			if acc.ID != "chatcmpl-sdk" || acc.Model != "routed" {
				t.Errorf("SDK sees id %q model %q", acc.ID, acc.Model)
			}
			msg := acc.Choices[0].Message
			if msg.Content != want.Text || msg.Refusal != want.Refusal || string(acc.Choices[0].FinishReason) != want.Finish {
				t.Errorf("SDK sees content %.60q refusal %q finish %q; want %.60q %q %q", msg.Content, msg.Refusal, acc.Choices[0].FinishReason, want.Text, want.Refusal, want.Finish)
			}
			if len(msg.ToolCalls) != len(want.ToolCalls) {
				t.Fatalf("SDK sees %d tool calls, want %d", len(msg.ToolCalls), len(want.ToolCalls))
			}
			for i, tc := range msg.ToolCalls {
				w := want.ToolCalls[i]
				var args any
				if err := json.Unmarshal([]byte(tc.Function.Arguments), &args); err != nil || tc.ID != w.ID || tc.Function.Name != w.Name {
					t.Errorf("tool call %d = %s %s %q (%v)", i, tc.ID, tc.Function.Name, tc.Function.Arguments, err)
				}
			}
			if u := want.Usage; u != nil && (int(acc.Usage.PromptTokens) != u.Prompt || int(acc.Usage.CompletionTokens) != u.Completion) {
				t.Errorf("SDK usage %d/%d, want %+v", acc.Usage.PromptTokens, acc.Usage.CompletionTokens, *u)
			}
		})
	}
}

// sseText writes frames as SSE text, as the gateway's writer does.
type sseText struct{ b *strings.Builder }

func (s sseText) WriteEvent(name string, data []byte) error {
	if name != "" {
		s.b.WriteString("event: " + name + "\n")
	}
	s.b.WriteString("data: ")
	s.b.Write(data)
	s.b.WriteString("\n\n")
	return nil
}

func TestSDKSurfacesEncodedStreamError(t *testing.T) {
	enc := NewStreamEncoder(StreamOptions{ID: "chatcmpl-e"})
	var sb strings.Builder
	for _, ev := range []canonical.Event{
		{Type: canonical.EventStart},
		{Type: canonical.EventBlockStart, Block: &canonical.Part{Type: canonical.PartText}},
		{Type: canonical.EventDelta, Delta: "partial"},
		{Type: canonical.EventError, Err: &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Code: "upstream_error", Message: "upstream stream ended before completion"}},
	} {
		if err := enc.Encode(ev, sseText{&sb}); err != nil {
			t.Fatal(err)
		}
	}
	res := &http.Response{StatusCode: 200, Header: http.Header{"Content-Type": {"text/event-stream"}}, Body: io.NopCloser(strings.NewReader(sb.String()))}
	stream := ssestream.NewStream[sdk.ChatCompletionChunk](ssestream.NewDecoder(res), nil)
	n := 0
	for stream.Next() {
		n++
	}
	if err := stream.Err(); err == nil || !strings.Contains(err.Error(), "upstream stream ended before completion") {
		t.Fatalf("SDK error = %v, want the stream error", err)
	}
	if n != 2 {
		t.Errorf("SDK saw %d chunks before the error, want 2", n)
	}
}
