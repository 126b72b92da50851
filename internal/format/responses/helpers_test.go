package responses

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// frame is one SSE event as a client dispatches it.
type frame struct {
	name string
	data string
}

// recorder is an EventWriter that keeps copies of the frames.
type recorder struct{ frames []frame }

func (r *recorder) WriteEvent(name string, data []byte) error {
	r.frames = append(r.frames, frame{name: name, data: string(data)})
	return nil
}

// sseText writes frames as SSE text, as the gateway's writer does.
type sseText struct{ b *strings.Builder }

func (s sseText) WriteEvent(name string, data []byte) error {
	if name != "" {
		s.b.WriteString("event: " + name + "\n")
	}
	s.b.WriteString("data: ")
	s.b.Write(data)
	s.b.WriteString("\n\n")
	return nil
}

// parseSSE is a minimal SSE parser for the fixtures: comments are skipped,
// data lines joined with "\n", a blank line dispatches.
func parseSSE(raw []byte) []frame {
	var out []frame
	var name string
	var data []string
	has := false
	for _, line := range strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n") {
		switch {
		case line == "":
			if has {
				out = append(out, frame{name: name, data: strings.Join(data, "\n")})
			}
			name, data, has = "", nil, false
		case strings.HasPrefix(line, ":"):
		case strings.HasPrefix(line, "event:"):
			name = strings.TrimSpace(strings.TrimPrefix(line, "event:"))
		case strings.HasPrefix(line, "data:"):
			data = append(data, strings.TrimPrefix(strings.TrimPrefix(line, "data:"), " "))
			has = true
		}
	}
	if has {
		out = append(out, frame{name: name, data: strings.Join(data, "\n")})
	}
	return out
}

// loadStreams reads a .response.sse or .chunks.txt fixture. Chunk files hold
// one data payload per line with the event: lines stripped; the name is put
// back from "type" (SOURCES.md). A chunk file may hold several recorded
// streams in a row: each response.created starts a new one.
func loadStreams(t testing.TB, path string) [][]frame {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".response.sse") {
		return [][]frame{parseSSE(raw)}
	}
	var streams [][]frame
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		typ := frameType(line)
		if typ == "response.created" || len(streams) == 0 {
			streams = append(streams, nil)
		}
		streams[len(streams)-1] = append(streams[len(streams)-1], frame{name: typ, data: line})
	}
	return streams
}

// frameType reads the type of a chunk line, also from a line that is not
// valid JSON (one recorded chunk file has a truncated first frame).
func frameType(line string) string {
	var head struct {
		Type string `json:"type"`
	}
	if json.Unmarshal([]byte(line), &head) == nil {
		return head.Type
	}
	_, rest, _ := strings.Cut(line, `"type":"`)
	typ, _, _ := strings.Cut(rest, `"`)
	return typ
}

