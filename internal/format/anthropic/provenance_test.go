package anthropic

import (
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Thinking signatures are verified by the provider that issued them: a
// Gemini-signed reasoning part must never be replayed to Anthropic, and a
// Gemini signature shown to an Anthropic client must come back recognised.

func history(r *canonical.Reasoning, text string) *canonical.Request {
	mt := 100
	return &canonical.Request{MaxTokens: &mt, Messages: []canonical.Message{
		{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: "q"}}},
		{Role: canonical.RoleAssistant, Parts: []canonical.Part{
			{Type: canonical.PartReasoning, Text: text, Reasoning: r},
			{Type: canonical.PartText, Text: "a"}}},
		{Role: canonical.RoleUser, Parts: []canonical.Part{{Type: canonical.PartText, Text: "more"}}},
	}}
}

func TestEncodeRequestReplaysOnlyAnthropicSignatures(t *testing.T) {
	cases := []struct {
		name        string
		r           *canonical.Reasoning
		wantBlock   bool
		wantCoerced bool
	}{
		{"own signature is replayed", &canonical.Reasoning{Signature: "sigA", Provider: "anthropic"}, true, false},
		{"signature of unknown origin is replayed", &canonical.Reasoning{Signature: "sigA"}, true, false},
		{"gemini signature is dropped", &canonical.Reasoning{Signature: "sigG", Provider: "gemini"}, false, true},
		{"gemini opaque data is dropped", &canonical.Reasoning{Redacted: true, Data: "d", Provider: "gemini"}, false, true},
		{"own redacted thinking is replayed", &canonical.Reasoning{Redacted: true, Data: "d", Provider: "anthropic"}, true, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, coerced, err := EncodeRequest(history(tc.r, "thinking text"), "claude-sonnet-4-5")
			if err != nil {
				t.Fatal(err)
			}
			hasBlock := strings.Contains(string(body), `"type":"thinking"`) || strings.Contains(string(body), `"type":"redacted_thinking"`)
			if hasBlock != tc.wantBlock {
				t.Errorf("thinking block sent = %v, want %v: %s", hasBlock, tc.wantBlock, body)
			}
			gotCoerced := false
			for _, c := range coerced {
				gotCoerced = gotCoerced || c == (canonical.Coercion{Field: "reasoning", To: "removed"})
			}
			if gotCoerced != tc.wantCoerced {
				t.Errorf("coerced %v, want reasoning->removed = %v", coerced, tc.wantCoerced)
			}
			if strings.Contains(string(body), "sigG") {
				t.Error("a Gemini signature reached the Anthropic body")
			}
		})
	}
}

func TestForeignSignatureIsShownTaggedAndReadBack(t *testing.T) {
	resp := &canonical.Response{ID: "msg_1", FinishReason: canonical.FinishStop, Content: []canonical.Part{
		{Type: canonical.PartReasoning, Text: "t", Reasoning: &canonical.Reasoning{Signature: "Z2VtaW5p", Provider: "gemini"}}}}
	body, err := EncodeResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	shown := canonical.ShowSignature("anthropic", "gemini", "Z2VtaW5p")
	if !strings.Contains(string(body), `"signature":"`+shown+`"`) {
		t.Fatalf("response does not show the tagged signature %q: %s", shown, body)
	}
	// The client replays the block on its next turn.
	req, err := DecodeRequest([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"q"},
		{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"` + shown + `"},{"type":"text","text":"a"}]},
		{"role":"user","content":"more"}]}`))
	if err != nil {
		t.Fatal(err)
	}
	r := req.Messages[1].Parts[0].Reasoning
	if r == nil || r.Provider != "gemini" || r.Signature != "Z2VtaW5p" {
		t.Fatalf("decoded reasoning = %+v, want the Gemini signature back", r)
	}
	plain, err := DecodeRequest([]byte(`{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"q"},
		{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"sigA"}]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := plain.Messages[1].Parts[0].Reasoning; r.Provider != "anthropic" || r.Signature != "sigA" {
		t.Fatalf("an untagged signature decoded as %+v, want Anthropic's", r)
	}
}

func TestStreamEncoderTagsForeignSignatureOnce(t *testing.T) {
	evs := []canonical.Event{
		{Type: canonical.EventStart, ID: "msg_1"},
		{Type: canonical.EventBlockStart, Index: 0, Block: &canonical.Part{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Provider: "gemini"}}},
		{Type: canonical.EventDelta, Index: 0, Delta: "hm", Signature: "Z2Vt"},
		{Type: canonical.EventBlockStop, Index: 0},
		{Type: canonical.EventBlockStart, Index: 1, Block: &canonical.Part{Type: canonical.PartText}},
		// A Gemini text-part signature has no Anthropic form: no signature_delta.
		{Type: canonical.EventDelta, Index: 1, Delta: "a", Signature: "dGV4dA"},
		{Type: canonical.EventBlockStop, Index: 1},
		{Type: canonical.EventFinish, Finish: canonical.FinishStop},
		{Type: canonical.EventEnd},
	}
	rec := encodeEvents(t, StreamOptions{Model: "m"}, evs)
	out := string(rec.sse())
	if want := `"signature":"` + canonical.ShowSignature("anthropic", "gemini", "Z2Vt") + `"`; strings.Count(out, want) != 1 {
		t.Errorf("want one %s in:\n%s", want, out)
	}
	if strings.Count(out, "signature_delta") != 1 || strings.Contains(out, "dGV4dA") {
		t.Errorf("text-block signature leaked into the stream:\n%s", out)
	}
}
