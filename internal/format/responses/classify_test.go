package responses

import "testing"

func TestClassifyBody(t *testing.T) {
	tests := []struct {
		name string
		body string
		want Answer
	}{
		{"a Responses object", `{"id":"resp_1","object":"response","output":[]}`, AnswerResponses},
		{"a chat completion", `{"id":"chatcmpl-1","object":"chat.completion","choices":[]}`, AnswerChat},
		{"an error body", `{"error":{"message":"x"}}`, AnswerUnknown},
		{"a chunk is not a body", `{"object":"chat.completion.chunk"}`, AnswerUnknown},
		{"not JSON", `<html>`, AnswerUnknown},
		{"object of the wrong type", `{"object":5}`, AnswerUnknown},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := ClassifyBody([]byte(tc.body)); got != tc.want {
				t.Errorf("ClassifyBody = %s, want %s", got, tc.want)
			}
			if IsResponsesObject([]byte(tc.body)) != (tc.want == AnswerResponses) {
				t.Error("IsResponsesObject disagrees")
			}
		})
	}
	for _, path := range fixtures(t, false, ".response.json") {
		if got := ClassifyBody(mustRead(t, path)); got != AnswerResponses {
			t.Errorf("%s classified %s", path, got)
		}
	}
}

func TestClassifyFrame(t *testing.T) {
	tests := []struct {
		name, event, data string
		want              Answer
		decided           bool
	}{
		{"an empty frame says nothing yet", "", "", AnswerUnknown, false},
		{"a blank keep-alive says nothing yet", "", "  ", AnswerUnknown, false},
		{"a named response event", "response.created", `{"x":1}`, AnswerResponses, true},
		{"a response event without an event line", "", `{"type":"response.created","response":{}}`, AnswerResponses, true},
		{"a chat chunk", "", `{"id":"c","object":"chat.completion.chunk","choices":[]}`, AnswerChat, true},
		{"an error frame", "error", `{"type":"error","error":{"message":"x"}}`, AnswerUnknown, true},
		{"a [DONE]", "", `[DONE]`, AnswerUnknown, true},
		{"not JSON", "", `hello`, AnswerUnknown, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, decided := ClassifyFrame(tc.event, []byte(tc.data))
			if got != tc.want || decided != tc.decided {
				t.Errorf("ClassifyFrame = %s %v, want %s %v", got, decided, tc.want, tc.decided)
			}
		})
	}
	for _, path := range fixtures(t, false, ".response.sse", ".chunks.txt") {
		first := loadStreams(t, path)[0][0]
		if got, ok := ClassifyFrame(first.name, []byte(first.data)); got != AnswerResponses || !ok {
			t.Errorf("%s: first frame classified %s %v", path, got, ok)
		}
	}
}
