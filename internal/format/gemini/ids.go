package gemini

import (
	"strconv"
	"strings"
)

// syntheticIDPrefix marks tool-call ids this codec made up. Gemini often
// omits functionCall.id; other shapes need one to pair calls with results, so
// decoders synthesize a stable id, and EncodeRequest/encoders leave ids with
// this prefix out of the Gemini wire again so Google sees exactly what it
// produced (it pairs calls and responses by name and order).
const syntheticIDPrefix = "call_gm_"

// syntheticID builds "call_gm_<scope>_<n>" (or "call_gm_<n>" without a
// scope). scope is the response id for model output and "t<turn>" for calls
// in a request's history, so ids stay unique across a conversation.
func syntheticID(scope string, n int) string {
	var b strings.Builder
	b.Grow(len(syntheticIDPrefix) + len(scope) + 4)
	b.WriteString(syntheticIDPrefix)
	for i := 0; i < len(scope); i++ {
		c := scope[i]
		// Anthropic tool_use ids must match ^[a-zA-Z0-9_-]+$; keep ids portable.
		if c == '_' || c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' {
			b.WriteByte(c)
		}
	}
	if scope != "" {
		b.WriteByte('_')
	}
	b.WriteString(strconv.Itoa(n))
	return b.String()
}

// wireID is the id to put on the Gemini wire for a canonical call id.
func wireID(id string) string {
	if strings.HasPrefix(id, syntheticIDPrefix) {
		return ""
	}
	return id
}
