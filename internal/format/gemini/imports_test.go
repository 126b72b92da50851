package gemini

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// format/* packages import only internal/canonical, the leaf JSON writer
// internal/jsonw and the standard library (ARCHITECTURE.md): codecs must not
// depend on each other or on the gateway around them.
func TestImportsOnlyCanonicalAndStdlib(t *testing.T) {
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			leaf := path == "github.com/nexus-gateway/nexus/internal/canonical" || path == "github.com/nexus-gateway/nexus/internal/jsonw"
			if strings.Contains(first, ".") && !leaf {
				t.Errorf("%s imports %s", name, path)
			}
		}
	}
}
