package sse

import (
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"testing/iotest"
)

// sharedFixtures is the repository-external tree of recorded provider
// streams (see its SOURCES.md); tests skip when it is absent.
const sharedFixtures = "../../../shared/fixtures"

func TestReaderReplaysRecordedStreams(t *testing.T) {
	if _, err := os.Stat(sharedFixtures); err != nil {
		t.Skipf("shared fixtures not available: %v", err)
	}
	var paths []string
	err := filepath.WalkDir(sharedFixtures, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".response.sse") {
			paths = append(paths, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) == 0 {
		t.Fatal("no .response.sse fixtures found")
	}
	sort.Strings(paths)
	var truncated []string
	for _, p := range paths {
		rel, _ := filepath.Rel(sharedFixtures, p)
		t.Run(rel, func(t *testing.T) {
			in, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			whole := readString(t, string(in), nil, 0)
			checkRecordedStream(t, string(in), whole)
			if whole.err == ErrTruncated {
				truncated = append(truncated, rel)
			}
			oneByte := readString(t, string(in), iotest.OneByteReader, 0)
			if oneByte.rawConcat() != string(in) {
				t.Error("one-byte reads: raw concat differs from input")
			}
			if oneByte.err != whole.err || len(oneByte.frames) != len(whole.frames) {
				t.Fatalf("one-byte reads: %d frames err %v, whole: %d frames err %v", len(oneByte.frames), oneByte.err, len(whole.frames), whole.err)
			}
			for i := range whole.frames {
				a, b := whole.frames[i], oneByte.frames[i]
				a.Raw, b.Raw = "", ""
				if a != b {
					t.Fatalf("one-byte reads: frame %d = %v, want %v", i, b, a)
				}
			}
		})
	}
	t.Logf("fixtures ending inside a frame (no final blank line): %v", truncated)
}

// checkRecordedStream asserts the reader's view of one recorded body
// against facts computed independently from its text.
func checkRecordedStream(t *testing.T, in string, res result) {
	t.Helper()
	if res.rawConcat() != in {
		t.Fatal("raw concat differs from input")
	}
	groups, endsClean := dataGroups(in)
	wantErr := io.EOF
	if !endsClean {
		wantErr = ErrTruncated
	}
	if res.err != wantErr {
		t.Fatalf("terminal err = %v, want %v", res.err, wantErr)
	}
	all := append(append([]frame(nil), res.frames...), res.last)
	withData := 0
	for i, f := range all {
		if f.NoData {
			continue
		}
		withData++
		// Every recorded payload is JSON or the OpenAI terminator; a framing
		// bug (lost line, kept prefix, merged frames) breaks that.
		if f.Data != "[DONE]" && !json.Valid([]byte(f.Data)) {
			t.Errorf("frame %d data is not JSON: %.120q", i, f.Data)
			continue
		}
		// Anthropic and Responses repeat the event name as the payload type.
		if f.Name != "" {
			var typed struct {
				Type string `json:"type"`
			}
			if err := json.Unmarshal([]byte(f.Data), &typed); err == nil && typed.Type != "" && typed.Type != f.Name {
				t.Errorf("frame %d: event %q carries type %q", i, f.Name, typed.Type)
			}
		}
	}
	if withData != groups {
		t.Fatalf("%d frames with data, want %d data line groups", withData, groups)
	}
}

// dataGroups counts the runs of lines between blank lines that contain a
// data field, and reports whether the text ends with a blank line. It is a
// deliberately naive second parser: normalise line endings, split, scan.
func dataGroups(in string) (groups int, endsClean bool) {
	norm := strings.ReplaceAll(strings.ReplaceAll(in, "\r\n", "\n"), "\r", "\n")
	lines := strings.Split(norm, "\n")
	inGroup := false
	for _, l := range lines {
		switch {
		case l == "":
			inGroup = false
		case (l == "data" || strings.HasPrefix(l, "data:")) && !inGroup:
			groups++
			inGroup = true
		}
	}
	content := strings.TrimRight(norm, "\n")
	endsClean = content == "" || strings.HasSuffix(norm, content+"\n\n")
	return groups, endsClean
}
