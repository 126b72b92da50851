package ingress

import (
	"github.com/nexus-gateway/nexus/internal/auth"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// The vendor shims (SPEC §2.1): Azure OpenAI's and GLM's own paths, so their
// SDKs can point at the gateway unchanged. Both speak OpenAI chat and
// embeddings, so they run exactly like /v1/chat/completions and
// /v1/embeddings (byte path included) and answer errors in the OpenAI
// envelope.
//
//   - Azure: POST /openai/deployments/{deployment}/chat/completions and
//     …/embeddings. The deployment segment is the model (a body "model" is
//     ignored); the api-version query is accepted and ignored; the key may
//     also come in Azure's api-key header (SPEC §3.4).
//   - GLM: POST /api/paas/v4/chat/completions and …/embeddings, Bearer only.
var azureCarriers = []auth.Carrier{auth.CarrierNexus, auth.CarrierBearer, auth.CarrierAzure}

// deploymentParam is the path wildcard holding an Azure deployment name.
const deploymentParam = "deployment"

func shimRoutes() []route {
	return []route{
		{path: "/openai/deployments/{" + deploymentParam + "}/chat/completions", shape: pipeline.ShapeOpenAI,
			endpoint: pipeline.EndpointChat, carriers: azureCarriers, modelParam: deploymentParam},
		{path: "/openai/deployments/{" + deploymentParam + "}/embeddings", shape: pipeline.ShapeOpenAI,
			endpoint: pipeline.EndpointEmbeddings, carriers: azureCarriers, modelParam: deploymentParam},
		{path: "/api/paas/v4/chat/completions", shape: pipeline.ShapeOpenAI, endpoint: pipeline.EndpointChat, carriers: openAICarriers},
		{path: "/api/paas/v4/embeddings", shape: pipeline.ShapeOpenAI, endpoint: pipeline.EndpointEmbeddings, carriers: openAICarriers},
	}
}
