package canonical

import (
	"encoding/base64"
	"testing"
)

func TestSignatureProvenanceRoundTrips(t *testing.T) {
	const anth, gem = "EqoBCkYIBxgCKkDanthropicSig==", "CiIBVKhc7vB+geminiSig"
	cases := []struct {
		name                string
		clientShape, issuer string
		sig                 string
		wantShown           string
	}{
		{"same family shows the signature untouched", "anthropic", "anthropic", anth, anth},
		{"unknown issuer is not tagged", "gemini", "", gem, gem},
		{"anthropic signature shown to a gemini client is tagged", "gemini", "anthropic", anth, sigTagAnthropic + anth},
		{"gemini signature shown to an anthropic client is tagged", "anthropic", "gemini", gem, sigTagGemini + gem},
		{"an unknown issuer name is shown as is", "anthropic", "mistral", "s", "s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			shown := ShowSignature(tc.clientShape, tc.issuer, tc.sig)
			if shown != tc.wantShown {
				t.Fatalf("ShowSignature = %q, want %q", shown, tc.wantShown)
			}
			p, raw := ReadSignature(tc.clientShape, shown)
			wantIssuer := tc.issuer
			if wantIssuer == "" || wantIssuer == "mistral" {
				wantIssuer = tc.clientShape // untagged: taken to be the client shape's own
			}
			if p != wantIssuer || raw != tc.sig {
				t.Errorf("ReadSignature = (%q, %q), want (%q, %q)", p, raw, wantIssuer, tc.sig)
			}
		})
	}
}

func TestTaggedSignatureStaysValidBase64(t *testing.T) {
	sig := base64.StdEncoding.EncodeToString([]byte("opaque anthropic signature bytes"))
	shown := ShowSignature("gemini", "anthropic", sig)
	b, err := base64.StdEncoding.DecodeString(shown)
	if err != nil {
		t.Fatalf("tagged signature is not base64: %v", err)
	}
	if base64.StdEncoding.EncodeToString(b) != shown {
		t.Fatal("tagged signature does not survive a decode/encode round trip (the genai SDK does one)")
	}
}

func TestReadSignatureKeepsOwnTagPrefixedValues(t *testing.T) {
	// A shape's own tag is never stripped: an Anthropic client cannot hold
	// an Anthropic signature tagged as foreign.
	if p, raw := ReadSignature("anthropic", sigTagAnthropic+"x"); p != "anthropic" || raw != sigTagAnthropic+"x" {
		t.Fatalf("ReadSignature = %q %q", p, raw)
	}
	if p, raw := ReadSignature("gemini", ""); p != "" || raw != "" {
		t.Fatalf("empty signature read as %q %q", p, raw)
	}
}

func TestReplayableBy(t *testing.T) {
	cases := []struct {
		r      *Reasoning
		target string
		want   bool
	}{
		{nil, "anthropic", true},
		{&Reasoning{Signature: "s"}, "anthropic", true},
		{&Reasoning{Signature: "s", Provider: "anthropic"}, "anthropic", true},
		{&Reasoning{Signature: "s", Provider: "gemini"}, "anthropic", false},
		{&Reasoning{Signature: "s", Provider: "anthropic"}, "gemini", false},
	}
	for _, tc := range cases {
		if got := tc.r.ReplayableBy(tc.target); got != tc.want {
			t.Errorf("%+v.ReplayableBy(%s) = %v, want %v", tc.r, tc.target, got, tc.want)
		}
	}
}

func TestCarriesForeignSignature(t *testing.T) {
	anthTagged := `{"signature":"` + ShowSignature("anthropic", "gemini", "c2ln") + `"}`
	gemTagged := `{"thoughtSignature":"` + ShowSignature("gemini", "anthropic", "c2ln") + `"}`
	cases := []struct {
		body, shape string
		want        bool
	}{
		{anthTagged, "anthropic", true},
		{gemTagged, "gemini", true},
		{gemTagged, "anthropic", false}, // an Anthropic signature in an Anthropic body is its own
		{`{"signature":"c2ln"}`, "anthropic", false},
		{`{"text":"the word bnhzYW50 inside text"}`, "gemini", false},
	}
	for _, tc := range cases {
		if got := CarriesForeignSignature([]byte(tc.body), tc.shape); got != tc.want {
			t.Errorf("CarriesForeignSignature(%s, %s) = %v, want %v", tc.body, tc.shape, got, tc.want)
		}
	}
}
