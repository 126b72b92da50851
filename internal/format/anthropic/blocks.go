package anthropic

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// wireBlock is the union of the Anthropic content blocks this codec maps to
// canonical parts (requests and responses share it).
type wireBlock struct {
	Type         string            `json:"type"`
	Text         string            `json:"text"`
	CacheControl *wireCacheControl `json:"cache_control"`

	// image, document
	Source *wireSource `json:"source"`
	Title  string      `json:"title"`

	// tool_use
	ID    string          `json:"id"`
	Name  string          `json:"name"`
	Input json.RawMessage `json:"input"`

	// tool_result
	ToolUseID string          `json:"tool_use_id"`
	Content   json.RawMessage `json:"content"`
	IsError   bool            `json:"is_error"`

	// thinking, redacted_thinking
	Thinking  string `json:"thinking"`
	Signature string `json:"signature"`
	Data      string `json:"data"`
}

type wireSource struct {
	Type      string `json:"type"` // base64 | url | text | file | content
	MediaType string `json:"media_type"`
	Data      string `json:"data"`
	URL       string `json:"url"`
}

// errNative marks a block that has no canonical part; callers keep it raw
// (see native.go) instead of failing.
var errNative = errors.New("anthropic: block has no canonical part")

// blockToPart converts one request/response block. path names the block for
// error messages. It returns errNative for blocks it does not model
// (server tool blocks, file sources, search results, …).
func blockToPart(b *wireBlock, path string) (canonical.Part, error) {
	var p canonical.Part
	p.CacheControl, p.CacheTTL = cacheControlOf(b.CacheControl)
	switch b.Type {
	case "text":
		p.Type, p.Text = canonical.PartText, b.Text
	case "image", "document":
		m, err := mediaFromSource(b.Type, b.Source, path)
		if err != nil {
			return p, err
		}
		m.Title = b.Title
		p.Type, p.Media = canonical.PartImage, m
		if b.Type == "document" {
			p.Type = canonical.PartDocument
		}
	case "tool_use":
		args, err := argsFromInput(b.Input, path+".input")
		if err != nil {
			return p, err
		}
		p.Type = canonical.PartToolCall
		p.ToolCall = &canonical.ToolCall{ID: b.ID, Name: b.Name, Arguments: args}
	case "thinking":
		p.Type, p.Text = canonical.PartReasoning, b.Thinking
		// A signature another provider issued comes back tagged (see
		// canonical.ShowSignature); an untagged one is Anthropic's.
		prov, sig := canonical.ReadSignature(provider, b.Signature)
		p.Reasoning = &canonical.Reasoning{Signature: sig, Provider: prov}
	case "redacted_thinking":
		p.Type = canonical.PartReasoning
		p.Reasoning = &canonical.Reasoning{Redacted: true, Data: b.Data, Provider: provider}
	case "tool_result":
		content, err := toolResultContent(b.Content, path+".content")
		if err != nil {
			return p, err
		}
		p.Type = canonical.PartToolResult
		p.ToolResult = &canonical.ToolResult{CallID: b.ToolUseID, Content: content, IsError: b.IsError}
	case "":
		return p, invalidf(path+".type", "%s.type is required", path)
	default:
		return p, errNative
	}
	return p, nil
}

// mediaFromSource reads an image/document source. File and content sources
// have no canonical form and become native blocks.
func mediaFromSource(kind string, s *wireSource, path string) (*canonical.Media, error) {
	if s == nil {
		return nil, invalidf(path+".source", "%s.source is required", path)
	}
	switch s.Type {
	case "base64":
		data, err := base64.StdEncoding.DecodeString(s.Data)
		if err != nil {
			return nil, invalidf(path+".source.data", "%s.source.data is not valid base64", path)
		}
		return &canonical.Media{MIMEType: s.MediaType, Data: data}, nil
	case "url":
		if s.URL == "" {
			return nil, invalidf(path+".source.url", "%s.source.url is required", path)
		}
		m := &canonical.Media{URL: s.URL}
		if kind == "document" {
			m.MIMEType = "application/pdf" // Anthropic URL documents are PDFs
		}
		return m, nil
	case "text":
		if kind != "document" {
			return nil, invalidf(path+".source.type", "%s: text sources are only valid on documents", path)
		}
		mt := s.MediaType
		if mt == "" {
			mt = "text/plain"
		}
		return &canonical.Media{MIMEType: mt, Data: []byte(s.Data)}, nil
	}
	return nil, errNative
}

// argsFromInput turns a tool_use input object into canonical argument text.
func argsFromInput(in json.RawMessage, path string) (string, error) {
	if isNull(in) {
		return "{}", nil
	}
	if firstByte(in) != '{' {
		return "", invalidf(path, "%s must be a JSON object", path)
	}
	var buf bytes.Buffer
	if err := json.Compact(&buf, in); err != nil {
		return "", invalidf(path, "%s is not valid JSON", path)
	}
	return buf.String(), nil
}

