package estimate

import (
	"encoding/json"
	"sort"
	"strings"
)

// toolProperty is one top-level argument of a tool, as the providers'
// prompt renderings show it: name, type, description and enum values.
type toolProperty struct {
	name, typ, description string
	enum                   []string
}

// properties reads the top-level properties of a tool's JSON Schema, in
// name order (providers render them in schema order; the count is the same).
func (t *toolDef) properties() []toolProperty {
	var schema struct {
		Properties map[string]struct {
			Type        json.RawMessage   `json:"type"`
			Description string            `json:"description"`
			Enum        []json.RawMessage `json:"enum"`
		} `json:"properties"`
	}
	if isNull(t.params) || json.Unmarshal(t.params, &schema) != nil {
		return nil
	}
	out := make([]toolProperty, 0, len(schema.Properties))
	for name, p := range schema.Properties {
		tp := toolProperty{name: name, description: strings.TrimSuffix(p.Description, ".")}
		if s, ok := rawString(p.Type); ok {
			tp.typ = s
		} else {
			tp.typ = compactJSON(p.Type)
		}
		for _, e := range p.Enum {
			if s, ok := rawString(e); ok {
				tp.enum = append(tp.enum, s)
			} else {
				tp.enum = append(tp.enum, compactJSON(e))
			}
		}
		out = append(out, tp)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// header is the "name:description" line of a tool.
func (t *toolDef) header() string {
	return t.name + ":" + strings.TrimSuffix(t.description, ".")
}

// line is the "name:type:description" line of a property.
func (p *toolProperty) line() string {
	return p.name + ":" + p.typ + ":" + p.description
}

// renderedChars is the length of the compact rendering of a tool (its
// header, then a line per property and its enum values), the text a
// provider's tool prompt is closest to in size.
func (t *toolDef) renderedChars() int {
	n := len(t.header())
	for _, p := range t.properties() {
		n += 1 + len(p.line())
		for _, e := range p.enum {
			n += 1 + len(e)
		}
	}
	return n
}

// jsonChars is the length of the tool definition as compact JSON (name,
// description, schema): Anthropic renders definitions as JSON.
func (t *toolDef) jsonChars() int {
	return len(t.name) + len(t.description) + len(compactJSON(t.params))
}
