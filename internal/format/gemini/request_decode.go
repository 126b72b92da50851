package gemini

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"reflect"
	"strconv"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// provider is this codec's key in canonical.Ext.
const provider = "gemini"

// Ext keys this codec lifts on decode and applies on encode (doc.go).
const (
	extThinkingConfig   = "thinking_config"
	extSafetySettings   = "safety_settings"
	extTools            = "tools"
	extToolConfig       = "tool_config"
	extGenerationConfig = "generation_config"
	extCachedContent    = "cached_content"
)

// DecodeRequest parses a generateContent / streamGenerateContent body into
// canonical form. Model and Stream stay unset: Gemini carries both in the URL
// path, which the ingress owns. Errors are *canonical.Error 400s naming the
// offending JSON path.
func DecodeRequest(body []byte) (*canonical.Request, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, invalid("", "request body is empty")
	}
	var w genRequest
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, jsonError(err)
	}
	w.merge()
	req := &canonical.Request{Messages: []canonical.Message{}}
	if w.Nexus != nil {
		for prov, kv := range w.Nexus.Ext {
			for k, v := range kv {
				req.Ext.Set(prov, k, compactRaw(v))
			}
		}
	}
	if w.SystemInstruction != nil {
		for j := range w.SystemInstruction.Parts {
			p := &w.SystemInstruction.Parts[j]
			p.merge()
			if p.Thought || p.InlineData != nil || p.FileData != nil || p.FunctionCall != nil || p.FunctionResponse != nil || p.unsupportedKind() != "" {
				return nil, unsupportedInput(fmt.Sprintf("systemInstruction.parts[%d]", j), "a system instruction may hold text parts only")
			}
			if p.Text != "" {
				req.System = append(req.System, canonical.Part{Type: canonical.PartText, Text: p.Text})
			}
		}
	}
	d := contentDecoder{req: req}
	for i := range w.Contents {
		if err := d.content(i, &w.Contents[i]); err != nil {
			return nil, err
		}
	}
	if err := decodeTools(req, w.Tools); err != nil {
		return nil, err
	}
	if err := decodeToolConfig(req, w.ToolConfig); err != nil {
		return nil, err
	}
	if err := decodeGenerationConfig(req, w.GenerationConfig); err != nil {
		return nil, err
	}
	// Native fields win over a nexus.ext copy of the same setting: they are
	// what the Gemini client actually asked for.
	if raw := bytes.TrimSpace(w.SafetySettings); len(raw) > 0 && string(raw) != "null" {
		req.Ext.Set(provider, extSafetySettings, compactRaw(raw))
	}
	if w.CachedContent != "" {
		raw, _ := json.Marshal(w.CachedContent)
		req.Ext.Set(provider, extCachedContent, raw)
	}
	return req, nil
}

// contentDecoder turns contents[] into canonical messages, pairing
// functionResponses that carry no id with the call they answer.
type contentDecoder struct {
	req *canonical.Request
	// pending holds, per function name, the ids of the latest model turn's
	// calls not yet answered: Gemini pairs responses with calls by name and
	// order when ids are absent.
	pending map[string][]string
}

func (d *contentDecoder) content(i int, c *content) error {
	switch c.Role {
	case "model":
		return d.modelTurn(i, c)
	case "", "user", "function", "tool": // "function": pre-v1beta clients sent responses under it
		return d.userTurn(i, c)
	}
	return invalid(fmt.Sprintf("contents[%d].role", i), "unknown role %q: want \"user\" or \"model\"", c.Role)
}

