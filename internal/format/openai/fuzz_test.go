package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// FuzzDecodeRequest: arbitrary bodies never panic; a rejection is always a
// 4xx *canonical.Error; an accepted body re-encodes to valid JSON or to a
// 4xx refusal.
func FuzzDecodeRequest(f *testing.F) {
	for _, path := range fixtures(f, ".request.json") {
		if b, err := os.ReadFile(path); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}}]}]}`,
		`{"messages":[{"role":"tool","tool_call_id":"a","content":"x"},{"role":"tool","tool_call_id":"b"}],"tool_choice":{"type":"function","function":{"name":"f"}}}`,
		`{"messages":[{"role":"assistant","tool_calls":[{"function":{"name":"f","arguments":{"a":[1]}}}]}],"stop":["a","b"],"nexus":{"ext":{"openai":{"store":true}}}}`,
		`{"messages":[{"role":5}]}`, `[]`, `null`, `{"messages":"x"}`, `{"n":2}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequest(body)
		if err != nil {
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status < 400 || ce.Status >= 500 || ce.Kind != canonical.KindInvalidRequest {
				t.Fatalf("rejection %v is not a 4xx *canonical.Error", err)
			}
			return
		}
		out, _, err := EncodeRequest(req, "m")
		if err != nil {
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status != 400 {
				t.Fatalf("encode failure %v is not a 400 refusal", err)
			}
			return
		}
		if !json.Valid(out) {
			t.Fatalf("EncodeRequest wrote invalid JSON: %s", out)
		}
	})
}

// FuzzStreamDecoder: any frame sequence (one frame per line; a leading '@'
// names the frame "error") never panics and yields a well-formed canonical
// stream once the caller turns a returned error into the terminal event;
// re-encoding that stream writes valid JSON frames.
func FuzzStreamDecoder(f *testing.F) {
	for _, path := range fixtures(f, ".response.sse", ".chunks.txt") {
		// The head and tail of each recording keep every frame kind while
		// staying small: large seeds make the fuzzer's minimization crawl.
		frames := loadFrames(f, path)
		if len(frames) > 8 {
			frames = append(frames[:4:4], frames[len(frames)-4:]...)
		}
		var lines []string
		for _, fr := range frames {
			lines = append(lines, fr.data)
		}
		f.Add([]byte(strings.Join(lines, "\n")))
	}
	f.Add([]byte(`{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{"}}]}}]}` + "\n" + `{"choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"b","function":{"name":"g"}}]},"finish_reason":"stop"}]}`))
	f.Add([]byte("@{\"error\":{\"message\":\"x\",\"code\":429}}"))
	f.Fuzz(fuzzStreamBody)
}

func fuzzStreamBody(t *testing.T, in []byte) {
	{
		d := NewStreamDecoder()
		var evs []canonical.Event
		var err error
		for _, line := range bytes.Split(in, []byte("\n")) {
			name := ""
			if len(line) > 0 && line[0] == '@' {
				name, line = "error", line[1:]
			}
			if evs, err = d.Decode(name, line, evs); err != nil {
				break
			}
		}
		if err != nil {
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status != 502 {
				t.Fatalf("decode error %v is not a 502 *canonical.Error", err)
			}
			evs = append(evs, canonical.Event{Type: canonical.EventError, Err: ce})
		} else if evs, err = d.Close(evs); err != nil {
			t.Fatal(err)
		}
		checkWellFormed(t, evs)
		enc := NewStreamEncoder(StreamOptions{ID: "chatcmpl-f", IncludeUsage: true})
		var rec recorder
		for _, ev := range evs {
			if err := enc.Encode(ev, &rec); err != nil {
				t.Fatal(err)
			}
		}
		for _, fr := range rec.frames {
			if fr.data != "[DONE]" && !json.Valid([]byte(fr.data)) {
				t.Fatalf("encoder wrote invalid JSON %s", fr.data)
			}
		}
	}
}
