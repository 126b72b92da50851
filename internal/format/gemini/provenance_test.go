package gemini

import (
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Gemini validates thought signatures: an Anthropic-signed thinking block
// must not reach it as a thoughtSignature, and an Anthropic signature shown
// to a Gemini client must come back recognised as Anthropic's.

func TestEncodeRequestDropsForeignThoughtSignatures(t *testing.T) {
	cases := []struct {
		name        string
		r           *canonical.Reasoning
		wantSig     string
		wantCoerced bool
	}{
		{"own signature is replayed", &canonical.Reasoning{Signature: "c2lnRw", Provider: "gemini"}, `"thoughtSignature":"c2lnRw"`, false},
		{"unknown origin is replayed", &canonical.Reasoning{Signature: "c2lnRw"}, `"thoughtSignature":"c2lnRw"`, false},
		{"anthropic signature is dropped, the thought text kept", &canonical.Reasoning{Signature: "c2lnQQ", Provider: "anthropic"}, "", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			req := &canonical.Request{Messages: []canonical.Message{
				{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: "q"}}},
				{Role: canonical.RoleAssistant, Parts: []canonical.Part{{Type: canonical.PartReasoning, Text: "hm", Reasoning: tc.r}, {Type: canonical.PartText, Text: "a"}}},
			}}
			body, coerced, err := EncodeRequest(req, "gemini-2.5-flash")
			if err != nil {
				t.Fatal(err)
			}
			s := string(body)
			if tc.wantSig != "" && !strings.Contains(s, tc.wantSig) || tc.wantSig == "" && strings.Contains(s, "thoughtSignature") {
				t.Errorf("body %s, want signature %q", s, tc.wantSig)
			}
			if !strings.Contains(s, `{"text":"hm","thought":true`) {
				t.Errorf("thought text lost: %s", s)
			}
			got := false
			for _, c := range coerced {
				got = got || c == (canonical.Coercion{Field: "reasoning_signature", To: "removed"})
			}
			if got != tc.wantCoerced {
				t.Errorf("coerced %v, want reasoning_signature->removed = %v", coerced, tc.wantCoerced)
			}
		})
	}
}

func TestAnthropicSignatureRoundTripsThroughAGeminiClient(t *testing.T) {
	resp := &canonical.Response{ID: "r", FinishReason: canonical.FinishStop, Content: []canonical.Part{
		{Type: canonical.PartReasoning, Text: "t", Reasoning: &canonical.Reasoning{Signature: "RXFv", Provider: "anthropic"}},
		{Type: canonical.PartText, Text: "a"}}}
	body, err := EncodeResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	shown := canonical.ShowSignature("gemini", "anthropic", "RXFv")
	if !strings.Contains(string(body), `"thoughtSignature":"`+shown+`"`) {
		t.Fatalf("response does not carry the tagged signature %q: %s", shown, body)
	}
	req, err := DecodeRequest([]byte(`{"contents":[{"role":"user","parts":[{"text":"q"}]},
		{"role":"model","parts":[{"text":"t","thought":true,"thoughtSignature":"` + shown + `"},{"text":"a"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := req.Messages[1].Parts[0].Reasoning
	if r == nil || r.Provider != "anthropic" || r.Signature != "RXFv" {
		t.Fatalf("decoded reasoning = %+v, want Anthropic's signature back", r)
	}
}

func TestStreamEncoderTagsForeignThoughtSignature(t *testing.T) {
	evs := []canonical.Event{
		{Type: canonical.EventStart, ID: "r"},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Provider: "anthropic"}}},
		{Type: canonical.EventDelta, Index: 0, Delta: "hm"},
		{Type: canonical.EventDelta, Index: 0, Signature: "RXFv"},
		{Type: canonical.EventBlockStop, Index: 0},
		{Type: canonical.EventFinish, Finish: canonical.FinishStop},
		{Type: canonical.EventEnd},
	}
	rec := encodeAll(t, StreamOptions{Model: "m"}, evs)
	var all strings.Builder
	for _, f := range rec.frames {
		all.Write(f)
	}
	if want := `"thoughtSignature":"` + canonical.ShowSignature("gemini", "anthropic", "RXFv") + `"`; !strings.Contains(all.String(), want) {
		t.Errorf("want %s in %s", want, all.String())
	}
}

// TestDecodeStrayErrorObject: Gemini's bare JSON error object after the
// data frames ends the stream with its error; other stray bytes are nothing.
func TestDecodeStrayErrorObject(t *testing.T) {
	d := NewStreamDecoder()
	out, err := d.Decode("", []byte(`{"candidates":[{"content":{"parts":[{"text":"First "}]},"index":0}]}`), nil)
	if err != nil {
		t.Fatal(err)
	}
	if out, _ = d.DecodeStray([]byte(": keep-alive"), out[:0]); len(out) != 0 {
		t.Fatalf("a comment produced %+v", out)
	}
	out, err = d.DecodeStray([]byte("{\n  \"error\": {\n    \"code\": 499,\n    \"message\": \"The operation was cancelled.\",\n    \"status\": \"CANCELLED\"\n  }\n}\n"), out[:0])
	if err != nil || len(out) != 1 || out[0].Type != canonical.EventError || out[0].Err.Status != 499 || out[0].Err.Type != "CANCELLED" {
		t.Fatalf("events %+v err %v", out, err)
	}
	if out, _ = d.Close(out[:0]); len(out) != 0 {
		t.Fatalf("Close after the error added %+v", out)
	}
}
