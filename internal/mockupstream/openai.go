package mockupstream

import (
	"net/http"
)

// OpenAI chat completions, shaped after openai-chat/raw-text-*.response.* and
// openai-chat/tool-call-*.response.* in shared/fixtures.

const (
	openaiFingerprint = "fp_nexusmock"
	contentTypeJSON   = "application/json"
	contentTypeSSE    = "text/event-stream; charset=utf-8"
)

func (s *Server) serveChat(x *exchange, ri *reqInfo) {
	a := newAnswer(ri, &x.ctl, len(x.body))
	created := s.now().Unix()
	f := s.getFrames()
	defer s.putFrames(f)
	if ri.stream {
		if x.ctl.malformed {
			f.malformed = "data: {\"choices\":[{\n\n"
		}
		buildChatStream(f, &a, ri, x.seq, created)
		s.writeStream(x, http.StatusOK, contentTypeSSE, f)
		return
	}
	f.buf = appendChatJSON(f.buf, &a, ri.model, x.seq, created)
	if pad := x.ctl.bodyBytes - len(f.buf); pad > 0 && a.tool == "" {
		a.setPadding(pad)
		f.buf = appendChatJSON(f.buf[:0], &a, ri.model, x.seq, created)
	}
	s.writeBody(x, http.StatusOK, contentTypeJSON, f.buf)
}

func appendOpenAIUsage(dst []byte, prompt, completion int) []byte {
	dst = append(dst, `{"prompt_tokens":`...)
	dst = appendInt(dst, prompt)
	dst = append(dst, `,"completion_tokens":`...)
	dst = appendInt(dst, completion)
	dst = append(dst, `,"total_tokens":`...)
	dst = appendInt(dst, prompt+completion)
	return append(dst, `,"prompt_tokens_details":{"cached_tokens":0,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}`...)
}

func appendChatJSON(dst []byte, a *answer, model string, seq, created int64) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendQuotedID(dst, "chatcmpl-", seq)
	dst = append(dst, `,"object":"chat.completion","created":`...)
	dst = appendInt(dst, int(created))
	dst = append(dst, `,"model":`...)
	dst = appendJSONString(dst, model)
	dst = append(dst, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	finish := "stop"
	if a.tool != "" {
		finish = "tool_calls"
		dst = append(dst, `null,"tool_calls":[{"id":`...)
		dst = appendQuotedID(dst, "call_", seq)
		dst = append(dst, `,"type":"function","function":{"name":`...)
		dst = appendJSONString(dst, a.tool)
		dst = append(dst, `,"arguments":`...)
		dst = appendJSONString(dst, toolArguments)
		dst = append(dst, `}}]`...)
	} else {
		dst = appendJSONString(dst, a.fullText())
	}
	dst = append(dst, `,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"`...)
	dst = append(dst, finish...)
	dst = append(dst, `"}],"usage":`...)
	dst = appendOpenAIUsage(dst, a.promptTokens, a.completionTokens)
	dst = append(dst, `,"service_tier":"default","system_fingerprint":"`+openaiFingerprint+`"}`...)
	return dst
}

// buildChatStream writes the chunk sequence: role chunk, n content (or
// tool-argument) chunks, the finish chunk, the usage chunk with choices:[]
// when stream_options.include_usage is set, then [DONE]. As OpenAI does,
// every chunk carries "usage":null when usage was asked for.
func buildChatStream(f *frameSet, a *answer, ri *reqInfo, seq, created int64) {
	// The envelope before "choices" is the same for every chunk: build it
	// once at the front of buf and copy it per frame.
	f.buf = append(f.buf, `data: {"id":`...)
	f.buf = appendQuotedID(f.buf, "chatcmpl-", seq)
	f.buf = append(f.buf, `,"object":"chat.completion.chunk","created":`...)
	f.buf = appendInt(f.buf, int(created))
	f.buf = append(f.buf, `,"model":`...)
	f.buf = appendJSONString(f.buf, ri.model)
	f.buf = append(f.buf, `,"service_tier":"default","system_fingerprint":"`+openaiFingerprint+`","choices":[`...)
	headLen := len(f.buf)
	f.start = headLen // the head is a template, never sent itself
	tail := "]}\n\n"
	if ri.includeUsage {
		tail = `],"usage":null}` + "\n\n"
	}
	tool := a.tool != ""

	f.copyHead(headLen)
	if tool {
		f.buf = append(f.buf, `{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":`...)
		f.buf = appendQuotedID(f.buf, "call_", seq)
		f.buf = append(f.buf, `,"type":"function","function":{"name":`...)
		f.buf = appendJSONString(f.buf, a.tool)
		f.buf = append(f.buf, `,"arguments":""}}],"refusal":null},"logprobs":null,"finish_reason":null}`...)
	} else {
		f.buf = append(f.buf, `{"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}`...)
	}
	f.buf = append(f.buf, tail...)
	f.end()

	for i := range a.n {
		f.copyHead(headLen)
		if tool {
			f.buf = append(f.buf, `{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":`...)
			f.buf = appendJSONString(f.buf, argPiece(i, a.n))
			f.buf = append(f.buf, `}}]},"logprobs":null,"finish_reason":null}`...)
		} else {
			f.buf = append(f.buf, `{"index":0,"delta":{"content":`...)
			f.buf = appendJSONString(f.buf, a.piece(i))
			f.buf = append(f.buf, `},"logprobs":null,"finish_reason":null}`...)
		}
		f.buf = append(f.buf, tail...)
		f.endContent()
	}

	f.copyHead(headLen)
	f.buf = append(f.buf, `{"index":0,"delta":{},"logprobs":null,"finish_reason":"`...)
	if tool {
		f.buf = append(f.buf, "tool_calls"...)
	} else {
		f.buf = append(f.buf, "stop"...)
	}
	f.buf = append(f.buf, `"}`...)
	f.buf = append(f.buf, tail...)
	f.end()

	if ri.includeUsage {
		f.copyHead(headLen)
		f.buf = append(f.buf, `],"usage":`...)
		f.buf = appendOpenAIUsage(f.buf, a.promptTokens, a.completionTokens)
		f.buf = append(f.buf, "}\n\n"...)
		f.end()
	}
	f.buf = append(f.buf, "data: [DONE]\n\n"...)
	f.end()
}

// argPiece is fragment i of n of the tool arguments, split evenly by bytes
// (like the real API, fragments need not be valid JSON on their own).
func argPiece(i, n int) string {
	l := len(toolArguments)
	return toolArguments[i*l/n : (i+1)*l/n]
}
