package gemini

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// fixtureFiles lists testdata/fixtures/<dir> files ending in suffix.
func fixtureFiles(t testing.TB, dir, suffix string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "fixtures", dir))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), suffix) {
			out = append(out, e.Name())
		}
	}
	sort.Strings(out)
	if len(out) == 0 {
		t.Fatalf("no %s fixtures in %s", suffix, dir)
	}
	return out
}

func readFixture(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "fixtures", dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got (marshalled as indented JSON) with
// testdata/golden/<name>, rewriting it under -update.
func golden(t *testing.T, name string, got any) {
	t.Helper()
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	b = append(b, '\n')
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("missing golden %s (run go test -update): %v", path, err)
	}
	if !bytes.Equal(b, want) {
		t.Errorf("%s differs from golden (run go test -update to accept):\n got: %s\nwant: %s", name, clip(b), clip(want))
	}
}

func clip(b []byte) string {
	if len(b) > 3000 {
		return string(b[:3000]) + "…"
	}
	return string(b)
}

// sseFrames splits an SSE body into data payloads following the WHATWG
// rules the gateway's reader implements (CRLF, LF or CR line ends, blank
// line ends a frame, lines without "data" ignored). A final frame without
// its blank line is kept, as the gateway's reader hands it over too.
func sseFrames(body []byte) [][]byte {
	var frames [][]byte
	var data []byte
	have := false
	flush := func() {
		if have {
			frames = append(frames, data)
		}
		data, have = nil, false
	}
	s := string(body)
	for len(s) > 0 {
		i := strings.IndexAny(s, "\r\n")
		line := s
		if i < 0 {
			s = ""
		} else {
			line = s[:i]
			if s[i] == '\r' && i+1 < len(s) && s[i+1] == '\n' {
				i++
			}
			s = s[i+1:]
		}
		if line == "" {
			flush()
			continue
		}
		field, value, _ := strings.Cut(line, ":")
		value = strings.TrimPrefix(value, " ")
		if field == "data" {
			if have {
				data = append(data, '\n')
			}
			data = append(data, value...)
			have = true
		}
	}
	flush()
	return frames
}

// streamFrames reads a stream fixture: SSE (.sse) or one payload per line (.chunks.txt).
func streamFrames(t testing.TB, name string) [][]byte {
	t.Helper()
	body := readFixture(t, "gemini", name)
	if strings.HasSuffix(name, ".sse") {
		return sseFrames(body)
	}
	var out [][]byte
	for _, line := range strings.Split(string(body), "\n") {
		if strings.TrimSpace(line) != "" {
			out = append(out, []byte(line))
		}
	}
	return out
}

