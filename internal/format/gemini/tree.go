package gemini

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// node is an order-preserving JSON value. Schemas are rewritten through it
// rather than map[string]any because key order in a schema is meaningful to
// models (property order drives structured-output order), and streamed
// function-call arguments are assembled in it in arrival order. Neither runs
// per chunk: schemas per request, argument trees once per streamed call.
type node struct {
	kind  byte            // 'o' object, 'a' array, 'v' scalar
	keys  []string        // object keys, in order
	vals  []*node         // object values (parallel to keys) or array items
	value json.RawMessage // scalar literal
}

// maxTreeDepth bounds nesting so hostile input cannot exhaust the stack.
const maxTreeDepth = 200

var errTooDeep = errors.New("JSON nesting too deep")

func parseTree(b []byte) (*node, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	n, err := readNode(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err == nil {
		return nil, errors.New("trailing data after JSON value")
	}
	return n, nil
}

func readNode(dec *json.Decoder, depth int) (*node, error) {
	if depth > maxTreeDepth {
		return nil, errTooDeep
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			n := &node{kind: 'o'}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				key, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("object key is %T", kt)
				}
				v, err := readNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.set(key, v)
			}
			_, err := dec.Token() // '}'
			return n, err
		case '[':
			n := &node{kind: 'a'}
			for dec.More() {
				v, err := readNode(dec, depth+1)
				if err != nil {
					return nil, err
				}
				n.vals = append(n.vals, v)
			}
			_, err := dec.Token() // ']'
			return n, err
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	case json.Number:
		return &node{kind: 'v', value: json.RawMessage(t)}, nil
	case nil:
		return &node{kind: 'v', value: json.RawMessage("null")}, nil
	default: // string or bool
		raw, err := json.Marshal(t)
		return &node{kind: 'v', value: raw}, err
	}
}

// scalar builds a scalar node from a Go value.
func scalar(v any) *node {
	raw, err := json.Marshal(v)
	if err != nil {
		raw = json.RawMessage("null")
	}
	return &node{kind: 'v', value: raw}
}

// get returns the value under key of an object node, nil if absent.
func (n *node) get(key string) *node {
	for i, k := range n.keys {
		if k == key {
			return n.vals[i]
		}
	}
	return nil
}

// set replaces key's value or appends it, keeping first-seen order.
func (n *node) set(key string, v *node) {
	for i, k := range n.keys {
		if k == key {
			n.vals[i] = v
			return
		}
	}
	n.keys = append(n.keys, key)
	n.vals = append(n.vals, v)
}

func (n *node) del(key string) {
	for i, k := range n.keys {
		if k == key {
			n.keys = append(n.keys[:i], n.keys[i+1:]...)
			n.vals = append(n.vals[:i], n.vals[i+1:]...)
			return
		}
	}
}

// str returns the string a scalar node holds, ok=false if it is not a string.
func (n *node) str() (string, bool) {
	if n == nil || n.kind != 'v' || len(n.value) == 0 || n.value[0] != '"' {
		return "", false
	}
	var s string
	if err := json.Unmarshal(n.value, &s); err != nil {
		return "", false
	}
	return s, true
}

// appendJSON writes n compactly.
func (n *node) appendJSON(dst []byte) []byte {
	switch n.kind {
	case 'o':
		dst = append(dst, '{')
		for i, k := range n.keys {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, k)
			dst = append(dst, ':')
			dst = n.vals[i].appendJSON(dst)
		}
		return append(dst, '}')
	case 'a':
		dst = append(dst, '[')
		for i, v := range n.vals {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = v.appendJSON(dst)
		}
		return append(dst, ']')
	}
	return append(dst, n.value...)
}

// Schema keywords whose value is a schema, a map of schemas, or a list of
// schemas: the places normalizeSchema recurses into. Anything else (enum,
// default, example, const…) is data and is left untouched.
func schemaChildKind(key string) byte {
	switch key {
	case "items", "additionalProperties", "not", "propertyNames", "contains",
		"if", "then", "else", "additionalItems", "unevaluatedItems", "unevaluatedProperties":
		return 's'
	case "properties", "$defs", "definitions", "patternProperties", "dependentSchemas":
		return 'm'
	case "anyOf", "oneOf", "allOf", "prefixItems":
		return 'l'
	}
	return 0
}

// normalizeSchema turns a Gemini Schema (OpenAPI 3.0 subset: upper-case type
// enum, nullable) into JSON Schema, the canonical form of Tool.Parameters and
// ResponseFormat.Schema: types are lower-cased, TYPE_UNSPECIFIED dropped and
// nullable:true folded into a ["t","null"] type union. Other keywords are
// kept in order; a schema that already is JSON Schema comes back unchanged
// (apart from whitespace).
func normalizeSchema(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	root, err := parseTree(raw)
	if err != nil {
		return nil, err
	}
	normalizeNode(root)
	return root.appendJSON(nil), nil
}

func normalizeNode(n *node) {
	if n == nil || n.kind != 'o' {
		return
	}
	for i, key := range n.keys {
		v := n.vals[i]
		switch schemaChildKind(key) {
		case 's':
			normalizeNode(v)
		case 'm':
			if v.kind == 'o' {
				for _, child := range v.vals {
					normalizeNode(child)
				}
			}
		case 'l':
			if v.kind == 'a' {
				for _, child := range v.vals {
					normalizeNode(child)
				}
			}
		}
	}
	if t := n.get("type"); t != nil {
		switch t.kind {
		case 'v':
			if s, ok := t.str(); ok {
				if s == "TYPE_UNSPECIFIED" {
					n.del("type")
				} else {
					n.set("type", scalar(strings.ToLower(s)))
				}
			}
		case 'a':
			for i, item := range t.vals {
				if s, ok := item.str(); ok {
					t.vals[i] = scalar(strings.ToLower(s))
				}
			}
		}
	}
	if nb := n.get("nullable"); nb != nil && nb.kind == 'v' {
		t := n.get("type")
		ts, isStr := t.str()
		switch {
		case string(nb.value) == "false":
			n.del("nullable")
		case string(nb.value) == "true" && isStr:
			n.set("type", &node{kind: 'a', vals: []*node{scalar(ts), scalar("null")}})
			n.del("nullable")
		}
	}
}
