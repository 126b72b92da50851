package audit

import (
	"encoding/json"
	"net/http"
	"reflect"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

func TestFromExchange(t *testing.T) {
	start := time.Date(2026, 5, 14, 10, 0, 0, 0, time.UTC)
	end := start.Add(1234 * time.Millisecond)
	labels := map[string]string{"team": "search"}
	full := func() *pipeline.Exchange {
		return &pipeline.Exchange{
			ID: "req-1", Start: start, Ingress: pipeline.ShapeAnthropic, Endpoint: pipeline.EndpointChat, Stream: true,
			Key:      &pipeline.Key{ID: "k1", Name: "bot", Prefix: "nvk_00000001", Labels: labels},
			Header:   http.Header{"X-Request-Id": {"client-7"}},
			Model:    "fast",
			Target:   pipeline.Target{Provider: "openai", Model: "gpt-4o-mini", UpstreamModel: "gpt-4o-mini-2024-07-18"},
			Attempts: 2, UpstreamTTFB: 250 * time.Millisecond,
			Usage: &canonical.Usage{InputTokens: 10, OutputTokens: 5, CacheReadTokens: 2, ReasoningTokens: 1},
		}
	}
	tests := []struct {
		name   string
		x      func() *pipeline.Exchange
		status int
		code   string
		want   Record
	}{
		{
			name: "served", x: full, status: 200,
			want: Record{ID: "req-1", ClientRequestID: "client-7", Time: start, KeyID: "k1", KeyName: "bot", KeyPrefix: "nvk_00000001",
				Labels: labels, Ingress: "anthropic", Endpoint: "chat", Stream: true, RequestedModel: "fast", RoutedModel: "gpt-4o-mini",
				Provider: "openai", UpstreamModel: "gpt-4o-mini-2024-07-18", Attempts: 2, Status: 200, Latency: 1234 * time.Millisecond,
				TTFT: 250 * time.Millisecond, Usage: canonical.Usage{InputTokens: 10, OutputTokens: 5, CacheReadTokens: 2, ReasoningTokens: 1}},
		},
		{
			name: "quota downgrade keeps what the caller asked for",
			x: func() *pipeline.Exchange {
				x := full()
				x.Model = "gpt-4o-mini"
				x.SetHeader(OriginalModelHeader, "gpt-4o")
				return x
			},
			status: 200,
			want: Record{ID: "req-1", ClientRequestID: "client-7", Time: start, KeyID: "k1", KeyName: "bot", KeyPrefix: "nvk_00000001",
				Labels: labels, Ingress: "anthropic", Endpoint: "chat", Stream: true, RequestedModel: "gpt-4o", RoutedModel: "gpt-4o-mini",
				Provider: "openai", UpstreamModel: "gpt-4o-mini-2024-07-18", Attempts: 2, Status: 200, Latency: 1234 * time.Millisecond,
				TTFT: 250 * time.Millisecond, Usage: canonical.Usage{InputTokens: 10, OutputTokens: 5, CacheReadTokens: 2, ReasoningTokens: 1}},
		},
		{
			name: "refused before auth: no key, no usage",
			x: func() *pipeline.Exchange {
				return &pipeline.Exchange{ID: "req-2", Start: start, Ingress: pipeline.ShapeOpenAI, Endpoint: pipeline.EndpointChat}
			},
			status: 401, code: "AUTH_INVALID_KEY",
			want: Record{ID: "req-2", Time: start, Ingress: "openai", Endpoint: "chat", Status: 401, ErrorCode: "AUTH_INVALID_KEY", Latency: 1234 * time.Millisecond},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := FromExchange(tt.x(), tt.status, tt.code, end)
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got  %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestRowRoundsTimesUp(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want int64
	}{
		{0, 0},
		{-time.Second, 0},
		{time.Nanosecond, 1},
		{time.Millisecond, 1},
		{time.Millisecond + 1, 2},
		{1999 * time.Microsecond, 2},
		{3 * time.Second, 3000},
	}
	for _, tt := range tests {
		r := Record{Latency: tt.d, TTFT: tt.d}
		row := r.row()
		if row.LatencyMS != tt.want || row.TTFTMS != tt.want {
			t.Errorf("%v → latency %d ms, ttft %d ms, want %d", tt.d, row.LatencyMS, row.TTFTMS, tt.want)
		}
	}
}

func TestRecordSpoolLineRoundTrips(t *testing.T) {
	// The spool line format is Record's JSON: everything must survive it.
	r := Record{
		ID: "req-1", ClientRequestID: "c", Time: time.Date(2026, 5, 14, 10, 0, 0, 123456789, time.UTC),
		KeyID: "k", KeyName: "n", KeyPrefix: "p", Labels: map[string]string{"a": "b"}, Ingress: "gemini", Endpoint: "chat",
		Stream: true, RequestedModel: "m", RoutedModel: "m2", Provider: "p", UpstreamModel: "u", Attempts: 3, Status: 502,
		ErrorCode: "upstream_error", Latency: 5 * time.Second, TTFT: time.Second,
		Usage:      canonical.Usage{InputTokens: 1, OutputTokens: 2, CacheReadTokens: 3, CacheWriteTokens: 4, ReasoningTokens: 5},
		CostMicros: 99, CostKnown: true, CostUnpriced: false, Cache: "hit", Hooks: json.RawMessage(`{"x":1}`),
		RequestBody: []byte{0, 1, 2, 0xff}, ResponseBody: []byte("ok"), BodiesTruncated: true,
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back Record
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, r) {
		t.Fatalf("round trip\n%+v\nwant\n%+v", back, r)
	}
}
