package anthropic

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// deltaScan is a purpose-built reader for content_block_delta frames, which
// are nearly every frame of a stream. encoding/json spends ~9 allocations
// per frame on them (a string per "type" field, decoder state); this reads
// the same bytes and allocates only the delta text it hands out.
//
// It is deliberately conservative: anything it does not fully understand
// (escapes it cannot decode, invalid UTF-8, a non-integer index, nesting
// deeper than maxScanDepth, trailing bytes) makes it report !ok, and the
// caller falls back to encoding/json, so both paths accept exactly the same
// inputs. FuzzDeltaScan holds the two paths to the same results.
type deltaScan struct {
	data []byte
	pos  int

	typ       []byte // top-level "type"
	index     int
	deltaType []byte
	field     []byte // raw (still escaped) content of text/thinking/partial_json/signature
	fieldEsc  bool   // field contains backslash escapes
	fieldName byte   // 't' text, 'h' thinking, 'p' partial_json, 's' signature, 0 none

	scratch []byte // unescape buffer, reused across frames
}

const maxScanDepth = 32

// scan parses data as one JSON object. ok=false means "use encoding/json".
func (s *deltaScan) scan(data []byte) (ok bool) {
	*s = deltaScan{data: data, scratch: s.scratch[:0]}
	if !s.object(0, s.topField) {
		return false
	}
	s.ws()
	return s.pos == len(s.data)
}

func (s *deltaScan) ws() {
	for s.pos < len(s.data) {
		switch s.data[s.pos] {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return
		}
	}
}

// object walks {"key": value, ...}, calling field for each key with the
// position at its value. field must consume the value.
func (s *deltaScan) object(depth int, field func(key []byte, esc bool, depth int) bool) bool {
	if depth > maxScanDepth {
		return false
	}
	s.ws()
	if s.pos >= len(s.data) || s.data[s.pos] != '{' {
		return false
	}
	s.pos++
	s.ws()
	if s.pos < len(s.data) && s.data[s.pos] == '}' {
		s.pos++
		return true
	}
	for {
		s.ws()
		key, esc, ok := s.str()
		if !ok {
			return false
		}
		s.ws()
		if s.pos >= len(s.data) || s.data[s.pos] != ':' {
			return false
		}
		s.pos++
		s.ws()
		if !field(key, esc, depth) {
			return false
		}
		s.ws()
		if s.pos >= len(s.data) {
			return false
		}
		switch s.data[s.pos] {
		case ',':
			s.pos++
		case '}':
			s.pos++
			return true
		default:
			return false
		}
	}
}

// Keys with escapes are never ours; they are skipped like unknown keys
// (encoding/json would unescape and might match them, so bail out instead).
func (s *deltaScan) topField(key []byte, esc bool, depth int) bool {
	if esc {
		return false
	}
	switch string(key) {
	case "type":
		v, e, ok := s.str()
		if !ok || e {
			return false
		}
		s.typ = v
		return true
	case "index":
		n, ok := s.integer()
		s.index = n
		return ok
	case "delta":
		return s.object(depth+1, s.deltaField)
	}
	if foldsTo(key, "type", "index", "delta", "message", "content_block", "usage", "error") {
		return false // encoding/json matches keys case-insensitively: let it
	}
	return s.skip(depth + 1)
}

func (s *deltaScan) deltaField(key []byte, esc bool, depth int) bool {
	if esc {
		return false
	}
	var name byte
	switch string(key) {
	case "type":
		v, e, ok := s.str()
		if !ok || e {
			return false
		}
		s.deltaType = v
		return true
	case "text":
		name = 't'
	case "thinking":
		name = 'h'
	case "partial_json":
		name = 'p'
	case "signature":
		name = 's'
	default:
		if foldsTo(key, "type", "text", "thinking", "partial_json", "signature", "stop_reason", "stop_sequence") {
			return false
		}
		return s.skip(depth + 1)
	}
	if s.fieldName != 0 {
		return false // two content fields: let encoding/json decide
	}
	v, e, ok := s.str()
	if !ok {
		return false
	}
	s.field, s.fieldEsc, s.fieldName = v, e, name
	return true
}

