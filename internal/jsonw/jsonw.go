// Package jsonw writes JSON text by appending to a byte slice, without
// reflection or allocation: the stream encoders of every wire shape build
// their frames with it on the hot path. It imports nothing internal, so the
// format packages, which must not import each other, can all share it.
package jsonw

import (
	"strings"
	"unicode/utf8"
)

const hexDigits = "0123456789abcdef"

// AppendString appends s as a JSON string literal. It escapes what RFC 8259
// requires plus U+2028/U+2029 (line breaks for JavaScript consumers) and
// replaces invalid UTF-8 with U+FFFD, as encoding/json does; unlike
// encoding/json it leaves <, > and & alone (no HTML escaping).
func AppendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
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
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// asciiRun is the length of the prefix of s made of printable ASCII other
// than '"' and '\\' — bytes a JSON string holds as they are. Prompts are long
// runs of such bytes, so this is the inner loop of every large encoding: the
// quote and the backslash are found with strings.IndexByte (vectorised by
// the runtime), leaving only "any byte below 0x20 or above 0x7f" to test
// eight bytes at a time. The search window starts small and doubles, so a
// text full of escapes does not make each call scan far past the next one.
func asciiRun(s string) int {
	// Stream deltas are a few words each: for those, one combined word test
	// is cheaper than setting up two searches.
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(s) && i < 32; i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		q, bs := x^(ones*'"'), x^(ones*'\\')
		if ((x-ones*0x20)&^x|x|(q-ones)&^q|(bs-ones)&^bs)&highs != 0 {
			return i + plainBytes(s[i:])
		}
	}
	if len(s)-i < 8 {
		return i + plainBytes(s[i:])
	}
	size := 64
	for i < len(s) {
		w := s[i:min(len(s), i+size)]
		size = min(2*size, 4096)
		n := len(w)
		if k := strings.IndexByte(w, '"'); k >= 0 {
			n = k
		}
		if k := strings.IndexByte(w[:n], '\\'); k >= 0 {
			n = k
		}
		c := printable(w[:n])
		i += c
		if c < len(w) {
			return i
		}
	}
	return i
}

// printable is the length of the prefix of s with no byte below 0x20 or
// above 0x7f.
func printable(s string) int {
	const ones, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	// Four words per test while the text is long: one branch per 32 bytes
	// instead of per 8 (the SWAR test of each word is independent, so the
	// CPU overlaps them); the word loop below finds the exact stop.
	for ; i+32 <= len(s); i += 32 {
		x0 := word(s[i:])
		x1 := word(s[i+8:])
		x2 := word(s[i+16:])
		x3 := word(s[i+24:])
		if ((x0-ones*0x20)&^x0|x0|(x1-ones*0x20)&^x1|x1|(x2-ones*0x20)&^x2|x2|(x3-ones*0x20)&^x3|x3)&highs != 0 {
			break
		}
	}
	for ; i+8 <= len(s); i += 8 {
		x := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		if ((x-ones*0x20)&^x|x)&highs != 0 {
			break
		}
	}
	for i < len(s) && s[i] >= 0x20 && s[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// plainBytes is asciiRun's byte-by-byte loop, for the last few bytes.
func plainBytes(s string) int {
	i := 0
	for i < len(s) && s[i] >= 0x20 && s[i] < utf8.RuneSelf && s[i] != '"' && s[i] != '\\' {
		i++
	}
	return i
}

// word loads 8 bytes of s little-endian (the compiler merges the loads).
func word(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}
