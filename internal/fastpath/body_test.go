package fastpath

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func TestRewrite(t *testing.T) {
	cases := []struct {
		name       string
		in         string
		force      bool
		want       map[string]any
		wantForced bool
	}{
		{"model only", `{"model":"mini","messages":[]}`, true,
			map[string]any{"model": "gpt-4o-mini", "messages": []any{}}, false},
		{"stream adds usage", `{"model":"mini","stream":true}`, true,
			map[string]any{"model": "gpt-4o-mini", "stream": true, "stream_options": map[string]any{"include_usage": true}}, true},
		{"explicit false kept", `{"stream":true,"stream_options":{"include_usage":false},"model":"mini"}`, true,
			map[string]any{"model": "gpt-4o-mini", "stream": true, "stream_options": map[string]any{"include_usage": false}}, false},
		{"empty options filled", `{"model":"mini","stream":true,"stream_options":{ }}`, true,
			map[string]any{"model": "gpt-4o-mini", "stream": true, "stream_options": map[string]any{"include_usage": true}}, true},
		{"other option kept", `{"model":"mini","stream":true,"stream_options":{"x":1}}`, true,
			map[string]any{"model": "gpt-4o-mini", "stream": true, "stream_options": map[string]any{"include_usage": true, "x": 1.0}}, true},
		{"null options", `{"model":"mini","stream":true,"stream_options":null}`, true,
			map[string]any{"model": "gpt-4o-mini", "stream": true, "stream_options": map[string]any{"include_usage": true}}, true},
		{"nexus removed first", `{"nexus":{"ext":{"anthropic":{"thinking":{}}}},"model":"mini","stream":true}`, true,
			map[string]any{"model": "gpt-4o-mini", "stream": true, "stream_options": map[string]any{"include_usage": true}}, true},
		{"nexus removed last", `{"model":"mini","nexus":{}}`, false,
			map[string]any{"model": "gpt-4o-mini"}, false},
		{"no force for anthropic", `{"model":"mini","stream":true}`, false,
			map[string]any{"model": "gpt-4o-mini", "stream": true}, false},
		{"not streaming", `{"model":"mini","stream":false}`, true,
			map[string]any{"model": "gpt-4o-mini", "stream": false}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Peek([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			out, forced, err := b.Rewrite(nil, "gpt-4o-mini", Options{ForceUsage: c.force})
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("rewritten body is invalid JSON: %s: %v", out, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("got %s, want %v", out, c.want)
			}
			if forced != c.wantForced {
				t.Fatalf("forced = %v", forced)
			}
		})
	}
}

func TestPeekErrors(t *testing.T) {
	for in, param := range map[string]string{
		`{"model":1}`:                      "model",
		`{"model":"a","stream":"yes"}`:     "stream",
		`{"model":"a","stream_options":1}`: "stream_options",
		`{"model":"a","model":"b"}`:        "model",
		`{"model":`:                        "",
		`[]`:                               "",
	} {
		_, err := Peek([]byte(in))
		ce, ok := err.(*canonical.Error)
		if !ok || ce.Status != 400 || ce.Param != param {
			t.Errorf("%s: err = %#v, want 400 with param %q", in, err, param)
		}
	}
}

func FuzzPeekRewrite(f *testing.F) {
	for _, s := range []string{`{"model":"m","stream":true}`, `{"nexus":1,"model":"m"}`, `{"stream":true,"stream_options":{}}`, `{}`,
		`{"temperature":1 , "top_p":2,"nexus":{},"max_tokens":3}`, `{"max_tokens":1,"max_completion_tokens":2,"top_p":0}`} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, reasoning bool) {
		b, err := Peek(in)
		if err != nil {
			if _, ok := err.(*canonical.Error); !ok {
				t.Fatalf("non-canonical error %T", err)
			}
			return
		}
		var edits []Edit
		if reasoning {
			edits = ReasoningEdits()
		}
		out, _, err := b.Rewrite(nil, "x", Options{ForceUsage: true, Edits: edits})
		if err != nil {
			return
		}
		if !json.Valid(out) {
			t.Fatalf("rewrite of %q produced invalid JSON %q", in, out)
		}
	})
}

