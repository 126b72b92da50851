package mockupstream

import (
	"strconv"
	"unicode/utf8"
)

// Answers are written with append-style helpers into pooled buffers rather
// than through encoding/json: a 256-chunk stream is 256 near-identical small
// objects, and marshalling structs for each would dominate the emulator's CPU
// and allocations on the benchmark path.

const hexDigits = "0123456789abcdef"

// appendJSONString appends s as a JSON string literal. Invalid UTF-8 becomes
// U+FFFD, as encoding/json does, so every answer stays valid JSON.
func appendJSONString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			i++
			continue
		}
		if c < utf8.RuneSelf {
			dst = append(dst, s[start:i]...)
			switch c {
			case '"':
				dst = append(dst, '\\', '"')
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendID appends prefix followed by n as 16 zero-padded hex digits, giving
// ids that are unique per request and deterministic for a given sequence.
func appendID(dst []byte, prefix string, n int64) []byte {
	dst = append(dst, prefix...)
	u := uint64(n)
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(u>>uint(shift))&0xf])
	}
	return dst
}

// appendQuotedID appends appendID's output as a JSON string.
func appendQuotedID(dst []byte, prefix string, n int64) []byte {
	dst = append(dst, '"')
	dst = appendID(dst, prefix, n)
	return append(dst, '"')
}

func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }
