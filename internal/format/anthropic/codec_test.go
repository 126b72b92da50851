package anthropic

import (
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// TestAppendStringParsesBack: the hand-written JSON string writer always
// produces a literal that encoding/json reads back as the input, with each
// invalid UTF-8 byte replaced by U+FFFD (encoding/json's own rule).
func TestAppendStringParsesBack(t *testing.T) {
	cases := []string{
		"", "plain", `quote " backslash \ slash /`, "nl\n cr\r tab\t bell\a nul\x00 del\x7f",
		"é ü 中文 😀", "line\u2028sep\u2029para", "bad \xff\xfe utf8 \xc3", "<html>&amp;</html>",
	}
	for _, s := range cases {
		b := appendString(nil, s)
		var got string
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q -> %s does not parse: %v", s, b, err)
		}
		var want strings.Builder
		for i := 0; i < len(s); {
			r, n := utf8.DecodeRuneInString(s[i:])
			want.WriteRune(r) // RuneError for each invalid byte
			i += n
		}
		if got != want.String() {
			t.Errorf("%q -> %s -> %q", s, b, got)
		}
		if strings.ContainsAny(string(b), "\n\r\u2028\u2029") {
			t.Errorf("%q: raw line terminator in %s would break an SSE data line", s, b)
		}
	}
}

