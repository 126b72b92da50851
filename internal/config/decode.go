package config

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// decoder walks the go-yaml AST itself rather than unmarshalling into
// structs: it needs the line of every field (checks run after defaults are
// applied still point into the file), must reject unknown keys by line, and
// expands ${VAR} only after parsing so lines and columns are the file's.
type decoder struct {
	*errs
	getenv  func(string) string
	anchors map[string]ast.Node
}

// decode parses data into a Config with defaults applied. Problems found
// while decoding are collected in the returned errs (validation adds to it);
// err is set only when the YAML itself is unreadable.
func decode(name string, data []byte, getenv func(string) string) (*Config, *errs, error) {
	src := newSource(name)
	d := &decoder{errs: &errs{src: src, bad: map[string]bool{}}, getenv: getenv, anchors: map[string]ast.Node{}}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, nil, syntaxError(name, err)
	}
	c := &Config{Source: name, src: src}
	var body ast.Node
	for _, doc := range f.Docs {
		if doc == nil || doc.Body == nil {
			continue
		}
		if body != nil {
			d.at(lineOf(doc.Body), "", "more than one YAML document; put the whole configuration in one")
			break
		}
		body = doc.Body
	}
	modelsSet := false
	if body != nil {
		ast.Walk(anchorCollector(d.anchors), body)
		modelsSet = d.config(c, body)
	}
	c.applyDefaults(modelsSet)
	return c, d.errs, nil
}

// syntaxError reports an unreadable file by line. The parser's own message
// is used, never err.Error(): that one quotes the surrounding source lines,
// which may hold an API key. For the same reason err is not wrapped.
func syntaxError(name string, err error) error {
	var ye yaml.Error
	if errors.As(err, &ye) && ye.GetToken() != nil {
		return &FieldError{File: name, Line: ye.GetToken().Position.Line, Msg: "invalid YAML: " + ye.GetMessage()}
	}
	return &FieldError{File: name, Msg: "invalid YAML"}
}

// anchorCollector records every &anchor so *alias can be resolved wherever
// it appears; a later anchor of the same name wins, as in YAML.
type anchorCollector map[string]ast.Node

func (a anchorCollector) Visit(n ast.Node) ast.Visitor {
	if an, ok := n.(*ast.AnchorNode); ok && an.Name != nil {
		a[an.Name.GetToken().Value] = an.Value
	}
	return a
}

