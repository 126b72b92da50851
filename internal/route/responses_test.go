package route

import (
	"net/http"
	"slices"
	"testing"

	"github.com/nexus-gateway/nexus/internal/fastpath"
	"github.com/nexus-gateway/nexus/internal/format/responses"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func responsesEnv(t *testing.T) *env {
	t.Helper()
	gpt := model("gpt", "openai", 1, 1)
	gpt.Responses = true
	claude := model("claude", "anthropic", 1, 1)
	claude.ProviderType, claude.Wire = "anthropic", pipeline.ShapeAnthropic
	to := func(ms ...string) []TargetSpec {
		var out []TargetSpec
		for _, m := range ms {
			out = append(out, TargetSpec{Model: m})
		}
		return out
	}
	return newEnv(t, Options{
		Models: []Model{gpt, claude},
		Retry:  RetryPolicy{Attempts: 1},
		Rules: []Rule{
			{Name: "native-first", Match: Match{Models: []string{"mixed"}}, Targets: to("gpt", "claude")},
			{Name: "native-first-down", Match: Match{Models: []string{"mixed-down"}}, Targets: to("gpt", "claude"), Responses: ResponsesDowngrade},
			{Name: "chat-first-down", Match: Match{Models: []string{"chat-down"}}, Targets: to("claude", "gpt"), Responses: ResponsesDowngrade},
		},
	}, nil)
}

func responsesRequest(t *testing.T, body string) *pipeline.Exchange {
	t.Helper()
	fb, err := fastpath.Peek([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	return &pipeline.Exchange{Ingress: pipeline.ShapeResponses, Endpoint: pipeline.EndpointResponses, Body: []byte(body),
		Model: fb.Model(), Fast: &fb, Decode: responses.DecodeRequest, Header: http.Header{}}
}

// TestResponsesRoutability: the decision is made against the primary
// target; chat targets serve only behind responses: downgrade and only
// stateless requests, as a primary or as a fallback.
func TestResponsesRoutability(t *testing.T) {
	tests := []struct {
		name, body string
		path       []string // upstream calls, the first failing with 503
		code       string   // refusal code, "" = served
		param      string
	}{
		{name: "chat model, no rule", body: `{"model":"claude","input":"hi"}`, code: "responses_not_supported", param: "model"},
		{name: "native primary, no downgrade: no chat fallback", body: `{"model":"mixed","input":"hi"}`, path: []string{"openai/gpt"}},
		{name: "native primary, downgrade: chat fallback", body: `{"model":"mixed-down","input":"hi"}`, path: []string{"openai/gpt", "anthropic/claude"}},
		{name: "native primary, downgrade, stateful: no chat fallback", body: `{"model":"mixed-down","input":"hi","store":true}`, path: []string{"openai/gpt"}},
		{name: "chat primary, downgrade", body: `{"model":"chat-down","input":"hi"}`, path: []string{"anthropic/claude", "openai/gpt"}},
		{name: "chat primary, downgrade, stateful", body: `{"model":"chat-down","input":"hi","previous_response_id":"resp_1"}`,
			code: responses.GuardCode, param: "previous_response_id"},
		{name: "chat primary, downgrade, built-in tool", body: `{"model":"chat-down","input":"hi","tools":[{"type":"web_search"}]}`,
			code: responses.GuardCode, param: "tools[0].type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := responsesEnv(t)
			e.f.script = func(n int, c call) (*pipeline.Response, error) {
				if n == 0 {
					return nil, upstreamErr(503, 0)
				}
				return okResponse(), nil
			}
			_, err := e.r.Serve(t.Context(), responsesRequest(t, tt.body))
			if tt.code != "" {
				ce := ceOf(t, err)
				if ce.Status != 400 || ce.Code != tt.code || ce.Param != tt.param {
					t.Fatalf("err = %+v", ce)
				}
				if len(e.f.log()) != 0 {
					t.Fatal("a refused request was sent")
				}
				return
			}
			if got := e.f.path(); !slices.Equal(got, tt.path) {
				t.Fatalf("calls %v, want %v", got, tt.path)
			}
		})
	}
}

// TestExplainShowsResponsesExclusions: explain for the Responses shape
// names the chat targets a native-mode rule leaves out.
func TestExplainShowsResponsesExclusions(t *testing.T) {
	e := responsesEnv(t)
	ex := e.r.Explain(Query{Model: "mixed", Ingress: pipeline.ShapeResponses})
	if ex.Error != nil || len(ex.Targets) != 1 || ex.Targets[0].Model != "gpt" || len(ex.Excluded) != 1 || ex.Excluded[0].Target.Model != "claude" {
		t.Fatalf("explain = %+v", ex)
	}
	ex = e.r.Explain(Query{Model: "claude", Ingress: pipeline.ShapeResponses})
	if ex.Error == nil || ex.Error.Code != "responses_not_supported" {
		t.Fatalf("explain = %+v", ex)
	}
}
