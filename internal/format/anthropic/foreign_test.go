package anthropic

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Fields added to canonical for other shapes (penalties, audio, file ids)
// and other providers' parameters must be refused or reported by the
// Anthropic encoder, never silently ignored.

func TestEncodeRequestReportsOrRefusesForeignFields(t *testing.T) {
	cases := []struct {
		name      string
		mutate    func(r *canonical.Request)
		wantParam string               // refused with this param
		coerced   []canonical.Coercion // else exactly these coercions
	}{
		{"sampling penalties are dropped as hints", func(r *canonical.Request) {
			r.FrequencyPenalty, r.PresencePenalty = ptr(0.5), ptr(0.1)
		}, "", []canonical.Coercion{{Field: "frequency_penalty", To: "removed"}, {Field: "presence_penalty", To: "removed"}}},
		{"openai service_tier is a hint", func(r *canonical.Request) {
			r.Ext.Set("openai", "service_tier", json.RawMessage(`"flex"`))
		}, "", []canonical.Coercion{{Field: "service_tier", To: "removed"}}},
		{"openai logprobs are refused", func(r *canonical.Request) {
			r.Ext.Set("openai", "logprobs", json.RawMessage(`true`))
		}, "logprobs", nil},
		{"gemini built-in tools are refused", func(r *canonical.Request) {
			r.Ext.Set("gemini", "tools", json.RawMessage(`[{"googleSearch":{}}]`))
		}, "tools", nil},
		{"audio input has no Anthropic block", func(r *canonical.Request) {
			r.Messages[0].Parts = append(r.Messages[0].Parts, canonical.Part{Type: canonical.PartAudio, Media: &canonical.Media{MIMEType: "audio/wav", Data: []byte("RIFF")}})
		}, "messages[0].content[1]", nil},
		{"an OpenAI file id is refused", func(r *canonical.Request) {
			r.Messages[0].Parts = append(r.Messages[0].Parts, canonical.Part{Type: canonical.PartDocument, Media: &canonical.Media{FileID: "file-abc"}})
		}, "messages[0].content[1].file_id", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, coerced, err := EncodeRequest(baseReq(tc.mutate), "claude-sonnet-4-5")
			if tc.wantParam != "" {
				var ce *canonical.Error
				if !errors.As(err, &ce) || ce.Status != 400 || ce.Type != "nexus_field_unsupported" || ce.Param != tc.wantParam {
					t.Fatalf("err = %v, want a 400 nexus_field_unsupported naming %s", err, tc.wantParam)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(coerced, tc.coerced) {
				t.Errorf("coerced %v, want %v", coerced, tc.coerced)
			}
		})
	}
}
