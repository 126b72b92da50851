package mockupstream

import (
	"context"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

func responsesParams(tool bool) responses.ResponseNewParams {
	p := responses.ResponseNewParams{
		Model: "gpt-4o-mini",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("What is 4200 + 42?")},
	}
	if tool {
		p.Tools = []responses.ToolUnionParam{responses.ToolParamOfFunction("add", map[string]any{"type": "object"}, false)}
	}
	return p
}

// TestOpenAISDKReadsResponses: the Responses client decodes the emulator's
// unary answers, text and function call, with consistent usage.
func TestOpenAISDKReadsResponses(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	c := newOpenAIClient(ts.URL)
	resp, err := c.Responses.New(context.Background(), responsesParams(false))
	if err != nil {
		t.Fatal(err)
	}
	if got := resp.OutputText(); got != Greeting+" You said: What is 4200 + 42?" {
		t.Errorf("text = %q", got)
	}
	if resp.Status != "completed" || resp.Usage.OutputTokens != defaultChunks ||
		resp.Usage.TotalTokens != resp.Usage.InputTokens+resp.Usage.OutputTokens {
		t.Errorf("response = %+v", resp)
	}

	resp, err = c.Responses.New(context.Background(), responsesParams(true), option.WithHeader(ControlHeader, "tool=1"))
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Output) != 1 || resp.Output[0].Type != "function_call" || resp.Output[0].Name != "add" || resp.Output[0].Arguments.OfString != toolArguments {
		t.Fatalf("output = %+v", resp.Output)
	}
}

// TestOpenAISDKStreamsResponses: the stream's deltas join to the final
// text (or arguments), sequence numbers count from 0 without gaps, and
// response.completed carries the usage.
func TestOpenAISDKStreamsResponses(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	c := newOpenAIClient(ts.URL)
	for _, tool := range []bool{false, true} {
		var opts []option.RequestOption
		if tool {
			opts = append(opts, option.WithHeader(ControlHeader, "tool=1;chunks=5"))
		}
		st := c.Responses.NewStreaming(context.Background(), responsesParams(tool), opts...)
		var deltas strings.Builder
		var final responses.Response
		seq := int64(0)
		for st.Next() {
			ev := st.Current()
			if ev.SequenceNumber != seq {
				t.Fatalf("tool=%v: event %s has sequence %d, want %d", tool, ev.Type, ev.SequenceNumber, seq)
			}
			seq++
			switch ev.Type {
			case "response.output_text.delta", "response.function_call_arguments.delta":
				deltas.WriteString(ev.Delta)
			case "response.completed":
				final = ev.Response
			}
		}
		if err := st.Err(); err != nil {
			t.Fatal(err)
		}
		if final.Status != "completed" || final.Usage.OutputTokens == 0 {
			t.Fatalf("tool=%v: final = %+v", tool, final)
		}
		want := final.OutputText()
		if tool {
			want = final.Output[0].Arguments.OfString
		}
		if deltas.String() != want || want == "" {
			t.Fatalf("tool=%v: deltas %q, final %q", tool, deltas.String(), want)
		}
	}
}
