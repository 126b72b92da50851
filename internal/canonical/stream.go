package canonical

// EventType is the closed set of canonical stream events. A well-formed stream
// is: Start, then for each content block BlockStart, Delta*, BlockStop (blocks
// may interleave by Index), then any number of Usage, then Finish, then End.
// Error may replace anything after Start and ends the stream.
type EventType uint8

const (
	EventStart      EventType = iota + 1 // ID, Model; Usage may carry input-side counts
	EventBlockStart                      // Index, Block (Type; ToolCall ID+Name for tool calls)
	EventDelta                           // Index, Delta (text / reasoning / refusal text, or partial JSON of tool arguments), Signature
	EventBlockStop                       // Index
	EventUsage                           // Usage: a cumulative snapshot; the last one wins
	EventFinish                          // Finish, StopSequence
	EventEnd                             // the upstream ended cleanly (OpenAI [DONE], Anthropic message_stop, Gemini EOF)
	EventError                           // Err; terminal
)

// Event is one typed stream event. Only the fields for its Type are set.
// Events are small values; decoders append them to a caller-provided slice so
// a steady stream allocates nothing per event.
type Event struct {
	Type  EventType
	Index int // content block index, in open order

	// Block describes the block opened by EventBlockStart: Type, and for a
	// tool call its ToolCall (ID, Name; Arguments empty), for reasoning its Reasoning.
	Block *Part

	// Delta is the text appended by EventDelta: text for text/reasoning/refusal
	// blocks, a partial JSON fragment of the arguments for tool-call blocks.
	Delta string
	// Signature is a reasoning signature (Anthropic signature_delta, Gemini thoughtSignature).
	// On a text block it is a Gemini thoughtSignature for that text part
	// (Part.ThoughtSignature); encoders of shapes without one ignore it there.
	Signature string

	ID    string // EventStart
	Model string // EventStart

	Usage        *Usage       // EventUsage (also allowed on EventStart / EventFinish)
	Finish       FinishReason // EventFinish
	StopSequence string       // EventFinish

	Err *Error // EventError
}
