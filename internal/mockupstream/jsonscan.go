package mockupstream

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"
)

// A deliberately small JSON walker. The emulator sits on the load-benchmark
// path with ~50 KB request bodies and needs only a handful of fields (model,
// stream, the first tool name, a prefix of the last user text). Decoding the
// whole body with encoding/json would cost more than everything else the
// emulator does, so we skip over values by bracket counting and only decode
// the few small values we keep. It is lenient: malformed input yields "not
// found", never a panic or an endless loop (see FuzzObjectEach).

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(b []byte, i int) int {
	for i < len(b) && isSpace(b[i]) {
		i++
	}
	return i
}

// stringEnd returns the index just past the closing quote of the string
// whose opening quote is at b[i]. It jumps from quote to quote with
// bytes.IndexByte (vectorised) instead of walking every byte of what are
// mostly long message texts; a quote preceded by an odd run of backslashes
// is escaped. Each backslash belongs to one run, so this stays linear.
func stringEnd(b []byte, i int) (int, bool) {
	j := i + 1
	for j <= len(b) {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return 0, false
		}
		q := j + k
		n := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q + 1, true
		}
		j = q + 1
	}
	return 0, false
}

// valueEnd returns the index just past the JSON value starting at b[i]
// (b[i] must not be whitespace).
func valueEnd(b []byte, i int) (int, bool) {
	if i >= len(b) {
		return 0, false
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for i < len(b) {
			switch b[i] {
			case '"':
				end, ok := stringEnd(b, i)
				if !ok {
					return 0, false
				}
				i = end
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return i + 1, true
				}
			}
			i++
		}
		return 0, false
	default:
		start := i
		for i < len(b) {
			switch c := b[i]; {
			case c == ',' || c == '}' || c == ']' || isSpace(c):
				return i, i > start
			case c == '{' || c == '[' || c == '"' || c == ':':
				return 0, false
			}
			i++
		}
		return i, i > start
	}
}

// objectEach calls fn for each member of the object in b with the raw key
// (without quotes, escapes left as they are) and the raw value. fn returns
// false to stop early. It reports whether b was walked without a syntax error.
func objectEach(b []byte, fn func(key, val []byte) bool) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return true
	}
	for i < len(b) {
		if b[i] != '"' {
			return false
		}
		kend, ok := stringEnd(b, i)
		if !ok {
			return false
		}
		key := b[i+1 : kend-1]
		i = skipSpace(b, kend)
		if i >= len(b) || b[i] != ':' {
			return false
		}
		i = skipSpace(b, i+1)
		vend, ok := valueEnd(b, i)
		if !ok {
			return false
		}
		if !fn(key, b[i:vend]) {
			return true
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return true
		default:
			return false
		}
	}
	return false
}

// arrayEach calls fn for each raw element of the array in b; fn returns false
// to stop early.
func arrayEach(b []byte, fn func(val []byte) bool) bool {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '[' {
		return false
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return true
	}
	for i < len(b) {
		vend, ok := valueEnd(b, i)
		if !ok {
			return false
		}
		if !fn(b[i:vend]) {
			return true
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return false
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return true
		default:
			return false
		}
	}
	return false
}

// field returns the raw value of the first member named key.
func field(obj []byte, key string) []byte {
	var out []byte
	objectEach(obj, func(k, v []byte) bool {
		if string(k) == key {
			out = v
			return false
		}
		return true
	})
	return out
}

// firstElem returns the first element of a raw array.
func firstElem(arr []byte) []byte {
	var out []byte
	arrayEach(arr, func(v []byte) bool {
		out = v
		return false
	})
	return out
}

// jsonString decodes a raw JSON string value; ok is false for non-strings.
func jsonString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return "", false
	}
	inner := raw[1 : len(raw)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c < 0x20 {
			plain = false
			break
		}
	}
	if plain {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// jsonStringPrefix decodes at most about maxBytes of the raw JSON string, so
// echoing a prefix of a 50 KB message does not decode all of it. The cut is
// made outside an escape sequence and on a UTF-8 rune start.
func jsonStringPrefix(raw []byte, maxBytes int) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if len(raw)-2 <= maxBytes {
		return jsonString(raw)
	}
	i := 1
	for i < len(raw)-1 && i-1 < maxBytes {
		if raw[i] == '\\' {
			if i+1 < len(raw)-1 && raw[i+1] == 'u' {
				i += 6
			} else {
				i += 2
			}
			continue
		}
		i++
	}
	if i > len(raw)-1 {
		i = len(raw) - 1
	}
	for i > 1 && !utf8.RuneStart(raw[i]) {
		i--
	}
	cut := make([]byte, 0, i+1)
	cut = append(cut, raw[:i]...)
	cut = append(cut, '"')
	return jsonString(cut)
}

// jsonInt decodes a raw JSON integer; ok is false otherwise.
func jsonInt(raw []byte) (int, bool) {
	if len(raw) == 0 || len(raw) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range raw {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}
