package openai

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
	openaifmt "github.com/nexus-gateway/nexus/internal/format/openai"
	"github.com/nexus-gateway/nexus/internal/provider"
)

// Azure OpenAI has two URL schemes (docs/providers.md):
//
//   - deployments (base URL https://RES.openai.azure.com, optionally ending in
//     /openai): {base}/openai/deployments/{deployment}/chat/completions?api-version=V,
//     likewise /embeddings; the deployment is the target's upstream model id.
//     Responses are not deployment-scoped: {base}/openai/responses?api-version=V.
//   - v1 (base URL ending in /openai/v1): {base}/chat/completions with the
//     deployment as "model" in the body and no api-version, like OpenAI.
//
// Every other OpenAI-wire provider is {base}/{operation}.
type urlScheme struct {
	base        string // without trailing slash; for deployments, the resource root
	deployments bool
	query       string // "?api-version=…" or ""
}

const typeAzure = "azure-openai"

func newURLScheme(ep *provider.Endpoint) urlScheme {
	base := strings.TrimRight(ep.BaseURL, "/")
	if ep.Type != typeAzure || strings.HasSuffix(base, "/openai/v1") {
		return urlScheme{base: base}
	}
	u := urlScheme{base: strings.TrimSuffix(base, "/openai"), deployments: true}
	if ep.APIVersion != "" {
		u.query = "?api-version=" + url.QueryEscape(ep.APIVersion)
	}
	return u
}

func (u *urlScheme) url(model, op string) string {
	switch {
	case !u.deployments:
		return u.base + "/" + op
	case op == "responses":
		return u.base + "/openai/responses" + u.query
	}
	return u.base + "/openai/deployments/" + url.PathEscape(model) + "/" + op + u.query
}

// decodeError is the OpenAI-family error normaliser plus Azure's content
// filter: a 400 whose innererror code is ResponsibleAIPolicyViolation is a
// content-filter refusal even when the top-level code is missing (SPEC §9.3
// keeps the status-driven kind: invalid_request, 400). The code
// "content_filter" survives into every caller's envelope.
func decodeError(status int, body []byte) *canonical.Error {
	e := openaifmt.DecodeError(status, body)
	if e.Code == "" && strings.Contains(string(body), "ResponsibleAIPolicyViolation") {
		var env struct {
			Error struct {
				InnerError struct {
					Code string `json:"code"`
				} `json:"innererror"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &env) == nil && env.Error.InnerError.Code == "ResponsibleAIPolicyViolation" {
			e.Code = "content_filter"
		}
	}
	return e
}
