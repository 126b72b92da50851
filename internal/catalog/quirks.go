package catalog

import (
	"maps"
	"slices"
	"strings"
)

// Quirk is one request rewrite an OpenAI-wire vendor needs, as data: the
// adapter applies it on the byte path and on the translated path alike and
// reports every change in X-Nexus-Coerced (SPEC §5.6). Presets carry the
// rules the gateway knows; a provider entry in the configuration may add its
// own (docs/providers.md).
type Quirk struct {
	// Models are model id prefixes, matched case-insensitively against the
	// upstream model id. A prefix without "/" ignores a routing prefix such
	// as "openai/" in "openai/gpt-5" (aggregators); one with "/" matches
	// the whole id. Empty means every model of the provider.
	Models []string
	// Rename moves a top-level parameter to another name. When the body
	// already holds the new name, the old one is removed instead (the
	// newer, explicit one wins).
	Rename map[string]string
	// Drop removes top-level parameters the vendor rejects.
	Drop []string
	// DropUnless removes a parameter unless its value is one of the listed
	// strings (DeepSeek thinking models accept tool_choice "auto" and
	// "none" but reject forced choices).
	DropUnless map[string][]string
	// DropWith removes a parameter when another one is present too
	// (Anthropic 4.x models take temperature or top_p, not both: top_p
	// maps to temperature and goes when temperature is there).
	DropWith map[string]string
	// Evidence says which observed upstream error the rule answers; SPEC
	// §5.6 requires one for every built-in prefix rule.
	Evidence string
}

// Matches reports whether the quirk applies to upstream model id model.
func (q *Quirk) Matches(model string) bool {
	if len(q.Models) == 0 {
		return true
	}
	base := model
	if i := strings.LastIndexByte(model, '/'); i >= 0 {
		base = model[i+1:]
	}
	for _, p := range q.Models {
		id := base
		if strings.IndexByte(p, '/') >= 0 {
			id = model
		}
		if len(id) >= len(p) && strings.EqualFold(id[:len(p)], p) {
			return true
		}
	}
	return false
}

// ParamEdit is one compiled step of a quirk: rename Param to To, or remove
// it (To == "") unless its string value is in Keep, or, when With is set,
// only if the body also holds With.
type ParamEdit struct {
	Param string
	To    string
	Keep  []string
	With  string
}

// Edits flattens the quirk into ordered steps: renames, then drops, then
// conditional drops (map keys sorted, so X-Nexus-Coerced is stable).
func (q *Quirk) Edits() []ParamEdit {
	var out []ParamEdit
	for _, k := range slices.Sorted(maps.Keys(q.Rename)) {
		out = append(out, ParamEdit{Param: k, To: q.Rename[k]})
	}
	for _, p := range q.Drop {
		out = append(out, ParamEdit{Param: p})
	}
	for _, k := range slices.Sorted(maps.Keys(q.DropUnless)) {
		out = append(out, ParamEdit{Param: k, Keep: q.DropUnless[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(q.DropWith)) {
		out = append(out, ParamEdit{Param: k, With: q.DropWith[k]})
	}
	return out
}

// ReservedParam reports whether a quirk may not rename or drop p: the
// gateway itself owns these members (model rewrite, stream and usage
// switches, the nexus namespace), or removing them leaves no request.
func ReservedParam(p string) bool {
	switch p {
	case "model", "messages", "stream", "stream_options", "nexus":
		return true
	}
	return false
}

// The built-in rules. Each prefix rule cites the upstream 400 it avoids.
func openAIReasoningQuirk() Quirk {
	return Quirk{
		// gpt-5* and o1–o9*: the reasoning models.
		Models: []string{"gpt-5", "o1", "o2", "o3", "o4", "o5", "o6", "o7", "o8", "o9"},
		Rename: map[string]string{"max_tokens": "max_completion_tokens"},
		Drop:   []string{"temperature", "top_p"},
		Evidence: `400 "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead." ` +
			`(shared/fixtures/errors/openai-chat-400-max-tokens-unsupported); ` +
			`400 "Unsupported parameter: 'temperature' is not supported with this model." ` +
			`(shared/fixtures/errors/openai-responses-400-temperature-unsupported)`,
	}
}

func moonshotFixedSamplingQuirk() Quirk {
	return Quirk{
		// Kimi K2.5/K2.6 run with fixed sampling (temperature 1 with
		// thinking on, 0.6 off; top_p 0.95); any other value is refused.
		Models: []string{"kimi-k2.5", "kimi-k2.6"},
		Drop:   []string{"temperature", "top_p"},
		Evidence: `400 {"error":{"message":"invalid temperature: only 1 is allowed for this model","type":"invalid_request_error"}} ` +
			`(kimi-k2.5 on api.moonshot.cn: github.com/Mai-with-u/MaiBot/issues/1538, NoFxAiOS/nofx#1415; ` +
			`"only 0.6 is allowed" with thinking off: arcsin1/oh-my-ppt#45; k2.6: CherryHQ/cherry-studio#14573; ` +
			`top_p "invalid top_p" alongside: iOfficeAI/gemini-cli-pro#30)`,
	}
}

func deepseekThinkingQuirk() Quirk {
	return Quirk{
		// Thinking mode accepts tool_choice "auto" and "none" only.
		Models:     []string{"deepseek-reasoner", "deepseek-v4-pro"},
		DropUnless: map[string][]string{"tool_choice": {"auto", "none"}},
		Evidence: `400 "Thinking mode does not support this tool_choice" (type invalid_request_error) for ` +
			`tool_choice "required" and named functions on deepseek-v4-pro/-flash with thinking on ` +
			`(github.com/BerriAI/litellm/pull/37470, deepseek-ai/DeepSeek-V3#1376, osaurus-ai/osaurus#1940)`,
	}
}

// Anthropic's Claude 4 models constrain sampling (SPEC §5.6). The rule for
// Opus 4.7 and 4.8 comes first: where both match, its drops win.
func anthropicNoSamplingQuirk() Quirk {
	return Quirk{
		Models: []string{"claude-opus-4-7", "claude-opus-4-8"},
		Drop:   []string{"temperature", "top_k", "top_p"},
		Evidence: `400 {"type":"error","error":{"type":"invalid_request_error","message":"` + "`temperature`" + ` is deprecated for this model."}} ` +
			`(claude-opus-4-7: github.com/Mixpeal/anthropic-sdk/issues/11, HKUDS/nanobot#3418, langchain-ai/open-swe#1207; ` +
			`Anthropic's migration guide for Opus 4.7 removes temperature, top_p and top_k)`,
	}
}

func anthropicOneSamplerQuirk() Quirk {
	return Quirk{
		Models:   []string{"claude-opus-4", "claude-sonnet-4", "claude-haiku-4"},
		DropWith: map[string]string{"top_p": "temperature"},
		Evidence: `400 {"type":"error","error":{"type":"invalid_request_error","message":"` + "`temperature` and `top_p`" + ` cannot both be specified for this model. Please use only one."}} ` +
			`(claude-sonnet-4-5-20250929: github.com/BerriAI/litellm/issues/15097, browseros-ai/BrowserOS#208; ` +
			`claude-opus-4-1 and haiku-4-5: cloud-apim/otoroshi-llm-extension#140; claude-sonnet-4-6: Vali-98/ChatterUI#564)`,
	}
}
