package openai

import (
	"context"
	"net/http"

	"github.com/nexus-gateway/nexus/internal/fastpath"
	"github.com/nexus-gateway/nexus/internal/format/embeddings"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
)

// embed serves POST /v1/embeddings. An OpenAI-shaped caller gets the byte
// path (model rewritten, answer relayed as is, usage read from it).
func (a *Adapter) embed(ctx context.Context, x *pipeline.Exchange, t pipeline.Target) (*pipeline.Response, error) {
	same := x.Ingress == pipeline.ShapeOpenAI && x.Fast != nil
	bp := a.bufs.Get()
	var body []byte
	var err error
	if same {
		body, _, err = x.Fast.Rewrite(*bp, t.UpstreamModel, fastpath.Options{})
	} else {
		er, derr := x.EmbeddingRequest()
		if derr != nil {
			a.bufs.Put(bp)
			return nil, derr
		}
		var enc []byte
		enc, err = embeddings.EncodeOpenAIRequest(er, t.UpstreamModel)
		body = append(*bp, enc...)
	}
	if err != nil {
		a.bufs.Put(bp)
		return nil, err
	}
	h := make(http.Header, 4)
	provider.CopyRequestHeaders(h, x.Header, x.Ingress, pipeline.ShapeOpenAI)
	resp, call, err := a.ep.Send(ctx, x, provider.Outbound{
		URL: a.url(t, "embeddings"), Body: body, Header: h,
		Release: func() { *bp = body[:0]; a.bufs.Put(bp) },
	}, a.now)
	if err != nil {
		return nil, err
	}
	defer call.Close()
	defer resp.Body.Close()
	hdr := provider.FilterResponseHeaders(resp.Header, pipeline.ShapeOpenAI, a.ep.APIKey)
	if resp.StatusCode >= 400 {
		return nil, a.ep.UpstreamError(call, resp, hdr, embeddings.DecodeOpenAIError, a.now())
	}
	out, release, err := a.ep.ReadUnary(call, resp, &a.bufs, a.maxResponse)
	if err != nil {
		return nil, err
	}
	x.UpstreamTotal = a.now().Sub(x.UpstreamStart)
	if !same {
		defer release()
		er, _ := x.EmbeddingRequest()
		dec, err := embeddings.DecodeOpenAIResponse(out, er)
		if err != nil {
			return nil, err
		}
		return &pipeline.Response{Status: http.StatusOK, Embeddings: dec, Usage: &dec.Usage}, nil
	}
	r := &pipeline.Response{Status: resp.StatusCode, Header: hdr, Body: out, Release: release}
	if u, ok := usageFromBody(out); ok {
		r.Usage = &u
	}
	return r, nil
}
