package ingress

import (
	"github.com/nexus-gateway/nexus/internal/canonical"
	anthropicfmt "github.com/nexus-gateway/nexus/internal/format/anthropic"
	geminifmt "github.com/nexus-gateway/nexus/internal/format/gemini"
	openaifmt "github.com/nexus-gateway/nexus/internal/format/openai"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// codec is what ingress needs from one API shape's format package. The
// format packages declare their own EventWriter interfaces; *sse.Writer
// satisfies each, so the closures below bind them to it.
type codec struct {
	decode         func([]byte) (*canonical.Request, error)
	encodeResponse func(*canonical.Response) ([]byte, error)
	encodeError    func(*canonical.Error) []byte
	streamError    func(*canonical.Error) (string, []byte)
	newEncoder     func(x *pipeline.Exchange, ew eventWriter) func(canonical.Event) error
}

// eventWriter is the SSE (or Gemini JSON-array) sink an encoder writes to.
type eventWriter interface {
	WriteEvent(name string, data []byte) error
}

var _ eventWriter = (*sse.Writer)(nil)

var codecs = map[pipeline.Shape]codec{
	pipeline.ShapeOpenAI: {
		decode:         openaifmt.DecodeRequest,
		encodeResponse: openaifmt.EncodeResponse,
		encodeError:    openaifmt.EncodeError,
		streamError:    openaifmt.EncodeStreamError,
		newEncoder: func(x *pipeline.Exchange, ew eventWriter) func(canonical.Event) error {
			include := true // usage is always delivered (SPEC §6.7): the trailing usage chunk
			if r, err := x.Request(); err == nil && !r.IncludeUsage {
				include = false
			}
			enc := openaifmt.NewStreamEncoder(openaifmt.StreamOptions{Model: x.Target.Model, Created: x.Start.Unix(), IncludeUsage: include})
			return func(ev canonical.Event) error { return enc.Encode(ev, ew) }
		},
	},
	pipeline.ShapeAnthropic: {
		decode:         anthropicfmt.DecodeRequest,
		encodeResponse: anthropicfmt.EncodeResponse,
		encodeError:    anthropicfmt.EncodeError,
		streamError:    anthropicfmt.EncodeStreamError,
		newEncoder: func(x *pipeline.Exchange, ew eventWriter) func(canonical.Event) error {
			enc := anthropicfmt.NewStreamEncoder(anthropicfmt.StreamOptions{Model: x.Target.Model, Created: x.Start.Unix()})
			return func(ev canonical.Event) error { return enc.Encode(ev, ew) }
		},
	},
	pipeline.ShapeGemini: {
		decode:         geminifmt.DecodeRequest,
		encodeResponse: geminifmt.EncodeResponse,
		encodeError:    geminifmt.EncodeError,
		streamError:    geminifmt.EncodeStreamError,
		newEncoder: func(x *pipeline.Exchange, ew eventWriter) func(canonical.Event) error {
			enc := geminifmt.NewStreamEncoder(geminifmt.StreamOptions{Model: x.Target.Model, Created: x.Start.Unix()})
			return func(ev canonical.Event) error { return enc.Encode(ev, ew) }
		},
	},
}
