package provider

import (
	"github.com/nexus-gateway/nexus/internal/canonical"
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

// ApplyEdits carries out quirk edits on a translated request before it is
// encoded, where the canonical model holds the parameter, so the body is
// written once instead of encoded, scanned and spliced: removing
// temperature, top_p or top_k (With another of them), and, when the wire
// can express it (capRename), renaming max_tokens to max_completion_tokens
// (returned as completionCap for the encoder). It follows the splice's
// rules (the first edit of a parameter wins, Keep never matches a number,
// With needs the other parameter present) and returns the coercions the
// splice would report, in the same order. ok is false, and r untouched,
// when an edit needs the splice (any other parameter).
func ApplyEdits(r *canonical.Request, edits []fastpath.Edit, capRename bool) (coerced []canonical.Coercion, completionCap, ok bool) {
	for _, e := range edits {
		switch {
		case e.Param == "max_tokens" && e.To == "max_completion_tokens" && capRename && e.With == "":
		case samplingIndex(e.Param) >= 0 && e.To == "" && (e.With == "" || samplingIndex(e.With) >= 0):
		default:
			return nil, false, false
		}
	}
	present := [3]bool{r.Temperature != nil, r.TopP != nil, r.TopK != nil}
	has := present // what the request holds now; With tests the request as sent
	renamed := false
	for _, e := range edits {
		if e.Param == "max_tokens" {
			if !renamed && r.MaxTokens != nil {
				coerced = append(coerced, canonical.Coercion{Field: e.Param, To: e.To})
				completionCap = true
			}
			renamed = true
			continue
		}
		i := samplingIndex(e.Param)
		if !has[i] {
			continue
		}
		to := "removed"
		if e.With != "" {
			if !present[samplingIndex(e.With)] {
				continue
			}
			to = "removed_with_" + e.With + "_present"
		}
		has[i] = false
		coerced = append(coerced, canonical.Coercion{Field: e.Param, To: to})
	}
	if !has[0] {
		r.Temperature = nil
	}
	if !has[1] {
		r.TopP = nil
	}
	if !has[2] {
		r.TopK = nil
	}
	return coerced, completionCap, true
}

func samplingIndex(p string) int {
	switch p {
	case "temperature":
		return 0
	case "top_p":
		return 1
	case "top_k":
		return 2
	}
	return -1
}
