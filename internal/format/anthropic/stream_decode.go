package anthropic

import (
	"encoding/json"
	"net/http"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// streamFrame is the union of every Anthropic stream event's data. One value
// is reused for all frames of a stream; pointer members are allocated only
// by the rare frames that carry them.
type streamFrame struct {
	Type         string     `json:"type"`
	Index        int        `json:"index"`
	Message      *wireStart `json:"message"`       // message_start
	ContentBlock *wireBlock `json:"content_block"` // content_block_start
	Delta        struct {
		Type        string `json:"type"`
		Text        string `json:"text"`
		Thinking    string `json:"thinking"`
		PartialJSON string `json:"partial_json"`
		Signature   string `json:"signature"`
		StopReason  string `json:"stop_reason"`   // message_delta
		StopSeq     string `json:"stop_sequence"` // message_delta
	} `json:"delta"`
	Usage *wireUsage `json:"usage"` // message_delta
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	} `json:"error"` // error
}

type wireStart struct {
	ID    string     `json:"id"`
	Model string     `json:"model"`
	Usage *wireUsage `json:"usage"`
}

// blockState tracks one wire content block. Server tool blocks (and any
// block kind without a canonical part) are skipped, so the canonical index
// is counted separately from the wire index to stay in open order.
type blockState struct {
	wire    int
	canon   int
	kind    canonical.PartType
	skipped bool
	open    bool
	args    bool // a tool call received non-empty argument text
}

// StreamDecoder turns one Anthropic SSE stream into canonical events. It is
// per-request and not safe for concurrent use.
type StreamDecoder struct {
	f           streamFrame
	s           deltaScan
	blocks      []blockState
	nextCanon   int
	usage       rawUsage
	started     bool
	finished    bool // message_delta seen: no content may follow
	stopped     bool // a stop_reason was reported (Finish emitted once)
	sawToolCall bool
	terminal    bool // message_stop, error event, or a Decode error was seen
}

// NewStreamDecoder returns a decoder for one stream.
func NewStreamDecoder() *StreamDecoder {
	return &StreamDecoder{blocks: make([]blockState, 0, 4)}
}

// Decode converts one SSE frame (event name and data) and appends the
// resulting events to out. eventName may be empty (recorders that strip
// "event:" lines); the data's own "type" decides. After message_stop, an
// error event or a returned error, further frames are ignored.
func (d *StreamDecoder) Decode(eventName string, data []byte, out []canonical.Event) ([]canonical.Event, error) {
	if d.terminal {
		return out, nil
	}
	if firstByte(data) == 0 {
		return out, nil // a frame without data (comment, keep-alive)
	}
	// Hot path: content_block_delta read without encoding/json (scan.go);
	// anything the scanner is unsure of takes the general path below.
	if (eventName == "content_block_delta" || eventName == "") && d.started && !d.finished && d.s.scan(data) {
		isDelta := string(d.s.typ) == "content_block_delta" || (len(d.s.typ) == 0 && eventName == "content_block_delta")
		if isDelta {
			return d.fastDelta(out)
		}
	}
	d.f = streamFrame{}
	if err := json.Unmarshal(data, &d.f); err != nil {
		return d.fail(out, "anthropic stream frame is not valid JSON")
	}
	typ := d.f.Type
	if typ == "" {
		typ = eventName
	}
	switch typ {
	case "ping":
		return out, nil
	case "message_start":
		return d.messageStart(out)
	case "error":
		return d.errorEvent(out), nil
	}
	if !d.started {
		switch typ {
		case "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop":
			return d.fail(out, "anthropic stream sent "+typ+" before message_start")
		}
		return out, nil
	}
	if d.finished {
		switch typ {
		case "content_block_start", "content_block_delta", "content_block_stop":
			return d.fail(out, "anthropic stream sent "+typ+" after message_delta")
		}
	}
	switch typ {
	case "content_block_start":
		return d.blockStart(out)
	case "content_block_delta":
		return d.slowDelta(out)
	case "content_block_stop":
		b := d.find(d.f.Index)
		if b == nil {
			return d.fail(out, "anthropic stream stopped a block it never started")
		}
		return d.closeBlock(out, b), nil
	case "message_delta":
		return d.messageDelta(out), nil
	case "message_stop":
		out = d.closeAll(out)
		d.terminal = true
		return append(out, canonical.Event{Type: canonical.EventEnd}), nil
	}
	return out, nil // event types added after this codec was written
}

