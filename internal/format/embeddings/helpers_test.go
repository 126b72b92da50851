package embeddings

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"flag"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

var update = flag.Bool("update", false, "rewrite golden files under testdata/golden")

// fixtures lists files under testdata/fixtures/<dir> whose name ends in suffix.
func fixtures(t testing.TB, dir, suffix string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "fixtures", dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	if len(paths) == 0 {
		t.Fatalf("no fixtures %s/*%s", dir, suffix)
	}
	return paths
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// goldenName maps testdata/fixtures/x/y.response.json to testdata/golden/x/y.response.<ext>.
func goldenName(fixture, ext string) string {
	rel := strings.TrimPrefix(fixture, filepath.Join("testdata", "fixtures")+string(filepath.Separator))
	return filepath.Join("testdata", "golden", strings.TrimSuffix(rel, ".json")+"."+ext)
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
		t.Fatalf("%s differs:\n got: %.600s\nwant: %.600s", path, got, want)
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

// generic parses JSON into any, numbers as float64.
func generic(t testing.TB, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("not JSON: %v\n%.300s", err, b)
	}
	return v
}

// responseView is the golden form of an EmbeddingResponse: vectors are far
// too long to diff by eye, so each is shown by length, its first values and
// a digest of its exact float32 bits (any one-ulp change shows).
type responseView struct {
	Model          string          `json:"model"`
	Usage          canonical.Usage `json:"usage"`
	UsageEstimated bool            `json:"usage_estimated,omitempty"`
	Vectors        []vectorView    `json:"vectors"`
}

type vectorView struct {
	Len    int       `json:"len"`
	Head   []float32 `json:"head"`
	SHA256 string    `json:"sha256_le_float32"`
}

func viewOf(r *canonical.EmbeddingResponse) responseView {
	v := responseView{Model: r.Model, Usage: r.Usage, UsageEstimated: r.UsageEstimated}
	for _, vec := range r.Vectors {
		v.Vectors = append(v.Vectors, vectorView{Len: len(vec), Head: vec[:min(4, len(vec))], SHA256: digest(vec)})
	}
	return v
}

func digest(v []float32) string {
	h := sha256.New()
	var b [4]byte
	for _, f := range v {
		binary.LittleEndian.PutUint32(b[:], math.Float32bits(f))
		h.Write(b[:])
	}
	return hex.EncodeToString(h.Sum(nil))
}

// sameBits reports whether two vector lists hold bit-identical float32s.
func sameBits(a, b [][]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) {
			return false
		}
		for j := range a[i] {
			if math.Float32bits(a[i][j]) != math.Float32bits(b[i][j]) {
				return false
			}
		}
	}
	return true
}

// wireVectorsFloat64 reads the upstream vectors of an OpenAI or Gemini body
// independently of the codec: float arrays via encoding/json as float64,
// base64 strings via encoding/json into []byte. It is the "upstream truth"
// the codec's float32 values are compared with.
func wireVectorsFloat64(t testing.TB, body []byte) [][]float64 {
	t.Helper()
	var w struct {
		Data []struct {
			Index     int             `json:"index"`
			Embedding json.RawMessage `json:"embedding"`
		} `json:"data"`
		Embedding  *struct{ Values []float64 }  `json:"embedding"`
		Embeddings []struct{ Values []float64 } `json:"embeddings"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		t.Fatal(err)
	}
	var out [][]float64
	switch {
	case w.Data != nil:
		out = make([][]float64, len(w.Data))
		for _, d := range w.Data {
			var floats []float64
			if d.Embedding[0] == '"' {
				var raw []byte
				if err := json.Unmarshal(d.Embedding, &raw); err != nil {
					t.Fatal(err)
				}
				for i := 0; i+4 <= len(raw); i += 4 {
					floats = append(floats, float64(math.Float32frombits(binary.LittleEndian.Uint32(raw[i:]))))
				}
			} else if err := json.Unmarshal(d.Embedding, &floats); err != nil {
				t.Fatal(err)
			}
			out[d.Index] = floats
		}
	case w.Embeddings != nil:
		for _, e := range w.Embeddings {
			out = append(out, e.Values)
		}
	case w.Embedding != nil:
		out = append(out, w.Embedding.Values)
	}
	return out
}

// asFloat32 rounds upstream values to float32, the precision they were made in.
func asFloat32(v [][]float64) [][]float32 {
	out := make([][]float32, len(v))
	for i, vec := range v {
		out[i] = make([]float32, len(vec))
		for j, f := range vec {
			out[i][j] = float32(f)
		}
	}
	return out
}
