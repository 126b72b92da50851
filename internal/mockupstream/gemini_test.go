package mockupstream

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

type geminiResponse struct {
	Candidates []struct {
		Content struct {
			Role  string `json:"role"`
			Parts []struct {
				Text         *string `json:"text"`
				FunctionCall *struct {
					Name string          `json:"name"`
					Args json.RawMessage `json:"args"`
				} `json:"functionCall"`
			} `json:"parts"`
		} `json:"content"`
		FinishReason string `json:"finishReason"`
		Index        *int   `json:"index"`
	} `json:"candidates"`
	UsageMetadata *struct {
		PromptTokenCount     int `json:"promptTokenCount"`
		CandidatesTokenCount int `json:"candidatesTokenCount"`
		TotalTokenCount      int `json:"totalTokenCount"`
	} `json:"usageMetadata"`
	ModelVersion string `json:"modelVersion"`
	ResponseID   string `json:"responseId"`
}

func (g *geminiResponse) text() string {
	var b strings.Builder
	for _, c := range g.Candidates {
		for _, p := range c.Content.Parts {
			if p.Text != nil {
				b.WriteString(*p.Text)
			}
		}
	}
	return b.String()
}

const geminiBody = `{"contents":[{"role":"user","parts":[{"text":"Count to three."}]}],"generationConfig":{"maxOutputTokens":64}}`

func TestGenerateContentAnswersInGeminiShape(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	r := doReq(t, ts, http.MethodPost, "/v1beta/models/gemini-2.5-flash:generateContent", geminiAuth, geminiBody)
	if r.status != http.StatusOK {
		t.Fatalf("status %d: %s", r.status, r.body)
	}
	var g geminiResponse
	mustJSON(t, r.body, &g)
	if len(g.Candidates) != 1 || g.Candidates[0].Content.Role != "model" || g.Candidates[0].FinishReason != "STOP" || g.Candidates[0].Index == nil {
		t.Fatalf("candidates = %s", r.body)
	}
	if g.text() != Greeting+" You said: Count to three." || g.ModelVersion != "gemini-2.5-flash" || g.ResponseID == "" {
		t.Errorf("answer = %s", r.body)
	}
	u := g.UsageMetadata
	if u == nil || u.PromptTokenCount != len(geminiBody)/4 || u.CandidatesTokenCount != defaultChunks || u.TotalTokenCount != u.PromptTokenCount+u.CandidatesTokenCount {
		t.Errorf("usage = %+v", u)
	}
}

func checkGeminiFrames(t *testing.T, frames []geminiResponse, n int) string {
	t.Helper()
	if len(frames) != n {
		t.Fatalf("frames = %d, want %d", len(frames), n)
	}
	var text strings.Builder
	prev := 0
	for i, f := range frames {
		text.WriteString(f.text())
		last := i == len(frames)-1
		if (f.Candidates[0].FinishReason == "STOP") != last {
			t.Errorf("frame %d finishReason = %q", i, f.Candidates[0].FinishReason)
		}
		u := f.UsageMetadata
		if u == nil || u.CandidatesTokenCount < prev || u.TotalTokenCount != u.PromptTokenCount+u.CandidatesTokenCount {
			t.Errorf("frame %d usage = %+v (previous %d)", i, u, prev)
			continue
		}
		prev = u.CandidatesTokenCount
	}
	if prev != n {
		t.Errorf("final candidatesTokenCount = %d, want %d", prev, n)
	}
	return text.String()
}

func TestStreamGenerateContentSSEUsesCRLFFrames(t *testing.T) {
	for _, chunks := range []int{1, defaultChunks, 256} {
		t.Run(strconv.Itoa(chunks), func(t *testing.T) {
			_, ts := newTestServer(t, Options{})
			hdr := withHeader(geminiAuth, ControlHeader, "chunks="+strconv.Itoa(chunks))
			r := doReq(t, ts, http.MethodPost, "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", hdr, geminiBody)
			if r.header.Get("Content-Type") != "text/event-stream" {
				t.Errorf("content-type = %q", r.header.Get("Content-Type"))
			}
			if got := bytes.Count(r.body, []byte("\r\n\r\n")); got != chunks || !bytes.HasSuffix(r.body, []byte("\r\n\r\n")) {
				t.Errorf("CRLF frame separators = %d, want %d", got, chunks)
			}
			var frames []geminiResponse
			for _, e := range parseSSE(t, r.body) {
				var g geminiResponse
				mustJSON(t, []byte(e.data), &g)
				frames = append(frames, g)
			}
			text := checkGeminiFrames(t, frames, chunks)

			r2 := doReq(t, ts, http.MethodPost, "/v1beta/models/gemini-2.5-flash:generateContent", hdr, geminiBody)
			var g geminiResponse
			mustJSON(t, r2.body, &g)
			if g.text() != text {
				t.Errorf("stream text %q differs from unary %q", text, g.text())
			}
		})
	}
}

func TestStreamGenerateContentWithoutAltIsAJSONArray(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	r := doReq(t, ts, http.MethodPost, "/v1beta/models/gemini-2.5-flash:streamGenerateContent", geminiAuth, geminiBody)
	if !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Errorf("content-type = %q", r.header.Get("Content-Type"))
	}
	var frames []geminiResponse
	mustJSON(t, r.body, &frames)
	checkGeminiFrames(t, frames, defaultChunks)
}

func TestGeminiToolCallIsAWholeFunctionCall(t *testing.T) {
	_, ts := newTestServer(t, Options{})
	body := `{"contents":[{"parts":[{"text":"weather?"}]}],"tools":[{"functionDeclarations":[{"name":"get_weather","parameters":{"type":"OBJECT"}}]}]}`
	hdr := withHeader(geminiAuth, ControlHeader, "tool=1")
	for _, path := range []string{":generateContent", ":streamGenerateContent?alt=sse"} {
		r := doReq(t, ts, http.MethodPost, "/v1beta/models/gemini-2.5-flash"+path, hdr, body)
		data := r.body
		if strings.Contains(path, "alt=sse") {
			evs := parseSSE(t, r.body)
			if len(evs) != 1 {
				t.Fatalf("%s: %d frames, want one", path, len(evs))
			}
			data = []byte(evs[0].data)
		}
		var g geminiResponse
		mustJSON(t, data, &g)
		p := g.Candidates[0].Content.Parts
		if len(p) != 1 || p[0].FunctionCall == nil || p[0].FunctionCall.Name != "get_weather" || string(p[0].FunctionCall.Args) != toolArguments {
			t.Errorf("%s: parts = %s", path, data)
		}
		if g.Candidates[0].FinishReason != "STOP" {
			t.Errorf("%s: finishReason = %q", path, g.Candidates[0].FinishReason)
		}
	}
}
