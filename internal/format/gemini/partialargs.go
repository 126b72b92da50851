package gemini

import (
	"strconv"
	"strings"
)

// argsBuilder assembles the arguments of a function call that Gemini streams
// as partialArgs (streamFunctionCallArguments): each entry sets one JSON path
// to a value, and a string value may arrive in pieces (willContinue) that
// concatenate. The object is built once the call closes, so the canonical
// stream still gets the whole arguments in one delta.
type argsBuilder struct {
	entries []argEntry
}

type argEntry struct {
	path   string
	str    []byte // string value so far, when isStr
	isStr  bool
	open   bool   // the last piece said willContinue
	scalar string // JSON literal of a number/bool/null value
}

func (b *argsBuilder) add(pa partialArg) {
	switch {
	case pa.StringValue != nil:
		for i := range b.entries {
			e := &b.entries[i]
			if e.path == pa.JSONPath && e.isStr && e.open {
				e.str = append(e.str, *pa.StringValue...)
				e.open = pa.WillContinue
				return
			}
		}
		b.entries = append(b.entries, argEntry{path: pa.JSONPath, isStr: true, str: []byte(*pa.StringValue), open: pa.WillContinue})
	case pa.NumberValue != nil:
		b.entries = append(b.entries, argEntry{path: pa.JSONPath, scalar: strconv.FormatFloat(*pa.NumberValue, 'g', -1, 64)})
	case pa.BoolValue != nil:
		b.entries = append(b.entries, argEntry{path: pa.JSONPath, scalar: strconv.FormatBool(*pa.BoolValue)})
	case pa.NullValue != nil:
		b.entries = append(b.entries, argEntry{path: pa.JSONPath, scalar: "null"})
	}
}

// json renders the assembled object ("{}" when nothing arrived). Entries
// whose path cannot be parsed are kept under their raw path as a key rather
// than dropped.
func (b *argsBuilder) json() string {
	root := &node{kind: 'o'}
	for _, e := range b.entries {
		var v *node
		if e.isStr {
			v = &node{kind: 'v', value: appendString(nil, string(e.str))}
		} else {
			v = &node{kind: 'v', value: []byte(e.scalar)}
		}
		segs, ok := parsePath(e.path)
		if !ok || len(segs) == 0 {
			root.set(strings.TrimPrefix(e.path, "$."), v)
			continue
		}
		setPath(root, segs, v)
	}
	return string(root.appendJSON(nil))
}

// pathSeg is one step of a JSON path: an object key or an array index.
type pathSeg struct {
	key   string
	index int
	isIdx bool
}

// maxArgIndex bounds array indexes in paths so a hostile "$[1000000000]"
// cannot make setPath allocate a huge array.
const maxArgIndex = 10000

// parsePath reads the RFC 9535 subset Gemini emits: $.a.b[0], $['a b'].
func parsePath(p string) ([]pathSeg, bool) {
	if !strings.HasPrefix(p, "$") {
		return nil, false
	}
	var segs []pathSeg
	for i := 1; i < len(p); {
		switch p[i] {
		case '.':
			j := i + 1
			for j < len(p) && p[j] != '.' && p[j] != '[' {
				j++
			}
			if j == i+1 {
				return nil, false
			}
			segs = append(segs, pathSeg{key: p[i+1 : j]})
			i = j
		case '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, false
			}
			inner := p[i+1 : i+end]
			if len(inner) >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[len(inner)-1] == inner[0] {
				segs = append(segs, pathSeg{key: inner[1 : len(inner)-1]})
			} else {
				n, err := strconv.Atoi(inner)
				if err != nil || n < 0 || n > maxArgIndex {
					return nil, false
				}
				segs = append(segs, pathSeg{index: n, isIdx: true})
			}
			i += end + 1
		default:
			return nil, false
		}
	}
	return segs, true
}

// setPath stores v at segs under n, creating objects and arrays on the way
// and replacing a container of the wrong kind.
func setPath(n *node, segs []pathSeg, v *node) {
	for k, s := range segs {
		last := k == len(segs)-1
		if s.isIdx {
			if n.kind != 'a' {
				*n = node{kind: 'a'}
			}
			for len(n.vals) <= s.index {
				n.vals = append(n.vals, &node{kind: 'v', value: []byte("null")})
			}
			if last {
				n.vals[s.index] = v
				return
			}
			n = childContainer(&n.vals[s.index], segs[k+1])
			continue
		}
		if n.kind != 'o' {
			*n = node{kind: 'o'}
		}
		if last {
			n.set(s.key, v)
			return
		}
		child := n.get(s.key)
		if child == nil {
			child = &node{kind: 'v', value: []byte("null")}
			n.set(s.key, child)
		}
		n = childContainer(&child, segs[k+1])
	}
}

// childContainer makes *slot the container the next segment needs.
func childContainer(slot **node, next pathSeg) *node {
	want := byte('o')
	if next.isIdx {
		want = 'a'
	}
	if (*slot).kind != want {
		**slot = node{kind: want}
	}
	return *slot
}
