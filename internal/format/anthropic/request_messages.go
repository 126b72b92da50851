package anthropic

import (
	"encoding/json"
	"fmt"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// encodeMessages renders the conversation. Anthropic wants alternating
// user/assistant turns, tool results inside user turns (first in the turn)
// and the system prompt outside the list, so:
//   - system messages found in the list are hoisted into the system prompt
//     (SPEC §5.5 "multiple system msgs ⇒ text block array"), coerced;
//   - RoleTool messages become user turns of tool_result blocks;
//   - consecutive turns of the same wire role are merged.
func (e *encoder) encodeMessages(msgs []canonical.Message, system []canonical.Part, natives nativeSet) ([]outMessage, []canonical.Part, error) {
	out := make([]outMessage, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		if m.Role == canonical.RoleSystem {
			e.coerce("messages.system", "system")
			for _, p := range m.Parts {
				system = append(system, p)
			}
			continue
		}
		if m.Name != "" {
			e.coerce("name", "removed")
		}
		role := "user"
		if m.Role == canonical.RoleAssistant {
			role = "assistant"
		} else if m.Role != canonical.RoleUser && m.Role != canonical.RoleTool {
			return nil, nil, invalidf(fmt.Sprintf("messages[%d].role", i), "unknown role %q", m.Role)
		}
		var blocks []any
		for j := range m.Parts {
			var now []json.RawMessage
			now, natives = natives.take(i, j)
			blocks = appendRaw(blocks, now)
			b, ok, err := e.encodePart(&m.Parts[j], m.Role, fmt.Sprintf("messages[%d].content[%d]", i, j))
			if err != nil {
				return nil, nil, err
			}
			if ok {
				blocks = append(blocks, b)
			}
		}
		var rest []json.RawMessage
		rest, natives = natives.take(i, -1)
		blocks = appendRaw(blocks, rest)
		if len(blocks) == 0 {
			continue // e.g. an assistant turn whose only content was an empty string
		}
		if n := len(out); n > 0 && out[n-1].Role == role {
			out[n-1].Content = append(out[n-1].Content, blocks...)
		} else {
			out = append(out, outMessage{Role: role, Content: blocks})
		}
	}
	for i := range out {
		if out[i].Role == "user" {
			toolResultsFirst(out[i].Content)
		}
	}
	return out, system, nil
}

func appendRaw(blocks []any, raws []json.RawMessage) []any {
	for _, r := range raws {
		blocks = append(blocks, r)
	}
	return blocks
}

// toolResultsFirst moves tool_result blocks to the front of a user turn,
// keeping relative order: Anthropic rejects a turn where text precedes the
// results of the previous assistant turn's calls. Merging a user message
// with the following tool messages can produce that order.
func toolResultsFirst(content []any) {
	isResult := func(v any) bool {
		b, ok := v.(outBlock)
		return ok && b.Type == "tool_result"
	}
	sorted := true
	seenOther := false
	for _, v := range content {
		if !isResult(v) {
			seenOther = true
		} else if seenOther {
			sorted = false
			break
		}
	}
	if sorted {
		return
	}
	results := make([]any, 0, len(content))
	others := make([]any, 0, len(content))
	for _, v := range content {
		if isResult(v) {
			results = append(results, v)
		} else {
			others = append(others, v)
		}
	}
	copy(content, append(results, others...))
}

// encodePart converts one part; ok=false means the part is legitimately
// omitted (empty text, reasoning another provider cannot replay).
func (e *encoder) encodePart(p *canonical.Part, role canonical.Role, path string) (outBlock, bool, error) {
	cc := newCacheControl(p.CacheControl, p.CacheTTL)
	switch p.Type {
	case canonical.PartText, canonical.PartRefusal:
		if p.Text == "" {
			return outBlock{}, false, nil // Anthropic rejects empty text blocks
		}
		return outBlock{Type: "text", Text: strp(p.Text), CacheControl: cc}, true, nil
	case canonical.PartImage, canonical.PartDocument:
		if role == canonical.RoleAssistant {
			return outBlock{}, false, unsupported(path, "assistant turns cannot carry images or documents")
		}
		return e.encodeMedia(p, path, cc)
	case canonical.PartToolCall:
		if role != canonical.RoleAssistant {
			return outBlock{}, false, invalidf(path, "%s: tool calls belong in assistant turns", path)
		}
		tc := p.ToolCall
		if tc == nil {
			return outBlock{}, false, invalidf(path, "%s: tool call part without a call", path)
		}
		input, err := inputFromArgs(tc.Arguments, path+".arguments")
		if err != nil {
			return outBlock{}, false, err
		}
		return outBlock{Type: "tool_use", ID: tc.ID, Name: tc.Name, Input: input, CacheControl: cc}, true, nil
	case canonical.PartToolResult:
		if role == canonical.RoleAssistant {
			return outBlock{}, false, invalidf(path, "%s: tool results cannot be in assistant turns", path)
		}
		return e.encodeToolResult(p, path, cc)
	case canonical.PartReasoning:
		return e.encodeReasoning(p, role, path)
	}
	return outBlock{}, false, unsupported(path, fmt.Sprintf("part type %q has no Anthropic block", p.Type))
}

func (e *encoder) encodeMedia(p *canonical.Part, path string, cc *wireCacheControl) (outBlock, bool, error) {
	if p.Media != nil {
		switch p.Media.Detail {
		case "high":
			return outBlock{}, false, unsupported(path+".detail", `image detail "high" cannot be requested from Anthropic`)
		case "low":
			e.coerce("detail", "removed")
		}
	}
	src, err := mediaToSource(p, path)
	if err != nil {
		return outBlock{}, false, err
	}
	b := outBlock{Type: "image", Source: src, CacheControl: cc}
	if p.Type == canonical.PartDocument {
		b.Type, b.Title = "document", p.Media.Title
	}
	return b, true, nil
}

// inputFromArgs turns canonical argument text into a tool_use input object.
func inputFromArgs(args, path string) (json.RawMessage, error) {
	if args == "" {
		return json.RawMessage("{}"), nil
	}
	raw := json.RawMessage(args)
	if firstByte(raw) != '{' || !json.Valid(raw) {
		return nil, unsupported(path, "tool call arguments must be a JSON object to replay them as tool_use input")
	}
	return raw, nil
}

func (e *encoder) encodeToolResult(p *canonical.Part, path string, cc *wireCacheControl) (outBlock, bool, error) {
	tr := p.ToolResult
	if tr == nil {
		return outBlock{}, false, invalidf(path, "%s: tool result part without a result", path)
	}
	if tr.CallID == "" {
		return outBlock{}, false, invalidf(path+".tool_call_id", "%s: tool result without the id of its call", path)
	}
	b := outBlock{Type: "tool_result", ToolUseID: tr.CallID, IsError: tr.IsError, CacheControl: cc}
	switch {
	case len(tr.Content) == 0:
	case len(tr.Content) == 1 && tr.Content[0].Type == canonical.PartText && tr.Content[0].CacheControl == "":
		b.Content = tr.Content[0].Text
	default:
		inner := make([]outBlock, 0, len(tr.Content))
		for k := range tr.Content {
			c := &tr.Content[k]
			ip := fmt.Sprintf("%s.content[%d]", path, k)
			switch c.Type {
			case canonical.PartText, canonical.PartImage, canonical.PartDocument:
			default:
				return outBlock{}, false, unsupported(ip, fmt.Sprintf("tool results can hold text, images and documents, got %s", c.Type))
			}
			ib, ok, err := e.encodePart(c, canonical.RoleUser, ip)
			if err != nil {
				return outBlock{}, false, err
			}
			if ok {
				inner = append(inner, ib)
			}
		}
		if len(inner) > 0 {
			b.Content = inner
		}
	}
	return b, true, nil
}

// encodeReasoning replays thinking. Anthropic verifies signatures, so only
// its own signed thinking and redacted thinking go back; unsigned reasoning
// text (another provider's reasoning_content) and thinking signed by another
// provider (Gemini history) cannot be replayed and are dropped with a
// coercion — they are history, not an instruction.
func (e *encoder) encodeReasoning(p *canonical.Part, role canonical.Role, path string) (outBlock, bool, error) {
	if role != canonical.RoleAssistant {
		return outBlock{}, false, invalidf(path, "%s: reasoning belongs in assistant turns", path)
	}
	r := p.Reasoning
	switch {
	case !r.ReplayableBy(provider):
		// signed by another provider: dropped below
	case r != nil && r.Redacted && r.Data != "":
		return outBlock{Type: "redacted_thinking", Data: r.Data}, true, nil
	case r != nil && r.Signature != "" && !r.Summary:
		return outBlock{Type: "thinking", Thinking: strp(p.Text), Signature: strp(r.Signature)}, true, nil
	}
	e.coerce("reasoning", "removed")
	return outBlock{}, false, nil
}
