package gemini

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func streamFixtures(t *testing.T) []string {
	return append(fixtureFiles(t, "gemini", ".response.sse"), fixtureFiles(t, "gemini", ".chunks.txt")...)
}

// TestStreamFixturesRoundTrip: every recorded stream decodes to the golden
// event list; re-encoding those events and decoding the frames again gives
// the same stream on the projection (text per block, calls with full args,
// signatures, finish reason, usage, clean end).
func TestStreamFixturesRoundTrip(t *testing.T) {
	for _, name := range streamFixtures(t) {
		t.Run(name, func(t *testing.T) {
			evs := decodeAll(t, streamFrames(t, name))
			golden(t, name+".events.json", viewEvents(evs))
			orig := project(t, evs)
			if !orig.Ended || orig.Error != "" {
				t.Fatalf("recorded stream did not end cleanly: %+v", orig)
			}
			var id string
			if len(evs) > 0 && evs[0].Type == canonical.EventStart {
				id = evs[0].ID
			}
			rec := encodeAll(t, StreamOptions{ID: id, Model: "routed-model"}, evs)
			for i, n := range rec.names {
				if n != "" {
					t.Errorf("frame %d has event name %q; Gemini frames are data-only", i, n)
				}
			}
			again := project(t, decodeAll(t, rec.frames))
			if !reflect.DeepEqual(again, orig) {
				t.Errorf("re-encoded stream differs:\n got %+v\nwant %+v", again, orig)
			}
		})
	}
}

func TestStreamUsageMatchesUpstream(t *testing.T) {
	tests := []struct {
		fixture string
		want    canonical.Usage
	}{
		// usageMetadata on every chunk: the last snapshot wins, never a sum.
		{"text-stream-sse-usage.response.sse", canonical.Usage{InputTokens: 18, OutputTokens: 80 + 35, ReasoningTokens: 35}},
		{"raw-thinking-stream-sse.response.sse", canonical.Usage{InputTokens: 30, OutputTokens: 1947, ReasoningTokens: 1947}},
		{"text-stream-sse.response.sse", canonical.Usage{InputTokens: 13, OutputTokens: 8}},
		{"vercel-function-call-streamed-args.chunks.txt", canonical.Usage{InputTokens: 26, OutputTokens: 23 + 132, ReasoningTokens: 132}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			p := project(t, decodeAll(t, streamFrames(t, tt.fixture)))
			if p.Usage == nil || *p.Usage != tt.want {
				t.Errorf("usage = %+v, want %+v", p.Usage, tt.want)
			}
		})
	}
}