func (d *contentDecoder) modelTurn(i int, c *content) error {
	msg := canonical.Message{Role: canonical.RoleAssistant}
	d.pending = map[string][]string{}
	calls := 0
	for j := range c.Parts {
		p := &c.Parts[j]
		p.merge()
		at := fmt.Sprintf("contents[%d].parts[%d]", i, j)
		if p.FunctionResponse != nil {
			return invalid(at+".functionResponse", "functionResponse parts belong in user turns")
		}
		if fc := p.FunctionCall; fc != nil {
			if fc.Name == "" {
				return invalid(at+".functionCall.name", "functionCall.name is required")
			}
			id := fc.ID
			if id == "" {
				id = syntheticID("t"+strconv.Itoa(i), calls)
			}
			calls++
			args, err := argsText(fc.Args)
			if err != nil {
				return invalid(at+".functionCall.args", "functionCall.args must be a JSON object")
			}
			d.pending[fc.Name] = append(d.pending[fc.Name], id)
			msg.Parts = append(msg.Parts, canonical.Part{Type: canonical.PartToolCall, ToolCall: &canonical.ToolCall{
				ID: id, Name: fc.Name, Arguments: args, ThoughtSignature: p.ThoughtSignature,
			}})
			continue
		}
		cp, ok, err := contentPart(at, p)
		if err != nil {
			return err
		}
		if ok {
			msg.Parts = append(msg.Parts, cp)
		}
	}
	if len(msg.Parts) > 0 {
		d.req.Messages = append(d.req.Messages, msg)
	}
	return nil
}

// userTurn splits a user content into runs: functionResponse parts become a
// RoleTool message (canonical convention), everything else a RoleUser one,
// in order, so a turn mixing both round-trips through EncodeRequest.
func (d *contentDecoder) userTurn(i int, c *content) error {
	var cur *canonical.Message
	flush := func() {
		if cur != nil && len(cur.Parts) > 0 {
			d.req.Messages = append(d.req.Messages, *cur)
		}
		cur = nil
	}
	for j := range c.Parts {
		p := &c.Parts[j]
		p.merge()
		at := fmt.Sprintf("contents[%d].parts[%d]", i, j)
		if p.FunctionCall != nil {
			return invalid(at+".functionCall", "functionCall parts belong in model turns")
		}
		role := canonical.RoleUser
		if p.FunctionResponse != nil {
			role = canonical.RoleTool
		}
		if cur == nil || cur.Role != role {
			flush()
			cur = &canonical.Message{Role: role}
		}
		if fr := p.FunctionResponse; fr != nil {
			part, err := d.toolResult(at, i, j, fr)
			if err != nil {
				return err
			}
			cur.Parts = append(cur.Parts, part)
			continue
		}
		cp, ok, err := contentPart(at, p)
		if err != nil {
			return err
		}
		if ok {
			cur.Parts = append(cur.Parts, cp)
		}
	}
	flush()
	return nil
}

func (d *contentDecoder) toolResult(at string, turn, idx int, fr *functionResponse) (canonical.Part, error) {
	if fr.Name == "" {
		return canonical.Part{}, invalid(at+".functionResponse.name", "functionResponse.name is required")
	}
	id := fr.ID
	if id == "" {
		if q := d.pending[fr.Name]; len(q) > 0 {
			id, d.pending[fr.Name] = q[0], q[1:]
		} else {
			id = syntheticID("t"+strconv.Itoa(turn)+"r", idx)
		}
	}
	text := "{}"
	if raw := bytes.TrimSpace(fr.Response); len(raw) > 0 && string(raw) != "null" {
		text = string(compactRaw(raw))
	}
	return canonical.Part{Type: canonical.PartToolResult, ToolResult: &canonical.ToolResult{
		CallID: id, Name: fr.Name, Content: []canonical.Part{{Type: canonical.PartText, Text: text}},
	}}, nil
}

