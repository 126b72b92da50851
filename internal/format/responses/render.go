package responses

import (
	"encoding/json"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// One renderer for the response object and its output items, shared by
// EncodeResponse, the stream encoder (response.created … response.completed,
// output_item.added/done) and the failed frame, so a unary answer and a
// streamed one are the same object.

const (
	statusCompleted  = "completed"
	statusIncomplete = "incomplete"
	statusInProgress = "in_progress"
	statusFailed     = "failed"
)

// respHead is everything of a response object but its output.
type respHead struct {
	id, model   string
	createdAt   int64
	status      string
	incomplete  string           // incomplete_details.reason
	err         *canonical.Error // error of a failed response
	usage       *canonical.Usage
	serviceTier string
	fields      map[string]json.RawMessage // members kept from an upstream Responses object
}

// echoDefaults are the request-echo members every Responses object has. A
// translated answer has no upstream object to copy them from, so it shows
// the values of a stateless request with no options: strict clients (the
// Python SDK's models) require the members to be there.
func echoDefaults() [15]struct{ key, val string } {
	return [...]struct{ key, val string }{
		{"background", "false"},
		{"instructions", "null"},
		{"max_output_tokens", "null"},
		{"metadata", "{}"},
		{"parallel_tool_calls", "true"},
		{"previous_response_id", "null"},
		{"reasoning", `{"effort":null,"summary":null}`},
		{"store", "false"},
		{"temperature", "null"},
		{"text", `{"format":{"type":"text"}}`},
		{"tool_choice", `"auto"`},
		{"tools", "[]"},
		{"top_p", "null"},
		{"truncation", `"disabled"`},
		{"user", "null"},
	}
}

// modelledMember reports the response members this package writes itself;
// kept upstream members by these names are never echoed over them.
func modelledMember(k string) bool {
	switch k {
	case "id", "object", "created_at", "status", "error", "incomplete_details", "model", "output",
		"usage", "output_text", "service_tier":
		return true
	}
	return false
}

// appendResponse writes a response object; output writes the elements of
// its output array (nil = empty).
func appendResponse(b []byte, h *respHead, output func([]byte) []byte) []byte {
	b = append(b, '{')
	if h.id != "" {
		b = append(b, `"id":`...)
		b = appendString(b, h.id)
		b = append(b, ',')
	}
	b = append(b, `"object":"response","created_at":`...)
	b = appendInt(b, int(h.createdAt))
	b = append(b, `,"status":`...)
	b = appendString(b, h.status)
	b = append(b, `,"error":`...)
	if h.err != nil {
		e, status := normalized(h.err)
		b = append(b, `{"code":`...)
		b = appendString(b, failedCode(e, status))
		b = append(b, `,"message":`...)
		b = appendString(b, messageOf(e, status))
		b = append(b, `,"type":`...)
		b = appendString(b, errorType(e, status))
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"incomplete_details":`...)
	if h.incomplete != "" {
		b = append(b, `{"reason":`...)
		b = appendString(b, h.incomplete)
		b = append(b, '}')
	} else {
		b = append(b, "null"...)
	}
	if h.model != "" {
		b = append(b, `,"model":`...)
		b = appendString(b, h.model)
	}
	b = append(b, `,"output":[`...)
	if output != nil {
		b = output(b)
	}
	b = append(b, `],"usage":`...)
	if h.usage != nil {
		b = appendUsage(b, h.usage)
	} else {
		b = append(b, "null"...)
	}
	if h.serviceTier != "" {
		b = append(b, `,"service_tier":`...)
		b = appendString(b, h.serviceTier)
	}
	for _, d := range echoDefaults() {
		if _, kept := h.fields[d.key]; kept {
			continue
		}
		b = append(b, ',', '"')
		b = append(b, d.key...)
		b = append(b, '"', ':')
		b = append(b, d.val...)
	}
	if len(h.fields) > 0 {
		b = appendFields(b, h.fields)
	}
	return append(b, '}')
}

// appendFields writes kept members in key order (deterministic output).
func appendFields(b []byte, fields map[string]json.RawMessage) []byte {
	keys := make([]string, 0, len(fields))
	for k := range fields {
		if !modelledMember(k) {
			keys = append(keys, k)
		}
	}
	sortStrings(keys)
	for _, k := range keys {
		b = append(b, ',')
		b = appendString(b, k)
		b = append(b, ':')
		b = appendRaw(b, fields[k])
	}
	return b
}

// appendUsage writes Responses usage. Both detail blocks are always
// present: the Responses API always sends them and strict clients require
// them (unlike chat, where SPEC §5.10 shows them only when > 0).
func appendUsage(b []byte, u *canonical.Usage) []byte {
	b = append(b, `{"input_tokens":`...)
	b = appendInt(b, u.InputTokens)
	b = append(b, `,"input_tokens_details":{"cached_tokens":`...)
	b = appendInt(b, u.CacheReadTokens)
	b = append(b, `},"output_tokens":`...)
	b = appendInt(b, u.OutputTokens)
	b = append(b, `,"output_tokens_details":{"reasoning_tokens":`...)
	b = appendInt(b, u.ReasoningTokens)
	b = append(b, `},"total_tokens":`...)
	b = appendInt(b, u.Total())
	return append(b, '}')
}

// outItem is one output item being rendered.
type outItem struct {
	typ       string // itemMessage, itemReasoning, itemFunctionCall; "" for a kept native item
	id        string
	status    string
	callID    string
	name      string
	args      []byte
	parts     []outPart
	encrypted string
	extra     json.RawMessage // kept members of the item (note.Item)
	raw       json.RawMessage // a native item, written verbatim
}

// outPart is a content part of a message or a summary part of a reasoning item.
type outPart struct {
	kind  canonical.PartType // PartText, PartRefusal, PartReasoning
	text  []byte
	extra json.RawMessage // kept members of the content part (note.Content)
}

const (
	itemMessage      = "message"
	itemReasoning    = "reasoning"
	itemFunctionCall = "function_call"
)

// itemOwnMember lists the item members appendItem writes itself.
func itemOwnMember(k string) bool {
	switch k {
	case "id", "type", "status", "content", "role", "summary", "encrypted_content", "arguments", "call_id", "name":
		return true
	}
	return false
}

func partOwnMember(k string) bool {
	switch k {
	case "type", "text", "refusal", "annotations", "logprobs":
		return true
	}
	return false
}

// appendItem writes one output item in its current state.
func appendItem(b []byte, it *outItem) []byte {
	if it.typ == "" {
		return appendRaw(b, it.raw)
	}
	b = append(b, `{"id":`...)
	b = appendString(b, it.id)
	b = append(b, `,"type":"`...)
	b = append(b, it.typ...)
	b = append(b, '"')
	switch it.typ {
	case itemMessage:
		b = append(b, `,"status":`...)
		b = appendString(b, it.status)
		b = append(b, `,"content":[`...)
		for i := range it.parts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendContentPart(b, &it.parts[i])
		}
		b = append(b, `],"role":"assistant"`...)
	case itemReasoning:
		b = append(b, `,"summary":[`...)
		for i := range it.parts {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSummaryPart(b, it.parts[i].text)
		}
		b = append(b, ']')
		if it.encrypted != "" {
			b = append(b, `,"encrypted_content":`...)
			b = appendString(b, it.encrypted)
		}
	case itemFunctionCall:
		b = append(b, `,"status":`...)
		b = appendString(b, it.status)
		b = append(b, `,"arguments":`...)
		b = appendBytesString(b, it.args)
		b = append(b, `,"call_id":`...)
		b = appendString(b, it.callID)
		b = append(b, `,"name":`...)
		b = appendString(b, it.name)
	}
	b = mergeMembers(b, it.extra, itemOwnMember)
	return append(b, '}')
}

// appendContentPart writes an output_text or refusal part.
func appendContentPart(b []byte, p *outPart) []byte {
	if p.kind == canonical.PartRefusal {
		b = append(b, `{"type":"refusal","refusal":`...)
		b = appendBytesString(b, p.text)
		return append(b, '}')
	}
	b = append(b, `{"type":"output_text","annotations":`...)
	b = appendKept(b, p.extra, "annotations", "[]")
	b = append(b, `,"logprobs":`...)
	b = appendKept(b, p.extra, "logprobs", "[]")
	b = append(b, `,"text":`...)
	b = appendBytesString(b, p.text)
	b = mergeMembers(b, p.extra, partOwnMember)
	return append(b, '}')
}

func appendSummaryPart(b []byte, text []byte) []byte {
	b = append(b, `{"type":"summary_text","text":`...)
	b = appendBytesString(b, text)
	return append(b, '}')
}

// appendKept writes member key of the kept object extra, or def.
func appendKept(b []byte, extra json.RawMessage, key, def string) []byte {
	if present(extra) && strings.Contains(string(extra), `"`+key+`"`) {
		var m map[string]json.RawMessage
		if json.Unmarshal(extra, &m) == nil {
			if v, ok := m[key]; ok && present(v) {
				return appendRaw(b, v)
			}
		}
	}
	return append(b, def...)
}

// sortStrings is an insertion sort: the lists are a handful of keys, and
// this keeps package sort out of the render path.
func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
