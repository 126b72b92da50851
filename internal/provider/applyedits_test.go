package provider

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	openaifmt "github.com/nexus-gateway/nexus/internal/format/openai"
)

// ApplyEdits before encoding must produce what encoding and then splicing
// produces (the byte path's mechanism): the same body and the same
// X-Nexus-Coerced entries in the same order (the encoder's, then the
// edits'; an edit can take over an entry the encoder made, such as top_k,
// which the OpenAI wire does not carry).
func TestApplyEditsMatchesTheSplice(t *testing.T) {
	f, i := func(v float64) *float64 { return &v }, func(v int) *int { return &v }
	reqs := []canonical.Request{
		{MaxTokens: i(64), Temperature: f(0.2), TopP: f(0.9)},
		{Temperature: f(0.2)},
		{TopP: f(0.9), TopK: i(5)},
		{},
	}
	editLists := [][]fastpath.Edit{
		fastpath.ReasoningEdits(),
		{{Param: "top_p", With: "temperature"}},
		{{Param: "temperature"}, {Param: "top_k"}, {Param: "top_p"}, {Param: "top_p", With: "temperature"}},
		{{Param: "temperature", Keep: []string{"x"}}},
	}
	for ri := range reqs {
		for ei, edits := range editLists {
			base := reqs[ri]
			base.Model = "m"
			base.Messages = []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: "hi"}}}}

			plain, encCoerced, err := openaifmt.EncodeRequest(&base, "m")
			if err != nil {
				t.Fatal(err)
			}
			fb, err := fastpath.Peek(plain)
			if err != nil {
				t.Fatal(err)
			}
			spliceCoerced := encCoerced // as the adapter reports them: the encoder's, then the edits'
			spliced, _, err := fb.Rewrite(nil, "m", fastpath.Options{Edits: edits, Coerced: &spliceCoerced})
			if err != nil {
				t.Fatal(err)
			}

			r := base
			coerced, capRename, ok := ApplyEdits(&r, edits, true)
			if !ok {
				t.Fatalf("req %d edits %d: not applicable", ri, ei)
			}
			direct, enc2, err := openaifmt.EncodeRequestWith(&r, "m", openaifmt.EncodeOptions{CompletionCap: capRename})
			if err != nil {
				t.Fatal(err)
			}
			coerced = append(enc2, coerced...)
			var a, b map[string]any
			_ = json.Unmarshal(spliced, &a)
			_ = json.Unmarshal(direct, &b)
			if !reflect.DeepEqual(a, b) || !reflect.DeepEqual(coerced, spliceCoerced) {
				t.Errorf("req %d edits %d:\nsplice %s %v\ndirect %s %v", ri, ei, spliced, spliceCoerced, direct, coerced)
			}
			if !reflect.DeepEqual(base.Temperature, reqs[ri].Temperature) {
				t.Fatal("the caller's request was changed")
			}
		}
	}
}

// Edits the canonical model cannot carry leave the request alone and say so.
func TestApplyEditsLeavesOtherEditsToTheSplice(t *testing.T) {
	temp := 0.5
	for _, edits := range [][]fastpath.Edit{
		{{Param: "seed"}},
		{{Param: "temperature"}, {Param: "tool_choice", Keep: []string{"auto"}}},
		{{Param: "top_p", With: "seed"}},
	} {
		r := canonical.Request{Temperature: &temp}
		if _, _, ok := ApplyEdits(&r, edits, true); ok || r.Temperature == nil {
			t.Errorf("%+v: applied (ok=%v) or changed the request", edits, ok)
		}
	}
	r := canonical.Request{Temperature: &temp}
	if _, _, ok := ApplyEdits(&r, fastpath.ReasoningEdits(), false); ok {
		t.Error("a max_tokens rename was applied on a wire without max_completion_tokens")
	}
}
