package gemini

import (
	"context"
	"net/http"
	"net/url"

	"github.com/nexus-gateway/nexus/internal/format/embeddings"
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/provider"
)

// embed serves an embeddings request with :embedContent or
// :batchEmbedContents. Gemini reports no token usage: the codec estimates
// input tokens (bytes/4) and marks the answer as estimated.
func (a *Adapter) embed(ctx context.Context, x *pipeline.Exchange, t pipeline.Target) (*pipeline.Response, error) {
	er, err := x.EmbeddingRequest()
	if err != nil {
		return nil, err
	}
	path, body, coerced, err := embeddings.EncodeGeminiRequest(er, t.UpstreamModel)
	if err != nil {
		return nil, err
	}
	x.Coerced = append(x.Coerced, coerced...)
	resp, call, err := a.ep.Send(ctx, x, provider.Outbound{
		URL: a.ep.BaseURL + "/models/" + url.PathEscape(t.UpstreamModel) + path, Body: body, Header: make(http.Header, 4),
	}, a.now)
	if err != nil {
		return nil, err
	}
	defer call.Close()
	defer resp.Body.Close()
	hdr := provider.FilterResponseHeaders(resp.Header, pipeline.ShapeGemini, a.ep.APIKey)
	if resp.StatusCode >= 400 {
		return nil, a.ep.UpstreamError(call, resp, hdr, embeddings.DecodeGeminiError, a.now())
	}
	out, release, err := a.ep.ReadUnary(call, resp, &a.bufs, a.maxResponse)
	if err != nil {
		return nil, err
	}
	defer release()
	x.UpstreamTotal = a.now().Sub(x.UpstreamStart)
	dec, err := embeddings.DecodeGeminiResponse(out, er)
	if err != nil {
		return nil, err
	}
	return &pipeline.Response{Status: http.StatusOK, Embeddings: dec, Usage: &dec.Usage}, nil
}
