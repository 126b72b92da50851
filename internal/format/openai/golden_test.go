package openai

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// TestGoldenRequests: every recorded request decodes to the golden canonical
// request, and re-encoding it gives back the same request on the promised
// projection (roles, text, images, tool calls and results, system, sampling
// parameters, tools, tool_choice, response_format, lifted extras).
func TestGoldenRequests(t *testing.T) {
	for _, path := range fixtures(t, ".request.json") {
		t.Run(strings.TrimPrefix(path, "testdata/fixtures/"), func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			req, err := DecodeRequest(body)
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			checkGolden(t, goldenName(path, "canonical.json"), mustJSON(t, req))
			wire, coerced, err := EncodeRequest(req, req.Model)
			if err != nil {
				t.Fatalf("EncodeRequest: %v", err)
			}
			if len(coerced) != 0 {
				t.Errorf("same-family round trip coerced %v", coerced)
			}
			got, want := projectRequest(generic(t, wire)), projectRequest(generic(t, body))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the request\n got: %+v\nwant: %+v", got, want)
			}
			if _, ok := generic(t, wire)["nexus"]; ok {
				t.Error("encoded request carries the nexus key")
			}
		})
	}
}

// TestGoldenResponses: every recorded chat.completion decodes to the golden
// canonical response and re-encodes to the same projection.
func TestGoldenResponses(t *testing.T) {
	for _, path := range fixtures(t, ".response.json") {
		t.Run(strings.TrimPrefix(path, "testdata/fixtures/"), func(t *testing.T) {
			body, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			resp, err := DecodeResponse(body)
			if err != nil {
				t.Fatalf("DecodeResponse: %v", err)
			}
			checkGolden(t, goldenName(path, "canonical.json"), mustJSON(t, resp))
			wire, err := EncodeResponse(resp)
			if err != nil {
				t.Fatalf("EncodeResponse: %v", err)
			}
			got, want := projectResponse(generic(t, wire)), projectResponse(generic(t, body))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the response\n got: %+v\nwant: %+v", got, want)
			}
		})
	}
}

// TestGoldenStreams: every recorded stream decodes to the golden event list,
// well formed, reconstructing what the raw chunks say; re-encoding the
// events and decoding them again reconstructs the same answer.
func TestGoldenStreams(t *testing.T) {
	for _, path := range fixtures(t, ".response.sse", ".chunks.txt") {
		t.Run(strings.TrimPrefix(path, "testdata/fixtures/"), func(t *testing.T) {
			frames := loadFrames(t, path)
			evs := decodeFrames(t, frames)
			checkGolden(t, goldenName(path, "events.jsonl"), eventsJSONL(t, evs))
			checkWellFormed(t, evs)
			if evs[len(evs)-1].Type != canonical.EventEnd {
				t.Fatalf("recorded stream did not end cleanly: %+v", viewOf(evs[len(evs)-1]))
			}

			wireView, canonView := projectWireStream(frames), projectEvents(evs)
			if !reflect.DeepEqual(canonView, wireView) {
				t.Errorf("decoded stream differs from the raw chunks\n got: %+v\nwant: %+v", canonView, wireView)
			}

			enc := NewStreamEncoder(StreamOptions{Model: "routed-model", ID: "chatcmpl-test", Created: 1, IncludeUsage: true})
			var rec recorder
			for _, ev := range evs {
				if err := enc.Encode(ev, &rec); err != nil {
					t.Fatal(err)
				}
			}
			if last := rec.frames[len(rec.frames)-1]; last.data != "[DONE]" {
				t.Fatalf("re-encoded stream ends with %q, want [DONE]", last.data)
			}
			again := decodeFrames(t, rec.frames)
			checkWellFormed(t, again)
			if got := projectEvents(again); !reflect.DeepEqual(got, canonView) {
				t.Errorf("re-encoded stream differs\n got: %+v\nwant: %+v", got, canonView)
			}
			if got := projectWireStream(rec.frames); !reflect.DeepEqual(got, wireView) {
				t.Errorf("re-encoded chunks differ from the recorded chunks\n got: %+v\nwant: %+v", got, wireView)
			}
		})
	}
}
