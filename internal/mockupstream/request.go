package mockupstream

import (
	"net/http"
	"strings"
)

// family is the provider whose wire shape a route speaks; it picks the error
// envelope, the auth rule and the request-id header.
type family uint8

const (
	famOpenAI family = iota
	famAnthropic
	famGemini
)

type routeKind uint8

const (
	routeUnknown routeKind = iota
	routeChat
	routeEmbeddings
	routeModels
	routeMessages
	routeGenerate
	routeStreamGenerate
	routeGeminiEmbed
	routeGeminiBatchEmbed
	routeResponses
)

// route is the result of matching a path. Matching is on the suffix so that
// any prefix works: /v1/chat/completions, /chat/completions,
// /openai/deployments/x/chat/completions (Azure), /api/paas/v4/... (GLM).
type route struct {
	kind   routeKind
	family family
	method string // the method the route answers
	model  string // from the path: Gemini model, Azure deployment
}

func matchRoute(path string) route {
	switch {
	case strings.HasSuffix(path, "/chat/completions"):
		return route{kind: routeChat, family: famOpenAI, method: http.MethodPost, model: azureDeployment(path)}
	case strings.HasSuffix(path, "/embeddings"):
		return route{kind: routeEmbeddings, family: famOpenAI, method: http.MethodPost, model: azureDeployment(path)}
	case strings.HasSuffix(path, "/models"):
		return route{kind: routeModels, family: famOpenAI, method: http.MethodGet}
	case strings.HasSuffix(path, "/responses"):
		return route{kind: routeResponses, family: famOpenAI, method: http.MethodPost}
	case strings.HasSuffix(path, "/messages"):
		return route{kind: routeMessages, family: famAnthropic, method: http.MethodPost}
	}
	colon := strings.LastIndexByte(path, ':')
	if colon < 0 {
		return route{kind: routeUnknown, family: famOpenAI}
	}
	model, ok := geminiModel(path[:colon])
	if !ok {
		return route{kind: routeUnknown, family: famOpenAI}
	}
	switch path[colon+1:] {
	case "generateContent":
		return route{kind: routeGenerate, family: famGemini, method: http.MethodPost, model: model}
	case "streamGenerateContent":
		return route{kind: routeStreamGenerate, family: famGemini, method: http.MethodPost, model: model}
	case "embedContent":
		return route{kind: routeGeminiEmbed, family: famGemini, method: http.MethodPost, model: model}
	case "batchEmbedContents":
		return route{kind: routeGeminiBatchEmbed, family: famGemini, method: http.MethodPost, model: model}
	}
	return route{kind: routeUnknown, family: famGemini}
}

// geminiModel extracts {model} from ".../models/{model}".
func geminiModel(p string) (string, bool) {
	i := strings.LastIndex(p, "models/")
	if i < 0 || (i > 0 && p[i-1] != '/') {
		return "", false
	}
	m := p[i+len("models/"):]
	if m == "" || strings.ContainsRune(m, '/') {
		return "", false
	}
	return m, true
}

// azureDeployment returns the deployment name of an Azure-style path, which
// stands in for the model because Azure bodies may omit "model".
func azureDeployment(p string) string {
	const marker = "/deployments/"
	i := strings.Index(p, marker)
	if i < 0 {
		return ""
	}
	rest := p[i+len(marker):]
	if j := strings.IndexByte(rest, '/'); j >= 0 {
		return rest[:j]
	}
	return ""
}

// reqInfo is what the emulator needs from a request body, read without a
// full decode (see jsonscan.go).
type reqInfo struct {
	model        string
	stream       bool
	includeUsage bool
	toolName     string // first declared tool; "" when none
	userText     string // short, cleaned prefix of the last user text
	input        []byte // embeddings: raw "input" value (aliases the body)
	base64       bool   // embeddings: encoding_format == "base64"
	dimensions   int    // embeddings: 0 = default
}

