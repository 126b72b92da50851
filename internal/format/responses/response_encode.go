package responses

import (
	"encoding/json"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// terminalStatus maps a finish reason to the Responses terminal status and
// incomplete_details.reason (SPEC §6.6). Streams and unary answers both use
// it, so they always agree. A refusal is a completed response whose content
// says so, as OpenAI's Responses API reports a model refusal; only a
// content filter cuts the response short.
func terminalStatus(r canonical.FinishReason) (status, reason string) {
	switch r {
	case canonical.FinishLength:
		return statusIncomplete, "max_output_tokens"
	case canonical.FinishContentFilter:
		return statusIncomplete, "content_filter"
	}
	return statusCompleted, ""
}

// EncodeResponse renders resp as a Responses API response object: id
// resp_…, status completed or incomplete (with incomplete_details), output
// items message / reasoning / function_call, and usage. State kept by
// DecodeResponse (item ids, annotations, built-in tool items, echoed
// request members) is put back. Content a Responses answer cannot show
// (images, documents, tool results) makes it fail with a 502 rather than
// vanish.
func EncodeResponse(resp *canonical.Response) ([]byte, error) {
	st, _ := loadState(resp.Ext) // a damaged state only costs fidelity, never the answer
	id := responseIDFor(resp)
	items, err := responseItems(resp, id, &st)
	if err != nil {
		return nil, err
	}
	h := respHead{
		id: id, model: resp.Model, createdAt: resp.Created, usage: resp.Usage,
		serviceTier: extString(resp.Ext, "service_tier"), fields: st.fields,
	}
	h.status, h.incomplete = terminalStatus(resp.FinishReason)
	if kept := fieldString(st.fields, "status"); kept != "" && h.status == statusCompleted {
		h.status = kept // queued / in_progress / cancelled: not derivable from a finish reason
	}
	if h.status == statusIncomplete && len(items) > 0 {
		if last := &items[len(items)-1]; last.typ == itemMessage {
			last.status = statusIncomplete
		}
	}
	b := appendResponse(make([]byte, 0, 1024), &h, func(b []byte) []byte {
		for i := range items {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendItem(b, &items[i])
		}
		return b
	})
	return b, nil
}

// responseItems groups canonical parts into output items: a run of text and
// refusal parts is one message, a run of reasoning parts one reasoning item
// (one summary part each), every tool call its own function_call. A kept
// note starts a new item where the upstream had one.
func responseItems(resp *canonical.Response, respID string, st *state) ([]outItem, error) {
	notes := indexNotes(st.notes)
	natives := st.natives
	items := make([]outItem, 0, len(resp.Content)+len(natives))
	cur := -1 // index of the message or reasoning item runs join
	newItem := func(typ string, n *note) *outItem {
		it := outItem{typ: typ, status: statusCompleted}
		if n != nil {
			it.extra = n.Item
			it.id = idFromExtra(n.Item)
		}
		if it.id == "" {
			it.id = itemID(itemPrefix(typ), respID, len(items))
		}
		items = append(items, it)
		return &items[len(items)-1]
	}
	for p := range resp.Content {
		part := &resp.Content[p]
		var now []json.RawMessage
		if now, natives = takeNatives(natives, 0, p); len(now) > 0 {
			for _, raw := range now {
				items = append(items, outItem{raw: raw})
			}
			cur = -1
		}
		switch part.Type {
		case canonical.PartText, canonical.PartRefusal:
			n := notes.find(0, p, itemMessage)
			if cur < 0 || items[cur].typ != itemMessage || n != nil && n.Item != nil {
				newItem(itemMessage, n)
				cur = len(items) - 1
			}
			op := outPart{kind: part.Type, text: []byte(part.Text)}
			if n != nil {
				op.extra = n.Content
			}
			items[cur].parts = append(items[cur].parts, op)
		case canonical.PartReasoning:
			r := part.Reasoning
			if r != nil && r.Redacted {
				continue // another provider's opaque payload; Responses has no form for it
			}
			n := notes.find(0, p, itemReasoning)
			if cur < 0 || items[cur].typ != itemReasoning || n != nil && n.Item != nil || r != nil && r.Data != "" {
				it := newItem(itemReasoning, n)
				if r != nil {
					it.encrypted = r.Data
				}
				cur = len(items) - 1
			}
			if part.Text != "" {
				items[cur].parts = append(items[cur].parts, outPart{kind: canonical.PartReasoning, text: []byte(part.Text)})
			}
		case canonical.PartToolCall:
			tc := part.ToolCall
			it := newItem(itemFunctionCall, notes.find(0, p, itemFunctionCall))
			it.callID, it.name = callIDFor(tc, p), tc.Name
			it.args = []byte(tc.Arguments)
			if len(it.args) == 0 {
				it.args = []byte("{}")
			}
			cur = -1
		default:
			return nil, badUpstream("the upstream answer holds " + string(part.Type) + " content, which a Responses output cannot carry")
		}
	}
	for _, n := range natives {
		items = append(items, outItem{raw: n.Item})
	}
	return items, nil
}

// extString reads a string stamped into Ext["openai"], "" when absent.
func extString(ext canonical.Ext, key string) string {
	var s string
	if raw := ext.Get(providerKey, key); raw != nil && json.Unmarshal(raw, &s) != nil {
		return ""
	}
	return s
}

// fieldString reads a kept member holding a string.
func fieldString(fields map[string]json.RawMessage, key string) string {
	var s string
	if raw, ok := fields[key]; ok && json.Unmarshal(raw, &s) == nil {
		return s
	}
	return ""
}
