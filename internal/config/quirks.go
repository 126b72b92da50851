package config

import (
	"maps"
	"slices"
	"strings"
	"unicode"

	"github.com/nexus-gateway/nexus/internal/catalog"
)

// checkProviderQuirks validates the vendor keys of a provider: auth_style
// (OpenAI wire), quirks and preset_quirks (OpenAI and Anthropic wires;
// docs/providers.md).
func (c *Config) checkProviderQuirks(e *errs, path string, p Provider, preset catalog.ProviderPreset) {
	openAIWire := preset.WireFormat == catalog.WireOpenAI
	_, styleInFile := e.src.lines[path+".auth_style"]
	switch {
	case styleInFile && !openAIWire:
		e.add(path+".auth_style", "only valid for OpenAI-wire providers; type %s always sends %s", p.Type, preset.AuthStyle)
	case styleInFile:
		switch p.AuthStyle {
		case catalog.AuthBearer, catalog.AuthAPIKeyHeader, catalog.AuthXAPIKey:
		case catalog.AuthNone:
			if p.APIKey != "" || len(p.Credentials) > 0 || p.Credential != "" {
				e.add(path+".auth_style", "auth_style none sends no key; remove the key or choose bearer, api-key or x-api-key")
			}
		default:
			e.add(path+".auth_style", "%s: want bearer, api-key, x-api-key or none", quoteShort(p.AuthStyle))
		}
	}
	quirkWire := openAIWire || preset.WireFormat == catalog.WireAnthropic
	if p.ServesResponses != nil && !openAIWire {
		e.add(path+".serves_responses", "only valid for OpenAI-wire providers (type %s speaks %s)", p.Type, preset.WireFormat)
	}
	if _, inFile := e.src.lines[path+".preset_quirks"]; inFile && !quirkWire {
		e.add(path+".preset_quirks", "only valid for OpenAI-wire and Anthropic providers")
	}
	if len(p.Quirks) > 0 && !quirkWire {
		e.add(path+".quirks", "only valid for OpenAI-wire and Anthropic providers (type %s speaks %s)", p.Type, preset.WireFormat)
		return
	}
	for i, q := range p.Quirks {
		checkQuirk(e, index(path+".quirks", i), q)
	}
}

func checkQuirk(e *errs, path string, q catalog.Quirk) {
	if len(q.Rename) == 0 && len(q.Drop) == 0 && len(q.DropUnless) == 0 && len(q.DropWith) == 0 {
		e.add(path, "the rule changes nothing: set rename, drop, drop_unless or drop_with")
	}
	for j, m := range q.Models {
		if m == "" || strings.ContainsFunc(m, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) {
			e.add(index(path+".models", j), "want a model id prefix without spaces")
		}
	}
	// Each parameter may be the subject of one edit per rule.
	seen := map[string]string{}
	claim := func(field, param string) bool {
		if msg := paramProblem(param); msg != "" {
			e.add(field, "%s", msg)
			return false
		}
		if prev, dup := seen[param]; dup {
			e.add(field, "%q is already edited by %s", param, prev)
			return false
		}
		seen[param] = field
		return true
	}
	for _, from := range slices.Sorted(maps.Keys(q.Rename)) {
		field := join(path+".rename", from)
		if !claim(field, from) {
			continue
		}
		switch to := q.Rename[from]; {
		case paramProblem(to) != "":
			e.add(field, "new name: %s", paramProblem(to))
		case to == from:
			e.add(field, "renames %q to itself", from)
		}
	}
	for j, d := range q.Drop {
		claim(index(path+".drop", j), d)
	}
	for _, k := range slices.Sorted(maps.Keys(q.DropUnless)) {
		field := join(path+".drop_unless", k)
		if !claim(field, k) {
			continue
		}
		if len(q.DropUnless[k]) == 0 {
			e.add(field, "list the values to keep (for example [auto, none]); to always remove %q use drop", k)
		}
		if slices.Contains(q.DropUnless[k], "") {
			e.add(field, "empty value in the keep list")
		}
	}
	for _, k := range slices.Sorted(maps.Keys(q.DropWith)) {
		field := join(path+".drop_with", k)
		if !claim(field, k) {
			continue
		}
		switch with := q.DropWith[k]; {
		case paramProblem(with) != "":
			e.add(field, "the parameter it goes with: %s", paramProblem(with))
		case with == k:
			e.add(field, "drops %q when %q itself is present; to always remove it use drop", k, k)
		}
	}
}

// paramProblem returns why param cannot be a quirk's subject, or "".
func paramProblem(param string) string {
	if param == "" {
		return "empty parameter name"
	}
	for _, r := range param {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return quoteShort(param) + ": want a top-level parameter name such as max_tokens"
		}
	}
	if catalog.ReservedParam(param) {
		return quoteShort(param) + " is managed by the gateway and cannot be renamed or dropped"
	}
	return ""
}
