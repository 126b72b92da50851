package openai

import (
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Anthropic and Gemini parameters reaching an OpenAI-family target are
// reported when they are hints and refused otherwise.
func TestEncodeRequestReportsOrRefusesForeignExt(t *testing.T) {
	msgs := []canonical.Message{{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: "hi"}}}}
	req := &canonical.Request{Messages: msgs, Ext: canonical.Ext{
		"gemini":    {"safety_settings": json.RawMessage(`[{"category":"HARM_CATEGORY_HARASSMENT","threshold":"BLOCK_NONE"}]`)},
		"anthropic": {"thinking": json.RawMessage(`{"type":"enabled","budget_tokens":1024}`)},
	}}
	body, coerced, err := EncodeRequest(req, "gpt-4o")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []canonical.Coercion{{Field: "thinking", To: "removed"}, {Field: "safetySettings", To: "removed"}} {
		if !slices.Contains(coerced, want) {
			t.Errorf("coerced %v lacks %v", coerced, want)
		}
	}
	if strings.Contains(string(body), "budget_tokens") || strings.Contains(string(body), "HARASSMENT") {
		t.Errorf("foreign parameters reached the body: %s", body)
	}

	req.Ext = canonical.Ext{"anthropic": {"native_blocks": json.RawMessage(`[{"at":[0,1],"block":{"type":"search_result"}}]`)}}
	_, _, err = EncodeRequest(req, "gpt-4o")
	var ce *canonical.Error
	if !errors.As(err, &ce) || ce.Status != 400 || ce.Param != "messages" || ce.Type != "nexus_field_unsupported" {
		t.Fatalf("err = %v, want a 400 naming messages", err)
	}
}
