package anthropic

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func fuzzRequestSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.request.json"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		``, `null`, `{}`, `[]`, `{"messages":"x"}`,
		`{"model":"m","messages":[{"role":"user","content":[{"type":"tool_result","tool_use_id":"a","content":[{"type":"image","source":{"type":"file","file_id":"f"}}]}]}]}`,
		`{"model":"m","messages":[{"role":"assistant","content":[{"type":"server_tool_use","id":"s","name":"web_search","input":{}},{"type":"thinking","thinking":"t","signature":"s"}]}]}`,
		`{"model":"m","messages":[],"nexus":{"ext":{"anthropic":{"native_blocks":[{"message":9,"part":-1,"block":{"type":"x"}}]}}}}`,
		`{"model":"m","messages":[],"output_format":{"type":"json_schema","schema":{}},"tool_choice":{"type":"tool","name":"f","disable_parallel_tool_use":true}}`,
	} {
		f.Add([]byte(s))
	}
}

// FuzzDecodeRequest: arbitrary bodies never panic; failures are 4xx
// *canonical.Error; whatever decodes re-encodes into a body that decodes.
func FuzzDecodeRequest(f *testing.F) {
	fuzzRequestSeeds(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequest(body)
		if err != nil {
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status < 400 || ce.Status > 499 || ce.Kind != canonical.KindInvalidRequest {
				t.Fatalf("DecodeRequest error %v is not a 4xx invalid_request", err)
			}
			return
		}
		out, _, err := EncodeRequest(req, "claude-sonnet-4-5")
		if err != nil {
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status != 400 {
				t.Fatalf("EncodeRequest error %v is not a 400", err)
			}
			return
		}
		if _, err := DecodeRequest(out); err != nil {
			t.Fatalf("our own encoding does not decode: %v\n%s", err, out)
		}
	})
}

func fuzzStreamSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join(fixtureDir, "*.response.sse"))
	chunks, _ := filepath.Glob(filepath.Join(fixtureDir, "*.chunks.txt"))
	files = append(files, "testdata/fixtures/errors/anthropic-stream-error-event.response.sse")
	for _, file := range append(files, chunks...) {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if strings.HasSuffix(file, ".chunks.txt") {
			b = (&recorder{frames: parseChunks(b)}).sse()
		}
		f.Add(b)
	}
	f.Add([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{}}\n\nevent: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":-1}\n\n"))
	f.Add([]byte("data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":-5}}}\n\ndata: {\"type\":\"message_delta\",\"usage\":null}\n\n"))
}

// FuzzStreamDecoder: arbitrary frame sequences never panic or hang; the
// events form a well-formed canonical stream ending in exactly one End or
// Error; re-encoding them gives a stream our decoder accepts.
func FuzzStreamDecoder(f *testing.F) {
	fuzzStreamSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		frs := parseSSE(t, raw)
		if len(frs) > 2000 {
			return
		}
		d := NewStreamDecoder()
		var evs []canonical.Event
		var err error
		for _, fr := range frs {
			if evs, err = d.Decode(fr.name, fr.data, evs); err != nil {
				var ce *canonical.Error
				if !errors.As(err, &ce) || ce.Status != 502 {
					t.Fatalf("Decode error %v is not a 502 upstream error", err)
				}
				break
			}
		}
		if err == nil {
			evs, _ = d.Close(evs)
			last := evs[len(evs)-1].Type
			if last != canonical.EventEnd && last != canonical.EventError {
				t.Fatalf("stream ends with %s", eventTypeName(last))
			}
		}
		for i, ev := range evs {
			if (ev.Type == canonical.EventEnd || ev.Type == canonical.EventError) && i != len(evs)-1 {
				t.Fatalf("terminal %s at %d of %d", eventTypeName(ev.Type), i, len(evs))
			}
		}
		projectStream(t, evs) // fails on out-of-order or dangling block events
		rec := encodeEvents(t, StreamOptions{ID: "msg_f", Model: "m"}, evs)
		d2 := NewStreamDecoder()
		for _, fr := range rec.frames {
			if _, err := d2.Decode(fr.name, fr.data, nil); err != nil {
				t.Fatalf("re-encoded stream rejected: %v\n%s", err, rec.sse())
			}
		}
	})
}

// FuzzDeltaScan holds the hand-written content_block_delta reader to
// encoding/json: whenever it accepts a frame, encoding/json must accept it
// too and read the same type, index, delta kind and text.
func FuzzDeltaScan(f *testing.F) {
	for _, s := range []string{
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hello"}}`,
		`{"type":"content_block_delta","index":12,"delta":{"type":"input_json_delta","partial_json":"{\"a\": \"b\\n\"}"}}   `,
		`{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"\u00e9\ud83d\ude00 \ud800x \/\b\f\r\t"}}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"EvMCCkYICxgC+/="}}`,
		`{"type":"content_block_delta","index":-3,"delta":{"type":"citations_delta","citation":{"type":"x","n":[1,true,null,{"k":"v"}]}}}`,
		`{"type":"content_block_delta","Index":1,"delta":{"type":"text_delta","TEXT":"x"}}`,
		`{"index":0,"delta":{"text":"no type"},"type":"content_block_delta"}`,
		`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"a","text":"b"}}`,
		"{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"\xff\"}}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var s deltaScan
		if !s.scan(data) {
			return
		}
		var fr streamFrame
		if err := json.Unmarshal(data, &fr); err != nil {
			t.Fatalf("scanner accepted what encoding/json rejects (%v): %q", err, data)
		}
		if string(s.typ) != fr.Type || s.index != fr.Index || string(s.deltaType) != fr.Delta.Type {
			t.Fatalf("header differs: scan %q %d %q, json %q %d %q", s.typ, s.index, s.deltaType, fr.Type, fr.Index, fr.Delta.Type)
		}
		want := map[byte]string{'t': fr.Delta.Text, 'h': fr.Delta.Thinking, 'p': fr.Delta.PartialJSON, 's': fr.Delta.Signature}
		for name, w := range want {
			got := ""
			if s.fieldName == name {
				var ok bool
				if got, ok = s.text(); !ok {
					return // the decoder falls back on this
				}
			}
			if got != w {
				t.Fatalf("field %c: scan %q, json %q (input %q)", name, got, w, data)
			}
		}
	})
}

// FuzzTextResponseMatchesTheGeneralPath: whenever the text-only fast path
// accepts a body, its result is the general decoder's.
func FuzzTextResponseMatchesTheGeneralPath(f *testing.F) {
	for _, s := range []string{
		`{"id":"m","type":"message","content":[{"type":"text","text":"a"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":2}}`,
		`{"content":[{"type":"text","text":"\u00e9\n"}],"usage":{"output_tokens_details":{"thinking_tokens":4}},"stop_details":{"a":1}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		txt, ok := decodeTextResponse(body)
		if !ok {
			return
		}
		gen, err := decodeResponse(body, false)
		if err != nil || !reflect.DeepEqual(txt, gen) {
			t.Fatalf("%q: text path %+v, general %+v (%v)", body, txt, gen, err)
		}
	})
}
