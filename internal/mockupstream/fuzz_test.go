package mockupstream

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// The emulator reads untrusted bytes (bodies, directives, fixture files):
// these fuzz tests hold the walker, the directive parser, the frame
// splitter and the string encoder to "never panic, never lie".

func FuzzObjectEach(f *testing.F) {
	for _, s := range []string{
		chatBody, anthropicBody, geminiBody, chatToolsBody + "}",
		`{"a":"x\"y\\","b":[1,{"c":null}],"d":-1.5e3,"e":true}`,
		`{}`, `[]`, `{"a":}`, `{"a":"unterminated`, `{"a" 1}`, `{"a":1,}`, `[1,2,`, `"\\\\\""`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		trimmed := trimSpace(b)
		valid := json.Valid(b)
		members := 0
		ok := objectEach(b, func(k, v []byte) bool {
			members++
			if valid && !json.Valid(v) {
				t.Errorf("member %q has invalid value %q", k, v)
			}
			return true
		})
		if valid && len(trimmed) > 0 && trimmed[0] == '{' && !ok {
			t.Errorf("objectEach rejected a valid object %q", b)
		}
		arrOK := arrayEach(b, func(v []byte) bool {
			if valid && !json.Valid(v) {
				t.Errorf("element has invalid value %q", v)
			}
			return true
		})
		if valid && len(trimmed) > 0 && trimmed[0] == '[' && !arrOK {
			t.Errorf("arrayEach rejected a valid array %q", b)
		}
		for _, rt := range []route{{kind: routeChat, family: famOpenAI}, {kind: routeStreamGenerate, family: famGemini, model: "g"}} {
			ri := parseRequest(rt, b)
			if utf8.RuneCountInString(ri.userText) > userTextRunes {
				t.Errorf("userText too long: %q", ri.userText)
			}
			_ = embeddingInputs(ri.input)
		}
		if valid && len(trimmed) > 0 && trimmed[0] == '"' {
			full, _ := jsonString(trimmed)
			pre, ok := jsonStringPrefix(trimmed, 8)
			if !ok {
				t.Errorf("jsonStringPrefix rejected a valid string %q", trimmed)
			}
			if !bytes.ContainsRune(trimmed, '\\') && !strings.HasPrefix(full, pre) && utf8.ValidString(full) {
				t.Errorf("prefix %q is not a prefix of %q", pre, full)
			}
		}
	})
}

func FuzzControlParse(f *testing.F) {
	f.Add("status=429;retry_after=3", []byte(`x [[mock: chunks=256, cut_after=2]] y`))
	f.Add("latency=1.5s,stall=abc;=;;,", []byte(`[[mock:]] [[mock: fixture=a/b`))
	f.Add("chunks=99999999999999999999", []byte(`[[mock: body_bytes=-1]]]]`))
	f.Fuzz(func(t *testing.T, header string, body []byte) {
		c := newControl()
		c.parseBody(body)
		c.parse(header)
		if c.chunks < 0 || c.chunks > maxChunks || c.bodyBytes < 0 || c.bodyBytes > maxBodyBytes {
			t.Errorf("limits not enforced: %+v", c)
		}
		if c.status != 0 && (c.status < 100 || c.status > 599) {
			t.Errorf("status out of range: %d", c.status)
		}
		if c.latency < 0 || c.stall < 0 || c.chunkDelay < 0 {
			t.Errorf("negative duration: %+v", c)
		}
		if n := c.chunkCount(); n < 1 || n > maxChunks {
			t.Errorf("chunkCount = %d", n)
		}
	})
}

func FuzzSplitFrames(f *testing.F) {
	f.Add([]byte("data: a\n\ndata: b\r\n\r\n\n\nrest"))
	f.Add([]byte("\n\n\r\n\r\n"))
	f.Add([]byte("event: x\ndata: {}"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ends := splitFrames(b)
		prev := 0
		for i, e := range ends {
			if e <= prev {
				t.Fatalf("ends not increasing: %v", ends)
			}
			frame := b[prev:e]
			blankEnd := bytes.HasSuffix(frame, []byte("\n\n")) || bytes.HasSuffix(frame, []byte("\n\r\n")) ||
				string(frame) == "\n" || string(frame) == "\r\n" // leading blank line
			if i < len(ends)-1 && !blankEnd {
				t.Errorf("frame %d does not end with a blank line: %q", i, frame)
			}
			prev = e
		}
		if prev != len(b) {
			t.Errorf("frames cover %d of %d bytes", prev, len(b))
		}
	})
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "plain", "quote\" back\\ nl\n tab\t", "\x00\x1f\x7f", "héllo 世界", "\xff\xfe bad utf8", "\u2028"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendJSONString(nil, s)
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q encoded to invalid JSON %q: %v", s, out, err)
		}
		if utf8.ValidString(s) && back != s {
			t.Errorf("round trip %q -> %q", s, back)
		}
	})
}
