package canonical

import (
	"bytes"
	"encoding/json"
	"slices"
)

// Ext holds two kinds of provider-only parameters: what a client put under
// nexus.ext.<provider>.<key>, and native fields a decoder lifted because
// the canonical model has no home for them (OpenAI logprobs, Anthropic
// server tools, Gemini googleSearch). For a target of the same provider the
// encoder applies them; for any other target they cannot be sent. Dropping
// one silently would hide a lossy translation, so Foreign sorts them: a pure
// hint (nothing the client relies on changes) is removed and reported as a
// coercion; anything else is refused with a 400 naming the field. This is
// the documented hint list of docs/translation.md.

// foreignRule says how one Ext key fares on a target of another provider.
type foreignRule struct {
	param string // field named in a refusal ("" = the key itself)
	// hint reports whether value can be dropped without changing what the
	// client relies on; nil means never.
	hint func(v json.RawMessage) bool
	why  string // for a refusal
}

func always(json.RawMessage) bool { return true }

// emptyOr returns a hint test that accepts null and the given literal values.
func emptyOr(lits ...string) func(json.RawMessage) bool {
	return func(v json.RawMessage) bool {
		v = bytes.TrimSpace(v)
		if len(v) == 0 || string(v) == "null" {
			return true
		}
		return slices.Contains(lits, string(v))
	}
}

// textOnly accepts a modalities list that asks for text output only.
func textOnly(v json.RawMessage) bool {
	var m []string
	if emptyOr()(v) {
		return true
	}
	if json.Unmarshal(v, &m) != nil {
		return false
	}
	for _, s := range m {
		if s != "text" {
			return false
		}
	}
	return true
}

// ruleFor lists, per source provider, the Ext keys its decoder lifts or its
// nexus.ext namespace documents (a switch, not a map: no package state).
// Keys not listed are nexus.ext values the gateway does not know: they are
// removed (reported), as SPEC §5.7 says for another provider's extension.
// skip marks gateway-internal state (the Responses API round trip).
func ruleFor(provider, key string) (r foreignRule, known, skip bool) {
	switch provider + "/" + key {
	case "openai/responses":
		return r, true, true
	case "openai/service_tier", "openai/store", "openai/prompt_cache_key", "openai/safety_identifier",
		"openai/prediction", // a latency optimisation; the answer is the same
		"openai/verbosity",
		"openai/thinking", // GLM/DeepSeek reasoning switch; other targets have their own
		"anthropic/thinking", "anthropic/service_tier", "anthropic/inference_geo", "anthropic/speed",
		"anthropic/cache_control", "anthropic/context_management",
		"anthropic/output_config": // effort and the like; the format itself is canonical
		return foreignRule{hint: always}, true, false
	case "openai/logprobs":
		return foreignRule{hint: emptyOr("false"), why: "token log probabilities cannot be returned by this target"}, true, false
	case "openai/top_logprobs":
		return foreignRule{hint: emptyOr("0"), why: "token log probabilities cannot be returned by this target"}, true, false
	case "openai/logit_bias":
		return foreignRule{hint: emptyOr("{}"), why: "token biasing cannot be applied by this target"}, true, false
	case "openai/modalities":
		return foreignRule{hint: textOnly, why: "only text output can be produced by this target"}, true, false
	case "openai/audio":
		return foreignRule{hint: emptyOr(), why: "audio output cannot be produced by this target"}, true, false
	case "openai/web_search_options":
		return foreignRule{hint: emptyOr(), why: "OpenAI web search cannot run on this target"}, true, false
	case "anthropic/server_tools":
		return foreignRule{param: "tools", why: "Anthropic server tools (web search, code execution, …) cannot run on this target"}, true, false
	case "anthropic/mcp_servers":
		return foreignRule{why: "Anthropic's MCP connector cannot run on this target"}, true, false
	case "anthropic/container":
		return foreignRule{why: "an Anthropic code-execution container cannot be used by this target"}, true, false
	case "anthropic/native_blocks":
		return foreignRule{param: "messages", why: "content blocks only Anthropic understands (server tool results, search results, file references) cannot be sent to this target"}, true, false
	case "gemini/thinking_config":
		return foreignRule{param: "generationConfig.thinkingConfig", hint: always}, true, false
	case "gemini/safety_settings":
		return foreignRule{param: "safetySettings", hint: always}, true, false
	case "gemini/generation_config":
		return foreignRule{param: "generationConfig", hint: always}, true, false
	case "gemini/tools":
		return foreignRule{param: "tools", why: "Gemini built-in tools (googleSearch, codeExecution, …) cannot run on this target"}, true, false
	case "gemini/tool_config":
		return foreignRule{param: "toolConfig", why: "this function-calling configuration has no equivalent on this target"}, true, false
	case "gemini/cached_content":
		return foreignRule{param: "cachedContent", why: "Gemini cached content cannot be read by this target"}, true, false
	}
	return r, false, false
}

// Foreign sorts the Ext entries of providers other than target (a wire
// family: "openai", "anthropic", "gemini"). It returns the coercions for
// the hints it drops, or the param and reason of the first entry that
// cannot be dropped (param is then non-empty). Keys are visited in sorted
// order so the same request always reports the same field.
func (e Ext) Foreign(target string) (coerced []Coercion, param, why string) {
	provs := make([]string, 0, len(e))
	for p := range e {
		if p != target {
			provs = append(provs, p)
		}
	}
	slices.Sort(provs)
	for _, p := range provs {
		keys := make([]string, 0, len(e[p]))
		for k := range e[p] {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			rule, known, skip := ruleFor(p, k)
			if skip {
				continue
			}
			name := rule.param
			if name == "" {
				name = k
			}
			if !known || rule.hint != nil && rule.hint(e[p][k]) {
				if v := bytes.TrimSpace(e[p][k]); len(v) > 0 && string(v) != "null" {
					coerced = append(coerced, Coercion{Field: name, To: "removed"})
				}
				continue
			}
			return coerced, name, rule.why
		}
	}
	return coerced, "", ""
}
