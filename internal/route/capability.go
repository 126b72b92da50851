package route

import (
	"bytes"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// capSet is what a target's model can do, from its catalogue features.
type capSet uint8

const (
	capTools capSet = 1 << iota
	capVision
	capJSONSchema
	capStreaming
	capThinking
)

var featureCaps = map[string]capSet{
	"function_calling": capTools,
	"vision":           capVision,
	"json_schema":      capJSONSchema,
	"streaming":        capStreaming,
	"thinking":         capThinking,
}

// Capability names used in refusals and in Explain. They name what the
// request needs, so a client can tell what to drop or which model to ask for.
const (
	CapTools         = "tools"
	CapVision        = "vision"
	CapJSONSchema    = "json_schema"
	CapStreaming     = "streaming"
	CapContextWindow = "context_window"
	CapIngressShape  = "ingress_shape"
	CapEndpoint      = "endpoint"
)

// need is something the request asks of a model; detected lazily.
type need uint8

const (
	needTools need = 1 << iota
	needImages
	needJSONSchema
	needReasoning
)

// query is what planning knows about a request. Serve builds it from the
// Exchange, detecting needs from the body only when a candidate target
// lacks the capability (so the same-shape fast path usually scans nothing);
// Explain builds it from flags.
type query struct {
	model        string
	key          *pipeline.Key
	ingress      pipeline.Shape
	endpoint     pipeline.Endpoint
	tag          string // raw X-Nexus-Route-Tag value
	stream       bool
	translatable bool // the body can be decoded for a target of another wire
	size         int  // body bytes; tokens are estimated as size/4
	maxTokens    int  // requested output cap, 0 = unknown

	x      *pipeline.Exchange // nil for Explain
	known  need               // needs already decided
	set    need               // needs present (among known)
	marked need               // needs whose byte markers occur in the body
	marks  bool               // marked was computed
}

func queryFor(x *pipeline.Exchange) query {
	q := query{
		model: x.Model, key: x.Key, ingress: x.Ingress, endpoint: x.Endpoint, stream: x.Stream,
		translatable: x.Decode != nil || x.DecodeEmbeddings != nil, size: len(x.Body), x: x,
	}
	if x.Header != nil {
		q.tag = x.Header.Get(HeaderRouteTag)
	}
	if x.Fast != nil {
		q.maxTokens = x.Fast.MaxTokens()
	}
	return q
}

// has reports whether the request needs n, detecting it once.
func (q *query) has(n need) bool {
	if q.known&n == 0 {
		q.known |= n
		if q.detect(n) {
			q.set |= n
		}
	}
	return q.set&n != 0
}

// tokens estimates the prompt size (bytes/4), or 0 when the estimate would
// be meaningless: a base64 image weighs megabytes but costs a few hundred
// tokens, so bodies with images are not judged by size.
func (q *query) tokens() int {
	t := q.size / 4
	if t > 0 && q.x != nil && q.has(needImages) {
		return 0
	}
	return t
}

// Byte markers that must be present for a need to be possible at all. They
// include the quotes of a JSON key or string value: the same word inside a
// message text is escaped (\"tools\") and cannot match. A hit is then
// confirmed on the decoded request, so a false positive costs one decode and
// never a refusal.
var (
	toolMarkers   = [][]byte{[]byte(`"tools"`), []byte(`"functionDeclarations"`), []byte(`"function_declarations"`)}
	imageMarkers  = [][]byte{[]byte(`"image_url"`), []byte(`"image"`), []byte(`"input_image"`), []byte(`"inlineData"`), []byte(`"inline_data"`), []byte(`"fileData"`), []byte(`"file_data"`)}
	schemaMarkers = [][]byte{[]byte(`"json_schema"`), []byte(`"responseSchema"`), []byte(`"response_schema"`), []byte(`"responseJsonSchema"`), []byte(`"output_format"`)}
	// Reasoning hints are matched case-insensitively (lower-case here).
	reasoningMarkers = [][]byte{[]byte(`"reasoning_effort"`), []byte(`"thinking"`), []byte(`"thinkingconfig"`), []byte(`"thinking_config"`),
		[]byte("step by step"), []byte("step-by-step"), []byte("prove"), []byte("proof"), []byte("derive"), []byte("think carefully"), []byte("reason carefully")}
)

// markers scans the body once for every quoted marker (see quotedNeeds).
func (q *query) markers(n need) bool {
	if !q.marks {
		q.marked, q.marks = quotedNeeds(q.x.Body), true
	}
	return q.marked&n != 0
}

func (q *query) detect(n need) bool {
	if q.x == nil {
		return false // Explain: needs are given, never detected
	}
	body := q.x.Body
	switch n {
	case needTools:
		if !q.markers(needTools) {
			return false
		}
		req, ok := q.decoded()
		return !ok || len(req.Tools) > 0
	case needImages:
		if !q.markers(needImages) {
			return false
		}
		req, ok := q.decoded()
		return !ok || hasImage(req)
	case needJSONSchema:
		if !q.markers(needJSONSchema) {
			return false
		}
		req, ok := q.decoded()
		return !ok || (req.ResponseFormat != nil && req.ResponseFormat.Type == canonical.FormatJSONSchema)
	case needReasoning:
		for _, m := range reasoningMarkers {
			if containsFold(body, m) {
				if string(m) == `"reasoning_effort"` {
					if req, ok := q.decoded(); ok && (req.ReasoningEffort == "minimal" || req.ReasoningEffort == "low") {
						continue // asking for little reasoning is no sign of a hard task
					}
				}
				return true
			}
		}
	}
	return false
}

// decoded returns the canonical request; ok is false when it cannot be
// decoded (then the byte marker is trusted: refusing is safer than a silent
// downgrade).
func (q *query) decoded() (*canonical.Request, bool) {
	req, err := q.x.Request()
	return req, err == nil && req != nil
}

func hasImage(req *canonical.Request) bool {
	var walk func(parts []canonical.Part) bool
	walk = func(parts []canonical.Part) bool {
		for i := range parts {
			p := &parts[i]
			if p.Type == canonical.PartImage {
				return true
			}
			if p.ToolResult != nil && walk(p.ToolResult.Content) {
				return true
			}
		}
		return false
	}
	if walk(req.System) {
		return true
	}
	for i := range req.Messages {
		if walk(req.Messages[i].Parts) {
			return true
		}
	}
	return false
}

// quotedNeeds finds, in one pass over the body, which of the quoted markers
// occur. It jumps from quote to quote (bytes.IndexByte is vectorised), so a
// 50 KB prompt with few quotes costs microseconds, where one bytes.Contains
// per marker walked the whole body fifteen times.
func quotedNeeds(b []byte) need {
	var n need
	for i := 0; i < len(b); {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			break
		}
		i += j
		rest := b[i:]
		for _, g := range quotedGroups {
			if n&g.need != 0 {
				continue
			}
			for _, m := range g.markers {
				if bytes.HasPrefix(rest, m) {
					n |= g.need
					break
				}
			}
		}
		i++
	}
	return n
}

