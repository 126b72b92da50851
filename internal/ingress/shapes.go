package ingress

import (
	"github.com/nexus-gateway/nexus/internal/canonical"
	anthropicfmt "github.com/nexus-gateway/nexus/internal/format/anthropic"
	geminifmt "github.com/nexus-gateway/nexus/internal/format/gemini"
	openaifmt "github.com/nexus-gateway/nexus/internal/format/openai"
	responsesfmt "github.com/nexus-gateway/nexus/internal/format/responses"
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
	newEncoder     func(x *pipeline.Exchange, ew eventWriter) streamEncoder
}

// streamEncoder writes one translated stream in a shape's grammar.
// errorFrame, when set, renders the terminal error frame at the stream's
// position (Responses numbers every frame); nil means the shape's fixed
// streamError frame.
type streamEncoder struct {
	encode     func(canonical.Event) error
	errorFrame func(*canonical.Error) (string, []byte)
}

// eventWriter is the SSE (or Gemini JSON-array) sink an encoder writes to.
type eventWriter interface {
	WriteEvent(name string, data []byte) error
}

var _ eventWriter = (*sse.Writer)(nil)

var codecs = map[pipeline.Shape]codec{
	pipeline.ShapeOpenAI: {
		decode:         openaifmt.DecodeRequestInPlace, // the body is held until the request ends
		encodeResponse: openaifmt.EncodeResponse,
		encodeError:    openaifmt.EncodeError,
		streamError:    openaifmt.EncodeStreamError,
		newEncoder: func(x *pipeline.Exchange, ew eventWriter) streamEncoder {
			include := true // usage is always delivered (SPEC §6.7): the trailing usage chunk
			if r, err := x.Request(); err == nil && !r.IncludeUsage {
				include = false
			}
			enc := openaifmt.NewStreamEncoder(openaifmt.StreamOptions{Model: x.Target.Model, Created: x.Start.Unix(), IncludeUsage: include})
			return streamEncoder{encode: func(ev canonical.Event) error { return enc.Encode(ev, ew) }}
		},
	},
	pipeline.ShapeAnthropic: {
		decode:         anthropicfmt.DecodeRequest,
		encodeResponse: anthropicfmt.EncodeResponse,
		encodeError:    anthropicfmt.EncodeError,
		streamError:    anthropicfmt.EncodeStreamError,
		newEncoder: func(x *pipeline.Exchange, ew eventWriter) streamEncoder {
			enc := anthropicfmt.NewStreamEncoder(anthropicfmt.StreamOptions{Model: x.Target.Model, Created: x.Start.Unix()})
			return streamEncoder{encode: func(ev canonical.Event) error { return enc.Encode(ev, ew) }}
		},
	},
	pipeline.ShapeResponses: {
		decode:         responsesfmt.DecodeRequest,
		encodeResponse: responsesfmt.EncodeResponse,
		encodeError:    responsesfmt.EncodeError,
		streamError:    responsesfmt.EncodeStreamError,
		newEncoder: func(x *pipeline.Exchange, ew eventWriter) streamEncoder {
			enc := responsesfmt.NewStreamEncoder(responsesfmt.StreamOptions{Model: x.Target.Model, Created: x.Start.Unix()})
			return streamEncoder{
				encode:     func(ev canonical.Event) error { return enc.Encode(ev, ew) },
				errorFrame: enc.ErrorFrame,
			}
		},
	},
	pipeline.ShapeGemini: {
		decode:         geminifmt.DecodeRequest,
		encodeResponse: geminifmt.EncodeResponse,
		encodeError:    geminifmt.EncodeError,
		streamError:    geminifmt.EncodeStreamError,
		newEncoder: func(x *pipeline.Exchange, ew eventWriter) streamEncoder {
			enc := geminifmt.NewStreamEncoder(geminifmt.StreamOptions{Model: x.Target.Model, Created: x.Start.Unix()})
			return streamEncoder{encode: func(ev canonical.Event) error { return enc.Encode(ev, ew) }}
		},
	},
}
