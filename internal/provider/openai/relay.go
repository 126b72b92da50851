package openai

import (
	"bytes"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// tap watches an OpenAI-family stream relayed byte for byte: usage from the
// trailing usage chunk, [DONE] as the terminal signal.
type tap struct {
	usage    canonical.Usage
	has      bool
	finished bool // a finish_reason was seen
}

var (
	doneData  = []byte("[DONE]")
	doneFrame = []byte("data: [DONE]\n\n")
)

func (t *tap) Observe(ev sse.Event) bool {
	if bytes.Equal(bytes.TrimSpace(ev.Data), doneData) {
		return true
	}
	usage, finish := chunkTail(ev.Data, !t.finished)
	if usage {
		if u, ok := usageFromBody(ev.Data); ok {
			t.usage, t.has = u, true
		}
	}
	if finish {
		t.finished = true
	}
	return false
}

// chunkTail looks at a chunk's "usage" and (when wantFinish) "finish_reason"
// members from the end of the chunk, colon by colon, and stops as soon as it
// has met both keys: OpenAI-wire chunks put them last (...,"finish_reason":
// null}],"usage":null,"obfuscation":"…"}), so an ordinary chunk costs a few
// byte tests instead of two substring searches through its whole text (the
// tap runs on every relayed frame). It reports whether usage is an object
// (then usageFromBody reads it) and whether finish_reason is a string.
// Colons inside strings are not keys: a key is a quote-delimited name whose
// closing quote is not escaped, which text in an escaped string never is.
func chunkTail(b []byte, wantFinish bool) (usage, finish bool) {
	seenUsage, seenFinish := false, !wantFinish
	for end := len(b); !(seenUsage && seenFinish); {
		i := bytes.LastIndexByte(b[:end], ':')
		if i < 0 {
			return usage, finish
		}
		end = i
		switch keyBefore(b, i) {
		case "usage":
			if !seenUsage {
				seenUsage, usage = true, valueStarts(b[i+1:], '{')
			}
		case "finish_reason":
			if !seenFinish {
				seenFinish, finish = true, valueStarts(b[i+1:], '"')
			}
		}
	}
	return usage, finish
}

// keyBefore returns "usage" or "finish_reason" when the colon at b[colon]
// follows that key, else "".
func keyBefore(b []byte, colon int) string {
	j := colon - 1
	for j >= 0 && (b[j] == ' ' || b[j] == '\t' || b[j] == '\n' || b[j] == '\r') {
		j--
	}
	if j < 1 || b[j] != '"' {
		return ""
	}
	for _, k := range [2]string{"usage", "finish_reason"} {
		start := j - len(k) - 1 // the opening quote
		if start >= 0 && b[start] == '"' && string(b[start+1:j]) == k && (start == 0 || b[start-1] != '\\') {
			return k
		}
	}
	return ""
}

// valueStarts reports whether the JSON value at the start of v (after
// whitespace) begins with c.
func valueStarts(v []byte, c byte) bool {
	for _, x := range v {
		switch x {
		case ' ', '\t', '\n', '\r':
			continue
		}
		return x == c
	}
	return false
}

// AtEOF: some compatible servers end without [DONE]. After a finish reason
// the answer is complete, so the client still gets its one [DONE]; before
// one, the stream was cut.
func (t *tap) AtEOF() ([]byte, bool) {
	if t.finished {
		return doneFrame, true
	}
	return nil, false
}

func (t *tap) Usage() *canonical.Usage {
	if !t.has {
		return nil
	}
	u := t.usage
	return &u
}
