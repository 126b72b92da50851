package jsonscan

import (
	"bytes"
	"encoding/binary"
)

// Each search for a quote or a backslash looks at a window that starts
// small and doubles: a string full of escapes (code, multi-line prompts)
// must not make every call scan far past the next escape (quadratic in the
// worst case), while a long plain run is still covered in a few calls.
const (
	firstWindow = 64
	plainWindow = 4096 // the largest window
)

// PlainRun returns the length of the prefix of b that needs no attention
// inside a JSON string: no quote, no backslash, no control byte (< 0x20).
// Bytes >= 0x80 (UTF-8) are plain.
//
// Prompt text is long runs of such bytes, so this is the inner loop of
// every decoder of large bodies. The quote and the backslash are found with
// bytes.IndexByte (vectorised by the runtime); what is left to check word by
// word is only "is any byte below 0x20", three operations per eight bytes
// instead of a dozen for the three tests at once.
func PlainRun(b []byte) int {
	// Keys and short values are a few bytes: for those, one combined word
	// test is cheaper than setting up two searches.
	i := 0
	for ; i+8 <= len(b) && i < 32; i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		q, bs := w^quotes, w^backslash
		if ((w-spaces)&^w|(q-ones)&^q|(bs-ones)&^bs)&highs != 0 {
			return i + plainBytes(b[i:])
		}
	}
	if len(b)-i < 8 {
		return i + plainBytes(b[i:])
	}
	size := firstWindow
	for i < len(b) {
		w := b[i:min(len(b), i+size)]
		size = min(2*size, plainWindow)
		n := len(w)
		if k := bytes.IndexByte(w, '"'); k >= 0 {
			n = k
		}
		if k := bytes.IndexByte(w[:n], '\\'); k >= 0 {
			n = k
		}
		c := controlFree(w[:n])
		i += c
		if c < len(w) {
			return i
		}
	}
	return i
}

// controlFree is the length of the prefix of b without a byte below 0x20.
func controlFree(b []byte) int {
	i := 0
	for ; i+32 <= len(b); i += 32 {
		w0 := binary.LittleEndian.Uint64(b[i:])
		w1 := binary.LittleEndian.Uint64(b[i+8:])
		w2 := binary.LittleEndian.Uint64(b[i+16:])
		w3 := binary.LittleEndian.Uint64(b[i+24:])
		if ((w0-spaces)&^w0|(w1-spaces)&^w1|(w2-spaces)&^w2|(w3-spaces)&^w3)&highs != 0 {
			break
		}
	}
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		if (w-spaces)&^w&highs != 0 {
			break
		}
	}
	for i < len(b) && b[i] >= 0x20 {
		i++
	}
	return i
}

// plainBytes is PlainRun's byte-by-byte loop, for the last few bytes.
func plainBytes(b []byte) int {
	i := 0
	for i < len(b) && b[i] >= 0x20 && b[i] != '"' && b[i] != '\\' {
		i++
	}
	return i
}
