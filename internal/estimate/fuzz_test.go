package estimate

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParsePrompt feeds arbitrary request bodies to the parser and both
// counting methods: none may panic, and counts are never negative.
func FuzzParsePrompt(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "golden", "*.request.json"))
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var env struct {
			Request json.RawMessage `json:"request"`
		}
		if json.Unmarshal(b, &env) == nil && len(env.Request) > 0 {
			f.Add([]byte(env.Request))
		}
	}
	for _, s := range []string{
		`{}`, `{"messages":null}`, `{"input":[[1,2],"x",{"type":"function_call","arguments":"{}"}]}`,
		`{"tools":[{"function":{"name":"f","parameters":{"properties":{"a":{"type":["string","null"],"enum":[1,"x",null]}}}}}]}`,
		`{"contents":[{"parts":[{"functionResponse":{"name":"n","response":[1,2]}}]}],"generationConfig":{"thinkingConfig":{"thinkingBudget":-1}}}`,
		`{"messages":[{"role":"user","content":[{"type":"tool_result","content":[{"type":"tool_result","content":"deep"}]}]}]}`,
	} {
		f.Add([]byte(s))
	}
	var enc encodings
	codec, err := enc.get(encO200k)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := parsePrompt(body)
		if err != nil {
			return
		}
		for _, typ := range []string{"anthropic", "gemini", "deepseek"} {
			for _, emb := range []bool{false, true} {
				if n := heuristicCount(p, typ, emb); n < 0 {
					t.Fatalf("%s: negative count %d", typ, n)
				}
			}
		}
		for _, emb := range []bool{false, true} {
			n, err := countTokens(context.Background(), openAICounting{codec: codec}, p, emb)
			if err == nil && n < 0 {
				t.Fatalf("negative token count %d", n)
			}
		}
		_ = readKnobsSafe(body)
	})
}

// readKnobsSafe re-reads the knobs through the same decoder (exercised for panics).
func readKnobsSafe(body []byte) knobs {
	var w wireBody
	if json.Unmarshal(body, &w) != nil {
		return knobs{}
	}
	return readKnobs(&w)
}
