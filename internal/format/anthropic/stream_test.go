package anthropic

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func frames(pairs ...string) []frame {
	var out []frame
	for i := 0; i+1 < len(pairs); i += 2 {
		out = append(out, frame{name: pairs[i], data: []byte(pairs[i+1])})
	}
	return out
}

func lastUsage(evs []canonical.Event) *canonical.Usage {
	var u *canonical.Usage
	for _, ev := range evs {
		if ev.Type == canonical.EventUsage {
			u = ev.Usage
		}
	}
	return u
}

// TestStreamUsageIsCumulativeNotSummed: message_delta usage replaces the
// earlier snapshot; input counts repeated in message_delta are taken, not
// added; counts it omits keep the message_start value.
func TestStreamUsageIsCumulativeNotSummed(t *testing.T) {
	start := `{"type":"message_start","message":{"id":"msg_1","model":"c","usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":1}}}`
	cases := []struct {
		name  string
		delta string
		want  canonical.Usage
	}{
		{"older API: only output in message_delta",
			`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":50}}`,
			canonical.Usage{InputTokens: 130, OutputTokens: 50, CacheReadTokens: 100, CacheWriteTokens: 20}},
		{"newer API: input side repeated",
			`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":20,"output_tokens":50}}`,
			canonical.Usage{InputTokens: 130, OutputTokens: 50, CacheReadTokens: 100, CacheWriteTokens: 20}},
		{"thinking tokens reported",
			`{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":50,"output_tokens_details":{"thinking_tokens":30}}}`,
			canonical.Usage{InputTokens: 130, OutputTokens: 50, CacheReadTokens: 100, CacheWriteTokens: 20, ReasoningTokens: 30}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := decodeFrames(t, frames("message_start", start, "message_delta", c.delta, "message_stop", `{"type":"message_stop"}`))
			if got := lastUsage(evs); got == nil || *got != c.want {
				t.Errorf("usage = %+v, want %+v", got, c.want)
			}
			if evs[0].Type != canonical.EventStart || evs[0].Usage.InputTokens != 130 || evs[0].Usage.OutputTokens != 1 {
				t.Errorf("start usage = %+v", evs[0].Usage)
			}
		})
	}
}

// TestStreamUsageMatchesUpstreamReport: canonical usage equals what the
// recorded upstream reported at the end of the stream.
func TestStreamUsageMatchesUpstreamReport(t *testing.T) {
	cases := []struct {
		file     string
		in, out_ int
	}{
		{"raw-max-tokens-stream.response.sse", 15, 50},
		{"thinking-redacted-stream.response.sse", 92, 189},
		{"sdk-text-stream.response.sse", 11, 6},
		{"sdk-max-tokens-mid-tool-input-stream.response.sse", 450, 124},
		{"tool-use-stream-input-json-delta.response.sse", 1591, 175},
		{"vercel-text.chunks.txt", 12, 30},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			u := lastUsage(decodeFrames(t, loadFrames(t, fixtureDir+"/"+c.file)))
			if u == nil || u.InputTokens != c.in || u.OutputTokens != c.out_ {
				t.Errorf("usage = %+v, want input %d output %d", u, c.in, c.out_)
			}
		})
	}
}

// TestStreamMaxTokensMidToolInputStillCloses: the block Anthropic never
// stopped is closed before the finish, which reports length.
func TestStreamMaxTokensMidToolInputStillCloses(t *testing.T) {
	evs := decodeFrames(t, loadFrames(t, fixtureDir+"/sdk-max-tokens-mid-tool-input-stream.response.sse"))
	p := projectStream(t, evs)
	if p.Finish != canonical.FinishLength || !p.Ended {
		t.Fatalf("finish %q ended %v", p.Finish, p.Ended)
	}
	for i, b := range p.Blocks {
		if !b.Closed {
			t.Errorf("block %d left open", i)
		}
	}
	if tool := p.Blocks[1]; tool.ToolName != "make_file" || !strings.HasPrefix(tool.Text, `{"filename": "taxes.txt"`) {
		t.Errorf("tool block = %+v", tool)
	}
}

