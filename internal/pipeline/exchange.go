// Package pipeline holds the per-request Exchange and the stage contract the
// gateway's request path is built from. It knows no HTTP routes, no vendors
// and no stores: ingress fills an Exchange, a chain of stages (quota, cache,
// hooks, …) runs, and the terminal stage (route) produces a Response.
package pipeline

import (
	"context"
	"net/http"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/fastpath"
)

// Shape names an API wire shape (SPEC "body format").
type Shape string

const (
	ShapeOpenAI    Shape = "openai"
	ShapeAnthropic Shape = "anthropic"
	ShapeGemini    Shape = "gemini"
	// ShapeResponses is the OpenAI Responses API (/v1/responses). It is an
	// ingress shape only: no provider speaks it as its chat wire; OpenAI
	// and Azure OpenAI serve it natively beside their chat wire.
	ShapeResponses Shape = "openai-responses"
)

// Endpoint names the kind of operation (chat, embeddings, …).
type Endpoint string

const (
	EndpointChat       Endpoint = "chat"
	EndpointEmbeddings Endpoint = "embeddings"
	EndpointResponses  Endpoint = "responses" // OpenAI Responses API (/v1/responses)
)

// Key is the authenticated caller: what a stage may know about the virtual
// key. It never holds the key itself.
type Key struct {
	ID            string
	Name          string
	Prefix        string
	AllowedModels []string
	RPM           int
	Labels        map[string]string
}

// Target is one resolved (provider, model) pair the executor may call.
type Target struct {
	Provider      string // provider name from configuration
	ProviderType  string // preset type (openai, anthropic, …)
	Wire          Shape  // wire family the provider speaks
	Model         string // client-facing model code
	UpstreamModel string // id sent upstream
	// Responses: the provider serves the Responses API natively, so a
	// /v1/responses request is relayed to it as is instead of translated.
	Responses bool
}

// Exchange is one proxied request travelling through the stages. Stages read
// and annotate it; only the goroutine serving the request touches it.
type Exchange struct {
	ID       string
	Start    time.Time
	Ingress  Shape
	Endpoint Endpoint
	Key      *Key

	Header http.Header // inbound request headers (read-only)
	Body   []byte      // raw inbound body (read-only; pooled, valid until the request ends)

	Model  string // requested model string
	Stream bool

	// Fast is the peeked body of a JSON-bodied shape (model, stream and the
	// spans the same-shape fast path splices); nil for shapes without one.
	Fast *fastpath.Body
	// ForcedUsage is set when the gateway switched streamed usage on although
	// the client did not ask for it.
	ForcedUsage bool

	// Decode is the ingress shape's request decoder; Request uses it the
	// first time a stage or an adapter needs the canonical form, so the
	// same-shape fast path never decodes the body at all.
	Decode    func(body []byte) (*canonical.Request, error)
	canonical *canonical.Request
	// DecodeEmbeddings is the embeddings counterpart of Decode.
	DecodeEmbeddings func(body []byte) (*canonical.EmbeddingRequest, error)
	embeddings       *canonical.EmbeddingRequest

	// Filled by routing and the executor.
	Target   Target
	Attempts int
	Coerced  []canonical.Coercion
	// RouteReason says why the smart router ("auto") chose Target's model;
	// "" otherwise. Routing also puts it in ResponseHeader as
	// X-Nexus-Route-Reason.
	RouteReason string

	// ResponseHeader collects headers stages add to the answer (quota state,
	// warnings, route reasons); ingress writes them on success and on
	// errors alike, before its own X-Nexus-* headers.
	ResponseHeader http.Header

	// Usage is what the upstream reported, once known.
	Usage *canonical.Usage

	// Upstream timing.
	UpstreamStart time.Time
	UpstreamTTFB  time.Duration
	UpstreamTotal time.Duration
}

// Response is what the terminal stage hands back to ingress. Exactly one of
// Body, Canonical or Stream is set.
type Response struct {
	Status int
	Header http.Header // upstream headers that passed the allowlist

	// Body is a unary answer already in the ingress shape (same-shape fast path).
	Body []byte
	// Canonical is a unary answer ingress must encode in its shape.
	Canonical *canonical.Response
	// Stream is a streamed answer.
	Stream Stream
	// Embeddings is a translated embeddings answer ingress encodes.
	Embeddings *canonical.EmbeddingResponse

	// Usage is what the upstream reported for a unary answer (nil if unknown).
	Usage *canonical.Usage
	// Release, when set, returns pooled memory behind Body; ingress calls it
	// after the body was written.
	Release func()
}

