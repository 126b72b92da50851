package estimate

import (
	"context"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/tiktoken-go/tokenizer"
)

// promptSummary is what the counting reads from a parsed body.
type promptSummary struct {
	roles       string // roles in order, joined by ","
	chars       int    // text bytes of the chat reading
	tools       int
	serverTools int
	media       int
	calls       int
	results     int
	embedTexts  int
	embedTokens int
	schema      bool
	thinking    bool
	forced      bool
}

func summarizePrompt(p *prompt) promptSummary {
	s := promptSummary{chars: p.chars(false), tools: len(p.tools), serverTools: p.serverTools, media: p.media,
		embedTexts: len(p.embedTexts), embedTokens: p.embedTokens, schema: p.schema != "", thinking: p.thinking, forced: p.forcedTool}
	var roles []string
	for _, m := range p.messages {
		roles = append(roles, m.role)
		s.calls += m.toolCalls
		s.results += m.toolResults
	}
	s.roles = strings.Join(roles, ",")
	return s
}

func TestParsePromptReadsEveryShape(t *testing.T) {
	cases := []struct {
		name string
		body string
		want promptSummary
	}{
		{"openai chat: strings, parts, tool calls and results",
			`{"messages":[{"role":"system","content":"Be brief."},
			  {"role":"user","content":[{"type":"text","text":"Hi"},{"type":"image_url","image_url":{"url":"https://x/a.png"}}]},
			  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]},
			  {"role":"tool","tool_call_id":"c1","content":"42"}],
			  "tools":[{"type":"function","function":{"name":"f","description":"d","parameters":{"type":"object"}}}],
			  "tool_choice":"required"}`,
			// "Be brief." 9 + "Hi" 2 + "f" 1 + `{"a":1}` 7 + "42" 2 = 21
			promptSummary{roles: "system,user,assistant,tool", chars: 21, tools: 1, media: 1, calls: 1, results: 1, forced: true}},
		{"anthropic: system blocks, tool_use, tool_result with nested blocks, thinking skipped",
			`{"system":[{"type":"text","text":"Sys"}],"messages":[
			  {"role":"user","content":"Q?"},
			  {"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"s"},{"type":"tool_use","id":"t","name":"g","input":{"x": 2}}]},
			  {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"ok"}]},{"type":"document","source":{}}]}],
			  "tools":[{"name":"g","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"}],
			  "tool_choice":{"type":"auto"},"thinking":{"type":"enabled","budget_tokens":2000}}`,
			// "Sys" 3 + "Q?" 2 + "g" 1 + `{"x":2}` 7 + "ok" 2 = 15
			promptSummary{roles: "system,user,assistant,user", chars: 15, tools: 1, serverTools: 1, media: 1, calls: 1, results: 1, thinking: true}},
		{"gemini: systemInstruction, contents, function call and response, inline data, schema",
			`{"systemInstruction":{"parts":[{"text":"S"}]},"contents":[
			  {"role":"user","parts":[{"text":"abc"},{"inlineData":{"mimeType":"image/png","data":"AA=="}}]},
			  {"role":"model","parts":[{"functionCall":{"name":"h","args":{}}}]},
			  {"parts":[{"functionResponse":{"name":"h","response":{"r":1}}}]}],
			  "tools":[{"functionDeclarations":[{"name":"h","description":"dd"}]}],
			  "toolConfig":{"functionCallingConfig":{"mode":"ANY"}},
			  "generationConfig":{"responseSchema":{"type":"OBJECT"}}}`,
			// "S" 1 + "abc" 3 + "h" 1 + "{}" 2 + "h" 1 + `{"r":1}` 7 = 15
			promptSummary{roles: "system,user,model,user", chars: 15, tools: 1, media: 1, calls: 1, results: 1, schema: true, forced: true}},
		{"responses: instructions, string input",
			`{"instructions":"Rhyme.","input":"Sing"}`,
			promptSummary{roles: "system,user", chars: 10, embedTexts: 1}},
		{"responses: items with parts, function call and output",
			`{"input":[{"role":"user","content":[{"type":"input_text","text":"one"},{"type":"input_image","image_url":"https://x"}]},
			  {"type":"function_call","call_id":"c","name":"k","arguments":"{}"},
			  {"type":"function_call_output","call_id":"c","output":"done"}],
			  "text":{"format":{"type":"json_schema","name":"n","schema":{"type":"object"}}}}`,
			// "one" 3 + "k" 1 + "{}" 2 + "done" 4 = 10
			promptSummary{roles: "user,user,user", chars: 10, media: 1, calls: 1, results: 1, schema: true}},
		{"embeddings: string array and token arrays",
			`{"input":["ab","cde"]}`,
			promptSummary{roles: "user,user", chars: 5, embedTexts: 2}},
		{"embeddings: pre-tokenized",
			`{"input":[[1,2,3],[4,5]]}`,
			promptSummary{embedTokens: 5}},
		{"embeddings: one token array",
			`{"input":[1,2,3,4]}`,
			promptSummary{embedTokens: 4}},
		{"empty object", `{}`, promptSummary{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := parsePrompt([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if got := summarizePrompt(p); got != c.want {
				t.Errorf("got  %+v\nwant %+v", got, c.want)
			}
		})
	}
}

func TestParsePromptRejectsImpossibleTypes(t *testing.T) {
	cases := []struct{ body, wantIn string }{
		{`{"messages":"hi"}`, "request"},
		{`{"messages":[{"role":"user","content":5}]}`, "request.messages[0].content"},
		{`{"system":{"text":"x"}}`, "request.system"},
		{`{"input":5}`, "request.input"},
		{`{"input":[[1,"a"],{"role":1}]}`, "request.input"},
		{`{"max_tokens":"many"}`, "request"},
	}
	for _, c := range cases {
		_, err := parsePrompt([]byte(c.body))
		if err == nil || !strings.Contains(err.Error(), c.wantIn) {
			t.Errorf("%s: err %v, want one naming %s", c.body, err, c.wantIn)
		}
	}
}

func TestReadKnobsPrecedence(t *testing.T) {
	cases := []struct {
		name       string
		body       string
		wantMax    int
		wantEffort string
		wantRaw    string
	}{
		{"max_completion_tokens wins over max_tokens", `{"max_completion_tokens":300,"max_tokens":900}`, 300, "", ""},
		{"max_tokens", `{"max_tokens":900}`, 900, "", ""},
		{"responses max_output_tokens", `{"max_output_tokens":50}`, 50, "", ""},
		{"gemini maxOutputTokens", `{"generationConfig":{"maxOutputTokens":70}}`, 70, "", ""},
		{"gemini snake case", `{"generation_config":{"max_output_tokens":71}}`, 71, "", ""},
		{"zero max is unset", `{"max_tokens":0}`, 0, "", ""},
		{"reasoning_effort first", `{"reasoning_effort":"high","reasoning":{"effort":"low"}}`, 0, "high", ""},
		{"responses reasoning.effort", `{"reasoning":{"effort":"Medium"}}`, 0, "medium", ""},
		{"anthropic budget buckets low", `{"thinking":{"type":"enabled","budget_tokens":1999}}`, 0, "low", ""},
		{"anthropic budget buckets medium", `{"thinking":{"type":"enabled","budget_tokens":2000}}`, 0, "medium", ""},
		{"anthropic budget buckets high", `{"thinking":{"type":"enabled","budget_tokens":8000}}`, 0, "high", ""},
		{"disabled thinking states nothing", `{"thinking":{"type":"disabled","budget_tokens":8000}}`, 0, "", ""},
		{"nexus ext anthropic thinking", `{"nexus":{"ext":{"anthropic":{"thinking":{"type":"enabled","budget_tokens":7999}}}}}`, 0, "medium", ""},
		{"thinking_config budget", `{"thinking_config":{"thinking_budget":100}}`, 0, "low", ""},
		{"nexus ext gemini thinking_config", `{"nexus":{"ext":{"gemini":{"thinking_config":{"thinking_budget":9000}}}}}`, 0, "high", ""},
		{"gemini native thinkingBudget", `{"generationConfig":{"thinkingConfig":{"thinkingBudget":3000}}}`, 0, "medium", ""},
		{"gemini dynamic budget states nothing", `{"generationConfig":{"thinkingConfig":{"thinkingBudget":-1}}}`, 0, "", ""},
		{"gemini thinkingLevel", `{"generationConfig":{"thinkingConfig":{"thinkingLevel":"HIGH"}}}`, 0, "high", ""},
		{"unknown effort is reported", `{"reasoning_effort":"ultra"}`, 0, "", "ultra"},
		{"none is no effort", `{"reasoning_effort":"none"}`, 0, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := parsePrompt([]byte(c.body))
			if err != nil {
				t.Fatal(err)
			}
			k := p.knobs
			if k.maxTokens != c.wantMax || k.effort != c.wantEffort || k.effortRaw != c.wantRaw {
				t.Errorf("got max %d effort %q raw %q; want %d %q %q", k.maxTokens, k.effort, k.effortRaw, c.wantMax, c.wantEffort, c.wantRaw)
			}
		})
	}
}

func TestNextChunkCutsWithinBoundsAndKeepsEveryByte(t *testing.T) {
	texts := []string{
		strings.Repeat("word ", 2000),
		strings.Repeat("\n \n", 3000),
		strings.Repeat("日本語", 1500),
		strings.Repeat("x", chunkBytes+1),
		"short",
	}
	for _, s := range texts {
		var b strings.Builder
		rest := s
		for rest != "" {
			var c string
			c, rest = nextChunk(rest)
			if len(c) == 0 || len(c) > chunkBytes {
				t.Fatalf("chunk of %d bytes", len(c))
			}
			if !utf8.ValidString(c) {
				t.Fatalf("chunk cut inside a rune")
			}
			b.WriteString(c)
		}
		if b.String() != s {
			t.Fatalf("chunks do not reassemble the text")
		}
	}
}

// TestChunkedCountEqualsWholeCount: cutting before a word-starting space
// must not change the count of ordinary text.
func TestChunkedCountEqualsWholeCount(t *testing.T) {
	var e encodings
	c, err := e.get(encO200k)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Repeat("The committee reviewed forty-two proposals, rejecting most of them on cost grounds. ", 200)
	whole, err := c.Count(text)
	if err != nil {
		t.Fatal(err)
	}
	tl := &tally{ctx: context.Background(), codec: c}
	tl.text(text)
	if tl.err != nil || tl.n != whole {
		t.Errorf("chunked count %d (err %v), whole count %d", tl.n, tl.err, whole)
	}
}

// TestTokenizerNeverSeesLongTexts: the tokenizer's regular expression is
// quadratic on long whitespace runs (256 KiB of "\n \n" takes it about 15 s
// in one call), so texts reach it in chunks of at most chunkBytes.
func TestTokenizerNeverSeesLongTexts(t *testing.T) {
	rec := &recordingCodec{}
	tl := &tally{ctx: context.Background(), codec: rec}
	text := strings.Repeat("\n \n", 256<<10/3)
	tl.text(text)
	if tl.err != nil || rec.longest > chunkBytes || rec.total != len(text) {
		t.Errorf("longest call %d bytes (limit %d), %d of %d bytes counted, err %v", rec.longest, chunkBytes, rec.total, len(text), tl.err)
	}
}

// recordingCodec counts one token per byte and records the call sizes.
type recordingCodec struct {
	tokenizer.Codec
	longest, total int
}

func (r *recordingCodec) Count(s string) (int, error) {
	r.longest = max(r.longest, len(s))
	r.total += len(s)
	return len(s), nil
}

func TestCountStopsWhenCancelled(t *testing.T) {
	var e encodings
	c, err := e.get(encO200k)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, _ := parsePrompt([]byte(`{"messages":[{"role":"user","content":"hello"}]}`))
	if _, err := countTokens(ctx, openAICounting{codec: c}, p, false); err == nil {
		t.Error("a cancelled count must fail")
	}
}