func TestStreamToolCallWithoutArgumentsGetsEmptyObject(t *testing.T) {
	p := projectStream(t, decodeFrames(t, loadFrames(t, fixtureDir+"/vercel-tool-use-no-args-stream.chunks.txt")))
	if len(p.Blocks) != 2 || p.Blocks[1].ToolName != "updateIssueList" || p.Blocks[1].Text != "{}" {
		t.Errorf("blocks = %+v", p.Blocks)
	}
	if p.Finish != canonical.FinishToolCalls {
		t.Errorf("finish = %q", p.Finish)
	}
}

func TestStreamTextAndToolCallFinishAsToolCalls(t *testing.T) {
	evs := decodeFrames(t, frames(
		"message_start", `{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1,"output_tokens":1}}}`,
		"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
		"content_block_stop", `{"type":"content_block_stop","index":0}`,
		"content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"t","name":"f","input":{}}}`,
		"content_block_stop", `{"type":"content_block_stop","index":1}`,
		"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":3}}`,
		"message_stop", `{"type":"message_stop"}`,
	))
	if p := projectStream(t, evs); p.Finish != canonical.FinishToolCalls {
		t.Errorf("finish = %q, want tool_calls", p.Finish)
	}
}

// TestStreamEndings: a cut stream is never a normal finish; an error event
// is terminal with the normalized kind; frames after the end are ignored.
func TestStreamEndings(t *testing.T) {
	start := `{"type":"message_start","message":{"id":"m","model":"c","usage":{"input_tokens":1,"output_tokens":1}}}`
	text0 := `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`
	cases := []struct {
		name     string
		frames   []frame
		wantLast canonical.EventType
		wantErr  *canonical.Error
	}{
		{"cut after a delta", frames("message_start", start, "content_block_start", text0,
			"content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`),
			canonical.EventError, &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Message: "upstream stream ended before completion"}},
		{"cut after message_delta", frames("message_start", start,
			"message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`),
			canonical.EventError, &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Message: "upstream stream ended before completion"}},
		{"overloaded error event", frames("message_start", start, "error", `{"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}`),
			canonical.EventError, &canonical.Error{Kind: canonical.KindRateLimited, Status: 529, Type: "overloaded_error", Message: "Overloaded"}},
		{"frames after message_stop", frames("message_start", start, "message_stop", `{"type":"message_stop"}`,
			"content_block_start", text0, "error", `{"type":"error","error":{"type":"api_error","message":"x"}}`),
			canonical.EventEnd, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			evs := decodeFrames(t, c.frames)
			last := evs[len(evs)-1]
			if last.Type != c.wantLast {
				t.Fatalf("last event %s, want %s", eventTypeName(last.Type), eventTypeName(c.wantLast))
			}
			for _, ev := range evs[:len(evs)-1] {
				if ev.Type == canonical.EventEnd || ev.Type == canonical.EventError {
					t.Errorf("terminal event %s before the last one", eventTypeName(ev.Type))
				}
			}
			if c.wantErr != nil {
				e := last.Err
				if e.Kind != c.wantErr.Kind || e.Status != c.wantErr.Status || e.Type != c.wantErr.Type || e.Message != c.wantErr.Message {
					t.Errorf("error = %+v, want %+v", e, c.wantErr)
				}
			}
		})
	}
}

func TestStreamDecodeFixtureErrorEvent(t *testing.T) {
	fr := loadFrames(t, "testdata/fixtures/errors/anthropic-stream-error-event.response.sse")
	d := NewStreamDecoder()
	evs, err := d.Decode(fr[0].name, fr[0].data, nil)
	if err != nil || len(evs) != 1 || evs[0].Type != canonical.EventError {
		t.Fatalf("events %v err %v", goldenEvents(evs), err)
	}
	if e := evs[0].Err; e.Kind != canonical.KindRateLimited || e.Status != 529 || e.Message != "Overloaded" {
		t.Errorf("error = %+v", e)
	}
	if evs, _ = d.Close(nil); len(evs) != 0 {
		t.Errorf("Close after an error event added %v", goldenEvents(evs))
	}
}

