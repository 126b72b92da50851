package route

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

const (
	toolsBody  = `{"model":"m","messages":[{"role":"user","content":"weather?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object"}}}]}`
	imageBody  = `{"model":"m","messages":[{"role":"user","content":[{"type":"text","text":"what is this"},{"type":"image_url","image_url":{"url":"https://example.com/cat.png"}}]}]}`
	schemaBody = `{"model":"m","messages":[{"role":"user","content":"hi"}],"response_format":{"type":"json_schema","json_schema":{"name":"x","schema":{"type":"object"}}}}`
	streamBody = `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`
	// The word tools inside a message is text, not a tools member.
	wordBody = `{"model":"m","messages":[{"role":"user","content":"list the \"tools\" and an \"image\" please"}]}`
)

func TestCapabilityFilterRefusesWhatNoTargetCanServe(t *testing.T) {
	tests := []struct {
		name     string
		features []string
		body     string
		window   int
		ingress  pipeline.Shape
		noDecode bool
		want     string // capability named in the 400; "" = served
	}{
		{name: "tools to a model without function calling", features: []string{"streaming"}, body: toolsBody, want: CapTools},
		{name: "images to a text-only model", features: []string{"function_calling", "streaming"}, body: imageBody, want: CapVision},
		{name: "json schema to a model without it", features: []string{"streaming", "json_mode"}, body: schemaBody, want: CapJSONSchema},
		{name: "stream to a model that cannot", features: []string{"function_calling"}, body: streamBody, want: CapStreaming},
		{name: "prompt longer than the window", features: allFeatures, body: `{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("word ", 400) + `"}]}`, window: 100, want: CapContextWindow},
		{name: "a shape that cannot be translated", features: allFeatures, body: chat("m"), ingress: pipeline.ShapeGemini, noDecode: true, want: CapIngressShape},
		{name: "the word tools in text is no tool use", features: []string{"streaming"}, body: wordBody},
		{name: "unknown features are assumed capable", features: nil, body: toolsBody},
		{name: "capable model serves", features: allFeatures, body: toolsBody},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := model("m", "p", 1, 1, tt.features...)
			if tt.features == nil {
				m.Features = nil
			}
			if tt.window > 0 {
				m.ContextWindow = tt.window
			}
			e := newEnv(t, Options{Models: []Model{m}}, nil)
			x := exchange(t, tt.body)
			if tt.ingress != "" {
				x.Ingress = tt.ingress
			}
			if tt.noDecode {
				x.Decode = nil
			}
			_, err := e.r.Serve(context.Background(), x)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			ce := ceOf(t, err)
			if ce.Status != 400 || ce.Kind != canonical.KindNoCompatible || ce.Param != tt.want || ce.Type != "no_compatible_provider" {
				t.Fatalf("got %d %s param %q: %s", ce.Status, ce.Kind, ce.Param, ce.Message)
			}
			if len(e.f.log()) != 0 {
				t.Fatal("a refused request reached the provider")
			}
		})
	}
}

func TestCapabilityFilterFallsToACapableTarget(t *testing.T) {
	e := newEnv(t, Options{
		Models: []Model{model("text", "a", 0.1, 0.1, "streaming"), model("vision", "b", 1, 1, "vision", "streaming")},
		Rules:  []Rule{{Name: "r", Match: Match{Models: []string{"m"}}, Targets: []TargetSpec{{Model: "text"}, {Model: "vision"}}}},
	}, nil)
	x := exchange(t, imageBody)
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if x.Target.Model != "vision" || x.Attempts != 1 {
		t.Fatalf("served by %s after %d attempts", x.Target.Model, x.Attempts)
	}
	ex := e.r.Explain(Query{Model: "m", Images: true})
	if len(ex.Targets) != 1 || len(ex.Excluded) != 1 || !strings.Contains(ex.Excluded[0].Reason, "images") {
		t.Fatalf("explain: %+v", ex)
	}
}

func TestNeedsAreNotDetectedWhenEveryTargetIsCapable(t *testing.T) {
	e := newEnv(t, Options{Models: []Model{model("m", "p", 1, 1)}}, nil)
	x := exchange(t, toolsBody)
	decodes := 0
	x.Decode = func(b []byte) (*canonical.Request, error) {
		decodes++
		return &canonical.Request{}, nil
	}
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatal(err)
	}
	if decodes != 0 {
		t.Fatalf("the body was decoded %d times although no target lacks a capability", decodes)
	}
}

func TestContainsFold(t *testing.T) {
	for _, tt := range []struct {
		s, sub string
		want   bool
	}{
		{"Please think Step By Step", "step by step", true},
		{"PROVE it", "prove", true},
		{"approve", "prove", false},
		{"to prove", "prove", true},
		{"pro ve", "prove", false},
		{"", "x", false},
		{"\x02rove", "\"rove", false},
	} {
		if got := containsFold([]byte(tt.s), []byte(tt.sub)); got != tt.want {
			t.Errorf("containsFold(%q, %q) = %v", tt.s, tt.sub, got)
		}
	}
}

func TestEndpointKindsAreKeptApart(t *testing.T) {
	emb := model("emb", "p", 0.02, 0)
	emb.Type, emb.Features, emb.ContextWindow = "embedding", nil, 8191
	e := newEnv(t, Options{Models: []Model{emb, model("chat", "p", 1, 1)}}, nil)
	x := exchange(t, chat("emb"))
	_, err := e.r.Serve(context.Background(), x)
	if ce := ceOf(t, err); ce.Status != 400 || ce.Param != CapEndpoint {
		t.Fatalf("chat request to an embedding model: %v", err)
	}
	// A large embeddings batch is not judged by the per-input window.
	x = exchange(t, `{"model":"emb","input":["`+strings.Repeat("word ", 20000)+`"]}`)
	x.Endpoint = pipeline.EndpointEmbeddings
	if _, err := e.r.Serve(context.Background(), x); err != nil {
		t.Fatalf("embeddings batch refused: %v", err)
	}
	x = exchange(t, `{"model":"chat","input":["x"]}`)
	x.Endpoint = pipeline.EndpointEmbeddings
	if _, err := e.r.Serve(context.Background(), x); ceOf(t, err).Param != CapEndpoint {
		t.Fatalf("embeddings request to a chat model: %v", err)
	}
}

// naiveNeeds is the obvious definition quotedNeeds must agree with.
func naiveNeeds(b []byte) need {
	var n need
	for _, g := range quotedGroups {
		for _, m := range g.markers {
			if bytes.Contains(b, m) {
				n |= g.need
			}
		}
	}
	return n
}

func FuzzQuotedNeedsMatchesContains(f *testing.F) {
	for _, s := range []string{`{"tools":[]}`, `{"messages":[{"content":[{"type":"image_url"}]}]}`, `"json_schema"`, `""tools"`, `x"`, ``} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := quotedNeeds(b), naiveNeeds(b); got != want {
			t.Fatalf("quotedNeeds(%q) = %b, want %b", b, got, want)
		}
	})
}

func BenchmarkQuotedNeeds50KB(b *testing.B) {
	body := []byte(`{"model":"m","messages":[{"role":"user","content":"` + strings.Repeat("lorem ipsum dolor sit amet ", 1900) + `"}]}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		_ = quotedNeeds(body)
	}
}
