package anthropic

import (
	"bytes"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/jsonscan"
)

// Most answers are text blocks only, and their text is nearly all of the
// body. encoding/json decodes such a body at a few hundred MB/s, and even a
// skeleton of it costs more than the scan; this path reads everything with
// jsonscan's one validating walk (several GB/s) and copies each text once.
// Anything else — another block type, cache_control, a member of an
// unexpected type, invalid UTF-8, an escaped key or one that matches a
// known key only case-insensitively (as encoding/json would), a repeated
// key — returns false and the general paths decide, so such bodies get
// their exact result or error.

var (
	errSlowPath    = errors.New("not for the text-only path")
	responseFields = []string{"content", "id", "type", "model", "stop_reason", "stop_sequence", "stop_details", "container", "usage"}
	blockFields    = []string{"type", "text", "cache_control"}
	usageFields    = []string{"input_tokens", "output_tokens", "cache_read_input_tokens", "cache_creation_input_tokens", "output_tokens_details"}
	detailFields   = []string{"thinking_tokens"}
)

func decodeTextResponse(body []byte) (*canonical.Response, bool) {
	resp := &canonical.Response{}
	var typ, stop string
	var seen uint16
	err := jsonscan.Members(body, func(k []byte, esc bool, v []byte) error {
		i, err := field(k, esc, responseFields, &seen)
		if err != nil || i < 0 {
			return err
		}
		switch responseFields[i] {
		case "content":
			return textBlocks(v, resp)
		case "id":
			return str(v, &resp.ID)
		case "type":
			return str(v, &typ)
		case "model":
			return str(v, &resp.Model)
		case "stop_reason":
			return str(v, &stop)
		case "stop_sequence":
			return str(v, &resp.StopSequence)
		case "stop_details", "container":
			if string(v) != "null" {
				// The Ext keys are the wire names (extStopDetails, extContainer).
				resp.Ext.Set(provider, responseFields[i], bytes.Clone(v))
			}
		case "usage":
			if string(v) != "null" {
				u, err := usageOf(v)
				if err != nil {
					return err
				}
				cu := u.canonical()
				resp.Usage = &cu
			}
		}
		return nil
	})
	if err != nil || resp.Content == nil || typ != "" && typ != "message" {
		return nil, false
	}
	resp.FinishReason = finishFromStop(stop)
	return resp, true
}

// field finds k among known; -1 for a key no field decodes. A key that
// needs encoding/json's rules (escaped, matching only case-insensitively)
// or that repeats sends the body to the general path.
func field(k []byte, esc bool, known []string, seen *uint16) (int, error) {
	if esc {
		return -1, errSlowPath
	}
	for i, f := range known {
		if string(k) == f {
			if *seen&(1<<i) != 0 {
				return -1, errSlowPath
			}
			*seen |= 1 << i
			return i, nil
		}
		if bytes.EqualFold(k, []byte(f)) {
			return -1, errSlowPath
		}
	}
	return -1, nil
}

// textBlocks appends the text blocks of the content array to resp.
func textBlocks(arr []byte, resp *canonical.Response) error {
	resp.Content = make([]canonical.Part, 0, 2)
	return jsonscan.Elements(arr, func(e []byte) error {
		var typ, text string
		var seen uint16
		hasText := false
		err := jsonscan.Members(e, func(k []byte, esc bool, v []byte) error {
			i, err := field(k, esc, blockFields, &seen)
			if err != nil || i < 0 {
				return err
			}
			switch blockFields[i] {
			case "type":
				return str(v, &typ)
			case "text":
				hasText = true
				return str(v, &text)
			case "cache_control":
				if string(v) != "null" {
					return errSlowPath
				}
			}
			return nil
		})
		if err != nil || typ != "text" || !hasText {
			return errSlowPath
		}
		resp.Content = append(resp.Content, canonical.Part{Type: canonical.PartText, Text: text})
		return nil
	})
}

// str reads a JSON string (null leaves dst alone); other types, and text
// that is not valid UTF-8 (encoding/json would replace bytes), are refused.
func str(v []byte, dst *string) error {
	if string(v) == "null" {
		return nil
	}
	s, ok := jsonscan.String(v, jsonscan.Member{Found: true, ValEnd: len(v)})
	if !ok || !utf8.ValidString(s) {
		return errSlowPath
	}
	*dst = s
	return nil
}

// usageOf reads the usage object; only plain integers (or null) are taken.
func usageOf(obj []byte) (rawUsage, error) {
	var u rawUsage
	var seen uint16
	err := jsonscan.Members(obj, func(k []byte, esc bool, v []byte) error {
		i, err := field(k, esc, usageFields, &seen)
		if err != nil || i < 0 {
			return err
		}
		switch usageFields[i] {
		case "input_tokens":
			return integer(v, &u.input)
		case "output_tokens":
			return integer(v, &u.output)
		case "cache_read_input_tokens":
			return integer(v, &u.cacheRead)
		case "cache_creation_input_tokens":
			return integer(v, &u.cacheWrite)
		case "output_tokens_details":
			if string(v) == "null" {
				return nil
			}
			var seenDetail uint16
			return jsonscan.Members(v, func(k []byte, esc bool, v []byte) error {
				if i, err := field(k, esc, detailFields, &seenDetail); err != nil || i < 0 {
					return err
				}
				return integer(v, &u.thinking)
			})
		}
		return nil
	})
	return u, err
}

func integer(v []byte, dst *int) error {
	if string(v) == "null" {
		return nil
	}
	n, err := strconv.Atoi(string(v))
	if err != nil {
		return errSlowPath
	}
	*dst = n
	return nil
}
