package ingress

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/nexus-gateway/nexus/internal/canonical"
	geminifmt "github.com/nexus-gateway/nexus/internal/format/gemini"
	responsesfmt "github.com/nexus-gateway/nexus/internal/format/responses"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// errClientWrite marks a failure to write to the client (it went away), as
// opposed to a failure to encode the upstream's answer.
var errClientWrite = errors.New("write to client failed")

// streamSink writes stream frames to the client: raw frames as they are (or
// their data as array elements), canonical events through the shape's
// encoder, created on the first translated frame.
type streamSink struct {
	sink  eventWriter
	sse   *sse.Writer
	array *geminifmt.ArrayWriter
	x     *pipeline.Exchange
	shape pipeline.Shape
	enc   *streamEncoder
}

func newStreamSink(w http.ResponseWriter, shape pipeline.Shape, x *pipeline.Exchange, array bool) *streamSink {
	s := &streamSink{x: x, shape: shape}
	if array {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		s.array = geminifmt.NewArrayWriter(w)
		s.sink = s.array
		return s
	}
	sse.SetStreamHeaders(w.Header())
	s.sse = sse.NewWriter(w)
	s.sink = s.sse
	return s
}

func (s *streamSink) frame(f pipeline.Frame) error {
	if f.Raw != nil {
		var err error
		if s.array != nil {
			if len(f.Data) == 0 {
				return nil // keep-alives and comments have no array form
			}
			err = s.array.WriteEvent("", f.Data)
		} else {
			err = s.sse.WriteRaw(f.Raw)
		}
		if err != nil {
			return fmt.Errorf("%w: %w", errClientWrite, err)
		}
		return nil
	}
	if len(f.Events) == 0 {
		return nil
	}
	if s.enc == nil {
		enc := codecs[s.shape].newEncoder(s.x, clientWriter{s.sink})
		s.enc = &enc
	}
	for _, ev := range f.Events {
		if err := s.enc.encode(ev); err != nil {
			return err
		}
	}
	return nil
}

// errorFrame renders the one terminal error frame after err ended the
// stream (SPEC §6.8); ok is false when none is due. A relayed Responses
// stream knows its own position (RelayError); a translated one is at its
// encoder's position; every other grammar has a fixed frame.
func (s *streamSink) errorFrame(err error, ce *canonical.Error) (name string, data []byte, ok bool) {
	var re *responsesfmt.RelayError
	if s.shape == pipeline.ShapeResponses && errors.As(err, &re) {
		return re.Frame(gatewayTyped(s.shape, ce))
	}
	if s.enc != nil && s.enc.errorFrame != nil {
		name, data = s.enc.errorFrame(gatewayTyped(s.shape, ce))
		return name, data, true
	}
	name, data = streamError(s.shape, ce)
	return name, data, true
}

// hold defers flushing while more frames are ready (SSE only).
func (s *streamSink) hold(on bool) {
	if s.sse != nil {
		s.sse.Hold(on)
	}
}

func (s *streamSink) close() error {
	if s.array != nil {
		return s.array.Close()
	}
	return s.sse.Flush()
}

// clientWriter tags write failures so they are told apart from encoding errors.
type clientWriter struct{ w eventWriter }

func (c clientWriter) WriteEvent(name string, data []byte) error {
	if err := c.w.WriteEvent(name, data); err != nil {
		return fmt.Errorf("%w: %w", errClientWrite, err)
	}
	return nil
}
