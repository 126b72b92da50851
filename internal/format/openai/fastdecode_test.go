package openai

import (
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"unsafe"
)

// The messages fast path must decode exactly what encoding/json decodes,
// and refuse exactly what it refuses (by handing those bodies over).

func sameDecoding(t *testing.T, body []byte) {
	t.Helper()
	fast, ferr := decodeRequest(body, true, false)
	slow, serr := decodeRequest(body, false, false)
	// The in-place decoding (texts viewing the body) must be the same too.
	inPlace, ierr := decodeRequest(body, true, true)
	if (ierr == nil) != (ferr == nil) || (ierr == nil && !reflect.DeepEqual(inPlace, fast)) {
		t.Fatalf("in-place decoding differs for %q: err %v / %v", body, ierr, ferr)
	}
	if (ferr == nil) != (serr == nil) {
		t.Fatalf("fast err %v, slow err %v for %q", ferr, serr, body)
	}
	if ferr != nil {
		if ferr.Error() != serr.Error() {
			t.Fatalf("errors differ:\nfast %v\nslow %v", ferr, serr)
		}
		return
	}
	if !reflect.DeepEqual(fast, slow) {
		f, _ := json.Marshal(fast)
		s, _ := json.Marshal(slow)
		t.Fatalf("decodings differ for %q:\nfast %s\nslow %s", body, f, s)
	}
}

// DecodeRequestInPlace: a plain text is a view of the body (no copy); a text
// with escapes or invalid UTF-8 is a copy, as it must be rewritten.
func TestDecodeRequestInPlaceAliasesPlainTexts(t *testing.T) {
	body := []byte(`{"model":"m","messages":[{"role":"system","content":"plain system"},` +
		`{"role":"user","content":"plain text"},{"role":"user","content":"esc\n"},` +
		`{"role":"tool","tool_call_id":"c","content":"tool out"}]}`)
	req, err := DecodeRequestInPlace(body)
	if err != nil {
		t.Fatal(err)
	}
	inBody := func(s string) bool {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		b := uintptr(unsafe.Pointer(&body[0]))
		return p >= b && p < b+uintptr(len(body))
	}
	texts := []struct {
		s     string
		alias bool
	}{
		{req.System[0].Text, true},
		{req.Messages[0].Parts[0].Text, true},
		{req.Messages[1].Parts[0].Text, false},
		{req.Messages[2].Parts[0].ToolResult.Content[0].Text, true},
	}
	for i, x := range texts {
		if inBody(x.s) != x.alias {
			t.Errorf("text %d %q: aliases the body = %v, want %v", i, x.s, !x.alias, x.alias)
		}
	}
	if texts[2].s != "esc\n" {
		t.Errorf("escaped text = %q", texts[2].s)
	}
	// DecodeRequest never aliases.
	req, _ = DecodeRequest(body)
	if inBody(req.Messages[0].Parts[0].Text) {
		t.Error("DecodeRequest returned a view of the body")
	}
}

func TestFastDecodeMatchesEncodingJSON(t *testing.T) {
	cases := []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"user","content":"caf\u00e9 \"q\" \ud83d\ude00 \ud83d x \/ \n"}],"model":"m"}`,
		"{\"messages\":[{\"role\":\"user\",\"content\":\"bad \xff\xfe utf8 \xc3\"}]}",
		"{\"messages\":[{\"role\":\"user\",\"content\":\"esc \\\" then bad \xff\xff\"}]}",
		`{"messages":[{"role":"system","content":"s"},{"role":"user","content":[{"type":"text","text":"a"},{"type":"image_url","image_url":{"url":"https://x/y.png","detail":"low"}}]}]}`,
		`{"messages":[{"role":"assistant","content":null,"refusal":"no","reasoning_content":"r","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"ok"}]}`,
		`{"messages":[{"role":"user","content":"a","content":"b","extra":{"deep":[1,2.5e-3,true,null]}}]}`,
		`{"messages":[{"Role":"user","content":"case-insensitive key"}]}`,
		`{"Messages":[{"role":"user","content":"x"}]}`,
		`{"messages":[{"role":"user","content":"x"}],"messages":[{"role":"user","content":"y"}]}`,
		`{"messages":[{"role":5,"content":"x"}]}`,
		`{"messages":[{"role":"user","content":"x"},]}`,
		`{"messages":[null]}`,
		`{"messages":[]}`,
		`{"messages":[{"role":"user","content":"x"}]`,
		`{"messages":[{"role":"user","content":"x"}]} trailing`,
		`{"messages":[{"role":"user","content":"\x"}]}`,
		`{"messages":[{"role":"user","content":01}]}`,
		`{"messages":[{"role":"user","name":null,"refusal":null,"content":"x"}],"temperature":"hot"}`,
		`  {"stream":true,"messages":[{"role":"user","content":"x"}],"stream_options":{"include_usage":true},"nexus":{"ext":{"anthropic":{"thinking":{"type":"enabled"}}}}}  `,
	}
	for _, c := range cases {
		sameDecoding(t, []byte(c))
	}
	for _, path := range fixtures(t, ".request.json") {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		sameDecoding(t, b)
	}
}

// TestFastDecodeTakesLargePrompts: a 50 KB prompt decodes on the fast path
// (the slow path is what the benchmark measures against).
func TestFastDecodeTakesLargePrompts(t *testing.T) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat(`a \"b\" `, 8<<10) + `"}]}`)
	var w wireRequest
	if !decodeWire(body, &w) || len(w.Messages) != 1 {
		t.Fatal("the fast path refused an ordinary large request")
	}
	sameDecoding(t, body)
}

func FuzzFastDecodeMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{
		`{"model":"m","messages":[{"role":"user","content":"hi"}]}`,
		`{"messages":[{"role":"assistant","content":[{"type":"text","text":"a"}],"tool_calls":[]}],"tools":[]}`,
		`{"messages":[{"role":"user","content":"\u00e9\ud800x"}]}`,
		"{\"messages\":[{\"role\":\"user\",\"content\":\"\xff\"}]}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) { sameDecoding(t, body) })
}
