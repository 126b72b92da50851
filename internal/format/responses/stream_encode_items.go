package responses

import "github.com/nexus-gateway/nexus/internal/canonical"

// Block and item handling of StreamEncoder: which output item a canonical
// block lands in, and the frames that open, feed and close it.

func (e *StreamEncoder) blockStart(index int, part *canonical.Part, w EventWriter) error {
	b := e.block(index)
	if b == nil || b.state != blockUnseen {
		return nil
	}
	kind := canonical.PartText
	if part != nil {
		kind = part.Type
	}
	b.kind = kind
	switch kind {
	case canonical.PartText, canonical.PartRefusal:
		return e.startContent(b, index, w)
	case canonical.PartReasoning:
		if part.Reasoning != nil && part.Reasoning.Redacted {
			b.state = blockDropped // another provider's opaque payload
			return nil
		}
		return e.startSummary(b, index, w)
	case canonical.PartToolCall:
		var tc canonical.ToolCall
		if part.ToolCall != nil {
			tc = *part.ToolCall
		}
		return e.startCall(b, &tc, index, w)
	}
	b.state = blockDropped
	return nil
}

// openItem closes the joinable item and announces a new one.
func (e *StreamEncoder) openItem(typ string, w EventWriter) (int, error) {
	if err := e.closeCurrent(w); err != nil {
		return -1, err
	}
	i := len(e.items)
	e.items = append(e.items, encItem{outItem: outItem{typ: typ, status: statusInProgress, id: itemID(itemPrefix(typ), e.id, i)}})
	b := e.begin(evItemAdded)
	b = append(b, `,"output_index":`...)
	b = appendInt(b, i)
	b = append(b, `,"item":`...)
	b = appendItem(b, &e.items[i].outItem)
	return i, e.send(evItemAdded, b, w)
}

func (e *StreamEncoder) joinable(typ string) bool {
	return e.cur >= 0 && e.items[e.cur].typ == typ && !e.items[e.cur].done
}

func (e *StreamEncoder) startContent(b *encBlock, index int, w EventWriter) error {
	if !e.joinable(itemMessage) {
		i, err := e.openItem(itemMessage, w)
		if err != nil {
			return err
		}
		e.cur = i
	}
	it := &e.items[e.cur]
	b.item, b.part, b.state = e.cur, len(it.parts), blockOpen
	it.parts = append(it.parts, outPart{kind: b.kind})
	it.blocks = append(it.blocks, index)
	f := e.begin(evPartAdded)
	f = e.itemRef(f, b.item)
	f = append(f, `,"content_index":`...)
	f = appendInt(f, b.part)
	f = append(f, `,"part":`...)
	f = appendContentPart(f, &it.parts[b.part])
	return e.send(evPartAdded, f, w)
}

func (e *StreamEncoder) startSummary(b *encBlock, index int, w EventWriter) error {
	if !e.joinable(itemReasoning) {
		i, err := e.openItem(itemReasoning, w)
		if err != nil {
			return err
		}
		e.cur = i
	}
	it := &e.items[e.cur]
	b.item, b.part, b.state = e.cur, len(it.parts), blockOpen
	it.parts = append(it.parts, outPart{kind: canonical.PartReasoning})
	it.blocks = append(it.blocks, index)
	f := e.begin(evSummaryPartAdded)
	f = e.itemRef(f, b.item)
	f = append(f, `,"summary_index":`...)
	f = appendInt(f, b.part)
	f = append(f, `,"part":{"type":"summary_text","text":""}`...)
	return e.send(evSummaryPartAdded, f, w)
}

func (e *StreamEncoder) startCall(b *encBlock, tc *canonical.ToolCall, index int, w EventWriter) error {
	if err := e.closeCurrent(w); err != nil {
		return err
	}
	i := len(e.items)
	e.items = append(e.items, encItem{outItem: outItem{
		typ: itemFunctionCall, status: statusInProgress, id: itemID("fc", e.id, i),
		callID: callIDFor(tc, index), name: tc.Name,
	}, blocks: []int{index}})
	b.item, b.part, b.state = i, 0, blockOpen
	f := e.begin(evItemAdded)
	f = append(f, `,"output_index":`...)
	f = appendInt(f, i)
	f = append(f, `,"item":`...)
	f = appendItem(f, &e.items[i].outItem)
	return e.send(evItemAdded, f, w)
}

