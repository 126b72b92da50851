package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
)

// readSSE returns the data payloads of an SSE body.
func readSSE(t *testing.T, r io.Reader) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

func TestStreamCutMidwayEndsWithOneErrorFrame(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "app", nil)
	r := e.post(t, "/v1/chat/completions", key, `{"model":"mini","stream":true,"messages":[{"role":"user","content":"[[mock: chunks=20; cut_after=5]]"}]}`, nil)
	defer r.Body.Close()
	if r.StatusCode != 200 {
		t.Fatalf("status %d", r.StatusCode)
	}
	frames := readSSE(t, r.Body)
	if len(frames) < 2 {
		t.Fatalf("frames = %v", frames)
	}
	last := frames[len(frames)-1]
	if !strings.HasPrefix(last, `{"error":`) || !strings.Contains(last, `"upstream_error"`) {
		t.Fatalf("last frame = %s", last)
	}
	for _, f := range frames {
		if f == "[DONE]" {
			t.Fatal("a cut stream must not end with [DONE]")
		}
	}
	// The SDK reports the failure rather than a normal finish.
	c := e.client(key)
	stream := c.Chat.Completions.NewStreaming(context.Background(), userMsg("[[mock: chunks=20; cut_after=5]]"))
	for stream.Next() {
	}
	if stream.Err() == nil {
		t.Fatal("SDK saw a cut stream as a clean finish")
	}
	e.waitLog(t, `"status":502`)
}

// TestStreamClosedCleanlyBeforeItsEndIsACut: an upstream that closes the
// connection in good order, but before its finish reason and [DONE], cut
// the stream all the same: the client gets the error frame, not a clean end.
func TestStreamClosedCleanlyBeforeItsEndIsACut(t *testing.T) {
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, `data: {"id":"c","object":"chat.completion.chunk","created":1,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}`+"\n\n")
	})
	e := newEnv(t, envOptions{upstream: up})
	r := e.post(t, "/v1/chat/completions", e.newKey(t, "app", nil), `{"model":"mini","stream":true,"messages":[{"role":"user","content":"hi"}]}`, nil)
	defer r.Body.Close()
	frames := readSSE(t, r.Body)
	if r.StatusCode != 200 || len(frames) != 2 || !strings.Contains(frames[1], `"upstream_error"`) {
		t.Fatalf("status %d, frames %v", r.StatusCode, frames)
	}
}

func TestFirstByteTimeoutAnswers504(t *testing.T) {
	e := newEnv(t, envOptions{extra: "timeouts:\n  first_byte: 150ms"})
	key := e.newKey(t, "app", nil)
	start := time.Now()
	r := e.post(t, "/v1/chat/completions", key, `{"model":"mini","messages":[{"role":"user","content":"[[mock: stall=5s]]"}]}`, nil)
	g := decodeErr(t, r)
	if r.StatusCode != 504 || g.Error.Code != "upstream_timeout" {
		t.Fatalf("got %d %+v", r.StatusCode, g.Error)
	}
	if time.Since(start) > 3*time.Second {
		t.Fatal("the stalled upstream held the request")
	}
}

