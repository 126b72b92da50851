// Package jsonscan validates a JSON document and locates chosen top-level
// members of an object in one pass, without decoding anything else. The
// same-shape fast path uses it to read "model" and "stream" and to splice the
// body (rewrite the model, force stream usage, drop the "nexus" key) while the
// rest of the bytes go upstream untouched: the body is parsed once, not twice.
package jsonscan

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
)

// MaxDepth bounds nesting so hostile input cannot exhaust the stack.
const MaxDepth = 512

// Member locates one top-level object member in the scanned body.
type Member struct {
	Found     bool
	KeyStart  int // index of the key's opening quote
	ValStart  int // first byte of the value
	ValEnd    int // one past the last byte of the value
	PrevComma int // index of the comma before the member, -1 when it is the first member
}

// SyntaxError reports malformed JSON with the byte offset where it was noticed.
type SyntaxError struct {
	Offset int
	Msg    string
}

func (e *SyntaxError) Error() string {
	return fmt.Sprintf("invalid JSON at byte %d: %s", e.Offset, e.Msg)
}

// ErrNotObject is returned when the document is valid JSON but not an object.
var ErrNotObject = errors.New("request body must be a JSON object")

// DuplicateKeyError is returned when a wanted key appears twice: parsers
// disagree on which one wins, so a gateway must not guess.
type DuplicateKeyError struct{ Key string }

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("duplicate key %q in request body", e.Key)
}

// Object scans body, which must be a single JSON object, fully validating it,
// and fills out[i] for each top-level member whose key equals keys[i].
// len(out) must be len(keys).
func Object(body []byte, keys []string, out []Member) error {
	for i := range out {
		out[i] = Member{}
	}
	s := scanner{b: body}
	s.ws()
	if s.i >= len(s.b) {
		return &SyntaxError{Offset: s.i, Msg: "empty body"}
	}
	if s.b[s.i] != '{' {
		if err := s.value(0); err != nil {
			return err
		}
		return ErrNotObject
	}
	prevComma := -1
	if s.open('}') {
		return s.end()
	}
	for {
		keyStart, rawKey, escaped, err := s.key()
		if err != nil {
			return err
		}
		valStart := s.i
		if err := s.value(1); err != nil {
			return err
		}
		idx := match(keys, rawKey, escaped)
		if idx >= 0 {
			if out[idx].Found {
				return &DuplicateKeyError{Key: keys[idx]}
			}
			out[idx] = Member{Found: true, KeyStart: keyStart, ValStart: valStart, ValEnd: s.i, PrevComma: prevComma}
		}
		comma, err := s.next('}', "object")
		if err != nil {
			return err
		}
		if comma < 0 {
			return s.end()
		}
		prevComma = comma
	}
}

// Valid reports whether body is one well-formed JSON value.
func Valid(body []byte) error {
	s := scanner{b: body}
	s.ws()
	if err := s.value(0); err != nil {
		return err
	}
	return s.end()
}

func match(keys []string, raw []byte, escaped bool) int {
	if escaped {
		// Rare: a key written with escapes ("mod\u0065l") must still be
		// recognised, or a client could hide a field from the gateway.
		var k string
		if err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &k); err != nil {
			return -1
		}
		raw = []byte(k)
	}
	for i, k := range keys {
		if string(raw) == k {
			return i
		}
	}
	return -1
}

type scanner struct {
	b []byte
	i int
}

func (s *scanner) errf(msg string) error { return &SyntaxError{Offset: s.i, Msg: msg} }

func (s *scanner) end() error {
	s.ws()
	if s.i != len(s.b) {
		return s.errf("unexpected data after the top-level value")
	}
	return nil
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) value(depth int) error {
	if depth > MaxDepth {
		return s.errf("nesting too deep")
	}
	if s.i >= len(s.b) {
		return s.errf("unexpected end of input")
	}
	switch c := s.b[s.i]; {
	case c == '"':
		_, err := s.str()
		return err
	case c == '{':
		return s.object(depth)
	case c == '[':
		return s.array(depth)
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	default:
		return s.errf("unexpected character")
	}
}

func (s *scanner) object(depth int) error {
	if s.open('}') {
		return nil
	}
	for {
		if _, _, _, err := s.key(); err != nil {
			return err
		}
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if comma, err := s.next('}', "object"); err != nil || comma < 0 {
			return err
		}
	}
}