// decodeAll runs frames through a fresh decoder and Close.
func decodeAll(t testing.TB, frames [][]byte) []canonical.Event {
	t.Helper()
	d := NewStreamDecoder()
	var evs []canonical.Event
	for i, f := range frames {
		var err error
		if evs, err = d.Decode("", f, evs); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	evs, err := d.Close(evs)
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

// recorder is an EventWriter keeping copies of frames.
type recorder struct {
	names  []string
	frames [][]byte
}

func (r *recorder) WriteEvent(name string, data []byte) error {
	r.names = append(r.names, name)
	r.frames = append(r.frames, append([]byte(nil), data...))
	return nil
}

func encodeAll(t testing.TB, opts StreamOptions, evs []canonical.Event) *recorder {
	t.Helper()
	enc := NewStreamEncoder(opts)
	rec := &recorder{}
	for i, ev := range evs {
		if err := enc.Encode(ev, rec); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	return rec
}

// eventView is a readable golden form of an event.
type eventView struct {
	Type      string           `json:"type"`
	Index     *int             `json:"index,omitempty"`
	Block     *canonical.Part  `json:"block,omitempty"`
	Delta     string           `json:"delta,omitempty"`
	Signature string           `json:"signature,omitempty"`
	ID        string           `json:"id,omitempty"`
	Model     string           `json:"model,omitempty"`
	Usage     *canonical.Usage `json:"usage,omitempty"`
	Finish    string           `json:"finish,omitempty"`
	Err       *errorView       `json:"error,omitempty"`
}

type errorView struct {
	Kind    canonical.Kind `json:"kind"`
	Status  int            `json:"status"`
	Type    string         `json:"type,omitempty"`
	Code    string         `json:"code,omitempty"`
	Message string         `json:"message"`
}

var eventNames = map[canonical.EventType]string{
	canonical.EventStart: "start", canonical.EventBlockStart: "block_start", canonical.EventDelta: "delta",
	canonical.EventBlockStop: "block_stop", canonical.EventUsage: "usage", canonical.EventFinish: "finish",
	canonical.EventEnd: "end", canonical.EventError: "error",
}

func viewEvents(evs []canonical.Event) []eventView {
	out := make([]eventView, 0, len(evs))
	for _, ev := range evs {
		v := eventView{Type: eventNames[ev.Type], Block: ev.Block, Delta: ev.Delta, Signature: clipSig(ev.Signature),
			ID: ev.ID, Model: ev.Model, Usage: ev.Usage, Finish: string(ev.Finish)}
		switch ev.Type {
		case canonical.EventBlockStart, canonical.EventDelta, canonical.EventBlockStop:
			i := ev.Index
			v.Index = &i
		}
		if ev.Err != nil {
			v.Err = &errorView{Kind: ev.Err.Kind, Status: ev.Err.Status, Type: ev.Err.Type, Code: ev.Err.Code, Message: ev.Err.Message}
		}
		out = append(out, v)
	}
	return out
}

// clipSig shortens signatures in goldens (they are kilobytes of base64).
func clipSig(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// streamProjection is what a stream means, independent of chunking.
type streamProjection struct {
	Blocks []blockProjection
	Finish canonical.FinishReason
	Usage  *canonical.Usage
	Ended  bool
	Error  canonical.Kind
}

type blockProjection struct {
	Type      canonical.PartType
	Text      string
	Signature string
	CallID    string
	CallName  string
	CallSig   string
	Args      any
}

func project(t testing.TB, evs []canonical.Event) streamProjection {
	t.Helper()
	var p streamProjection
	byIndex := map[int]int{}
	args := map[int]string{}
	for _, ev := range evs {
		switch ev.Type {
		case canonical.EventBlockStart:
			if _, dup := byIndex[ev.Index]; dup {
				t.Fatalf("block %d opened twice", ev.Index)
			}
			if ev.Index != len(p.Blocks) {
				t.Fatalf("block index %d opened out of order (want %d)", ev.Index, len(p.Blocks))
			}
			b := blockProjection{Type: ev.Block.Type}
			if tc := ev.Block.ToolCall; tc != nil {
				b.CallID, b.CallName, b.CallSig = tc.ID, tc.Name, tc.ThoughtSignature
			}
			byIndex[ev.Index] = len(p.Blocks)
			p.Blocks = append(p.Blocks, b)
		case canonical.EventDelta:
			i, ok := byIndex[ev.Index]
			if !ok {
				t.Fatalf("delta for unopened block %d", ev.Index)
			}
			if p.Blocks[i].Type == canonical.PartToolCall {
				args[i] += ev.Delta
			} else {
				p.Blocks[i].Text += ev.Delta
			}
			if ev.Signature != "" {
				p.Blocks[i].Signature = ev.Signature
			}
		case canonical.EventUsage:
			u := *ev.Usage
			p.Usage = &u
		case canonical.EventFinish:
			p.Finish = ev.Finish
		case canonical.EventEnd:
			p.Ended = true
		case canonical.EventError:
			p.Error = ev.Err.Kind
		}
	}
	for i, a := range args {
		var v any
		if err := json.Unmarshal([]byte(a), &v); err != nil {
			t.Fatalf("block %d: tool arguments %q are not JSON: %v", i, a, err)
		}
		p.Blocks[i].Args = v
	}
	for i, b := range p.Blocks {
		if b.Type == canonical.PartToolCall && b.Args == nil {
			t.Fatalf("block %d: tool call %q arrived without arguments", i, b.CallName)
		}
	}
	return p
}

// jsonEqual compares two JSON texts semantically.
func jsonEqual(t testing.TB, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("not JSON: %s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("not JSON: %s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func ptr[T any](v T) *T { return &v }