func TestStreamDecoderBehaviour(t *testing.T) {
	text := func(s string) string {
		return `{"candidates":[{"content":{"role":"model","parts":[{"text":` + quote(s) + `}]}}],"responseId":"r1","modelVersion":"m"}`
	}
	stop := `{"candidates":[{"content":{"role":"model","parts":[{"text":""}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5}}`
	fcall := `{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"f","args":{"a":1}}}]}}]}`
	tests := []struct {
		name   string
		frames []string
		want   streamProjection
	}{
		{"text then stop ends cleanly", []string{text("Hel"), text("lo"), stop},
			streamProjection{Blocks: []blockProjection{{Type: canonical.PartText, Text: "Hello"}}, Finish: canonical.FinishStop, Usage: &canonical.Usage{InputTokens: 3, OutputTokens: 2}, Ended: true}},
		{"cut stream is an error, not a finish", []string{text("Hel")},
			streamProjection{Blocks: []blockProjection{{Type: canonical.PartText, Text: "Hel"}}, Error: canonical.KindUpstream}},
		{"text and a call finish as tool_calls", []string{text("Let me look."), fcall, stop},
			streamProjection{Blocks: []blockProjection{{Type: canonical.PartText, Text: "Let me look."}, {Type: canonical.PartToolCall, CallID: "call_gm_r1_0", CallName: "f", Args: map[string]any{"a": 1.0}}},
				Finish: canonical.FinishToolCalls, Usage: &canonical.Usage{InputTokens: 3, OutputTokens: 2}, Ended: true}},
		{"thought then text are two blocks", []string{
			`{"candidates":[{"content":{"parts":[{"text":"hmm","thought":true}]}}]}`,
			`{"candidates":[{"content":{"parts":[{"text":"yes","thoughtSignature":"S1"}]},"finishReason":"STOP"}]}`},
			streamProjection{Blocks: []blockProjection{{Type: canonical.PartReasoning, Text: "hmm"}, {Type: canonical.PartText, Text: "yes", Signature: "S1"}}, Finish: canonical.FinishStop, Ended: true}},
		{"error frame mid-stream", []string{text("a"), `{"error":{"code":429,"message":"slow down","status":"RESOURCE_EXHAUSTED"}}`, stop},
			streamProjection{Blocks: []blockProjection{{Type: canonical.PartText, Text: "a"}}, Error: canonical.KindRateLimited}},
		{"prompt blocked", []string{`{"promptFeedback":{"blockReason":"SAFETY"}}`},
			streamProjection{Finish: canonical.FinishContentFilter, Ended: true}},
		{"call with no args gets {}", []string{`{"candidates":[{"content":{"parts":[{"functionCall":{"id":"own","name":"now"}}]},"finishReason":"STOP"}]}`},
			streamProjection{Blocks: []blockProjection{{Type: canonical.PartToolCall, CallID: "own", CallName: "now", Args: map[string]any{}}}, Finish: canonical.FinishToolCalls, Ended: true}},
		{"max tokens", []string{text("a"), `{"candidates":[{"content":{"parts":[{"text":"b"}]},"finishReason":"MAX_TOKENS"}]}`},
			streamProjection{Blocks: []blockProjection{{Type: canonical.PartText, Text: "ab"}}, Finish: canonical.FinishLength, Ended: true}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frames := make([][]byte, len(tt.frames))
			for i, f := range tt.frames {
				frames[i] = []byte(f)
			}
			got := project(t, decodeAll(t, frames))
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestStreamDecoderAssemblesStreamedArguments(t *testing.T) {
	p := project(t, decodeAll(t, streamFrames(t, "vercel-function-call-streamed-args.chunks.txt")))
	if len(p.Blocks) != 2 {
		t.Fatalf("blocks = %+v", p.Blocks)
	}
	for i, city := range []string{"Boston", "San Francisco"} {
		b := p.Blocks[i]
		if b.CallName != "getWeather" || !reflect.DeepEqual(b.Args, map[string]any{"location": city}) {
			t.Errorf("call %d = %+v", i, b)
		}
	}
	if p.Blocks[0].CallSig == "" {
		t.Error("the first call's thought signature was lost")
	}
	if p.Finish != canonical.FinishToolCalls {
		t.Errorf("finish = %s", p.Finish)
	}
}

func TestArgsBuilderPaths(t *testing.T) {
	s := func(v string) *string { return &v }
	f := func(v float64) *float64 { return &v }
	b := func(v bool) *bool { return &v }
	var ab argsBuilder
	for _, pa := range []partialArg{
		{JSONPath: "$.city", StringValue: s("San "), WillContinue: true},
		{JSONPath: "$.days", NumberValue: f(3)},
		{JSONPath: "$.city", StringValue: s("Francisco")},
		{JSONPath: "$.opts.metric", BoolValue: b(true)},
		{JSONPath: "$.tags[1]", StringValue: s("b")},
		{JSONPath: "$.tags[0]", StringValue: s("a")},
		{JSONPath: "$['odd key']", NullValue: s("NULL_VALUE")},
		{JSONPath: "$.tags[99999999]", StringValue: s("too far")},
	} {
		ab.add(pa)
	}
	want := `{"city":"San Francisco","days":3,"opts":{"metric":true},"tags":["a","b"],"odd key":null,"tags[99999999]":"too far"}`
	if got := ab.json(); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

func TestStreamDecoderRejectsMalformedFrame(t *testing.T) {
	d := NewStreamDecoder()
	evs, err := d.Decode("", []byte(`{"candidates":`), nil)
	ce := canonical.As(err)
	if ce.Kind != canonical.KindUpstream || ce.Status != 502 || len(evs) != 0 {
		t.Fatalf("got %v %+v", evs, ce)
	}
	// Already failed: Close adds nothing, later frames are ignored.
	if evs, _ = d.Close(nil); len(evs) != 0 {
		t.Errorf("Close after a failure appended %+v", evs)
	}
}

func TestStreamDecoderStartCarriesInputUsage(t *testing.T) {
	evs := decodeAll(t, streamFrames(t, "firebase-text-stream.response.sse"))
	if evs[0].Type != canonical.EventStart || evs[0].Usage == nil || evs[0].Usage.InputTokens != 7 || evs[0].Model != "gemini-2.0-flash" {
		t.Errorf("start = %+v", evs[0])
	}
}

// Decoders emit one Usage before Finish; a later frame that changes usage
// (rare) emits one more snapshot, never a sum.
func TestStreamDecoderLateUsage(t *testing.T) {
	frames := [][]byte{
		[]byte(`{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1}}`),
		[]byte(`{"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":1}}`),
		[]byte(`{"usageMetadata":{"promptTokenCount":1,"candidatesTokenCount":4}}`),
	}
	evs := decodeAll(t, frames)
	var usages []canonical.Usage
	for _, ev := range evs {
		if ev.Type == canonical.EventUsage {
			usages = append(usages, *ev.Usage)
		}
	}
	want := []canonical.Usage{{InputTokens: 1, OutputTokens: 1}, {InputTokens: 1, OutputTokens: 4}}
	if !reflect.DeepEqual(usages, want) {
		t.Errorf("usage events = %+v, want %+v", usages, want)
	}
	if evs[len(evs)-1].Type != canonical.EventEnd {
		t.Errorf("last event = %v", evs[len(evs)-1].Type)
	}
}

func quote(s string) string {
	return string(appendString(nil, s))
}

func TestStreamEncoderFrames(t *testing.T) {
	// An OpenAI-shaped turn: text, two interleaved tool calls whose
	// arguments arrive in fragments, usage after the finish.
	evs := []canonical.Event{
		{Type: canonical.EventStart, ID: "chatcmpl-1", Model: "gpt-x"},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartText}},
		{Type: canonical.EventDelta, Index: 0, Delta: "Checking </script>\u2028"},
		{Type: canonical.EventBlockStop, Index: 0},
		{Type: canonical.EventBlockStart, Index: 1, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "call_a", Name: "f"}}},
		{Type: canonical.EventBlockStart, Index: 2, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "call_gm_x_1", Name: "g"}}},
		{Type: canonical.EventDelta, Index: 1, Delta: `{"q": `},
		{Type: canonical.EventDelta, Index: 2, Delta: `not json`},
		{Type: canonical.EventDelta, Index: 1, Delta: `"x"}`},
		{Type: canonical.EventBlockStop, Index: 1},
		{Type: canonical.EventBlockStop, Index: 2},
		{Type: canonical.EventFinish, Finish: canonical.FinishToolCalls},
		{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 5, OutputTokens: 9, CacheReadTokens: 2, ReasoningTokens: 4}},
		{Type: canonical.EventEnd},
	}
	rec := encodeAll(t, StreamOptions{ID: "resp-1", Model: "gemini-alias"}, evs)
	want := []string{
		`{"candidates":[{"content":{"role":"model","parts":[{"text":"Checking </script>\u2028"}]},"index":0}],"modelVersion":"gemini-alias","responseId":"resp-1"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"id":"call_a","name":"f","args":{"q":"x"}}}]},"index":0}],"modelVersion":"gemini-alias","responseId":"resp-1"}`,
		`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"g","args":{"_raw":"not json"}}}]},"index":0}],"modelVersion":"gemini-alias","responseId":"resp-1"}`,
		`{"candidates":[{"content":{"role":"model","parts":[]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":5,"totalTokenCount":14,"cachedContentTokenCount":2,"thoughtsTokenCount":4},"modelVersion":"gemini-alias","responseId":"resp-1"}`,
	}
	got := make([]string, len(rec.frames))
	for i, f := range rec.frames {
		got[i] = string(f)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("frames:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestStreamEncoderErrorAndIDs(t *testing.T) {
	rec := encodeAll(t, StreamOptions{Rand: strings.NewReader("0123456789abcdef")}, []canonical.Event{
		{Type: canonical.EventStart, Model: "upstream-model"},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartReasoning}},
		{Type: canonical.EventDelta, Index: 0, Delta: "think", Signature: "sig"},
		{Type: canonical.EventError, Err: &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Message: "upstream stream ended before completion"}},
		{Type: canonical.EventEnd}, // ignored after the terminal error
	})
	if len(rec.frames) != 2 {
		t.Fatalf("frames = %q", rec.frames)
	}
	if got := string(rec.frames[0]); got != `{"candidates":[{"content":{"role":"model","parts":[{"text":"think","thought":true,"thoughtSignature":"sig"}]},"index":0}],"modelVersion":"upstream-model","responseId":"MDEyMzQ1Njc4OWFiY2RlZg"}` {
		t.Errorf("thought frame = %s", got)
	}
	if got := string(rec.frames[1]); got != `{"error":{"code":502,"message":"upstream stream ended before completion","status":"UNKNOWN"}}` {
		t.Errorf("error frame = %s", got)
	}
}

