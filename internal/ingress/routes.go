package ingress

import (
	"net/http"
	"strings"

	"github.com/nexus-gateway/nexus/internal/auth"
	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// route is one data-plane endpoint.
type route struct {
	path     string
	shape    pipeline.Shape
	endpoint pipeline.Endpoint
	carriers []auth.Carrier
	// modelInPath: the model (and the stream flag) come from the URL, as in
	// Gemini's /v1beta/models/{model}:generateContent.
	modelInPath bool
	// modelParam names a path wildcard that is the model while the stream
	// flag stays in the body (Azure's {deployment}, shims.go).
	modelParam string
}

var (
	openAICarriers    = []auth.Carrier{auth.CarrierNexus, auth.CarrierBearer}
	anthropicCarriers = []auth.Carrier{auth.CarrierNexus, auth.CarrierBearer, auth.CarrierAnthropic}
	geminiCarriers    = []auth.Carrier{auth.CarrierNexus, auth.CarrierBearer, auth.CarrierGemini}
)

func (s *Server) routes() []route {
	return append([]route{
		{path: "/v1/chat/completions", shape: pipeline.ShapeOpenAI, endpoint: pipeline.EndpointChat, carriers: openAICarriers},
		{path: "/v1/embeddings", shape: pipeline.ShapeOpenAI, endpoint: pipeline.EndpointEmbeddings, carriers: openAICarriers},
		{path: "/v1/responses", shape: pipeline.ShapeResponses, endpoint: pipeline.EndpointResponses, carriers: openAICarriers},
		{path: "/v1/messages", shape: pipeline.ShapeAnthropic, endpoint: pipeline.EndpointChat, carriers: anthropicCarriers},
		{path: "/v1beta/models/{target}", shape: pipeline.ShapeGemini, endpoint: pipeline.EndpointChat, carriers: geminiCarriers, modelInPath: true},
	}, shimRoutes()...)
}

// geminiTarget splits "{model}:generateContent" / ":streamGenerateContent"
// (SPEC §2.1): any other action is an unknown route, an empty model a 400.
func geminiTarget(seg string) (model string, stream bool, err *canonical.Error) {
	model, action, ok := strings.Cut(seg, ":")
	switch {
	case !ok || (action != "generateContent" && action != "streamGenerateContent"):
		return "", false, canonical.Errorf(canonical.KindInvalidRequest, http.StatusNotFound, "route_not_found",
			"unknown Gemini method %q; use :generateContent or :streamGenerateContent", action)
	case model == "":
		return "", false, canonical.Errorf(canonical.KindInvalidRequest, http.StatusBadRequest, "model_required",
			"the model is missing from the path").WithParam("model")
	}
	return model, action == "streamGenerateContent", nil
}

// shapeFor guesses the caller's API shape from a path, for errors on routes
// that did not match (404/405) so that even those come in a familiar envelope.
func shapeFor(path string) pipeline.Shape {
	switch {
	case strings.HasPrefix(path, "/v1/messages"):
		return pipeline.ShapeAnthropic
	case strings.HasPrefix(path, "/v1beta/"):
		return pipeline.ShapeGemini
	case strings.HasPrefix(path, "/v1/responses"):
		return pipeline.ShapeResponses
	}
	return pipeline.ShapeOpenAI
}

func methodNotAllowed(method string) *canonical.Error {
	return canonical.Errorf(canonical.KindInvalidRequest, http.StatusMethodNotAllowed, "method_not_allowed",
		"method %s is not allowed on this route; use POST", method)
}