func BenchmarkPeekRewrite1KB(b *testing.B) {
	body := []byte(`{"model":"mini","stream":true,"messages":[{"role":"system","content":"You are a helpful assistant that answers briefly and precisely, with no filler text."},{"role":"user","content":"` + string(make([]byte, 0)) + `Summarise the following: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit anim id est laborum. Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris."}],"temperature":0.2}`)
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		p, err := Peek(body)
		if err != nil {
			b.Fatal(err)
		}
		buf, _, _ = p.Rewrite(buf[:0], "gpt-4o-mini", Options{ForceUsage: true})
	}
}

func TestMaxTokensPrefersCompletionCap(t *testing.T) {
	for in, want := range map[string]int{
		`{"max_tokens":100}`:                            100,
		`{"max_tokens":100,"max_completion_tokens":50}`: 50,
		`{"max_completion_tokens":0,"max_tokens":7}`:    7,
		`{"max_tokens":"many"}`:                         0,
		`{"messages":[{"max_tokens":9}]}`:               0,
		`{"input":"hi","max_output_tokens":300}`:        300, // Responses API
	} {
		b, err := Peek([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		if got := b.MaxTokens(); got != want {
			t.Errorf("%s: got %d want %d", in, got, want)
		}
	}
}

// TestRewriteReasoningModel covers the OpenAI reasoning-model quirk on the
// byte path: max_tokens renamed, temperature and top_p removed wherever they
// sit (first, last, adjacent to each other or to "nexus"), always leaving
// valid JSON and reporting each change.
func TestRewriteReasoningModel(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		want    map[string]any
		coerced []canonical.Coercion
	}{
		{"rename and drop in the middle", `{"model":"m","max_tokens":50,"temperature":0.2,"top_p":0.9,"messages":[]}`,
			map[string]any{"model": "o3", "max_completion_tokens": 50.0, "messages": []any{}},
			[]canonical.Coercion{{Field: "max_tokens", To: "max_completion_tokens"}, {Field: "temperature", To: "removed"}, {Field: "top_p", To: "removed"}}},
		{"removed run opens the object", `{"temperature":1, "top_p":1 ,"model":"m"}`,
			map[string]any{"model": "o3"}, []canonical.Coercion{{Field: "temperature", To: "removed"}, {Field: "top_p", To: "removed"}}},
		{"removed run closes the object", `{"model":"m","top_p":1,"nexus":{},"temperature":0}`,
			map[string]any{"model": "o3"}, []canonical.Coercion{{Field: "temperature", To: "removed"}, {Field: "top_p", To: "removed"}}},
		{"separated removals", `{"top_p":1,"model":"m","temperature":0,"stream":false}`,
			map[string]any{"model": "o3", "stream": false}, []canonical.Coercion{{Field: "temperature", To: "removed"}, {Field: "top_p", To: "removed"}}},
		{"both token caps: the newer wins", `{"max_completion_tokens":9,"model":"m","max_tokens":5}`,
			map[string]any{"model": "o3", "max_completion_tokens": 9.0}, []canonical.Coercion{{Field: "max_tokens", To: "removed"}}},
		{"only the members that exist", `{"model":"m"}`, map[string]any{"model": "o3"}, nil},
		{"everything but the model", `{"nexus":1,"temperature":1,"model":"m","top_p":1}`, map[string]any{"model": "o3"},
			[]canonical.Coercion{{Field: "temperature", To: "removed"}, {Field: "top_p", To: "removed"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Peek([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			var coerced []canonical.Coercion
			out, _, err := b.Rewrite(nil, "o3", Options{Edits: ReasoningEdits(), Coerced: &coerced})
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("invalid JSON %s: %v", out, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %s, want %v", out, c.want)
			}
			if !reflect.DeepEqual(coerced, c.coerced) {
				t.Errorf("coerced %v, want %v", coerced, c.coerced)
			}
		})
	}
}

// Without the quirk the same members pass untouched.
func TestRewriteKeepsSamplingForOtherModels(t *testing.T) {
	in := `{"temperature":1,"model":"m","top_p":1,"max_tokens":3}`
	b, _ := Peek([]byte(in))
	out, _, _ := b.Rewrite(nil, "m", Options{})
	if string(out) != in {
		t.Fatalf("got %s", out)
	}
}

// TestRewriteEdits covers generic vendor-quirk edits: members Peek does not
// record (found by a second scan), conditional drops, renames onto a name
// already present, reserved members left alone, and the first edit of a
// parameter winning.
func TestRewriteEdits(t *testing.T) {
	cases := []struct {
		name    string
		in      string
		edits   []Edit
		want    map[string]any
		coerced []canonical.Coercion
	}{
		{"forced tool_choice dropped", `{"model":"m","tool_choice":"required","tools":[]}`,
			[]Edit{{Param: "tool_choice", Keep: []string{"auto", "none"}}},
			map[string]any{"model": "x", "tools": []any{}}, []canonical.Coercion{{Field: "tool_choice", To: "removed"}}},
		{"named tool_choice dropped", `{"tool_choice":{"type":"function","function":{"name":"f"}},"model":"m"}`,
			[]Edit{{Param: "tool_choice", Keep: []string{"auto", "none"}}},
			map[string]any{"model": "x"}, []canonical.Coercion{{Field: "tool_choice", To: "removed"}}},
		{"auto tool_choice kept", `{"model":"m","tool_choice":"auto"}`,
			[]Edit{{Param: "tool_choice", Keep: []string{"auto", "none"}}},
			map[string]any{"model": "x", "tool_choice": "auto"}, nil},
		{"rename an unpeeked member", `{"model":"m","seed":7,"n":1}`,
			[]Edit{{Param: "seed", To: "random_seed"}},
			map[string]any{"model": "x", "random_seed": 7.0, "n": 1.0}, []canonical.Coercion{{Field: "seed", To: "random_seed"}}},
		{"rename onto an existing name drops the old one", `{"random_seed":1,"model":"m","seed":7}`,
			[]Edit{{Param: "seed", To: "random_seed"}},
			map[string]any{"model": "x", "random_seed": 1.0}, []canonical.Coercion{{Field: "seed", To: "removed"}}},
		{"drops mixed with nexus and peeked members", `{"presence_penalty":1,"nexus":{},"temperature":1,"model":"m","logprobs":true}`,
			[]Edit{{Param: "presence_penalty"}, {Param: "logprobs"}, {Param: "temperature"}},
			map[string]any{"model": "x"}, []canonical.Coercion{{Field: "presence_penalty", To: "removed"}, {Field: "logprobs", To: "removed"}, {Field: "temperature", To: "removed"}}},
		{"reserved members are never edited", `{"model":"m","stream":false}`,
			[]Edit{{Param: "model"}, {Param: "stream", To: "streaming"}, {Param: "stream_options"}},
			map[string]any{"model": "x", "stream": false}, nil},
		{"first edit of a parameter wins", `{"model":"m","top_k":3}`,
			[]Edit{{Param: "top_k", To: "k"}, {Param: "top_k"}},
			map[string]any{"model": "x", "k": 3.0}, []canonical.Coercion{{Field: "top_k", To: "k"}}},
		{"top_p dropped when temperature is present", `{"model":"m","top_p":0.9,"max_tokens":5,"temperature":0.2}`,
			[]Edit{{Param: "top_p", With: "temperature"}},
			map[string]any{"model": "x", "max_tokens": 5.0, "temperature": 0.2}, []canonical.Coercion{{Field: "top_p", To: "removed_with_temperature_present"}}},
		{"top_p alone is kept", `{"model":"m","top_p":0.9}`,
			[]Edit{{Param: "top_p", With: "temperature"}},
			map[string]any{"model": "x", "top_p": 0.9}, nil},
		{"an earlier drop of top_p wins over the conditional one", `{"model":"m","top_p":0.9,"temperature":1,"top_k":4}`,
			[]Edit{{Param: "temperature"}, {Param: "top_k"}, {Param: "top_p"}, {Param: "top_p", With: "temperature"}},
			map[string]any{"model": "x"}, []canonical.Coercion{{Field: "temperature", To: "removed"}, {Field: "top_k", To: "removed"}, {Field: "top_p", To: "removed"}}},
		{"more removals than the inline buffers", `{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9,"model":"m","nexus":1}`,
			[]Edit{{Param: "a"}, {Param: "b"}, {Param: "c"}, {Param: "d"}, {Param: "e"}, {Param: "f"}, {Param: "g"}, {Param: "h"}, {Param: "i", To: "j"}},
			map[string]any{"model": "x", "j": 9.0}, []canonical.Coercion{{Field: "a", To: "removed"}, {Field: "b", To: "removed"}, {Field: "c", To: "removed"}, {Field: "d", To: "removed"},
				{Field: "e", To: "removed"}, {Field: "f", To: "removed"}, {Field: "g", To: "removed"}, {Field: "h", To: "removed"}, {Field: "i", To: "j"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Peek([]byte(c.in))
			if err != nil {
				t.Fatal(err)
			}
			var coerced []canonical.Coercion
			out, _, err := b.Rewrite(nil, "x", Options{Edits: c.edits, Coerced: &coerced})
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(out, &got); err != nil {
				t.Fatalf("invalid JSON %s: %v", out, err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Errorf("got %s, want %v", out, c.want)
			}
			if !reflect.DeepEqual(coerced, c.coerced) {
				t.Errorf("coerced %v, want %v", coerced, c.coerced)
			}
		})
	}
}

// The no-quirk rewrite (model, nexus removal, forced usage) is the hot path:
// it must not allocate beyond the destination buffer.
func TestRewriteWithoutQuirksDoesNotAllocate(t *testing.T) {
	b, err := Peek([]byte(`{"model":"mini","nexus":{"x":1},"stream":true,"messages":[{"role":"user","content":"hi"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 512)
	allocs := testing.AllocsPerRun(100, func() {
		buf, _, _ = b.Rewrite(buf[:0], "gpt-4o-mini", Options{ForceUsage: true})
	})
	if allocs != 0 {
		t.Fatalf("Rewrite allocated %.0f times per call", allocs)
	}
	if !json.Valid(buf) || !bytes.Contains(buf, []byte(`"include_usage":true`)) || bytes.Contains(buf, []byte("nexus")) {
		t.Fatalf("rewrite = %s", buf)
	}
}

func BenchmarkRewriteWithQuirk1KB(b *testing.B) {
	body := []byte(`{"model":"kimi","stream":true,"temperature":0.3,"top_p":0.9,"tool_choice":"required","messages":[{"role":"user","content":"Summarise the following: Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex ea commodo consequat."}]}`)
	edits := []Edit{{Param: "temperature"}, {Param: "top_p"}, {Param: "tool_choice", Keep: []string{"auto", "none"}}}
	p, err := Peek(body)
	if err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 0, 2048)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		buf, _, _ = p.Rewrite(buf[:0], "kimi-k2.5", Options{ForceUsage: true, Edits: edits})
	}
}

// A body without a model (Azure deployment routes take it from the path)
// gets one, so a non-Azure upstream still learns the model.
func TestRewriteInsertsMissingModel(t *testing.T) {
	for in, want := range map[string]string{
		`{"messages":[]}`:            `{"model":"dep","messages":[]}`,
		` { "input" : "x" } `:        ` {"model":"dep", "input" : "x" } `,
		`{}`:                         `{"model":"dep"}`,
		`{"nexus":{},"messages":[]}`: `{"model":"dep","messages":[]}`,
	} {
		b, err := Peek([]byte(in))
		if err != nil {
			t.Fatal(err)
		}
		out, _, err := b.Rewrite(nil, "dep", Options{})
		if err != nil || string(out) != want {
			t.Errorf("%s: got %s (%v), want %s", in, out, err, want)
		}
	}
}
