package main

import (
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/config"
)

// The quotas block the harness adds must be a valid gateway configuration
// that puts a quota on every request, with counters where --quotas says.
func TestQuotaConfigIsAValidGatewayConfig(t *testing.T) {
	base := `database: sqlite:///tmp/x.db
providers:
  - {name: mock, type: openai, base_url: http://127.0.0.1:1/v1, api_key: k}
models:
  - {name: gpt-4o-mini, provider: mock}
`
	getenv := func(k string) string {
		if k == "NEXUS_SECRET" {
			return strings.Repeat("ab", 32)
		}
		return ""
	}
	for _, tt := range []struct{ flag, mode, redis, wantMode, label string }{
		{"", "exact", "", config.QuotaModeExact, "off"},
		{quotasMemory, "exact", "", config.QuotaModeExact, "in the gateway"},
		{"redis://127.0.0.1:6399/0", "exact", "redis://127.0.0.1:6399/0", config.QuotaModeExact, "in Redis"},
		{"redis://127.0.0.1:6399/0", "lease", "redis://127.0.0.1:6399/0", config.QuotaModeLease, "in Redis, lease mode"},
	} {
		cfg, err := config.Parse("bench.yaml", []byte(quotaConfig(tt.flag, tt.mode)+base), getenv)
		if err != nil {
			t.Fatalf("--quotas %q: %v", tt.flag, err)
		}
		q := cfg.Quotas
		if tt.flag == "" {
			if len(q.Rules) != 0 {
				t.Errorf("--quotas off: %d rules", len(q.Rules))
			}
		} else if len(q.Rules) != 1 || q.Rules[0].Scope != "key" || q.Rules[0].RPM == 0 || q.Redis != tt.redis || q.RedisTimeout != 200*time.Millisecond || q.RedisMode != tt.wantMode {
			t.Errorf("--quotas %q: %+v", tt.flag, q)
		}
		if got := quotaLabel(tt.flag, tt.mode); !strings.Contains(got, tt.label) || strings.Contains(got, "6399") {
			t.Errorf("label %q for --quotas %q", got, tt.flag)
		}
	}
}
