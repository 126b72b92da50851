package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
)

// TestAzureUpstreamResponses: /v1/responses served natively by an Azure
// provider on each URL scheme. Responses are not deployment-scoped on Azure:
// the deployment scheme posts to {base}/openai/responses?api-version=…, the
// v1 scheme to {base}/openai/v1/responses, both with the key in api-key and
// the deployment as body model. The recorded answers reach the official
// client as recorded; streams are relayed byte for byte.
func TestAzureUpstreamResponses(t *testing.T) {
	e := azureEnv(t)
	key := e.newKey(t, "app", nil)
	c := e.client(key)
	cases := []struct{ name, model, deployment, uri string }{
		{"raw-responses-nonstream", "az-mini", "gpt-4o-mini", "/openai/responses?api-version=2024-10-21"},
		{"raw-responses-stream", "az-mini", "gpt-4o-mini", "/openai/responses?api-version=2024-10-21"},
		{"raw-v1-responses-stream", "az-v1", "gpt-5-mini", "/openai/v1/responses"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			input := "[[mock: fixture=azure-openai/" + tc.name + "]]"
			var want respView
			var got *responses.Response
			var raw *http.Response
			if strings.HasSuffix(tc.name, "-stream") {
				rec, err := os.ReadFile(filepath.Join(fixtureDir, "azure-openai", tc.name+".response.sse"))
				if err != nil {
					t.Fatal(err)
				}
				want = viewOfJSON(t, completedOf(t, rec))
				body := fmt.Sprintf(`{"model":%q,"stream":true,"input":%q}`, tc.model, input)
				r := e.post(t, "/v1/responses", key, body, nil)
				relayed, _ := io.ReadAll(r.Body)
				r.Body.Close()
				if r.StatusCode != 200 || !bytes.Equal(relayed, rec) {
					t.Fatalf("status %d; relayed stream differs from the recording\n got: %q\nwant: %q", r.StatusCode, tail(relayed), tail(rec))
				}
				checkNexusHeaders(t, r.Header, providerOf(tc.model), tc.model)
				st := c.Responses.NewStreaming(context.Background(), responses.ResponseNewParams{Model: tc.model, Input: inputOf(input)})
				var text strings.Builder
				for st.Next() {
					switch ev := st.Current(); ev.Type {
					case "response.output_text.delta":
						text.WriteString(ev.Delta)
					case "response.completed":
						f := ev.Response
						got = &f
					}
				}
				if err := st.Err(); err != nil {
					t.Fatal(err)
				}
				if got == nil || text.String() != want.Text {
					t.Fatalf("deltas %q, recording %q (terminal event seen: %v)", text.String(), want.Text, got != nil)
				}
			} else {
				rec, err := os.ReadFile(filepath.Join(fixtureDir, "azure-openai", tc.name+".response.json"))
				if err != nil {
					t.Fatal(err)
				}
				want = viewOfJSON(t, rec)
				got, err = c.Responses.New(context.Background(), responses.ResponseNewParams{Model: tc.model, Input: inputOf(input)},
					option.WithResponseInto(&raw))
				if err != nil {
					t.Fatal(err)
				}
				checkNexusHeaders(t, raw.Header, providerOf(tc.model), tc.model)
			}
			if v := viewOfClient(got); !equalViews(v, want) || v.Text == "" {
				t.Fatalf("client decoded\n%v\nrecording holds\n%v", v, want)
			}
			if uri := e.mock.LastRequestURI(); uri != tc.uri {
				t.Fatalf("upstream URI = %s, want %s", uri, tc.uri)
			}
			h, body := e.mock.LastRequest()
			if h.Get("Api-Key") != providerKey || h.Get("Authorization") != "" {
				t.Fatalf("upstream auth: api-key set %v, Authorization %q", h.Get("Api-Key") == providerKey, h.Get("Authorization"))
			}
			if !bytes.Contains(body, []byte(`"model":"`+tc.deployment+`"`)) {
				t.Fatalf("upstream body %s", body)
			}
		})
	}
}

func providerOf(model string) string {
	if model == "az-v1" {
		return "azure-v1"
	}
	return "azure"
}