func (e *StreamEncoder) delta(ev canonical.Event, w EventWriter) error {
	if ev.Delta == "" {
		return nil // signature-only deltas have no Responses form
	}
	if err := e.start(w); err != nil {
		return err
	}
	b := e.block(ev.Index)
	if b == nil {
		return nil
	}
	if b.state == blockUnseen {
		// A delta without a BlockStart is shown as text, as the chat encoder does.
		if err := e.blockStart(ev.Index, nil, w); err != nil {
			return err
		}
	}
	if b.state != blockOpen {
		return nil
	}
	it := &e.items[b.item]
	var f []byte
	switch b.kind {
	case canonical.PartText, canonical.PartRefusal:
		p := &it.parts[b.part]
		p.text = append(p.text, ev.Delta...)
		name := evTextDelta
		if b.kind == canonical.PartRefusal {
			name = evRefusalDelta
		}
		f = e.begin(name)
		f = e.itemRef(f, b.item)
		f = append(f, `,"content_index":`...)
		f = appendInt(f, b.part)
		f = append(f, `,"delta":`...)
		f = appendString(f, ev.Delta)
		if b.kind == canonical.PartText {
			f = append(f, `,"logprobs":[]`...)
		}
		return e.send(name, f, w)
	case canonical.PartReasoning:
		p := &it.parts[b.part]
		p.text = append(p.text, ev.Delta...)
		f = e.begin(evSummaryDelta)
		f = e.itemRef(f, b.item)
		f = append(f, `,"summary_index":`...)
		f = appendInt(f, b.part)
		f = append(f, `,"delta":`...)
		f = appendString(f, ev.Delta)
		return e.send(evSummaryDelta, f, w)
	case canonical.PartToolCall:
		return e.argsDelta(b.item, ev.Delta, w)
	}
	return nil
}

func (e *StreamEncoder) argsDelta(i int, s string, w EventWriter) error {
	it := &e.items[i]
	it.args = append(it.args, s...)
	f := e.begin(evArgsDelta)
	f = e.itemRef(f, i)
	f = append(f, `,"delta":`...)
	f = appendString(f, s)
	return e.send(evArgsDelta, f, w)
}

// stopBlock writes a block's done events; a tool call's block is its whole
// item, so the item closes with it.
func (e *StreamEncoder) stopBlock(b *encBlock, w EventWriter) error {
	b.state = blockClosed
	it := &e.items[b.item]
	var f []byte
	switch b.kind {
	case canonical.PartText, canonical.PartRefusal:
		p := &it.parts[b.part]
		name, field := evTextDone, `,"text":`
		if b.kind == canonical.PartRefusal {
			name, field = evRefusalDone, `,"refusal":`
		}
		f = e.begin(name)
		f = e.itemRef(f, b.item)
		f = append(f, `,"content_index":`...)
		f = appendInt(f, b.part)
		f = append(f, field...)
		f = appendBytesString(f, p.text)
		if b.kind == canonical.PartText {
			f = append(f, `,"logprobs":[]`...)
		}
		if err := e.send(name, f, w); err != nil {
			return err
		}
		f = e.begin(evPartDone)
		f = e.itemRef(f, b.item)
		f = append(f, `,"content_index":`...)
		f = appendInt(f, b.part)
		f = append(f, `,"part":`...)
		f = appendContentPart(f, p)
		return e.send(evPartDone, f, w)
	case canonical.PartReasoning:
		p := &it.parts[b.part]
		f = e.begin(evSummaryDone)
		f = e.itemRef(f, b.item)
		f = append(f, `,"summary_index":`...)
		f = appendInt(f, b.part)
		f = append(f, `,"text":`...)
		f = appendBytesString(f, p.text)
		if err := e.send(evSummaryDone, f, w); err != nil {
			return err
		}
		f = e.begin(evSummaryPartDone)
		f = e.itemRef(f, b.item)
		f = append(f, `,"summary_index":`...)
		f = appendInt(f, b.part)
		f = append(f, `,"part":`...)
		f = appendSummaryPart(f, p.text)
		return e.send(evSummaryPartDone, f, w)
	case canonical.PartToolCall:
		if err := e.finishArgs(b.item, w); err != nil {
			return err
		}
		return e.closeItem(b.item, statusCompleted, w)
	}
	return nil
}

// finishArgs writes function_call_arguments.done.
func (e *StreamEncoder) finishArgs(i int, w EventWriter) error {
	it := &e.items[i]
	if len(it.args) == 0 {
		// A call that got no argument text still needs valid JSON.
		if err := e.argsDelta(i, "{}", w); err != nil {
			return err
		}
	}
	f := e.begin(evArgsDone)
	f = e.itemRef(f, i)
	f = append(f, `,"name":`...)
	f = appendString(f, it.name)
	f = append(f, `,"arguments":`...)
	f = appendBytesString(f, it.args)
	return e.send(evArgsDone, f, w)
}

// closeItem ends the item's open blocks and writes output_item.done.
func (e *StreamEncoder) closeItem(i int, status string, w EventWriter) error {
	if e.items[i].done {
		return nil
	}
	for _, k := range e.items[i].blocks {
		b := &e.blocks[k]
		if b.state != blockOpen {
			continue
		}
		var err error
		if b.kind == canonical.PartToolCall {
			b.state = blockClosed
			err = e.finishArgs(i, w)
		} else {
			err = e.stopBlock(b, w)
		}
		if err != nil {
			return err
		}
	}
	it := &e.items[i]
	it.done = true
	it.status = status
	if e.cur == i {
		e.cur = -1
	}
	f := e.begin(evItemDone)
	f = append(f, `,"output_index":`...)
	f = appendInt(f, i)
	f = append(f, `,"item":`...)
	f = appendItem(f, &it.outItem)
	return e.send(evItemDone, f, w)
}

func (e *StreamEncoder) closeCurrent(w EventWriter) error {
	if e.cur < 0 {
		return nil
	}
	return e.closeItem(e.cur, statusCompleted, w)
}
