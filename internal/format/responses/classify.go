package responses

import (
	"bytes"
	"encoding/json"
	"strings"
)

// Answer says what an upstream answered a Responses request with. SPEC
// §5.8: content decides, not configuration — a target configured as
// Responses-capable may still answer in chat form, and the other way round.
type Answer uint8

const (
	// AnswerUnknown is neither shape: a unary body is answered with 502,
	// a stream goes through the canonical lane, never verbatim.
	AnswerUnknown Answer = iota
	// AnswerResponses is a Responses object (object "response") or
	// response.* stream events: relay verbatim.
	AnswerResponses
	// AnswerChat is a chat completion or chat chunk: translate with the chat
	// codec's decoder and this package's encoders.
	AnswerChat
)

func (c Answer) String() string {
	switch c {
	case AnswerResponses:
		return "responses"
	case AnswerChat:
		return "chat"
	}
	return "unknown"
}

// ClassifyBody classifies a unary upstream body by its top-level object.
func ClassifyBody(body []byte) Answer {
	var head struct {
		Object string `json:"object"`
	}
	if json.Unmarshal(body, &head) != nil {
		return AnswerUnknown
	}
	switch head.Object {
	case "response":
		return AnswerResponses
	case "chat.completion":
		return AnswerChat
	}
	return AnswerUnknown
}

// IsResponsesObject reports a body with top-level object "response".
func IsResponsesObject(body []byte) bool { return ClassifyBody(body) == AnswerResponses }

// ClassifyFrame classifies a stream by its first real frame (SPEC §5.8).
// decided is false for frames that say nothing yet — empty data, comments
// and keep-alives — so the caller asks again with the next frame; once
// decided, the answer holds for the whole stream.
func ClassifyFrame(eventName string, data []byte) (c Answer, decided bool) {
	data = bytes.TrimSpace(data)
	if len(data) == 0 {
		return AnswerUnknown, false
	}
	if strings.HasPrefix(eventName, "response.") {
		return AnswerResponses, true
	}
	var head struct {
		Type   string `json:"type"`
		Object string `json:"object"`
	}
	if json.Unmarshal(data, &head) != nil {
		return AnswerUnknown, true
	}
	switch {
	case strings.HasPrefix(head.Type, "response."):
		return AnswerResponses, true
	case head.Object == "chat.completion.chunk":
		return AnswerChat, true
	}
	return AnswerUnknown, true
}
