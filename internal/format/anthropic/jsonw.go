package anthropic

import (
	"strconv"

	"github.com/nexus-gateway/nexus/internal/jsonw"
)

// The stream encoder builds frames with these append helpers instead of
// encoding/json so a steady stream costs no allocation per frame: every
// frame is written into one reused buffer.

// appendString appends s as a JSON string literal (internal/jsonw).
func appendString(b []byte, s string) []byte { return jsonw.AppendString(b, s) }

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
