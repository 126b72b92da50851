package config

import (
	"reflect"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/catalog"
)

// A new OpenAI-compatible vendor is a config entry: base URL, auth style
// and quirks; the effective table is the file's rules, then the preset's.
func TestVendorByConfiguration(t *testing.T) {
	c := mustParse(t, `
providers:
  - name: acme
    type: openai-compatible
    base_url: https://api.acme.example/v1/
    api_key: k
    auth_style: api-key
    quirks:
      - models: [acme-think]
        rename: {max_tokens: max_output_tokens}
        drop: [logprobs, top_logprobs]
        drop_unless:
          tool_choice: [auto, none]
      - drop: [user]
  - name: local
    type: openai-compatible
    base_url: http://127.0.0.1:9000/v1
    auth_style: none
  - name: ds
    type: deepseek
    api_key: k
    preset_quirks: false
models: []
`, nil)
	acme := c.Providers[0]
	if acme.AuthStyle != catalog.AuthAPIKeyHeader || acme.BaseURL != "https://api.acme.example/v1" || acme.WireFormat != catalog.WireOpenAI {
		t.Fatalf("acme = %+v", acme)
	}
	want := []catalog.Quirk{
		{Models: []string{"acme-think"}, Rename: map[string]string{"max_tokens": "max_output_tokens"},
			Drop: []string{"logprobs", "top_logprobs"}, DropUnless: map[string][]string{"tool_choice": {"auto", "none"}}},
		{Drop: []string{"user"}},
	}
	if !reflect.DeepEqual(acme.Quirks, want) {
		t.Fatalf("quirks = %+v", acme.Quirks)
	}
	all := acme.AllQuirks()
	if len(all) != 3 || !reflect.DeepEqual(all[:2], want) || all[2].Models[0] != "gpt-5" {
		t.Fatalf("effective quirks = %+v", all)
	}
	if c.Providers[1].AuthStyle != catalog.AuthNone {
		t.Fatalf("local auth style %q", c.Providers[1].AuthStyle)
	}
	if q := c.Providers[2].AllQuirks(); len(q) != 0 {
		t.Fatalf("preset_quirks: false kept %+v", q)
	}
	if d, _ := catalog.Preset("deepseek"); len(d.Quirks) == 0 {
		t.Fatal("deepseek preset has no quirks to switch off")
	}
}

// An Anthropic provider takes quirks too: the file's rules come before the
// preset's Claude 4 sampling rules, and preset_quirks: false removes those.
func TestAnthropicQuirksByConfiguration(t *testing.T) {
	c := mustParse(t, `
providers:
  - name: claude
    type: anthropic
    api_key: k
    quirks:
      - models: [claude-next]
        drop_with: {top_k: temperature}
  - name: plain
    type: anthropic
    api_key: k
    preset_quirks: false
models: []
`, nil)
	all := c.Providers[0].AllQuirks()
	if len(all) != 3 || !reflect.DeepEqual(all[0].DropWith, map[string]string{"top_k": "temperature"}) ||
		all[1].Models[0] != "claude-opus-4-7" || all[2].DropWith["top_p"] != "temperature" {
		t.Fatalf("effective quirks = %+v", all)
	}
	if q := c.Providers[1].AllQuirks(); len(q) != 0 {
		t.Fatalf("preset_quirks: false kept %+v", q)
	}
}