// str reads a string literal and returns its raw content. It rejects
// control characters and invalid UTF-8 (encoding/json would replace the
// latter with U+FFFD; the fallback path does that).
func (s *deltaScan) str() (raw []byte, esc bool, ok bool) {
	if s.pos >= len(s.data) || s.data[s.pos] != '"' {
		return nil, false, false
	}
	s.pos++
	start := s.pos
	ascii := true
	for s.pos < len(s.data) {
		c := s.data[s.pos]
		switch {
		case c == '"':
			raw = s.data[start:s.pos]
			s.pos++
			if !ascii && !utf8.Valid(raw) {
				return nil, false, false
			}
			return raw, esc, true
		case c == '\\':
			// Validate the escape here so every accepted string is valid JSON,
			// whether or not its text is ever decoded.
			esc = true
			if s.pos+1 >= len(s.data) {
				return nil, false, false
			}
			switch s.data[s.pos+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				s.pos += 2
			case 'u':
				if _, ok := hex4(s.data, s.pos+2); !ok {
					return nil, false, false
				}
				s.pos += 6
			default:
				return nil, false, false
			}
		case c < 0x20:
			return nil, false, false
		default:
			if c >= utf8.RuneSelf {
				ascii = false
			}
			s.pos++
		}
	}
	return nil, false, false
}

// integer reads a JSON integer that fits an int; fractions and exponents
// are left to encoding/json.
func (s *deltaScan) integer() (int, bool) {
	neg := false
	if s.pos < len(s.data) && s.data[s.pos] == '-' {
		neg = true
		s.pos++
	}
	start, n := s.pos, 0
	for s.pos < len(s.data) && s.data[s.pos] >= '0' && s.data[s.pos] <= '9' {
		if s.pos-start >= 9 {
			return 0, false
		}
		n = n*10 + int(s.data[s.pos]-'0')
		s.pos++
	}
	digits := s.pos - start
	if digits == 0 || (digits > 1 && s.data[start] == '0') {
		return 0, false
	}
	if s.pos < len(s.data) {
		switch s.data[s.pos] {
		case '.', 'e', 'E':
			return 0, false
		}
	}
	if neg {
		n = -n
	}
	return n, true
}

// skip consumes one value of any kind, validating it.
func (s *deltaScan) skip(depth int) bool {
	if depth > maxScanDepth || s.pos >= len(s.data) {
		return false
	}
	switch c := s.data[s.pos]; {
	case c == '"':
		_, _, ok := s.str()
		return ok
	case c == '{':
		return s.object(depth, func(_ []byte, _ bool, d int) bool { return s.skip(d + 1) })
	case c == '[':
		s.pos++
		s.ws()
		if s.pos < len(s.data) && s.data[s.pos] == ']' {
			s.pos++
			return true
		}
		for {
			s.ws()
			if !s.skip(depth + 1) {
				return false
			}
			s.ws()
			if s.pos >= len(s.data) {
				return false
			}
			if s.data[s.pos] == ']' {
				s.pos++
				return true
			}
			if s.data[s.pos] != ',' {
				return false
			}
			s.pos++
		}
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	case c == '-' || (c >= '0' && c <= '9'):
		_, ok := s.integer()
		return ok
	}
	return false
}

func (s *deltaScan) literal(lit string) bool {
	if len(s.data)-s.pos < len(lit) || string(s.data[s.pos:s.pos+len(lit)]) != lit {
		return false
	}
	s.pos += len(lit)
	return true
}

// text returns the content field as a string, unescaping into the reused
// scratch buffer; the returned string is the only allocation.
func (s *deltaScan) text() (string, bool) {
	if !s.fieldEsc {
		return string(s.field), true
	}
	b := s.scratch[:0]
	raw := s.field
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' {
			b = append(b, c)
			continue
		}
		i++
		if i >= len(raw) {
			return "", false
		}
		switch raw[i] {
		case '"', '\\', '/':
			b = append(b, raw[i])
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4(raw, i+1)
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				r2, ok := rune(0), false
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					r2, ok = hex4(raw, i+3)
				}
				if dec := utf16.DecodeRune(r, r2); ok && dec != utf8.RuneError {
					r = dec
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", false
		}
	}
	s.scratch = b
	return string(b), true
}

// foldsTo reports whether key equals one of names ignoring case, the way
// encoding/json matches struct fields.
func foldsTo(key []byte, names ...string) bool {
	for _, n := range names {
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

func hex4(raw []byte, at int) (rune, bool) {
	if at+4 > len(raw) {
		return 0, false
	}
	var r rune
	for _, c := range raw[at : at+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}
