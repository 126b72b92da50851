package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// Wire types of one chat.completion.chunk. They use small custom decoders
// so a steady stream allocates only the strings it hands on as events.

type wireChunk struct {
	ID      rawRef        `json:"id"`
	Model   rawRef        `json:"model"`
	Choices []chunkChoice `json:"choices"`
	Usage   *wireUsage    `json:"usage"`
	Error   rawRef        `json:"error"`
}

type chunkChoice struct {
	Index        int        `json:"index"`
	Delta        chunkDelta `json:"delta"`
	FinishReason wireText   `json:"finish_reason"`
}

type chunkDelta struct {
	Content          deltaContent    `json:"content"`
	ReasoningContent wireText        `json:"reasoning_content"`
	Reasoning        wireText        `json:"reasoning"` // OpenRouter / vLLM alias
	Refusal          wireText        `json:"refusal"`
	ToolCalls        []chunkToolCall `json:"tool_calls"`
	FunctionCall     *chunkFunction  `json:"function_call"` // legacy single-call form
}

type chunkToolCall struct {
	Index    *int          `json:"index"`
	ID       wireText      `json:"id"`
	Function chunkFunction `json:"function"`
}

type chunkFunction struct {
	Name      wireText    `json:"name"`
	Arguments argFragment `json:"arguments"`
}

// rawRef keeps the raw bytes of a value without copying them. It aliases
// the frame being decoded and is only valid during one Decode call.
type rawRef []byte

func (r *rawRef) UnmarshalJSON(b []byte) error {
	*r = b
	return nil
}

// present reports a value other than null.
func (r rawRef) present() bool { return len(r) > 0 && string(r) != "null" }

// str returns the value as a string when it is a JSON string.
func (r rawRef) str() string {
	s, _ := unquote(r)
	return s
}

// wireText is a string that may be null (null leaves it empty). Common
// finish reasons are returned as constants, so they cost no allocation.
type wireText string

func (t *wireText) UnmarshalJSON(b []byte) error {
	if b[0] == 'n' {
		return nil
	}
	if s, ok := knownText(b); ok {
		*t = wireText(s)
		return nil
	}
	s, ok := unquote(b)
	if !ok {
		return errors.New("expected a JSON string")
	}
	*t = wireText(s)
	return nil
}

func knownText(b []byte) (string, bool) {
	switch string(b) {
	case `"stop"`:
		return "stop", true
	case `"length"`:
		return "length", true
	case `"tool_calls"`:
		return "tool_calls", true
	case `"content_filter"`:
		return "content_filter", true
	case `""`:
		return "", true
	}
	return "", false
}

// argFragment is a piece of tool-call arguments: normally a string; a few
// servers send the whole arguments object, kept as its JSON text.
type argFragment string

func (a *argFragment) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n':
		return nil
	case '{':
		var buf strings.Builder
		buf.Grow(len(b))
		buf.Write(b)
		*a = argFragment(buf.String())
		return nil
	}
	s, ok := unquote(b)
	if !ok {
		return errors.New("expected a JSON string")
	}
	*a = argFragment(s)
	return nil
}

// deltaContent is delta.content: a string, null, or (Mistral) an array of
// {"type":"text"} and {"type":"thinking","thinking":[…]} parts.
type deltaContent struct {
	text      string
	reasoning string
}

func (c *deltaContent) UnmarshalJSON(b []byte) error {
	switch b[0] {
	case 'n':
		return nil
	case '"':
		s, ok := unquote(b)
		if !ok {
			return errors.New("malformed JSON string")
		}
		c.text = s
		return nil
	case '[':
		var parts []wirePart
		if err := json.Unmarshal(b, &parts); err != nil {
			return err
		}
		var text, reasoning strings.Builder
		for i := range parts {
			switch parts[i].Type {
			case "text":
				text.WriteString(parts[i].Text)
			case "thinking":
				t, err := thinkingText(parts[i].Thinking)
				if err != nil {
					return err
				}
				reasoning.WriteString(t)
			}
		}
		c.text, c.reasoning = text.String(), reasoning.String()
		return nil
	}
	return errors.New("content must be a string, null or an array of parts")
}

// unquote decodes a JSON string literal with one allocation (the result).
// Invalid UTF-8 becomes U+FFFD per byte, exactly as with encoding/json.
// unquoteInPlace is unquote, except that a string without escapes in valid
// UTF-8 is returned as a view of b, not a copy: b must outlive the string
// and never change.
func unquoteInPlace(b []byte) (string, bool) {
	if len(b) > 2 && b[0] == '"' && b[len(b)-1] == '"' {
		in := b[1 : len(b)-1]
		if bytes.IndexByte(in, '\\') < 0 && utf8.Valid(in) {
			return unsafe.String(&in[0], len(in)), true
		}
	}
	return unquote(b)
}

func unquote(b []byte) (string, bool) {
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return "", false
	}
	in := b[1 : len(b)-1]
	j := bytes.IndexByte(in, '\\')
	if j < 0 {
		if utf8.Valid(in) {
			return string(in), true
		}
		return validUTF8(string(in)), true
	}
	var sb strings.Builder
	sb.Grow(len(in))
	for i := 0; ; {
		// Copy the run up to the next backslash in one go: prompts are long
		// and mostly plain text.
		if j < 0 {
			sb.Write(in[i:])
			break
		}
		sb.Write(in[i : i+j])
		i += j + 1
		if i >= len(in) {
			return "", false
		}
		switch in[i] {
		case '"', '\\', '/':
			sb.WriteByte(in[i])
		case 'b':
			sb.WriteByte('\b')
		case 'f':
			sb.WriteByte('\f')
		case 'n':
			sb.WriteByte('\n')
		case 'r':
			sb.WriteByte('\r')
		case 't':
			sb.WriteByte('\t')
		case 'u':
			r, n := hexRune(in[i+1:])
			if n == 0 {
				return "", false
			}
			i += n
			if utf16.IsSurrogate(r) {
				r2, n2 := rune(-1), 0
				if i+2 < len(in) && in[i+1] == '\\' && in[i+2] == 'u' {
					r2, n2 = hexRune(in[i+3:])
				}
				if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
					r = dec
					i += 2 + n2
				} else {
					r = utf8.RuneError
				}
			}
			sb.WriteRune(r)
		default:
			return "", false
		}
		i++ // past the escape's last byte
		j = bytes.IndexByte(in[i:], '\\')
	}
	return validUTF8(sb.String()), true
}

// hexRune reads four hex digits; n is 4, or 0 when they are not there.
func hexRune(b []byte) (r rune, n int) {
	if len(b) < 4 {
		return 0, 0
	}
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, 0
		}
	}
	return r, 4
}
