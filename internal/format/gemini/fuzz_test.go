package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// FuzzDecodeRequest: arbitrary bodies never panic; failures are 4xx
// *canonical.Error; an accepted body re-encodes to JSON that decodes again.
func FuzzDecodeRequest(f *testing.F) {
	for _, name := range fixtureFiles(f, "gemini", ".request.json") {
		f.Add(readFixture(f, "gemini", name))
	}
	f.Add([]byte(`{"contents":{"parts":{"text":"x"}},"system_instruction":{"parts":{"text":"s"}}}`))
	f.Add([]byte(`{"contents":[{"role":"user","parts":[{"functionResponse":{"name":"f","response":{}}},{"text":"t"}]}],"toolConfig":{"functionCallingConfig":{"mode":"ANY","allowedFunctionNames":["a","b"]}}}`))
	f.Add([]byte(`{"contents":[{"parts":[{"text":"x"}]}],"generationConfig":{"responseMimeType":"application/json","responseSchema":{"type":"OBJECT","nullable":true,"anyOf":[{"type":"STRING"}]}}}`))
	f.Add([]byte(`null`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		req, err := DecodeRequest(body)
		if err != nil {
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status < 400 || ce.Status > 499 {
				t.Fatalf("decode error is not a 4xx *canonical.Error: %#v", err)
			}
			return
		}
		wire, _, err := EncodeRequest(req, "gemini-3-pro-preview")
		if err != nil {
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status != 400 {
				t.Fatalf("encode error is not a 400 *canonical.Error: %#v", err)
			}
			return
		}
		if !json.Valid(wire) {
			t.Fatalf("encoded body is not JSON: %s", wire)
		}
		if _, err := DecodeRequest(wire); err != nil {
			t.Fatalf("re-encoded body does not decode: %v\n%s", err, wire)
		}
	})
}

// FuzzStreamDecoder: any sequence of frames (newline-separated in the
// input) yields a well-formed event stream: ordered block indexes, deltas
// only for open blocks, tool calls with object arguments, exactly one
// terminal End or Error, and frames the encoder turns into valid JSON.
func FuzzStreamDecoder(f *testing.F) {
	for _, name := range append(fixtureFiles(f, "gemini", ".response.sse"), fixtureFiles(f, "gemini", ".chunks.txt")...) {
		frames := streamFrames(f, name)
		f.Add(bytes.Join(frames, []byte("\n")))
	}
	f.Add([]byte(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","willContinue":true}}]}}]}` + "\n" +
		`{"candidates":[{"content":{"parts":[{"functionCall":{"partialArgs":[{"jsonPath":"$.a[2].b","stringValue":"x","willContinue":true}],"willContinue":true}}]}}]}`))
	f.Add([]byte(`{"error":{"code":500,"message":"x","status":"INTERNAL"}}`))
	f.Fuzz(func(t *testing.T, input []byte) {
		d := NewStreamDecoder()
		var evs []canonical.Event
		failed := false
		for _, frame := range bytes.Split(input, []byte("\n")) {
			var err error
			evs, err = d.Decode("", frame, evs)
			if err != nil {
				var ce *canonical.Error
				if !errors.As(err, &ce) || ce.Kind != canonical.KindUpstream {
					t.Fatalf("decode error is not an upstream *canonical.Error: %#v", err)
				}
				failed = true
				break
			}
		}
		evs, err := d.Close(evs)
		if err != nil {
			t.Fatal(err)
		}
		checkEvents(t, evs, failed)
		enc := NewStreamEncoder(StreamOptions{ID: "fuzz", Model: "m"})
		w := &validatingWriter{t: t}
		for _, ev := range evs {
			if err := enc.Encode(ev, w); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func checkEvents(t *testing.T, evs []canonical.Event, failed bool) {
	t.Helper()
	open := map[int]canonical.PartType{}
	next, terminals := 0, 0
	for i, ev := range evs {
		if terminals > 0 {
			t.Fatalf("event %d after the terminal event", i)
		}
		switch ev.Type {
		case canonical.EventBlockStart:
			if ev.Index != next {
				t.Fatalf("block %d opened, want %d", ev.Index, next)
			}
			next++
			open[ev.Index] = ev.Block.Type
		case canonical.EventDelta:
			typ, ok := open[ev.Index]
			if !ok {
				t.Fatalf("delta for block %d that is not open", ev.Index)
			}
			if typ == canonical.PartToolCall && !strings.HasPrefix(ev.Delta, "{") || typ == canonical.PartToolCall && !json.Valid([]byte(ev.Delta)) {
				t.Fatalf("tool arguments are not a JSON object: %q", ev.Delta)
			}
		case canonical.EventBlockStop:
			if _, ok := open[ev.Index]; !ok {
				t.Fatalf("stop for block %d that is not open", ev.Index)
			}
			delete(open, ev.Index)
		case canonical.EventEnd, canonical.EventError:
			terminals++
		}
	}
	if terminals != 1 && !failed {
		t.Fatalf("want exactly one terminal event, got %d", terminals)
	}
}

type validatingWriter struct{ t *testing.T }

func (w *validatingWriter) WriteEvent(name string, data []byte) error {
	if name != "" || !json.Valid(data) {
		w.t.Fatalf("bad frame %q: %s", name, data)
	}
	return nil
}

// FuzzDecodeArrayStream: never panics or hangs; every emitted element is a
// prefix-free slice of the input.
func FuzzDecodeArrayStream(f *testing.F) {
	f.Add([]byte("[{\"a\":1}\n,\r\n{\"b\":\"]\"}]"))
	f.Add([]byte(`{"error":{}}`))
	f.Add([]byte(`[1,"x",[2]]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = DecodeArrayStream(bytes.NewReader(body), func(d []byte) error {
			if len(d) == 0 || !bytes.Contains(body, d) {
				t.Fatalf("element %q is not from the input", d)
			}
			return nil
		})
	})
}

// FuzzDecodeError: any body yields a classified error whose message never
// echoes unparsed bytes.
func FuzzDecodeError(f *testing.F) {
	for _, name := range fixtureFiles(f, "errors", ".json") {
		f.Add(400, readFixture(f, "errors", name))
	}
	f.Add(502, []byte(`<html>secret-token</html>`))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		e := DecodeError(status, body)
		if e == nil || e.Kind == "" || e.Message == "" {
			t.Fatalf("unclassified: %+v", e)
		}
		if !json.Valid(EncodeError(e)) {
			t.Fatal("EncodeError wrote invalid JSON")
		}
		if _, ok := parseErrorBody(body); !ok && strings.Contains(e.Message, "secret-token") {
			t.Fatalf("raw body in message: %q", e.Message)
		}
	})
}
