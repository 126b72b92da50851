package responses

import (
	"bytes"
	"encoding/json"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Tee watches a Responses stream that is relayed verbatim (a native target,
// SPEC §5.8) for what the gateway needs from it: usage for cost and audit,
// how the turn ended, and the position a gateway-written response.failed
// must continue from (SPEC §6.8). A delta frame costs a byte scan and no
// allocation; only the few frames carrying a response object are parsed.
// Use StreamDecoder instead when the content itself is needed (policy
// stages). The zero value is ready; per-stream, not safe for concurrent use.
type Tee struct {
	pos      StreamPosition
	usage    canonical.Usage
	hasUsage bool
	finish   canonical.FinishReason
	done     bool
	err      *canonical.Error
}

// Observe looks at one relayed frame (its event name and data).
func (t *Tee) Observe(eventName string, data []byte) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' {
		return // keep-alives, comments, a stray [DONE]
	}
	t.pos.Sequence = nextSequence(t.pos.Sequence, data)
	kind := teeKindOf(eventName)
	if eventName == "" {
		kind = teeKindOfBytes(scanString(data, `"type":"`))
	}
	switch kind {
	case teeStart:
		if t.pos.ResponseID != "" {
			return
		}
		var f struct {
			Response struct {
				ID        string  `json:"id"`
				Model     string  `json:"model"`
				CreatedAt float64 `json:"created_at"`
			} `json:"response"`
		}
		if json.Unmarshal(data, &f) == nil {
			t.pos.ResponseID, t.pos.Model, t.pos.CreatedAt = f.Response.ID, f.Response.Model, int64(f.Response.CreatedAt)
		}
	case teeCompleted, teeIncomplete:
		var f struct {
			Response struct {
				Status            string `json:"status"`
				IncompleteDetails *struct {
					Reason string `json:"reason"`
				} `json:"incomplete_details"`
				Usage  *wireUsage `json:"usage"`
				Output []struct {
					Type    string `json:"type"`
					Content []struct {
						Type string `json:"type"`
					} `json:"content"`
				} `json:"output"`
			} `json:"response"`
		}
		if json.Unmarshal(data, &f) != nil {
			return
		}
		r := &f.Response
		if r.Usage != nil {
			t.usage, t.hasUsage = r.Usage.toCanonical(), true
		}
		called, refused := false, false
		for _, o := range r.Output {
			called = called || o.Type == itemFunctionCall
			for _, c := range o.Content {
				refused = refused || c.Type == "refusal"
			}
		}
		status, reason := statusCompleted, ""
		if kind == teeIncomplete || r.Status == statusIncomplete {
			status = statusIncomplete
		}
		if r.IncompleteDetails != nil {
			reason = r.IncompleteDetails.Reason
		}
		t.finish, t.done = finishFor(status, reason, called, refused), true
	case teeFailed:
		var f struct {
			Response struct {
				Error json.RawMessage `json:"error"`
			} `json:"response"`
		}
		_ = json.Unmarshal(data, &f)
		t.err, t.done = failedError(f.Response.Error), true
	case teeError:
		var f struct {
			Error json.RawMessage `json:"error"`
		}
		inner := json.RawMessage(data)
		if json.Unmarshal(data, &f) == nil && rawKind(f.Error) == '{' {
			inner = f.Error
		}
		t.err, t.done = failedError(inner), true
	}
}

// The frame kinds a Tee parses; every other frame is only counted.
const (
	teeOther = iota
	teeStart
	teeCompleted
	teeIncomplete
	teeFailed
	teeError
)

func teeKindOf(name string) int {
	switch name {
	case "response.created", "response.in_progress", "response.queued":
		return teeStart
	case "response.completed":
		return teeCompleted
	case "response.incomplete":
		return teeIncomplete
	case "response.failed":
		return teeFailed
	case "error":
		return teeError
	}
	return teeOther
}

// teeKindOfBytes is teeKindOf for a name scanned from the frame; switching
// on string(b) does not allocate.
func teeKindOfBytes(b []byte) int {
	switch string(b) {
	case "response.created", "response.in_progress", "response.queued":
		return teeStart
	case "response.completed":
		return teeCompleted
	case "response.incomplete":
		return teeIncomplete
	case "response.failed":
		return teeFailed
	case "error":
		return teeError
	}
	return teeOther
}

// nextSequence returns the sequence number that follows a frame: one past
// its own sequence_number, or next+1 for a frame without one (older
// streams). A quoted "sequence_number": inside text is escaped on the wire,
// so the first unescaped occurrence is the frame's own member.
func nextSequence(next int, data []byte) int {
	i := bytes.Index(data, []byte(`"sequence_number":`))
	if i < 0 {
		return next + 1
	}
	n, digits := 0, 0
	for _, c := range data[i+len(`"sequence_number":`):] {
		if c == ' ' && digits == 0 {
			continue
		}
		if c < '0' || c > '9' || digits > 9 {
			break
		}
		n, digits = n*10+int(c-'0'), digits+1
	}
	switch {
	case digits == 0:
		return next + 1
	case n+1 > next:
		return n + 1
	}
	return next
}

// scanString returns the unescaped bytes of the string value that follows
// the first occurrence of key (e.g. `"type":"`), nil when there is none.
func scanString(data []byte, key string) []byte {
	i := bytes.Index(data, []byte(key))
	if i < 0 {
		return nil
	}
	rest := data[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 || bytes.IndexByte(rest[:j], '\\') >= 0 {
		return nil
	}
	return rest[:j]
}

// Position is where the stream stands (see StreamEncoder.Position).
func (t *Tee) Position() StreamPosition { return t.pos }

// Usage returns the usage of the terminal frame, when one carried it.
func (t *Tee) Usage() (canonical.Usage, bool) { return t.usage, t.hasUsage }

// Finish returns how the turn ended; ok is false until a completed or
// incomplete frame passed.
func (t *Tee) Finish() (r canonical.FinishReason, ok bool) { return t.finish, t.done && t.err == nil }

// Err returns the error of a response.failed or error frame, nil otherwise.
func (t *Tee) Err() *canonical.Error { return t.err }

// Done reports that a terminal frame passed; a stream that reaches EOF
// without one was cut.
func (t *Tee) Done() bool { return t.done }

// ReadUsage reads the usage of a unary Responses object without decoding
// its output: what a relay of a native answer needs for cost and audit.
func ReadUsage(body []byte) (canonical.Usage, bool) {
	var r struct {
		Usage *wireUsage `json:"usage"`
	}
	if json.Unmarshal(body, &r) != nil || r.Usage == nil {
		return canonical.Usage{}, false
	}
	return r.Usage.toCanonical(), true
}
