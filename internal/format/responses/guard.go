package responses

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// GuardCode is the code of the guard's refusal (SPEC §5.8, §9.4).
const GuardCode = "feature_requires_native_responses_target"

// refuse builds the guard's 400: the Responses-shaped error SPEC §5.8 shows,
// naming the JSON path of the feature and why a chat target cannot serve it.
func refuse(param, why string) *canonical.Error {
	return &canonical.Error{
		Kind: canonical.KindInvalidRequest, Status: http.StatusBadRequest,
		Type: "unsupported_feature", Code: GuardCode, Param: param,
		Message: param + " requires a native OpenAI Responses target: " + why,
	}
}

// Guard decides whether a Responses request may be downgraded to a chat
// target (a target that does not serve the Responses API natively). It
// returns nil when it may, else the 400 to answer with. Refused, because a
// chat target would silently lose them (SPEC §5.8, plus the features that
// are stateful or server-run for the same reason):
//
//   - previous_response_id (non-empty) and conversation: the context lives in
//     OpenAI's response store;
//   - store: true and background: true: they ask OpenAI to keep the response;
//   - truncation other than "disabled": server-side context truncation;
//   - prompt: a prompt template stored at OpenAI;
//   - tools[] of any type but function (web_search, file_search, mcp,
//     code_interpreter, …) and a tool_choice naming one (or allowed_tools):
//     OpenAI runs those tools, a chat model cannot;
//   - input items the chat pivot cannot carry (item_reference, built-in tool
//     calls and their outputs, compaction, …) and message parts it cannot
//     carry.
//
// Guard reads only the members it needs; a body that is not a JSON object
// passes, and DecodeRequest then reports what is wrong with it.
func Guard(body []byte) *canonical.Error {
	var g struct {
		PreviousResponseID json.RawMessage   `json:"previous_response_id"`
		Conversation       json.RawMessage   `json:"conversation"`
		Store              json.RawMessage   `json:"store"`
		Background         json.RawMessage   `json:"background"`
		Truncation         json.RawMessage   `json:"truncation"`
		Prompt             json.RawMessage   `json:"prompt"`
		Tools              []json.RawMessage `json:"tools"`
		ToolChoice         json.RawMessage   `json:"tool_choice"`
		Input              json.RawMessage   `json:"input"`
	}
	if json.Unmarshal(body, &g) != nil {
		return nil
	}
	switch {
	case present(g.PreviousResponseID) && string(g.PreviousResponseID) != `""`:
		return refuse("previous_response_id", "continuing a stored response needs OpenAI's response store, which the routed target does not have")
	case present(g.Conversation):
		return refuse("conversation", "a conversation is state kept by OpenAI, which the routed target does not have")
	case string(g.Store) == "true":
		return refuse("store", "storing the response needs OpenAI's response store; send store:false to use the routed target")
	case string(g.Background) == "true":
		return refuse("background", "background responses are run and kept by OpenAI")
	case present(g.Truncation) && string(g.Truncation) != `"disabled"`:
		return refuse("truncation", "server-side truncation of the context is done by OpenAI's Responses API")
	case present(g.Prompt):
		return refuse("prompt", "a prompt template is stored at OpenAI")
	}
	for i, raw := range g.Tools {
		var t struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &t) == nil && t.Type != "function" && t.Type != "" {
			return refuse("tools["+strconv.Itoa(i)+"].type", strconv.Quote(t.Type)+" is a built-in tool run by OpenAI; a chat target can only call function tools")
		}
	}
	if rawKind(g.ToolChoice) == '{' {
		var tc struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(g.ToolChoice, &tc) == nil && tc.Type != "function" {
			return refuse("tool_choice.type", "tool_choice "+strconv.Quote(tc.Type)+" has no chat equivalent")
		}
	}
	if rawKind(g.Input) == '[' {
		var items []json.RawMessage
		if json.Unmarshal(g.Input, &items) == nil {
			for i, raw := range items {
				if e := guardItem(raw, "input["+strconv.Itoa(i)+"]"); e != nil {
					return e
				}
			}
		}
	}
	return nil
}

// guardItem refuses an input item DecodeRequest would keep verbatim rather
// than translate: a chat target would never see it.
func guardItem(raw json.RawMessage, path string) *canonical.Error {
	typ, err := itemType(raw)
	if err != nil {
		return nil // DecodeRequest reports malformed items
	}
	switch typ {
	case itemFunctionCall, itemFunctionOutput, itemReasoning, "":
		return nil
	case "item_reference":
		return refuse(path+".type", "item_reference points at an item stored by OpenAI")
	case itemMessage:
	default:
		return refuse(path+".type", strconv.Quote(typ)+" items belong to built-in tools or server state that only OpenAI's Responses API has")
	}
	var m struct {
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(raw, &m) != nil || rawKind(m.Content) != '[' {
		return nil
	}
	var parts []struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(m.Content, &parts) != nil {
		return nil
	}
	for k, p := range parts {
		switch p.Type {
		case "input_text", "output_text", "text", "refusal", "input_image", "input_file", "":
		default:
			return refuse(path+".content["+strconv.Itoa(k)+"].type", "content part "+strconv.Quote(p.Type)+" has no chat equivalent")
		}
	}
	return nil
}
