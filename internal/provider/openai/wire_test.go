package openai

import "testing"

func TestMayHoldUsageSkipsNullUsage(t *testing.T) {
	for in, want := range map[string]bool{
		`{"choices":[],"usage":null}`:                  false,
		`{"choices":[{"delta":{"content":"usage"}}]}`:  false,
		`{"choices":[],"usage":{"prompt_tokens":1}}`:   true,
		`{"choices":[],"usage" : {"prompt_tokens":1}}`: true,
		`{"usage":null,"choices":[],"usage2":{}}`:      false,
	} {
		if got := mayHoldUsage([]byte(in)); got != want {
			t.Errorf("%s: got %v want %v", in, got, want)
		}
	}
	if _, ok := usageFromBody([]byte(`{"choices":[],"usage":null}`)); ok {
		t.Fatal("null usage reported as usage")
	}
	u, ok := usageFromBody([]byte(`{"choices":[],"usage":{"prompt_tokens":3,"completion_tokens":4}}`))
	if !ok || u.InputTokens != 3 || u.OutputTokens != 4 {
		t.Fatalf("usage = %+v %v", u, ok)
	}
}
