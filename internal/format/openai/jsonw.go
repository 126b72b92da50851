package openai

import (
	"github.com/nexus-gateway/nexus/internal/jsonw"
	"strconv"
)

// Allocation-free JSON writing for the stream encoder's hot path: frames are
// appended into a reused buffer instead of marshalled through reflection.

// appendJSONString appends s as a JSON string literal. It escapes what
// RFC 8259 requires plus U+2028/U+2029 (line breaks for JavaScript
// consumers) and replaces invalid UTF-8 with U+FFFD, as encoding/json does.
func appendJSONString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }

func appendInt(dst []byte, n int64) []byte { return strconv.AppendInt(dst, n, 10) }