func TestIdleGapBetweenChunksEndsStream(t *testing.T) {
	e := newEnv(t, envOptions{extra: "timeouts:\n  idle: 150ms"})
	key := e.newKey(t, "app", nil)
	r := e.post(t, "/v1/chat/completions", key, `{"model":"mini","stream":true,"messages":[{"role":"user","content":"[[mock: chunks=5; chunk_delay=2s]]"}]}`, nil)
	defer r.Body.Close()
	frames := readSSE(t, r.Body)
	last := frames[len(frames)-1]
	if !strings.Contains(last, `"upstream_idle_timeout"`) {
		t.Fatalf("frames = %v", frames)
	}
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	cancelled := make(chan struct{})
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n")
		w.(http.Flusher).Flush()
		<-r.Context().Done()
		close(cancelled)
	})
	e := newEnv(t, envOptions{upstream: up})
	key := e.newKey(t, "app", nil)
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "POST", e.srv.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"mini","stream":true}`))
	req.Header.Set("Authorization", "Bearer "+key)
	r, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if _, err := r.Body.Read(buf); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case <-cancelled:
	case <-time.After(5 * time.Second):
		t.Fatal("upstream call was not cancelled after the client left")
	}
	e.waitLog(t, `"status":499`)
}

func TestMalformedUpstreamSSEIsRelayedNotFatal(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "app", nil)
	r := e.post(t, "/v1/chat/completions", key, `{"model":"mini","stream":true,"messages":[{"role":"user","content":"[[mock: malformed=1]]"}]}`, nil)
	defer r.Body.Close()
	frames := readSSE(t, r.Body)
	if frames[len(frames)-1] != "[DONE]" {
		t.Fatalf("same-shape relay must pass frames through and end normally: %v", frames[len(frames)-3:])
	}
}

// TestConcurrentStreamsWithLargeBodiesAreNeverCut guards against the HTTP/1
// server cutting SSE responses while request bodies are still being read
// (golang/go#40747): the gateway reads the whole body before answering.
func TestConcurrentStreamsWithLargeBodiesAreNeverCut(t *testing.T) {
	e := newEnv(t, envOptions{})
	key := e.newKey(t, "app", nil)
	pad := strings.Repeat("lorem ipsum ", 4500) // ~54 KB
	body := fmt.Sprintf(`{"model":"mini","stream":true,"messages":[{"role":"user","content":"%s [[mock: chunks=64]]"}]}`, pad)
	var wg sync.WaitGroup
	var bad atomic.Int32
	for i := 0; i < 48; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, _ := http.NewRequest("POST", e.srv.URL+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+key)
			r, err := http.DefaultClient.Do(req)
			if err != nil {
				bad.Add(1)
				return
			}
			defer r.Body.Close()
			frames := readSSE(t, r.Body)
			// 1 role frame + 64 content + finish + usage + [DONE]
			if len(frames) < 66 || frames[len(frames)-1] != "[DONE]" {
				bad.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := bad.Load(); n > 0 {
		t.Fatalf("%d of 48 streams were cut or failed", n)
	}
}

func TestNoProviderKeyLeaksUnderAnyFailure(t *testing.T) {
	// An upstream that echoes the key it received, in body and headers, on every answer.
	up := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got := r.Header.Get("Authorization")
		w.Header().Set("X-Request-Id", got) // allowlisted header carrying the secret
		w.Header().Set("X-Echo", got)
		body, _ := io.ReadAll(r.Body)
		switch {
		case strings.Contains(string(body), "stream"):
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprintf(w, "data: {\"choices\":[],\"note\":%q}\n\n", got)
		case strings.Contains(string(body), "fail401"):
			w.WriteHeader(401)
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error","code":"invalid_api_key"}}`, got)
		default:
			w.WriteHeader(500)
			fmt.Fprintf(w, `not json, key was %s`, got)
		}
	})
	e := newEnv(t, envOptions{upstream: up, extra: "timeouts:\n  first_byte: 200ms"})
	key := e.newKey(t, "app", nil)
	var seen strings.Builder
	for _, body := range []string{
		`{"model":"mini","messages":"fail401"}`,
		`{"model":"mini","messages":"fail500"}`,
		`{"model":"mini","stream":true}`,
		`{"model":"nope"}`,
		`{"model":`,
	} {
		r := e.post(t, "/v1/chat/completions", key, body, nil)
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		seen.Write(b)
		for k, v := range r.Header {
			seen.WriteString(k + ": " + strings.Join(v, ",") + "\n")
		}
	}
	c := e.client(key)
	_, err := c.Chat.Completions.New(context.Background(), userMsg("fail401"))
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 401 {
		t.Fatalf("err = %v", err)
	}
	seen.WriteString(err.Error())
	time.Sleep(50 * time.Millisecond)
	seen.WriteString(e.logs.String())
	secret := strings.TrimPrefix(providerKey, "sk-")
	if strings.Contains(seen.String(), secret) {
		t.Fatalf("provider key leaked:\n%s", seen.String())
	}
}
