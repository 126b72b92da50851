package config

import (
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	tests := []struct {
		in      string
		want    int64
		wantErr string
	}{
		{"33554432", 33554432, ""},
		{"0", 0, ""},
		{"32MiB", 32 << 20, ""},
		{"32 mib", 32 << 20, ""},
		{"512KB", 512_000, ""},
		{"512KiB", 512 << 10, ""},
		{"1GB", 1_000_000_000, ""},
		{"2GiB", 2 << 30, ""},
		{"1.5MiB", 3 << 19, ""},
		{"1TiB", 1 << 40, ""},
		{"100B", 100, ""},
		{" 10 MB ", 10_000_000, ""},
		{"", 0, "empty"},
		{"MiB", 0, "missing number"},
		{"10k", 0, "want bytes or a number with a unit"},
		{"10m", 0, "want bytes or a number with a unit"},
		{"ten MB", 0, "want bytes"},
		{"-1", 0, "negative"},
		{"-1KiB", 0, "negative"},
		{"-0.5KB", 0, "negative"},
		{"0x10", 0, "want bytes"},
		{"NaN MB", 0, "want bytes"},
		{"inf", 0, "want bytes"},
		{"9223372036854775807", 9223372036854775807, ""},
		{"9000000TiB", 0, "too large"},
		{"1e30B", 0, "too large"},
	}
	for _, tt := range tests {
		got, err := parseSize(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseSize(%q) = %d, %v; want error %q", tt.in, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
}

func TestHumanSizesInFile(t *testing.T) {
	tests := []struct {
		yaml string
		want int64
	}{
		{"limits: {max_body_bytes: 1048576}", 1 << 20},
		{"limits: {max_body_bytes: 0x100000}", 1 << 20},
		{"limits: {max_body_bytes: 512KB}", 512_000},
		{"limits: {max_body_bytes: \"64 MiB\"}", 64 << 20},
		{"limits: {max_body_bytes: 0}", DefaultMaxBodyBytes},
		{"limits: {}", DefaultMaxBodyBytes},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.yaml+"\n", nil)
		if c.Limits.MaxBodyBytes != tt.want {
			t.Errorf("%s: max_body_bytes = %d, want %d", tt.yaml, c.Limits.MaxBodyBytes, tt.want)
		}
	}
}
