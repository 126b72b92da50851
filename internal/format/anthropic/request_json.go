package anthropic

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
)

// The request body is mostly message text, and encoding/json escapes it a
// byte at a time through reflection. marshalRequest writes everything but
// the messages with encoding/json (small) and the messages by hand, with
// appendString's word-at-a-time scan for the text blocks that make up the
// bulk; other blocks (images, tool use, natives) still go through
// encoding/json one by one. The output parses to the same JSON as
// marshalNoEscape(out) (request_json_test.go holds them against each other).

var errNoMessagesMember = errors.New("anthropic: encoded request lacks its messages member")

// marshalRequest appends the body to dst (a pooled buffer on the adapter's
// path, so a large prompt is written once, where it is sent from).
func marshalRequest(dst []byte, out *outRequest) ([]byte, error) {
	msgs := out.Messages
	out.Messages = nil
	head, err := marshalNoEscape(out)
	out.Messages = msgs
	if err != nil {
		return nil, err
	}
	// encoding/json writes the nil slice as null. The sequence cannot occur
	// earlier in the output: inside a string every '"' is escaped.
	const placeholder = `"messages":null`
	at := bytes.Index(head, []byte(placeholder))
	if at < 0 {
		return nil, errNoMessagesMember
	}
	size := len(head)
	for i := range msgs {
		for _, c := range msgs[i].Content {
			if b, ok := c.(outBlock); ok && b.Text != nil {
				size += len(*b.Text) + len(*b.Text)/16
			}
		}
	}
	body := slices.Grow(dst, size+256)
	body = append(body, head[:at]...)
	body = append(body, `"messages":`...)
	if body, err = appendMessages(body, msgs); err != nil {
		return nil, err
	}
	return append(body, head[at+len(placeholder):]...), nil
}

func appendMessages(dst []byte, msgs []outMessage) ([]byte, error) {
	dst = append(dst, '[')
	for i := range msgs {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"role":`...)
		dst = appendString(dst, msgs[i].Role)
		dst = append(dst, `,"content":[`...)
		for j, c := range msgs[i].Content {
			if j > 0 {
				dst = append(dst, ',')
			}
			if b, ok := c.(outBlock); ok && isPlainText(&b) {
				dst = append(dst, `{"type":"text","text":`...)
				dst = appendString(dst, *b.Text)
				if b.CacheControl != nil {
					cc, err := marshalNoEscape(b.CacheControl)
					if err != nil {
						return nil, fmt.Errorf("anthropic: marshal cache_control: %w", err)
					}
					dst = append(dst, `,"cache_control":`...)
					dst = append(dst, cc...)
				}
				dst = append(dst, '}')
				continue
			}
			raw, err := marshalNoEscape(c)
			if err != nil {
				return nil, err
			}
			dst = append(dst, raw...)
		}
		dst = append(dst, "]}"...)
	}
	return append(dst, ']'), nil
}

// isPlainText reports a text block with nothing but its text and an
// optional cache marker: the shape written by hand.
func isPlainText(b *outBlock) bool {
	return b.Type == "text" && b.Text != nil && b.Source == nil && b.Title == "" && b.ID == "" && b.Name == "" &&
		b.Input == nil && b.ToolUseID == "" && b.Content == nil && !b.IsError && b.Thinking == nil &&
		b.Signature == nil && b.Data == ""
}
