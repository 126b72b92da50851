package openai

import (
	"bytes"
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// chunk builds a chat.completion.chunk frame around a choice-0 delta.
func chunk(delta string, finish string) frame {
	fr := "null"
	if finish != "" {
		fr = `"` + finish + `"`
	}
	return frame{data: `{"id":"x","model":"m","choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + fr + `}]}`}
}

func done() frame { return frame{data: "[DONE]"} }

// summary renders events compactly: "start", "bs0:text", "d0:hi", "stop0", "usage:3/4", "finish:stop", "end", "error:502".
func summary(evs []canonical.Event) string {
	var parts []string
	for _, ev := range evs {
		switch ev.Type {
		case canonical.EventStart:
			parts = append(parts, "start")
		case canonical.EventBlockStart:
			s := "bs" + itoa(ev.Index) + ":" + string(ev.Block.Type)
			if tc := ev.Block.ToolCall; tc != nil {
				s += "(" + tc.ID + "," + tc.Name + ")"
			}
			parts = append(parts, s)
		case canonical.EventDelta:
			parts = append(parts, "d"+itoa(ev.Index)+":"+ev.Delta)
		case canonical.EventBlockStop:
			parts = append(parts, "stop"+itoa(ev.Index))
		case canonical.EventUsage:
			parts = append(parts, "usage:"+itoa(ev.Usage.InputTokens)+"/"+itoa(ev.Usage.OutputTokens))
		case canonical.EventFinish:
			parts = append(parts, "finish:"+string(ev.Finish))
		case canonical.EventEnd:
			parts = append(parts, "end")
		case canonical.EventError:
			parts = append(parts, "error:"+itoa(ev.Err.Status)+":"+ev.Err.Message)
		}
	}
	return strings.Join(parts, " ")
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

func TestStreamDecoderCases(t *testing.T) {
	usage := frame{data: `{"id":"x","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`}
	cases := []struct {
		name   string
		frames []frame
		want   string
	}{
		{"text then usage chunk then done", []frame{chunk(`{"role":"assistant","content":""}`, ""), chunk(`{"content":"hi"}`, ""), chunk(`{}`, "stop"), usage, done()},
			"start bs0:text d0:hi stop0 usage:3/4 finish:stop end"},
		{"cut stream is an error, not a finish", []frame{chunk(`{"content":"hi"}`, "")},
			"start bs0:text d0:hi error:502:upstream stream ended before completion"},
		{"finish without done completes", []frame{chunk(`{"content":"hi"}`, "length")},
			"start bs0:text d0:hi stop0 finish:length end"},
		{"azure preamble skipped", []frame{{data: `{"choices":[],"id":"","model":"","prompt_filter_results":[]}`}, chunk(`{"content":"a"}`, "stop"), done()},
			"start bs0:text d0:a stop0 finish:stop end"},
		{"reasoning then text then tool: blocks in open order", []frame{
			chunk(`{"reasoning_content":"r"}`, ""), chunk(`{"content":"t"}`, ""),
			chunk(`{"tool_calls":[{"index":0,"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\""}}]}`, ""),
			chunk(`{"tool_calls":[{"index":0,"function":{"arguments":":1}"}}]}`, ""), chunk(`{}`, "stop"), done()},
			`start bs0:reasoning d0:r stop0 bs1:text d1:t stop1 bs2:tool_call(c1,f) d2:{"a" d2::1} stop2 finish:tool_calls end`},
		{"call without arguments gets {}", []frame{chunk(`{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":""}}]}`, "tool_calls"), done()},
			"start bs0:tool_call(c1,f) d0:{} stop0 finish:tool_calls end"},
		{"arguments before the name are buffered", []frame{
			chunk(`{"tool_calls":[{"index":0,"id":"c1","function":{"arguments":"{\"x\":"}}]}`, ""),
			chunk(`{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"2}"}}]}`, ""), chunk(`{}`, "tool_calls"), done()},
			`start bs0:tool_call(c1,f) d0:{"x": d0:2} stop0 finish:tool_calls end`},
		{"same index with a new id is a new call", []frame{
			chunk(`{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{}"}}]}`, ""),
			chunk(`{"tool_calls":[{"index":0,"id":"b","function":{"name":"g","arguments":"{}"}}]}`, ""), chunk(`{}`, "tool_calls"), done()},
			"start bs0:tool_call(a,f) d0:{} stop0 bs1:tool_call(b,g) d1:{} stop1 finish:tool_calls end"},
		{"missing id is synthesized", []frame{chunk(`{"tool_calls":[{"index":0,"function":{"name":"f","arguments":"{}"}}]}`, ""), done()},
			"start bs0:tool_call(call_0,f) d0:{} stop0 finish:tool_calls end"},
		{"whole arguments object in one fragment", []frame{chunk(`{"tool_calls":[{"index":0,"id":"c","function":{"name":"f","arguments":{"a":1}}}]}`, "tool_calls"), done()},
			`start bs0:tool_call(c,f) d0:{"a":1} stop0 finish:tool_calls end`},
		{"legacy function_call delta", []frame{chunk(`{"function_call":{"name":"f","arguments":"{}"}}`, "function_call"), done()},
			"start bs0:tool_call(call_0,f) d0:{} stop0 finish:tool_calls end"},
		{"glm sensitive is content_filter", []frame{chunk(`{"content":"a"}`, "sensitive"), done()},
			"start bs0:text d0:a stop0 finish:content_filter end"},
		{"error finish reason fails the stream", []frame{chunk(`{"content":"a"}`, "network_error"), done()},
			"start bs0:text d0:a stop0 error:502:upstream generation failed (finish_reason network_error)"},
		{"repeated finish: first stands", []frame{chunk(`{"content":"a"}`, "length"), chunk(`{"content":""}`, "stop"), done()},
			"start bs0:text d0:a stop0 finish:length end"},
		{"error frame", []frame{chunk(`{"content":"a"}`, ""), {data: `{"error":{"message":"overloaded","type":"server_error","code":503}}`}, done()},
			"start bs0:text d0:a error:503:overloaded"},
		{"error after finish keeps usage only", []frame{chunk(`{"content":"a"}`, "length"),
			{data: `{"error":{"code":400,"message":"Token limit reached"},"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2}}`}, done()},
			"start bs0:text d0:a stop0 usage:1/2 finish:length end"},
		{"named error event", []frame{{name: "error", data: `{"message":"bad things"}`}},
			"error:502:bad things"},
		{"empty done-only stream", []frame{done()}, "start finish:stop end"},
		{"frames after done are ignored", []frame{chunk(`{"content":"a"}`, "stop"), done(), chunk(`{"content":"late"}`, "")},
			"start bs0:text d0:a stop0 finish:stop end"},
		{"mistral thinking parts", []frame{chunk(`{"content":[{"type":"thinking","thinking":[{"type":"text","text":"hm"}]}]}`, ""), chunk(`{"content":"ok"}`, "stop"), done()},
			"start bs0:reasoning d0:hm stop0 bs1:text d1:ok stop1 finish:stop end"},
		{"refusal deltas", []frame{chunk(`{"role":"assistant","content":null,"refusal":""}`, ""), chunk(`{"refusal":"no"}`, "stop"), done()},
			"start bs0:refusal d0:no stop0 finish:refusal end"},
		{"escaped text is unescaped", []frame{chunk(`{"content":"a\"b\\c\n\u00e9\ud83d\ude00"}`, "stop"), done()},
			"start bs0:text d0:a\"b\\c\né😀 stop0 finish:stop end"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewStreamDecoder()
			var evs []canonical.Event
			for _, f := range tc.frames {
				var err error
				if evs, err = d.Decode(f.name, []byte(f.data), evs); err != nil {
					t.Fatal(err)
				}
			}
			evs, _ = d.Close(evs)
			checkWellFormed(t, evs)
			got := summary(evs)
			if last := evs[len(evs)-1]; last.Type == canonical.EventError && last.Err.Status == 503 {
				if last.Err.Kind != canonical.KindUpstream || last.Err.Type != "server_error" || last.Err.Code != "503" {
					t.Errorf("error event = %+v", last.Err)
				}
			}
			if got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestStreamDecoderRejectsBrokenFrames(t *testing.T) {
	cases := []struct {
		name   string
		frames []frame
	}{
		{"not JSON", []frame{chunk(`{"content":"a"}`, ""), {data: `{"id":`}}},
		{"arguments for a closed call", []frame{
			chunk(`{"tool_calls":[{"index":0,"id":"a","function":{"name":"f","arguments":"{"}}]}`, ""),
			chunk(`{"tool_calls":[{"index":1,"id":"b","function":{"name":"g","arguments":"{}"}}]}`, ""),
			chunk(`{"tool_calls":[{"index":0,"function":{"arguments":"}"}}]}`, "")}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := NewStreamDecoder()
			var evs []canonical.Event
			var err error
			for _, f := range tc.frames {
				if evs, err = d.Decode(f.name, []byte(f.data), evs); err != nil {
					break
				}
			}
			ce, ok := err.(*canonical.Error)
			if !ok || ce.Status != 502 || ce.Kind != canonical.KindUpstream {
				t.Fatalf("err = %v, want a 502 upstream error", err)
			}
			if evs, _ = d.Close(evs); len(evs) > 0 && evs[len(evs)-1].Type == canonical.EventEnd {
				t.Error("a broken stream ended as a normal finish")
			}
		})
	}
}

func TestStreamEncoderGrammar(t *testing.T) {
	tc := &canonical.ToolCall{ID: "call_1", Name: "f"}
	evs := []canonical.Event{
		{Type: canonical.EventStart, ID: "upstream-id", Model: "upstream-model"},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartReasoning}},
		{Type: canonical.EventDelta, Index: 0, Delta: "think", Signature: ""},
		{Type: canonical.EventDelta, Index: 0, Signature: "sig-only"},
		{Type: canonical.EventBlockStop, Index: 0},
		{Type: canonical.EventBlockStart, Index: 1, Block: &canonical.Part{Type: canonical.PartText}},
		{Type: canonical.EventDelta, Index: 1, Delta: "say \"hi\"\n"},
		{Type: canonical.EventBlockStop, Index: 1},
		{Type: canonical.EventBlockStart, Index: 2, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: tc}},
		{Type: canonical.EventDelta, Index: 2, Delta: `{"a":`},
		{Type: canonical.EventDelta, Index: 2, Delta: `1}`},
		{Type: canonical.EventBlockStop, Index: 2},
		{Type: canonical.EventBlockStart, Index: 3, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "call_2", Name: "g"}}},
		{Type: canonical.EventBlockStop, Index: 3},
		{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 10, OutputTokens: 5, CacheReadTokens: 4, ReasoningTokens: 2}},
		{Type: canonical.EventFinish, Finish: canonical.FinishStop},
		{Type: canonical.EventEnd},
	}
	enc := NewStreamEncoder(StreamOptions{Model: "routed", ID: "chatcmpl-abc", Created: 42, IncludeUsage: true})
	var rec recorder
	for _, ev := range evs {
		if err := enc.Encode(ev, &rec); err != nil {
			t.Fatal(err)
		}
	}
	head := `{"id":"chatcmpl-abc","object":"chat.completion.chunk","created":42,"model":"routed","choices":[`
	tail := `,"logprobs":null,"finish_reason":null}]}`
	want := []string{
		head + `{"index":0,"delta":{"role":"assistant","content":""}` + tail,
		head + `{"index":0,"delta":{"reasoning_content":"think"}` + tail,
		head + `{"index":0,"delta":{"content":"say \"hi\"\n"}` + tail,
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"f","arguments":""}}]}` + tail,
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]}` + tail,
		head + `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]}` + tail,
		head + `{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"g","arguments":""}}]}` + tail,
		head + `{"index":0,"delta":{"tool_calls":[{"index":1,"function":{"arguments":"{}"}}]}` + tail,
		head + `{"index":0,"delta":{},"logprobs":null,"finish_reason":"tool_calls"}]}`,
		head + `],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}`,
		`[DONE]`,
	}
	var got []string
	for _, f := range rec.frames {
		if f.name != "" {
			t.Errorf("frame has event name %q", f.name)
		}
		got = append(got, f.data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("frames:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range got[:len(got)-1] {
		if !json.Valid([]byte(f)) {
			t.Errorf("invalid JSON frame %s", f)
		}
	}
}

func TestStreamEncoderTerminalVariants(t *testing.T) {
	text := []canonical.Event{
		{Type: canonical.EventStart},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartRefusal}},
		{Type: canonical.EventDelta, Index: 0, Delta: "I can't"},
		{Type: canonical.EventBlockStop, Index: 0},
	}
	cases := []struct {
		name         string
		includeUsage bool
		tail         []canonical.Event
		wantLast     []string // substrings of the last frames, in order
		wantNoDone   bool
	}{
		{"refusal shown in the refusal field finishes as stop", true,
			[]canonical.Event{{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 1, OutputTokens: 2}}, {Type: canonical.EventFinish, Finish: canonical.FinishRefusal}, {Type: canonical.EventEnd}},
			[]string{`"delta":{"refusal":"I can't"}`, `"finish_reason":"stop"`, `"choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}`, `[DONE]`}, false},
		{"no usage chunk unless asked", false,
			[]canonical.Event{{Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 1}}, {Type: canonical.EventFinish, Finish: canonical.FinishLength}, {Type: canonical.EventEnd}},
			[]string{`"finish_reason":"length"`, `[DONE]`}, false},
		{"usage after finish still precedes done", true,
			[]canonical.Event{{Type: canonical.EventFinish, Finish: canonical.FinishStop}, {Type: canonical.EventUsage, Usage: &canonical.Usage{InputTokens: 5, OutputTokens: 6}}, {Type: canonical.EventEnd}},
			[]string{`"finish_reason":"stop"`, `"total_tokens":11`, `[DONE]`}, false},
		{"end without finish writes stop", false,
			[]canonical.Event{{Type: canonical.EventEnd}},
			[]string{`"finish_reason":"stop"`, `[DONE]`}, false},
		{"error frame ends the stream without done", true,
			[]canonical.Event{{Type: canonical.EventError, Err: &canonical.Error{Kind: canonical.KindUpstream, Status: 502, Code: "upstream_error", Message: "upstream stream ended before completion"}}, {Type: canonical.EventEnd}},
			[]string{`{"error":{"message":"upstream stream ended before completion","type":"api_error","param":null,"code":"upstream_error"}}`}, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			enc := NewStreamEncoder(StreamOptions{ID: "chatcmpl-x", IncludeUsage: tc.includeUsage})
			var rec recorder
			for _, ev := range append(append([]canonical.Event{}, text...), tc.tail...) {
				if err := enc.Encode(ev, &rec); err != nil {
					t.Fatal(err)
				}
			}
			frames := rec.frames[len(rec.frames)-len(tc.wantLast):]
			for i, w := range tc.wantLast {
				if !strings.Contains(frames[i].data, w) {
					t.Errorf("frame %d = %s, want it to contain %s", i, frames[i].data, w)
				}
			}
			dones := 0
			for _, f := range rec.frames {
				if f.data == "[DONE]" {
					dones++
				}
			}
			if (dones == 0) != tc.wantNoDone || dones > 1 {
				t.Errorf("[DONE] written %d times", dones)
			}
		})
	}
}