// decodeFrames runs a fresh StreamDecoder over frames, then Close.
func decodeFrames(t testing.TB, frames []frame) []canonical.Event {
	t.Helper()
	d := NewStreamDecoder()
	var evs []canonical.Event
	for i, f := range frames {
		var err error
		if evs, err = d.Decode(f.name, []byte(f.data), evs); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	evs, err := d.Close(evs)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// encodeEvents runs a StreamEncoder with fixed id and clock over evs.
func encodeEvents(t testing.TB, evs []canonical.Event) []frame {
	t.Helper()
	enc := NewStreamEncoder(StreamOptions{Model: "routed-model", ID: "resp_test", Created: 1700000000})
	var rec recorder
	for _, ev := range evs {
		if err := enc.Encode(ev, &rec); err != nil {
			t.Fatal(err)
		}
	}
	return rec.frames
}

// fixtures lists files under testdata/fixtures whose name ends in one of
// suffixes; errors/ is listed only when withErrors.
func fixtures(t testing.TB, withErrors bool, suffixes ...string) []string {
	t.Helper()
	var out []string
	errDir := filepath.Join("testdata", "fixtures", "errors")
	err := filepath.WalkDir(filepath.Join("testdata", "fixtures"), func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || !withErrors && strings.HasPrefix(p, errDir) {
			return err
		}
		for _, s := range suffixes {
			if strings.HasSuffix(p, s) {
				out = append(out, p)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatalf("no fixtures with %v", suffixes)
	}
	return out
}

func fixtureName(path string) string { return strings.TrimPrefix(path, "testdata/fixtures/") }

// goldenName maps testdata/fixtures/x/y.request.json to testdata/golden/x/y.request.<ext>.
func goldenName(fixture, ext string) string {
	rel := strings.TrimPrefix(fixture, filepath.Join("testdata", "fixtures")+string(filepath.Separator))
	for _, s := range []string{".json", ".sse", ".txt"} {
		rel = strings.TrimSuffix(rel, s)
	}
	return filepath.Join("testdata", "golden", rel+"."+ext)
}

// checkGolden compares got with the golden file, rewriting it under -update.
func checkGolden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden %s (run go test -update): %v", path, err)
	}
	if bytes.Equal(got, want) {
		return
	}
	gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
	for i := 0; i < len(gl) || i < len(wl); i++ {
		var g, w string
		if i < len(gl) {
			g = gl[i]
		}
		if i < len(wl) {
			w = wl[i]
		}
		if g != w {
			t.Fatalf("%s differs at line %d:\n got: %.300s\nwant: %.300s", path, i+1, g, w)
		}
	}
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// generic parses a JSON object into maps, numbers as float64.
func generic(t testing.TB, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v\n%.500s", err, b)
	}
	return m
}

// eventView is the golden form of a canonical event.
type eventView struct {
	Type         string           `json:"type"`
	Index        *int             `json:"index,omitempty"`
	Block        *canonical.Part  `json:"block,omitempty"`
	Delta        string           `json:"delta,omitempty"`
	ID           string           `json:"id,omitempty"`
	Model        string           `json:"model,omitempty"`
	Usage        *canonical.Usage `json:"usage,omitempty"`
	Finish       string           `json:"finish,omitempty"`
	Err          *errView         `json:"error,omitempty"`
	StopSequence string           `json:"stop_sequence,omitempty"`
}

type errView struct {
	Kind    canonical.Kind `json:"kind"`
	Status  int            `json:"status"`
	Code    string         `json:"code,omitempty"`
	Type    string         `json:"type,omitempty"`
	Message string         `json:"message"`
}

var eventNames = map[canonical.EventType]string{
	canonical.EventStart: "start", canonical.EventBlockStart: "block_start", canonical.EventDelta: "delta",
	canonical.EventBlockStop: "block_stop", canonical.EventUsage: "usage", canonical.EventFinish: "finish",
	canonical.EventEnd: "end", canonical.EventError: "error",
}

func viewOf(ev canonical.Event) eventView {
	v := eventView{Type: eventNames[ev.Type], Block: ev.Block, Delta: ev.Delta, ID: ev.ID, Model: ev.Model,
		Usage: ev.Usage, Finish: string(ev.Finish), StopSequence: ev.StopSequence}
	switch ev.Type {
	case canonical.EventBlockStart, canonical.EventDelta, canonical.EventBlockStop:
		i := ev.Index
		v.Index = &i
	}
	if ev.Err != nil {
		v.Err = &errView{Kind: ev.Err.Kind, Status: ev.Err.Status, Code: ev.Err.Code, Type: ev.Err.Type, Message: ev.Err.Message}
	}
	return v
}

// eventsJSONL renders events one per line.
func eventsJSONL(t testing.TB, evs []canonical.Event) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, ev := range evs {
		line, err := json.Marshal(viewOf(ev))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// checkWellFormed asserts the canonical stream contract: Start first; block
// indexes open in order; deltas and stops only on open blocks; tool calls
// named and with arguments; Usage and Finish after every block closed;
// exactly one terminal event (End after a Finish, or Error), last.
func checkWellFormed(t testing.TB, evs []canonical.Event) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	open := map[int]bool{}
	tool := map[int]bool{}
	args := map[int]bool{}
	next, finished := 0, false
	for i, ev := range evs {
		name := eventNames[ev.Type]
		if i == 0 && ev.Type != canonical.EventStart && ev.Type != canonical.EventError {
			t.Fatalf("event 0 is %s, want start or error", name)
		}
		if i > 0 && ev.Type == canonical.EventStart {
			t.Fatalf("event %d: second start", i)
		}
		if (ev.Type == canonical.EventEnd || ev.Type == canonical.EventError) && i != len(evs)-1 {
			t.Fatalf("event %d: %s is not last", i, name)
		}
		switch ev.Type {
		case canonical.EventBlockStart:
			if ev.Index != next || ev.Block == nil || finished {
				t.Fatalf("event %d: block_start %d (want %d), block %v, after finish %v", i, ev.Index, next, ev.Block, finished)
			}
			if ev.Block.Type == canonical.PartToolCall {
				if ev.Block.ToolCall == nil || ev.Block.ToolCall.ID == "" || ev.Block.ToolCall.Name == "" {
					t.Fatalf("event %d: tool block without id or name", i)
				}
				tool[ev.Index] = true
			}
			open[ev.Index] = true
			next++
		case canonical.EventDelta:
			if !open[ev.Index] {
				t.Fatalf("event %d: delta on closed block %d", i, ev.Index)
			}
			if tool[ev.Index] && ev.Delta != "" {
				args[ev.Index] = true
			}
		case canonical.EventBlockStop:
			if !open[ev.Index] {
				t.Fatalf("event %d: stop of closed block %d", i, ev.Index)
			}
			if tool[ev.Index] && !args[ev.Index] {
				t.Fatalf("event %d: tool call %d closed without arguments", i, ev.Index)
			}
			delete(open, ev.Index)
		case canonical.EventUsage:
			if finished || len(open) > 0 {
				t.Fatalf("event %d: usage after finish or with open blocks %v", i, open)
			}
		case canonical.EventFinish:
			if len(open) > 0 || finished {
				t.Fatalf("event %d: finish with open blocks %v, or twice", i, open)
			}
			finished = true
		case canonical.EventEnd:
			if !finished {
				t.Fatalf("event %d: end without finish", i)
			}
		case canonical.EventError:
			if ev.Err == nil {
				t.Fatalf("event %d: error without Err", i)
			}
		}
	}
	if last := evs[len(evs)-1].Type; last != canonical.EventEnd && last != canonical.EventError {
		t.Fatalf("stream does not end with end or error but %s", eventNames[last])
	}
}

func mustRead(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
