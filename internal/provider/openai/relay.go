package openai

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// relay forwards an OpenAI-family SSE stream frame by frame, reading usage
// from the trailing usage chunk as it passes (tee-decoding, not buffering).
type relay struct {
	a     *Adapter
	call  *provider.Call
	body  io.ReadCloser
	rd    *sse.Reader
	x     *pipeline.Exchange
	usage canonical.Usage
	has   bool
	done  bool
	fail  error
	tail  []byte
}

func newRelay(a *Adapter, call *provider.Call, body io.ReadCloser, x *pipeline.Exchange) *relay {
	wb := call.WatchBody(body)
	return &relay{a: a, call: call, body: wb, rd: sse.NewReader(wb, 0), x: x}
}

var doneData = []byte("[DONE]")

func (r *relay) Next(ctx context.Context) (pipeline.Frame, error) {
	if r.done {
		return pipeline.Frame{}, io.EOF
	}
	if r.fail != nil {
		return pipeline.Frame{}, r.fail
	}
	ev, err := r.rd.Next()
	switch {
	case err == nil:
	case errors.Is(err, sse.ErrTruncated) && bytes.Equal(bytes.TrimSpace(ev.Data), doneData):
		// "data: [DONE]" without its blank line: complete the frame so the
		// client's grammar stays valid.
		r.tail = append(append(r.tail[:0], ev.Raw...), "\n\n"...)
		r.finish()
		return pipeline.Frame{Raw: r.tail}, nil
	case errors.Is(err, io.EOF) || errors.Is(err, sse.ErrTruncated):
		r.fail = provider.StreamCut(r.a.ep.Name, err)
		return pipeline.Frame{}, r.fail
	default:
		r.fail = provider.MidStreamError(r.call, r.a.ep.Name, err)
		return pipeline.Frame{}, r.fail
	}
	if bytes.Equal(ev.Data, doneData) {
		r.finish()
		return pipeline.Frame{Raw: ev.Raw}, nil
	}
	if u, ok := usageFromBody(ev.Data); ok {
		r.usage, r.has = u, true
	}
	// Scrub costs one substring search per frame and allocates only when
	// an upstream echoed our credential.
	return pipeline.Frame{Raw: provider.Scrub(ev.Raw, r.a.ep.APIKey)}, nil
}

func (r *relay) finish() {
	r.done = true
	r.x.UpstreamTotal = r.a.now().Sub(r.x.UpstreamStart)
}

func (r *relay) Usage() *canonical.Usage {
	if !r.has {
		return nil
	}
	u := r.usage
	return &u
}

func (r *relay) Close() error {
	err := r.body.Close()
	r.call.Close()
	return err
}
