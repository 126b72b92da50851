package jsonscan

import (
	"bytes"
	"encoding/json"
)

// String returns the value of a member that holds a JSON string. ok is false
// when the member is missing or not a string.
func String(body []byte, m Member) (s string, ok bool) {
	if !m.Found {
		return "", false
	}
	v := body[m.ValStart:m.ValEnd]
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	if bytes.IndexByte(inner, '\\') < 0 {
		return string(inner), true
	}
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// Bool returns the value of a member holding true or false.
func Bool(body []byte, m Member) (v bool, ok bool) {
	if !m.Found {
		return false, false
	}
	switch string(body[m.ValStart:m.ValEnd]) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// Raw returns the bytes of a member's value (aliasing body).
func Raw(body []byte, m Member) []byte {
	if !m.Found {
		return nil
	}
	return body[m.ValStart:m.ValEnd]
}

// IsNull reports whether a found member's value is the literal null.
func IsNull(body []byte, m Member) bool {
	return m.Found && string(body[m.ValStart:m.ValEnd]) == "null"
}

// RemovalSpan returns the byte range [start,end) to cut so that the member and
// exactly one separating comma disappear, leaving valid JSON.
func RemovalSpan(body []byte, m Member) (start, end int) {
	if m.PrevComma >= 0 {
		return m.PrevComma, m.ValEnd
	}
	// First member: remove it and the comma that follows, if any.
	end = m.ValEnd
	j := end
	for j < len(body) && (body[j] == ' ' || body[j] == '\t' || body[j] == '\n' || body[j] == '\r') {
		j++
	}
	if j < len(body) && body[j] == ',' {
		end = j + 1
	}
	return m.KeyStart, end
}
