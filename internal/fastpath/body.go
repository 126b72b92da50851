// Package fastpath implements the same-shape byte path: when the caller's API
// shape and the provider's wire are the same family, the request body is
// forwarded as bytes with only the model rewritten (plus the stream-usage
// switch and the removal of the gateway-only "nexus" key). The body is scanned
// once, by Peek; Rewrite splices the recorded spans.
package fastpath

import (
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/jsonscan"
)

var topKeys = []string{"model", "stream", "stream_options", "nexus", "max_tokens", "max_completion_tokens", "temperature", "top_p"}

const (
	fModel = iota
	fStream
	fStreamOptions
	fNexus
	fMaxTokens
	fMaxCompletionTokens
	fTemperature
	fTopP
	nFields
)

// Body is a validated request body with the spans of the members the gateway
// reads or rewrites.
type Body struct {
	Raw    []byte
	fields [nFields]jsonscan.Member
	model  string
	stream bool
}

// Peek validates raw as a JSON object and reads model and stream. Errors are
// 400s in canonical form naming the problem.
func Peek(raw []byte) (Body, error) {
	b := Body{Raw: raw}
	if err := jsonscan.Object(raw, topKeys, b.fields[:]); err != nil {
		return b, invalid("", err)
	}
	if m := b.fields[fModel]; m.Found && !jsonscan.IsNull(raw, m) {
		s, ok := jsonscan.String(raw, m)
		if !ok {
			return b, canonical.Errorf(canonical.KindInvalidRequest, http.StatusBadRequest, "invalid_type", "model must be a string").WithParam("model")
		}
		b.model = s
	}
	if m := b.fields[fStream]; m.Found && !jsonscan.IsNull(raw, m) {
		v, ok := jsonscan.Bool(raw, m)
		if !ok {
			return b, canonical.Errorf(canonical.KindInvalidRequest, http.StatusBadRequest, "invalid_type", "stream must be a boolean").WithParam("stream")
		}
		b.stream = v
	}
	if m := b.fields[fStreamOptions]; m.Found && !jsonscan.IsNull(raw, m) && raw[m.ValStart] != '{' {
		return b, canonical.Errorf(canonical.KindInvalidRequest, http.StatusBadRequest, "invalid_type", "stream_options must be an object").WithParam("stream_options")
	}
	return b, nil
}

func invalid(param string, err error) *canonical.Error {
	var dup *jsonscan.DuplicateKeyError
	msg := "request body is not valid JSON: " + err.Error()
	switch {
	case errors.Is(err, jsonscan.ErrNotObject):
		msg = err.Error()
	case errors.As(err, &dup):
		msg = dup.Error()
		param = dup.Key
	}
	e := canonical.Errorf(canonical.KindInvalidRequest, http.StatusBadRequest, "invalid_json", "%s", msg)
	e.Param = param
	return e
}

// Model is the requested model ("" when absent).
func (b *Body) Model() string { return b.model }

// Stream reports whether the body asks for a streamed answer.
func (b *Body) Stream() bool { return b.stream }

// MaxTokens is the output cap the body asks for (max_completion_tokens, else
// max_tokens), 0 when absent or not a positive integer. Quota reservations
// use it without decoding the body.
func (b *Body) MaxTokens() int {
	for _, f := range []int{fMaxCompletionTokens, fMaxTokens} {
		if m := b.fields[f]; m.Found {
			if n, err := strconv.Atoi(string(jsonscan.Raw(b.Raw, m))); err == nil && n > 0 {
				return n
			}
		}
	}
	return 0
}

// HasNexus reports whether the body carries the gateway-only "nexus" key.
func (b *Body) HasNexus() bool { return b.fields[fNexus].Found }

// Nexus returns the raw "nexus" value (nil when absent).
func (b *Body) Nexus() []byte { return jsonscan.Raw(b.Raw, b.fields[fNexus]) }

type edit struct {
	start, end int
	text       []byte
}

// Options says what Rewrite changes besides the model.
type Options struct {
	// ForceUsage adds stream_options.include_usage=true to a streamed request
	// that did not say (OpenAI family, SPEC §5.4); an explicit false stays.
	ForceUsage bool
	// ReasoningModel applies the OpenAI reasoning-model quirk (SPEC §5.6,
	// gpt-5* and o1–o9*): max_tokens is renamed max_completion_tokens (or
	// dropped when both are present) and temperature and top_p are removed.
	ReasoningModel bool
	// Coerced, when set, receives one entry per quirk applied, for
	// X-Nexus-Coerced.
	Coerced *[]canonical.Coercion
}

