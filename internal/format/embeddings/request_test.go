package embeddings

import (
	"encoding/json"
	"errors"
	"net/http"
	"reflect"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

func intp(n int) *int { return &n }

func TestDecodeOpenAIRequestAcceptsEveryInputForm(t *testing.T) {
	tests := []struct {
		name string
		body string
		want canonical.EmbeddingRequest
	}{
		{"lone string is one input", `{"model":"m","input":"hi"}`,
			canonical.EmbeddingRequest{Model: "m", Inputs: []string{"hi"}}},
		{"string array keeps order", `{"model":"m","input":["a","b","c"]}`,
			canonical.EmbeddingRequest{Model: "m", Inputs: []string{"a", "b", "c"}}},
		{"lone token array is one input", `{"model":"m","input":[1,2,3]}`,
			canonical.EmbeddingRequest{Model: "m", Tokens: [][]int{{1, 2, 3}}}},
		{"token arrays", `{"model":"m","input":[[1],[2,3]]}`,
			canonical.EmbeddingRequest{Model: "m", Tokens: [][]int{{1}, {2, 3}}}},
		{"all options", `{"model":"m","input":"x","dimensions":256,"encoding_format":"base64","user":"u1"}`,
			canonical.EmbeddingRequest{Model: "m", Inputs: []string{"x"}, Dimensions: intp(256), EncodingFormat: "base64", User: "u1"}},
		{"nulls mean absent", `{"model":"m","input":"x","dimensions":null,"encoding_format":null,"user":null}`,
			canonical.EmbeddingRequest{Model: "m", Inputs: []string{"x"}}},
		{"no model (Azure deployment path)", `{"input":"x"}`,
			canonical.EmbeddingRequest{Inputs: []string{"x"}}},
		{"nexus ext lifted, vendor extras kept, top level wins", `{"model":"m","input":"x","output_dtype":"int8","nexus":{"ext":{"gemini":{"taskType":"RETRIEVAL_QUERY"},"openai":{"output_dtype":"float"}}}}`,
			canonical.EmbeddingRequest{Model: "m", Inputs: []string{"x"}, Ext: canonical.Ext{
				"gemini": {"taskType": json.RawMessage(`"RETRIEVAL_QUERY"`)},
				"openai": {"output_dtype": json.RawMessage(`"int8"`)},
			}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeOpenAIRequest([]byte(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(*got, tt.want) {
				t.Errorf("got %+v\nwant %+v", *got, tt.want)
			}
		})
	}
}

func TestDecodeOpenAIRequestRefusesMalformedBodiesNamingTheMember(t *testing.T) {
	tests := []struct {
		name, body, param string
	}{
		{"not an object", `["x"]`, ""},
		{"not JSON", `{"input":`, ""},
		{"input missing", `{"model":"m"}`, "input"},
		{"input null", `{"model":"m","input":null}`, "input"},
		{"input empty array", `{"model":"m","input":[]}`, "input"},
		{"input number", `{"model":"m","input":5}`, "input"},
		{"input object", `{"model":"m","input":{"a":1}}`, "input"},
		{"mixed strings and numbers", `{"model":"m","input":["a",1]}`, "input"},
		{"negative token", `{"model":"m","input":[1,-2]}`, "input"},
		{"fractional token", `{"model":"m","input":[1.5]}`, "input"},
		{"empty token array", `{"model":"m","input":[[1],[]]}`, "input"},
		{"array of arrays of strings", `{"model":"m","input":[["a"]]}`, "input"},
		{"model number", `{"model":3,"input":"x"}`, "model"},
		{"dimensions zero", `{"model":"m","input":"x","dimensions":0}`, "dimensions"},
		{"dimensions fraction", `{"model":"m","input":"x","dimensions":1.5}`, "dimensions"},
		{"dimensions string", `{"model":"m","input":"x","dimensions":"256"}`, "dimensions"},
		{"unknown encoding", `{"model":"m","input":"x","encoding_format":"int8"}`, "encoding_format"},
		{"encoding case matters", `{"model":"m","input":"x","encoding_format":"Float"}`, "encoding_format"},
		{"user number", `{"model":"m","input":"x","user":1}`, "user"},
		{"nexus not an object", `{"model":"m","input":"x","nexus":"x"}`, "nexus"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := DecodeOpenAIRequest([]byte(tt.body))
			var ce *canonical.Error
			if !errors.As(err, &ce) {
				t.Fatalf("got %v, want a *canonical.Error", err)
			}
			if ce.Status != http.StatusBadRequest || ce.Kind != canonical.KindInvalidRequest || ce.Param != tt.param || ce.Type != "invalid_request_error" {
				t.Errorf("got %d %s type %q param %q, want 400 invalid_request param %q", ce.Status, ce.Kind, ce.Type, ce.Param, tt.param)
			}
		})
	}
}

func TestEncodeOpenAIRequest(t *testing.T) {
	tests := []struct {
		name  string
		req   canonical.EmbeddingRequest
		model string
		want  string
	}{
		{"upstream model replaces the client's, input always an array",
			canonical.EmbeddingRequest{Model: "alias", Inputs: []string{"a"}}, "text-embedding-3-small",
			`{"model":"text-embedding-3-small","input":["a"]}`},
		{"empty upstream model leaves model out",
			canonical.EmbeddingRequest{Model: "x", Inputs: []string{"a", "b"}}, "",
			`{"input":["a","b"]}`},
		{"tokens, options, sorted vendor extras; nexus, gemini and owned keys never sent",
			canonical.EmbeddingRequest{Tokens: [][]int{{1, 2}, {3}}, Dimensions: intp(64), EncodingFormat: "base64", User: "u",
				Ext: canonical.Ext{
					"openai": {"z_extra": json.RawMessage(`{"a":1}`), "a_extra": json.RawMessage(` true `), "model": json.RawMessage(`"evil"`), "nexus": json.RawMessage(`{}`)},
					"gemini": {"taskType": json.RawMessage(`"X"`)},
				}}, "m",
			`{"model":"m","input":[[1,2],[3]],"dimensions":64,"encoding_format":"base64","user":"u","a_extra":true,"z_extra":{"a":1}}`},
		{"strings are escaped",
			canonical.EmbeddingRequest{Inputs: []string{"q\"\\\n\x01\u2028é\xff"}}, "m",
			`{"model":"m","input":["q\"\\\n\u0001\u2028é\ufffd"]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := EncodeOpenAIRequest(&tt.req, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
			if !json.Valid(got) {
				t.Error("output is not valid JSON")
			}
		})
	}
}

func TestEncodeOpenAIRequestRefusesEmptyOrAmbiguousInput(t *testing.T) {
	for _, req := range []canonical.EmbeddingRequest{
		{Model: "m"},
		{Model: "m", Inputs: []string{"a"}, Tokens: [][]int{{1}}},
	} {
		if _, err := EncodeOpenAIRequest(&req, "m"); err == nil {
			t.Errorf("%+v encoded without error", req)
		}
	}
}

func TestEncodeGeminiRequest(t *testing.T) {
	ext := func(kv ...string) canonical.Ext {
		var e canonical.Ext
		for i := 0; i < len(kv); i += 2 {
			e.Set("gemini", kv[i], json.RawMessage(kv[i+1]))
		}
		return e
	}
	tests := []struct {
		name     string
		req      canonical.EmbeddingRequest
		model    string
		method   string
		body     string
		coercion []canonical.Coercion
	}{
		{"one input uses embedContent",
			canonical.EmbeddingRequest{Inputs: []string{"hi"}}, "gemini-embedding-001",
			GeminiEmbedContent, `{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"hi"}]}}`, nil},
		{"several inputs use batchEmbedContents with the model on each, options on each",
			canonical.EmbeddingRequest{Inputs: []string{"a", "b"}, Dimensions: intp(768), Ext: ext("taskType", `"RETRIEVAL_DOCUMENT"`, "title", `"Doc"`)}, "models/gemini-embedding-001",
			GeminiBatchEmbedContent, `{"requests":[` +
				`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"a"}]},"taskType":"RETRIEVAL_DOCUMENT","title":"Doc","outputDimensionality":768},` +
				`{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"b"}]},"taskType":"RETRIEVAL_DOCUMENT","title":"Doc","outputDimensionality":768}]}`, nil},
		{"batch:true forces the batch method for one input; snake_case task_type read",
			canonical.EmbeddingRequest{Inputs: []string{"a"}, Ext: ext("batch", `true`, "task_type", `"CLUSTERING"`)}, "m",
			GeminiBatchEmbedContent, `{"requests":[{"model":"models/m","content":{"parts":[{"text":"a"}]},"taskType":"CLUSTERING"}]}`, nil},
		{"user dropped as a reported hint, encoding format not sent",
			canonical.EmbeddingRequest{Inputs: []string{"a"}, User: "u", EncodingFormat: "base64"}, "m",
			GeminiEmbedContent, `{"model":"models/m","content":{"parts":[{"text":"a"}]}}`, []canonical.Coercion{{Field: "user", To: "removed"}}},
		{"tuned model path kept",
			canonical.EmbeddingRequest{Inputs: []string{"a"}}, "tunedModels/abc",
			GeminiEmbedContent, `{"model":"tunedModels/abc","content":{"parts":[{"text":"a"}]}}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method, body, coerced, err := EncodeGeminiRequest(&tt.req, tt.model)
			if err != nil {
				t.Fatal(err)
			}
			if method != tt.method || string(body) != tt.body || !reflect.DeepEqual(coerced, tt.coercion) {
				t.Errorf("got %s %s %v\nwant %s %s %v", method, body, coerced, tt.method, tt.body, tt.coercion)
			}
		})
	}
}

