package responses

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Shorthands for hand-built canonical streams.
func evStart() canonical.Event {
	return canonical.Event{Type: canonical.EventStart, ID: "chatcmpl-x", Model: "up"}
}
func evOpen(i int, t canonical.PartType) canonical.Event {
	return canonical.Event{Type: canonical.EventBlockStart, Index: i, Block: &canonical.Part{Type: t}}
}
func evCall(i int, id, name string) canonical.Event {
	return canonical.Event{Type: canonical.EventBlockStart, Index: i, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: id, Name: name}}}
}
func evText(i int, s string) canonical.Event {
	return canonical.Event{Type: canonical.EventDelta, Index: i, Delta: s}
}
func evStop(i int) canonical.Event { return canonical.Event{Type: canonical.EventBlockStop, Index: i} }
func evFinish(r canonical.FinishReason) canonical.Event {
	return canonical.Event{Type: canonical.EventFinish, Finish: r}
}
func evUsage(in, out int) canonical.Event {
	return canonical.Event{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: in, OutputTokens: out}}
}
func evEnd() canonical.Event { return canonical.Event{Type: canonical.EventEnd} }

// frameTypes lists the event names of frames.
func frameTypes(frames []frame) []string {
	out := make([]string, len(frames))
	for i, f := range frames {
		out[i] = f.name
	}
	return out
}

// itemsOf returns the output array of the terminal frame.
func itemsOf(t *testing.T, frames []frame) []map[string]any {
	t.Helper()
	r := generic(t, []byte(frames[len(frames)-1].data))["response"].(map[string]any)
	var out []map[string]any
	for _, it := range r["output"].([]any) {
		out = append(out, it.(map[string]any))
	}
	return out
}

