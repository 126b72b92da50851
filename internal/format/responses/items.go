package responses

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Items are the unit of both a request's input and a response's output. One
// reader serves both: it turns a typed item (message, reasoning,
// function_call, function_call_output) into canonical parts and keeps the
// members the parts have no field for; any other item type is reported as
// native so the caller keeps it verbatim.

// decodedItem is one item read into canonical parts.
type decodedItem struct {
	typ       string // itemMessage, itemReasoning, itemFunctionCall, itemFunctionOutput; "" = native
	role      string // message role as sent
	parts     []canonical.Part
	extra     json.RawMessage   // kept item members (id, phase, namespace, …)
	partExtra []json.RawMessage // per part: kept content-part members (annotations, logprobs, …)
}

const itemFunctionOutput = "function_call_output"

func knownMessage(k string) bool {
	return k == "type" || k == "role" || k == "content" || k == "status"
}

func knownReasoning(k string) bool {
	return k == "type" || k == "summary" || k == "content" || k == "encrypted_content" || k == "status"
}

func knownCall(k string) bool {
	return k == "type" || k == "call_id" || k == "name" || k == "arguments" || k == "status"
}

func knownOutput(k string) bool {
	return k == "type" || k == "call_id" || k == "output" || k == "status"
}

// itemType reads an item's type; an item with a role and no type is an
// (easy input) message.
func itemType(raw json.RawMessage) (string, error) {
	var head struct {
		Type *string         `json:"type"`
		Role json.RawMessage `json:"role"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return "", err
	}
	if head.Type != nil {
		return *head.Type, nil
	}
	if present(head.Role) {
		return itemMessage, nil
	}
	return "", nil
}

// decodeItem reads one item. input selects the request-side content part
// vocabulary (input_text, input_image, input_file) next to the output one.
func decodeItem(raw json.RawMessage, path string, input bool) (decodedItem, error) {
	var it decodedItem
	if rawKind(raw) != '{' {
		return it, invalidParam(path, "%s must be an object", path)
	}
	typ, err := itemType(raw)
	if err != nil {
		return it, invalidParam(path+".type", "%s.type must be a string", path)
	}
	var known func(string) bool
	switch typ {
	case itemMessage:
		known = knownMessage
	case itemReasoning:
		known = knownReasoning
	case itemFunctionCall:
		known = knownCall
	case itemFunctionOutput:
		known = knownOutput
	case "":
		return it, invalidParam(path+".type", "%s.type is required", path)
	default:
		return it, nil // native: kept verbatim by the caller
	}
	m, extra, err := splitMembers(raw, known)
	if err != nil {
		return it, invalidParam(path, "%s is malformed", path)
	}
	it.typ, it.extra = typ, pruneEmpty(extra)
	switch typ {
	case itemMessage:
		err = it.message(m, path, input)
	case itemReasoning:
		err = it.reasoning(m, path)
	case itemFunctionCall:
		err = it.call(m, path)
	case itemFunctionOutput:
		err = it.output(m, path)
	}
	return it, err
}

func (it *decodedItem) message(m map[string]json.RawMessage, path string, input bool) error {
	if err := str(m, "role", path, &it.role); err != nil {
		return err
	}
	switch it.role {
	case "user", "assistant", "system", "developer":
	case "":
		return invalidParam(path+".role", "%s.role is required", path)
	default:
		return invalidParam(path+".role", "%s.role %q is not one of user, assistant, system, developer", path, it.role)
	}
	content := m["content"]
	switch rawKind(content) {
	case 0, 'n':
	case '"':
		var s string
		if err := json.Unmarshal(content, &s); err != nil {
			return invalidParam(path+".content", "%s.content must be a string or an array of content parts", path)
		}
		if s != "" {
			it.parts = append(it.parts, canonical.Part{Type: canonical.PartText, Text: s})
			it.partExtra = append(it.partExtra, nil)
		}
	case '[':
		var raws []json.RawMessage
		if err := json.Unmarshal(content, &raws); err != nil {
			return invalidParam(path+".content", "%s.content must be an array of content parts", path)
		}
		for i, pr := range raws {
			p, extra, native, err := decodeContentPart(pr, path+".content["+strconv.Itoa(i)+"]", input)
			if err != nil {
				return err
			}
			if native {
				it.typ = "" // a part the pivot cannot type: keep the whole item verbatim
				return nil
			}
			it.parts = append(it.parts, p)
			it.partExtra = append(it.partExtra, extra)
		}
	default:
		return invalidParam(path+".content", "%s.content must be a string or an array of content parts", path)
	}
	return nil
}

func (it *decodedItem) reasoning(m map[string]json.RawMessage, path string) error {
	var enc string
	if err := str(m, "encrypted_content", path, &enc); err != nil {
		return err
	}
	for _, member := range [...]struct {
		key, want string
		summary   bool
	}{{"summary", "summary_text", true}, {"content", "reasoning_text", false}} {
		raw := m[member.key]
		if !present(raw) {
			continue
		}
		var ps []struct {
			Type string `json:"type"`
			Text string `json:"text"`
		}
		if err := json.Unmarshal(raw, &ps); err != nil {
			return invalidParam(path+"."+member.key, "%s.%s must be an array of {type, text}: %s", path, member.key, typeErrorText(err))
		}
		for i, p := range ps {
			if p.Type != member.want {
				return invalidParam(path+"."+member.key+"["+strconv.Itoa(i)+"].type", "%s.%s[%d].type must be %s", path, member.key, i, member.want)
			}
			it.parts = append(it.parts, canonical.Part{Type: canonical.PartReasoning, Text: p.Text, Reasoning: &canonical.Reasoning{Summary: member.summary}})
		}
	}
	if len(it.parts) == 0 {
		// No text, but the item still matters: OpenAI requires a reasoning
		// item to stay in front of the item that follows it.
		it.parts = append(it.parts, canonical.Part{Type: canonical.PartReasoning, Reasoning: &canonical.Reasoning{Summary: true}})
	}
	it.parts[0].Reasoning.Data = enc
	it.partExtra = make([]json.RawMessage, len(it.parts))
	return nil
}

func (it *decodedItem) call(m map[string]json.RawMessage, path string) error {
	tc := &canonical.ToolCall{}
	if err := str(m, "call_id", path, &tc.ID); err != nil {
		return err
	}
	if err := str(m, "name", path, &tc.Name); err != nil {
		return err
	}
	if tc.Name == "" {
		return invalidParam(path+".name", "%s.name is required", path)
	}
	args, err := argumentsText(m["arguments"])
	if err != nil {
		return invalidParam(path+".arguments", "%s.arguments must be a JSON string", path)
	}
	tc.Arguments = args
	it.parts = []canonical.Part{{Type: canonical.PartToolCall, ToolCall: tc}}
	it.partExtra = []json.RawMessage{nil}
	return nil
}

func (it *decodedItem) output(m map[string]json.RawMessage, path string) error {
	tr := &canonical.ToolResult{}
	if err := str(m, "call_id", path, &tr.CallID); err != nil {
		return err
	}
	if tr.CallID == "" {
		return invalidParam(path+".call_id", "%s.call_id is required", path)
	}
	out := m["output"]
	switch rawKind(out) {
	case 0, 'n':
	case '"':
		var s string
		if err := json.Unmarshal(out, &s); err != nil {
			return invalidParam(path+".output", "%s.output must be a string or an array of content parts", path)
		}
		if s != "" {
			tr.Content = []canonical.Part{{Type: canonical.PartText, Text: s}}
		}
	case '[':
		var raws []json.RawMessage
		if err := json.Unmarshal(out, &raws); err != nil {
			return invalidParam(path+".output", "%s.output must be an array of content parts", path)
		}
		for i, pr := range raws {
			pp := path + ".output[" + strconv.Itoa(i) + "]"
			p, _, native, err := decodeContentPart(pr, pp, true)
			if err != nil {
				return err
			}
			if native || p.Type == canonical.PartRefusal {
				return notCarried(pp+".type", "this function_call_output content part has no canonical form")
			}
			tr.Content = append(tr.Content, p)
		}
	default:
		return invalidParam(path+".output", "%s.output must be a string or an array of content parts", path)
	}
	it.parts = []canonical.Part{{Type: canonical.PartToolResult, ToolResult: tr}}
	it.partExtra = []json.RawMessage{nil}
	return nil
}

// decodeContentPart reads one content part. native reports a part type the
// pivot does not model (the caller keeps the whole item instead).
func decodeContentPart(raw json.RawMessage, path string, input bool) (canonical.Part, json.RawMessage, bool, error) {
	var p canonical.Part
	if rawKind(raw) != '{' {
		return p, nil, false, invalidParam(path, "%s must be an object", path)
	}
	m, extra, err := splitMembers(raw, func(k string) bool {
		switch k {
		case "type", "text", "refusal", "image_url", "file_id", "detail", "file_data", "file_url", "filename":
			return true
		}
		return false
	})
	if err != nil {
		return p, nil, false, invalidParam(path, "%s is malformed", path)
	}
	var typ string
	if err := str(m, "type", path, &typ); err != nil {
		return p, nil, false, err
	}
	switch typ {
	case "output_text", "input_text", "text":
		p.Type = canonical.PartText
		err = str(m, "text", path, &p.Text)
	case "refusal":
		p.Type = canonical.PartRefusal
		err = str(m, "refusal", path, &p.Text)
	case "input_image":
		if !input {
			return p, nil, true, nil
		}
		p.Type = canonical.PartImage
		p.Media, err = decodeImage(m, path)
	case "input_file":
		if !input {
			return p, nil, true, nil
		}
		p.Type = canonical.PartDocument
		p.Media, err = decodeFile(m, path)
	case "":
		return p, nil, false, invalidParam(path+".type", "%s.type is required", path)
	default:
		return p, nil, true, nil
	}
	return p, pruneEmpty(extra), false, err
}

func decodeImage(m map[string]json.RawMessage, path string) (*canonical.Media, error) {
	md := &canonical.Media{}
	var url string
	for _, f := range [...]struct {
		key string
		dst *string
	}{{"image_url", &url}, {"file_id", &md.FileID}, {"detail", &md.Detail}} {
		if err := str(m, f.key, path, f.dst); err != nil {
			return nil, err
		}
	}
	if url == "" && md.FileID == "" {
		return nil, invalidParam(path+".image_url", "%s needs image_url or file_id", path)
	}
	if url != "" {
		mime, data, isData, err := parseDataURL(url)
		switch {
		case err != nil:
			return nil, invalidParam(path+".image_url", "%s.image_url is a data URL with invalid base64", path)
		case isData:
			md.MIMEType, md.Data = mime, data
		default:
			md.URL = url
		}
	}
	return md, nil
}

func decodeFile(m map[string]json.RawMessage, path string) (*canonical.Media, error) {
	md := &canonical.Media{}
	var data string
	for _, f := range [...]struct {
		key string
		dst *string
	}{{"file_data", &data}, {"file_id", &md.FileID}, {"file_url", &md.URL}, {"filename", &md.Title}} {
		if err := str(m, f.key, path, f.dst); err != nil {
			return nil, err
		}
	}
	if data != "" {
		mime, bytes, isData, err := parseDataURL(data)
		if !isData && err == nil {
			// Bare base64 without a data: prefix: Responses file inputs are PDFs.
			mime = "application/pdf"
			bytes, err = decodeBase64(data)
		}
		if err != nil {
			return nil, invalidParam(path+".file_data", "%s.file_data is not valid base64", path)
		}
		md.MIMEType, md.Data = mime, bytes
	}
	if md.Data == nil && md.FileID == "" && md.URL == "" {
		return nil, invalidParam(path, "%s needs file_data, file_id or file_url", path)
	}
	return md, nil
}

// str reads an optional string member; null reads as "".
func str(m map[string]json.RawMessage, key, path string, dst *string) error {
	raw, ok := m[key]
	if !ok || rawKind(raw) == 'n' {
		return nil
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return invalidParam(path+"."+key, "%s.%s must be a string", path, key)
	}
	return nil
}

// argumentsText returns function-call arguments as JSON text. The wire value
// is a string holding JSON; the object itself is accepted and kept as its
// compact text. Missing or empty arguments become "{}".
func argumentsText(raw json.RawMessage) (string, error) {
	switch rawKind(raw) {
	case 0, 'n':
		return "{}", nil
	case '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", err
		}
		if s == "" {
			return "{}", nil
		}
		return s, nil
	case '{':
		var b bytes.Buffer
		if err := json.Compact(&b, raw); err != nil {
			return "", err
		}
		return b.String(), nil
	}
	return "", errors.New("arguments must be JSON text")
}

// pruneEmpty drops null and empty-array members from a kept object: they
// are what the encoder writes by default, and keeping them would only grow
// the state.
func pruneEmpty(extra json.RawMessage) json.RawMessage {
	if extra == nil {
		return nil
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(extra, &m) != nil {
		return extra
	}
	for k, v := range m {
		if t := bytes.TrimSpace(v); string(t) == "null" || string(t) == "[]" {
			delete(m, k)
		}
	}
	if len(m) == 0 {
		return nil
	}
	b, err := marshalNoEscape(m)
	if err != nil {
		return extra
	}
	return b
}

// parseDataURL and dataURL are the canonical data-URL helpers.
func parseDataURL(s string) (mime string, data []byte, isData bool, err error) {
	return canonical.ParseDataURL(s)
}

func dataURL(mime string, data []byte) string { return canonical.DataURL(mime, data) }

func decodeBase64(s string) ([]byte, error) { return canonical.DecodeBase64(s) }
