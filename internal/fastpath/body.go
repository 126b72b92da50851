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
	"slices"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/jsonscan"
)

// topKeys are the members Peek records. The sampling ones are there so the
// common quirks (OpenAI reasoning models, Claude 4 sampling) cost no second
// scan of the body.
var topKeys = []string{"model", "stream", "stream_options", "nexus", "max_tokens", "max_completion_tokens", "temperature", "top_p", "top_k", "max_output_tokens"}

const (
	fModel = iota
	fStream
	fStreamOptions
	fNexus
	fMaxTokens
	fMaxCompletionTokens
	fTemperature
	fTopP
	fTopK
	fMaxOutputTokens // the Responses API's output ceiling
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
// max_tokens, else the Responses API's max_output_tokens), 0 when absent or
// not a positive integer. Quota reservations
// use it without decoding the body.
func (b *Body) MaxTokens() int {
	for _, f := range []int{fMaxCompletionTokens, fMaxTokens, fMaxOutputTokens} {
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

// edit replaces raw[start:end] with text, or with quoted str when quote is
// set (the model id: quoted while splicing, so no buffer is allocated).
type edit struct {
	start, end int
	text       []byte
	str        string
	quote      bool
}

// Edit is one parameter rewrite of a vendor quirk: Param is renamed To, or
// removed when To is empty, unless it is a JSON string equal to one of Keep;
// with With set, it is removed only when member With is present too.
// Only top-level members are edited.
type Edit struct {
	Param string
	To    string
	Keep  []string
	With  string
}

// ReasoningEdits is the OpenAI reasoning-model quirk (SPEC §5.6, gpt-5* and
// o1–o9*) as edits, the reference the catalogue's rule is tested against: max_tokens renamed max_completion_tokens (or dropped when
// both are present), temperature and top_p removed.
func ReasoningEdits() []Edit {
	return []Edit{{Param: "max_tokens", To: "max_completion_tokens"}, {Param: "temperature"}, {Param: "top_p"}}
}

// Options says what Rewrite changes besides the model.
type Options struct {
	// ForceUsage adds stream_options.include_usage=true to a streamed request
	// that did not say (OpenAI family, SPEC §5.4); an explicit false stays.
	ForceUsage bool
	// Edits are vendor quirk rewrites, applied in order; the first edit
	// naming a parameter wins. Reserved members (model, stream,
	// stream_options, nexus) are never edited.
	Edits []Edit
	// Coerced, when set, receives one entry per quirk applied, for
	// X-Nexus-Coerced.
	Coerced *[]canonical.Coercion
}

// Static splice texts: shared, never written to.
var (
	usageMemberText = []byte(`,"stream_options":{"include_usage":true}`)
	usageObjectText = []byte(`{"include_usage":true}`)
	usageFirstText  = []byte(`"include_usage":true,`)
	usageOnlyText   = []byte(`"include_usage":true`)
)

// maxInline bounds the edits and removals kept on the stack; a body needing
// more (many quirk edits) spills to the heap.
const maxInline = 8

// Rewrite appends to dst the body with the model replaced by model, the
// "nexus" key removed and, when asked, streamed usage switched on and the
// quirk edits applied. It reports whether usage was forced (the client did
// not ask for it). Without edits it allocates nothing beyond dst's growth.
func (b *Body) Rewrite(dst []byte, model string, opt Options) (out []byte, forcedUsage bool, err error) {
	var editBuf [maxInline]edit
	edits := editBuf[:0]
	if m := b.fields[fModel]; m.Found {
		edits = append(edits, edit{start: m.ValStart, end: m.ValEnd, str: model, quote: true})
	} else if model != "" {
		// Routes that take the model from the path (Azure's deployment)
		// may get a body without one; the upstream still needs it.
		edits = append(edits, b.modelInsert(model))
	}
	var dropBuf [maxInline]jsonscan.Member
	drops := dropBuf[:0]
	if m := b.fields[fNexus]; m.Found {
		drops = append(drops, m)
	}
	if len(opt.Edits) > 0 {
		edits, drops = b.quirkEdits(opt.Edits, edits, drops, opt.Coerced)
	}
	edits = b.removals(drops, edits)
	if opt.ForceUsage && b.stream {
		e, forced, err := b.usageEdit()
		if err != nil {
			return dst, false, err
		}
		if forced {
			edits = append(edits, e)
			forcedUsage = true
		}
	}
	// Insertion sort: a handful of edits, and sort.Slice would allocate.
	for i := 1; i < len(edits); i++ {
		for j := i; j > 0 && edits[j].start < edits[j-1].start; j-- {
			edits[j], edits[j-1] = edits[j-1], edits[j]
		}
	}
	pos := 0
	for _, e := range edits {
		dst = append(dst, b.Raw[pos:e.start]...)
		if e.quote {
			dst = strconv.AppendQuote(dst, e.str)
		} else {
			dst = append(dst, e.text...)
		}
		pos = e.end
	}
	return append(dst, b.Raw[pos:]...), forcedUsage, nil
}

// modelInsert adds "model" as the first member of the object.
func (b *Body) modelInsert(model string) edit {
	at := nextByte(b.Raw, 0) + 1
	text := append([]byte(`"model":`), strconv.Quote(model)...)
	if nextByte(b.Raw, at) < len(b.Raw) && b.Raw[nextByte(b.Raw, at)] != '}' {
		text = append(text, ',')
	}
	return edit{start: at, end: at, text: text}
}

// quirkEdits resolves the quirk edits against the body: members Peek did
// not record are found with one more scan (quirked requests only), renames
// become key replacements, removals join drops.
func (b *Body) quirkEdits(qs []Edit, edits []edit, drops []jsonscan.Member, coerced *[]canonical.Coercion) ([]edit, []jsonscan.Member) {
	coerce := func(field, to string) {
		if coerced != nil {
			*coerced = append(*coerced, canonical.Coercion{Field: field, To: to})
		}
	}
	// Names Peek did not look for.
	var names []string
	for _, q := range qs {
		for _, n := range [3]string{q.Param, q.To, q.With} {
			if n != "" && fieldIndex(n) < 0 && !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
	}
	var found []jsonscan.Member
	if len(names) > 0 {
		found = make([]jsonscan.Member, len(names))
		if jsonscan.Object(b.Raw, names, found) != nil {
			found = make([]jsonscan.Member, len(names)) // cannot happen after Peek; edit nothing unknown
		}
	}
	member := func(name string) jsonscan.Member {
		if i := fieldIndex(name); i >= 0 {
			return b.fields[i]
		}
		if i := slices.Index(names, name); i >= 0 {
			return found[i]
		}
		return jsonscan.Member{}
	}
	var done []string // parameters already handled: the first edit wins
	for _, q := range qs {
		if q.Param == "" || reserved(q.Param) || (q.To != "" && reserved(q.To)) || slices.Contains(done, q.Param) {
			continue
		}
		m := member(q.Param)
		if !m.Found || (q.With != "" && !member(q.With).Found) {
			continue
		}
		done = append(done, q.Param)
		if len(q.Keep) > 0 {
			if v, ok := jsonscan.String(b.Raw, m); ok && slices.Contains(q.Keep, v) {
				continue
			}
		}
		switch {
		case q.With != "":
			drops = append(drops, m)
			coerce(q.Param, "removed_with_"+q.With+"_present")
		case q.To == "":
			drops = append(drops, m)
			coerce(q.Param, "removed")
		case member(q.To).Found:
			drops = append(drops, m) // the newer name is already there and wins
			coerce(q.Param, "removed")
		default:
			// Rename the key only: the value and the commas stay put.
			edits = append(edits, edit{start: m.KeyStart, end: m.ValStart, text: []byte(strconv.Quote(q.To) + ":")})
			coerce(q.Param, q.To)
		}
	}
	return edits, drops
}

// fieldIndex is the index in topKeys of a member Peek records, or -1.
func fieldIndex(name string) int {
	for i, k := range topKeys {
		if k == name {
			return i
		}
	}
	return -1
}

func reserved(name string) bool {
	switch name {
	case "model", "stream", "stream_options", "nexus":
		return true
	}
	return false
}

// usageEdit builds the edit that turns streamed usage on, if needed.
func (b *Body) usageEdit() (edit, bool, error) {
	so := b.fields[fStreamOptions]
	if !so.Found || jsonscan.IsNull(b.Raw, so) {
		if so.Found { // "stream_options": null → replace the value
			return edit{start: so.ValStart, end: so.ValEnd, text: usageObjectText}, true, nil
		}
		// Insert as a new last member, just before the closing brace.
		end := len(b.Raw) - 1
		for end > 0 && b.Raw[end] != '}' {
			end--
		}
		return edit{start: end, end: end, text: usageMemberText}, true, nil
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
	text := usageFirstText
	if isEmptyObject(inner) {
		text = usageOnlyText
	}
	return edit{start: at, end: at, text: text}, true, nil
}

// removals appends the edits that delete the given members and leave valid
// JSON. Adjacent removed members form one run, cut as a whole: from the
// comma before the run, or, for a run that opens the object, through the
// comma after it. Cutting members one by one would remove a shared comma
// twice. ms is reordered.
func (b *Body) removals(ms []jsonscan.Member, out []edit) []edit {
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && ms[j].KeyStart < ms[j-1].KeyStart; j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
		}
	}
	for i := 0; i < len(ms); {
		j := i
		for j+1 < len(ms) && ms[j+1].PrevComma >= 0 && nextByte(b.Raw, ms[j].ValEnd) == ms[j+1].PrevComma {
			j++
		}
		first, last := ms[i], ms[j]
		if first.PrevComma >= 0 {
			out = append(out, edit{start: first.PrevComma, end: last.ValEnd})
		} else {
			end := last.ValEnd
			if k := nextByte(b.Raw, end); k < len(b.Raw) && b.Raw[k] == ',' {
				end = k + 1
			}
			out = append(out, edit{start: first.KeyStart, end: end})
		}
		i = j + 1
	}
	return out
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
