package mockupstream

import "net/http"

// Anthropic Messages, shaped after anthropic-messages/*.response.{json,sse}:
// message_start, content_block_start, ping, content_block_delta×n,
// content_block_stop, message_delta (cumulative usage), message_stop.

func (s *Server) serveMessages(x *exchange, ri *reqInfo) {
	a := newAnswer(ri, &x.ctl, len(x.body))
	f := s.getFrames()
	defer s.putFrames(f)
	if ri.stream {
		if x.ctl.malformed {
			f.malformed = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\n\n"
		}
		buildMessagesStream(f, &a, ri.model, x.seq)
		s.writeStream(x, http.StatusOK, contentTypeSSE, f)
		return
	}
	f.buf = appendMessageJSON(f.buf, &a, ri.model, x.seq)
	if pad := x.ctl.bodyBytes - len(f.buf); pad > 0 && a.tool == "" {
		a.setPadding(pad)
		f.buf = appendMessageJSON(f.buf[:0], &a, ri.model, x.seq)
	}
	s.writeBody(x, http.StatusOK, contentTypeJSON, f.buf)
}

func (a *answer) anthropicStop() string {
	if a.tool != "" {
		return "tool_use"
	}
	return "end_turn"
}

func appendMessageJSON(dst []byte, a *answer, model string, seq int64) []byte {
	dst = append(dst, `{"model":`...)
	dst = appendJSONString(dst, model)
	dst = append(dst, `,"id":`...)
	dst = appendQuotedID(dst, "msg_", seq)
	dst = append(dst, `,"type":"message","role":"assistant","content":[`...)
	if a.tool != "" {
		dst = append(dst, `{"type":"tool_use","id":`...)
		dst = appendQuotedID(dst, "toolu_", seq)
		dst = append(dst, `,"name":`...)
		dst = appendJSONString(dst, a.tool)
		dst = append(dst, `,"input":`+toolArguments+`}`...)
	} else {
		dst = append(dst, `{"type":"text","text":`...)
		dst = appendJSONString(dst, a.fullText())
		dst = append(dst, '}')
	}
	dst = append(dst, `],"stop_reason":"`...)
	dst = append(dst, a.anthropicStop()...)
	dst = append(dst, `","stop_sequence":null,"usage":{"input_tokens":`...)
	dst = appendInt(dst, a.promptTokens)
	dst = append(dst, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":`...)
	dst = appendInt(dst, a.completionTokens)
	return append(dst, `,"service_tier":"standard"}}`...)
}

func buildMessagesStream(f *frameSet, a *answer, model string, seq int64) {
	f.buf = append(f.buf, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":"...)
	f.buf = appendJSONString(f.buf, model)
	f.buf = append(f.buf, `,"id":`...)
	f.buf = appendQuotedID(f.buf, "msg_", seq)
	f.buf = append(f.buf, `,"type":"message","role":"assistant","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":`...)
	f.buf = appendInt(f.buf, a.promptTokens)
	f.buf = append(f.buf, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"cache_creation":{"ephemeral_5m_input_tokens":0,"ephemeral_1h_input_tokens":0},"output_tokens":1,"service_tier":"standard"}}}`+"\n\n"...)
	f.end()

	f.buf = append(f.buf, "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":"...)
	if a.tool != "" {
		f.buf = append(f.buf, `{"type":"tool_use","id":`...)
		f.buf = appendQuotedID(f.buf, "toolu_", seq)
		f.buf = append(f.buf, `,"name":`...)
		f.buf = appendJSONString(f.buf, a.tool)
		f.buf = append(f.buf, `,"input":{}}}`+"\n\n"...)
	} else {
		f.buf = append(f.buf, `{"type":"text","text":""}}`+"\n\n"...)
	}
	f.end()

	f.buf = append(f.buf, "event: ping\ndata: {\"type\": \"ping\"}\n\n"...)
	f.end()

	const deltaHead = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":"
	if a.tool != "" {
		// The API opens every tool_use block with an empty fragment.
		f.buf = append(f.buf, deltaHead+`{"type":"input_json_delta","partial_json":""}}`+"\n\n"...)
		f.end()
	}
	for i := range a.n {
		f.buf = append(f.buf, deltaHead...)
		if a.tool != "" {
			f.buf = append(f.buf, `{"type":"input_json_delta","partial_json":`...)
			f.buf = appendJSONString(f.buf, argPiece(i, a.n))
		} else {
			f.buf = append(f.buf, `{"type":"text_delta","text":`...)
			f.buf = appendJSONString(f.buf, a.piece(i))
		}
		f.buf = append(f.buf, "}}\n\n"...)
		f.endContent()
	}

	f.buf = append(f.buf, "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"...)
	f.end()

	f.buf = append(f.buf, "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\""...)
	f.buf = append(f.buf, a.anthropicStop()...)
	f.buf = append(f.buf, `","stop_sequence":null},"usage":{"input_tokens":`...)
	f.buf = appendInt(f.buf, a.promptTokens)
	f.buf = append(f.buf, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":`...)
	f.buf = appendInt(f.buf, a.completionTokens)
	f.buf = append(f.buf, "}}\n\n"...)
	f.end()

	f.buf = append(f.buf, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"...)
	f.end()
}
