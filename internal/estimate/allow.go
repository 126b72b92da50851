package estimate

import (
	"github.com/nexus-gateway/nexus/internal/pipeline"
	"github.com/nexus-gateway/nexus/internal/route"
)

// defaultAllowed applies a key's model globs when the Handler has no
// Allowed function, with the router's own rule (route.Allowed): a glob may
// name the model code, an alias, the upstream id, or "provider/upstream-id";
// an empty list admits every model.
func defaultAllowed(k *pipeline.Key, m *Model) bool {
	return route.Allowed(k.AllowedModels, &route.Model{Name: m.Code, Aliases: m.Aliases, Provider: m.Provider, UpstreamModel: m.UpstreamModel})
}
