package anthropic

import (
	"strconv"
	"unicode/utf8"
)

// The stream encoder builds frames with these append helpers instead of
// encoding/json so a steady stream costs no allocation per frame: every
// frame is written into one reused buffer.

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string literal. It escapes what RFC 8259
// requires plus U+2028/U+2029 (which break JavaScript consumers of SSE), and
// replaces invalid UTF-8 with U+FFFD exactly as encoding/json does, so the
// output always parses.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		i += asciiRun(s[i:])
		if i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// asciiRun is the length of the prefix of s made of printable ASCII other
// than '"' and '\\' — bytes a JSON string holds as they are. It tests eight
// bytes at a time with the classic word tricks ("has a byte < n", "has a
// byte == v", high bit set): prompts are long runs of such bytes.
func asciiRun(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q, bs := x^(ones*'"'), x^(ones*'\\')
		if (x-ones*0x20)&^x&highs|x&highs|(q-ones)&^q&highs|(bs-ones)&^bs&highs != 0 {
			break
		}
	}
	for i < len(s) && s[i] >= 0x20 && s[i] < utf8.RuneSelf && s[i] != '"' && s[i] != '\\' {
		i++
	}
	return i
}

// appendStringOrNull writes null for the empty string (Anthropic's
// stop_sequence convention).
func appendStringOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendString(b, s)
}

func appendInt(b []byte, n int) []byte {
	return strconv.AppendInt(b, int64(n), 10)
}
