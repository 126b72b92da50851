package estimate

import "github.com/nexus-gateway/nexus/internal/pipeline"

// defaultAllowed applies a key's model globs when the Handler has no
// Allowed function: a glob may name the model code, an alias, the upstream
// id, or "provider/upstream-id"; an empty list admits every model. It is
// the router's rule (route.Allowed), restated here so this package does not
// depend on the router; the gateway should pass route.Allowed as Handler.Allowed
// so there is one rule.
func defaultAllowed(k *pipeline.Key, m *Model) bool {
	if len(k.AllowedModels) == 0 {
		return true
	}
	for _, g := range k.AllowedModels {
		if glob(g, m.Code) || glob(g, m.UpstreamModel) || glob(g, m.Provider+"/"+m.UpstreamModel) {
			return true
		}
		for _, a := range m.Aliases {
			if glob(g, a) {
				return true
			}
		}
	}
	return false
}

// glob matches s against pattern, where '*' is any run of characters and
// every other byte is literal; the match is anchored at both ends.
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
