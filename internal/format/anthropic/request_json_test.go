package anthropic

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// marshalRequest must produce the same JSON as encoding/json on the whole
// request, for every block kind and every awkward character.
func TestMarshalRequestMatchesEncodingJSON(t *testing.T) {
	awkward := "plain \"quoted\" back\\slash \n\r\t\b\f \x01 é 日本 \u2028\u2029 <html>&amp; \xff\xfe bad"
	text := func(s string) *string { return &s }
	out := outRequest{Model: "claude-x", MaxTokens: 10, System: "sys " + awkward, Stream: true,
		Messages: []outMessage{
			{Role: "user", Content: []any{
				outBlock{Type: "text", Text: text(awkward)},
				outBlock{Type: "text", Text: text(strings.Repeat("long run of text ", 1000)), CacheControl: &wireCacheControl{Type: "ephemeral", TTL: "1h"}},
				outBlock{Type: "image", Source: &outSource{Type: "base64", MediaType: "image/png", Data: "iVBORw0KGgo="}},
				json.RawMessage(`{"type":"search_result","source":"s","title":"t","content":[]}`),
			}},
			{Role: "assistant", Content: []any{
				outBlock{Type: "thinking", Thinking: text("hm"), Signature: text("sig")},
				outBlock{Type: "text", Text: text("")},
				outBlock{Type: "tool_use", ID: "t1", Name: "f", Input: json.RawMessage(`{"a":1}`)},
			}},
			{Role: "user", Content: []any{outBlock{Type: "tool_result", ToolUseID: "t1", Content: awkward, IsError: true}}},
		}}
	got, err := marshalRequest([]byte("prefix:"), &out)
	if err != nil || !strings.HasPrefix(string(got), "prefix:") {
		t.Fatalf("marshalRequest does not append to dst: %v", err)
	}
	got = got[len("prefix:"):]
	if err != nil {
		t.Fatal(err)
	}
	want, err := marshalNoEscape(&out)
	if err != nil {
		t.Fatal(err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("hand-written body is not JSON: %v\n%s", err, got)
	}
	_ = json.Unmarshal(want, &w)
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("bodies differ\n got %s\nwant %s", got, want)
	}
}

// TestAppendStringMatchesEncodingJSON: the word-at-a-time scan must not
// change what the escaper writes.
func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "a", "abcdefgh", "abcdefgh\"", "0123456\x1f89", "ééééééééé", "abcdefg\u2028", "abcdefghi\xffjklmnop", strings.Repeat("x", 1000) + "\\"} {
		got := appendString(nil, s)
		var back string
		if err := json.Unmarshal(got, &back); err != nil {
			t.Fatalf("appendString(%q) = %s: %v", s, got, err)
		}
		want := s
		if !utf8.ValidString(s) {
			var w string
			b, _ := json.Marshal(s)
			_ = json.Unmarshal(b, &w)
			want = w
		}
		if back != want {
			t.Errorf("appendString(%q) round-trips to %q", s, back)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	f.Add("plain text with \"quotes\" and \\ and \n")
	f.Add("\xff\xfe\u2028é")
	f.Fuzz(func(t *testing.T, s string) {
		got := appendString(nil, s)
		want, _ := json.Marshal(s)
		var g, w string
		if err := json.Unmarshal(got, &g); err != nil {
			t.Fatalf("appendString(%q) = %s is not a JSON string: %v", s, got, err)
		}
		_ = json.Unmarshal(want, &w)
		if g != w {
			t.Fatalf("appendString(%q) decodes to %q, encoding/json's to %q", s, g, w)
		}
	})
}

// The encoder still refuses a request it cannot express after the change.
func TestEncodeRequestLargeTextKeepsContent(t *testing.T) {
	long := strings.Repeat("a \"b\" c\n", 4096)
	req := &canonical.Request{MaxTokens: ptr(5), Messages: []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: long}}}}}
	body, _, err := EncodeRequest(req, "claude-sonnet-4-5")
	if err != nil {
		t.Fatal(err)
	}
	var w struct {
		Messages []struct {
			Content []struct{ Text string } `json:"content"`
		} `json:"messages"`
	}
	if err := json.Unmarshal(body, &w); err != nil || w.Messages[0].Content[0].Text != long {
		t.Fatalf("large text did not survive: %v", err)
	}
}

// TestOnePassResponseDecodingMatchesTheGeneralPath: every recorded answer
// decodes to the same canonical response either way.
func TestOnePassResponseDecodingMatchesTheGeneralPath(t *testing.T) {
	paths, _ := filepath.Glob("testdata/fixtures/anthropic-messages/*.response.json")
	if len(paths) == 0 {
		t.Fatal("no response fixtures")
	}
	texts := 0
	inline := []string{
		`{"id":"m","type":"message","content":[{"type":"text","text":"a"},{"type":"server_tool_use","id":"s","name":"web_search","input":{}}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2}}`,
		`{"id":"m","type":"message","model":"c","content":[{"type":"text","text":"a \"q\" \u00e9\n"},{"type":"text","text":"b","citations":null}],"stop_reason":"max_tokens","stop_sequence":null,"stop_details":{"type":"refusal"},"container":{"id":"x"},"usage":{"input_tokens":5,"output_tokens":7,"cache_read_input_tokens":3,"cache_creation_input_tokens":2,"output_tokens_details":{"thinking_tokens":4}}}`,
		`{"id":"m","content":[{"type":"text","text":"bad \xff utf8"}],"usage":{"input_tokens":1,"output_tokens":2}}`,
		`{"id":"m","content":[{"type":"text","text":"a","cache_control":{"type":"ephemeral"}}]}`,
		`{"id":"m","content":[{"type":"text","text":"a"}],"usage":{"input_tokens":1.5,"output_tokens":2}}`,
		`{"id":"m","content":[{"type":"text","text":"a"}],"usage":null,"stop_reason":7}`,
		`{"id":"m","content":[{"type":"text","text":"a","text":"b"}]}`,
		`{"id":"m","type":"error","content":[]}`,
		`{"id":"m","content":[]}`,
	}
	for i, p := range append(paths, inline...) {
		body := []byte(p)
		if i < len(paths) {
			var err error
			if body, err = os.ReadFile(p); err != nil {
				t.Fatal(err)
			}
		}
		one, err1 := decodeResponse(body, true)
		gen, err2 := decodeResponse(body, false)
		if (err1 == nil) != (err2 == nil) || !reflect.DeepEqual(one, gen) {
			t.Errorf("%s: one-pass %+v (%v), general %+v (%v)", p, one, err1, gen, err2)
		}
		if txt, ok := decodeTextResponse(body); ok {
			texts++
			if !reflect.DeepEqual(txt, gen) {
				t.Errorf("%s: text path %+v, general %+v", p, txt, gen)
			}
		}
	}
	if texts == 0 {
		t.Fatal("no fixture took the text-only path")
	}
}