func TestStreamEncoderGrammar(t *testing.T) {
	u := &canonical.Usage{InputTokens: 3, OutputTokens: 4}
	tests := []struct {
		name       string
		events     []canonical.Event
		want       streamView
		itemTypes  []string // output item types in order
		itemStatus []string
	}{
		{
			name: "text then two tool calls finishes completed with three items",
			events: []canonical.Event{evStart(), evOpen(0, canonical.PartText), evText(0, "Checking."), evStop(0),
				evCall(1, "call_a", "weather"), evText(1, `{"city":`), evText(1, `"Rome"}`), evStop(1),
				evCall(2, "call_b", "time"), evText(2, `{}`), evStop(2), evUsage(3, 4), evFinish(canonical.FinishToolCalls), evEnd()},
			want: streamView{Status: "completed", Usage: u, Pieces: []piece{{Kind: "text", Text: "Checking."},
				{Kind: "call", Text: `{"city":"Rome"}`, CallID: "call_a", Name: "weather"}, {Kind: "call", Text: "{}", CallID: "call_b", Name: "time"}}},
			itemTypes:  []string{"message", "function_call", "function_call"},
			itemStatus: []string{"completed", "completed", "completed"},
		},
		{
			name:       "length finish is response.incomplete and the last item incomplete",
			events:     []canonical.Event{evStart(), evOpen(0, canonical.PartText), evText(0, "1. Alabama"), evStop(0), evFinish(canonical.FinishLength), evUsage(3, 4), evEnd()},
			want:       streamView{Status: "incomplete", Reason: "max_output_tokens", Usage: u, Pieces: []piece{{Kind: "text", Text: "1. Alabama"}}},
			itemTypes:  []string{"message"},
			itemStatus: []string{"incomplete"},
		},
		{
			name:       "content filter finish is incomplete for content_filter",
			events:     []canonical.Event{evStart(), evOpen(0, canonical.PartText), evText(0, "x"), evFinish(canonical.FinishContentFilter), evEnd()},
			want:       streamView{Status: "incomplete", Reason: "content_filter", Pieces: []piece{{Kind: "text", Text: "x"}}},
			itemTypes:  []string{"message"},
			itemStatus: []string{"incomplete"},
		},
		{
			name:       "a refusal finish is a completed response showing the refusal",
			events:     []canonical.Event{evStart(), evOpen(0, canonical.PartRefusal), evText(0, "I can't."), evStop(0), evFinish(canonical.FinishRefusal), evEnd()},
			want:       streamView{Status: "completed", Pieces: []piece{{Kind: "refusal", Text: "I can't."}}},
			itemTypes:  []string{"message"},
			itemStatus: []string{"completed"},
		},
		{
			name: "reasoning blocks in a row share one reasoning item, then a message",
			events: []canonical.Event{evStart(), evOpen(0, canonical.PartReasoning), evText(0, "first"), evStop(0),
				evOpen(1, canonical.PartReasoning), evText(1, "second"), evStop(1),
				evOpen(2, canonical.PartText), evText(2, "answer"), evStop(2), evFinish(canonical.FinishStop), evEnd()},
			want: streamView{Status: "completed", Pieces: []piece{{Kind: "reasoning", Text: "first"}, {Kind: "reasoning", Text: "second"},
				{Kind: "text", Text: "answer"}}},
			itemTypes:  []string{"reasoning", "message"},
			itemStatus: []string{"", "completed"},
		},
		{
			name: "text and refusal blocks in a row are parts of one message",
			events: []canonical.Event{evStart(), evOpen(0, canonical.PartText), evText(0, "a"), evStop(0),
				evOpen(1, canonical.PartRefusal), evText(1, "no"), evStop(1), evEnd()},
			want:       streamView{Status: "completed", Pieces: []piece{{Kind: "text", Text: "a"}, {Kind: "refusal", Text: "no"}}},
			itemTypes:  []string{"message"},
			itemStatus: []string{"completed"},
		},
		{
			name:       "a call without arguments gets an empty object",
			events:     []canonical.Event{evStart(), evCall(0, "call_z", "ping"), evStop(0), evFinish(canonical.FinishToolCalls), evEnd()},
			want:       streamView{Status: "completed", Pieces: []piece{{Kind: "call", Text: "{}", CallID: "call_z", Name: "ping"}}},
			itemTypes:  []string{"function_call"},
			itemStatus: []string{"completed"},
		},
		{
			name:   "a call without an id gets a derived one",
			events: []canonical.Event{evStart(), evCall(0, "", "ping"), evText(0, `{"a":1}`), evStop(0), evEnd()},
			want: streamView{Status: "completed", Pieces: []piece{{Kind: "call", Text: `{"a":1}`,
				CallID: callIDFor(&canonical.ToolCall{Name: "ping"}, 0), Name: "ping"}}},
			itemTypes:  []string{"function_call"},
			itemStatus: []string{"completed"},
		},
		{
			name: "redacted reasoning and images write nothing",
			events: []canonical.Event{evStart(),
				{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Redacted: true, Data: "opaque"}}},
				evText(0, "hidden"), evStop(0), evOpen(1, canonical.PartImage), evStop(1),
				evOpen(2, canonical.PartText), evText(2, "shown"), evStop(2), evEnd()},
			want:       streamView{Status: "completed", Pieces: []piece{{Kind: "text", Text: "shown"}}},
			itemTypes:  []string{"message"},
			itemStatus: []string{"completed"},
		},
		{
			name:       "a delta without a block start is text, blocks left open close at end",
			events:     []canonical.Event{evStart(), evText(0, "loose"), evEnd()},
			want:       streamView{Status: "completed", Pieces: []piece{{Kind: "text", Text: "loose"}}},
			itemTypes:  []string{"message"},
			itemStatus: []string{"completed"},
		},
		{
			name: "usage sent after the finish still reaches the terminal frame",
			events: []canonical.Event{evStart(), evOpen(0, canonical.PartText), evText(0, "hi"), evStop(0),
				evFinish(canonical.FinishStop), evUsage(3, 4), evEnd()},
			want:       streamView{Status: "completed", Usage: u, Pieces: []piece{{Kind: "text", Text: "hi"}}},
			itemTypes:  []string{"message"},
			itemStatus: []string{"completed"},
		},
		{
			name: "a text block opening while a call is open keeps both items valid",
			events: []canonical.Event{evStart(), evCall(0, "call_1", "f"), evText(0, `{"x"`),
				evOpen(1, canonical.PartText), evText(1, "meanwhile"), evText(0, `:1}`), evStop(0), evStop(1), evEnd()},
			want: streamView{Status: "completed", Pieces: []piece{{Kind: "call", Text: `{"x":1}`, CallID: "call_1", Name: "f"},
				{Kind: "text", Text: "meanwhile"}}},
			itemTypes:  []string{"function_call", "message"},
			itemStatus: []string{"completed", "completed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			frames := encodeEvents(t, tc.events)
			checkGrammar(t, frames)
			if got := projectFrames(t, frames); !equalViews(got, tc.want) {
				t.Errorf("stream reads\n %v\nwant %v", got, tc.want)
			}
			items := itemsOf(t, frames)
			if len(items) != len(tc.itemTypes) {
				t.Fatalf("%d items, want %d: %v", len(items), len(tc.itemTypes), items)
			}
			prefix := map[string]string{"message": "msg_test_", "reasoning": "rs_test_", "function_call": "fc_test_"}
			for i, it := range items {
				st, _ := it["status"].(string)
				if it["type"] != tc.itemTypes[i] || st != tc.itemStatus[i] || !strings.HasPrefix(it["id"].(string), prefix[tc.itemTypes[i]]) {
					t.Errorf("item %d: type %v status %v id %v, want %s %q", i, it["type"], it["status"], it["id"], tc.itemTypes[i], tc.itemStatus[i])
				}
			}
			again := decodeFrames(t, frames)
			checkWellFormed(t, again)
			if got := projectEvents(again); !equalViews(got, tc.want) {
				t.Errorf("stream decodes back to\n %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestStreamEncoderErrors(t *testing.T) {
	boom := &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Code: "upstream_error", Message: "upstream stream ended before completion"}
	t.Run("an error before anything is response.failed with sequence 0", func(t *testing.T) {
		frames := encodeEvents(t, []canonical.Event{{Type: canonical.EventError, Err: boom}, evStart(), evEnd()})
		if len(frames) != 1 || frames[0].name != evFailed {
			t.Fatalf("frames %v", frameTypes(frames))
		}
		e := generic(t, []byte(frames[0].data))
		r := e["response"].(map[string]any)
		errObj := r["error"].(map[string]any)
		if e["sequence_number"] != 0.0 || r["status"] != "failed" || errObj["code"] != "upstream_error" || errObj["message"] != boom.Message || errObj["type"] != "api_error" {
			t.Errorf("failed frame %s", frames[0].data)
		}
	})
	t.Run("an error mid-stream takes the next sequence number and ends the stream", func(t *testing.T) {
		frames := encodeEvents(t, []canonical.Event{evStart(), evOpen(0, canonical.PartText), evText(0, "par"),
			{Type: canonical.EventError, Err: boom}, evText(0, "tial"), evEnd()})
		want := []string{evCreated, evInProgress, evItemAdded, evPartAdded, evTextDelta, evFailed}
		if got := frameTypes(frames); !reflect.DeepEqual(got, want) {
			t.Fatalf("frames %v, want %v", got, want)
		}
		checkGrammar(t, frames)
		r := generic(t, []byte(frames[5].data))["response"].(map[string]any)
		if r["id"] != "resp_test" || len(r["output"].([]any)) != 0 {
			t.Errorf("failed response %v", r)
		}
	})
	t.Run("ErrorFrame continues the numbering and stops the encoder", func(t *testing.T) {
		enc := NewStreamEncoder(StreamOptions{ID: "resp_e", Model: "m", Created: 5})
		var rec recorder
		for _, ev := range []canonical.Event{evStart(), evOpen(0, canonical.PartText), evText(0, "x"), evStop(0)} {
			if err := enc.Encode(ev, &rec); err != nil {
				t.Fatal(err)
			}
		}
		pos := enc.Position()
		if pos.Sequence != len(rec.frames) || pos.ResponseID != "resp_e" || pos.Model != "m" || pos.CreatedAt != 5 {
			t.Fatalf("position %+v after %d frames", pos, len(rec.frames))
		}
		name, data := enc.ErrorFrame(&canonical.Error{Kind: canonical.KindTimeout, Status: 504, Message: "idle"})
		e := generic(t, data)
		if name != evFailed || e["sequence_number"] != float64(pos.Sequence) {
			t.Fatalf("%s %s", name, data)
		}
		errObj := e["response"].(map[string]any)["error"].(map[string]any)
		if errObj["type"] != "timeout_error" || errObj["code"] != "server_error" {
			t.Errorf("error object %v", errObj)
		}
		if err := enc.Encode(evEnd(), &rec); err != nil || len(rec.frames) != pos.Sequence {
			t.Errorf("encoder wrote after its error frame: %v", frameTypes(rec.frames))
		}
	})
	t.Run("EncodeStreamErrorAt continues a relayed stream", func(t *testing.T) {
		name, data := EncodeStreamErrorAt(boom, StreamPosition{Sequence: 41, ResponseID: "resp_up", Model: "gpt-4o"})
		e := generic(t, data)
		r := e["response"].(map[string]any)
		if name != evFailed || e["type"] != evFailed || e["sequence_number"] != 41.0 || r["id"] != "resp_up" || r["model"] != "gpt-4o" {
			t.Errorf("%s %s", name, data)
		}
		if _, zero := EncodeStreamError(boom); !strings.Contains(string(zero), `"sequence_number":0,`) || strings.Contains(string(zero), `"id"`) {
			t.Errorf("EncodeStreamError = %s", zero)
		}
	})
}

func TestStreamEncoderIDs(t *testing.T) {
	a := NewStreamEncoder(StreamOptions{Rand: strings.NewReader(strings.Repeat("\x01", 24))})
	if a.ID() != "resp_"+strings.Repeat("01", 24) {
		t.Errorf("id from a fixed source = %q", a.ID())
	}
	if b := NewStreamEncoder(StreamOptions{Rand: strings.NewReader("")}); b.ID() != "resp_nexus" {
		t.Errorf("id from a failing source = %q", b.ID())
	}
	c, d := NewStreamEncoder(StreamOptions{}), NewStreamEncoder(StreamOptions{})
	if c.ID() == d.ID() || !strings.HasPrefix(c.ID(), "resp_") || len(c.ID()) != len("resp_")+48 {
		t.Errorf("random ids %q %q", c.ID(), d.ID())
	}
	var rec recorder
	enc := NewStreamEncoder(StreamOptions{ID: "resp_m"})
	if err := enc.Encode(evStart(), &rec); err != nil {
		t.Fatal(err)
	}
	if r := generic(t, []byte(rec.frames[0].data))["response"].(map[string]any); r["model"] != "up" {
		t.Errorf("model without an option = %v, want EventStart's", r["model"])
	}
}

// decodeLines decodes frames given as JSON lines (name taken from type).
func decodeLines(t *testing.T, lines ...string) ([]canonical.Event, *StreamDecoder, error) {
	t.Helper()
	d := NewStreamDecoder()
	var evs []canonical.Event
	for _, l := range lines {
		var err error
		if evs, err = d.Decode(frameType(l), []byte(l), evs); err != nil {
			return evs, d, err
		}
	}
	evs, err := d.Close(evs)
	return evs, d, err
}

const created = `{"type":"response.created","response":{"id":"resp_1","object":"response","created_at":9,"model":"gpt-x","status":"in_progress","output":[]}}`

func TestStreamDecoderEdges(t *testing.T) {
	usage := `"usage":{"input_tokens":5,"input_tokens_details":{"cached_tokens":2},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":1},"total_tokens":12}`
	tests := []struct {
		name  string
		lines []string
		want  streamView
	}{
		{
			name: "done events alone supply the text",
			lines: []string{created,
				`{"type":"response.output_item.added","output_index":0,"item":{"type":"message","id":"m"}}`,
				`{"type":"response.content_part.added","output_index":0,"content_index":0,"part":{"type":"output_text","text":""}}`,
				`{"type":"response.output_text.done","output_index":0,"content_index":0,"text":"whole"}`,
				`{"type":"response.content_part.done","output_index":0,"content_index":0,"part":{"type":"output_text","text":"whole"}}`,
				`{"type":"response.output_item.done","output_index":0,"item":{"type":"message","id":"m","content":[{"type":"output_text","text":"whole"}]}}`,
				`{"type":"response.completed","response":{"status":"completed",` + usage + `}}`},
			want: streamView{Status: "completed", Pieces: []piece{{Kind: "text", Text: "whole"}},
				Usage: &canonical.Usage{InputTokens: 5, OutputTokens: 7, CacheReadTokens: 2, ReasoningTokens: 1}},
		},
		{
			name: "items that arrive whole in output_item.done become blocks",
			lines: []string{created,
				`{"type":"response.output_item.done","output_index":0,"item":{"type":"reasoning","summary":[{"type":"summary_text","text":"why"}]}}`,
				`{"type":"response.output_item.done","output_index":1,"item":{"type":"message","content":[{"type":"output_text","text":"a"},{"type":"refusal","refusal":"b"}]}}`,
				`{"type":"response.output_item.done","output_index":2,"item":{"type":"function_call","call_id":"c1","name":"f","arguments":"{\"q\":1}"}}`,
				`{"type":"response.completed","response":{"status":"completed"}}`},
			want: streamView{Status: "completed", Pieces: []piece{{Kind: "reasoning", Text: "why"}, {Kind: "text", Text: "a"},
				{Kind: "refusal", Text: "b"}, {Kind: "call", Text: `{"q":1}`, CallID: "c1", Name: "f"}}},
		},
		{
			name: "a stream of only the final object is read from its output",
			lines: []string{created,
				`{"type":"response.completed","response":{"status":"completed","output":[{"type":"message","content":[{"type":"output_text","text":"late"}]}]}}`},
			want: streamView{Status: "completed", Pieces: []piece{{Kind: "text", Text: "late"}}},
		},
		{
			name: "arguments only in arguments.done, and a call closed by completion",
			lines: []string{created,
				`{"type":"response.output_item.added","output_index":0,"item":{"type":"function_call","call_id":"c","name":"g","arguments":""}}`,
				`{"type":"response.function_call_arguments.done","output_index":0,"arguments":"{\"k\":true}"}`,
				`{"type":"response.completed","response":{"status":"completed"}}`},
			want: streamView{Status: "completed", Pieces: []piece{{Kind: "call", Text: `{"k":true}`, CallID: "c", Name: "g"}}},
		},
		{
			name: "built-in tool items and their events are skipped",
			lines: []string{created,
				`{"type":"response.output_item.added","output_index":0,"item":{"type":"web_search_call","id":"ws","status":"in_progress"}}`,
				`{"type":"response.web_search_call.searching","output_index":0,"item_id":"ws"}`,
				`{"type":"response.output_item.done","output_index":0,"item":{"type":"web_search_call","id":"ws","status":"completed"}}`,
				`{"type":"response.output_item.added","output_index":1,"item":{"type":"message","id":"m"}}`,
				`{"type":"response.output_text.delta","output_index":1,"content_index":0,"delta":"found"}`,
				`{"type":"response.output_text.annotation.added","output_index":1,"content_index":0,"annotation":{"type":"url_citation"}}`,
				`{"type":"response.completed","response":{"status":"completed"}}`},
			want: streamView{Status: "completed", Pieces: []piece{{Kind: "text", Text: "found"}}},
		},
		{
			name: "incomplete for content_filter",
			lines: []string{created, `{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"x"}`,
				`{"type":"response.incomplete","response":{"status":"incomplete","incomplete_details":{"reason":"content_filter"}}}`},
			want: streamView{Status: "incomplete", Reason: "content_filter", Pieces: []piece{{Kind: "text", Text: "x"}}},
		},
		{
			name:  "EOF before a terminal event is an upstream error",
			lines: []string{created, `{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"cut"}`},
			want:  streamView{Pieces: []piece{{Kind: "text", Text: "cut"}}, Error: "upstream stream ended before completion"},
		},
		{
			name:  "a stray [DONE] before the terminal event is the same",
			lines: []string{created, `[DONE]`, `{"type":"response.completed","response":{"status":"completed"}}`},
			want:  streamView{Error: "upstream stream ended before completion"},
		},
		{
			name: "frames after the end are ignored",
			lines: []string{created, `{"type":"response.completed","response":{"status":"completed"}}`,
				`{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"late"}`},
			want: streamView{Status: "completed"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			evs, _, err := decodeLines(t, tc.lines...)
			if err != nil {
				t.Fatal(err)
			}
			checkWellFormed(t, evs)
			if got := projectEvents(evs); !equalViews(got, tc.want) {
				t.Errorf("decoded\n %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestStreamDecoderFailures(t *testing.T) {
	t.Run("a recorded error event fails the stream as rate limited", func(t *testing.T) {
		frames := loadStreams(t, "testdata/fixtures/errors/openai-responses-stream-error-event.chunks.txt")[0]
		d := NewStreamDecoder()
		var evs []canonical.Event
		for _, f := range frames {
			var err error
			if evs, err = d.Decode(f.name, []byte(f.data), evs); err != nil {
				t.Fatal(err)
			}
		}
		checkWellFormed(t, evs)
		e := evs[len(evs)-1].Err
		if e == nil || e.Kind != canonical.KindRateLimited || e.Status != 429 || e.Code != "insufficient_quota" || e.Type != "insufficient_quota" ||
			!strings.HasPrefix(e.Message, "You exceeded your current quota") {
			t.Fatalf("error %+v", e)
		}
		pos := d.Position()
		if pos.Sequence != 4 || pos.ResponseID != "resp_05500b38c2cd9bfc00691c7c9d222481a3b595421266dab424" || pos.Model != "gpt-5-nano-2025-08-07" || pos.CreatedAt != 1763474589 {
			t.Errorf("position %+v", pos)
		}
	})
	t.Run("response.failed carries the response error", func(t *testing.T) {
		evs, _, err := decodeLines(t, created, `{"type":"response.failed","response":{"status":"failed","error":{"code":"server_error","message":"boom"}}}`)
		if err != nil {
			t.Fatal(err)
		}
		e := evs[len(evs)-1].Err
		if e == nil || e.Kind != canonical.KindUpstream || e.Status != 502 || e.Code != "server_error" || e.Message != "boom" {
			t.Fatalf("error %+v", e)
		}
	})
	t.Run("a frame that is not JSON is a 502", func(t *testing.T) {
		_, _, err := decodeLines(t, created, `{"type":`)
		if ce := canonical.As(err); err == nil || ce.Status != 502 || ce.Kind != canonical.KindUpstream {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("frames without sequence numbers are counted", func(t *testing.T) {
		d := NewStreamDecoder()
		var evs []canonical.Event
		for _, l := range []string{created, `{"type":"response.in_progress","response":{}}`, `{"type":"response.output_text.delta","output_index":0,"content_index":0,"delta":"x"}`} {
			var err error
			if evs, err = d.Decode("", []byte(l), evs); err != nil {
				t.Fatal(err)
			}
		}
		if got := d.Position().Sequence; got != 3 {
			t.Errorf("next sequence %d after three unnumbered frames", got)
		}
		if _, err := d.Decode("", []byte(`{"type":"response.output_text.delta","sequence_number":40,"output_index":0,"content_index":0,"delta":"y"}`), evs); err != nil {
			t.Fatal(err)
		}
		if got := d.Position().Sequence; got != 41 {
			t.Errorf("next sequence %d after frame 40", got)
		}
	})
	t.Run("too many output items is a 502", func(t *testing.T) {
		_, _, err := decodeLines(t, created, `{"type":"response.output_text.delta","output_index":100000,"content_index":0,"delta":"x"}`)
		if ce := canonical.As(err); err == nil || ce.Status != 502 {
			t.Fatalf("err %v", err)
		}
	})
}

// TestStreamMatchesUnary: a stream and the unary answer of the same
// canonical content agree on status, reason, items and usage (SPEC §6.4).
func TestStreamMatchesUnary(t *testing.T) {
	for _, finish := range []canonical.FinishReason{canonical.FinishStop, canonical.FinishLength, canonical.FinishToolCalls, canonical.FinishContentFilter, canonical.FinishRefusal} {
		t.Run(string(finish), func(t *testing.T) {
			resp := &canonical.Response{ID: "resp_test", Model: "routed-model", Created: 1700000000, FinishReason: finish,
				Usage: &canonical.Usage{InputTokens: 1, OutputTokens: 2},
				Content: []canonical.Part{{Type: canonical.PartReasoning, Text: "r"}, {Type: canonical.PartText, Text: "t"},
					{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "call_1", Name: "f", Arguments: `{"a":1}`}}}}
			unary, err := EncodeResponse(resp)
			if err != nil {
				t.Fatal(err)
			}
			evs := []canonical.Event{evStart(), evOpen(0, canonical.PartReasoning), evText(0, "r"), evStop(0),
				evOpen(1, canonical.PartText), evText(1, "t"), evStop(1), evCall(2, "call_1", "f"), evText(2, `{"a":1}`), evStop(2),
				{Type: canonical.EventUsage, Usage: resp.Usage}, evFinish(finish), evEnd()}
			frames := encodeEvents(t, evs)
			final := generic(t, []byte(frames[len(frames)-1].data))["response"]
			u := generic(t, unary)
			for _, k := range []string{"id", "status", "incomplete_details", "output", "usage", "created_at", "model"} {
				a, _ := json.Marshal(final.(map[string]any)[k])
				b, _ := json.Marshal(u[k])
				if string(a) != string(b) {
					t.Errorf("%s: stream %s, unary %s", k, a, b)
				}
			}
		})
	}
}
