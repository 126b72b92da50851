package quota

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/nexus-gateway/nexus/internal/canonical"
	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/fastpath"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// allAxes limits every axis far above what the tests use, so each counter
// can be read back.
var allAxes = config.QuotaRule{Name: "r", Scope: "key", RPM: 1000, TPM: 1_000_000, USDPerDay: 100, USDPerMonth: 1000}

type state struct{ rpm, tpm, day, month int64 }

func readState(t *testing.T, s *Stage) state {
	t.Helper()
	return state{used(t, s, keyA, "r", "rpm"), used(t, s, keyA, "r", "tpm"),
		used(t, s, keyA, "r", "usd_per_day"), used(t, s, keyA, "r", "usd_per_month")}
}

func TestSettlement(t *testing.T) {
	// Request: 400 bytes (100 input tokens), max_tokens 100: reserves 200 tokens and 1250 µ$ on gpt-4o.
	reserved := state{1, 200, 1250, 1250}
	tests := []struct {
		name string
		up   *upstream
		want state
	}{
		{"unary usage below the estimate charges the real usage",
			&upstream{usage: fixedUsage(80, 20)}, state{1, 100, 400, 400}},
		{"unary usage above the estimate charges the real usage",
			&upstream{usage: fixedUsage(300, 500)}, state{1, 800, 5750, 5750}},
		{"unary answer without usage keeps the estimate (never free)",
			&upstream{}, reserved},
		{"failed request releases all but the request count",
			&upstream{err: canonical.Errorf(canonical.KindUpstream, 502, "x", "boom")}, state{1, 0, 0, 0}},
		{"completed stream charges its final usage",
			&upstream{stream: true, usage: fixedUsage(90, 40)}, state{1, 130, 625, 625}},
		{"completed stream without usage keeps the estimate",
			&upstream{stream: true}, reserved},
		{"routed model without a price keeps the estimated cost but real tokens",
			&upstream{usage: func(x *pipeline.Exchange) *canonical.Usage {
				x.Target.Model = "mystery" // routing substituted an unpriced model
				return &canonical.Usage{InputTokens: 10, OutputTokens: 10}
			}}, state{1, 20, 1250, 1250}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := mustStage(t, rules(allAxes), newClock(noon).now)
			x := request(t, keyA, "gpt-4o", 400, 100)
			resp, err := s.Serve(context.Background(), x, tt.up)
			if tt.up.err != nil {
				if !errors.Is(err, tt.up.err) {
					t.Fatalf("error %v, want the upstream's", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if tt.up.stream {
				if got := readState(t, s); got != reserved {
					t.Errorf("while streaming: %+v, want the reservation %+v", got, reserved)
				}
				drain(t, resp.Stream)
			}
			if got := readState(t, s); got != tt.want {
				t.Errorf("after settlement: %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestStreamClosedEarlySettlesOnce(t *testing.T) {
	s := mustStage(t, rules(allAxes), newClock(noon).now)
	up := &upstream{stream: true, usage: fixedUsage(90, 40)}
	resp, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), up)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resp.Stream.Next(context.Background()); err != nil {
		t.Fatal(err)
	}
	// The client goes away: no usage was reported yet, so the reservation is released.
	if err := resp.Stream.Close(); err != nil {
		t.Fatal(err)
	}
	want := state{1, 0, 0, 0}
	if got := readState(t, s); got != want {
		t.Errorf("after early close: %+v, want %+v", got, want)
	}
	_ = resp.Stream.Close() // a second Close must not settle again
	if got := readState(t, s); got != want {
		t.Errorf("after a second close: %+v, want %+v", got, want)
	}
	if inner := resp.Stream.(*settlingStream).Stream.(*fakeStream); inner.closed != 2 {
		t.Errorf("inner stream closed %d times, want every Close passed through", inner.closed)
	}
}

func TestStreamFailingMidwayChargesUsageSoFar(t *testing.T) {
	s := mustStage(t, rules(allAxes), newClock(noon).now)
	inner := &failingStream{usage: &canonical.Usage{InputTokens: 100, OutputTokens: 0}}
	up := pipeline.HandlerFunc(func(_ context.Context, x *pipeline.Exchange) (*pipeline.Response, error) {
		x.Target.Model = x.Model
		return &pipeline.Response{Stream: inner}, nil
	})
	resp, err := s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), up)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := resp.Stream.Next(context.Background()); err == nil {
		t.Fatal("want the stream's error")
	}
	_ = resp.Stream.Close()
	// Anthropic reports input tokens at message_start: they are billed.
	if got, want := readState(t, s), (state{1, 100, 250, 250}); got != want {
		t.Errorf("after a failed stream: %+v, want %+v", got, want)
	}
}

type failingStream struct{ usage *canonical.Usage }

func (f *failingStream) Next(context.Context) (pipeline.Frame, error) {
	return pipeline.Frame{}, canonical.Errorf(canonical.KindUpstream, 502, "x", "upstream reset")
}
func (f *failingStream) Close() error            { return nil }
func (f *failingStream) Usage() *canonical.Usage { return f.usage }

func TestPanicInNextReleasesTheReservation(t *testing.T) {
	s := mustStage(t, rules(allAxes), newClock(noon).now)
	boom := pipeline.HandlerFunc(func(context.Context, *pipeline.Exchange) (*pipeline.Response, error) { panic("boom") })
	func() {
		defer func() {
			if recover() == nil {
				t.Error("the panic was swallowed")
			}
		}()
		_, _ = s.Serve(context.Background(), request(t, keyA, "gpt-4o", 400, 100), boom)
	}()
	if got, want := readState(t, s), (state{1, 0, 0, 0}); got != want {
		t.Errorf("after a panic: %+v, want %+v", got, want)
	}
}

func TestEstimateInputsAndDefaults(t *testing.T) {
	tests := []struct {
		name     string
		endpoint pipeline.Endpoint
		max      int
		want     int64 // tokens reserved
	}{
		{"max_tokens bounds the output", pipeline.EndpointChat, 300, 100 + 300},
		{"no max_tokens: default_output_tokens", pipeline.EndpointChat, 0, 100 + 512},
		{"embeddings have no output", pipeline.EndpointEmbeddings, 300, 100},
		{"responses: max_output_tokens bounds the output", pipeline.EndpointResponses, 300, 100 + 300},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := rules(allAxes)
			q.DefaultOutputTokens = 512
			s := mustStage(t, q, newClock(noon).now)
			x := request(t, keyA, "gpt-4o", 400, tt.max)
			x.Endpoint = tt.endpoint
			if tt.endpoint == pipeline.EndpointResponses {
				// The same request in the Responses shape, padded back to
				// 400 bytes: max_output_tokens is its output ceiling.
				body := bytes.Replace(x.Body, []byte(`"max_tokens"`), []byte(`"max_output_tokens"`), 1)
				body = bytes.Replace(body, []byte(`"messages"`), []byte(`"input"`), 1)
				body = bytes.Replace(body, []byte(strings.Repeat("a", len(body)-len(x.Body))+`"}]}`), []byte(`"}]}`), 1)
				fb, err := fastpath.Peek(body)
				if err != nil || len(body) != len(x.Body) {
					t.Fatalf("responses body %d bytes: %v", len(body), err)
				}
				x.Body, x.Fast, x.Ingress = body, &fb, pipeline.ShapeResponses
			}
			resp, err := s.Serve(context.Background(), x, &upstream{stream: true})
			if err != nil {
				t.Fatal(err)
			}
			if got := used(t, s, keyA, "r", "tpm"); got != tt.want {
				t.Errorf("reserved %d tokens, want %d", got, tt.want)
			}
			drain(t, resp.Stream)
		})
	}
}

func TestRequestsWithoutApplicableRulesPassThrough(t *testing.T) {
	s := mustStage(t, rules(config.QuotaRule{Name: "r", Scope: "label:team", RPM: 1}), newClock(noon).now)
	up := &upstream{usage: fixedUsage(1, 1)}
	for _, key := range []*pipeline.Key{nil, {ID: "x", Name: "x"}} {
		for i := 0; i < 3; i++ {
			x := request(t, keyA, "mystery", 100, 0)
			x.Key = key
			if _, err := s.Serve(context.Background(), x, up); err != nil {
				t.Fatalf("key %v: %v", key, err)
			}
			if len(x.ResponseHeader) != 0 {
				t.Errorf("headers set on an unlimited request: %v", x.ResponseHeader)
			}
		}
	}
	if st := s.Stats(); st.Checked != 0 {
		t.Errorf("stats = %+v, want nothing checked", st)
	}
	empty := mustStage(t, config.Quotas{}, nil)
	if empty.Enabled() || !s.Enabled() {
		t.Errorf("Enabled: empty %v, configured %v", empty.Enabled(), s.Enabled())
	}
}

func TestNewRefusesBadInput(t *testing.T) {
	tests := []struct {
		name   string
		q      config.Quotas
		pricer Pricer
	}{
		{"USD limit without a pricer", rules(config.QuotaRule{Name: "r", Scope: "key", USDPerDay: 1}), nil},
		{"bad scope", rules(config.QuotaRule{Name: "r", Scope: "team", RPM: 1}), testPrices},
		{"duplicate name", rules(config.QuotaRule{Name: "r", Scope: "key", RPM: 1}, config.QuotaRule{Name: "r", Scope: "key", RPM: 1}), testPrices},
		{"no limit", rules(config.QuotaRule{Name: "r", Scope: "key"}), testPrices},
		{"downgrade without a model", rules(config.QuotaRule{Name: "r", Scope: "key", RPM: 1, Action: "downgrade"}), testPrices},
		{"redis URL with a secret", config.Quotas{Redis: "http://:pw@h"}, testPrices},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.q, tt.pricer, nil, nil)
			if err == nil {
				_ = s.Close()
				t.Fatal("New succeeded")
			}
			if strings.Contains(err.Error(), "pw@") {
				t.Errorf("error leaks the URL: %v", err)
			}
		})
	}
}

func (f *failingStream) Ready() bool { return false }
