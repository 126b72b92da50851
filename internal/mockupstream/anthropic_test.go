package mockupstream

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

type anthropicUsage struct {
	InputTokens  *int `json:"input_tokens"`
	OutputTokens *int `json:"output_tokens"`
}

type anthropicMessage struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Role    string `json:"role"`
	Model   string `json:"model"`
	Content []struct {
		Type  string          `json:"type"`
		Text  string          `json:"text"`
		ID    string          `json:"id"`
		Name  string          `json:"name"`
		Input json.RawMessage `json:"input"`
	} `json:"content"`
	StopReason   *string         `json:"stop_reason"`
	StopSequence *string         `json:"stop_sequence"`
	Usage        *anthropicUsage `json:"usage"`
}

const anthropicBody = `{"model":"claude-sonnet-4-5","max_tokens":256,"system":"Be terse.","messages":[{"role":"user","content":[{"type":"text","text":"What is the capital of France?"}]}]}`

func TestMessagesAnswersJSONInAnthropicShape(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	r := doReq(t, ts, http.MethodPost, "/v1/messages", anthropicAuth, anthropicBody)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var m anthropicMessage
	mustJSON(t, r.body, &m)
	if m.Type != "message" || m.Role != "assistant" || m.Model != "claude-sonnet-4-5" || !strings.HasPrefix(m.ID, "msg_") {
		t.Errorf("envelope = %+v", m)
	}
	if len(m.Content) != 1 || m.Content[0].Type != "text" || m.Content[0].Text != Greeting+" You said: What is the capital of France?" {
		t.Errorf("content = %+v", m.Content)
	}
	if m.StopReason == nil || *m.StopReason != "end_turn" || m.StopSequence != nil || !strings.Contains(string(r.body), `"stop_sequence":null`) {
		t.Errorf("stop = %v / %v", m.StopReason, m.StopSequence)
	}
	if m.Usage == nil || *m.Usage.InputTokens != len(anthropicBody)/4 || *m.Usage.OutputTokens != defaultChunks {
		t.Errorf("usage = %+v", m.Usage)
	}
	if !strings.HasPrefix(r.header.Get("Request-Id"), "req_") {
		t.Errorf("request-id = %q", r.header.Get("Request-Id"))
	}
}

// anthropicStream checks the event grammar and returns text, tool JSON and
// the parsed data of each event.
func anthropicStream(t *testing.T, body []byte, wantDeltas int) (text, toolJSON string, events []map[string]json.RawMessage) {
	t.Helper()
	evs := parseSSE(t, body)
	want := []string{"message_start", "content_block_start", "ping"}
	for range wantDeltas {
		want = append(want, "content_block_delta")
	}
	want = append(want, "content_block_stop", "message_delta", "message_stop")
	var got []string
	var tb, jb strings.Builder
	for _, e := range evs {
		got = append(got, e.event)
		var d map[string]json.RawMessage
		mustJSON(t, []byte(e.data), &d)
		var typ string
		_ = json.Unmarshal(d["type"], &typ)
		if typ != e.event {
			t.Errorf("event %q carries type %q", e.event, typ)
		}
		if e.event == "content_block_delta" {
			var delta struct {
				Type        string `json:"type"`
				Text        string `json:"text"`
				PartialJSON string `json:"partial_json"`
			}
			mustJSON(t, d["delta"], &delta)
			tb.WriteString(delta.Text)
			jb.WriteString(delta.PartialJSON)
		}
		events = append(events, d)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("event order\n got  %v\n want %v", got, want)
	}
	return tb.String(), jb.String(), events
}

