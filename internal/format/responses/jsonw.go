package responses

import (
	"bytes"
	"encoding/json"
	"github.com/nexus-gateway/nexus/internal/jsonw"
	"strconv"
)

// Allocation-free JSON writing: the stream encoder appends every frame into
// one reused buffer instead of marshalling through reflection, and the
// response object is written the same way so streamed and unary answers
// share one renderer.

// appendString appends s as a JSON string literal. It escapes what RFC 8259
// requires plus U+2028/U+2029 (line breaks for JavaScript consumers) and
// replaces invalid UTF-8 with U+FFFD, as encoding/json does; unlike
// encoding/json it leaves <, > and & alone so text reaches clients as sent.
func appendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }

// appendBytesString is appendString for text held in a []byte buffer; the
// conversion does not allocate because the string does not escape.
func appendBytesString(dst, s []byte) []byte { return appendString(dst, string(s)) }

func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }

// appendRaw appends an already-valid JSON value, compacted so a pretty
// printed upstream value does not break the one-line SSE data field.
func appendRaw(dst []byte, raw json.RawMessage) []byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return append(dst, "null"...)
	}
	if bytes.IndexByte(raw, '\n') < 0 {
		return append(dst, raw...)
	}
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return append(dst, "null"...)
	}
	return append(dst, b.Bytes()...)
}

// marshalNoEscape is json.Marshal without HTML escaping, so prompt text
// reaches the upstream byte-for-byte.
func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	je := json.NewEncoder(&b)
	je.SetEscapeHTML(false)
	if err := je.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// rawKind returns the first significant byte of a JSON value, 0 for an
// absent value and 'n' for null.
func rawKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// present reports a value other than absent or null.
func present(raw json.RawMessage) bool {
	k := rawKind(raw)
	return k != 0 && k != 'n'
}

// jsonString renders s as a JSON string value.
func jsonString(s string) json.RawMessage { return appendString(nil, s) }
