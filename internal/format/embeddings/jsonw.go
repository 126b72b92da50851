package embeddings

import (
	"github.com/nexus-gateway/nexus/internal/jsonw"
	"strconv"
)

// appendString writes s as a JSON string. Invalid UTF-8 becomes U+FFFD (as
// encoding/json does), so the output is always valid JSON.
func appendString(dst []byte, s string) []byte { return jsonw.AppendString(dst, s) }

func appendInt(dst []byte, n int) []byte { return strconv.AppendInt(dst, int64(n), 10) }
