package embeddings

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Vectors are the bulk of every embeddings body (3072 floats per input, up
// to thousands of inputs), so they are parsed and written here by hand:
// no reflection per element, the output slice sized once, and base64
// converted through a stack buffer instead of an intermediate []byte.

var errNonFinite = errors.New("vector holds a non-finite value")

// parseFloatArray parses a JSON array of numbers (already validated as JSON
// by the caller's decoder) into float32 values appended to dst. Each number
// is rounded once, from its decimal text, to the nearest float32: the same
// value an upstream that computed in float32 meant.
func parseFloatArray(raw []byte, dst []float32) ([]float32, error) {
	i := skipSpace(raw, 0)
	if i >= len(raw) || raw[i] != '[' {
		return dst, errors.New("vector is not an array")
	}
	i = skipSpace(raw, i+1)
	if i < len(raw) && raw[i] == ']' {
		return dst, nil
	}
	if dst == nil {
		// Commas + 1 is the exact element count of a number array.
		n := 1
		for _, c := range raw[i:] {
			if c == ',' {
				n++
			}
		}
		dst = make([]float32, 0, n)
	}
	for {
		j := i
		for j < len(raw) && isNumberByte(raw[j]) {
			j++
		}
		if j == i {
			return dst, fmt.Errorf("vector element %d is not a number", len(dst))
		}
		// The conversion does not allocate: the string does not escape
		// (strconv copies it into any error) and numbers are short.
		f, err := strconv.ParseFloat(string(raw[i:j]), 32)
		if err != nil || math.IsInf(f, 0) {
			return dst, fmt.Errorf("vector element %d is not a float32 number", len(dst))
		}
		dst = append(dst, float32(f))
		i = skipSpace(raw, j)
		if i >= len(raw) {
			return dst, errors.New("vector array is not closed")
		}
		switch raw[i] {
		case ',':
			i = skipSpace(raw, i+1)
		case ']':
			return dst, nil
		default:
			return dst, fmt.Errorf("unexpected byte after vector element %d", len(dst)-1)
		}
	}
}

func isNumberByte(c byte) bool {
	return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// appendFloatArray writes v as a JSON array, each value in the shortest
// decimal form that reads back as the same float32 (what OpenAI sends).
func appendFloatArray(dst []byte, v []float32) ([]byte, error) {
	dst = append(dst, '[')
	for i, f := range v {
		if i > 0 {
			dst = append(dst, ',')
		}
		var err error
		if dst, err = appendFloat32(dst, f); err != nil {
			return dst, err
		}
	}
	return append(dst, ']'), nil
}

// appendFloat32 formats like encoding/json does for a float32: plain
// decimal in the usual range, exponent form outside it with a two-digit
// exponent trimmed ("1e-07" → "1e-7").
func appendFloat32(dst []byte, f float32) ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return dst, errNonFinite
	}
	format := byte('f')
	if abs := math.Abs(x); abs != 0 && (float32(abs) < 1e-6 || float32(abs) >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, x, format, -1, 32)
	if format == 'e' {
		n := len(dst)
		if n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst, nil
}

// chunkFloats is how many floats go through the stack buffer per base64
// call: 48 floats = 192 bytes, a multiple of 3, so no padding mid-string.
const chunkFloats = 48

// appendBase64 writes v as OpenAI's base64 embedding: the little-endian
// float32 bytes in standard base64 with padding, inside JSON quotes.
func appendBase64(dst []byte, v []float32) ([]byte, error) {
	var buf [chunkFloats * 4]byte
	dst = append(dst, '"')
	for len(v) > 0 {
		n := min(len(v), chunkFloats)
		for i, f := range v[:n] {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return dst, errNonFinite
			}
			binary.LittleEndian.PutUint32(buf[i*4:], math.Float32bits(f))
		}
		dst = base64.StdEncoding.AppendEncode(dst, buf[:n*4])
		v = v[n:]
	}
	return append(dst, '"'), nil
}

// decodeBase64Vector reads OpenAI's base64 embedding (raw is the JSON string
// token, quotes included) into float32 values. Unpadded base64 is accepted
// too; a byte count that is not a whole number of float32s is an error.
func decodeBase64Vector(raw []byte) ([]float32, error) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' {
		return nil, errors.New("vector is not a string")
	}
	s := raw[1 : len(raw)-1]
	for _, c := range s {
		if c == '\\' {
			// Some encoders escape '/' as "\/"; unescape once, rarely.
			var str string
			if err := json.Unmarshal(raw, &str); err != nil {
				return nil, errors.New("vector string is not valid JSON")
			}
			s = []byte(str)
			break
		}
	}
	enc := base64.StdEncoding
	pad := 0
	switch {
	case len(s)%4 != 0:
		enc = base64.RawStdEncoding
	case len(s) >= 2 && s[len(s)-2] == '=':
		pad = 2
	case len(s) >= 1 && s[len(s)-1] == '=':
		pad = 1
	}
	nbytes := len(s)/4*3 - pad
	if enc == base64.RawStdEncoding {
		nbytes = len(s) * 6 / 8
	}
	if nbytes%4 != 0 {
		return nil, fmt.Errorf("base64 vector holds %d bytes, not a whole number of float32 values", nbytes)
	}
	out := make([]float32, 0, nbytes/4)
	// 64 base64 characters decode to 48 bytes = 12 floats; padding can only
	// sit in the final chunk, which is decoded on its own.
	var buf [48]byte
	for len(s) > 0 {
		take := min(len(s), 64)
		n, err := enc.Decode(buf[:], s[:take])
		if err != nil {
			return nil, fmt.Errorf("vector is not valid base64: %w", err)
		}
		if n%4 != 0 {
			return nil, errors.New("base64 vector is not a whole number of float32 values")
		}
		for i := 0; i < n; i += 4 {
			f := math.Float32frombits(binary.LittleEndian.Uint32(buf[i:]))
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return nil, errNonFinite
			}
			out = append(out, f)
		}
		s = s[take:]
	}
	return out, nil
}
