package responses

import (
	"io"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Event names of the Responses stream grammar (SPEC §6.4). Every frame's
// data repeats its name in "type".
const (
	evCreated          = "response.created"
	evInProgress       = "response.in_progress"
	evItemAdded        = "response.output_item.added"
	evItemDone         = "response.output_item.done"
	evPartAdded        = "response.content_part.added"
	evPartDone         = "response.content_part.done"
	evTextDelta        = "response.output_text.delta"
	evTextDone         = "response.output_text.done"
	evRefusalDelta     = "response.refusal.delta"
	evRefusalDone      = "response.refusal.done"
	evSummaryPartAdded = "response.reasoning_summary_part.added"
	evSummaryPartDone  = "response.reasoning_summary_part.done"
	evSummaryDelta     = "response.reasoning_summary_text.delta"
	evSummaryDone      = "response.reasoning_summary_text.done"
	evArgsDelta        = "response.function_call_arguments.delta"
	evArgsDone         = "response.function_call_arguments.done"
	evCompleted        = "response.completed"
	evIncomplete       = "response.incomplete"
	evFailed           = "response.failed"
)

// EventWriter receives encoded SSE frames; the gateway's SSE writer
// satisfies it. data is only valid during the call: the encoder reuses its
// buffer for the next frame.
type EventWriter interface {
	WriteEvent(name string, data []byte) error
}

// StreamOptions configures a StreamEncoder. The zero value works: a random
// resp_ id, created_at 0, the model named by EventStart.
type StreamOptions struct {
	Model   string    // routed model code shown to the client; "" = EventStart's model
	ID      string    // response id; "" = "resp_" + 48 hex digits read from Rand
	Created int64     // unix seconds shown as created_at
	Rand    io.Reader // randomness for the generated id; nil = crypto/rand
	// IncludeUsage is unused: Responses streams always end with usage. It
	// keeps the options uniform across codecs.
	IncludeUsage bool
}

// maxBlocks bounds the block table so a corrupt index cannot allocate wildly.
const maxBlocks = 1 << 16

const (
	blockUnseen uint8 = iota
	blockOpen
	blockClosed
	blockDropped
)

// encBlock maps a canonical block onto its item and part.
type encBlock struct {
	item  int // index into items
	part  int // content_index / summary_index
	kind  canonical.PartType
	state uint8
}

// encItem is an output item being streamed.
type encItem struct {
	outItem
	blocks []int // canonical indexes of the item's blocks
	done   bool
}

// StreamEncoder writes canonical events in the Responses stream grammar
// (SPEC §6.4): response.created and response.in_progress, then per output
// item output_item.added, its content / summary parts and deltas, and
// output_item.done, then response.completed or response.incomplete with the
// whole response. Every frame carries the next sequence_number, starting at
// 0. Runs of text blocks share one message item and runs of reasoning
// blocks one reasoning item (a summary part each); every tool call is its
// own function_call item. Frames are appended into one reused buffer, so a
// steady stream of deltas allocates only to grow the text it must repeat
// in the done events. Per-request, not safe for concurrent use.
type StreamEncoder struct {
	opts  StreamOptions
	id    string
	model string
	buf   []byte
	seq   int

	items  []encItem
	blocks []encBlock
	cur    int // message or reasoning item that new blocks of its kind join; -1 none

	usage    canonical.Usage
	hasUsage bool
	finish   canonical.FinishReason
	started  bool
	ended    bool
}

// NewStreamEncoder prepares an encoder for one response stream.
func NewStreamEncoder(opts StreamOptions) *StreamEncoder {
	id := opts.ID
	if id == "" {
		id = newResponseID(opts.Rand)
	}
	return &StreamEncoder{opts: opts, id: id, model: opts.Model, buf: make([]byte, 0, 1024), cur: -1}
}

// ID returns the response id shown in every frame.
func (e *StreamEncoder) ID() string { return e.id }

// Position returns where the stream stands: the next sequence number and
// the response it belongs to.
func (e *StreamEncoder) Position() StreamPosition {
	return StreamPosition{Sequence: e.seq, ResponseID: e.id, Model: e.model, CreatedAt: e.opts.Created}
}

// Encode writes the frames for one event. Events after the terminal frame
// are ignored; content a Responses stream cannot show (images, redacted
// reasoning) writes nothing.
func (e *StreamEncoder) Encode(ev canonical.Event, w EventWriter) error {
	if e.ended {
		return nil
	}
	switch ev.Type {
	case canonical.EventStart:
		if e.model == "" {
			e.model = ev.Model
		}
		e.setUsage(ev.Usage)
		return e.start(w)
	case canonical.EventBlockStart:
		if err := e.start(w); err != nil {
			return err
		}
		return e.blockStart(ev.Index, ev.Block, w)
	case canonical.EventDelta:
		return e.delta(ev, w)
	case canonical.EventBlockStop:
		if b := e.block(ev.Index); b != nil && b.state == blockOpen {
			return e.stopBlock(b, w)
		}
	case canonical.EventUsage:
		e.setUsage(ev.Usage)
	case canonical.EventFinish:
		e.setUsage(ev.Usage)
		e.finish = ev.Finish
	case canonical.EventEnd:
		return e.end(w)
	case canonical.EventError:
		name, data := e.ErrorFrame(ev.Err)
		return w.WriteEvent(name, data)
	}
	return nil
}

// ErrorFrame renders the one terminal error frame of SPEC §6.8 —
// response.failed with this stream's next sequence number and response id
// — and ends the stream. Ingress calls it when the stream fails outside
// the event flow (an encoding or client-side error after the first byte).
func (e *StreamEncoder) ErrorFrame(err *canonical.Error) (name string, data []byte) {
	e.ended = true
	h := respHead{id: e.id, model: e.model, createdAt: e.opts.Created, status: statusFailed, err: err}
	if e.hasUsage {
		h.usage = &e.usage
	}
	b := e.begin(evFailed)
	b = append(b, `,"response":`...)
	b = appendResponse(b, &h, e.appendOutput(true))
	b = append(b, '}')
	e.buf = b
	e.seq++
	return evFailed, b
}

func (e *StreamEncoder) setUsage(u *canonical.Usage) {
	if u != nil {
		e.usage, e.hasUsage = *u, true
	}
}

// begin starts a frame: {"type":name,"sequence_number":n
func (e *StreamEncoder) begin(name string) []byte {
	b := append(e.buf[:0], `{"type":"`...)
	b = append(b, name...)
	b = append(b, `","sequence_number":`...)
	return appendInt(b, e.seq)
}

// send closes the frame and writes it.
func (e *StreamEncoder) send(name string, b []byte, w EventWriter) error {
	b = append(b, '}')
	e.buf = b
	e.seq++
	return w.WriteEvent(name, b)
}

// itemRef appends "item_id" and "output_index" of item i.
func (e *StreamEncoder) itemRef(b []byte, i int) []byte {
	b = append(b, `,"item_id":`...)
	b = appendString(b, e.items[i].id)
	b = append(b, `,"output_index":`...)
	return appendInt(b, i)
}

func (e *StreamEncoder) start(w EventWriter) error {
	if e.started {
		return nil
	}
	e.started = true
	h := respHead{id: e.id, model: e.model, createdAt: e.opts.Created, status: statusInProgress}
	for _, name := range [...]string{evCreated, evInProgress} {
		b := e.begin(name)
		b = append(b, `,"response":`...)
		b = appendResponse(b, &h, nil)
		if err := e.send(name, b, w); err != nil {
			return err
		}
	}
	return nil
}

// block returns the table entry for a canonical block index, growing the
// table; nil for an index out of bounds.
func (e *StreamEncoder) block(i int) *encBlock {
	if i < 0 || i >= maxBlocks {
		return nil
	}
	for len(e.blocks) <= i {
		e.blocks = append(e.blocks, encBlock{item: -1})
	}
	return &e.blocks[i]
}

// end closes what is open and writes the terminal frame. A message that is
// the last item of an incomplete response is itself incomplete, as OpenAI
// shows it (a function call is complete once its block stopped).
func (e *StreamEncoder) end(w EventWriter) error {
	if err := e.start(w); err != nil {
		return err
	}
	status, reason := terminalStatus(e.finish)
	last := len(e.items) - 1
	for i := range e.items {
		st := statusCompleted
		if i == last && status == statusIncomplete && e.items[i].typ == itemMessage {
			st = statusIncomplete
		}
		if err := e.closeItem(i, st, w); err != nil {
			return err
		}
	}
	e.ended = true
	h := respHead{id: e.id, model: e.model, createdAt: e.opts.Created, status: status, incomplete: reason}
	if e.hasUsage {
		h.usage = &e.usage
	}
	name := evCompleted
	if status == statusIncomplete {
		name = evIncomplete
	}
	b := e.begin(name)
	b = append(b, `,"response":`...)
	b = appendResponse(b, &h, e.appendOutput(false))
	return e.send(name, b, w)
}

// appendOutput returns the writer of the output array: every item, or only
// the finished ones (a failed response shows what was completed).
func (e *StreamEncoder) appendOutput(doneOnly bool) func([]byte) []byte {
	return func(b []byte) []byte {
		n := 0
		for i := range e.items {
			if doneOnly && !e.items[i].done {
				continue
			}
			if n > 0 {
				b = append(b, ',')
			}
			n++
			b = appendItem(b, &e.items[i].outItem)
		}
		return b
	}
}
