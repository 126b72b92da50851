package openai

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	"github.com/nexus-gateway/nexus/internal/jsonscan"
)

// A large prompt makes encoding/json the translated path's main cost: it
// validates the whole body, then scans it again while decoding, then copies
// every string. decodeWire does the same job for the one member that holds
// the bulk of a request — "messages" — with a single validating walk and one
// copy per string, and leaves everything else to encoding/json on a small
// "skeleton" of the body. Whenever anything is unusual (a syntax error, a
// key spelt in another case, a type encoding/json would reject, invalid
// UTF-8) it gives up and the caller decodes the whole body with
// encoding/json, which then produces the same result or the exact error.

// decodeWire fills w as json.Unmarshal(body, w) would; false means "use
// encoding/json instead" (w may then be partly filled).
func decodeWire(body []byte, w *wireRequest) bool {
	l := lexer{b: body}
	var msgs []wireMessage
	// The messages are decoded where the top-level walk meets them, so the
	// bulk of the body is scanned once, not once to find its end and again
	// to decode it.
	start, end, ok := l.member("messages", func(l *lexer) bool {
		var ok bool
		msgs, ok = l.messages()
		return ok
	})
	if !ok || start < 0 {
		return false
	}
	skeleton := make([]byte, 0, len(body)-(end-start)+2)
	skeleton = append(append(append(skeleton, body[:start]...), "[]"...), body[end:]...)
	if json.Unmarshal(skeleton, w) != nil {
		return false
	}
	w.Messages = msgs
	return true
}

// maxDepth matches encoding/json's nesting limit closely enough: deeper
// input goes to encoding/json.
const maxDepth = 1000

// lexer walks JSON text, validating as it goes. Every method reports false
// on anything it does not accept.
type lexer struct {
	b []byte
	i int
}

func (l *lexer) ws() {
	for l.i < len(l.b) {
		switch l.b[l.i] {
		case ' ', '\t', '\n', '\r':
			l.i++
		default:
			return
		}
	}
}

func (l *lexer) eat(c byte) bool {
	l.ws()
	if l.i < len(l.b) && l.b[l.i] == c {
		l.i++
		return true
	}
	return false
}

// member finds the value span of a top-level key of the object that is the
// whole of l.b, consuming that value with walk; start is -1 when the key is
// absent. A duplicate, or the key spelt in another case (encoding/json
// matches those too), is refused.
func (l *lexer) member(key string, walk func(*lexer) bool) (start, end int, ok bool) {
	start = -1
	if !l.eat('{') {
		return 0, 0, false
	}
	if l.eat('}') {
		return start, 0, l.end()
	}
	for {
		l.ws()
		ks, ke, esc, ok := l.str()
		if !ok || esc {
			return 0, 0, false
		}
		k := l.b[ks+1 : ke-1]
		if !l.eat(':') {
			return 0, 0, false
		}
		l.ws()
		vs := l.i
		if strings.EqualFold(string(k), key) {
			if string(k) != key || start >= 0 || !walk(l) {
				return 0, 0, false
			}
			start, end = vs, l.i
		} else if !l.value(1) {
			return 0, 0, false
		}
		if l.eat(',') {
			continue
		}
		if !l.eat('}') {
			return 0, 0, false
		}
		return start, end, l.end()
	}
}

// end reports whether only whitespace is left.
func (l *lexer) end() bool {
	l.ws()
	return l.i == len(l.b)
}

// str scans the string at l.i; the span includes the quotes. esc reports
// backslash escapes.
func (l *lexer) str() (start, end int, esc, ok bool) {
	b := l.b
	if l.i >= len(b) || b[l.i] != '"' {
		return 0, 0, false, false
	}
	start = l.i
	i := l.i + 1
	for {
		i += jsonscan.PlainRun(b[i:])
		if i >= len(b) || b[i] < 0x20 {
			return 0, 0, false, false
		}
		if b[i] == '"' {
			l.i = i + 1
			return start, l.i, esc, true
		}
		esc = true
		if i+1 >= len(b) {
			return 0, 0, false, false
		}
		switch b[i+1] {
		case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			i += 2
		case 'u':
			if _, n := hexRune(b[i+2:]); n == 0 {
				return 0, 0, false, false
			}
			i += 6
		default:
			return 0, 0, false, false
		}
	}
}