type fixedReader struct{ b byte }

func (r fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

func TestStreamEncoderGeneratesIDFromInjectedRandomness(t *testing.T) {
	a := NewStreamEncoder(StreamOptions{Rand: fixedReader{0xab}})
	if a.ID() != "chatcmpl-abababababababababababab" {
		t.Errorf("id = %s", a.ID())
	}
	b := NewStreamEncoder(StreamOptions{})
	if !regexp.MustCompile(`^chatcmpl-[0-9a-f]{24}$`).MatchString(b.ID()) {
		t.Errorf("default id %q does not look like chatcmpl-<24 hex>", b.ID())
	}
	var rec recorder
	if err := b.Encode(canonical.Event{Type: canonical.EventStart}, &rec); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains([]byte(rec.frames[0].data), []byte(b.ID())) {
		t.Error("frames do not carry the generated id")
	}
}

func TestAppendJSONStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\"back\\slash", "ctl\x00\x01\x1f\t\r\n", "é😀", "bad\xffutf8", "line\u2028sep\u2029", "<html>&"} {
		got := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("%q → invalid JSON %s", s, got)
		}
		var want string
		wb, _ := json.Marshal(s)
		_ = json.Unmarshal(wb, &want)
		if back != want {
			t.Errorf("%q round-trips to %q, encoding/json gives %q", s, back, want)
		}
		if u, ok := unquote(got); !ok || u != want {
			t.Errorf("unquote(%s) = %q, %v; want %q", got, u, ok, want)
		}
	}
}
