package gemini

import (
	"encoding/base64"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"testing"
)

// TestRequestFixturesRoundTrip: every recorded request decodes to the golden
// canonical form and re-encodes to a body equal to the original on the
// projection this codec promises to keep.
func TestRequestFixturesRoundTrip(t *testing.T) {
	for _, name := range fixtureFiles(t, "gemini", ".request.json") {
		t.Run(strings.TrimSuffix(name, ".request.json"), func(t *testing.T) {
			body := readFixture(t, "gemini", name)
			req, err := DecodeRequest(body)
			if err != nil {
				t.Fatalf("DecodeRequest: %v", err)
			}
			golden(t, strings.TrimSuffix(name, ".json")+".canonical.json", req)

			wire, _, err := EncodeRequest(req, "gemini-2.5-flash")
			if err != nil {
				t.Fatalf("EncodeRequest: %v", err)
			}
			if strings.Contains(string(wire), `"nexus"`) {
				t.Errorf("encoded body leaks the nexus key: %s", wire)
			}
			got, want := requestProjection(t, wire), requestProjection(t, body)
			if !reflect.DeepEqual(got, want) {
				g, _ := json.MarshalIndent(got, "", " ")
				w, _ := json.MarshalIndent(want, "", " ")
				t.Errorf("re-encoded request differs on the projection:\n got: %s\nwant: %s", clip(g), clip(w))
			}
		})
	}
}

// requestProjection reads a Gemini request generically (either key
// spelling) into what the codec keeps: roles, parts (text, thought,
// signatures, media bytes, calls with args, responses), system, tools with
// schemas (Gemini Schema types lower-cased, as JSON Schema), tool config,
// generation config (thinkingConfig keys lowerCamel), safety settings.
func requestProjection(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatal(err)
	}
	p := map[string]any{}
	var system []string
	if si, ok := field(m, "systemInstruction").(map[string]any); ok {
		for _, part := range asList(field(si, "parts")) {
			system = append(system, str(field(part.(map[string]any), "text")))
		}
	}
	p["system"] = strings.Join(system, "\n")

	var contents []any
	for _, c := range asList(field(m, "contents")) {
		cm := c.(map[string]any)
		role := str(field(cm, "role"))
		if role == "" || role == "function" {
			role = "user"
		}
		var parts []any
		for _, part := range asList(field(cm, "parts")) {
			parts = append(parts, partProjection(t, part.(map[string]any)))
		}
		// Consecutive turns of one role are one turn to Gemini; the encoder
		// joins tool results with the user turn next to them.
		if n := len(contents); n > 0 && contents[n-1].(map[string]any)["role"] == role {
			prev := contents[n-1].(map[string]any)
			prev["parts"] = append(prev["parts"].([]any), parts...)
			continue
		}
		contents = append(contents, map[string]any{"role": role, "parts": parts})
	}
	p["contents"] = contents

	var tools, names []any
	for _, tool := range asList(field(m, "tools")) {
		for k, v := range tool.(map[string]any) {
			if camel(k) != "functionDeclarations" {
				tools = append(tools, map[string]any{"other": camel(k), "value": v})
				continue
			}
			for _, d := range asList(v) {
				dm := d.(map[string]any)
				schema := field(dm, "parametersJsonSchema")
				if schema == nil {
					schema = lowerTypes(field(dm, "parameters"))
				}
				names = append(names, str(field(dm, "name")))
				tools = append(tools, map[string]any{"name": field(dm, "name"), "description": str(field(dm, "description")), "schema": schema})
			}
		}
	}
	p["tools"] = tools

	if tc, ok := field(m, "toolConfig").(map[string]any); ok {
		fcc, _ := field(tc, "functionCallingConfig").(map[string]any)
		allowed := asList(field(fcc, "allowedFunctionNames"))
		// ANY over every declared tool is the same as plain ANY.
		if str(field(fcc, "mode")) == "ANY" && sameSet(allowed, names) {
			allowed = nil
		}
		p["toolChoice"] = map[string]any{"mode": field(fcc, "mode"), "allowed": allowed}
	}

	gc := map[string]any{}
	if g, ok := field(m, "generationConfig").(map[string]any); ok {
		for k, v := range g {
			k = camel(k)
			switch k {
			case "thinkingConfig":
				tc := map[string]any{}
				for tk, tv := range v.(map[string]any) {
					tc[camel(tk)] = tv
				}
				v = tc
			case "responseSchema":
				k, v = "schema", lowerTypes(v)
			case "responseJsonSchema":
				k = "schema"
			}
			gc[k] = v
		}
	}
	p["generationConfig"] = gc
	p["safetySettings"] = field(m, "safetySettings")
	return p
}

func partProjection(t *testing.T, pm map[string]any) map[string]any {
	out := map[string]any{}
	if v, ok := pm["text"]; ok {
		out["text"] = v
	}
	if field(pm, "thought") == true {
		out["thought"] = true
	}
	if s := str(field(pm, "thoughtSignature")); s != "" {
		out["signature"] = s
	}
	if b, ok := field(pm, "inlineData").(map[string]any); ok {
		data := str(field(b, "data"))
		raw, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(data), "="))
		if err != nil {
			t.Fatalf("inlineData is not base64: %v", err)
		}
		out["inline"] = map[string]any{"mime": field(b, "mimeType"), "bytes": len(raw), "data": base64.StdEncoding.EncodeToString(raw)}
	}
	if f, ok := field(pm, "fileData").(map[string]any); ok {
		out["file"] = map[string]any{"mime": field(f, "mimeType"), "uri": field(f, "fileUri")}
	}
	if fc, ok := field(pm, "functionCall").(map[string]any); ok {
		args := field(fc, "args")
		if args == nil {
			args = map[string]any{}
		}
		out["call"] = map[string]any{"id": str(field(fc, "id")), "name": field(fc, "name"), "args": args}
	}
	if fr, ok := field(pm, "functionResponse").(map[string]any); ok {
		out["response"] = map[string]any{"id": str(field(fr, "id")), "name": field(fr, "name"), "response": field(fr, "response")}
	}
	return out
}

// field reads key in lowerCamel or snake_case spelling.
func field(m map[string]any, key string) any {
	if m == nil {
		return nil
	}
	if v, ok := m[key]; ok {
		return v
	}
	var b strings.Builder
	for _, r := range key {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return m[b.String()]
}

func asList(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case map[string]any:
		return []any{x}
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func sameSet(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	as, bs := make([]string, len(a)), make([]string, len(b))
	for i := range a {
		as[i], bs[i] = str(a[i]), str(b[i])
	}
	sort.Strings(as)
	sort.Strings(bs)
	return reflect.DeepEqual(as, bs)
}

// lowerTypes is the test's own model of Gemini Schema → JSON Schema for the
// fixtures (no nullable there): every string "type" lower-cased.
func lowerTypes(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, val := range x {
			if s, ok := val.(string); ok && k == "type" {
				out[k] = strings.ToLower(s)
				continue
			}
			out[k] = lowerTypes(val)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = lowerTypes(x[i])
		}
		return out
	}
	return v
}