// Close is called at upstream EOF. If the stream's terminal signal never
// came it appends an upstream error, so a cut stream never looks finished.
func (d *StreamDecoder) Close(out []canonical.Event) ([]canonical.Event, error) {
	if d.terminal {
		return out, nil
	}
	d.terminal = true
	return append(out, canonical.Event{Type: canonical.EventError, Err: &canonical.Error{
		Kind:    canonical.KindUpstream,
		Status:  http.StatusBadGateway,
		Code:    "upstream_error",
		Message: "upstream stream ended before completion",
	}}), nil
}

func (d *StreamDecoder) fail(out []canonical.Event, msg string) ([]canonical.Event, error) {
	d.terminal = true
	return out, upstreamf("%s", msg)
}

func (d *StreamDecoder) messageStart(out []canonical.Event) ([]canonical.Event, error) {
	m := d.f.Message
	if d.started || m == nil {
		return d.fail(out, "anthropic stream sent a malformed or repeated message_start")
	}
	d.started = true
	d.usage.merge(m.Usage)
	u1, u2 := d.usage.canonical(), d.usage.canonical()
	out = append(out, canonical.Event{Type: canonical.EventStart, ID: m.ID, Model: m.Model, Usage: &u1})
	return append(out, canonical.Event{Type: canonical.EventUsage, Usage: &u2}), nil
}

func (d *StreamDecoder) find(wire int) *blockState {
	for i := len(d.blocks) - 1; i >= 0; i-- {
		if d.blocks[i].wire == wire {
			return &d.blocks[i]
		}
	}
	return nil
}

func (d *StreamDecoder) blockStart(out []canonical.Event) ([]canonical.Event, error) {
	cb := d.f.ContentBlock
	if cb == nil || d.find(d.f.Index) != nil {
		return d.fail(out, "anthropic stream sent a malformed or repeated content_block_start")
	}
	st := blockState{wire: d.f.Index, canon: -1, open: true}
	var part *canonical.Part
	switch cb.Type {
	case "text":
		part = &canonical.Part{Type: canonical.PartText}
	case "thinking":
		part = &canonical.Part{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Provider: provider}}
	case "redacted_thinking":
		part = &canonical.Part{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Redacted: true, Data: cb.Data, Provider: provider}}
	case "tool_use":
		part = &canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{ID: cb.ID, Name: cb.Name}}
		d.sawToolCall = true
	default:
		// server_tool_use, web_search_tool_result, …: no canonical part.
		st.skipped = true
		d.blocks = append(d.blocks, st)
		return out, nil
	}
	st.kind, st.canon = part.Type, d.nextCanon
	d.nextCanon++
	out = append(out, canonical.Event{Type: canonical.EventBlockStart, Index: st.canon, Block: part})
	// Blocks normally start empty; carry any initial content as a delta.
	switch {
	case cb.Type == "text" && cb.Text != "":
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: st.canon, Delta: cb.Text})
	case cb.Type == "thinking" && (cb.Thinking != "" || cb.Signature != ""):
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: st.canon, Delta: cb.Thinking, Signature: cb.Signature})
	case cb.Type == "tool_use" && !isNull(cb.Input) && !isEmptyObject(cb.Input):
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: st.canon, Delta: string(cb.Input)})
		st.args = true
	}
	d.blocks = append(d.blocks, st)
	return out, nil
}

// Delta kinds of content_block_delta.
const (
	deltaOther = iota
	deltaText
	deltaThinking
	deltaSignature
	deltaInputJSON
)

func deltaKind[T string | []byte](t T) int {
	switch string(t) {
	case "text_delta":
		return deltaText
	case "thinking_delta":
		return deltaThinking
	case "signature_delta":
		return deltaSignature
	case "input_json_delta":
		return deltaInputJSON
	}
	return deltaOther // citations_delta and newer kinds have no canonical home
}

// fieldFor is the deltaScan field name a delta kind reads.
func fieldFor(kind int) byte {
	switch kind {
	case deltaText:
		return 't'
	case deltaThinking:
		return 'h'
	case deltaSignature:
		return 's'
	case deltaInputJSON:
		return 'p'
	}
	return 0
}

