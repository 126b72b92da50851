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
}

var openAICarriers = []auth.Carrier{auth.CarrierNexus, auth.CarrierBearer}

func (s *Server) routes() []route {
	return []route{
		{path: "/v1/chat/completions", shape: pipeline.ShapeOpenAI, endpoint: pipeline.EndpointChat, carriers: openAICarriers},
	}
}

// shapeFor guesses the caller's API shape from a path, for errors on routes
// that did not match (404/405) so that even those come in a familiar envelope.
func shapeFor(path string) pipeline.Shape {
	switch {
	case strings.HasPrefix(path, "/v1/messages"):
		return pipeline.ShapeAnthropic
	case strings.HasPrefix(path, "/v1beta/"):
		return pipeline.ShapeGemini
	}
	return pipeline.ShapeOpenAI
}

func methodNotAllowed(method string) *canonical.Error {
	return canonical.Errorf(canonical.KindInvalidRequest, http.StatusMethodNotAllowed, "method_not_allowed",
		"method %s is not allowed on this route; use POST", method)
}
