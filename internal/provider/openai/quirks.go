package openai

import (
	"github.com/nexus-gateway/nexus/internal/catalog"
	"github.com/nexus-gateway/nexus/internal/fastpath"
)

// quirks is a provider's quirk table compiled once into splice edits. The
// rules are data (catalog presets plus the provider's configured quirks);
// no vendor has a code path of its own here.
type quirks []compiledQuirk

type compiledQuirk struct {
	rule  catalog.Quirk
	edits []fastpath.Edit
}

func compileQuirks(rules []catalog.Quirk) quirks {
	out := make(quirks, 0, len(rules))
	for _, r := range rules {
		var edits []fastpath.Edit
		for _, e := range r.Edits() {
			edits = append(edits, fastpath.Edit{Param: e.Param, To: e.To, Keep: e.Keep})
		}
		if len(edits) > 0 {
			out = append(out, compiledQuirk{rule: r, edits: edits})
		}
	}
	return out
}

// editsFor returns the edits for upstream model id model: nil when no rule
// matches (the common case, which costs a prefix test per rule and nothing
// else), the rule's own slice when one matches, a concatenation otherwise.
func (qs quirks) editsFor(model string) []fastpath.Edit {
	var out []fastpath.Edit
	shared := true
	for i := range qs {
		if !qs[i].rule.Matches(model) {
			continue
		}
		if out == nil {
			out = qs[i].edits
			continue
		}
		if shared {
			out = append([]fastpath.Edit(nil), out...)
			shared = false
		}
		out = append(out, qs[i].edits...)
	}
	return out
}

// reasoningModel reports whether OpenAI's reasoning-model rule (gpt-5*,
// o1–o9*, SPEC §5.6) covers model; the rule itself lives in the catalogue.
func reasoningModel(model string) bool {
	p, _ := catalog.Preset("openai")
	for i := range p.Quirks {
		if p.Quirks[i].Matches(model) {
			return true
		}
	}
	return false
}
