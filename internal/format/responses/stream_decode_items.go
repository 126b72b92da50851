package responses

import (
	"encoding/json"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Item and part handling of StreamDecoder: every content part, summary
// part and function call of an item becomes one canonical block.

// wireItem is an output item as output_item.added/done show it.
type wireItem struct {
	Type      string            `json:"type"`
	CallID    string            `json:"call_id"`
	Name      string            `json:"name"`
	Arguments string            `json:"arguments"`
	Content   []json.RawMessage `json:"content"`
	Summary   []struct {
		Text string `json:"text"`
	} `json:"summary"`
}

func (d *StreamDecoder) itemAdded(out []canonical.Event, it *decItem) ([]canonical.Event, error) {
	var wi wireItem
	if json.Unmarshal(d.ev.Item, &wi) != nil {
		return out, nil // a built-in tool item of a shape this codec does not read
	}
	d.sawItems = true
	it.typ = wi.Type
	if wi.Type == itemFunctionCall {
		it.call = canonical.ToolCall{ID: wi.CallID, Name: wi.Name}
		out = d.openCall(out, it)
		if wi.Arguments != "" {
			out = d.argsDelta(out, it, wi.Arguments)
		}
	}
	return out, nil
}

func (d *StreamDecoder) openCall(out []canonical.Event, it *decItem) []canonical.Event {
	if it.block >= 0 || it.call.Name == "" {
		return out
	}
	if it.call.ID == "" {
		it.call.ID = "call_" + strconv.Itoa(d.next)
	}
	it.block = d.next
	d.next++
	d.open++
	d.called, it.anyBlock = true, true
	tc := it.call
	out = append(out, canonical.Event{Type: canonical.EventBlockStart, Index: it.block, Block: &canonical.Part{Type: canonical.PartToolCall, ToolCall: &tc}})
	if len(it.pending) > 0 {
		it.args = true
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: it.block, Delta: string(it.pending)})
		it.pending = nil
	}
	return out
}

func (d *StreamDecoder) argsDelta(out []canonical.Event, it *decItem, s string) []canonical.Event {
	if s == "" || it.done {
		return out
	}
	if it.block < 0 {
		it.pending = append(it.pending, s...)
		return out
	}
	it.args = true
	return append(out, canonical.Event{Type: canonical.EventDelta, Index: it.block, Delta: s})
}

// closeCall ends a function call block; a call that got no argument text
// gets "{}" so no call reaches a client without valid arguments.
func (d *StreamDecoder) closeCall(out []canonical.Event, it *decItem) []canonical.Event {
	if it.block < 0 || it.closed {
		return out
	}
	it.closed = true
	if !it.args {
		it.args = true
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: it.block, Delta: "{}"})
	}
	d.open--
	return append(out, canonical.Event{Type: canonical.EventBlockStop, Index: it.block})
}

func (d *StreamDecoder) itemDone(out []canonical.Event, it *decItem) ([]canonical.Event, error) {
	if it.done {
		return out, nil
	}
	var wi wireItem
	if json.Unmarshal(d.ev.Item, &wi) != nil {
		it.done = true
		return out, nil
	}
	d.sawItems = true
	if it.typ == "" {
		it.typ = wi.Type
	}
	switch it.typ {
	case itemFunctionCall:
		if it.call.Name == "" {
			it.call = canonical.ToolCall{ID: wi.CallID, Name: wi.Name}
		}
		if it.block < 0 && it.call.Name == "" {
			it.call.Name = "unknown" // a call must name a tool; the upstream sent none
		}
		out = d.openCall(out, it)
		if !it.args {
			out = d.argsDelta(out, it, wi.Arguments)
		}
		out = d.closeCall(out, it)
	case itemMessage:
		if !it.anyBlock {
			out = d.synthesizeMessage(out, it, wi.Content)
		}
	case itemReasoning:
		if !it.anyBlock {
			for k, s := range wi.Summary {
				if s.Text != "" {
					out = d.wholePart(out, it, &it.summary, k, canonical.PartReasoning, true, s.Text)
				}
			}
		}
	}
	out = d.closeItemParts(out, it)
	it.done = true
	return out, nil
}

// synthesizeMessage makes blocks from a message item that arrived whole
// (servers that skip the part events).
func (d *StreamDecoder) synthesizeMessage(out []canonical.Event, it *decItem, content []json.RawMessage) []canonical.Event {
	for k, raw := range content {
		var p struct {
			Type    string `json:"type"`
			Text    string `json:"text"`
			Refusal string `json:"refusal"`
		}
		if json.Unmarshal(raw, &p) != nil {
			continue
		}
		switch p.Type {
		case "output_text":
			out = d.wholePart(out, it, &it.content, k, canonical.PartText, false, p.Text)
		case "refusal":
			out = d.wholePart(out, it, &it.content, k, canonical.PartRefusal, false, p.Refusal)
		}
	}
	return out
}

