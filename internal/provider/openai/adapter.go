// Package openai is the upstream adapter for OpenAI and every
// OpenAI-compatible vendor (a vendor is configuration: base URL, auth style).
// For OpenAI-shaped callers it takes the same-shape fast path: the request
// body is forwarded as bytes with the model rewritten, and the answer is
// relayed as bytes, streams frame by frame. Callers of other shapes are
// translated through the canonical model with format/openai.
package openai

import (
	"context"
	"net/http"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/catalog"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	openaifmt "github.com/nexus-gateway/nexus/internal/format/openai"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
)

// Adapter calls one OpenAI-wire provider.
type Adapter struct {
	ep          *provider.Endpoint
	now         func() time.Time
	maxResponse int64
	bufs        provider.BufferPool
	quirks      provider.Quirks
	urls        urlScheme
}

// Options tunes an Adapter; the zero value works.
type Options struct {
	Now              func() time.Time
	MaxResponseBytes int64 // cap on a unary answer held in memory (default 10 MiB)
	// Quirks are the provider's request rewrites (its preset's and its
	// configured ones), applied to chat requests whose upstream model they
	// match.
	Quirks []catalog.Quirk
}

// New builds the adapter for ep.
func New(ep *provider.Endpoint, opt Options) *Adapter {
	if ep.Client == nil {
		ep.Client = provider.NewClient(ep.Timeouts)
	}
	a := &Adapter{ep: ep, now: opt.Now, maxResponse: opt.MaxResponseBytes,
		quirks: provider.CompileQuirks(opt.Quirks), urls: newURLScheme(ep)}
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
		return a.embed(ctx, x, t)
	}
	if x.Ingress == pipeline.ShapeResponses && t.Responses && x.Fast != nil {
		return a.responses(ctx, x, t)
	}
	same := x.Ingress == pipeline.ShapeOpenAI && x.Fast != nil
	bp := a.bufs.Get()
	body, err := a.prepare(*bp, x, t, same)
	if err != nil {
		a.bufs.Put(bp)
		return nil, err
	}
	h := make(http.Header, 8)
	provider.CopyRequestHeaders(h, x.Header, x.Ingress, pipeline.ShapeOpenAI)
	resp, call, err := a.ep.Send(ctx, x, provider.Outbound{
		URL: a.url(t, "chat/completions"), Body: body, Header: h,
		Release: func() { *bp = body[:0]; a.bufs.Put(bp) },
	}, a.now)
	if err != nil {
		return nil, err
	}
	return a.ep.Answer(call, resp, x, same, &wire, &a.bufs, a.maxResponse, a.now)
}

// wire is the OpenAI codec as the shared answer handling sees it. Unary
// usage is read by the one-member scan rather than a full decode, and the
// byte relay coalesces buffered frames (OpenAI-family callers take SSE as is).
var wire = provider.Wire{
	Shape:          pipeline.ShapeOpenAI,
	DecodeError:    decodeError,
	DecodeResponse: openaifmt.DecodeResponse,
	NewDecoder:     func() provider.StreamDecoder { return openaifmt.NewStreamDecoder() },
	NewTap:         func() provider.Tap { return &tap{} },
	Usage: func(b []byte) *canonical.Usage {
		if u, ok := usageFromBody(b); ok {
			return &u
		}
		return nil
	},
	Coalesce: true,
}

// prepare builds the upstream body: spliced bytes on the fast path, an
// encoding of the canonical request otherwise. The provider's quirk edits
// for the target model apply on both paths, each reported in X-Nexus-Coerced.
func (a *Adapter) prepare(dst []byte, x *pipeline.Exchange, t pipeline.Target, same bool) ([]byte, error) {
	edits := a.quirks.EditsFor(t.UpstreamModel)
	if same {
		body, forced, err := x.Fast.Rewrite(dst, t.UpstreamModel,
			fastpath.Options{ForceUsage: true, Edits: edits, Coerced: &x.Coerced})
		x.ForcedUsage = forced
		return body, err
	}
	req, err := x.Request()
	if err != nil {
		return nil, err
	}
	r := *req
	r.IncludeUsage = r.Stream // usage must be known whatever the caller asked
	// Quirks on parameters the canonical request holds (sampling drops,
	// max_tokens -> max_completion_tokens) are applied to it, so the body
	// is written once; only other configured edits need the splice.
	var quirked []canonical.Coercion
	var opt openaifmt.EncodeOptions
	if len(edits) > 0 {
		if c, capRename, ok := provider.ApplyEdits(&r, edits, true); ok {
			quirked, opt.CompletionCap, edits = c, capRename, nil
		}
	}
	body, coerced, err := openaifmt.EncodeRequestWith(&r, t.UpstreamModel, opt)
	if err != nil {
		return nil, err
	}
	x.Coerced = append(append(x.Coerced, coerced...), quirked...)
	if len(edits) > 0 {
		// The codec writes what compatible servers generally expect; other
		// vendor edits are applied with the same splice as the byte path
		// (one extra scan, for such models only).
		fb, err := fastpath.Peek(body)
		if err != nil {
			return nil, err
		}
		out, _, err := fb.Rewrite(dst, t.UpstreamModel, fastpath.Options{Edits: edits, Coerced: &x.Coerced})
		return out, err
	}
	return append(dst, body...), nil
}

// url is the upstream address of one operation ("chat/completions",
// "embeddings", "responses") for target t. Every OpenAI-wire call builds its
// URL here, so that providers with their own URL scheme (Azure deployments
// and api-version) are handled in one place (azure.go).
func (a *Adapter) url(t pipeline.Target, op string) string {
	return a.urls.url(t.UpstreamModel, op)
}
