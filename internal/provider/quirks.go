package provider

import (
	"github.com/nexus-gateway/nexus/internal/catalog"
	"github.com/nexus-gateway/nexus/internal/fastpath"
)

// Quirks is a provider's quirk table compiled once into splice edits. The
// rules are data (catalog presets plus the provider's configured quirks);
// no vendor has a code path of its own in an adapter.
type Quirks []CompiledQuirk

// CompiledQuirk is one rule and its edits.
type CompiledQuirk struct {
	Rule  catalog.Quirk
	Edits []fastpath.Edit
}

// CompileQuirks compiles rules, skipping those that change nothing.
func CompileQuirks(rules []catalog.Quirk) Quirks {
	out := make(Quirks, 0, len(rules))
	for _, r := range rules {
		var edits []fastpath.Edit
		for _, e := range r.Edits() {
			edits = append(edits, fastpath.Edit{Param: e.Param, To: e.To, Keep: e.Keep, With: e.With})
		}
		if len(edits) > 0 {
			out = append(out, CompiledQuirk{Rule: r, Edits: edits})
		}
	}
	return out
}

// EditsFor returns the edits for upstream model id model: nil when no rule
// matches (which costs a prefix test per rule and nothing else), the rule's
// own slice when one matches, a concatenation otherwise (the first edit
// naming a parameter wins, so earlier rules take precedence).
func (qs Quirks) EditsFor(model string) []fastpath.Edit {
	var out []fastpath.Edit
	shared := true
	for i := range qs {
		if !qs[i].Rule.Matches(model) {
			continue
		}
		if out == nil {
			out = qs[i].Edits
			continue
		}
		if shared {
			out = append([]fastpath.Edit(nil), out...)
			shared = false
		}
		out = append(out, qs[i].Edits...)
	}
	return out
}