// Rewrite appends to dst the body with the model replaced by model, the
// "nexus" key removed and, when asked, streamed usage switched on and the
// reasoning-model quirk applied. It reports whether usage was forced (the
// client did not ask for it).
func (b *Body) Rewrite(dst []byte, model string, opt Options) (out []byte, forcedUsage bool, err error) {
	var edits [6]edit
	n := 0
	if m := b.fields[fModel]; m.Found {
		edits[n] = edit{m.ValStart, m.ValEnd, strconv.AppendQuote(nil, model)}
		n++
	}
	var drop [4]int // fields removed, in any order
	nd := 0
	if b.fields[fNexus].Found {
		drop[nd] = fNexus
		nd++
	}
	if opt.ReasoningModel {
		coerce := func(field, to string) {
			if opt.Coerced != nil {
				*opt.Coerced = append(*opt.Coerced, canonical.Coercion{Field: field, To: to})
			}
		}
		if m := b.fields[fMaxTokens]; m.Found {
			if b.fields[fMaxCompletionTokens].Found {
				drop[nd] = fMaxTokens // the newer name wins, as in the canonical decoder
				nd++
				coerce("max_tokens", "removed")
			} else {
				// Rename the key only: the value and the commas stay put.
				edits[n] = edit{m.KeyStart, m.ValStart, []byte(`"max_completion_tokens":`)}
				n++
				coerce("max_tokens", "max_completion_tokens")
			}
		}
		for _, f := range [...]int{fTemperature, fTopP} {
			if b.fields[f].Found {
				drop[nd] = f
				nd++
				coerce(topKeys[f], "removed")
			}
		}
	}
	n += b.removals(drop[:nd], edits[n:])
	if opt.ForceUsage && b.stream {
		e, forced, err := b.usageEdit()
		if err != nil {
			return dst, false, err
		}
		if forced {
			edits[n] = e
			n++
			forcedUsage = true
		}
	}
	es := edits[:n]
	sort.Slice(es, func(i, j int) bool { return es[i].start < es[j].start })
	pos := 0
	for _, e := range es {
		dst = append(dst, b.Raw[pos:e.start]...)
		dst = append(dst, e.text...)
		pos = e.end
	}
	return append(dst, b.Raw[pos:]...), forcedUsage, nil
}

// usageEdit builds the edit that turns streamed usage on, if needed.
func (b *Body) usageEdit() (edit, bool, error) {
	so := b.fields[fStreamOptions]
	if !so.Found || jsonscan.IsNull(b.Raw, so) {
		const member = `"stream_options":{"include_usage":true}`
		if so.Found { // "stream_options": null → replace the value
			return edit{so.ValStart, so.ValEnd, []byte(`{"include_usage":true}`)}, true, nil
		}
		// Insert as a new last member, just before the closing brace.
		end := len(b.Raw) - 1
		for end > 0 && b.Raw[end] != '}' {
			end--
		}
		return edit{end, end, []byte("," + member)}, true, nil
	}
	inner := b.Raw[so.ValStart:so.ValEnd]
	var got [1]jsonscan.Member
	if err := jsonscan.Object(inner, []string{"include_usage"}, got[:]); err != nil {
		return edit{}, false, invalid("stream_options", err)
	}
	if got[0].Found {
		return edit{}, false, nil // the client decided; an explicit false is respected
	}
	// Insert right after the opening brace of stream_options.
	at := so.ValStart + 1
	text := `"include_usage":true,`
	if isEmptyObject(inner) {
		text = `"include_usage":true`
	}
	return edit{at, at, []byte(text)}, true, nil
}

// removals writes the edits that delete the given members and leave valid
// JSON, returning how many it wrote (at most len(fields)). Adjacent removed
// members form one run, cut as a whole: from the comma before the run, or,
// for a run that opens the object, through the comma after it. Cutting
// members one by one would remove a shared comma twice.
func (b *Body) removals(fields []int, out []edit) int {
	if len(fields) == 0 {
		return 0
	}
	var buf [4]jsonscan.Member
	ms := buf[:0]
	for _, f := range fields {
		ms = append(ms, b.fields[f])
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].KeyStart < ms[j].KeyStart })
	n := 0
	for i := 0; i < len(ms); {
		j := i
		for j+1 < len(ms) && ms[j+1].PrevComma >= 0 && nextByte(b.Raw, ms[j].ValEnd) == ms[j+1].PrevComma {
			j++
		}
		first, last := ms[i], ms[j]
		if first.PrevComma >= 0 {
			out[n] = edit{first.PrevComma, last.ValEnd, nil}
		} else {
			end := last.ValEnd
			if k := nextByte(b.Raw, end); k < len(b.Raw) && b.Raw[k] == ',' {
				end = k + 1
			}
			out[n] = edit{first.KeyStart, end, nil}
		}
		n++
		i = j + 1
	}
	return n
}

// nextByte is the index of the first non-space byte at or after i.
func nextByte(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

func isEmptyObject(b []byte) bool {
	for _, c := range b[1 : len(b)-1] {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return false
		}
	}
	return true
}

// String is for debugging only.
func (b *Body) String() string {
	return fmt.Sprintf("fastpath.Body{model=%q stream=%v}", b.model, b.stream)
}
