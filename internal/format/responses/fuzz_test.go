package responses

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// FuzzDecodeRequest: arbitrary bodies never panic; a rejection is a 4xx
// *canonical.Error; an accepted body re-encodes to valid JSON that decodes
// again, or to a 400 refusal; a body the guard passes keeps nothing a chat
// target would lose.
func FuzzDecodeRequest(f *testing.F) {
	for _, path := range fixtures(f, true, ".request.json") {
		if b, err := os.ReadFile(path); err == nil && len(b) < 8<<10 {
			f.Add(b)
		}
	}
	for _, s := range []string{
		`{"input":[{"type":"reasoning","id":"r","summary":[{"type":"summary_text","text":"a"}],"encrypted_content":"e"},{"role":"assistant","content":[{"type":"output_text","text":"b","annotations":[{"type":"url_citation"}]}]},{"type":"function_call","call_id":"c","name":"f","arguments":{"a":1}}]}`,
		`{"input":[{"type":"item_reference","id":"x"},{"type":"function_call_output","call_id":"c","output":[{"type":"input_image","image_url":"data:image/png;base64,AAAA"}]}],"tools":[{"type":"web_search"}]}`,
		`{"input":"x","text":{"format":{"type":"json_schema","schema":{}},"verbosity":"low"},"reasoning":{"effort":"high","summary":"auto"},"tool_choice":{"type":"allowed_tools"}}`,
		`{"input":[{"role":"user","content":[{"type":"input_file","file_data":"JVBERi0"}]}]}`,
		`{"input":[{"role":5}]}`, `[]`, `null`, `{"input":{}}`, `{"tools":[1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequest(body)
		if err != nil {
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status != 400 || ce.Kind != canonical.KindInvalidRequest {
				t.Fatalf("rejection %v is not a 400 *canonical.Error", err)
			}
			return
		}
		if Guard(body) == nil && !bytes.Contains(body, []byte("nexus")) {
			st, _ := loadState(req.Ext)
			if len(st.tools) > 0 || len(st.natives) > 0 || st.fields["tool_choice"] != nil {
				t.Fatalf("guard passed a body whose downgrade would lose %+v", st)
			}
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
		if _, err := DecodeRequest(out); err != nil {
			t.Fatalf("our own encoding does not decode: %v\n%s", err, out)
		}
	})
}

// FuzzStreamDecoder: any frame sequence (one JSON payload per line, named
// by its type) never panics and gives a well-formed canonical stream once a
// returned error becomes the terminal event; re-encoding it writes valid,
// correctly numbered frames.
func FuzzStreamDecoder(f *testing.F) {
	for _, path := range fixtures(f, true, ".response.sse", ".chunks.txt") {
		for _, frames := range loadStreams(f, path) {
			// Head and tail keep every frame kind while staying small: large
			// seeds make the fuzzer's minimization crawl.
			if len(frames) > 10 {
				frames = append(frames[:5:5], frames[len(frames)-5:]...)
			}
			var lines []string
			for _, fr := range frames {
				lines = append(lines, strings.ReplaceAll(fr.data, "\n", " "))
			}
			f.Add([]byte(strings.Join(lines, "\n")))
		}
	}
	f.Add([]byte(`{"type":"response.output_item.done","output_index":3,"item":{"type":"function_call","arguments":"{"}}` + "\n" +
		`{"type":"response.reasoning_summary_text.delta","output_index":0,"summary_index":2,"delta":"x"}` + "\n" +
		`{"type":"response.content_part.done","output_index":0,"content_index":0}` + "\n" + `[DONE]`))
	f.Add([]byte(`{"type":"error","code":"rate_limit_exceeded","message":"m"}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		d := NewStreamDecoder()
		var evs []canonical.Event
		var err error
		for _, line := range bytes.Split(in, []byte("\n")) {
			if evs, err = d.Decode(frameType(string(line)), line, evs); err != nil {
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
		if d.Position().Sequence < 0 {
			t.Fatal("negative sequence")
		}
		frames := encodeEvents(t, evs)
		for i, fr := range frames {
			var head struct {
				Type string `json:"type"`
				Seq  *int   `json:"sequence_number"`
			}
			if err := json.Unmarshal([]byte(fr.data), &head); err != nil || head.Type != fr.name || head.Seq == nil || *head.Seq != i {
				t.Fatalf("frame %d %q: %v %+v", i, fr.data, err, head)
			}
		}
	})
}
