package responses

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// DecodeResponse converts a Responses API response object into the
// canonical response. Output items become parts (message content → text /
// refusal, reasoning summary parts → reasoning, function_call → tool call);
// built-in tool items, item ids, annotations and the request-echo members
// are kept in Ext["openai"]["responses"] for EncodeResponse; service_tier goes
// to Ext["openai"]["service_tier"] as the chat codec keeps it. A failed
// response, an error body or anything that is not a response object yields
// a *canonical.Error.
func DecodeResponse(body []byte) (*canonical.Response, error) {
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil || top == nil {
		return nil, badUpstream("upstream response is not a valid Responses object")
	}
	var w struct {
		ID                string          `json:"id"`
		Object            string          `json:"object"`
		CreatedAt         float64         `json:"created_at"`
		Status            string          `json:"status"`
		Error             json.RawMessage `json:"error"`
		IncompleteDetails *struct {
			Reason string `json:"reason"`
		} `json:"incomplete_details"`
		Model       string            `json:"model"`
		Output      []json.RawMessage `json:"output"`
		Usage       *wireUsage        `json:"usage"`
		ServiceTier *string           `json:"service_tier"`
	}
	if err := json.Unmarshal(body, &w); err != nil {
		return nil, badUpstream("upstream response is not a valid Responses object: " + typeErrorText(err))
	}
	if w.Object != "response" {
		if present(w.Error) {
			e := DecodeError(http.StatusBadGateway, body)
			e.Kind = canonical.KindUpstream
			return nil, e
		}
		return nil, badUpstream("upstream answer is not a Responses object (object " + strconv.Quote(w.Object) + ")")
	}
	if w.Status == statusFailed {
		return nil, failedError(w.Error)
	}
	resp := &canonical.Response{ID: w.ID, Model: w.Model, Created: int64(w.CreatedAt)}
	var st state
	called, refused := false, false
	for i, raw := range w.Output {
		it, err := decodeItem(raw, "output["+strconv.Itoa(i)+"]", false)
		if err != nil {
			return nil, badUpstream("upstream response output is malformed: " + canonical.As(err).Message)
		}
		if it.typ == "" {
			st.addNative(0, len(resp.Content), raw)
			continue
		}
		if it.typ == itemFunctionOutput {
			return nil, badUpstream("upstream response output holds a function_call_output item")
		}
		called = called || it.typ == itemFunctionCall
		for _, p := range it.parts {
			refused = refused || p.Type == canonical.PartRefusal
		}
		first := len(resp.Content)
		for k := range it.parts {
			n := note{Message: 0, Part: first + k, Type: it.typ, Content: it.partExtra[k]}
			if k == 0 {
				n.Item = it.extra
				if n.Item == nil && len(it.parts) > 1 {
					n.Item = json.RawMessage("{}") // marks where the item starts
				}
			}
			st.addNote(n)
		}
		resp.Content = append(resp.Content, it.parts...)
	}
	reason := ""
	if w.IncompleteDetails != nil {
		reason = w.IncompleteDetails.Reason
	}
	resp.FinishReason = finishFor(w.Status, reason, called, refused)
	if w.Usage != nil {
		u := w.Usage.toCanonical()
		resp.Usage = &u
	}
	if w.ServiceTier != nil && *w.ServiceTier != "" {
		resp.Ext.Set(providerKey, "service_tier", jsonString(*w.ServiceTier))
	}
	for k, v := range top {
		if !modelledMember(k) {
			st.setField(k, v)
		}
	}
	switch w.Status {
	case statusCompleted, statusIncomplete, "":
	default:
		st.setField("status", jsonString(w.Status)) // queued, in_progress, cancelled: EncodeResponse shows it again
	}
	if err := st.store(&resp.Ext); err != nil {
		return nil, canonical.As(err)
	}
	return resp, nil
}
