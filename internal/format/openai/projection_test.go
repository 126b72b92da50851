package openai

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Projections: the fields this codec promises to keep, extracted from
// generic JSON independently of the codec's own wire types, so a codec bug
// cannot hide itself by being symmetric.

type toolCallProj struct {
	ID   string
	Name string
	Args any // parsed JSON; "" counts as {}
}

type msgProj struct {
	Role       string
	Name       string
	Text       string
	Images     []string
	Reasoning  string
	Refusal    string
	ToolCalls  []toolCallProj
	ToolCallID string
}

type reqProj struct {
	System            []string
	Messages          []msgProj
	Tools             []any
	ToolChoice        any
	ParallelToolCalls any
	ResponseFormat    any
	Params            map[string]any
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func parseArgs(s string) any {
	if strings.TrimSpace(s) == "" {
		return map[string]any{}
	}
	var v any
	if json.Unmarshal([]byte(s), &v) != nil {
		return "unparsed:" + s
	}
	return v
}

// contentProj returns the texts and image URLs of a content value.
func contentProj(c any) (texts []string, images []string, reasoning string) {
	switch v := c.(type) {
	case string:
		if v != "" {
			texts = append(texts, v)
		}
	case []any:
		for _, p := range v {
			pm, _ := p.(map[string]any)
			switch str(pm["type"]) {
			case "text":
				texts = append(texts, str(pm["text"]))
			case "image_url":
				iu := pm["image_url"]
				if m, ok := iu.(map[string]any); ok {
					images = append(images, str(m["url"])+"|"+str(m["detail"]))
				} else {
					images = append(images, str(iu)+"|")
				}
			case "thinking":
				for _, t := range pm["thinking"].([]any) {
					reasoning += str(t.(map[string]any)["text"])
				}
			}
		}
	}
	return texts, images, reasoning
}

func projectRequest(m map[string]any) reqProj {
	p := reqProj{Params: map[string]any{}}
	leading := true
	msgs, _ := m["messages"].([]any)
	for _, raw := range msgs {
		mm := raw.(map[string]any)
		role := str(mm["role"])
		if role == "developer" {
			role = "system"
		}
		texts, images, thinking := contentProj(mm["content"])
		if role == "system" && leading {
			p.System = append(p.System, texts...)
			continue
		}
		leading = false
		mp := msgProj{Role: role, Name: str(mm["name"]), Text: strings.Join(texts, ""), Images: images,
			Refusal: str(mm["refusal"]), ToolCallID: str(mm["tool_call_id"])}
		mp.Reasoning = str(mm["reasoning_content"]) + str(mm["reasoning"]) + thinking
		tcs, _ := mm["tool_calls"].([]any)
		for _, tc := range tcs {
			tm := tc.(map[string]any)
			fn := tm["function"].(map[string]any)
			mp.ToolCalls = append(mp.ToolCalls, toolCallProj{ID: str(tm["id"]), Name: str(fn["name"]), Args: parseArgs(str(fn["arguments"]))})
		}
		p.Messages = append(p.Messages, mp)
	}
	tools, _ := m["tools"].([]any)
	for _, t := range tools {
		fn := t.(map[string]any)["function"].(map[string]any)
		p.Tools = append(p.Tools, map[string]any{"name": fn["name"], "description": str(fn["description"]), "parameters": fn["parameters"], "strict": fn["strict"]})
	}
	if len(tools) > 0 {
		p.ToolChoice = m["tool_choice"]
		p.ParallelToolCalls = m["parallel_tool_calls"]
	}
	if rf, ok := m["response_format"].(map[string]any); ok {
		p.ResponseFormat = rf
	}
	maxTokens := m["max_tokens"]
	if v, ok := m["max_completion_tokens"]; ok {
		maxTokens = v
	}
	p.Params["max_tokens"] = maxTokens
	if s, ok := m["stop"].(string); ok {
		p.Params["stop"] = []any{s}
	} else {
		p.Params["stop"] = m["stop"]
	}
	p.Params["stream"] = m["stream"] == true
	for _, k := range []string{"model", "temperature", "top_p", "frequency_penalty", "presence_penalty", "seed",
		"reasoning_effort", "user", "metadata", "logit_bias", "logprobs", "top_logprobs", "service_tier", "store",
		"web_search_options", "thinking"} {
		p.Params[k] = m[k]
	}
	return p
}

type usageProj struct{ Prompt, Completion, Total, Cached, Reasoning int }

func num(v any) int {
	f, _ := v.(float64)
	return int(f)
}

// projectUsage reads wire usage with every cached-token alias.
func projectUsage(u map[string]any) *usageProj {
	if u == nil {
		return nil
	}
	up := &usageProj{Prompt: num(u["prompt_tokens"]), Completion: num(u["completion_tokens"]), Total: num(u["total_tokens"])}
	if d, ok := u["prompt_tokens_details"].(map[string]any); ok {
		up.Cached = num(d["cached_tokens"])
	}
	for _, k := range []string{"prompt_cache_hit_tokens", "prompt_cache_tokens", "cached_tokens"} {
		up.Cached = max(up.Cached, num(u[k]))
	}
	if d, ok := u["completion_tokens_details"].(map[string]any); ok {
		up.Reasoning = num(d["reasoning_tokens"])
	}
	return up
}

func usageOf(u *canonical.Usage) *usageProj {
	if u == nil {
		return nil
	}
	return &usageProj{Prompt: u.InputTokens, Completion: u.OutputTokens, Total: u.Total(), Cached: u.CacheReadTokens, Reasoning: u.ReasoningTokens}
}

// expectedFinish is what an OpenAI client must see for a wire finish reason.
func expectedFinish(wire string, calledTools bool) string {
	switch wire {
	case "length":
		return "length"
	case "tool_calls", "function_call":
		return "tool_calls"
	case "content_filter", "sensitive":
		return "content_filter"
	}
	if calledTools {
		return "tool_calls"
	}
	return "stop"
}

type respProj struct {
	ID, Model, Content, Reasoning, Refusal, Finish string
	Created                                        int
	ToolCalls                                      []toolCallProj
	Usage                                          *usageProj
}

func projectResponse(m map[string]any) respProj {
	ch := m["choices"].([]any)[0].(map[string]any)
	msg := ch["message"].(map[string]any)
	texts, _, thinking := contentProj(msg["content"])
	p := respProj{ID: str(m["id"]), Model: str(m["model"]), Created: num(m["created"]), Content: strings.Join(texts, ""),
		Reasoning: str(msg["reasoning_content"]) + str(msg["reasoning"]) + thinking, Refusal: str(msg["refusal"])}
	tcs, _ := msg["tool_calls"].([]any)
	for _, tc := range tcs {
		tm := tc.(map[string]any)
		fn := tm["function"].(map[string]any)
		p.ToolCalls = append(p.ToolCalls, toolCallProj{ID: str(tm["id"]), Name: str(fn["name"]), Args: parseArgs(str(fn["arguments"]))})
	}
	p.Finish = expectedFinish(str(ch["finish_reason"]), len(tcs) > 0)
	if u, ok := m["usage"].(map[string]any); ok {
		p.Usage = projectUsage(u)
		p.Usage.Total = p.Usage.Prompt + p.Usage.Completion
	}
	return p
}

// streamProj is what a client reconstructs from a stream.
type streamProj struct {
	Text, Reasoning, Refusal string
	ToolCalls                []toolCallProj
	Finish                   string
	Usage                    *usageProj
	Error                    string
}

// projectWireStream accumulates raw OpenAI chunks the way SDK accumulators do.
func projectWireStream(frames []frame) streamProj {
	var p streamProj
	type acc struct {
		id, name, args string
	}
	calls := map[int]*acc{}
	var order []int
	for _, f := range frames {
		if strings.TrimSpace(f.data) == "[DONE]" || strings.TrimSpace(f.data) == "" {
			continue
		}
		var m map[string]any
		if json.Unmarshal([]byte(f.data), &m) != nil {
			continue
		}
		if e, ok := m["error"].(map[string]any); ok && p.Finish == "" {
			p.Error = str(e["message"])
		}
		if u, ok := m["usage"].(map[string]any); ok {
			p.Usage = projectUsage(u)
		}
		chs, _ := m["choices"].([]any)
		for _, c := range chs {
			cm := c.(map[string]any)
			if num(cm["index"]) != 0 {
				continue
			}
			d, _ := cm["delta"].(map[string]any)
			texts, _, thinking := contentProj(d["content"])
			p.Text += strings.Join(texts, "")
			p.Reasoning += str(d["reasoning_content"]) + str(d["reasoning"]) + thinking
			p.Refusal += str(d["refusal"])
			tcs, _ := d["tool_calls"].([]any)
			for _, tc := range tcs {
				tm := tc.(map[string]any)
				i := num(tm["index"])
				a := calls[i]
				if a == nil {
					a = &acc{}
					calls[i] = a
					order = append(order, i)
				}
				if a.id == "" {
					a.id = str(tm["id"])
				}
				fn, _ := tm["function"].(map[string]any)
				if a.name == "" {
					a.name = str(fn["name"])
				}
				a.args += str(fn["arguments"])
			}
			if fr := str(cm["finish_reason"]); fr != "" && p.Finish == "" {
				p.Finish = fr
			}
		}
	}
	sort.Ints(order)
	for _, i := range order {
		a := calls[i]
		p.ToolCalls = append(p.ToolCalls, toolCallProj{ID: a.id, Name: a.name, Args: parseArgs(a.args)})
	}
	if p.Finish != "" {
		p.Finish = expectedFinish(p.Finish, len(p.ToolCalls) > 0)
	}
	if p.Usage != nil {
		p.Usage.Total = p.Usage.Prompt + p.Usage.Completion
	}
	return p
}

// projectEvents accumulates canonical events the same way.
func projectEvents(evs []canonical.Event) streamProj {
	var p streamProj
	kinds := map[int]canonical.PartType{}
	calls := map[int]*toolCallProj{}
	args := map[int]string{}
	var order []int
	for _, ev := range evs {
		switch ev.Type {
		case canonical.EventBlockStart:
			kinds[ev.Index] = ev.Block.Type
			if tc := ev.Block.ToolCall; tc != nil {
				calls[ev.Index] = &toolCallProj{ID: tc.ID, Name: tc.Name}
				order = append(order, ev.Index)
			}
		case canonical.EventDelta:
			switch kinds[ev.Index] {
			case canonical.PartText:
				p.Text += ev.Delta
			case canonical.PartReasoning:
				p.Reasoning += ev.Delta
			case canonical.PartRefusal:
				p.Refusal += ev.Delta
			case canonical.PartToolCall:
				args[ev.Index] += ev.Delta
			}
		case canonical.EventUsage:
			p.Usage = usageOf(ev.Usage)
		case canonical.EventFinish:
			p.Finish = map[canonical.FinishReason]string{
				canonical.FinishStop: "stop", canonical.FinishLength: "length", canonical.FinishToolCalls: "tool_calls",
				canonical.FinishContentFilter: "content_filter", canonical.FinishRefusal: "content_filter",
			}[ev.Finish]
			if ev.Finish == canonical.FinishRefusal && p.Refusal != "" {
				p.Finish = "stop" // OpenAI ends a shown refusal with stop
			}
			if p.Finish == "stop" && len(order) > 0 {
				p.Finish = "tool_calls"
			}
		case canonical.EventError:
			p.Error = ev.Err.Message
		}
	}
	for _, i := range order {
		c := calls[i]
		c.Args = parseArgs(args[i])
		p.ToolCalls = append(p.ToolCalls, *c)
	}
	return p
}