// userTextScan bounds how much of the last user message is decoded; the
// echo keeps far less, but directives at the start must fit to be stripped.
const (
	userTextScan  = 256
	userTextRunes = 40
)

func parseRequest(rt route, body []byte) reqInfo {
	var ri reqInfo
	var userContent []byte
	objectEach(body, func(k, v []byte) bool {
		switch string(k) {
		case "model":
			ri.model, _ = jsonString(v)
		case "stream":
			ri.stream = string(v) == "true"
		case "stream_options":
			ri.includeUsage = string(field(v, "include_usage")) == "true"
		case "tools":
			ri.toolName = firstToolName(v)
		case "messages":
			userContent = lastUserContent(v, "content")
		case "contents":
			userContent = lastUserContent(v, "parts")
		case "input":
			ri.input = v
		case "encoding_format":
			ri.base64 = string(v) == `"base64"`
		case "dimensions":
			ri.dimensions, _ = jsonInt(v)
		}
		return true
	})
	if ri.model == "" {
		ri.model = rt.model
	}
	if rt.family == famGemini {
		// Gemini names the model in the path only, and streams by route.
		ri.model = rt.model
		ri.stream = rt.kind == routeStreamGenerate
	}
	if rt.kind == routeResponses && ri.input != nil {
		// Responses input: a string, or items whose user messages hold a
		// string or input_text parts.
		userContent = ri.input
		if len(ri.input) > 0 && ri.input[0] == '[' {
			userContent = lastUserContent(ri.input, "content")
		}
	}
	if userContent != nil {
		ri.userText = cleanUserText(contentText(userContent))
	}
	return ri
}

// firstToolName understands OpenAI {type,function:{name}}, Anthropic {name}
// and Gemini {functionDeclarations:[{name}]} tool lists.
func firstToolName(tools []byte) string {
	t := firstElem(tools)
	if t == nil {
		return ""
	}
	if name, ok := jsonString(field(t, "name")); ok {
		return name
	}
	if fn := field(t, "function"); fn != nil {
		name, _ := jsonString(field(fn, "name"))
		return name
	}
	if decl := firstElem(field(t, "functionDeclarations")); decl != nil {
		name, _ := jsonString(field(decl, "name"))
		return name
	}
	return ""
}

// lastUserContent returns the raw content of the last user turn. A missing
// role counts as user because Gemini allows omitting it on single turns.
func lastUserContent(turns []byte, contentKey string) []byte {
	var last []byte
	arrayEach(turns, func(turn []byte) bool {
		var role, content []byte
		objectEach(turn, func(k, v []byte) bool {
			switch string(k) {
			case "role":
				role = v
			case contentKey:
				content = v
			}
			return true
		})
		if content != nil && (role == nil || string(role) == `"user"`) {
			last = content
		}
		return true
	})
	return last
}

// contentText reads a string content, or the first text part of an array
// of parts/blocks ({type:"text",text} or Gemini {text}).
func contentText(content []byte) string {
	if s, ok := jsonStringPrefix(content, userTextScan); ok {
		return s
	}
	var out string
	arrayEach(content, func(part []byte) bool {
		if s, ok := jsonStringPrefix(field(part, "text"), userTextScan); ok {
			out = s
			return false
		}
		return true
	})
	return out
}

// cleanUserText drops mock directives, collapses whitespace and keeps a
// short prefix, so the echo is stable and never re-triggers a directive when
// a client sends the answer back as history.
func cleanUserText(s string) string {
	for {
		i := strings.Index(s, bodyDirectiveOpen)
		if i < 0 {
			break
		}
		j := strings.Index(s[i:], bodyDirectiveClose)
		if j < 0 {
			s = s[:i]
			break
		}
		s = s[:i] + " " + s[i+j+len(bodyDirectiveClose):]
	}
	s = strings.Join(strings.Fields(s), " ")
	n := 0
	for i := range s {
		if n == userTextRunes {
			return s[:i]
		}
		n++
	}
	return s
}