// Frame is one unit of a streamed answer: either raw bytes already in the
// ingress grammar (same-shape relay) or canonical events to encode.
type Frame struct {
	Raw    []byte
	Events []canonical.Event
	// Data and Name are the SSE data and event name of a raw frame, for
	// ingress writers that re-frame (Gemini's JSON-array stream).
	Data []byte
	Name string
}

// Stream is a pull-based streamed answer. Next blocks for the next frame and
// returns io.EOF after the last one; any other error means the stream failed
// (ingress then writes the one terminal error frame of its grammar). Frames
// are valid until the next call. Close releases the upstream connection and
// must be called exactly once.
type Stream interface {
	Next(ctx context.Context) (Frame, error)
	Close() error
	// Usage returns the usage reported so far (nil when none); complete after io.EOF.
	Usage() *canonical.Usage
	// Ready reports whether Next would return without waiting on the
	// network (a complete frame is already buffered). Ingress then writes
	// the frame without flushing and flushes once it would wait: clients
	// get every frame as soon as the gateway has nothing newer to send,
	// with one flush per upstream read instead of one per frame.
	Ready() bool
}

// Handler serves an Exchange.
type Handler interface {
	Serve(ctx context.Context, x *Exchange) (*Response, error)
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, x *Exchange) (*Response, error)

func (f HandlerFunc) Serve(ctx context.Context, x *Exchange) (*Response, error) { return f(ctx, x) }

// Stage is one step of the chain: it may answer or fail on its own, or call
// next and inspect or wrap what comes back.
type Stage interface {
	Serve(ctx context.Context, x *Exchange, next Handler) (*Response, error)
}

// Chain builds a Handler that runs stages in order and ends in terminal.
func Chain(terminal Handler, stages ...Stage) Handler {
	h := terminal
	for i := len(stages) - 1; i >= 0; i-- {
		h = link{stage: stages[i], next: h}
	}
	return h
}

type link struct {
	stage Stage
	next  Handler
}

func (l link) Serve(ctx context.Context, x *Exchange) (*Response, error) {
	return l.stage.Serve(ctx, x, l.next)
}

// Request returns the canonical request, decoding the body once on first use.
// The model and stream flag are the ones ingress extracted (for Gemini they
// come from the path, not the body). Its strings may be views of Body (the
// OpenAI decoder does not copy plain message texts), so they share Body's
// lifetime: a stage that keeps one after the request ends must copy it
// (strings.Clone).
func (x *Exchange) Request() (*canonical.Request, error) {
	if x.canonical != nil {
		return x.canonical, nil
	}
	if x.Decode == nil {
		return nil, canonical.Errorf(canonical.KindEndpointUnsupported, 400, "endpoint_unsupported",
			"requests of the %s shape cannot be translated", x.Ingress)
	}
	req, err := x.Decode(x.Body)
	if err != nil {
		return nil, err
	}
	req.Model, req.Stream = x.Model, x.Stream
	x.canonical = req
	return req, nil
}

// SetRequest installs an already decoded or rewritten canonical request
// (stages that modify the request, such as redaction, use it).
func (x *Exchange) SetRequest(r *canonical.Request) { x.canonical = r }

// SetHeader records a header for the answer.
func (x *Exchange) SetHeader(k, v string) {
	if x.ResponseHeader == nil {
		x.ResponseHeader = make(http.Header, 4)
	}
	x.ResponseHeader.Set(k, v)
}

// EmbeddingRequest returns the canonical embeddings request, decoded once.
func (x *Exchange) EmbeddingRequest() (*canonical.EmbeddingRequest, error) {
	if x.embeddings != nil {
		return x.embeddings, nil
	}
	if x.DecodeEmbeddings == nil {
		return nil, canonical.Errorf(canonical.KindEndpointUnsupported, 400, "endpoint_unsupported",
			"embeddings requests of the %s shape cannot be translated", x.Ingress)
	}
	req, err := x.DecodeEmbeddings(x.Body)
	if err != nil {
		return nil, err
	}
	req.Model = x.Model
	x.embeddings = req
	return req, nil
}