// toolResultContent reads tool_result.content: absent, a string, or an
// array of text/image/document blocks.
func toolResultContent(raw json.RawMessage, path string) ([]canonical.Part, error) {
	if isNull(raw) {
		return nil, nil
	}
	if firstByte(raw) == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, jsonError(err, path)
		}
		return []canonical.Part{{Type: canonical.PartText, Text: s}}, nil
	}
	var blocks []wireBlock
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return nil, jsonError(err, path)
	}
	parts := make([]canonical.Part, 0, len(blocks))
	for j := range blocks {
		bp := fmt.Sprintf("%s[%d]", path, j)
		switch blocks[j].Type {
		case "text", "image", "document":
		default:
			return nil, unsupported(bp+".type", fmt.Sprintf("tool_result content block type %q has no gateway mapping", blocks[j].Type))
		}
		p, err := blockToPart(&blocks[j], bp)
		if errors.Is(err, errNative) {
			return nil, unsupported(bp+".source", "only base64, url and text sources can be translated")
		}
		if err != nil {
			return nil, err
		}
		parts = append(parts, p)
	}
	return parts, nil
}

// outBlock is an outgoing content block. Pointer fields are the ones that
// must be present even when empty.
type outBlock struct {
	Type      string          `json:"type"`
	Text      *string         `json:"text,omitempty"`
	Source    *outSource      `json:"source,omitempty"`
	Title     string          `json:"title,omitempty"`
	ID        string          `json:"id,omitempty"`
	Name      string          `json:"name,omitempty"`
	Input     json.RawMessage `json:"input,omitempty"`
	ToolUseID string          `json:"tool_use_id,omitempty"`
	Content   any             `json:"content,omitempty"` // string or []outBlock
	IsError   bool            `json:"is_error,omitempty"`
	Thinking  *string         `json:"thinking,omitempty"`
	Signature *string         `json:"signature,omitempty"`
	Data      string          `json:"data,omitempty"`

	CacheControl *wireCacheControl `json:"cache_control,omitempty"`
}

type outSource struct {
	Type      string `json:"type"`
	MediaType string `json:"media_type,omitempty"`
	Data      string `json:"data,omitempty"`
	URL       string `json:"url,omitempty"`
}

// imageMIMEs is the set Anthropic accepts for base64 images.
func imageMIMEAllowed(mt string) bool {
	switch mt {
	case "image/jpeg", "image/png", "image/gif", "image/webp":
		return true
	}
	return false
}

// parseDataURL splits data:<mime>;base64,<payload>.
func parseDataURL(u string) (mime string, data []byte, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", nil, false
	}
	meta, payload, found := strings.Cut(rest, ",")
	if !found {
		return "", nil, false
	}
	mime, isB64 := strings.CutSuffix(meta, ";base64")
	if !isB64 {
		return "", nil, false
	}
	data, err := base64.StdEncoding.DecodeString(payload)
	if err != nil {
		return "", nil, false
	}
	return mime, data, true
}

func isHTTPURL(u string) bool {
	return strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://")
}

// mediaToSource builds the source of an image or document block, refusing
// what Anthropic cannot fetch or read.
func mediaToSource(p *canonical.Part, path string) (*outSource, error) {
	m := p.Media
	if m == nil {
		return nil, invalidf(path, "%s has no media", path)
	}
	mime, data := m.MIMEType, m.Data
	if len(data) == 0 && m.URL != "" {
		if isHTTPURL(m.URL) {
			return &outSource{Type: "url", URL: m.URL}, nil
		}
		dm, dd, ok := parseDataURL(m.URL)
		if !ok {
			return nil, unsupported(path+".url", "only http(s) URLs and inline base64 data can be sent")
		}
		if mime == "" {
			mime = dm
		}
		data = dd
	}
	if len(data) == 0 && m.FileID != "" {
		// An OpenAI file id means nothing to Anthropic's Files API.
		return nil, unsupported(path+".file_id", "a file id from another provider's file store cannot be resolved by Anthropic")
	}
	if len(data) == 0 {
		return nil, invalidf(path, "%s has neither data nor URL", path)
	}
	if mime == "" {
		mime = http.DetectContentType(data)
		mime, _, _ = strings.Cut(mime, ";")
	}
	if p.Type == canonical.PartImage {
		if !imageMIMEAllowed(mime) {
			return nil, unsupported(path+".mime_type", fmt.Sprintf("image type %q (Anthropic accepts jpeg, png, gif, webp)", mime))
		}
		return &outSource{Type: "base64", MediaType: mime, Data: base64.StdEncoding.EncodeToString(data)}, nil
	}
	switch {
	case mime == "application/pdf":
		return &outSource{Type: "base64", MediaType: mime, Data: base64.StdEncoding.EncodeToString(data)}, nil
	case strings.HasPrefix(mime, "text/") && utf8.Valid(data):
		return &outSource{Type: "text", MediaType: "text/plain", Data: string(data)}, nil
	}
	return nil, unsupported(path+".mime_type", fmt.Sprintf("document type %q (Anthropic accepts PDF and plain text)", mime))
}

// strp returns a pointer to a copy of s (for always-present fields).
func strp(s string) *string { return &s }
