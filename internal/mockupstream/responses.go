package mockupstream

import "net/http"

// OpenAI Responses API (POST …/responses), shaped after
// openai-responses/text-nonstream.response.json and
// openai-responses/function-call-stream.response.sse in shared/fixtures: one
// message item with one output_text part, or with tool=1 one function_call
// item. Streams carry sequence numbers from 0 and end with
// response.completed holding the whole response and its usage.

func (s *Server) serveResponses(x *exchange, ri *reqInfo) {
	a := newAnswer(ri, &x.ctl, len(x.body))
	r := respIDs{seq: x.seq, created: s.now().Unix(), model: ri.model}
	f := s.getFrames()
	defer s.putFrames(f)
	if ri.stream {
		if x.ctl.malformed {
			f.malformed = "event: response.output_text.delta\ndata: {\"type\":\n\n"
		}
		buildResponsesStream(f, &a, &r)
		s.writeStream(x, http.StatusOK, contentTypeSSE, f)
		return
	}
	f.buf = appendResponseObject(f.buf, &a, &r, true)
	if pad := x.ctl.bodyBytes - len(f.buf); pad > 0 && a.tool == "" {
		a.setPadding(pad)
		f.buf = appendResponseObject(f.buf[:0], &a, &r, true)
	}
	s.writeBody(x, http.StatusOK, contentTypeJSON, f.buf)
}

// respIDs are the identifiers and stamps shared by all frames of one answer.
type respIDs struct {
	seq     int64
	created int64
	model   string
}

// appendItem writes the output item: the message (or function call) with
// its final content when done, empty and in progress otherwise.
func appendItem(dst []byte, a *answer, r *respIDs, done bool) []byte {
	status := `"in_progress"`
	if done {
		status = `"completed"`
	}
	if a.tool != "" {
		dst = append(dst, `{"id":`...)
		dst = appendQuotedID(dst, "fc_", r.seq)
		dst = append(dst, `,"type":"function_call","status":`...)
		dst = append(dst, status...)
		dst = append(dst, `,"arguments":`...)
		if done {
			dst = appendJSONString(dst, toolArguments)
		} else {
			dst = append(dst, `""`...)
		}
		dst = append(dst, `,"call_id":`...)
		dst = appendQuotedID(dst, "call_", r.seq)
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, a.tool)
		return append(dst, '}')
	}
	dst = append(dst, `{"id":`...)
	dst = appendQuotedID(dst, "msg_", r.seq)
	dst = append(dst, `,"type":"message","status":`...)
	dst = append(dst, status...)
	dst = append(dst, `,"content":[`...)
	if done {
		dst = appendTextPart(dst, a.fullText())
	}
	return append(dst, `],"role":"assistant"}`...)
}

func appendTextPart(dst []byte, text string) []byte {
	dst = append(dst, `{"type":"output_text","annotations":[],"logprobs":[],"text":`...)
	dst = appendJSONString(dst, text)
	return append(dst, '}')
}

// appendResponseObject writes the response object: in progress with no
// output and null usage, or completed with the item and the usage.
func appendResponseObject(dst []byte, a *answer, r *respIDs, done bool) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendQuotedID(dst, "resp_", r.seq)
	dst = append(dst, `,"object":"response","created_at":`...)
	dst = appendInt(dst, int(r.created))
	if done {
		dst = append(dst, `,"status":"completed"`...)
	} else {
		dst = append(dst, `,"status":"in_progress"`...)
	}
	dst = append(dst, `,"background":false,"error":null,"incomplete_details":null,"instructions":null,"max_output_tokens":null,"model":`...)
	dst = appendJSONString(dst, r.model)
	dst = append(dst, `,"output":[`...)
	if done {
		dst = appendItem(dst, a, r, true)
	}
	dst = append(dst, `],"parallel_tool_calls":true,"previous_response_id":null,"reasoning":{"effort":null,"summary":null},"service_tier":"default","store":false,"temperature":1.0,"text":{"format":{"type":"text"},"verbosity":"medium"},"tool_choice":"auto","tools":[],"top_p":1.0,"truncation":"disabled","usage":`...)
	if done {
		dst = append(dst, `{"input_tokens":`...)
		dst = appendInt(dst, a.promptTokens)
		dst = append(dst, `,"input_tokens_details":{"cached_tokens":0},"output_tokens":`...)
		dst = appendInt(dst, a.completionTokens)
		dst = append(dst, `,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":`...)
		dst = appendInt(dst, a.promptTokens+a.completionTokens)
		dst = append(dst, '}')
	} else {
		dst = append(dst, `null`...)
	}
	return append(dst, `,"user":null,"metadata":{}}`...)
}