var quotedGroups = []struct {
	need    need
	markers [][]byte
}{{needTools, toolMarkers}, {needImages, imageMarkers}, {needJSONSchema, schemaMarkers}}

// containsFold reports whether b contains lower (lower-case ASCII) at the
// start of a word, ignoring ASCII case, without allocating ("prove" is a
// hint, "approve" is not).
func containsFold(b, lower []byte) bool {
	if len(lower) == 0 {
		return true
	}
	for i := 0; i+len(lower) <= len(b); i++ {
		if toLower(b[i]) != lower[0] || (i > 0 && isLetter(b[i-1])) {
			continue
		}
		j := 1
		for j < len(lower) && toLower(b[i+j]) == lower[j] {
			j++
		}
		if j == len(lower) {
			return true
		}
	}
	return false
}

func isLetter(c byte) bool { c = toLower(c); return 'a' <= c && c <= 'z' }

func toLower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// missing returns the capability t lacks to serve q, or "" when it can.
func (t *target) missing(q *query) string {
	isEmbedding := t.model.Type == "embedding"
	if (q.endpoint == pipeline.EndpointEmbeddings) != isEmbedding {
		return CapEndpoint
	}
	if t.pt.Wire != q.ingress && !q.translatable {
		return CapIngressShape
	}
	if t.known {
		switch {
		case q.stream && t.caps&capStreaming == 0:
			return CapStreaming
		case t.caps&capTools == 0 && q.has(needTools):
			return CapTools
		case t.caps&capVision == 0 && q.has(needImages):
			return CapVision
		case t.caps&capJSONSchema == 0 && q.has(needJSONSchema):
			return CapJSONSchema
		}
	}
	// An embedding model's window bounds each input, not a batch request.
	if w := t.model.ContextWindow; w > 0 && !isEmbedding && q.size/4 > w && q.tokens() > w {
		return CapContextWindow
	}
	return ""
}
