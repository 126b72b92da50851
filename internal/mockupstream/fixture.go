package mockupstream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// Fixture replay (fixture=<folder>/<name>) serves a recorded transcript from
// Options.FixturesDir, laid out as shared/fixtures/SOURCES.md describes:
// NAME.response.sse (raw SSE), NAME.chunks.txt (one data payload per line),
// NAME.response.json, and NAME.meta.json (status and headers).

// fixture is a loaded, immutable transcript; cached per name and form.
type fixture struct {
	status      int
	contentType string
	body        []byte
	ends        []int // frame ends for SSE bodies; nil for a JSON body
	content     []int // every frame counts for cut_after
}

var errBadFixtureName = errors.New("mockupstream: fixture name must be <folder>/<name> inside the fixtures folder")

func (s *Server) replayFixture(x *exchange) {
	name := x.ctl.fixture
	if s.fixturesDir == "" {
		s.writeError(x, http.StatusNotFound, "fixture "+name+" requested but the mock upstream has no fixtures folder (start it with --fixtures DIR)")
		return
	}
	stream := x.rt.kind == routeStreamGenerate || string(field(x.body, "stream")) == "true"
	fx, err := s.loadFixture(name, stream)
	switch {
	case errors.Is(err, errBadFixtureName):
		s.writeError(x, http.StatusBadRequest, "invalid fixture name "+name+": use <folder>/<name> without '..'")
		return
	case errors.Is(err, fs.ErrNotExist):
		s.writeError(x, http.StatusNotFound, "unknown fixture "+name+": none of "+name+".response.sse, .chunks.txt or .response.json exists in the fixtures folder")
		return
	case err != nil:
		s.log.Warn("mock upstream: fixture load failed", "fixture", name, "err", err)
		s.writeError(x, http.StatusInternalServerError, "fixture "+name+" could not be read")
		return
	}
	if fx.ends == nil {
		s.writeBody(x, fx.status, fx.contentType, fx.body)
		return
	}
	// A read-only view over the cached fixture; never returned to the pool.
	view := frameSet{buf: fx.body, ends: fx.ends, content: fx.content}
	s.writeStream(x, fx.status, fx.contentType, &view)
}

func (s *Server) loadFixture(name string, stream bool) (*fixture, error) {
	if !validFixtureName(name) {
		return nil, errBadFixtureName
	}
	key := name + "|json"
	if stream {
		key = name + "|stream"
	}
	s.fixMu.Lock()
	fx, ok := s.fixtures[key]
	s.fixMu.Unlock()
	if ok {
		return fx, nil
	}
	fx, err := readFixture(s.fixturesDir, name, stream)
	if err != nil {
		return nil, err
	}
	s.fixMu.Lock()
	s.fixtures[key] = fx
	s.fixMu.Unlock()
	return fx, nil
}

// validFixtureName refuses anything that could leave the fixtures folder;
// os.Root below is the second line of defence (symlinks included).
func validFixtureName(name string) bool {
	if name == "" || strings.Contains(name, "..") || strings.ContainsAny(name, "\\:\x00") {
		return false
	}
	return filepath.IsLocal(name) && path.Clean(name) == name
}

func readFixture(dir, name string, stream bool) (*fixture, error) {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("open fixtures folder: %w", err)
	}
	defer root.Close()

	order := []string{".response.sse", ".chunks.txt", ".response.json"}
	if !stream {
		order = []string{".response.json", ".response.sse", ".chunks.txt"}
	}
	var fx fixture
	var ext string
	for _, e := range order {
		b, err := root.ReadFile(name + e)
		if err == nil {
			fx.body, ext = b, e
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("read fixture %s%s: %w", name, e, err)
		}
	}
	if ext == "" {
		return nil, fmt.Errorf("fixture %s: %w", name, fs.ErrNotExist)
	}
	if ext == ".chunks.txt" {
		fx.body = rebuildChunks(fx.body)
	}
	if ext == ".response.json" {
		fx.contentType = contentTypeJSON
	} else {
		fx.contentType = contentTypeSSE
		fx.ends = splitFrames(fx.body)
		fx.content = make([]int, len(fx.ends))
		for i := range fx.content {
			fx.content[i] = i
		}
	}
	fx.status = statusFromName(path.Base(name))
	if meta, err := root.ReadFile(name + ".meta.json"); err == nil {
		applyMeta(&fx, meta)
	}
	return &fx, nil
}

// applyMeta takes status and content-type from a cassette's meta.json
// ({"response":{"status":N,"headers":{"Content-Type":["…"]}}}).
func applyMeta(fx *fixture, meta []byte) {
	var m struct {
		Response struct {
			Status  int                 `json:"status"`
			Headers map[string][]string `json:"headers"`
		} `json:"response"`
	}
	if json.Unmarshal(meta, &m) != nil {
		return
	}
	if m.Response.Status >= 100 && m.Response.Status <= 599 {
		fx.status = m.Response.Status
	}
	for k, v := range m.Response.Headers {
		if strings.EqualFold(k, "Content-Type") && len(v) > 0 {
			fx.contentType = v[0]
		}
	}
}

// statusFromName reads the status error fixtures carry in their names when
// they have no meta.json (errors/anthropic-529-overloaded-error → 529).
func statusFromName(base string) int {
	for tok := range strings.SplitSeq(base, "-") {
		if len(tok) == 3 {
			if n, ok := atoiRange(tok, 400, 599); ok {
				return n
			}
		}
	}
	return http.StatusOK
}

// splitFrames returns the end offset of each SSE frame: a frame ends after a
// blank line (LF or CRLF). Offsets keep every byte, so the frames
// concatenate back to the exact input. A run of extra blank lines is kept
// with the frame before it rather than sent as an empty frame.
func splitFrames(b []byte) []int {
	var ends []int
	lineStart, frameStart := 0, 0
	for i := 0; i < len(b); i++ {
		if b[i] != '\n' {
			continue
		}
		line := b[lineStart:i]
		lineStart = i + 1
		if len(line) != 0 && !(len(line) == 1 && line[0] == '\r') {
			continue
		}
		if frameStart == i+1-len(line)-1 && len(ends) > 0 {
			ends[len(ends)-1] = i + 1 // a blank line on its own: extend the previous frame
		} else {
			ends = append(ends, i+1)
		}
		frameStart = i + 1
	}
	if frameStart < len(b) {
		ends = append(ends, len(b))
	}
	return ends
}

// rebuildChunks turns a vercel/ai .chunks.txt (one data payload per line)
// back into SSE as SOURCES.md prescribes: `event: <type>` first when the
// payload has a top-level "type" (Anthropic, Responses), and a closing
// `data: [DONE]` for OpenAI-style chat chunks.
func rebuildChunks(b []byte) []byte {
	var out bytes.Buffer
	openAIStyle, first := false, true
	for line := range bytes.SplitSeq(b, []byte("\n")) {
		line = bytes.TrimSuffix(line, []byte("\r"))
		if len(trimSpace(line)) == 0 {
			continue
		}
		var probe struct {
			Type       string          `json:"type"`
			Candidates json.RawMessage `json:"candidates"`
		}
		_ = json.Unmarshal(line, &probe)
		if first {
			openAIStyle = probe.Type == "" && probe.Candidates == nil
			first = false
		}
		if probe.Type != "" {
			out.WriteString("event: ")
			out.WriteString(probe.Type)
			out.WriteByte('\n')
		}
		out.WriteString("data: ")
		out.Write(line)
		out.WriteString("\n\n")
	}
	if openAIStyle {
		out.WriteString("data: [DONE]\n\n")
	}
	return out.Bytes()
}
