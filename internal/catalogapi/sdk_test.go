package catalogapi

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"

	anthropic "github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	openai "github.com/openai/openai-go/v3"
	ooption "github.com/openai/openai-go/v3/option"
)

// The official clients are what the catalogue must satisfy: each lists and
// fetches models through the handler with a scoped key (the OpenAI client
// sends it as Bearer, the Anthropic client as x-api-key with
// anthropic-version), and sees exactly the models the key admits.

func server(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(mux(newHandler(t, Config{})))
	t.Cleanup(srv.Close)
	return srv
}

func TestOpenAIClientListsAndGetsScopedModels(t *testing.T) {
	srv := server(t)
	client := openai.NewClient(ooption.WithBaseURL(srv.URL+"/v1/"), ooption.WithAPIKey("nvk_scoped"), ooption.WithMaxRetries(0))
	ctx := context.Background()

	page, err := client.Models.List(ctx)
	if err != nil {
		t.Fatalf("Models.List: %v", err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		if m.Created != fixedNow.Unix() || string(m.Object) != "model" {
			t.Errorf("%s: created %d object %q", m.ID, m.Created, m.Object)
		}
	}
	if want := []string{"gpt-4o", "text-embedding-3-small"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("listed %v, want %v", ids, want)
	}

	var paged []string
	iter := client.Models.ListAutoPaging(ctx)
	for iter.Next() {
		paged = append(paged, iter.Current().ID)
	}
	if err := iter.Err(); err != nil || !reflect.DeepEqual(paged, ids) {
		t.Errorf("auto-paging gave %v (%v), want %v", paged, err, ids)
	}

	m, err := client.Models.Get(ctx, "gpt-4o")
	if err != nil {
		t.Fatalf("Models.Get: %v", err)
	}
	if m.ID != "gpt-4o" || m.OwnedBy != "openai" {
		t.Errorf("got %+v", m)
	}
	// Extension fields reach the client as extra JSON fields.
	if f, ok := m.JSON.ExtraFields["maxContextTokens"]; !ok || f.Raw() != "128000" {
		t.Errorf("maxContextTokens extension: %v", m.JSON.ExtraFields)
	}

	for _, hidden := range []string{"claude-sonnet-4-5", "does-not-exist"} {
		_, err = client.Models.Get(ctx, hidden)
		var apiErr *openai.Error
		if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound || apiErr.Message != "model not found: "+hidden {
			t.Errorf("Get(%s): %v", hidden, err)
		}
	}

	bad := openai.NewClient(ooption.WithBaseURL(srv.URL+"/v1/"), ooption.WithAPIKey("nvk_bogus"), ooption.WithMaxRetries(0))
	_, err = bad.Models.List(ctx)
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized || apiErr.Message != msgAuth {
		t.Errorf("bad key: %v", err)
	}
}

// xAPIKeyCarrier makes the Go client authenticate the way Anthropic's
// Python and TypeScript SDKs do: the key in x-api-key, no Authorization
// (anthropic-sdk-go v2 sends its API key as a Bearer token). It records
// what each request carried so the test knows which carrier was used.
func xAPIKeyCarrier(seen *[]string) aoption.RequestOption {
	return aoption.WithMiddleware(func(r *http.Request, next aoption.MiddlewareNext) (*http.Response, error) {
		if v := r.Header.Get("Authorization"); strings.HasPrefix(v, "Bearer ") {
			r.Header.Del("Authorization")
			r.Header.Set("X-Api-Key", strings.TrimPrefix(v, "Bearer "))
		}
		*seen = append(*seen, "x-api-key="+r.Header.Get("X-Api-Key")+" authorization="+r.Header.Get("Authorization")+" version="+r.Header.Get("Anthropic-Version"))
		return next(r)
	})
}

func TestAnthropicClientListsAndGetsScopedModels(t *testing.T) {
	for _, carrier := range []string{"bearer", "x-api-key"} {
		t.Run(carrier, func(t *testing.T) {
			srv := server(t)
			var seen []string
			opts := func(key string) []aoption.RequestOption {
				o := []aoption.RequestOption{aoption.WithBaseURL(srv.URL + "/"), aoption.WithAPIKey(key), aoption.WithMaxRetries(0)}
				if carrier == "x-api-key" {
					o = append(o, xAPIKeyCarrier(&seen))
				}
				return o
			}
			testAnthropicClient(t, anthropic.NewClient(opts("nvk_scoped")...), anthropic.NewClient(opts("nvk_bogus")...))
			if carrier == "x-api-key" {
				const prefix = "x-api-key=nvk_scoped authorization= version="
				if len(seen) == 0 || !strings.HasPrefix(seen[0], prefix) || len(seen[0]) == len(prefix) {
					t.Errorf("requests carried %q", seen)
				}
			}
		})
	}
}

func testAnthropicClient(t *testing.T, client, bad anthropic.Client) {
	t.Helper()
	ctx := context.Background()
	page, err := client.Models.List(ctx, anthropic.ModelListParams{})
	if err != nil {
		t.Fatalf("Models.List: %v", err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		if !m.CreatedAt.Equal(fixedNow) || string(m.Type) != "model" || m.DisplayName == "" {
			t.Errorf("%s: created_at %v type %q display %q", m.ID, m.CreatedAt, m.Type, m.DisplayName)
		}
	}
	if want := []string{"gpt-4o", "text-embedding-3-small"}; !reflect.DeepEqual(ids, want) {
		t.Errorf("listed %v, want %v", ids, want)
	}
	if page.HasMore || page.FirstID != "gpt-4o" || page.LastID != "text-embedding-3-small" {
		t.Errorf("page has_more %v first %q last %q", page.HasMore, page.FirstID, page.LastID)
	}
	if page.Data[0].MaxInputTokens != 128000 || page.Data[0].MaxTokens != 16384 {
		t.Errorf("limits %d/%d", page.Data[0].MaxInputTokens, page.Data[0].MaxTokens)
	}

	var paged []string
	iter := client.Models.ListAutoPaging(ctx, anthropic.ModelListParams{})
	for iter.Next() {
		paged = append(paged, iter.Current().ID)
	}
	if err := iter.Err(); err != nil || !reflect.DeepEqual(paged, ids) {
		t.Errorf("auto-paging gave %v (%v), want %v", paged, err, ids)
	}

	m, err := client.Models.Get(ctx, "text-embedding-3-small", anthropic.ModelGetParams{})
	if err != nil || m.ID != "text-embedding-3-small" || m.DisplayName != "Text Embedding 3 Small" {
		t.Fatalf("Models.Get: %+v %v", m, err)
	}
	_, err = client.Models.Get(ctx, "claude-sonnet-4-5", anthropic.ModelGetParams{})
	var apiErr *anthropic.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusNotFound {
		t.Errorf("hidden model: %v", err)
	}
	if _, err := bad.Models.List(ctx, anthropic.ModelListParams{}); !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		t.Errorf("bad key: %v", err)
	}
}