// fastDelta handles a content_block_delta read by deltaScan.
func (d *StreamDecoder) fastDelta(out []canonical.Event) ([]canonical.Event, error) {
	kind := deltaKind(d.s.deltaType)
	content := ""
	if kind != deltaOther && d.s.fieldName == fieldFor(kind) {
		var ok bool
		if content, ok = d.s.text(); !ok {
			return d.fail(out, "anthropic stream frame is not valid JSON")
		}
	}
	return d.blockDelta(out, d.s.index, kind, content)
}

func (d *StreamDecoder) slowDelta(out []canonical.Event) ([]canonical.Event, error) {
	dl := &d.f.Delta
	kind, content := deltaKind(dl.Type), ""
	switch kind {
	case deltaText:
		content = dl.Text
	case deltaThinking:
		content = dl.Thinking
	case deltaSignature:
		content = dl.Signature
	case deltaInputJSON:
		content = dl.PartialJSON
	}
	return d.blockDelta(out, d.f.Index, kind, content)
}

func (d *StreamDecoder) blockDelta(out []canonical.Event, index, kind int, content string) ([]canonical.Event, error) {
	b := d.find(index)
	if b == nil {
		return d.fail(out, "anthropic stream sent a delta for a block it never started")
	}
	if b.skipped || !b.open || kind == deltaOther || content == "" {
		return out, nil
	}
	ev := canonical.Event{Type: canonical.EventDelta, Index: b.canon}
	switch kind {
	case deltaSignature:
		ev.Signature = content
	case deltaInputJSON:
		ev.Delta = content
		b.args = true
	default:
		ev.Delta = content
	}
	return append(out, ev), nil
}

// closeBlock ends a block. A tool call that never received argument text
// gets "{}" so no call ever reaches a client with empty arguments.
func (d *StreamDecoder) closeBlock(out []canonical.Event, b *blockState) []canonical.Event {
	if b.skipped || !b.open {
		b.open = false
		return out
	}
	b.open = false
	if b.kind == canonical.PartToolCall && !b.args {
		out = append(out, canonical.Event{Type: canonical.EventDelta, Index: b.canon, Delta: "{}"})
	}
	return append(out, canonical.Event{Type: canonical.EventBlockStop, Index: b.canon})
}

// closeAll ends blocks left open: with max_tokens Anthropic may stop in the
// middle of a tool input and never send its content_block_stop.
func (d *StreamDecoder) closeAll(out []canonical.Event) []canonical.Event {
	for i := range d.blocks {
		out = d.closeBlock(out, &d.blocks[i])
	}
	return out
}

// messageDelta carries the stop reason and cumulative usage. Each usage
// count replaces the earlier value (never summed); counts it omits keep the
// message_start value.
func (d *StreamDecoder) messageDelta(out []canonical.Event) []canonical.Event {
	out = d.closeAll(out)
	d.usage.merge(d.f.Usage)
	u := d.usage.canonical()
	out = append(out, canonical.Event{Type: canonical.EventUsage, Usage: &u})
	if sr := d.f.Delta.StopReason; sr != "" && !d.stopped {
		d.stopped = true
		f := finishFromStop(sr)
		if f == canonical.FinishStop && d.sawToolCall {
			f = canonical.FinishToolCalls
		}
		out = append(out, canonical.Event{Type: canonical.EventFinish, Finish: f, StopSequence: d.f.Delta.StopSeq})
	}
	d.finished = true
	return out
}

func (d *StreamDecoder) errorEvent(out []canonical.Event) []canonical.Event {
	d.terminal = true
	e := &canonical.Error{Kind: canonical.KindUpstream, Status: http.StatusBadGateway, Message: "upstream stream error"}
	if we := d.f.Error; we != nil {
		e.Type = we.Type
		e.Status = statusForType(we.Type)
		e.Kind = kindForType(we.Type, e.Status)
		if we.Message != "" {
			e.Message = we.Message
		}
	}
	return append(out, canonical.Event{Type: canonical.EventError, Err: e})
}

func isEmptyObject(raw json.RawMessage) bool {
	depth := 0
	for _, c := range raw {
		switch c {
		case ' ', '\t', '\n', '\r':
		case '{':
			depth++
			if depth > 1 {
				return false
			}
		case '}':
			depth--
		default:
			return false
		}
	}
	return depth == 0
}
