package anthropic

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func fixtureFiles(t *testing.T, suffix string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(fixtureDir, "*"+suffix))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures *%s: %v", suffix, err)
	}
	return files
}

// nockInteraction is one request/response pair of the SDK's nock recording.
type nockInteraction struct {
	Body     json.RawMessage `json:"body"`
	Status   int             `json:"status"`
	Response json.RawMessage `json:"response"`
}

func nockInteractions(t *testing.T) []nockInteraction {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixtureDir, "sdk-nock-tool-runner.json"))
	if err != nil {
		t.Fatal(err)
	}
	var all []nockInteraction
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	return all
}

type bodyCase struct {
	name string
	body []byte
}

func requestCases(t *testing.T) []bodyCase {
	var cases []bodyCase
	for _, f := range fixtureFiles(t, ".request.json") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, bodyCase{strings.TrimSuffix(filepath.Base(f), ".request.json"), b})
	}
	for i, n := range nockInteractions(t) {
		cases = append(cases, bodyCase{"sdk-nock-tool-runner-" + strconv.Itoa(i), n.Body})
	}
	return cases
}

func responseCases(t *testing.T) []bodyCase {
	var cases []bodyCase
	for _, f := range fixtureFiles(t, ".response.json") {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, bodyCase{strings.TrimSuffix(filepath.Base(f), ".response.json"), b})
	}
	for i, n := range nockInteractions(t) {
		if n.Status == 200 {
			cases = append(cases, bodyCase{"sdk-nock-tool-runner-" + strconv.Itoa(i), n.Response})
		}
	}
	return cases
}

// TestRequestFixturesRoundTrip: wire → canonical (golden) → wire keeps the
// semantic projection of every recorded request.
func TestRequestFixturesRoundTrip(t *testing.T) {
	for _, c := range requestCases(t) {
		t.Run(c.name, func(t *testing.T) {
			req, err := DecodeRequest(c.body)
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			golden(t, c.name+".request.canonical.json", req)

			orig := parseJSON(t, c.body)
			model, _ := orig["model"].(string)
			wire, coerced, err := EncodeRequest(req, model)
			if err != nil {
				t.Fatalf("EncodeRequest: %v", err)
			}
			got := projectRequest(parseJSON(t, wire))
			want := projectRequest(orig)
			if _, ok := orig["max_tokens"]; !ok {
				// max_tokens is required upstream: filled from the model family.
				n := defaultMaxTokens(model)
				if got["max_tokens"] != float64(n) {
					t.Errorf("max_tokens = %v, want default %d", got["max_tokens"], n)
				}
				if !slices.Contains(coerced, canonical.Coercion{Field: "max_tokens", To: strconv.Itoa(n) + "_model_default"}) {
					t.Errorf("coercions %v lack the max_tokens default", coerced)
				}
				delete(got, "max_tokens")
			} else if len(coerced) != 0 {
				t.Errorf("same-shape round trip coerced %v", coerced)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the request\n got: %s\nwant: %s", mustJSON(t, got), mustJSON(t, want))
			}
		})
	}
}

// TestResponseFixturesRoundTrip: wire → canonical (golden) → wire keeps the
// projection of every recorded response, usage included.
func TestResponseFixturesRoundTrip(t *testing.T) {
	for _, c := range responseCases(t) {
		t.Run(c.name, func(t *testing.T) {
			resp, err := DecodeResponse(c.body)
			if err != nil {
				t.Fatalf("DecodeResponse: %v", err)
			}
			golden(t, c.name+".response.canonical.json", resp)
			wire, err := EncodeResponse(resp)
			if err != nil {
				t.Fatalf("EncodeResponse: %v", err)
			}
			got, want := projectResponse(parseJSON(t, wire)), projectResponse(parseJSON(t, c.body))
			if !reflect.DeepEqual(got, want) {
				t.Errorf("round trip changed the response\n got: %s\nwant: %s", mustJSON(t, got), mustJSON(t, want))
			}
		})
	}
}

// TestStreamFixturesRoundTrip: frames → canonical events (golden) → our
// encoder → frames → decoder again gives the same projection.
func TestStreamFixturesRoundTrip(t *testing.T) {
	files := append(fixtureFiles(t, ".response.sse"), fixtureFiles(t, ".chunks.txt")...)
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(f), ".response.sse"), ".chunks.txt")
		t.Run(name, func(t *testing.T) {
			evs := decodeFrames(t, loadFrames(t, f))
			golden(t, name+".events.json", goldenEvents(evs))
			first := projectStream(t, evs)
			if !first.Ended || first.ErrKind != "" {
				t.Fatalf("recorded stream did not end cleanly: %+v", first)
			}
			rec := encodeEvents(t, StreamOptions{ID: first.ID, Model: first.Model}, evs)
			second := projectStream(t, decodeFrames(t, rec.frames))
			if !reflect.DeepEqual(first, second) {
				t.Errorf("re-encoded stream differs\nfirst:  %+v\nsecond: %+v", first, second)
			}
		})
	}
}
