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
	doneData     = []byte("[DONE]")
	finishMarker = []byte(`"finish_reason":"`)
	doneFrame    = []byte("data: [DONE]\n\n")
)

func (t *tap) Observe(ev sse.Event) bool {
	if bytes.Equal(bytes.TrimSpace(ev.Data), doneData) {
		return true
	}
	if u, ok := usageFromBody(ev.Data); ok {
		t.usage, t.has = u, true
	}
	if !t.finished && bytes.Contains(ev.Data, finishMarker) {
		t.finished = true
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
