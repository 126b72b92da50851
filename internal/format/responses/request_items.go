package responses

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// input renders the canonical conversation as input items: a user or
// system message is one message item; an assistant turn splits back into
// its reasoning, message and function_call items; every tool result is a
// function_call_output. Kept native items go back where they were.
func (e *reqEncoder) input(msgs []canonical.Message) ([]any, error) {
	items := make([]any, 0, len(msgs)+len(e.natives))
	for m := range msgs {
		msg := &msgs[m]
		path := "messages[" + strconv.Itoa(m) + "]"
		var err error
		switch msg.Role {
		case canonical.RoleUser, canonical.RoleSystem:
			items, err = e.plainMessage(items, m, msg, path)
		case canonical.RoleAssistant:
			items, err = e.assistant(items, m, msg, path)
		case canonical.RoleTool:
			items, err = e.toolResults(items, m, msg, path)
		default:
			err = unsupported(path+".role", "unknown role "+strconv.Quote(string(msg.Role)))
		}
		if err != nil {
			return nil, err
		}
		items = e.flush(items, m, -1)
	}
	for _, n := range e.natives {
		items = append(items, n.Item)
	}
	return items, nil
}

// flush appends the native items placed before part `part` of message `m`.
func (e *reqEncoder) flush(items []any, m, part int) []any {
	var now []json.RawMessage
	now, e.natives = takeNatives(e.natives, m, part)
	for _, raw := range now {
		items = append(items, raw)
	}
	return items
}

func (e *reqEncoder) plainMessage(items []any, m int, msg *canonical.Message, path string) ([]any, error) {
	items = e.flush(items, m, 0)
	if msg.Name != "" {
		e.coerce("name", "removed")
	}
	role := "user"
	if msg.Role == canonical.RoleSystem {
		role = "developer" // the Responses name of a system message
	}
	n0 := e.notes.find(m, 0, itemMessage)
	parts := make([]any, 0, len(msg.Parts))
	plain := len(msg.Parts) == 1 && msg.Parts[0].Type == canonical.PartText && (n0 == nil || n0.Content == nil)
	for p := range msg.Parts {
		part := &msg.Parts[p]
		pp := path + ".parts[" + strconv.Itoa(p) + "]"
		o, err := e.inputPart(part, pp, msg.Role == canonical.RoleSystem)
		if err != nil {
			return nil, err
		}
		if n := e.notes.find(m, p, itemMessage); n != nil {
			o = withExtra(o, n.Content)
		}
		parts = append(parts, o)
	}
	item := obj{"type": "message", "role": role, "content": parts}
	if plain {
		item["content"] = msg.Parts[0].Text
	}
	if n0 != nil {
		item = withExtra(item, n0.Item)
	}
	return append(items, item), nil
}

// inputPart renders a user-side content part (also used inside
// function_call_output).
func (e *reqEncoder) inputPart(p *canonical.Part, path string, textOnly bool) (obj, error) {
	if p.CacheControl != "" {
		e.coerce("cache_control", "removed")
	}
	if p.ThoughtSignature != "" {
		e.coerce("thought_signature", "removed")
	}
	if textOnly && p.Type != canonical.PartText {
		return nil, unsupported(path, "system messages hold text only")
	}
	switch p.Type {
	case canonical.PartText:
		return obj{"type": "input_text", "text": p.Text}, nil
	case canonical.PartImage:
		return inputImage(p.Media, path)
	case canonical.PartDocument:
		return inputFile(p.Media, path)
	case canonical.PartAudio:
		return nil, unsupported(path, "the Responses API takes no audio input")
	}
	return nil, unsupported(path, string(p.Type)+" parts cannot appear in this message")
}

func inputImage(md *canonical.Media, path string) (obj, error) {
	if md == nil {
		return nil, unsupported(path, "an image part without media")
	}
	o := obj{"type": "input_image", "detail": "auto"}
	if md.Detail != "" {
		o["detail"] = md.Detail
	}
	switch {
	case md.FileID != "":
		o["file_id"] = md.FileID
	case md.Data != nil:
		if md.MIMEType == "" {
			return nil, unsupported(path, "image bytes without a MIME type")
		}
		o["image_url"] = dataURL(md.MIMEType, md.Data)
	case strings.HasPrefix(md.URL, "http://") || strings.HasPrefix(md.URL, "https://"):
		o["image_url"] = md.URL
	default:
		return nil, unsupported(path, "images are taken as http(s) URLs, bytes or an OpenAI file id")
	}
	return o, nil
}

func inputFile(md *canonical.Media, path string) (obj, error) {
	if md == nil {
		return nil, unsupported(path, "a document part without media")
	}
	o := obj{"type": "input_file"}
	switch {
	case md.FileID != "":
		o["file_id"] = md.FileID
	case md.Data != nil:
		mime := md.MIMEType
		if mime == "" {
			mime = "application/pdf"
		}
		o["file_data"] = dataURL(mime, md.Data)
		name := md.Title
		if name == "" {
			name = "document" // OpenAI requires a filename with file_data
			if mime == "application/pdf" {
				name += ".pdf"
			}
		}
		o["filename"] = name
	case strings.HasPrefix(md.URL, "http://") || strings.HasPrefix(md.URL, "https://"):
		o["file_url"] = md.URL
	default:
		return nil, unsupported(path, "documents are taken as http(s) URLs, bytes or an OpenAI file id")
	}
	if md.Title != "" && o["filename"] == nil {
		o["filename"] = md.Title
	}
	return o, nil
}