// contentPart converts a non-function part; ok=false for an empty part.
func contentPart(at string, p *part) (canonical.Part, bool, error) {
	if kind := p.unsupportedKind(); kind != "" {
		return canonical.Part{}, false, unsupportedInput(at+"."+kind, "code-execution parts have no canonical form")
	}
	switch {
	case p.InlineData != nil:
		data, err := decodeBase64(p.InlineData.Data)
		if err != nil {
			return canonical.Part{}, false, invalid(at+".inlineData.data", "inlineData.data is not valid base64")
		}
		mime := p.InlineData.MIMEType
		return canonical.Part{Type: mediaType(mime, ""), Media: &canonical.Media{MIMEType: mime, Data: data}}, true, nil
	case p.FileData != nil:
		if p.FileData.FileURI == "" {
			return canonical.Part{}, false, invalid(at+".fileData.fileUri", "fileData.fileUri is required")
		}
		fd := p.FileData
		return canonical.Part{Type: mediaType(fd.MIMEType, fd.FileURI), Media: &canonical.Media{MIMEType: fd.MIMEType, URL: fd.FileURI}}, true, nil
	case p.Thought:
		cp := canonical.Part{Type: canonical.PartReasoning, Text: p.Text}
		if p.ThoughtSignature != "" {
			// Another provider's signature comes back tagged (see
			// canonical.ShowSignature); an untagged one is Gemini's.
			prov, sig := canonical.ReadSignature(provider, p.ThoughtSignature)
			cp.Reasoning = &canonical.Reasoning{Signature: sig, Provider: prov}
		}
		return cp, true, nil
	case p.Text != "" || p.ThoughtSignature != "":
		return canonical.Part{Type: canonical.PartText, Text: p.Text, ThoughtSignature: p.ThoughtSignature}, true, nil
	}
	return canonical.Part{}, false, nil
}

// mediaType classifies inline/file data: images and audio have their own
// part types; video, PDFs and other files travel as documents.
func mediaType(mime, uri string) canonical.PartType {
	mime = strings.ToLower(mime)
	switch {
	case strings.HasPrefix(mime, "image/"):
		return canonical.PartImage
	case strings.HasPrefix(mime, "audio/"):
		return canonical.PartAudio
	case mime == "" && uri != "":
		switch strings.ToLower(path.Ext(strings.SplitN(uri, "?", 2)[0])) {
		case ".png", ".jpg", ".jpeg", ".gif", ".webp", ".heic", ".heif":
			return canonical.PartImage
		}
	}
	return canonical.PartDocument
}

// decodeBase64 accepts standard and URL-safe alphabets, padded or not:
// google-genai (Python) sends URL-safe base64 ("_9j_…") for inlineData.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "=")
	if strings.ContainsAny(s, "-_") {
		return base64.RawURLEncoding.DecodeString(s)
	}
	return base64.RawStdEncoding.DecodeString(s)
}

// argsText returns function-call args as compact JSON object text ("{}" when
// absent); err when args is not an object.
func argsText(raw json.RawMessage) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "{}", nil
	}
	if raw[0] != '{' {
		return "", errors.New("args is not an object")
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return "", err
	}
	return buf.String(), nil
}

// compactRaw compacts a raw JSON value already validated by the decoder.
func compactRaw(raw json.RawMessage) json.RawMessage {
	var buf bytes.Buffer
	if err := json.Compact(&buf, raw); err != nil {
		return append(json.RawMessage(nil), raw...)
	}
	return buf.Bytes()
}

// jsonError turns an encoding/json failure into a 400 naming the JSON path.
func jsonError(err error) *canonical.Error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return invalid("", "request body is not valid JSON (at byte %d): %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(body)"
		}
		return invalid(typ.Field, "%s must be %s, not JSON %s", field, jsonKind(typ.Type), typ.Value)
	}
	return invalid("", "request body could not be decoded: %s", err.Error())
}

func jsonKind(t reflect.Type) string {
	if t == nil {
		return "a valid value"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "a boolean"
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return "a JSON value"
		}
		return "an array"
	case reflect.Struct, reflect.Map, reflect.Pointer:
		return "an object"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "an integer"
	}
	return "a different type"
}

// camel converts a proto field name to lowerCamel ("thinking_budget" →
// "thinkingBudget"); lowerCamel input is returned unchanged.
func camel(s string) string {
	if !strings.Contains(s, "_") {
		return s
	}
	var b strings.Builder
	up := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '_' && i > 0 {
			up = true
			continue
		}
		if up && c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		up = false
		b.WriteByte(c)
	}
	return b.String()
}
