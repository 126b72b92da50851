package openai

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

// frame is one SSE event as a client would dispatch it.
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

// parseSSE is a minimal SSE parser for the fixtures: comments are skipped,
// data lines are joined with "\n", a blank line dispatches.
func parseSSE(raw []byte) []frame {
	var out []frame
	var name string
	var data []string
	has := false
	text := strings.ReplaceAll(string(raw), "\r\n", "\n")
	for _, line := range strings.Split(text, "\n") {
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
			v := strings.TrimPrefix(line, "data:")
			data = append(data, strings.TrimPrefix(v, " "))
			has = true
		}
	}
	if has {
		out = append(out, frame{name: name, data: strings.Join(data, "\n")})
	}
	return out
}

// loadFrames reads a .response.sse or a .chunks.txt fixture (one data
// payload per line, [DONE] stripped by the recorder and restored here).
func loadFrames(t testing.TB, path string) []frame {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasSuffix(path, ".response.sse") {
		return parseSSE(raw)
	}
	var out []frame
	for _, line := range strings.Split(string(raw), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			out = append(out, frame{data: line})
		}
	}
	return append(out, frame{data: "[DONE]"})
}

// decodeFrames runs a fresh StreamDecoder over frames and Close.
func decodeFrames(t testing.TB, frames []frame) []canonical.Event {
	t.Helper()
	d := NewStreamDecoder()
	var evs []canonical.Event
	for i, f := range frames {
		var err error
		evs, err = d.Decode(f.name, []byte(f.data), evs)
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	evs, err := d.Close(evs)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// fixtures lists files under testdata/fixtures whose name ends in one of suffixes.
func fixtures(t testing.TB, suffixes ...string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir("testdata/fixtures", func(p string, de os.DirEntry, err error) error {
		if err != nil || de.IsDir() || strings.HasPrefix(p, filepath.Join("testdata", "fixtures", "errors")) {
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

// goldenName maps testdata/fixtures/x/y.request.json to testdata/golden/x/y.request.<ext>.
func goldenName(fixture, ext string) string {
	rel := strings.TrimPrefix(fixture, filepath.Join("testdata", "fixtures")+string(filepath.Separator))
	rel = strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(rel, ".json"), ".sse"), ".txt")
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
	if !bytes.Equal(got, want) {
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
}

func mustJSON(t testing.TB, v any) []byte {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

// generic parses JSON into any, with numbers kept as float64.
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
	Signature    string           `json:"signature,omitempty"`
	ID           string           `json:"id,omitempty"`
	Model        string           `json:"model,omitempty"`
	Usage        *canonical.Usage `json:"usage,omitempty"`
	Finish       string           `json:"finish,omitempty"`
	StopSequence string           `json:"stop_sequence,omitempty"`
	Err          *errView         `json:"error,omitempty"`
}

type errView struct {
	Kind    canonical.Kind `json:"kind"`
	Status  int            `json:"status"`
	Code    string         `json:"code,omitempty"`
	Type    string         `json:"type,omitempty"`
	Message string         `json:"message"`
}

func eventName(t canonical.EventType) string {
	switch t {
	case canonical.EventStart:
		return "start"
	case canonical.EventBlockStart:
		return "block_start"
	case canonical.EventDelta:
		return "delta"
	case canonical.EventBlockStop:
		return "block_stop"
	case canonical.EventUsage:
		return "usage"
	case canonical.EventFinish:
		return "finish"
	case canonical.EventEnd:
		return "end"
	case canonical.EventError:
		return "error"
	}
	return "unknown"
}

func viewOf(ev canonical.Event) eventView {
	v := eventView{Type: eventName(ev.Type), Block: ev.Block, Delta: ev.Delta, Signature: ev.Signature,
		ID: ev.ID, Model: ev.Model, Usage: ev.Usage, Finish: string(ev.Finish), StopSequence: ev.StopSequence}
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
// carry arguments; Usage and Finish after all blocks closed; exactly one
// terminal event (End or Error), last.
func checkWellFormed(t testing.TB, evs []canonical.Event) {
	t.Helper()
	if len(evs) == 0 {
		t.Fatal("no events")
	}
	open := map[int]bool{}
	toolArgs := map[int]bool{}
	isTool := map[int]bool{}
	next, finished := 0, false
	for i, ev := range evs {
		if i == 0 && ev.Type != canonical.EventStart && ev.Type != canonical.EventError {
			t.Fatalf("event 0 is %s, want start or error", eventName(ev.Type))
		}
		if i > 0 && ev.Type == canonical.EventStart {
			t.Fatalf("event %d: second start", i)
		}
		last := i == len(evs)-1
		switch ev.Type {
		case canonical.EventBlockStart:
			if ev.Index != next || ev.Block == nil || finished {
				t.Fatalf("event %d: block_start index %d (want %d), block %v, after finish %v", i, ev.Index, next, ev.Block, finished)
			}
			if ev.Block.Type == canonical.PartToolCall {
				if ev.Block.ToolCall == nil || ev.Block.ToolCall.ID == "" {
					t.Fatalf("event %d: tool block without id", i)
				}
				isTool[ev.Index] = true
			}
			open[ev.Index] = true
			next++
		case canonical.EventDelta:
			if !open[ev.Index] {
				t.Fatalf("event %d: delta on closed block %d", i, ev.Index)
			}
			if isTool[ev.Index] && ev.Delta != "" {
				toolArgs[ev.Index] = true
			}
		case canonical.EventBlockStop:
			if !open[ev.Index] {
				t.Fatalf("event %d: stop of closed block %d", i, ev.Index)
			}
			if isTool[ev.Index] && !toolArgs[ev.Index] {
				t.Fatalf("event %d: tool call %d closed without arguments", i, ev.Index)
			}
			delete(open, ev.Index)
		case canonical.EventUsage:
			if finished {
				t.Fatalf("event %d: usage after finish", i)
			}
		case canonical.EventFinish:
			if len(open) > 0 || finished {
				t.Fatalf("event %d: finish with open blocks %v / twice", i, open)
			}
			finished = true
		case canonical.EventEnd:
			if !finished || !last {
				t.Fatalf("event %d: end without finish or not last", i)
			}
		case canonical.EventError:
			if !last || ev.Err == nil {
				t.Fatalf("event %d: error not last or without Err", i)
			}
		}
	}
	if lt := evs[len(evs)-1].Type; lt != canonical.EventEnd && lt != canonical.EventError {
		t.Fatalf("stream does not end with end or error: %s", eventName(lt))
	}
}