// responsesFrames numbers the frames of one stream.
type responsesFrames struct {
	f   *frameSet
	seq int
}

// open starts frame `event: name` with its type and sequence number; the
// caller appends the rest of the object and calls close.
func (w *responsesFrames) open(name string) {
	w.f.buf = append(w.f.buf, "event: "+name+"\ndata: {\"type\":\""+name+"\",\"sequence_number\":"...)
	w.f.buf = appendInt(w.f.buf, w.seq)
	w.seq++
}

func (w *responsesFrames) close(content bool) {
	w.f.buf = append(w.f.buf, "}\n\n"...)
	if content {
		w.f.endContent()
	} else {
		w.f.end()
	}
}

// itemRef appends the item_id/output_index members of a delta event.
func (w *responsesFrames) itemRef(prefix string, r *respIDs) {
	w.f.buf = append(w.f.buf, `,"item_id":`...)
	w.f.buf = appendQuotedID(w.f.buf, prefix, r.seq)
	w.f.buf = append(w.f.buf, `,"output_index":0`...)
}

// buildResponsesStream writes the event sequence of a Responses stream:
// created, in_progress, the item's added / part / delta / done events, and
// completed with the whole response.
func buildResponsesStream(f *frameSet, a *answer, r *respIDs) {
	w := responsesFrames{f: f}
	for _, name := range []string{"response.created", "response.in_progress"} {
		w.open(name)
		f.buf = append(f.buf, `,"response":`...)
		f.buf = appendResponseObject(f.buf, a, r, false)
		w.close(false)
	}
	w.open("response.output_item.added")
	f.buf = append(f.buf, `,"output_index":0,"item":`...)
	f.buf = appendItem(f.buf, a, r, false)
	w.close(false)
	if a.tool != "" {
		for i := range a.n {
			w.open("response.function_call_arguments.delta")
			w.itemRef("fc_", r)
			f.buf = append(f.buf, `,"delta":`...)
			f.buf = appendJSONString(f.buf, argPiece(i, a.n))
			w.close(true)
		}
		w.open("response.function_call_arguments.done")
		w.itemRef("fc_", r)
		f.buf = append(f.buf, `,"arguments":`...)
		f.buf = appendJSONString(f.buf, toolArguments)
		w.close(false)
	} else {
		w.open("response.content_part.added")
		w.itemRef("msg_", r)
		f.buf = append(f.buf, `,"content_index":0,"part":`...)
		f.buf = appendTextPart(f.buf, "")
		w.close(false)
		for i := range a.n {
			w.open("response.output_text.delta")
			w.itemRef("msg_", r)
			f.buf = append(f.buf, `,"content_index":0,"logprobs":[],"delta":`...)
			f.buf = appendJSONString(f.buf, a.piece(i))
			w.close(true)
		}
		text := a.fullText()
		w.open("response.output_text.done")
		w.itemRef("msg_", r)
		f.buf = append(f.buf, `,"content_index":0,"logprobs":[],"text":`...)
		f.buf = appendJSONString(f.buf, text)
		w.close(false)
		w.open("response.content_part.done")
		w.itemRef("msg_", r)
		f.buf = append(f.buf, `,"content_index":0,"part":`...)
		f.buf = appendTextPart(f.buf, text)
		w.close(false)
	}
	w.open("response.output_item.done")
	f.buf = append(f.buf, `,"output_index":0,"item":`...)
	f.buf = appendItem(f.buf, a, r, true)
	w.close(false)
	w.open("response.completed")
	f.buf = append(f.buf, `,"response":`...)
	f.buf = appendResponseObject(f.buf, a, r, true)
	w.close(false)
}