// TestStreamDecodeRejectsProtocolViolations with a 502 upstream error.
func TestStreamDecodeRejectsProtocolViolations(t *testing.T) {
	start := `{"type":"message_start","message":{"id":"m","model":"c"}}`
	cases := []struct {
		name   string
		frames []frame
	}{
		{"not JSON", frames("message_start", `{"type":`)},
		{"content before message_start", frames("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text"}}`)},
		{"delta for an unopened block", frames("message_start", start, "content_block_delta", `{"type":"content_block_delta","index":3,"delta":{"type":"text_delta","text":"x"}}`)},
		{"repeated block start", frames("message_start", start,
			"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text"}}`,
			"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text"}}`)},
		{"repeated message_start", frames("message_start", start, "message_start", start)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := NewStreamDecoder()
			var err error
			for _, f := range c.frames {
				if _, err = d.Decode(f.name, f.data, nil); err != nil {
					break
				}
			}
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Kind != canonical.KindUpstream || ce.Status != 502 {
				t.Fatalf("err = %v, want 502 upstream_error", err)
			}
			if evs, _ := d.Close(nil); len(evs) != 0 {
				t.Errorf("Close after a reported error added %v", goldenEvents(evs))
			}
		})
	}
}

// TestStreamEncoderGrammar: a translated (OpenAI-like) event sequence comes
// out in the Anthropic grammar: real msg_ id, routed model, ping, contiguous
// block indexes, tool_use stop reason, usage with the input side at the end.
func TestStreamEncoderGrammar(t *testing.T) {
	evs := []canonical.Event{
		{Type: canonical.EventStart, ID: "chatcmpl-abc", Model: "gpt-x"},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartText}},
		{Type: canonical.EventDelta, Index: 0, Delta: "Checking \"weather\"\n"},
		{Type: canonical.EventBlockStart, Index: 2, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "call_1", Name: "w"}}},
		{Type: canonical.EventDelta, Index: 2, Delta: `{"city":`},
		{Type: canonical.EventDelta, Index: 2, Delta: `"Paris"}`},
		{Type: canonical.EventFinish, Finish: canonical.FinishStop},
		{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 120, OutputTokens: 9, CacheReadTokens: 100}},
		{Type: canonical.EventEnd},
	}
	rec := encodeEvents(t, StreamOptions{Model: "claude-routed"}, evs)
	wantNames := []string{"message_start", "ping", "content_block_start", "content_block_delta", "content_block_start",
		"content_block_delta", "content_block_delta", "content_block_stop", "content_block_stop", "message_delta", "message_stop"}
	var names []string
	for _, f := range rec.frames {
		names = append(names, f.name)
	}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("frames %v\nwant   %v", names, wantNames)
	}
	want := []string{
		`{"type":"message_start","message":{"id":"msg_chatcmpl-abc","type":"message","role":"assistant","model":"claude-routed","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":0}}}`,
		`{"type":"ping"}`,
		`{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Checking \"weather\"\n"}}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"call_1","name":"w","input":{}}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\":"}}`,
		`{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"\"Paris\"}"}}`,
		`{"type":"content_block_stop","index":0}`,
		`{"type":"content_block_stop","index":1}`,
		`{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"input_tokens":20,"cache_creation_input_tokens":0,"cache_read_input_tokens":100,"output_tokens":9}}`,
		`{"type":"message_stop"}`,
	}
	for i, f := range rec.frames {
		if string(f.data) != want[i] {
			t.Errorf("frame %d\n got: %s\nwant: %s", i, f.data, want[i])
		}
	}
	// Usage survives the trip back through our own decoder.
	if u := lastUsage(decodeFrames(t, rec.frames)); *u != *evs[7].Usage {
		t.Errorf("usage back = %+v", u)
	}
}

func TestStreamEncoderStopReasons(t *testing.T) {
	cases := []struct {
		finish  canonical.FinishReason
		stopSeq string
		want    string
	}{
		{canonical.FinishStop, "", `"stop_reason":"end_turn","stop_sequence":null`},
		{"", "", `"stop_reason":"end_turn","stop_sequence":null`},
		{canonical.FinishStop, "END", `"stop_reason":"stop_sequence","stop_sequence":"END"`},
		{canonical.FinishLength, "", `"stop_reason":"max_tokens"`},
		{canonical.FinishToolCalls, "", `"stop_reason":"tool_use"`},
		{canonical.FinishContentFilter, "", `"stop_reason":"refusal"`},
		{canonical.FinishRefusal, "", `"stop_reason":"refusal"`},
		{canonical.FinishPause, "", `"stop_reason":"pause_turn"`},
	}
	for _, c := range cases {
		t.Run(string(c.finish)+c.stopSeq, func(t *testing.T) {
			rec := encodeEvents(t, StreamOptions{ID: "msg_x"}, []canonical.Event{
				{Type: canonical.EventStart}, {Type: canonical.EventFinish, Finish: c.finish, StopSequence: c.stopSeq}, {Type: canonical.EventEnd},
			})
			md := rec.frames[len(rec.frames)-2]
			if md.name != "message_delta" || !bytes.Contains(md.data, []byte(c.want)) {
				t.Errorf("%s: %s, want %s", md.name, md.data, c.want)
			}
		})
	}
}

// TestStreamEncoderErrorIsTerminal: one error frame, nothing after it.
func TestStreamEncoderErrorIsTerminal(t *testing.T) {
	rec := encodeEvents(t, StreamOptions{ID: "msg_x", Model: "m"}, []canonical.Event{
		{Type: canonical.EventStart},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartText}},
		{Type: canonical.EventDelta, Index: 0, Delta: "par"},
		{Type: canonical.EventError, Err: &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Message: "upstream stream ended before completion"}},
		{Type: canonical.EventDelta, Index: 0, Delta: "tial"},
		{Type: canonical.EventEnd},
	})
	last := rec.frames[len(rec.frames)-1]
	if last.name != "error" || string(last.data) != `{"type":"error","error":{"type":"api_error","message":"upstream stream ended before completion"}}` {
		t.Errorf("last frame %s %s", last.name, last.data)
	}
	if n := len(rec.frames); n != 5 {
		t.Errorf("%d frames, want message_start ping block_start delta error", n)
	}
}

func TestStreamEncoderGeneratesIDsFromInjectedRandomness(t *testing.T) {
	run := func() string {
		rec := encodeEvents(t, StreamOptions{Rand: bytes.NewReader(bytes.Repeat([]byte{7, 200, 33}, 40))}, []canonical.Event{
			{Type: canonical.EventStart, Model: "m"},
			{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{Name: "f"}}},
		})
		return string(rec.frames[0].data) + string(rec.frames[2].data)
	}
	a, b := run(), run()
	if a != b {
		t.Errorf("same randomness, different output:\n%s\n%s", a, b)
	}
	// bytes 7, 200, 33 map to base62 '7', 'E' (200 mod 62), 'X'.
	if !strings.Contains(a, `"id":"msg_7EX7EX7EX7EX7EX7EX7EX7EX"`) || !strings.Contains(a, `"id":"toolu_7EX7EX7EX7EX7EX7EX7EX7EX"`) {
		t.Errorf("ids not generated: %s", a)
	}
}

// TestStreamEncoderReasoningBlocks: thinking text and signature deltas, and
// redacted thinking carried in the block start.
func TestStreamEncoderReasoningBlocks(t *testing.T) {
	rec := encodeEvents(t, StreamOptions{ID: "msg_x", Model: "m"}, []canonical.Event{
		{Type: canonical.EventStart},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{}}},
		{Type: canonical.EventDelta, Index: 0, Delta: "hmm"},
		{Type: canonical.EventDelta, Index: 0, Signature: "sig=="},
		{Type: canonical.EventBlockStop, Index: 0},
		{Type: canonical.EventBlockStart, Index: 1, Block: &canonical.Part{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Redacted: true, Data: "opaque"}}},
		{Type: canonical.EventBlockStop, Index: 1},
		{Type: canonical.EventEnd},
	})
	got := string(rec.sse())
	for _, want := range []string{
		`{"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"sig=="}}`,
		`{"type":"content_block_start","index":1,"content_block":{"type":"redacted_thinking","data":"opaque"}}`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %s in\n%s", want, got)
		}
	}
}