func TestEncodeGeminiRequestRefusals(t *testing.T) {
	tests := []struct {
		name, param, typ string
		req              canonical.EmbeddingRequest
	}{
		{"token inputs cannot be translated", "input", "nexus_field_unsupported", canonical.EmbeddingRequest{Tokens: [][]int{{1}}}},
		{"no input", "input", "invalid_request_error", canonical.EmbeddingRequest{}},
		{"taskType not a string", "nexus.ext.gemini.taskType", "invalid_request_error",
			canonical.EmbeddingRequest{Inputs: []string{"a"}, Ext: canonical.Ext{"gemini": {"taskType": json.RawMessage(`1`)}}}},
		{"title not a string", "nexus.ext.gemini.title", "invalid_request_error",
			canonical.EmbeddingRequest{Inputs: []string{"a"}, Ext: canonical.Ext{"gemini": {"title": json.RawMessage(`{}`)}}}},
		{"batch not a boolean", "nexus.ext.gemini.batch", "invalid_request_error",
			canonical.EmbeddingRequest{Inputs: []string{"a"}, Ext: canonical.Ext{"gemini": {"batch": json.RawMessage(`"yes"`)}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, _, err := EncodeGeminiRequest(&tt.req, "m")
			var ce *canonical.Error
			if !errors.As(err, &ce) || ce.Status != 400 || ce.Param != tt.param || ce.Type != tt.typ {
				t.Errorf("got %v, want 400 %s param %s", err, tt.typ, tt.param)
			}
		})
	}
}
