package gemini

import (
	"bytes"
	"encoding/json"
	"github.com/nexus-gateway/nexus/internal/jsonw"
	"strconv"
)

// Hand-written JSON appenders for the stream encoder, which runs per chunk:
// building frames into one reused buffer keeps it allocation-free where
// json.Marshal would allocate for every frame.

// appendString appends s as a JSON string literal. It escapes what JSON
// requires plus U+2028/U+2029 (which break JavaScript consumers of SSE), and
// replaces invalid UTF-8 with U+FFFD as encoding/json does; it does not
// HTML-escape, since frames are not embedded in HTML.
func appendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }

// appendKey appends `"key":` for a key known to need no escaping.
func appendKey(dst []byte, key string) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	return append(dst, '"', ':')
}

// appendInt appends `,"key":n` (leading comma included).
func appendIntField(dst []byte, key string, n int) []byte {
	dst = append(dst, ',')
	dst = appendKey(dst, key)
	return strconv.AppendInt(dst, int64(n), 10)
}

// marshal encodes v without HTML escaping (Google does not escape <, >, &,
// and tool arguments or schemas round-trip more readably without it).
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'}), nil
}

// compactObject returns the compact form of raw when it is a JSON object,
// ok=false otherwise (invalid JSON, or an array/scalar). buf is scratch space.
func compactObject(buf *bytes.Buffer, raw []byte) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return "", false
	}
	buf.Reset()
	if err := json.Compact(buf, raw); err != nil {
		return "", false
	}
	return buf.String(), true
}