func TestVendorKeysValidation(t *testing.T) {
	const compat = "providers:\n  - name: c\n    type: openai-compatible\n    base_url: https://h.example\n    api_key: k\n"
	tests := []struct{ name, yaml, want string }{
		{"unknown auth style", compat + "    auth_style: basic\n",
			`6: providers[0].auth_style: "basic": want bearer, api-key, x-api-key or none`},
		{"auth style on a non-OpenAI wire", "providers:\n  - name: a\n    type: anthropic\n    api_key: k\n    auth_style: bearer\n",
			"5: providers[0].auth_style: only valid for OpenAI-wire providers"},
		{"auth style none with a key", compat + "    auth_style: none\n",
			"6: providers[0].auth_style: auth_style none sends no key"},
		{"quirks on a non-OpenAI wire", "providers:\n  - name: g\n    type: gemini\n    api_key: k\n    quirks:\n      - drop: [x]\n",
			"5: providers[0].quirks: only valid for OpenAI-wire and Anthropic providers"},
		{"empty rule", compat + "    quirks:\n      - models: [m]\n",
			"7: providers[0].quirks[0]: the rule changes nothing"},
		{"reserved parameter", compat + "    quirks:\n      - drop: [top_p, model]\n",
			`7: providers[0].quirks[0].drop[1]: "model" is managed by the gateway`},
		{"rename to a reserved name", compat + "    quirks:\n      - rename:\n          max_tokens: stream\n",
			`8: providers[0].quirks[0].rename.max_tokens: new name: "stream" is managed by the gateway`},
		{"nested path is not a parameter", compat + "    quirks:\n      - drop: [stream_options.include_usage]\n",
			`7: providers[0].quirks[0].drop[0]: "stream_options.include_usage": want a top-level parameter name`},
		{"parameter edited twice", compat + "    quirks:\n      - rename: {top_p: p}\n        drop: [top_p]\n",
			`8: providers[0].quirks[0].drop[0]: "top_p" is already edited by providers[0].quirks[0].rename.top_p`},
		{"drop_unless without values", compat + "    quirks:\n      - drop_unless:\n          tool_choice: []\n",
			"8: providers[0].quirks[0].drop_unless.tool_choice: list the values to keep"},
		{"blank model prefix", compat + "    quirks:\n      - models: ['']\n        drop: [x]\n",
			"7: providers[0].quirks[0].models[0]: want a model id prefix"},
		{"unknown quirk key", compat + "    quirks:\n      - remove: [x]\n",
			`7: providers[0].quirks[0].remove: unknown field`},
		{"preset_quirks not a boolean", compat + "    preset_quirks: maybe\n",
			`6: providers[0].preset_quirks: expected true or false`},
		{"preset_quirks on a Gemini provider", "providers:\n  - name: g\n    type: gemini\n    api_key: k\n    preset_quirks: false\n",
			"5: providers[0].preset_quirks: only valid for OpenAI-wire and Anthropic providers"},
		{"drop_with naming itself", compat + "    quirks:\n      - drop_with: {top_p: top_p}\n",
			"7: providers[0].quirks[0].drop_with.top_p: drops \"top_p\" when \"top_p\" itself is present"},
		{"drop_with on a reserved parameter", compat + "    quirks:\n      - drop_with: {top_p: stream}\n",
			"7: providers[0].quirks[0].drop_with.top_p: the parameter it goes with"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("test.yaml", []byte(tt.yaml), nil)
			if err == nil {
				t.Fatalf("Parse succeeded, want %q", tt.want)
			}
			for _, l := range strings.Split(err.Error(), "\n") {
				if strings.HasPrefix(l, "test.yaml:"+tt.want) {
					return
				}
			}
			t.Errorf("no error line starts with %q; got:\n%s", tt.want, err)
		})
	}
}

// auth_style none makes the key optional on a compatible server.
func TestAuthStyleNoneNeedsNoKey(t *testing.T) {
	mustParse(t, "providers:\n  - name: c\n    type: openai-compatible\n    base_url: http://127.0.0.1:8080/v1\n    auth_style: none\nmodels: []\n", nil)
	if _, err := Parse("t.yaml", []byte("providers:\n  - name: c\n    type: openai-compatible\n    base_url: http://127.0.0.1:8080/v1\nmodels: []\n"), nil); err == nil ||
		!strings.Contains(err.Error(), "api_key: required") {
		t.Fatalf("bearer without a key: %v", err)
	}
}

// serves_responses overrides the type's default for native /v1/responses,
// on OpenAI-wire providers only.
func TestServesResponses(t *testing.T) {
	c := mustParse(t, `
providers:
  - {name: vllm, type: openai-compatible, base_url: http://127.0.0.1:8000/v1, auth_style: none, serves_responses: true}
  - {name: proxy, type: openai, base_url: https://llm-proxy.example/v1, api_key: k, serves_responses: false}
  - {name: oa, type: openai, api_key: k}
  - {name: ds, type: deepseek, api_key: k}
models: []
`, nil)
	for i, want := range []bool{true, false, true, false} {
		if got := c.Providers[i].NativeResponses(); got != want {
			t.Errorf("%s: native responses %v, want %v", c.Providers[i].Name, got, want)
		}
	}
	_, err := Parse("p.yaml", []byte("providers:\n  - name: a\n    type: anthropic\n    api_key: k\n    serves_responses: true\nmodels: []\n"), nil)
	if err == nil || !strings.Contains(err.Error(), "p.yaml:5: providers[0].serves_responses: only valid for OpenAI-wire providers") {
		t.Fatalf("anthropic serves_responses: %v", err)
	}
}
