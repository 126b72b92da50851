package anthropic

import (
	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/fastpath"
)

// samplingOnly reports whether every edit removes a sampling parameter
// (temperature, top_p, top_k: the same names on the Anthropic wire), with a
// condition on another sampling parameter at most. Such edits are carried
// out on a translated request before it is encoded; any other edit makes
// the adapter splice the encoded body instead, so that the edits keep
// their order semantics.
func samplingOnly(edits []fastpath.Edit) bool {
	for _, e := range edits {
		if samplingIndex(e.Param) < 0 || e.To != "" || (e.With != "" && samplingIndex(e.With) < 0) {
			return false
		}
	}
	return true
}

// applySampling carries out sampling edits on r with the splice's rules:
// the first edit of a parameter wins, Keep never matches a number, With
// needs the other parameter present. Each removal is reported.
func applySampling(r *canonical.Request, edits []fastpath.Edit, coerced *[]canonical.Coercion) {
	fields := [3]bool{r.Temperature != nil, r.TopP != nil, r.TopK != nil}
	present := fields // what the body held: With tests the request as sent
	for _, e := range edits {
		i := samplingIndex(e.Param)
		if !fields[i] {
			continue
		}
		to := "removed"
		if e.With != "" {
			if !present[samplingIndex(e.With)] {
				continue
			}
			to = "removed_with_" + e.With + "_present"
		}
		fields[i] = false
		*coerced = append(*coerced, canonical.Coercion{Field: e.Param, To: to})
	}
	if !fields[0] {
		r.Temperature = nil
	}
	if !fields[1] {
		r.TopP = nil
	}
	if !fields[2] {
		r.TopK = nil
	}
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
