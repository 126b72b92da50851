package e2e

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/genai"
)

// Multi-turn reasoning: a signed thinking block must come back to the
// provider that signed it on the next turn, whatever shape the client
// speaks, and must never be replayed to a provider that did not sign it.

// recordedSignature reads the first thinking signature of an Anthropic
// recording.
func recordedSignature(t *testing.T, fixture string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(fixtureDir, fixture+".response.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, blk := range arr(mustJSON(t, b), "content") {
		if s := str(blk, "signature"); s != "" {
			return s
		}
	}
	t.Fatalf("%s holds no signature", fixture)
	return ""
}

// TestAnthropicSignatureSurvivesAGeminiClient: a Gemini client gets an
// Anthropic thinking block as a thought part, replays it with its next turn
// (as the genai SDK does), and Anthropic receives its own signature back,
// byte for byte. Sent to a Gemini model instead, the foreign signature is
// dropped (and reported), not replayed.
func TestAnthropicSignatureSurvivesAGeminiClient(t *testing.T) {
	m := newMatrixEnv(t)
	ctx := context.Background()
	c := m.genai(t)
	const fixture = "anthropic-messages/thinking-nonstream"
	sig := recordedSignature(t, fixture)
	first := genai.Text(directive("fixture=" + fixture))
	resp, err := c.Models.GenerateContent(ctx, "m-anthropic", first, nil)
	if err != nil {
		t.Fatal(err)
	}
	answer := resp.Candidates[0].Content
	thought := false
	for _, p := range answer.Parts {
		thought = thought || p.Thought && len(p.ThoughtSignature) > 0
	}
	if !thought {
		t.Fatalf("the Gemini client got no signed thought part: %+v", answer.Parts)
	}
	history := append(append(first, answer), genai.NewContentFromText("And in the rain?", genai.RoleUser))

	if _, err := c.Models.GenerateContent(ctx, "m-anthropic", history, nil); err != nil {
		t.Fatal(err)
	}
	_, up := m.lastUpstream(t)
	contains(t, "anthropic body", up, `"type":"thinking"`, `"signature":"`+sig+`"`)

	r := m.raw(t, "gemini", "m-gemini", false, mustGenaiBody(t, history))
	b, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("status %d: %s", r.StatusCode, b)
	}
	_, up = m.lastUpstream(t)
	if strings.Contains(up, sig[:24]) || strings.Contains(up, "thoughtSignature") {
		t.Errorf("an Anthropic signature reached Gemini: %s", up)
	}
	if !strings.Contains(r.Header.Get("X-Nexus-Coerced"), "reasoning_signature->removed") {
		t.Errorf("X-Nexus-Coerced = %q", r.Header.Get("X-Nexus-Coerced"))
	}
}

// mustGenaiBody renders contents as a generateContent request body.
func mustGenaiBody(t *testing.T, contents []*genai.Content) string {
	t.Helper()
	b, err := json.Marshal(map[string]any{"contents": contents})
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestReasoningHistoryGoesOnlyToItsIssuer replays assistant turns written
// in each client shape to targets that did not produce them.
func TestReasoningHistoryGoesOnlyToItsIssuer(t *testing.T) {
	m := newMatrixEnv(t)
	cases := []struct {
		name, ingress, model, body string
		has, lacks                 []string
		coerced                    string
	}{
		{"anthropic thinking to gemini", "anthropic", "m-gemini",
			`{"model":"m-gemini","max_tokens":50,"messages":[{"role":"user","content":"q"},` +
				`{"role":"assistant","content":[{"type":"thinking","thinking":"let me see","signature":"RXFBbnRocm9waWNTaWc="},{"type":"text","text":"a"}]},` +
				`{"role":"user","content":"more"}]}`,
			[]string{`"text":"let me see","thought":true`}, []string{"RXFBbnRocm9waWNTaWc="}, "reasoning_signature->removed"},
		// A conversation that moved from a Gemini model to an Anthropic one:
		// the Gemini-issued signature (shown tagged) must not take the byte
		// path to Anthropic.
		{"gemini-issued thinking back to anthropic on the same shape", "anthropic", "m-anthropic",
			`{"model":"m-anthropic","max_tokens":50,"messages":[{"role":"user","content":"q"},` +
				`{"role":"assistant","content":[{"type":"thinking","thinking":"hmm","signature":"bnhzZ2VtR2VtaW5pU2ln"},{"type":"text","text":"a"}]},` +
				`{"role":"user","content":"more"}]}`,
			[]string{`"text":"a"`}, []string{"R2VtaW5pU2ln", `"thinking"`}, "reasoning->removed"},
		{"anthropic redacted thinking to gemini", "anthropic", "m-gemini",
			`{"model":"m-gemini","max_tokens":50,"messages":[{"role":"user","content":"q"},` +
				`{"role":"assistant","content":[{"type":"redacted_thinking","data":"T1BBUVVF"},{"type":"text","text":"a"}]},` +
				`{"role":"user","content":"more"}]}`,
			nil, []string{"T1BBUVVF"}, "reasoning->removed"},
		{"gemini signed thought to anthropic", "gemini", "m-anthropic",
			`{"contents":[{"role":"user","parts":[{"text":"q"}]},` +
				`{"role":"model","parts":[{"text":"hmm","thought":true,"thoughtSignature":"R2VtaW5pU2ln"},{"text":"a"}]},` +
				`{"role":"user","parts":[{"text":"more"}]}]}`,
			nil, []string{"R2VtaW5pU2ln", `"thinking"`}, "reasoning->removed"},
		{"openai reasoning_content to anthropic", "openai", "m-anthropic",
			`{"model":"m-anthropic","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a","reasoning_content":"thinking aloud"},{"role":"user","content":"more"}]}`,
			nil, []string{"thinking aloud"}, "reasoning->removed"},
		{"openai tool call history to gemini 3 gets the documented placeholder", "openai", "m-gemini-3",
			`{"model":"m-gemini-3","messages":[{"role":"user","content":"q"},` +
				`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"now","arguments":"{}"}}]},` +
				`{"role":"tool","tool_call_id":"call_1","content":"12:00"}]}`,
			[]string{`"thoughtSignature":"skip_thought_signature_validator"`}, nil, "thought_signature->skip_thought_signature_validator"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := m.raw(t, tc.ingress, tc.model, false, tc.body)
			b, _ := io.ReadAll(r.Body)
			r.Body.Close()
			if r.StatusCode != 200 {
				t.Fatalf("status %d: %s", r.StatusCode, b)
			}
			_, up := m.lastUpstream(t)
			contains(t, "upstream body", up, tc.has...)
			for _, s := range tc.lacks {
				if strings.Contains(up, s) {
					t.Errorf("upstream body carries %s: %s", s, up)
				}
			}
			if !strings.Contains(r.Header.Get("X-Nexus-Coerced"), tc.coerced) {
				t.Errorf("X-Nexus-Coerced = %q, want %s", r.Header.Get("X-Nexus-Coerced"), tc.coerced)
			}
		})
	}
}
