package jsonscan

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

var keys = []string{"model", "stream", "nexus"}

func TestObjectFindsTopLevelMembersOnly(t *testing.T) {
	body := []byte(`{"messages":[{"model":"inner","stream":false}],"model":"gpt-4o","stream":true,"x":{"model":1}}`)
	out := make([]Member, len(keys))
	if err := Object(body, keys, out); err != nil {
		t.Fatal(err)
	}
	if m, ok := String(body, out[0]); !ok || m != "gpt-4o" {
		t.Fatalf("model = %q %v", m, ok)
	}
	if s, ok := Bool(body, out[1]); !ok || !s {
		t.Fatalf("stream = %v %v", s, ok)
	}
	if out[2].Found {
		t.Fatal("nexus should be absent")
	}
}

func TestObjectRecognisesEscapedKeys(t *testing.T) {
	body := []byte(`{"mod\u0065l":"a\"b"}`)
	out := make([]Member, len(keys))
	if err := Object(body, keys, out); err != nil {
		t.Fatal(err)
	}
	if m, ok := String(body, out[0]); !ok || m != `a"b` {
		t.Fatalf("model = %q %v", m, ok)
	}
}

func TestObjectRejectsDuplicateWantedKey(t *testing.T) {
	out := make([]Member, len(keys))
	err := Object([]byte(`{"model":"a","model":"b"}`), keys, out)
	var dup *DuplicateKeyError
	if !errors.As(err, &dup) || dup.Key != "model" {
		t.Fatalf("err = %v", err)
	}
}

func TestObjectErrors(t *testing.T) {
	cases := map[string]string{
		"empty":          ``,
		"array":          `[1,2]`,
		"truncated":      `{"model":"a"`,
		"trailing":       `{"model":"a"} x`,
		"bad escape":     `{"a":"\x"}`,
		"bad number":     `{"a":01}`,
		"bad fraction":   `{"a":1.}`,
		"control char":   "{\"a\":\"\x01\"}",
		"missing colon":  `{"a" 1}`,
		"trailing comma": `{"a":1,}`,
		"bad literal":    `{"a":tru}`,
		"deep":           strings.Repeat("[", MaxDepth+5) + strings.Repeat("]", MaxDepth+5),
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out := make([]Member, len(keys))
			if err := Object([]byte(in), keys, out); err == nil {
				t.Fatalf("expected an error for %q", in)
			}
		})
	}
}

func TestRemovalSpanKeepsValidJSON(t *testing.T) {
	for _, in := range []string{
		`{"nexus":{"ext":{}},"model":"a"}`,
		`{"model":"a", "nexus":{"ext":{}} }`,
		`{"model":"a","nexus":1,"stream":true}`,
		`{ "nexus" : 1 }`,
	} {
		body := []byte(in)
		out := make([]Member, len(keys))
		if err := Object(body, keys, out); err != nil {
			t.Fatal(err)
		}
		s, e := RemovalSpan(body, out[2])
		got := append(append([]byte{}, body[:s]...), body[e:]...)
		var m map[string]any
		if err := json.Unmarshal(got, &m); err != nil {
			t.Fatalf("%s -> %s: %v", in, got, err)
		}
		if _, has := m["nexus"]; has {
			t.Fatalf("%s -> %s still has nexus", in, got)
		}
	}
}

func FuzzObject(f *testing.F) {
	for _, s := range []string{`{"model":"gpt","stream":true}`, `{"a":[1,2,{"b":null}],"model":"x\u00e9"}`, `{}`, `[`, `{"a":-0.5e+3}`, `"x"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		out := make([]Member, len(keys))
		err := Object(body, keys, out)
		validStd := json.Valid(body)
		isObj := false
		if validStd {
			var v any
			_ = json.Unmarshal(body, &v)
			_, isObj = v.(map[string]any)
		}
		var dup *DuplicateKeyError
		switch {
		case errors.As(err, &dup):
			return
		case err == nil && !(validStd && isObj):
			t.Fatalf("accepted invalid or non-object input %q", body)
		case err != nil && validStd && isObj:
			t.Fatalf("rejected valid object %q: %v", body, err)
		}
		if err == nil && out[0].Found {
			var m map[string]json.RawMessage
			if json.Unmarshal(body, &m) == nil {
				if string(m["model"]) != string(body[out[0].ValStart:out[0].ValEnd]) {
					t.Fatalf("model span mismatch: %q vs %q", m["model"], body[out[0].ValStart:out[0].ValEnd])
				}
			}
		}
	})
}

func BenchmarkObject50KB(b *testing.B) {
	msg := `{"role":"user","content":"` + strings.Repeat("lorem ipsum dolor sit amet ", 40) + `"},`
	body := []byte(`{"model":"gpt-4o-mini","messages":[` + strings.Repeat(msg, 45) + `{"role":"user","content":"hi"}],"stream":true}`)
	out := make([]Member, len(keys))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if err := Object(body, keys, out); err != nil {
			b.Fatal(err)
		}
	}
}
