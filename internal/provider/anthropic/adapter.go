// Package anthropic is the upstream adapter for the Anthropic Messages API.
// Anthropic-shaped callers take the same-shape byte path (model rewritten,
// frames relayed as they come); others are translated through the canonical
// model with format/anthropic.
package anthropic

import (
	"context"
	"net/http"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/catalog"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	anthropicfmt "github.com/nexus-gateway/nexus/internal/format/anthropic"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
	"github.com/nexus-gateway/nexus/internal/sse"
)

// DefaultVersion is sent as anthropic-version when the caller gave none
// (translated requests, or Anthropic callers that omit it).
const DefaultVersion = "2023-06-01"

// Adapter calls one Anthropic-wire provider.
type Adapter struct {
	ep          *provider.Endpoint
	now         func() time.Time
	maxResponse int64
	bufs        provider.BufferPool
	quirks      provider.Quirks
}

// Options tunes an Adapter; the zero value works.
type Options struct {
	Now              func() time.Time
	MaxResponseBytes int64 // default 10 MiB
	// Quirks are the provider's request rewrites (the preset's Claude 4
	// sampling rules, SPEC §5.6, and any configured ones).
	Quirks []catalog.Quirk
}

// New builds the adapter for ep.
func New(ep *provider.Endpoint, opt Options) *Adapter {
	if ep.Client == nil {
		ep.Client = provider.NewClient(ep.Timeouts)
	}
	if ep.AuthStyle == "" {
		ep.AuthStyle = "x-api-key"
	}
	a := &Adapter{ep: ep, now: opt.Now, maxResponse: opt.MaxResponseBytes, quirks: provider.CompileQuirks(opt.Quirks)}
	if a.now == nil {
		a.now = time.Now
	}
	if a.maxResponse <= 0 {
		a.maxResponse = 10 << 20
	}
	return a
}

// Do sends x to the provider as target t.
func (a *Adapter) Do(ctx context.Context, x *pipeline.Exchange, t pipeline.Target) (*pipeline.Response, error) {
	if x.Endpoint == pipeline.EndpointEmbeddings {
		// Anthropic serves no embeddings; routing's capability filter
		// normally keeps such requests away, this is the backstop.
		return nil, canonical.Errorf(canonical.KindNoCompatible, http.StatusBadRequest, "no_compatible_provider",
			"provider %s (anthropic) cannot serve %s requests", a.ep.Name, x.Endpoint)
	}
	// A body holding another provider's tagged reasoning signature (the
	// conversation moved here from another model) is translated, which
	// drops what this provider could not verify.
	same := x.Ingress == pipeline.ShapeAnthropic && x.Fast != nil && !canonical.CarriesForeignSignature(x.Body, string(pipeline.ShapeAnthropic))
	bp := a.bufs.Get()
	body, err := a.prepare(*bp, x, t, same)
	if err != nil {
		a.bufs.Put(bp)
		return nil, err
	}
	h := make(http.Header, 8)
	provider.CopyRequestHeaders(h, x.Header, x.Ingress, pipeline.ShapeAnthropic)
	if h.Get("Anthropic-Version") == "" {
		h.Set("Anthropic-Version", DefaultVersion)
	}
	resp, call, err := a.ep.Send(ctx, x, provider.Outbound{
		URL: a.ep.BaseURL + "/v1/messages", Body: body, Header: h,
		Release: func() { *bp = body[:0]; a.bufs.Put(bp) },
	}, a.now)
	if err != nil {
		return nil, err
	}
	return a.ep.Answer(call, resp, x, same, &wire, &a.bufs, a.maxResponse, a.now)
}

// wire is the Anthropic codec as the shared answer handling sees it.
var wire = provider.Wire{
	Shape:          pipeline.ShapeAnthropic,
	DecodeError:    anthropicfmt.DecodeError,
	DecodeResponse: anthropicfmt.DecodeResponse,
	NewDecoder:     func() provider.StreamDecoder { return anthropicfmt.NewStreamDecoder() },
	NewTap:         func() provider.Tap { return newTap() },
}

// prepare builds the upstream body: spliced bytes on the fast path, an
// encoding of the canonical request otherwise. The quirk edits for the
// target model apply on both paths, each reported in X-Nexus-Coerced.
func (a *Adapter) prepare(dst []byte, x *pipeline.Exchange, t pipeline.Target, same bool) ([]byte, error) {
	edits := a.quirks.EditsFor(t.UpstreamModel)
	if same {
		body, _, err := x.Fast.Rewrite(dst, t.UpstreamModel, fastpath.Options{Edits: edits, Coerced: &x.Coerced})
		return body, err
	}
	req, err := x.Request()
	if err != nil {
		return nil, err
	}
	var quirked []canonical.Coercion
	if len(edits) > 0 {
		// Edits of parameters the canonical request holds act on it, so
		// the body is still encoded once.
		r := *req
		if c, _, ok := provider.ApplyEdits(&r, edits, false); ok {
			req, edits, quirked = &r, nil, c
		}
	}
	if len(edits) > 0 {
		// Configured edits of other parameters: encode, then splice into
		// the pooled buffer as on the byte path.
		body, coerced, err := anthropicfmt.AppendRequest(nil, req, t.UpstreamModel)
		if err != nil {
			return nil, err
		}
		x.Coerced = append(x.Coerced, coerced...)
		fb, err := fastpath.Peek(body)
		if err != nil {
			return nil, err
		}
		out, _, err := fb.Rewrite(dst, t.UpstreamModel, fastpath.Options{Edits: edits, Coerced: &x.Coerced})
		return out, err
	}
	// Encoded straight into the pooled buffer: a large prompt is written once.
	body, coerced, err := anthropicfmt.AppendRequest(dst, req, t.UpstreamModel)
	if err != nil {
		return nil, err
	}
	x.Coerced = append(append(x.Coerced, quirked...), coerced...)
	return body, nil
}

// tap reads usage from an Anthropic stream relayed byte for byte. Only the
// frames that carry usage or end the stream are decoded; content deltas pass
// untouched.
type tap struct {
	dec   *anthropicfmt.StreamDecoder
	buf   []canonical.Event
	usage *canonical.Usage
}

func newTap() *tap {
	return &tap{dec: anthropicfmt.NewStreamDecoder(), buf: make([]canonical.Event, 0, 4)}
}

func (t *tap) Observe(ev sse.Event) bool {
	switch ev.Name {
	case "message_start", "message_delta":
		t.buf, _ = t.dec.Decode(ev.Name, ev.Data, t.buf[:0])
		for _, e := range t.buf {
			if e.Usage != nil {
				u := *e.Usage
				t.usage = &u
			}
		}
	case "message_stop", "error":
		// An upstream error event is already the one terminal frame of the
		// caller's (same) grammar: the relay must not add another.
		return true
	}
	return false
}

func (t *tap) AtEOF() ([]byte, bool)   { return nil, false }
func (t *tap) Usage() *canonical.Usage { return t.usage }