func (s *scanner) array(depth int) error {
	if s.open(']') {
		return nil
	}
	for {
		s.ws()
		if err := s.value(depth + 1); err != nil {
			return err
		}
		if comma, err := s.next(']', "array"); err != nil || comma < 0 {
			return err
		}
	}
}

// The steps every container walk shares (Object, Members, Elements and
// the validator's object and array).

// open consumes the opening bracket at s.i and reports whether close
// follows at once (an empty container, also consumed).
func (s *scanner) open(close byte) (empty bool) {
	s.i++
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == close {
		s.i++
		return true
	}
	return false
}

// key scans a member's key and its colon, leaving s.i at the value. It
// returns the key's opening-quote offset, its raw bytes between the quotes
// (escapes not decoded) and whether it has escapes.
func (s *scanner) key() (start int, raw []byte, escaped bool, err error) {
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != '"' {
		return 0, nil, false, s.errf("expected object key")
	}
	start = s.i
	if escaped, err = s.str(); err != nil {
		return 0, nil, false, err
	}
	raw = s.b[start+1 : s.i-1]
	s.ws()
	if s.i >= len(s.b) || s.b[s.i] != ':' {
		return 0, nil, false, s.errf("expected ':' after object key")
	}
	s.i++
	s.ws()
	return start, raw, escaped, nil
}

// next consumes what follows a member or element of a container named
// what: a comma (its offset is returned) or the closing bracket (-1).
func (s *scanner) next(close byte, what string) (comma int, err error) {
	s.ws()
	if s.i >= len(s.b) {
		return 0, s.errf("unexpected end of input in " + what)
	}
	switch s.b[s.i] {
	case ',':
		s.i++
		return s.i - 1, nil
	case close:
		s.i++
		return -1, nil
	}
	return 0, s.errf("expected ',' or '" + string(close) + "' in " + what)
}

// str scans a string starting at its opening quote and reports whether it
// contained escapes.
func (s *scanner) str() (escaped bool, err error) {
	s.i++ // opening quote
	b := s.b
	for {
		// Prompts are long runs of ordinary text: skip them in one go.
		s.i += PlainRun(b[s.i:])
		if s.i >= len(b) {
			return escaped, s.errf("unterminated string")
		}
		switch c := b[s.i]; c {
		case '"':
			s.i++
			return escaped, nil
		case '\\':
			escaped = true
			if s.i+1 >= len(b) {
				return escaped, s.errf("unterminated escape")
			}
			switch b[s.i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.i += 2
			case 'u':
				if s.i+6 > len(b) || !hex4(b[s.i+2:s.i+6]) {
					return escaped, s.errf("invalid \\u escape")
				}
				s.i += 6
			default:
				return escaped, s.errf("invalid escape")
			}
		default:
			return escaped, s.errf("control character in string")
		}
	}
}

// SWAR constants: every byte of the word set to 0x01, 0x80, '"' and '\\'.
const (
	ones      = 0x0101010101010101
	highs     = 0x8080808080808080
	quotes    = ones * '"'
	backslash = ones * '\\'
	spaces    = ones * 0x20
)

func hex4(b []byte) bool {
	for _, c := range b {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F') {
			return false
		}
	}
	return true
}

func (s *scanner) lit(word string) error {
	if !bytes.HasPrefix(s.b[s.i:], []byte(word)) {
		return s.errf("invalid literal")
	}
	s.i += len(word)
	return nil
}

func (s *scanner) number() error {
	b := s.b
	if b[s.i] == '-' {
		s.i++
	}
	if s.i >= len(b) {
		return s.errf("invalid number")
	}
	switch {
	case b[s.i] == '0':
		s.i++
	case b[s.i] >= '1' && b[s.i] <= '9':
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
		}
	default:
		return s.errf("invalid number")
	}
	if s.i < len(b) && b[s.i] == '.' {
		s.i++
		start := s.i
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
		}
		if s.i == start {
			return s.errf("invalid number fraction")
		}
	}
	if s.i < len(b) && (b[s.i] == 'e' || b[s.i] == 'E') {
		s.i++
		if s.i < len(b) && (b[s.i] == '+' || b[s.i] == '-') {
			s.i++
		}
		start := s.i
		for s.i < len(b) && b[s.i] >= '0' && b[s.i] <= '9' {
			s.i++
		}
		if s.i == start {
			return s.errf("invalid number exponent")
		}
	}
	return nil
}
