package canonical

import (
	"encoding/base64"
	"strings"
)

// ParseDataURL splits "data:<mime>;base64,<payload>" (padded or unpadded
// standard base64). isData is false for any other URL, including
// non-base64 data URLs, which stay URLs; err reports a bad payload.
func ParseDataURL(s string) (mime string, data []byte, isData bool, err error) {
	rest, ok := strings.CutPrefix(s, "data:")
	if !ok {
		return "", nil, false, nil
	}
	meta, payload, ok := strings.Cut(rest, ",")
	if !ok || !strings.HasSuffix(meta, ";base64") {
		return "", nil, false, nil
	}
	if data, err = DecodeBase64(payload); err != nil {
		return "", nil, true, err
	}
	return strings.TrimSuffix(meta, ";base64"), data, true, nil
}

// DataURL renders bytes as a base64 data URL.
func DataURL(mime string, data []byte) string {
	var b strings.Builder
	b.Grow(len("data:;base64,") + len(mime) + base64.StdEncoding.EncodedLen(len(data)))
	b.WriteString("data:")
	b.WriteString(mime)
	b.WriteString(";base64,")
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	_, _ = enc.Write(data) // strings.Builder never fails
	_ = enc.Close()
	return b.String()
}

// DecodeBase64 accepts padded and unpadded standard base64.
func DecodeBase64(s string) ([]byte, error) {
	if strings.HasSuffix(s, "=") || len(s)%4 == 0 {
		return base64.StdEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}
