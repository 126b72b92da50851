package e2e

import (
	"context"
	"net/http"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	anthropicoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// claudeSamplingEnv: an Anthropic provider serving Claude 4 models, whose
// preset carries the sampling rules of SPEC §5.6, and a Claude 3 model the
// rules leave alone.
func claudeSamplingEnv(t *testing.T) *env {
	t.Helper()
	return newEnv(t, envOptions{
		providers: "- {name: anthropic, type: anthropic, base_url: UPSTREAM, api_key: " + providerKey + "}",
		models: "- {name: claude-opus-4-7, provider: anthropic}\n" +
			"- {name: claude-sonnet-4-5, provider: anthropic}\n" +
			"- {name: claude-3-5-haiku-latest, provider: anthropic}",
	})
}

type samplingCase struct {
	model                 string
	temperature, topP     bool
	topK                  bool
	coerced               string
	wantTemp, wantTopP, k bool // what reaches the upstream
}

var claudeSamplingCases = []samplingCase{
	{"claude-opus-4-7", true, true, true, "temperature->removed,top_k->removed,top_p->removed", false, false, false},
	{"claude-opus-4-7", false, true, false, "top_p->removed", false, false, false},
	{"claude-sonnet-4-5", true, true, false, "top_p->removed_with_temperature_present", true, false, false},
	{"claude-sonnet-4-5", false, true, true, "", false, true, true},
	{"claude-sonnet-4-5", true, false, false, "", true, false, false},
	{"claude-3-5-haiku-latest", true, true, true, "", true, true, true},
}

func checkUpstreamSampling(t *testing.T, e *env, c samplingCase, coerced string) {
	t.Helper()
	if coerced != c.coerced {
		t.Errorf("X-Nexus-Coerced = %q, want %q", coerced, c.coerced)
	}
	up := upstreamJSON(t, e)
	for name, want := range map[string]bool{"temperature": c.wantTemp, "top_p": c.wantTopP, "top_k": c.k} {
		if _, got := up[name]; got != want {
			t.Errorf("upstream %s present = %v, want %v (body %v)", name, got, want, up)
		}
	}
	if up["model"] != c.model {
		t.Errorf("upstream model %v", up["model"])
	}
}

// TestClaudeSamplingQuirksOnTheBytePath: an Anthropic SDK caller on the
// same-shape path gets its body spliced: the parameters the model rejects
// are removed and named in X-Nexus-Coerced, everything else stays.
func TestClaudeSamplingQuirksOnTheBytePath(t *testing.T) {
	e := claudeSamplingEnv(t)
	c := anthropic.NewClient(anthropicoption.WithBaseURL(e.srv.URL), anthropicoption.WithAPIKey(e.newKey(t, "app", nil)),
		anthropicoption.WithMaxRetries(0))
	for _, sc := range claudeSamplingCases {
		t.Run(sc.model+"/"+sc.coerced, func(t *testing.T) {
			p := anthropic.MessageNewParams{
				Model: anthropic.Model(sc.model), MaxTokens: 32,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
			}
			// This SDK version has no sampling fields (Anthropic is retiring
			// them); older clients still send them, so set them raw.
			var raw *http.Response
			opts := []anthropicoption.RequestOption{anthropicoption.WithResponseInto(&raw)}
			if sc.temperature {
				opts = append(opts, anthropicoption.WithJSONSet("temperature", 0.2))
			}
			if sc.topP {
				opts = append(opts, anthropicoption.WithJSONSet("top_p", 0.9))
			}
			if sc.topK {
				opts = append(opts, anthropicoption.WithJSONSet("top_k", 5))
			}
			msg, err := c.Messages.New(context.Background(), p, opts...)
			if err != nil {
				t.Fatal(err)
			}
			if len(msg.Content) == 0 || msg.Content[0].Text == "" {
				t.Fatalf("empty answer %+v", msg)
			}
			checkUpstreamSampling(t, e, sc, raw.Header.Get("X-Nexus-Coerced"))
		})
	}
}

// TestClaudeSamplingQuirksOnTheTranslatedPath: an OpenAI SDK caller's
// request is translated; the same rules act on the canonical request
// before it is encoded, streamed or not.
func TestClaudeSamplingQuirksOnTheTranslatedPath(t *testing.T) {
	e := claudeSamplingEnv(t)
	c := e.client(e.newKey(t, "app", nil))
	for _, sc := range claudeSamplingCases {
		if sc.topK {
			sc.topK, sc.k = false, false // the OpenAI shape has no top_k
			if sc.coerced == "temperature->removed,top_k->removed,top_p->removed" {
				sc.coerced = "temperature->removed,top_p->removed"
			}
		}
		for _, stream := range []bool{false, true} {
			t.Run(sc.model+"/"+sc.coerced, func(t *testing.T) {
				p := userMsg("hi")
				p.Model, p.MaxTokens = sc.model, openai.Int(32) // no max_tokens default to report
				if sc.temperature {
					p.Temperature = openai.Float(0.2)
				}
				if sc.topP {
					p.TopP = openai.Float(0.9)
				}
				var raw *http.Response
				if stream {
					s := c.Chat.Completions.NewStreaming(context.Background(), p, option.WithResponseInto(&raw))
					acc := accumulate(t, s)
					if acc.Choices[0].Message.Content == "" {
						t.Fatal("empty streamed answer")
					}
				} else {
					resp, err := c.Chat.Completions.New(context.Background(), p, option.WithResponseInto(&raw))
					if err != nil {
						t.Fatal(err)
					}
					if resp.Choices[0].Message.Content == "" {
						t.Fatal("empty answer")
					}
				}
				checkUpstreamSampling(t, e, sc, raw.Header.Get("X-Nexus-Coerced"))
			})
		}
	}
}
