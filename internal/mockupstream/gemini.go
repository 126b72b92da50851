package mockupstream

import "net/http"

// Gemini generateContent / streamGenerateContent, shaped after
// gemini/raw-*.response.{json,sse}. Streams with ?alt=sse are `data:` frames
// separated by CRLF CRLF exactly as Google sends them; without alt=sse the
// stream is one JSON array written element by element. Every frame carries
// cumulative usageMetadata and the last one the finishReason, as recorded.

const (
	contentTypeGeminiJSON = "application/json; charset=UTF-8"
	contentTypeGeminiSSE  = "text/event-stream"
)

func (s *Server) serveGemini(x *exchange, ri *reqInfo) {
	a := newAnswer(ri, &x.ctl, len(x.body))
	if a.tool != "" {
		a.n = 1 // Gemini sends a function call whole, in one frame
		a.completionTokens = len(toolArguments) / 4
	}
	f := s.getFrames()
	defer s.putFrames(f)
	if !ri.stream {
		f.buf = appendGeminiResponse(f.buf, &a, ri.model, x.seq, a.n-1, true)
		if pad := x.ctl.bodyBytes - len(f.buf); pad > 0 && a.tool == "" {
			a.setPadding(pad)
			f.buf = appendGeminiResponse(f.buf[:0], &a, ri.model, x.seq, a.n-1, true)
		}
		s.writeBody(x, http.StatusOK, contentTypeGeminiJSON, f.buf)
		return
	}
	if x.r.URL.Query().Get("alt") == "sse" {
		if x.ctl.malformed {
			f.malformed = "data: {\"candidates\":[{\r\n\r\n"
		}
		for i := range a.n {
			f.buf = append(f.buf, "data: "...)
			f.buf = appendGeminiResponse(f.buf, &a, ri.model, x.seq, i, false)
			f.buf = append(f.buf, "\r\n\r\n"...)
			f.endContent()
		}
		s.writeStream(x, http.StatusOK, contentTypeGeminiSSE, f)
		return
	}
	if x.ctl.malformed {
		f.malformed = "\n,\r\n{\"candidates\":[{"
	}
	for i := range a.n {
		if i == 0 {
			f.buf = append(f.buf, '[')
		} else {
			f.buf = append(f.buf, "\n,\r\n"...)
		}
		f.buf = appendGeminiResponse(f.buf, &a, ri.model, x.seq, i, false)
		f.endContent()
	}
	f.buf = append(f.buf, "\n]"...)
	f.end()
	s.writeStream(x, http.StatusOK, contentTypeGeminiJSON, f)
}

// appendGeminiResponse writes one GenerateContentResponse. For a stream it
// holds piece i; whole=true writes the full text of a unary answer.
func appendGeminiResponse(dst []byte, a *answer, model string, seq int64, i int, whole bool) []byte {
	dst = append(dst, `{"candidates":[{"content":{"parts":[`...)
	if a.tool != "" {
		dst = append(dst, `{"functionCall":{"name":`...)
		dst = appendJSONString(dst, a.tool)
		dst = append(dst, `,"args":`+toolArguments+`}}`...)
	} else {
		dst = append(dst, `{"text":`...)
		if whole {
			dst = appendJSONString(dst, a.fullText())
		} else {
			dst = appendJSONString(dst, a.piece(i))
		}
		dst = append(dst, '}')
	}
	dst = append(dst, `],"role":"model"}`...)
	last := i == a.n-1
	if last {
		dst = append(dst, `,"finishReason":"STOP"`...)
	}
	dst = append(dst, `,"index":0}],"usageMetadata":{"promptTokenCount":`...)
	dst = appendInt(dst, a.promptTokens)
	// Cumulative: piece i has produced i+1 of the n completion tokens.
	done := a.completionTokens
	if !whole && !last {
		done = (i + 1) * a.completionTokens / a.n
	}
	dst = append(dst, `,"candidatesTokenCount":`...)
	dst = appendInt(dst, done)
	dst = append(dst, `,"totalTokenCount":`...)
	dst = appendInt(dst, a.promptTokens+done)
	dst = append(dst, `,"promptTokensDetails":[{"modality":"TEXT","tokenCount":`...)
	dst = appendInt(dst, a.promptTokens)
	dst = append(dst, `}]},"modelVersion":`...)
	dst = appendJSONString(dst, model)
	dst = append(dst, `,"responseId":`...)
	dst = appendQuotedID(dst, "mock", seq)
	return append(dst, '}')
}
