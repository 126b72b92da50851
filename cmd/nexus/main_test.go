package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func testEnv(dir string) func(string) string {
	return func(k string) string {
		if k == "NEXUS_CONFIG" {
			return filepath.Join(dir, "nexus.yaml")
		}
		return ""
	}
}

func writeConfig(t *testing.T, dir, body string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(dir, "nexus.yaml"), []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestKeysLifecycleFromTheCLI(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, fmt.Sprintf("database: sqlite://%s/n.db\nproviders: []\n", dir))
	env := testEnv(dir)
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"keys", "create", "--name", "svc", "--models", "gpt-4o*,claude-*", "--rpm", "60", "--label", "team=search", "--expires", "24h"}, nil, &out, &errb, env); code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	key := lines[len(lines)-1]
	if !strings.HasPrefix(key, "nvk_") || len(key) != 68 {
		t.Fatalf("last line is not the key alone: %q", key)
	}
	// The secret file was created beside the database, private.
	if st, err := os.Stat(filepath.Join(dir, "n.secret")); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("secret file: %v %v", st, err)
	}
	out.Reset()
	if code := run(context.Background(), []string{"keys", "list"}, nil, &out, &errb, env); code != 0 {
		t.Fatal(errb.String())
	}
	list := out.String()
	for _, want := range []string{"svc", key[:12], "enabled", "60", "gpt-4o*,claude-*", "team=search"} {
		if !strings.Contains(list, want) {
			t.Fatalf("list lacks %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, key) {
		t.Fatal("list printed the whole key")
	}
	for _, step := range []struct{ sub, state string }{{"disable", "disabled"}, {"enable", "enabled"}, {"revoke", "revoked"}} {
		out.Reset()
		if code := run(context.Background(), []string{"keys", step.sub, "svc"}, nil, &out, &errb, env); code != 0 {
			t.Fatalf("%s: %s", step.sub, errb.String())
		}
		out.Reset()
		run(context.Background(), []string{"keys", "list"}, nil, &out, &errb, env)
		if !strings.Contains(out.String(), step.state) {
			t.Fatalf("after %s: %s", step.sub, out.String())
		}
	}
	errb.Reset()
	if code := run(context.Background(), []string{"keys", "enable", "svc"}, nil, &out, &errb, env); code == 0 {
		t.Fatal("a revoked key was re-enabled")
	}
}

func TestServeRejectsBadConfigWithFileAndLine(t *testing.T) {
	dir := t.TempDir()
	writeConfig(t, dir, "listen: 127.0.0.1:0\nprovidrs: []\n")
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"serve"}, nil, &out, &errb, testEnv(dir))
	if code == 0 || !strings.Contains(errb.String(), "nexus.yaml:2") || !strings.Contains(errb.String(), "providrs") {
		t.Fatalf("exit %d, stderr %q", code, errb.String())
	}
}

func TestUnknownCommandAndVersion(t *testing.T) {
	var out, errb bytes.Buffer
	if code := run(context.Background(), []string{"frobnicate"}, nil, &out, &errb, testEnv(t.TempDir())); code != 2 {
		t.Fatalf("exit %d", code)
	}
	out.Reset()
	if code := run(context.Background(), []string{"version"}, nil, &out, &errb, testEnv(t.TempDir())); code != 0 || !strings.HasPrefix(out.String(), "nexus ") {
		t.Fatalf("version: %d %q", code, out.String())
	}
}

// TestGracefulShutdownLetsStreamsFinish: on SIGTERM (ctx cancelled) the
// server stops accepting but an in-flight stream runs to its end.
func TestGracefulShutdownLetsStreamsFinish(t *testing.T) {
	const frames = 10
	started := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i := 0; i < frames; i++ {
			fmt.Fprintf(w, "data: %d\n\n", i)
			w.(http.Flusher).Flush()
			if i == 0 {
				close(started)
			}
			time.Sleep(30 * time.Millisecond)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- runServer(ctx, &http.Server{Handler: h}, ln, 5*time.Second, slog.New(slog.DiscardHandler))
	}()
	resp, err := http.Get("http://" + ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	<-started
	cancel() // SIGTERM
	sc := bufio.NewScanner(resp.Body)
	var got []string
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			got = append(got, d)
		}
	}
	resp.Body.Close()
	if len(got) != frames+1 || got[frames] != "[DONE]" {
		t.Fatalf("stream was cut during shutdown: %v", got)
	}
	if err := <-done; err != nil {
		t.Fatalf("runServer: %v", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Fatal("still accepting after shutdown")
	}
}
