package responses

import (
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// TestGoldenRequests: every recorded request decodes to the golden canonical
// request, and re-encoding it gives back the same request: items, roles,
// text, images, calls and results, reasoning, tools, tool_choice, text
// format, sampling and every kept Responses-only member.
func TestGoldenRequests(t *testing.T) {
	for _, path := range fixtures(t, true, ".request.json") {
		t.Run(fixtureName(path), func(t *testing.T) {
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
				t.Errorf("same-shape round trip coerced %v", coerced)
			}
			got, want := normalizeRequest(generic(t, wire)), normalizeRequest(generic(t, body))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the request\n got: %v\nwant: %v", got, want)
			}
		})
	}
}

// TestGoldenResponses: every recorded response object decodes to the golden
// canonical response and re-encodes to the same object.
func TestGoldenResponses(t *testing.T) {
	for _, path := range fixtures(t, false, ".response.json") {
		t.Run(fixtureName(path), func(t *testing.T) {
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
			got, want := normalizeResponse(generic(t, wire), generic(t, body))
			if !reflect.DeepEqual(got, want) {
				for k := range want {
					if !reflect.DeepEqual(got[k], want[k]) {
						t.Errorf("member %q changed\n got: %v\nwant: %v", k, got[k], want[k])
					}
				}
				for k := range got {
					if _, ok := want[k]; !ok {
						t.Errorf("member %q added: %v", k, got[k])
					}
				}
			}
		})
	}
}

// TestGoldenStreams: every recorded stream decodes, event by event, to the
// golden canonical events, well formed and saying what the raw frames say;
// re-encoding them writes the SPEC §6.4 grammar, which a client reads back
// to the same answer and which decodes again to the same events.
func TestGoldenStreams(t *testing.T) {
	for _, path := range fixtures(t, false, ".response.sse", ".chunks.txt") {
		streams := loadStreams(t, path)
		for n, frames := range streams {
			name, golden := fixtureName(path), goldenName(path, "events.jsonl")
			if len(streams) > 1 {
				name, golden = fmt.Sprintf("%s#%d", name, n), goldenName(path, fmt.Sprintf("%d.events.jsonl", n))
			}
			t.Run(name, func(t *testing.T) {
				if why, broken := brokenStreams[fixtureName(path)]; broken {
					checkBrokenStream(t, frames, why)
					return
				}
				evs := decodeFrames(t, frames)
				checkGolden(t, golden, eventsJSONL(t, evs))
				checkWellFormed(t, evs)
				if last := evs[len(evs)-1]; last.Type != canonical.EventEnd {
					t.Fatalf("recorded stream did not end cleanly: %+v", viewOf(last))
				}
				wireView, canonView := projectFrames(t, frames), projectEvents(evs)
				if !reflect.DeepEqual(canonView, wireView) {
					t.Fatalf("decoded stream differs from the recorded frames\n got: %v\nwant: %v", canonView, wireView)
				}
				again := encodeEvents(t, evs)
				checkGrammar(t, again)
				if got := projectFrames(t, again); !reflect.DeepEqual(got, wireView) {
					t.Errorf("re-encoded stream reads differently\n got: %v\nwant: %v", got, wireView)
				}
				evs2 := decodeFrames(t, again)
				checkWellFormed(t, evs2)
				if got := projectEvents(evs2); !reflect.DeepEqual(got, canonView) {
					t.Errorf("re-encoded stream decodes differently\n got: %v\nwant: %v", got, canonView)
				}
			})
		}
	}
}

// brokenStreams are recordings that are not valid streams, with the reason.
var brokenStreams = map[string]string{
	"openai-responses/vercel-parallel-tool-calls.chunks.txt": "its response.created frame is truncated JSON",
}

// checkBrokenStream: a malformed frame fails the stream with a 502, never a
// normal finish.
func checkBrokenStream(t *testing.T, frames []frame, why string) {
	d := NewStreamDecoder()
	var evs []canonical.Event
	for _, f := range frames {
		var err error
		if evs, err = d.Decode(f.name, []byte(f.data), evs); err != nil {
			if ce := canonical.As(err); ce.Status != 502 || ce.Kind != canonical.KindUpstream {
				t.Fatalf("malformed frame gave %v, want a 502 upstream error", err)
			}
			return
		}
	}
	t.Fatalf("stream decoded although %s", why)
}
