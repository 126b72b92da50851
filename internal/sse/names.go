package sse

// nameCacheSize bounds the per-reader cache of event names outside the
// well-known set. Streams use a handful of distinct names, so a small
// round-robin cache makes repeats allocation-free without growing.
const nameCacheSize = 16

// nameCache turns an "event:" value into a string without allocating for
// the names providers send on every frame.
type nameCache struct {
	names [nameCacheSize]string
	next  int
}

// intern returns v as a string, reusing a well-known constant or a
// previously seen name when possible.
func (c *nameCache) intern(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	if s, ok := knownName(v); ok {
		return s
	}
	for _, s := range c.names {
		if s == string(v) { // the compiler compares without converting
			return s
		}
	}
	s := string(v)
	c.names[c.next] = s
	c.next = (c.next + 1) % nameCacheSize
	return s
}

// knownName maps the event names of the Anthropic Messages and OpenAI
// Responses stream grammars to constants. A switch over string(v) compiles
// to comparisons without allocating, unlike a map lookup keyed by a new
// string, and keeps the set immutable (no package-level map).
func knownName(v []byte) (string, bool) {
	switch string(v) {
	// Anthropic Messages.
	case "message_start":
		return "message_start", true
	case "message_delta":
		return "message_delta", true
	case "message_stop":
		return "message_stop", true
	case "content_block_start":
		return "content_block_start", true
	case "content_block_delta":
		return "content_block_delta", true
	case "content_block_stop":
		return "content_block_stop", true
	case "ping":
		return "ping", true
	case "error":
		return "error", true
	case "message":
		return "message", true // the WHATWG default type, sometimes sent explicitly
	// OpenAI Responses.
	case "response.created":
		return "response.created", true
	case "response.in_progress":
		return "response.in_progress", true
	case "response.queued":
		return "response.queued", true
	case "response.completed":
		return "response.completed", true
	case "response.failed":
		return "response.failed", true
	case "response.incomplete":
		return "response.incomplete", true
	case "response.output_item.added":
		return "response.output_item.added", true
	case "response.output_item.done":
		return "response.output_item.done", true
	case "response.content_part.added":
		return "response.content_part.added", true
	case "response.content_part.done":
		return "response.content_part.done", true
	case "response.output_text.delta":
		return "response.output_text.delta", true
	case "response.output_text.done":
		return "response.output_text.done", true
	case "response.output_text.annotation.added":
		return "response.output_text.annotation.added", true
	case "response.refusal.delta":
		return "response.refusal.delta", true
	case "response.refusal.done":
		return "response.refusal.done", true
	case "response.function_call_arguments.delta":
		return "response.function_call_arguments.delta", true
	case "response.function_call_arguments.done":
		return "response.function_call_arguments.done", true
	case "response.reasoning_summary_part.added":
		return "response.reasoning_summary_part.added", true
	case "response.reasoning_summary_part.done":
		return "response.reasoning_summary_part.done", true
	case "response.reasoning_summary_text.delta":
		return "response.reasoning_summary_text.delta", true
	case "response.reasoning_summary_text.done":
		return "response.reasoning_summary_text.done", true
	case "response.reasoning_text.delta":
		return "response.reasoning_text.delta", true
	case "response.reasoning_text.done":
		return "response.reasoning_text.done", true
	}
	return "", false
}
