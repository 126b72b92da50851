package responses

import (
	"encoding/json"
	"sort"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Responses-only state.
//
// The canonical model is a chat pivot: it has no home for previous_response_id,
// built-in tools, item ids or url_citation annotations. DecodeRequest and
// DecodeResponse keep all of that, verbatim, in one JSON object at
// Ext["openai"]["responses"] (SPEC §5.7's nexus.ext.openai.responses.*), and the
// Responses encoders put it back, so a Responses body that crosses the pivot
// and returns to a Responses target loses nothing. The object is flat: the
// raw top-level members with no canonical field under their own wire names,
// plus three positional lists:
//
//	builtin_tools        [{index, tool}]              non-function tools and their place in tools[]
//	builtin_tool_calls   [{message, part, item}]      items the pivot cannot type (web_search_call,
//	                                                  item_reference, …), placed before canonical part
//	                                                  `part` of message `message`
//	item_notes           [{message, part, type, item?, content?}]  the members of a typed item (id,
//	                                                  status, phase, …) and of its content part
//	                                                  (annotations, logprobs) that have no canonical field
//
// Responses (the unary answer) use the same layout with message always 0.
// The OpenAI chat codec skips the whole key, so none of it reaches a chat
// upstream; the downgrade guard (Guard) refuses the requests whose meaning
// depends on it.

// ExtKey is the key under Ext["openai"] that holds the Responses-only state.
const ExtKey = "responses"

// providerKey is the family key of canonical.Ext this codec reads and writes.
const providerKey = "openai"

// Reserved member names of the state object.
const (
	keyBuiltinTools = "builtin_tools"
	keyNatives      = "builtin_tool_calls"
	keyNotes        = "item_notes"
)

// note keeps what a typed item carries beyond its canonical part.
type note struct {
	Message int             `json:"message"`
	Part    int             `json:"part"`
	Type    string          `json:"type"`
	Item    json.RawMessage `json:"item,omitempty"`
	Content json.RawMessage `json:"content,omitempty"`
}

// native is an item kept verbatim, placed before a canonical part.
type native struct {
	Message int             `json:"message"`
	Part    int             `json:"part"`
	Item    json.RawMessage `json:"item"`
}

type indexedTool struct {
	Index int             `json:"index"`
	Tool  json.RawMessage `json:"tool"`
}

// state is the decoded form of Ext["openai"]["responses"].
type state struct {
	fields  map[string]json.RawMessage
	tools   []indexedTool
	natives []native
	notes   []note
}

func (s *state) setField(key string, raw json.RawMessage) {
	if s.fields == nil {
		s.fields = map[string]json.RawMessage{}
	}
	// Copy: raw aliases the caller's body, which may be a pooled buffer.
	s.fields[key] = append(json.RawMessage(nil), raw...)
}

func (s *state) addNative(msg, part int, raw json.RawMessage) {
	s.natives = append(s.natives, native{Message: msg, Part: part, Item: append(json.RawMessage(nil), raw...)})
}

func (s *state) addNote(n note) {
	if n.Item != nil || n.Content != nil {
		s.notes = append(s.notes, n)
	}
}

func (s *state) empty() bool {
	return len(s.fields) == 0 && len(s.tools) == 0 && len(s.natives) == 0 && len(s.notes) == 0
}

// store writes the state into ext; an empty state writes nothing.
func (s *state) store(ext *canonical.Ext) error {
	if s.empty() {
		return nil
	}
	m := make(map[string]any, len(s.fields)+3)
	for k, v := range s.fields {
		m[k] = v
	}
	if len(s.tools) > 0 {
		m[keyBuiltinTools] = s.tools
	}
	if len(s.natives) > 0 {
		m[keyNatives] = s.natives
	}
	if len(s.notes) > 0 {
		m[keyNotes] = s.notes
	}
	b, err := marshalNoEscape(m)
	if err != nil {
		return err
	}
	ext.Set(providerKey, ExtKey, b)
	return nil
}

// loadState reads Ext["openai"]["responses"]; ok is false when the value is
// there but is not the object this package writes.
func loadState(ext canonical.Ext) (s state, ok bool) {
	raw := ext.Get(providerKey, ExtKey)
	if !present(raw) {
		return s, true
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil {
		return s, false
	}
	for k, v := range m {
		var err error
		switch k {
		case keyBuiltinTools:
			err = json.Unmarshal(v, &s.tools)
		case keyNatives:
			err = json.Unmarshal(v, &s.natives)
		case keyNotes:
			err = json.Unmarshal(v, &s.notes)
		default:
			if s.fields == nil {
				s.fields = map[string]json.RawMessage{}
			}
			s.fields[k] = v
		}
		if err != nil {
			return state{}, false
		}
	}
	for _, n := range s.natives {
		if rawKind(n.Item) != '{' {
			return state{}, false
		}
	}
	for _, t := range s.tools {
		if rawKind(t.Tool) != '{' {
			return state{}, false
		}
	}
	sort.SliceStable(s.natives, func(i, j int) bool {
		if s.natives[i].Message != s.natives[j].Message {
			return s.natives[i].Message < s.natives[j].Message
		}
		return s.natives[i].Part < s.natives[j].Part
	})
	sort.SliceStable(s.tools, func(i, j int) bool { return s.tools[i].Index < s.tools[j].Index })
	return s, true
}

// takeNatives returns the kept items placed before part `part` of message
// `msg` (all that remain of the message when part < 0) and the rest. Items
// whose place went stale (a stage removed parts) come out at the first
// opportunity rather than being lost.
func takeNatives(s []native, msg, part int) (now []json.RawMessage, rest []native) {
	for len(s) > 0 && (s[0].Message < msg || s[0].Message == msg && (part < 0 || s[0].Part <= part)) {
		now = append(now, s[0].Item)
		s = s[1:]
	}
	return now, s
}

// noteIndex finds notes by position; a note applies only to a part of the
// item type it was taken from, so stale positions never mislabel a part.
type noteIndex map[[2]int]*note

func indexNotes(notes []note) noteIndex {
	if len(notes) == 0 {
		return nil
	}
	ix := make(noteIndex, len(notes))
	for i := range notes {
		ix[[2]int{notes[i].Message, notes[i].Part}] = &notes[i]
	}
	return ix
}

func (ix noteIndex) find(msg, part int, typ string) *note {
	if n := ix[[2]int{msg, part}]; n != nil && n.Type == typ {
		return n
	}
	return nil
}

// splitMembers separates an object's members into the ones named in known
// (returned as a map) and the rest (returned as a compact raw object, nil
// when there are none).
func splitMembers(raw json.RawMessage, known func(string) bool) (map[string]json.RawMessage, json.RawMessage, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, nil, err
	}
	var extra map[string]json.RawMessage
	for k, v := range m {
		if !known(k) {
			if extra == nil {
				extra = map[string]json.RawMessage{}
			}
			extra[k] = v
			delete(m, k)
		}
	}
	if extra == nil {
		return m, nil, nil
	}
	b, err := marshalNoEscape(extra)
	return m, b, err
}

// mergeMembers appends the members of the raw object extra (written by
// splitMembers) to an object being built in dst, which must end in a member
// or in '{'. Members in skip are left out (the encoder already wrote them).
func mergeMembers(dst []byte, extra json.RawMessage, skip func(string) bool) []byte {
	if !present(extra) {
		return dst
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(extra, &m) != nil {
		return dst
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if skip == nil || !skip(k) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if dst[len(dst)-1] != '{' {
			dst = append(dst, ',')
		}
		dst = appendString(dst, k)
		dst = append(dst, ':')
		dst = appendRaw(dst, m[k])
	}
	return dst
}
