package responses

import "github.com/nexus-gateway/nexus/internal/canonical"

// RelayError is how a relayed Responses stream (a native target, frames
// passed verbatim) reports its failure to ingress: the error, and where the
// stream stood, so the one response.failed frame of SPEC §6.8 continues the
// upstream's own sequence numbers and names its response
// (EncodeStreamErrorAt). Ingress does not decode relayed frames, so only the
// relay's Tee knows that position.
//
// Sent is true when the terminal frame already went out: the upstream
// itself ended the stream with response.failed (or an error event), which
// was relayed as is. Ingress then writes nothing more and only records the
// failure.
type RelayError struct {
	Err  *canonical.Error
	Pos  StreamPosition
	Sent bool
}

func (e *RelayError) Error() string { return e.Err.Error() }

// Unwrap lets canonical.As find the error's classification.
func (e *RelayError) Unwrap() error { return e.Err }

// Frame renders the terminal frame for this failure (see EncodeStreamErrorAt);
// ok is false when the upstream's own frame was already relayed.
func (e *RelayError) Frame(err *canonical.Error) (name string, data []byte, ok bool) {
	if e.Sent {
		return "", nil, false
	}
	name, data = EncodeStreamErrorAt(err, e.Pos)
	return name, data, true
}
