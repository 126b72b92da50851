package route

import (
	"context"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func TestGlob(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"gpt-4o*", "gpt-4o-mini", true},
		{"gpt-4o*", "xgpt-4o", false},
		{"*", "anything", true},
		{"claude-*-4-5", "claude-sonnet-4-5", true},
		{"claude-*-4-5", "claude-sonnet-4-50", false},
		{"a.b", "axb", false},
		{"openai/*", "openai/gpt-4o", true},
		{"", "", true},
		{"", "x", false},
		{"**a", "bba", true},
	}
	for _, c := range cases {
		if got := Glob(c.p, c.s); got != c.want {
			t.Errorf("Glob(%q,%q) = %v", c.p, c.s, got)
		}
	}
}

type recorder struct{ got pipeline.Target }

func (r *recorder) Do(_ context.Context, _ *pipeline.Exchange, t pipeline.Target) (*pipeline.Response, error) {
	r.got = t
	return &pipeline.Response{Status: 200, Body: []byte("{}")}, nil
}

func TestServeResolvesAliasAndEnforcesAllowlist(t *testing.T) {
	rec := &recorder{}
	r, err := New([]Model{{Name: "gpt-4o-mini", Aliases: []string{"mini"}, Provider: "openai", UpstreamModel: "gpt-4o-mini-2024-07-18"}},
		map[string]Adapter{"openai": rec})
	if err != nil {
		t.Fatal(err)
	}
	x := &pipeline.Exchange{Model: "mini", Key: &pipeline.Key{AllowedModels: []string{"gpt-4o*"}}}
	if _, err := r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if rec.got.UpstreamModel != "gpt-4o-mini-2024-07-18" || rec.got.Model != "gpt-4o-mini" || x.Attempts != 1 {
		t.Fatalf("target = %+v attempts=%d", rec.got, x.Attempts)
	}
	x = &pipeline.Exchange{Model: "mini", Key: &pipeline.Key{AllowedModels: []string{"claude-*"}}}
	_, err = r.Serve(context.Background(), x)
	if ce := canonical.As(err); ce.Status != 403 || ce.Code != "MODEL_NOT_ALLOWED" {
		t.Fatalf("err = %v", err)
	}
	_, err = r.Serve(context.Background(), &pipeline.Exchange{Model: "nope"})
	if ce := canonical.As(err); ce.Status != 404 || ce.Code != "model_not_found" {
		t.Fatalf("err = %v", err)
	}
}

func TestNewRejectsDuplicateNamesAndMissingAdapters(t *testing.T) {
	if _, err := New([]Model{{Name: "a", Provider: "p"}, {Name: "b", Aliases: []string{"a"}, Provider: "p"}}, map[string]Adapter{"p": &recorder{}}); err == nil {
		t.Fatal("duplicate alias accepted")
	}
	if _, err := New([]Model{{Name: "a", Provider: "missing"}}, map[string]Adapter{}); err == nil {
		t.Fatal("missing adapter accepted")
	}
}