// assistant splits an assistant turn into items, in part order.
func (e *reqEncoder) assistant(items []any, m int, msg *canonical.Message, path string) ([]any, error) {
	if msg.Name != "" {
		e.coerce("name", "removed")
	}
	start := len(items)
	var cur obj // the message or reasoning item runs of parts join
	curType := ""
	for p := range msg.Parts {
		part := &msg.Parts[p]
		pp := path + ".parts[" + strconv.Itoa(p) + "]"
		before := len(items)
		if items = e.flush(items, m, p); len(items) != before {
			cur, curType = nil, "" // a native item sits between the runs
		}
		switch part.Type {
		case canonical.PartText, canonical.PartRefusal:
			n := e.notes.find(m, p, itemMessage)
			if curType != itemMessage || n != nil && n.Item != nil {
				cur, curType = obj{"type": "message", "role": "assistant"}, itemMessage
				if n != nil {
					cur = withExtra(cur, n.Item)
				}
				items = append(items, cur)
			}
			e.appendText(cur, part, n)
		case canonical.PartReasoning:
			n := e.notes.find(m, p, itemReasoning)
			switch {
			case n != nil && n.Item != nil:
				cur, curType = obj{"type": "reasoning", "summary": []any{}}, itemReasoning
				cur = withExtra(cur, n.Item)
				items = append(items, cur)
			case curType != itemReasoning:
				// Reasoning not read from a Responses item has no id to
				// replay under; it is history, not an instruction.
				e.coerce("reasoning", "removed")
				continue
			}
			appendReasoning(cur, part)
		case canonical.PartToolCall:
			tc := part.ToolCall
			if tc.ThoughtSignature != "" {
				e.coerce("thought_signature", "removed")
			}
			args := tc.Arguments
			if args == "" {
				args = "{}"
			}
			item := obj{"type": "function_call", "call_id": tc.ID, "name": tc.Name, "arguments": args}
			if n := e.notes.find(m, p, itemFunctionCall); n != nil {
				item = withExtra(item, n.Item)
			}
			items = append(items, item)
			cur, curType = nil, ""
		default:
			return nil, unsupported(pp, "assistant turns cannot carry "+string(part.Type)+" parts")
		}
	}
	e.finishAssistantMessages(items[start:])
	return items, nil
}

// appendText adds a text or refusal part to an assistant message item.
// Parts are collected as output content; finishAssistantMessages decides
// the final form once the item is complete.
func (e *reqEncoder) appendText(item obj, p *canonical.Part, n *note) {
	var c obj
	if p.Type == canonical.PartRefusal {
		c = obj{"type": "refusal", "refusal": p.Text}
	} else {
		c = obj{"type": "output_text", "text": p.Text}
		if n != nil {
			c = withExtra(c, n.Content) // kept annotations and logprobs
		}
		if _, ok := c["annotations"]; !ok {
			c["annotations"] = []any{} // required in the output-message form
		}
	}
	parts, _ := item["content"].([]any)
	item["content"] = append(parts, c)
}

// finishAssistantMessages gives each assistant message item its wire form:
// an item that had an id (an output message replayed) keeps the output
// form with content parts; any other becomes an easy input message with
// string content, the form every Responses server accepts.
func (e *reqEncoder) finishAssistantMessages(items []any) {
	for _, it := range items {
		item, ok := it.(obj)
		if !ok || item["type"] != "message" || item["role"] != "assistant" {
			continue
		}
		parts, _ := item["content"].([]any)
		if _, hasID := item["id"]; hasID {
			if _, ok := item["status"]; !ok {
				item["status"] = statusCompleted
			}
			continue
		}
		var b strings.Builder
		for _, c := range parts {
			co := c.(obj)
			if co["type"] == "refusal" {
				e.coerce("refusal", "text")
				b.WriteString(co["refusal"].(string))
				continue
			}
			b.WriteString(co["text"].(string))
		}
		item["content"] = b.String()
	}
}

// appendReasoning adds a reasoning part to a reasoning item: summary text
// to summary, raw reasoning text to content, encrypted content as is.
func appendReasoning(item obj, p *canonical.Part) {
	r := p.Reasoning
	if r != nil && r.Data != "" {
		item["encrypted_content"] = r.Data
	}
	if p.Text == "" {
		return
	}
	if r == nil || r.Summary {
		s, _ := item["summary"].([]any)
		item["summary"] = append(s, obj{"type": "summary_text", "text": p.Text})
		return
	}
	c, _ := item["content"].([]any)
	item["content"] = append(c, obj{"type": "reasoning_text", "text": p.Text})
}

func (e *reqEncoder) toolResults(items []any, m int, msg *canonical.Message, path string) ([]any, error) {
	for p := range msg.Parts {
		items = e.flush(items, m, p)
		part := &msg.Parts[p]
		pp := path + ".parts[" + strconv.Itoa(p) + "]"
		if part.Type != canonical.PartToolResult || part.ToolResult == nil {
			return nil, unsupported(pp, "tool turns carry tool results only")
		}
		tr := part.ToolResult
		if tr.IsError {
			e.coerce("tool_result.is_error", "removed")
		}
		item := obj{"type": "function_call_output", "call_id": tr.CallID}
		if len(tr.Content) == 1 && tr.Content[0].Type == canonical.PartText || len(tr.Content) == 0 {
			text := ""
			if len(tr.Content) == 1 {
				text = tr.Content[0].Text
			}
			item["output"] = text
		} else {
			out := make([]any, 0, len(tr.Content))
			for k := range tr.Content {
				o, err := e.inputPart(&tr.Content[k], pp+".content["+strconv.Itoa(k)+"]", false)
				if err != nil {
					return nil, err
				}
				out = append(out, o)
			}
			item["output"] = out
		}
		if n := e.notes.find(m, p, itemFunctionOutput); n != nil {
			item = withExtra(item, n.Item)
		}
		items = append(items, item)
	}
	return items, nil
}