// Firebase's mid-stream failure sample appends a bare JSON error after the
// data frames. An SSE reader never surfaces those lines; handed over as a
// frame (as the JSON-array form does), it ends the stream with an error.
func TestStreamDecoderMidStreamErrorFixture(t *testing.T) {
	body := string(readFixture(t, "errors", "gemini-stream-error-mid-stream.response.sse"))
	frames := sseFrames([]byte(body))
	if len(frames) != 2 {
		t.Fatalf("want the 2 data frames, got %d", len(frames))
	}
	trailing := body[strings.LastIndex(body, "\n\n{")+2:]
	d := NewStreamDecoder()
	evs, err := d.Decode("", frames[0], nil)
	if err != nil {
		t.Fatal(err)
	}
	d2 := NewStreamDecoder()
	evs2, _ := d2.Decode("", []byte(`{"candidates":[{"content":{"parts":[{"text":"First "}]},"index":0}]}`), nil)
	evs2, err = d2.Decode("", []byte(trailing), evs2)
	if err != nil {
		t.Fatal(err)
	}
	last := evs2[len(evs2)-1]
	if last.Type != canonical.EventError || last.Err.Status != 499 || last.Err.Type != "CANCELLED" || last.Err.Kind != canonical.KindUpstream {
		t.Errorf("last event = %+v", last)
	}
	if after, _ := d2.Close(nil); len(after) != 0 {
		t.Errorf("Close after the error frame appended %+v", after)
	}
	if p := project(t, evs); p.Finish != canonical.FinishStop || p.Blocks[0].Text != "First " {
		t.Errorf("first frame = %+v", p)
	}
}