func (d *StreamDecoder) wholePart(out []canonical.Event, it *decItem, parts *[]decPart, k int, kind canonical.PartType, summary bool, text string) []canonical.Event {
	out, p := d.openPart(out, it, parts, k, kind, summary)
	if p == nil {
		return out
	}
	if text != "" {
		p.deltas = true
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: p.block, Delta: text})
	}
	return d.partDone(out, it, parts, k)
}

// openPart opens the canonical block of content/summary part k.
func (d *StreamDecoder) openPart(out []canonical.Event, it *decItem, parts *[]decPart, k int, kind canonical.PartType, summary bool) ([]canonical.Event, *decPart) {
	if k < 0 || k >= maxItems || it.done {
		return out, nil
	}
	for len(*parts) <= k {
		*parts = append(*parts, decPart{block: -1})
	}
	p := &(*parts)[k]
	if p.block >= 0 {
		return out, p
	}
	p.block = d.next
	d.next++
	d.open++
	it.anyBlock = true
	d.refused = d.refused || kind == canonical.PartRefusal
	blk := &canonical.Part{Type: kind}
	if kind == canonical.PartReasoning {
		blk.Reasoning = &canonical.Reasoning{Summary: summary}
	}
	return append(out, canonical.Event{Type: canonical.EventBlockStart, Index: p.block, Block: blk}), p
}

// partAdded opens the block of a content part by its type.
func (d *StreamDecoder) partAdded(out []canonical.Event, it *decItem) []canonical.Event {
	var p struct {
		Type    string `json:"type"`
		Text    string `json:"text"`
		Refusal string `json:"refusal"`
	}
	if json.Unmarshal(d.ev.Part, &p) != nil {
		return out
	}
	var kind canonical.PartType
	text := p.Text
	switch p.Type {
	case "output_text":
		kind = canonical.PartText
	case "refusal":
		kind, text = canonical.PartRefusal, p.Refusal
	case "reasoning_text":
		kind = canonical.PartReasoning
	default:
		return out
	}
	out, dp := d.openPart(out, it, &it.content, d.ev.ContentIndex, kind, false)
	if dp != nil && text != "" {
		dp.deltas = true
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: dp.block, Delta: text})
	}
	return out
}

func (d *StreamDecoder) partDelta(out []canonical.Event, it *decItem, parts *[]decPart, k int, kind canonical.PartType, summary bool) []canonical.Event {
	out, p := d.openPart(out, it, parts, k, kind, summary)
	if p == nil || p.closed {
		return out
	}
	s := d.ev.Delta.str()
	if s == "" {
		return out
	}
	p.deltas = true
	return append(out, canonical.Event{Type: canonical.EventDelta, Index: p.block, Delta: s})
}

// partFill handles a *.done event carrying the whole text: it only adds
// text when no delta brought any (servers that send the done event alone).
func (d *StreamDecoder) partFill(out []canonical.Event, it *decItem, parts *[]decPart, k int, kind canonical.PartType, text rawRef) []canonical.Event {
	if k >= 0 && k < len(*parts) && (*parts)[k].deltas {
		return out
	}
	s := text.str()
	if s == "" {
		return out
	}
	out, p := d.openPart(out, it, parts, k, kind, parts == &it.summary)
	if p == nil || p.closed {
		return out
	}
	p.deltas = true
	return append(out, canonical.Event{Type: canonical.EventDelta, Index: p.block, Delta: s})
}

func (d *StreamDecoder) partDone(out []canonical.Event, _ *decItem, parts *[]decPart, k int) []canonical.Event {
	if k < 0 || k >= len(*parts) {
		return out
	}
	p := &(*parts)[k]
	if p.block < 0 || p.closed {
		return out
	}
	p.closed = true
	d.open--
	return append(out, canonical.Event{Type: canonical.EventBlockStop, Index: p.block})
}

// closeItemParts ends every block of an item still open.
func (d *StreamDecoder) closeItemParts(out []canonical.Event, it *decItem) []canonical.Event {
	for _, parts := range [...]*[]decPart{&it.content, &it.summary} {
		for k := range *parts {
			out = d.partDone(out, it, parts, k)
		}
	}
	if it.typ == itemFunctionCall {
		out = d.closeCall(out, it)
	}
	return out
}

// closeAll ends every open block in canonical index order.
func (d *StreamDecoder) closeAll(out []canonical.Event) []canonical.Event {
	if d.open == 0 {
		return out
	}
	for i := range d.items {
		it := &d.items[i]
		if it.typ == itemFunctionCall && it.block < 0 && len(it.pending) > 0 && it.call.Name == "" {
			it.call.Name = "unknown"
			out = d.openCall(out, it)
		}
		out = d.closeItemParts(out, it)
		it.done = true
	}
	return out
}
