package main

import (
	"encoding/binary"
	"os"
	"strings"
	"testing"
)

func TestStatCPUTicksSumsUserAndSystemTime(t *testing.T) {
	// Fields after the name: state ppid pgrp session tty tpgid flags minflt
	// cminflt majflt cmajflt utime stime …
	rest := " S 1 2 3 0 -1 4194560 100 0 0 0 %s %s 0 0 20 0 4 0 99 1000 200"
	line := func(name, u, s string) string {
		return "1234 (" + name + ")" + strings.Replace(strings.Replace(rest, "%s", u, 1), "%s", s, 1)
	}
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		{"plain name", line("nexus", "150", "25"), 175, false},
		{"name with spaces and parens", line("a b) (c", "7", "3"), 10, false},
		{"zero", line("x", "0", "0"), 0, false},
		{"no name", "1234 nexus S 1 2", 0, true},
		{"truncated", "1234 (nexus) S 1 2 3", 0, true},
		{"not a number", line("x", "abc", "1"), 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := statCPUTicks([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("ticks = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestAuxvValueFindsTagBeforeTerminator(t *testing.T) {
	vec := func(word int, pairs ...uint64) []byte {
		b := make([]byte, 0, len(pairs)*word)
		for _, v := range pairs {
			if word == 4 {
				b = binary.NativeEndian.AppendUint32(b, uint32(v))
			} else {
				b = binary.NativeEndian.AppendUint64(b, v)
			}
		}
		return b
	}
	tests := []struct {
		name string
		word int
		in   []byte
		want uint64
	}{
		{"64-bit", 8, vec(8, 6, 4096, atClkTck, 100, 0, 0), 100},
		{"32-bit", 4, vec(4, atClkTck, 250, 0, 0), 250},
		{"missing", 8, vec(8, 6, 4096, 0, 0), 0},
		{"after AT_NULL is ignored", 8, vec(8, 0, 0, atClkTck, 100), 0},
		{"truncated pair", 8, vec(8, 6, 4096, atClkTck)[:20], 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := auxvValue(tt.in, atClkTck, tt.word); got != tt.want {
				t.Errorf("auxvValue = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCPUClockReadsThisProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system")
	}
	c := newCPUClock()
	if c.hz <= 0 {
		t.Fatalf("hz = %d", c.hz)
	}
	before, err := c.used(0)
	if err != nil {
		t.Fatal(err)
	}
	// Burn CPU until the tick counter moves; a test process that cannot
	// see its own CPU time would loop to the deadline and fail.
	x := uint64(1)
	for i := 0; ; i++ {
		x = x*6364136223846793005 + 1442695040888963407
		if i%1_000_000 == 0 {
			after, err := c.used(os.Getpid())
			if err != nil {
				t.Fatal(err)
			}
			if after > before {
				break
			}
			if i > 2_000_000_000 {
				t.Fatalf("CPU time did not move (%v) %d", after, x)
			}
		}
	}
}

func TestStatBusyTicksCountsOnlyProcessTime(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    int64
		wantErr bool
	}{
		// user nice system idle iowait irq softirq steal guest guest_nice
		{"typical", "cpu  100 2 30 5000 40 1 6 7 0 0\ncpu0 50 1 15 2500 20 0 3 3 0 0\n", 132, false},
		{"idle, irq and steal only", "cpu  0 0 0 9999 99 5 6 7 0 0\n", 0, false},
		{"per-cpu line first", "cpu0 1 2 3 4 5 6 7 8 9 10\n", 0, true},
		{"short", "cpu  1 2 3\n", 0, true},
		{"negative", "cpu  1 -2 3 4 5 6 7 8 9 10\n", 0, true},
		{"garbage", "cpu  1 x 3 4 5 6 7 8 9 10\n", 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := statBusyTicks([]byte(tt.in))
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("statBusyTicks = %d, %v; want %d, err %v", got, err, tt.want, tt.wantErr)
			}
		})
	}
}
