package main

import (
	"io"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		check   func(t *testing.T, o *options)
		wantErr string
	}{
		{"defaults follow the brief", nil, func(t *testing.T, o *options) {
			if o.nUnary != 2000 || o.nStream != 300 || o.concurrency != 64 || o.duration != 5*time.Second ||
				o.warmup != time.Second || o.chunks != 256 {
				t.Errorf("defaults = %+v", o)
			}
			if !slices.Equal(o.targets, allTargets) || !slices.Equal(o.modes, allModes) {
				t.Errorf("targets %v modes %v", o.targets, o.modes)
			}
			if len(o.bodies) != 2 || o.bodies[0].size != 1024 || o.bodies[1].size != 50*1024 {
				t.Errorf("bodies = %v", o.bodies)
			}
		}, ""},
		{"quick shortens the runs", []string{"--quick"}, func(t *testing.T, o *options) {
			if o.nUnary >= 2000 || o.nStream >= 300 || o.duration != time.Second || o.warmup >= time.Second {
				t.Errorf("quick = %+v", o)
			}
		}, ""},
		{"quick keeps explicit values", []string{"--quick", "--n-unary", "777", "--duration", "3s"}, func(t *testing.T, o *options) {
			if o.nUnary != 777 || o.duration != 3*time.Second || o.nStream >= 300 {
				t.Errorf("quick with overrides = %+v", o)
			}
		}, ""},
		{"lists keep the canonical order", []string{"--only", "nexus, direct", "--modes", "stream", "--bodies", "2048,4K"}, func(t *testing.T, o *options) {
			if !slices.Equal(o.targets, []string{"direct", "nexus"}) || !slices.Equal(o.modes, []string{"stream"}) {
				t.Errorf("targets %v modes %v", o.targets, o.modes)
			}
			if len(o.bodies) != 2 || o.bodies[0] != (bodySpec{"2048", 2048}) || o.bodies[1] != (bodySpec{"4K", 4096}) {
				t.Errorf("bodies = %v", o.bodies)
			}
		}, ""},
		{"unknown target", []string{"--only", "envoy"}, nil, `unknown "envoy"`},
		{"unknown mode", []string{"--modes", "batch"}, nil, `unknown "batch"`},
		{"empty target list", []string{"--only", ","}, nil, "empty list"},
		{"bad body size", []string{"--bodies", "1m"}, nil, "bad size"},
		{"zero body size", []string{"--bodies", "0k"}, nil, "bad size"},
		{"zero concurrency", []string{"-c", "0"}, nil, "at least 1"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
		{"quotas in the gateway", []string{"--quotas", "memory"}, func(t *testing.T, o *options) {
			if o.quotas != quotasMemory {
				t.Errorf("quotas = %q", o.quotas)
			}
		}, ""},
		{"quotas in Redis", []string{"--quotas", "redis://:pw@127.0.0.1:6379/0"}, func(t *testing.T, o *options) {
			if o.quotas != "redis://:pw@127.0.0.1:6379/0" {
				t.Errorf("quotas = %q", o.quotas)
			}
		}, ""},
		{"quotas neither", []string{"--quotas", "postgres://secret@db"}, nil, "--quotas: want memory"},
		{"quota mode lease", []string{"--quotas", "redis://127.0.0.1:6379/0", "--quota-mode", "lease"}, func(t *testing.T, o *options) {
			if o.quotaMode != "lease" {
				t.Errorf("quotaMode = %q", o.quotaMode)
			}
		}, ""},
		{"quota mode default", []string{"--quotas", "redis://127.0.0.1:6379/0"}, func(t *testing.T, o *options) {
			if o.quotaMode != "exact" {
				t.Errorf("quotaMode = %q, want exact", o.quotaMode)
			}
		}, ""},
		{"quota mode unknown", []string{"--quotas", "redis://127.0.0.1:6379/0", "--quota-mode", "lazy"}, nil, `--quota-mode: want exact or lease, got "lazy"`},
		{"quota mode lease in memory", []string{"--quotas", "memory", "--quota-mode", "lease"}, nil, "--quota-mode lease needs --quotas redis://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseOptions(tt.args, io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "secret") {
					t.Errorf("error %q quotes a value that may hold a password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}