// value scans any JSON value at l.i (after whitespace).
func (l *lexer) value(depth int) bool {
	l.ws()
	if l.i >= len(l.b) || depth > maxDepth {
		return false
	}
	switch c := l.b[l.i]; {
	case c == '"':
		_, _, _, ok := l.str()
		return ok
	case c == '{':
		l.i++
		if l.eat('}') {
			return true
		}
		for {
			l.ws()
			if _, _, _, ok := l.str(); !ok || !l.eat(':') || !l.value(depth+1) {
				return false
			}
			if l.eat(',') {
				continue
			}
			return l.eat('}')
		}
	case c == '[':
		l.i++
		if l.eat(']') {
			return true
		}
		for {
			if !l.value(depth + 1) {
				return false
			}
			if l.eat(',') {
				continue
			}
			return l.eat(']')
		}
	case c == 't':
		return l.lit("true")
	case c == 'f':
		return l.lit("false")
	case c == 'n':
		return l.lit("null")
	case c == '-' || c >= '0' && c <= '9':
		return l.number()
	}
	return false
}

func (l *lexer) lit(word string) bool {
	if len(l.b)-l.i >= len(word) && string(l.b[l.i:l.i+len(word)]) == word {
		l.i += len(word)
		return true
	}
	return false
}

// number scans -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?.
func (l *lexer) number() bool {
	b, i := l.b, l.i
	digits := func() bool {
		s := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		return i > s
	}
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case !digits():
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	l.i = i
	return true
}

// messages decodes the array of messages at l.i. Members with small values
// go through encoding/json (exact semantics); content stays a reference into
// the body for decodeContent, which unquotes it once.
func (l *lexer) messages() ([]wireMessage, bool) {
	if !l.eat('[') {
		return nil, false
	}
	msgs := make([]wireMessage, 0, 8)
	if l.eat(']') {
		return msgs, true
	}
	for {
		var wm wireMessage
		if !l.message(&wm) {
			return nil, false
		}
		msgs = append(msgs, wm)
		if l.eat(',') {
			continue
		}
		return msgs, l.eat(']')
	}
}

func (l *lexer) message(wm *wireMessage) bool {
	if !l.eat('{') {
		return false // null elements and the like: encoding/json decides
	}
	if l.eat('}') {
		return true
	}
	for {
		l.ws()
		ks, ke, esc, ok := l.str()
		if !ok || esc || !l.eat(':') {
			return false
		}
		k := string(l.b[ks+1 : ke-1])
		l.ws()
		vs := l.i
		if !l.value(2) {
			return false
		}
		v := l.b[vs:l.i]
		switch k {
		case "role":
			ok = stringField(v, &wm.Role)
		case "name":
			ok = stringField(v, &wm.Name)
		case "tool_call_id":
			ok = stringField(v, &wm.ToolCallID)
		case "content":
			wm.Content = rawRef(v)
		case "refusal":
			ok = optString(v, &wm.Refusal)
		case "reasoning_content":
			ok = optString(v, &wm.ReasoningContent)
		case "reasoning":
			ok = optString(v, &wm.Reasoning)
		case "tool_calls":
			wm.ToolCalls = nil
			ok = json.Unmarshal(v, &wm.ToolCalls) == nil
		default:
			// encoding/json would match these case-insensitively.
			for _, known := range [...]string{"role", "name", "tool_call_id", "content", "refusal", "reasoning_content", "reasoning", "tool_calls"} {
				if strings.EqualFold(k, known) {
					return false
				}
			}
		}
		if !ok {
			return false
		}
		if l.eat(',') {
			continue
		}
		return l.eat('}')
	}
}

// stringField decodes a string (or null, which leaves dst alone) exactly as
// encoding/json would; false for other types.
func stringField(v []byte, dst *string) bool {
	if len(v) > 0 && v[0] == 'n' {
		return true
	}
	s, ok := unquote(v)
	if ok {
		*dst = s
	}
	return ok
}

func optString(v []byte, dst **string) bool {
	if len(v) > 0 && v[0] == 'n' {
		*dst = nil
		return true
	}
	var s string
	if !stringField(v, &s) {
		return false
	}
	*dst = &s
	return true
}

// validUTF8 replaces each byte that is not part of valid UTF-8 with U+FFFD,
// one per byte, as encoding/json does (strings.ToValidUTF8 merges runs).
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var sb strings.Builder
	sb.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			sb.WriteRune(utf8.RuneError)
		} else {
			sb.WriteString(s[i : i+n])
		}
		i += n
	}
	return sb.String()
}