// TestDeltaFramesReadAlikeOnBothPaths: frames the fast reader hands to
// encoding/json (odd numbers, case-folded keys, escapes) decode to the same
// events as ordinary frames.
func TestDeltaFramesReadAlikeOnBothPaths(t *testing.T) {
	start := frames(
		"message_start", `{"type":"message_start","message":{"id":"m","model":"c"}}`,
		"content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`,
	)
	cases := []struct {
		name, data, want string
	}{
		{"fast", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a\u00e9\n"}}`, "aé\n"},
		{"fraction elsewhere", `{"type":"content_block_delta","index":0,"x":1.5,"delta":{"type":"text_delta","text":"a\u00e9\n"}}`, "aé\n"},
		{"case-folded key", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","Text":"folded"}}`, "folded"},
		{"escaped key", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","t\u0065xt":"esc"}}`, "esc"},
		{"invalid utf8", "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"a\xffb\"}}", "a\ufffdb"},
		{"surrogate pair", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\ud83d\ude00"}}`, "😀"},
		{"lone surrogate", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\ud83dx"}}`, "\ufffdx"},
		{"wrong field for kind", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","thinking":"no"}}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, name := range []string{"content_block_delta", ""} {
				d := NewStreamDecoder()
				var evs []canonical.Event
				for _, f := range start {
					evs, _ = d.Decode(f.name, f.data, evs)
				}
				n := len(evs)
				evs, err := d.Decode(name, []byte(c.data), evs)
				if err != nil {
					t.Fatalf("event %q: %v", name, err)
				}
				got := ""
				if len(evs) > n {
					got = evs[n].Delta
				}
				if got != c.want {
					t.Errorf("event %q: delta %q, want %q", name, got, c.want)
				}
			}
		})
	}
}

func TestStreamErrorEventTypes(t *testing.T) {
	cases := []struct {
		typ    string
		status int
		kind   canonical.Kind
	}{
		{"overloaded_error", 529, canonical.KindRateLimited},
		{"rate_limit_error", 429, canonical.KindRateLimited},
		{"api_error", 500, canonical.KindUpstream},
		{"invalid_request_error", 400, canonical.KindInvalidRequest},
		{"authentication_error", 401, canonical.KindAuth},
		{"permission_error", 403, canonical.KindAuth},
		{"not_found_error", 404, canonical.KindInvalidRequest},
		{"request_too_large", 413, canonical.KindInvalidRequest},
		{"timeout_error", 504, canonical.KindTimeout},
		{"something_new", 502, canonical.KindUpstream},
	}
	for _, c := range cases {
		evs, err := NewStreamDecoder().Decode("error", []byte(`{"type":"error","error":{"type":"`+c.typ+`","message":"m"}}`), nil)
		if err != nil || len(evs) != 1 {
			t.Fatalf("%s: %v %v", c.typ, evs, err)
		}
		if e := evs[0].Err; e.Status != c.status || e.Kind != c.kind || e.Type != c.typ || e.Message != "m" {
			t.Errorf("%s: %+v", c.typ, e)
		}
	}
}

// TestEncodeResponseFromAnotherProvider: ids get Anthropic's form, a tool
// call without an id gets a stable one, finish maps per SPEC §6.6, usage
// converts back to Anthropic's convention, images are refused.
func TestEncodeResponseFromAnotherProvider(t *testing.T) {
	resp := &canonical.Response{
		ID: "chatcmpl-9", Model: "gpt-x", FinishReason: canonical.FinishStop,
		Content: []canonical.Part{
			{Type: canonical.PartReasoning, Text: "thinking out loud"},
			{Type: canonical.PartRefusal, Text: "partly refused"},
			{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{Name: "f", Arguments: `{"a":1}`}},
			{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: "call_2", Name: "g", Arguments: `{"cut`}},
		},
		Usage: &canonical.Usage{InputTokens: 100, OutputTokens: 20, CacheReadTokens: 60, ReasoningTokens: 5},
	}
	body, err := EncodeResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := EncodeResponse(resp)
	if string(body) != string(again) {
		t.Error("encoding is not deterministic")
	}
	got := parseJSON(t, body)
	content := got["content"].([]any)
	id0 := content[2].(map[string]any)["id"].(string)
	if got["id"] != "msg_chatcmpl-9" || got["stop_reason"] != "tool_use" || !strings.HasPrefix(id0, "toolu_") || len(id0) != 30 {
		t.Errorf("id %v stop %v tool id %v", got["id"], got["stop_reason"], id0)
	}
	wantContent := []any{
		map[string]any{"type": "thinking", "thinking": "thinking out loud", "signature": ""},
		map[string]any{"type": "text", "text": "partly refused"},
		map[string]any{"type": "tool_use", "id": id0, "name": "f", "input": map[string]any{"a": float64(1)}},
		map[string]any{"type": "tool_use", "id": "call_2", "name": "g", "input": map[string]any{}},
	}
	if !reflect.DeepEqual(content, wantContent) {
		t.Errorf("content %s", mustJSON(t, content))
	}
	wantUsage := map[string]any{"input_tokens": float64(40), "cache_read_input_tokens": float64(60), "cache_creation_input_tokens": float64(0),
		"output_tokens": float64(20), "output_tokens_details": map[string]any{"thinking_tokens": float64(5)}}
	if !reflect.DeepEqual(got["usage"], wantUsage) {
		t.Errorf("usage %s", mustJSON(t, got["usage"]))
	}
	back, err := DecodeResponse(body)
	if err != nil || *back.Usage != *resp.Usage {
		t.Errorf("usage does not survive: %+v %v", back.Usage, err)
	}

	_, err = EncodeResponse(&canonical.Response{Content: []canonical.Part{{Type: canonical.PartImage, Media: &canonical.Media{Data: []byte{1}}}}})
	var ce *canonical.Error
	if !errors.As(err, &ce) || ce.Status != 502 {
		t.Errorf("image output: %v, want a 502", err)
	}
}

func TestDecodeRequestMediaSources(t *testing.T) {
	cases := []struct {
		name, block string
		want        canonical.Part
		wantParam   string
	}{
		{"image url", `{"type":"image","source":{"type":"url","url":"https://x/a.png"}}`,
			canonical.Part{Type: canonical.PartImage, Media: &canonical.Media{URL: "https://x/a.png"}}, ""},
		{"pdf url", `{"type":"document","title":"T","source":{"type":"url","url":"https://x/a.pdf"},"cache_control":{"type":"ephemeral"}}`,
			canonical.Part{Type: canonical.PartDocument, CacheControl: "ephemeral", Media: &canonical.Media{URL: "https://x/a.pdf", MIMEType: "application/pdf", Title: "T"}}, ""},
		{"text document", `{"type":"document","source":{"type":"text","media_type":"text/plain","data":"hello"}}`,
			canonical.Part{Type: canonical.PartDocument, Media: &canonical.Media{MIMEType: "text/plain", Data: []byte("hello")}}, ""},
		{"text source on an image", `{"type":"image","source":{"type":"text","data":"x"}}`, canonical.Part{}, "messages[0].content[0].source.type"},
		{"url source without url", `{"type":"image","source":{"type":"url"}}`, canonical.Part{}, "messages[0].content[0].source.url"},
		{"no source", `{"type":"image"}`, canonical.Part{}, "messages[0].content[0].source"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, err := DecodeRequest([]byte(`{"model":"m","messages":[{"role":"user","content":[` + c.block + `]}]}`))
			if c.wantParam != "" {
				var ce *canonical.Error
				if !errors.As(err, &ce) || ce.Param != c.wantParam {
					t.Fatalf("err %v, want param %s", err, c.wantParam)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := req.Messages[0].Parts[0]; !reflect.DeepEqual(got, c.want) {
				t.Errorf("part %s, want %s", mustJSON(t, got), mustJSON(t, c.want))
			}
		})
	}
}

func TestDecodeErrorCodeForms(t *testing.T) {
	for body, want := range map[string]string{
		`{"type":"error","error":{"type":"api_error","message":"m","code":1302}}`:    "1302",
		`{"type":"error","error":{"type":"api_error","message":"m","code":"x"}}`:     "x",
		`{"type":"error","error":{"type":"api_error","message":"m","code":{"a":1}}}`: "",
	} {
		if got := DecodeError(500, []byte(body)).Code; got != want {
			t.Errorf("%s: code %q, want %q", body, got, want)
		}
	}
}

// TestResponseUsageMatchesUpstreamReport: canonical usage equals what the
// upstream reported, in OpenAI convention (cache reads/writes inside input).
func TestResponseUsageMatchesUpstreamReport(t *testing.T) {
	cases := []struct {
		name string
		body string
		want canonical.Usage
	}{
		{"text-nonstream", "", canonical.Usage{InputTokens: 20, OutputTokens: 10}},
		{"thinking-nonstream", "", canonical.Usage{InputTokens: 43, OutputTokens: 321}},
		{"tool-result-followup", "", canonical.Usage{InputTokens: 771, OutputTokens: 77}},
		{"cached and thinking", `{"type":"message","id":"msg_1","content":[],"stop_reason":"end_turn","usage":{"input_tokens":10,"cache_read_input_tokens":100,"cache_creation_input_tokens":5,"output_tokens":40,"output_tokens_details":{"thinking_tokens":25}}}`,
			canonical.Usage{InputTokens: 115, OutputTokens: 40, CacheReadTokens: 100, CacheWriteTokens: 5, ReasoningTokens: 25}},
	}
	for _, c := range cases {
		body := []byte(c.body)
		if c.body == "" {
			body = readFixture(t, c.name+".response.json")
		}
		resp, err := DecodeResponse(body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.Usage == nil || *resp.Usage != c.want {
			t.Errorf("%s: usage %+v, want %+v", c.name, resp.Usage, c.want)
		}
	}
}

func readFixture(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(fixtureDir + "/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
