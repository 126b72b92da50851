package openai

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// notCarried refuses, at decode time, a field the canonical model has no home
// for; passing it on silently would drop it for every target.
func notCarried(param, why string) *canonical.Error {
	e := invalidParam(param, "%s is not supported by the gateway: %s", param, why)
	e.Type = "nexus_field_unsupported"
	e.Code = "invalid_request"
	return e
}

// rawKind returns the first significant byte of a JSON value, 0 for an
// absent value and 'n' for null.
func rawKind(raw json.RawMessage) byte {
	raw = bytes.TrimLeft(raw, " \t\r\n")
	if len(raw) == 0 {
		return 0
	}
	return raw[0]
}

// decodeContent appends the parts of a message content: absent, null, a
// string, or an array of typed parts. Empty strings add nothing. With
// inPlace a string content may alias raw (DecodeRequestInPlace).
func decodeContent(raw []byte, path string, parts []canonical.Part, inPlace bool) ([]canonical.Part, error) {
	switch rawKind(raw) {
	case 0, 'n':
		return parts, nil
	case '"':
		// raw was validated with the whole body: unquote it directly rather
		// than run encoding/json's validate-then-decode over it again (large
		// prompts make this the translated path's main cost).
		s, ok := "", false
		if inPlace {
			s, ok = unquoteInPlace(raw)
		} else {
			s, ok = unquote(raw)
		}
		if !ok {
			return nil, invalidParam(path, "%s must be a string or an array of content parts", path)
		}
		if s != "" {
			parts = append(parts, canonical.Part{Type: canonical.PartText, Text: s})
		}
		return parts, nil
	case '[':
		var wps []wirePart
		if err := json.Unmarshal(raw, &wps); err != nil {
			return nil, invalidParam(path, "%s must be an array of content parts: %s", path, typeErrorText(err))
		}
		for i := range wps {
			p, err := decodePart(&wps[i], path+"["+strconv.Itoa(i)+"]")
			if err != nil {
				return nil, err
			}
			if p.Type != "" {
				parts = append(parts, p)
			}
		}
		return parts, nil
	}
	return nil, invalidParam(path, "%s must be a string or an array of content parts", path)
}

// typeErrorText names what went wrong inside a nested value without echoing input.
func typeErrorText(err error) string {
	if te, ok := err.(*json.UnmarshalTypeError); ok && te.Field != "" {
		return te.Field + " has the wrong type (got " + te.Value + ")"
	}
	return "malformed value"
}

func decodePart(wp *wirePart, path string) (canonical.Part, error) {
	var p canonical.Part
	switch wp.Type {
	case "text":
		p = canonical.Part{Type: canonical.PartText, Text: wp.Text}
	case "refusal":
		p = canonical.Part{Type: canonical.PartRefusal, Text: wp.Refusal}
	case "image_url":
		m, err := decodeImageURL(wp.ImageURL, path+".image_url")
		if err != nil {
			return p, err
		}
		p = canonical.Part{Type: canonical.PartImage, Media: m}
	case "input_audio":
		if wp.InputAudio == nil {
			return p, invalidParam(path+".input_audio", "%s.input_audio is required for an input_audio part", path)
		}
		data, err := decodeBase64(wp.InputAudio.Data)
		if err != nil {
			return p, invalidParam(path+".input_audio.data", "%s.input_audio.data is not valid base64", path)
		}
		p = canonical.Part{Type: canonical.PartAudio, Media: &canonical.Media{Data: data, MIMEType: audioMIME(wp.InputAudio.Format)}}
	case "file":
		m, err := decodeFile(wp, path+".file")
		if err != nil {
			return p, err
		}
		p = canonical.Part{Type: canonical.PartDocument, Media: m}
	case "thinking":
		// Mistral magistral: {"type":"thinking","thinking":[{"type":"text","text":…}]}.
		text, err := thinkingText(wp.Thinking)
		if err != nil {
			return p, invalidParam(path+".thinking", "%s.thinking must be an array of text parts", path)
		}
		p = canonical.Part{Type: canonical.PartReasoning, Text: text}
	case "":
		return p, invalidParam(path+".type", "%s.type is required", path)
	default:
		return p, notCarried(path+".type", "content part type "+strconv.Quote(wp.Type)+" has no canonical form")
	}
	if wp.CacheControl != nil {
		p.CacheControl, p.CacheTTL = wp.CacheControl.Type, wp.CacheControl.TTL
	}
	return p, nil
}

