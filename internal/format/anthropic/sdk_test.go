package anthropic

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	sdk "github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/anthropics/anthropic-sdk-go/v2/option"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// These tests feed our encoders' output to the official Anthropic Go SDK
// through an httptest server: if the SDK a client uses can read it, the
// wire shape is right.

func sdkClient(t *testing.T, status int, contentType string, body []byte) sdk.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return sdk.NewClient(option.WithBaseURL(srv.URL), option.WithAPIKey("test"), option.WithMaxRetries(0))
}

func sdkParams() sdk.MessageNewParams {
	return sdk.MessageNewParams{
		Model:     "claude-sonnet-4-5",
		MaxTokens: 10,
		Messages:  []sdk.MessageParam{sdk.NewUserMessage(sdk.NewTextBlock("hi"))},
	}
}

func TestSDKReadsEncodedErrors(t *testing.T) {
	cases := []struct {
		err      *canonical.Error
		wantType string
	}{
		{&canonical.Error{Kind: canonical.KindAuth, Status: 401, Code: "AUTH_INVALID_KEY", Message: "invalid virtual key"}, "authentication_error"},
		{&canonical.Error{Kind: canonical.KindRateLimited, Status: 429, Message: "slow down", Hint: "retry in 1s"}, "rate_limit_error"},
		{&canonical.Error{Kind: canonical.KindRateLimited, Status: 529, Type: "overloaded_error", Message: "Overloaded"}, "overloaded_error"},
		{unsupported("temperature", "Anthropic accepts 0 to 1, got 1.5"), "invalid_request_error"},
	}
	for _, c := range cases {
		t.Run(c.wantType, func(t *testing.T) {
			client := sdkClient(t, c.err.Status, "application/json", EncodeError(c.err))
			_, err := client.Messages.New(context.Background(), sdkParams())
			var apiErr *sdk.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v, want *anthropic.Error", err)
			}
			if apiErr.StatusCode != c.err.Status || string(apiErr.Type()) != c.wantType || apiErr.Message != errorMessage(c.err) {
				t.Errorf("SDK saw status=%d type=%s message=%q", apiErr.StatusCode, apiErr.Type(), apiErr.Message)
			}
		})
	}
}

// TestSDKReadsEncodedResponses: every recorded response, after a trip
// through canonical, parses in the SDK with the same content and usage.
func TestSDKReadsEncodedResponses(t *testing.T) {
	for _, c := range responseCases(t) {
		t.Run(c.name, func(t *testing.T) {
			resp, err := DecodeResponse(c.body)
			if err != nil {
				t.Fatal(err)
			}
			body, err := EncodeResponse(resp)
			if err != nil {
				t.Fatal(err)
			}
			client := sdkClient(t, 200, "application/json", body)
			msg, err := client.Messages.New(context.Background(), sdkParams())
			if err != nil {
				t.Fatalf("SDK: %v", err)
			}
			var orig sdk.Message
			if err := json.Unmarshal(c.body, &orig); err != nil {
				t.Fatal(err)
			}
			compareSDKMessages(t, msg, &orig)
		})
	}
}

func compareSDKMessages(t *testing.T, got, want *sdk.Message) {
	t.Helper()
	if got.ID != want.ID || got.StopReason != want.StopReason || len(got.Content) != len(want.Content) {
		t.Fatalf("got id=%s stop=%s blocks=%d, want id=%s stop=%s blocks=%d",
			got.ID, got.StopReason, len(got.Content), want.ID, want.StopReason, len(want.Content))
	}
	if got.Usage.InputTokens != want.Usage.InputTokens || got.Usage.OutputTokens != want.Usage.OutputTokens ||
		got.Usage.CacheReadInputTokens != want.Usage.CacheReadInputTokens {
		t.Errorf("usage got %+v want %+v", got.Usage, want.Usage)
	}
	for i := range want.Content {
		g, w := got.Content[i], want.Content[i]
		if g.Type != w.Type || g.Text != w.Text || g.Thinking != w.Thinking || g.Signature != w.Signature ||
			g.Data != w.Data || g.ID != w.ID || g.Name != w.Name || !jsonEqual(t, g.Input, w.Input) {
			t.Errorf("block %d differs:\n got %s\nwant %s", i, g.RawJSON(), w.RawJSON())
		}
	}
}

func jsonEqual(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	if len(a) == 0 || len(b) == 0 {
		return len(a) == len(b)
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return mustJSON(t, x) == mustJSON(t, y)
}

// TestSDKAccumulatesEncodedStreams: every recorded stream, decoded and
// re-encoded by us, accumulates in the SDK to the same message the SDK
// builds from the original recording.
func TestSDKAccumulatesEncodedStreams(t *testing.T) {
	files := append(fixtureFiles(t, ".response.sse"), fixtureFiles(t, ".chunks.txt")...)
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			frs := loadFrames(t, f)
			evs := decodeFrames(t, frs)
			p := projectStream(t, evs)
			ours := encodeEvents(t, StreamOptions{ID: p.ID, Model: p.Model}, evs)
			got := sdkAccumulate(t, ours.sse())
			want := sdkAccumulate(t, (&recorder{frames: withNames(frs)}).sse())
			// Server tool blocks are not carried by canonical streams; compare
			// the client-visible blocks only.
			want.Content = slicesDeleteFunc(want.Content, func(b sdk.ContentBlockUnion) bool {
				switch b.Type {
				case "text", "thinking", "redacted_thinking", "tool_use":
					return false
				}
				return true
			})
			compareSDKMessages(t, got, want)
		})
	}
}

func withNames(frs []frame) []frame {
	out := make([]frame, len(frs))
	for i, f := range frs {
		out[i] = f
		if f.name == "" { // chunks.txt: the SDK dispatches on the event name
			var v struct{ Type string }
			_ = json.Unmarshal(f.data, &v)
			out[i].name = v.Type
		}
	}
	return out
}

func slicesDeleteFunc[T any](s []T, del func(T) bool) []T {
	out := s[:0]
	for _, v := range s {
		if !del(v) {
			out = append(out, v)
		}
	}
	return out
}

func sdkAccumulate(t *testing.T, sse []byte) *sdk.Message {
	t.Helper()
	client := sdkClient(t, 200, "text/event-stream", sse)
	stream := client.Messages.NewStreaming(context.Background(), sdkParams())
	var msg sdk.Message
	for stream.Next() {
		if err := msg.Accumulate(stream.Current()); err != nil {
			t.Fatalf("accumulate: %v", err)
		}
	}
	if err := stream.Err(); err != nil && !strings.Contains(err.Error(), "EOF") {
		t.Fatalf("stream: %v", err)
	}
	return &msg
}
