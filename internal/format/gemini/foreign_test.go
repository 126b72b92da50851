package gemini

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Other providers' parameters reaching a Gemini target are reported when
// they are hints and refused otherwise, never silently dropped.
func TestEncodeRequestReportsOrRefusesForeignExt(t *testing.T) {
	cases := []struct {
		name      string
		ext       canonical.Ext
		wantParam string
		coercion  canonical.Coercion
	}{
		{"anthropic thinking is removed", canonical.Ext{"anthropic": {"thinking": json.RawMessage(`{"type":"enabled","budget_tokens":1024}`)}}, "", canonical.Coercion{Field: "thinking", To: "removed"}},
		{"openai store is removed", canonical.Ext{"openai": {"store": json.RawMessage(`true`)}}, "", canonical.Coercion{Field: "store", To: "removed"}},
		{"anthropic server tools are refused", canonical.Ext{"anthropic": {"server_tools": json.RawMessage(`[{"type":"web_search_20250305","name":"web_search"}]`)}}, "tools", canonical.Coercion{}},
		{"openai logit_bias is refused", canonical.Ext{"openai": {"logit_bias": json.RawMessage(`{"1":5}`)}}, "logit_bias", canonical.Coercion{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &canonical.Request{Ext: tc.ext, Messages: []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: "hi"}}}}}
			_, coerced, err := EncodeRequest(req, "gemini-2.5-flash")
			if tc.wantParam != "" {
				var ce *canonical.Error
				if !errors.As(err, &ce) || ce.Status != 400 || ce.Param != tc.wantParam {
					t.Fatalf("err = %v, want a 400 naming %s", err, tc.wantParam)
				}
				return
			}
			if err != nil || !slices.Contains(coerced, tc.coercion) {
				t.Fatalf("err %v, coerced %v; want %v", err, coerced, tc.coercion)
			}
		})
	}
}