func lineOf(n ast.Node) int {
	if n == nil || n.GetToken() == nil {
		return 0
	}
	return n.GetToken().Position.Line
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func index(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

// fail reports a problem with the value at path and marks path so later
// checks do not pile a second message onto the same field.
func (d *decoder) fail(n ast.Node, path, format string, args ...any) {
	d.errs.bad[path] = true
	d.at(lineOf(n), path, format, args...)
}

// resolve follows anchors and aliases to the node holding the value.
func (d *decoder) resolve(path string, n ast.Node) (ast.Node, bool) {
	for hops := 0; hops < 32; hops++ {
		switch v := n.(type) {
		case nil:
			return nil, false
		case *ast.AnchorNode:
			n = v.Value
		case *ast.AliasNode:
			if v.Value == nil || v.Value.GetToken() == nil {
				d.fail(n, path, "alias without a name")
				return nil, false
			}
			name := v.Value.GetToken().Value
			target, ok := d.anchors[name]
			if !ok {
				d.fail(n, path, "alias *%s has no matching &%s anchor", name, name)
				return nil, false
			}
			n = target
		case *ast.TagNode:
			d.fail(n, path, "YAML tags (%s) are not supported", v.Start.Value)
			return nil, false
		default:
			return n, true
		}
	}
	d.fail(n, path, "alias chain too deep")
	return nil, false
}

func kind(n ast.Node) string {
	switch n.(type) {
	case *ast.MappingNode:
		return "a mapping"
	case *ast.SequenceNode:
		return "a list"
	case *ast.StringNode, *ast.LiteralNode:
		return "a string"
	case *ast.IntegerNode, *ast.FloatNode, *ast.InfinityNode, *ast.NanNode:
		return "a number"
	case *ast.BoolNode:
		return "a boolean"
	case *ast.NullNode:
		return "null"
	}
	return "an unsupported YAML node"
}

// field is one known key of a mapping and what to do with its value.
type field struct {
	key string
	set func(path string, v ast.Node)
}

// object decodes a mapping against its known keys. Unknown keys are errors
// (a typo must not silently fall back to a default), except "x-" keys when
// allowExt is set: they are free for holding &anchors. Null counts as an
// empty mapping.
func (d *decoder) object(path string, n ast.Node, allowExt bool, fields []field) {
	n, ok := d.resolve(path, n)
	if !ok {
		return
	}
	if _, null := n.(*ast.NullNode); null {
		return
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.fail(n, path, "expected a mapping, got %s", kind(n))
		return
	}
	for _, kv := range m.Values {
		key, ok := d.key(path, kv)
		if !ok {
			continue
		}
		child := join(path, key)
		d.src.lines[child] = lineOf(kv.Key)
		f := lookupField(fields, key)
		if f == nil {
			if allowExt && strings.HasPrefix(key, "x-") {
				continue
			}
			d.at(lineOf(kv.Key), child, "unknown field%s", suggest(key, fields))
			continue
		}
		f.set(child, kv.Value)
	}
}

func lookupField(fields []field, key string) *field {
	for i := range fields {
		if fields[i].key == key {
			return &fields[i]
		}
	}
	return nil
}

// key returns the text of a mapping key; only plain scalar keys are valid.
func (d *decoder) key(path string, kv *ast.MappingValueNode) (string, bool) {
	switch k := kv.Key.(type) {
	case *ast.StringNode:
		return k.Value, true
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.NullNode:
		return k.GetToken().Value, true
	case *ast.MergeKeyNode:
		d.fail(kv.Key, path, "merge keys (<<) are not supported; use an alias (*name) for a whole value")
	default:
		d.fail(kv.Key, path, "keys must be plain strings")
	}
	return "", false
}

// list returns the items of a sequence (recording each item's line); null
// is an empty list.
func (d *decoder) list(path string, n ast.Node) ([]ast.Node, bool) {
	n, ok := d.resolve(path, n)
	if !ok {
		return nil, false
	}
	switch v := n.(type) {
	case *ast.NullNode:
		return nil, true
	case *ast.SequenceNode:
		for i, item := range v.Values {
			d.src.lines[index(path, i)] = lineOf(item)
		}
		return v.Values, true
	}
	d.fail(n, path, "expected a list, got %s", kind(n))
	return nil, false
}

// text returns a scalar's value with ${VAR} expanded in strings; null is "".
// Error messages name the expected type and the node kind only, never the
// value, so this is safe for secrets.
func (d *decoder) text(path string, n ast.Node, want string) (string, bool) {
	n, ok := d.resolve(path, n)
	if !ok {
		return "", false
	}
	var raw string
	switch v := n.(type) {
	case *ast.NullNode:
		return "", true
	case *ast.StringNode:
		raw = v.Value
	case *ast.LiteralNode:
		if v.Value != nil {
			raw = v.Value.Value
		}
	case *ast.IntegerNode, *ast.FloatNode, *ast.BoolNode, *ast.InfinityNode, *ast.NanNode:
		return v.GetToken().Value, true // as written: "2024-10-21", "0x10"
	default:
		d.fail(n, path, "expected %s, got %s", want, kind(n))
		return "", false
	}
	out, unset, err := expand(raw, d.getenv)
	if err != nil {
		d.fail(n, path, "%v", err)
		return "", false
	}
	if len(unset) > 0 {
		d.src.unset[path] = unset
	}
	return out, true
}

func (d *decoder) str(path string, n ast.Node) string {
	s, _ := d.text(path, n, "a string")
	return s
}

func (d *decoder) strList(path string, n ast.Node) []string {
	items, ok := d.list(path, n)
	if !ok || items == nil {
		return nil
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		out = append(out, d.str(index(path, i), item))
	}
	return out
}

// strMap decodes a mapping of strings (header names to values).
func (d *decoder) strMap(path string, n ast.Node) map[string]string {
	return mapping(d, path, n, d.str)
}

// strListMap decodes a mapping of string lists.
func (d *decoder) strListMap(path string, n ast.Node) map[string][]string {
	return mapping(d, path, n, d.strList)
}

// mapping decodes a mapping whose values val decodes, recording each key's
// line so errors about a value can name it.
func mapping[V any](d *decoder, path string, n ast.Node, val func(string, ast.Node) V) map[string]V {
	n, ok := d.resolve(path, n)
	if !ok {
		return nil
	}
	if _, null := n.(*ast.NullNode); null {
		return nil
	}
	m, ok := n.(*ast.MappingNode)
	if !ok {
		d.fail(n, path, "expected a mapping, got %s", kind(n))
		return nil
	}
	out := make(map[string]V, len(m.Values))
	for _, kv := range m.Values {
		key, ok := d.key(path, kv)
		if !ok {
			continue
		}
		child := join(path, key)
		d.src.lines[child] = lineOf(kv.Key)
		out[key] = val(child, kv.Value)
	}
	return out
}

// integer decodes a whole number; YAML integers (0x10, 1_000) and strings
// (typically from ${VAR}) are accepted. Null or "" is 0.
func (d *decoder) integer(path string, n ast.Node) int64 {
	n, ok := d.resolve(path, n)
	if !ok {
		return 0
	}
	if in, ok := n.(*ast.IntegerNode); ok {
		switch v := in.Value.(type) {
		case int64:
			return v
		case uint64:
			if v <= math.MaxInt64 {
				return int64(v)
			}
		}
		d.fail(n, path, "number too large")
		return 0
	}
	s, ok := d.text(path, n, "an integer")
	if !ok || s == "" {
		return 0
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		d.fail(n, path, "expected an integer, got %s", quoteShort(s))
		return 0
	}
	return v
}

// number decodes a finite decimal; nil for null or "".
func (d *decoder) number(path string, n ast.Node) *float64 {
	s, ok := d.text(path, n, "a number")
	if !ok || s == "" {
		return nil
	}
	v, err := strconv.ParseFloat(strings.ReplaceAll(s, "_", ""), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		d.fail(n, path, "expected a number, got %s", quoteShort(s))
		return nil
	}
	return &v
}

// duration decodes a Go duration ("30s", "1m30s"); null, "" or 0 is 0.
func (d *decoder) duration(path string, n ast.Node) time.Duration {
	s, ok := d.text(path, n, "a duration")
	if !ok || s == "" {
		return 0
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		d.fail(n, path, "invalid duration %s: want a Go duration such as 30s, 1m30s or 500ms", quoteShort(s))
		return 0
	}
	return v
}

// size decodes a byte count: an integer or a human size ("32MiB").
func (d *decoder) size(path string, n ast.Node) int64 {
	n, ok := d.resolve(path, n)
	if !ok {
		return 0
	}
	if _, isInt := n.(*ast.IntegerNode); isInt {
		v := d.integer(path, n) // keeps YAML integer forms such as 0x10
		if v < 0 {
			d.fail(n, path, "invalid size %q: must not be negative", strconv.FormatInt(v, 10))
			return 0
		}
		return v
	}
	s, ok := d.text(path, n, "a size")
	if !ok || s == "" {
		return 0
	}
	v, err := parseSize(s)
	if err != nil {
		d.fail(n, path, "invalid size %s: %v", quoteShort(s), err)
		return 0
	}
	return v
}

// quoteShort quotes a (non-secret) value for an error message, cut short so
// a pasted blob does not flood the log.
func quoteShort(s string) string {
	const maxLen = 40
	if len(s) > maxLen {
		return strconv.Quote(s[:maxLen]) + "…"
	}
	return strconv.Quote(s)
}