// thinkingText concatenates the text of a Mistral thinking part.
func thinkingText(raw json.RawMessage) (string, error) {
	if rawKind(raw) == '"' {
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	}
	var inner []struct {
		Text string `json:"text"`
	}
	if rawKind(raw) != 0 {
		if err := json.Unmarshal(raw, &inner); err != nil {
			return "", err
		}
	}
	var b strings.Builder
	for _, t := range inner {
		b.WriteString(t.Text)
	}
	return b.String(), nil
}

// decodeImageURL accepts {"url","detail"} and the bare-string form some
// clients send. data: URLs become bytes so any target can take them.
func decodeImageURL(raw json.RawMessage, path string) (*canonical.Media, error) {
	var iu wireImageURL
	switch rawKind(raw) {
	case '"':
		if err := json.Unmarshal(raw, &iu.URL); err != nil {
			return nil, invalidParam(path, "%s must be an object with a url", path)
		}
	case '{':
		if err := json.Unmarshal(raw, &iu); err != nil {
			return nil, invalidParam(path, "%s must be an object with a url: %s", path, typeErrorText(err))
		}
	default:
		return nil, invalidParam(path, "%s must be an object with a url", path)
	}
	if iu.URL == "" {
		return nil, invalidParam(path+".url", "%s.url is required", path)
	}
	m := &canonical.Media{Detail: iu.Detail}
	mime, data, isData, err := parseDataURL(iu.URL)
	switch {
	case err != nil:
		return nil, invalidParam(path+".url", "%s.url is a data URL with invalid base64", path)
	case isData:
		m.MIMEType, m.Data = mime, data
	default:
		m.URL = iu.URL
	}
	return m, nil
}

func decodeFile(wp *wirePart, path string) (*canonical.Media, error) {
	f := wp.File
	if f == nil {
		return nil, invalidParam(path, "%s is required for a file part", path)
	}
	m := &canonical.Media{FileID: f.FileID, Title: f.Filename}
	if f.FileData != "" {
		mime, data, isData, err := parseDataURL(f.FileData)
		if !isData && err == nil {
			// Bare base64 without a data: prefix; OpenAI file inputs are PDFs.
			mime = "application/pdf"
			data, err = decodeBase64(f.FileData)
		}
		if err != nil {
			return nil, invalidParam(path+".file_data", "%s.file_data is not valid base64", path)
		}
		m.MIMEType, m.Data = mime, data
	}
	if m.FileID == "" && m.Data == nil {
		return nil, invalidParam(path, "%s needs file_data or file_id", path)
	}
	return m, nil
}

// parseDataURL and dataURL are the canonical data-URL helpers.
func parseDataURL(s string) (mime string, data []byte, isData bool, err error) {
	return canonical.ParseDataURL(s)
}

func dataURL(mime string, data []byte) string { return canonical.DataURL(mime, data) }

func decodeBase64(s string) ([]byte, error) { return canonical.DecodeBase64(s) }

// audioMIME maps input_audio.format to a MIME type and back (audioFormat).
func audioMIME(format string) string {
	switch format {
	case "mp3":
		return "audio/mpeg"
	case "":
		return ""
	}
	return "audio/" + format
}

func audioFormat(mime string) (string, bool) {
	switch mime {
	case "audio/wav", "audio/x-wav", "audio/wave":
		return "wav", true
	case "audio/mpeg", "audio/mp3":
		return "mp3", true
	}
	return "", false
}
