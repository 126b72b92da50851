package responses

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Ids. A Responses client keys its state on ids (it may send output items
// back as input on the next turn), so every response, item and call gets
// one: the upstream's when it had one, else a generated one (streams) or
// one derived from the content (unary answers, so repeated encodes agree).

const respPrefix = "resp_"

// newResponseID returns "resp_" and 48 hex digits from r (crypto/rand when
// nil). A failing reader still yields a usable id: the id is cosmetic and
// must not fail the stream.
func newResponseID(r io.Reader) string {
	if r == nil {
		r = rand.Reader
	}
	var raw [24]byte
	if _, err := io.ReadFull(r, raw[:]); err != nil {
		return respPrefix + "nexus"
	}
	return respPrefix + hex.EncodeToString(raw[:])
}

// responseIDFor returns a Responses id for a canonical answer: an upstream
// resp_ id as is, another provider's id prefixed (traceable to the upstream
// log), or one derived from the content when there is none.
func responseIDFor(resp *canonical.Response) string {
	switch {
	case strings.HasPrefix(resp.ID, respPrefix):
		return resp.ID
	case resp.ID != "":
		return respPrefix + resp.ID
	}
	h := sha256.New()
	h.Write([]byte(resp.Model))
	for i := range resp.Content {
		p := &resp.Content[i]
		h.Write([]byte(p.Text))
		if tc := p.ToolCall; tc != nil {
			h.Write([]byte(tc.ID + "\x00" + tc.Name + "\x00" + tc.Arguments))
		}
	}
	return respPrefix + hex.EncodeToString(h.Sum(nil)[:24])
}

// itemID is the id of output item n of response respID: SPEC §6.4's
// msg_/rs_/fc_ forms, built on the response id so ids never collide across
// responses.
func itemID(prefix, respID string, n int) string {
	return prefix + "_" + strings.TrimPrefix(respID, respPrefix) + "_" + strconv.Itoa(n)
}

func itemPrefix(typ string) string {
	switch typ {
	case itemReasoning:
		return "rs"
	case itemFunctionCall:
		return "fc"
	}
	return "msg"
}

// callIDFor returns the call id of a tool call, deriving a stable one when
// the upstream gave none (Gemini calls may lack ids): the client must echo
// it in its function_call_output.
func callIDFor(tc *canonical.ToolCall, n int) string {
	if tc.ID != "" {
		return tc.ID
	}
	h := sha256.New()
	fmt.Fprintf(h, "%d\x00%s\x00%s", n, tc.Name, tc.Arguments)
	return "call_" + hex.EncodeToString(h.Sum(nil)[:12])
}

// idFromExtra reads the "id" member kept in an item note.
func idFromExtra(extra json.RawMessage) string {
	if !present(extra) || !strings.Contains(string(extra), `"id"`) {
		return ""
	}
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(extra, &v) != nil {
		return ""
	}
	return v.ID
}