func TestMessagesStreamFollowsEventGrammar(t *testing.T) {
	for _, chunks := range []int{1, defaultChunks, 256} {
		t.Run(strconv.Itoa(chunks), func(t *testing.T) {
			_, ts := newTestServer(t, Options{})
			body := strings.Replace(anthropicBody, `"max_tokens":256`, `"max_tokens":256,"stream":true`, 1)
			hdr := withHeader(anthropicAuth, ControlHeader, "chunks="+strconv.Itoa(chunks))
			r := doReq(t, ts, http.MethodPost, "/v1/messages", hdr, body)
			if !strings.HasPrefix(r.header.Get("Content-Type"), "text/event-stream") {
				t.Fatalf("content-type %q", r.header.Get("Content-Type"))
			}
			text, _, events := anthropicStream(t, r.body, chunks)

			var start struct {
				Message anthropicMessage `json:"message"`
			}
			mustJSON(t, mustRaw(events[0]), &start)
			if start.Message.Model != "claude-sonnet-4-5" || start.Message.StopReason != nil || len(start.Message.Content) != 0 ||
				start.Message.Usage == nil || *start.Message.Usage.InputTokens != len(body)/4 {
				t.Errorf("message_start = %s", mustRaw(events[0]))
			}
			var md struct {
				Delta struct {
					StopReason string `json:"stop_reason"`
				} `json:"delta"`
				Usage anthropicUsage `json:"usage"`
			}
			mustJSON(t, mustRaw(events[len(events)-2]), &md)
			if md.Delta.StopReason != "end_turn" || md.Usage.OutputTokens == nil || *md.Usage.OutputTokens != chunks ||
				md.Usage.InputTokens == nil || *md.Usage.InputTokens != len(body)/4 {
				t.Errorf("message_delta = %s", mustRaw(events[len(events)-2]))
			}

			r2 := doReq(t, ts, http.MethodPost, "/v1/messages", hdr, anthropicBody)
			var m anthropicMessage
			mustJSON(t, r2.body, &m)
			if m.Content[0].Text != text {
				t.Errorf("stream text %q differs from unary %q", text, m.Content[0].Text)
			}
		})
	}
}

func mustRaw(m map[string]json.RawMessage) []byte {
	b, _ := json.Marshal(m)
	return b
}

func TestMessagesToolUseStreamsInputJSONDeltas(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	tools := `,"tools":[{"name":"get_weather","description":"d","input_schema":{"type":"object"}}]`
	hdr := withHeader(anthropicAuth, ControlHeader, "tool=1")
	body := strings.TrimSuffix(anthropicBody, "}") + tools + `,"stream":true}`
	r := doReq(t, ts, http.MethodPost, "/v1/messages", hdr, body)
	// One empty opening fragment plus one per chunk.
	_, args, events := anthropicStream(t, r.body, defaultChunks+1)
	if args != toolArguments {
		t.Errorf("partial_json joined = %q", args)
	}
	var cbs struct {
		ContentBlock struct {
			Type  string          `json:"type"`
			ID    string          `json:"id"`
			Name  string          `json:"name"`
			Input json.RawMessage `json:"input"`
		} `json:"content_block"`
	}
	mustJSON(t, mustRaw(events[1]), &cbs)
	if cbs.ContentBlock.Type != "tool_use" || cbs.ContentBlock.Name != "get_weather" || !strings.HasPrefix(cbs.ContentBlock.ID, "toolu_") || string(cbs.ContentBlock.Input) != "{}" {
		t.Errorf("content_block_start = %s", mustRaw(events[1]))
	}
	if !strings.Contains(string(mustRaw(events[len(events)-2])), `"stop_reason":"tool_use"`) {
		t.Errorf("message_delta = %s", mustRaw(events[len(events)-2]))
	}

	r = doReq(t, ts, http.MethodPost, "/v1/messages", hdr, strings.TrimSuffix(anthropicBody, "}")+tools+"}")
	var m anthropicMessage
	mustJSON(t, r.body, &m)
	if len(m.Content) != 1 || m.Content[0].Type != "tool_use" || m.Content[0].Name != "get_weather" || string(m.Content[0].Input) != toolArguments ||
		m.StopReason == nil || *m.StopReason != "tool_use" {
		t.Errorf("unary tool_use = %s", r.body)
	}
}
