package anthropic

import (
	"encoding/json"
	"fmt"
	"sort"
)

// Native blocks.
//
// Anthropic content has block kinds the canonical model does not (and should
// not) type: server_tool_use and the server tool results (web_search,
// web_fetch, code execution, tool search, MCP), search_result, container
// uploads, file-id sources. Failing the request on them would break every
// Anthropic client that uses server tools as soon as a stage decodes the
// body; dropping them would break a same-family re-encode (Anthropic checks
// that server tool results follow their calls). So decoders keep each one
// verbatim in Ext["anthropic"]["native_blocks"] together with the position
// of the canonical part it preceded, and the Anthropic encoders put it back
// there. Other shapes never read the key, so the blocks are dropped when the
// request or response leaves the Anthropic family — they only mean anything
// to Anthropic.

// nativeBlock is one kept block. Message is the canonical message index
// (requests only; -1 in responses), Part the index of the part it preceded.
type nativeBlock struct {
	Message int             `json:"message"`
	Part    int             `json:"part"`
	Block   json.RawMessage `json:"block"`
}

// nativeSet collects native blocks while decoding.
type nativeSet []nativeBlock

func (s *nativeSet) add(msg, part int, raw json.RawMessage) {
	// Copy: raw may alias a caller buffer that is reused.
	*s = append(*s, nativeBlock{Message: msg, Part: part, Block: append(json.RawMessage(nil), raw...)})
}

func (s nativeSet) marshal() (json.RawMessage, error) {
	if len(s) == 0 {
		return nil, nil
	}
	b, err := json.Marshal([]nativeBlock(s))
	if err != nil {
		return nil, fmt.Errorf("anthropic: marshal native blocks: %w", err)
	}
	return b, nil
}

// parseNative reads Ext["anthropic"]["native_blocks"] back, ordered by
// position so the encoder can merge them in one pass.
func parseNative(raw json.RawMessage) (nativeSet, error) {
	if isNull(raw) {
		return nil, nil
	}
	var s nativeSet
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, unsupported("nexus.ext.anthropic."+extNative, "not an array of {message, part, block}")
	}
	for i := range s {
		if firstByte(s[i].Block) != '{' {
			return nil, unsupported("nexus.ext.anthropic."+extNative, "block is not a JSON object")
		}
	}
	sort.SliceStable(s, func(i, j int) bool {
		if s[i].Message != s[j].Message {
			return s[i].Message < s[j].Message
		}
		return s[i].Part < s[j].Part
	})
	return s, nil
}

// take returns the blocks positioned before part `part` of message `msg`
// (all remaining ones of that message when part < 0) and the rest. Blocks
// of an earlier message (positions gone stale because a stage removed
// parts) are released at the first opportunity rather than lost.
func (s nativeSet) take(msg, part int) (now []json.RawMessage, rest nativeSet) {
	for len(s) > 0 && (s[0].Message < msg || s[0].Message == msg && (part < 0 || s[0].Part <= part)) {
		now = append(now, s[0].Block)
		s = s[1:]
	}
	return now, s
}
