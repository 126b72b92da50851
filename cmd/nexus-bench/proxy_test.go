package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http/httptest"
	"net/url"

	"github.com/nexus-gateway/nexus/internal/mockupstream"
	"strings"
	"testing"
)

func TestProxyRelaysEveryStreamWhole(t *testing.T) {
	up := httptest.NewServer(mockupstream.New(mockupstream.Options{}))
	defer up.Close()
	u, err := url.Parse(up.URL)
	if err != nil {
		t.Fatal(err)
	}
	var proxyLog bytes.Buffer
	px := httptest.NewServer(newProxyHandler(u, &proxyLog))
	defer px.Close()

	client := newClient(4)
	tests := []struct {
		name   string
		stream bool
		n      int
	}{
		{"unary", false, 50},
		// Many runs: without full duplex the cut is a race that hit about
		// one run of this test in three in-process (1 stream in 30 across
		// processes), so a regression is likely, not certain, to show.
		{"stream", true, 600},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWorker(client, &target{url: px.URL + "/v1/chat/completions", auth: "Bearer up"}, chatBody(2048, tt.stream, 64), tt.stream)
			for i := range tt.n {
				if s := w.do(context.Background()); s.err != nil {
					t.Fatalf("request %d: %v (proxy log: %s)", i, s.err, proxyLog.String())
				}
			}
		})
	}
}

func TestRunProxyRejectsBadTargets(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{nil, "--target is required"},
		{[]string{"--target", "127.0.0.1:9"}, "absolute URL"},
		{[]string{"--target", "http://127.0.0.1:9", "--listen", "256.0.0.1:0"}, "listen"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.args), func(t *testing.T) {
			err := runProxy(context.Background(), tt.args, io.Discard)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}
