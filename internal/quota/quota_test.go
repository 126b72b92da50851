package quota

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

var (
	keyA  = &pipeline.Key{ID: "k_a", Name: "team-a", Labels: map[string]string{"team": "search", "env": "prod"}}
	noon  = time.Date(2026, 5, 7, 12, 0, 20, 0, time.UTC)
	limit = map[string]config.QuotaRule{ // four 200-token, 1250 µ$ gpt-4o requests fill each
		"rpm":           {RPM: 4},
		"tpm":           {TPM: 800},
		"usd_per_day":   {USDPerDay: 0.005},
		"usd_per_month": {USDPerMonth: 0.005},
	}
	resetAt = map[string]time.Time{
		"rpm":           time.Date(2026, 5, 7, 12, 1, 0, 0, time.UTC),
		"tpm":           time.Date(2026, 5, 7, 12, 1, 0, 0, time.UTC),
		"usd_per_day":   time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC),
		"usd_per_month": time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC),
	}
	axisList = []string{"rpm", "tpm", "usd_per_day", "usd_per_month"}
)

func rules(rs ...config.QuotaRule) config.Quotas {
	return config.Quotas{DefaultOutputTokens: 1024, Rules: rs}
}

// axisRule returns the rule limiting only axis, named "r".
func axisRule(axis string, soft int) config.QuotaRule {
	r := limit[axis]
	r.Name, r.Scope, r.SoftPercent = "r", "key", soft
	return r
}

// Every request here is 400 bytes (100 input tokens) with max_tokens 100,
// and the upstream reports exactly that: 200 tokens, 1250 µ$ on gpt-4o.
func serveOne(t *testing.T, s *Stage, up *upstream, model string) (*pipeline.Exchange, error) {
	t.Helper()
	x := request(t, keyA, model, 400, 100)
	resp, err := s.Serve(context.Background(), x, up)
	if err == nil && resp == nil {
		t.Fatal("nil response without error")
	}
	return x, err
}

func TestHardLimitPerAxisRejectsWithRetryAfterAtReset(t *testing.T) {
	for _, ax := range axisList {
		t.Run(ax, func(t *testing.T) {
			clk := newClock(noon)
			s := mustStage(t, rules(axisRule(ax, 50)), clk.now)
			up := &upstream{usage: fixedUsage(100, 100)}
			for i := 1; i <= 4; i++ {
				x, err := serveOne(t, s, up, "gpt-4o")
				if err != nil {
					t.Fatalf("request %d: %v", i, err)
				}
				warn := x.ResponseHeader.Get(HeaderWarning)
				if (i >= 2) != (warn != "") { // 2 of 4 is the 50% soft threshold
					t.Errorf("request %d: warning %q; want one from the 2nd request on", i, warn)
				}
				if i >= 2 && !strings.Contains(warn, ax) {
					t.Errorf("request %d: warning %q does not name the axis %s", i, warn, ax)
				}
			}
			x, err := serveOne(t, s, up, "gpt-4o")
			e := quotaErr(t, err)
			if e.Status != 429 || e.Code != CodeExceeded || e.Kind != "rate_limited" {
				t.Fatalf("5th request: %d %s %s, want 429 QUOTA_EXCEEDED rate_limited", e.Status, e.Code, e.Kind)
			}
			if want := resetAt[ax].Sub(noon); e.RetryAfter != want {
				t.Errorf("RetryAfter = %v, want %v (until the window resets)", e.RetryAfter, want)
			}
			if !strings.Contains(e.Message, "key quota exceeded: key k_a") || !strings.Contains(e.Message, "rule r") {
				t.Errorf("message %q does not name the key and rule", e.Message)
			}
			if up.calls.Load() != 4 {
				t.Errorf("upstream called %d times, want 4 (a rejection makes no upstream call)", up.calls.Load())
			}
			if x.Model != "gpt-4o" || x.ResponseHeader.Get(HeaderDowngrade) != "" {
				t.Errorf("a rejected request was rewritten: model %q", x.Model)
			}
			if st := s.Stats(); st.Rejected != 1 || st.Checked != 5 || st.Warned != 3 {
				t.Errorf("stats = %+v, want 5 checked, 1 rejected, 3 warned", st)
			}
		})
	}
}

func TestDowngradePerAxis(t *testing.T) {
	tests := []struct {
		axis      string
		limit     config.QuotaRule
		downgrade bool // the 5th request fits on gpt-4o-mini (75 µ$)
	}{
		// Requests and tokens do not shrink with a cheaper model: nothing is affordable.
		{"rpm", config.QuotaRule{RPM: 4}, false},
		{"tpm", config.QuotaRule{TPM: 800}, false},
		// 100 µ$ of headroom after four gpt-4o requests: one mini request (75 µ$) fits, a second does not.
		{"usd_per_day", config.QuotaRule{USDPerDay: 0.0051}, true},
		{"usd_per_month", config.QuotaRule{USDPerMonth: 0.0051}, true},
	}
	for _, tt := range tests {
		t.Run(tt.axis, func(t *testing.T) {
			r := tt.limit
			r.Name, r.Scope, r.Action, r.DowngradeTo = "r", "key", "downgrade", "gpt-4o-mini"
			s := mustStage(t, rules(r), newClock(noon).now)
			up := &upstream{usage: fixedUsage(100, 100)}
			for i := 0; i < 4; i++ {
				if x, err := serveOne(t, s, up, "gpt-4o"); err != nil || x.ResponseHeader.Get(HeaderDowngrade) != "" {
					t.Fatalf("request %d within the limit: err %v, downgrade %q", i+1, err, x.ResponseHeader.Get(HeaderDowngrade))
				}
			}
			x, err := serveOne(t, s, up, "gpt-4o")
			if tt.downgrade {
				if err != nil {
					t.Fatalf("5th request: %v, want a downgrade", err)
				}
				if up.lastModel() != "gpt-4o-mini" || x.Model != "gpt-4o-mini" {
					t.Errorf("upstream saw %q (x.Model %q), want gpt-4o-mini", up.lastModel(), x.Model)
				}
				if x.ResponseHeader.Get(HeaderDowngrade) != "true" || x.ResponseHeader.Get(HeaderOriginalModel) != "gpt-4o" {
					t.Errorf("headers = %v", x.ResponseHeader)
				}
				if got := used(t, s, keyA, "r", tt.axis); got != 4*1250+75 {
					t.Errorf("%s used = %d µ$, want %d (four gpt-4o and one mini request)", tt.axis, got, 4*1250+75)
				}
				_, err = serveOne(t, s, up, "gpt-4o") // 25 µ$ left: not even mini fits
			}
			e := quotaErr(t, err)
			if e.Status != 429 || e.Code != CodeExceeded || !strings.HasPrefix(e.Message, "no affordable model available: ") {
				t.Errorf("error = %d %s %q, want 429 QUOTA_EXCEEDED no affordable model", e.Status, e.Code, e.Message)
			}
			if x.Model == "" {
				t.Fatal("model cleared")
			}
		})
	}
}

func TestDowngradeToUnpricedModelIsNotAffordable(t *testing.T) {
	r := config.QuotaRule{Name: "r", Scope: "key", USDPerDay: 0.001, Action: "downgrade", DowngradeTo: "mystery"}
	s := mustStage(t, rules(r), newClock(noon).now)
	_, err := serveOne(t, s, &upstream{usage: fixedUsage(100, 100)}, "gpt-4o") // 1250 µ$ > 1000
	if e := quotaErr(t, err); e.Code != CodeExceeded || !strings.Contains(e.Message, "no affordable model") {
		t.Errorf("error = %s %q", e.Code, e.Message)
	}
}

func TestWindowsRollOverAtUTCBoundaries(t *testing.T) {
	tests := []struct {
		axis         string
		start, reset time.Time
	}{
		{"rpm", time.Date(2026, 5, 7, 23, 59, 30, 0, time.UTC), time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC)},
		{"tpm", time.Date(2026, 5, 7, 10, 14, 0, 0, time.UTC), time.Date(2026, 5, 7, 10, 15, 0, 0, time.UTC)},
		{"usd_per_day", time.Date(2026, 2, 28, 8, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		{"usd_per_month", time.Date(2026, 12, 15, 8, 0, 0, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)},
		// A clock in another zone changes nothing: periods are UTC.
		{"usd_per_day", time.Date(2026, 5, 7, 20, 0, 0, 0, time.FixedZone("PDT", -7*3600)), time.Date(2026, 5, 9, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.axis+"@"+tt.start.Format(time.RFC3339), func(t *testing.T) {
			clk := newClock(tt.start)
			s := mustStage(t, rules(axisRule(tt.axis, 0)), clk.now)
			up := &upstream{usage: fixedUsage(100, 100)}
			for i := 0; i < 4; i++ {
				if _, err := serveOne(t, s, up, "gpt-4o"); err != nil {
					t.Fatalf("request %d: %v", i+1, err)
				}
			}
			_, err := serveOne(t, s, up, "gpt-4o")
			if e := quotaErr(t, err); e.RetryAfter != tt.reset.Sub(tt.start) {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tt.reset.Sub(tt.start))
			}
			clk.set(tt.reset.Add(-time.Nanosecond))
			if _, err := serveOne(t, s, up, "gpt-4o"); err == nil {
				t.Error("admitted 1ns before the reset")
			}
			clk.set(tt.reset)
			if _, err := serveOne(t, s, up, "gpt-4o"); err != nil {
				t.Errorf("at the reset: %v, want a fresh window", err)
			}
			if tt.axis == "rpm" {
				if got := used(t, s, keyA, "r", "rpm"); got != 1 {
					t.Errorf("rpm used in the new window = %d, want 1", got)
				}
			}
		})
	}
}

func TestUnpricedModels(t *testing.T) {
	tests := []struct {
		name    string
		rule    config.QuotaRule
		model   string
		wantErr string // "" = admitted
		usd     int64  // USD counter after the request (when the rule has one)
	}{
		{"unpriced under a USD limit is refused", config.QuotaRule{USDPerDay: 1}, "mystery", CodeUnpriced, 0},
		{"allow_unpriced admits and charges nothing", config.QuotaRule{USDPerDay: 1, AllowUnpriced: true}, "mystery", "", 0},
		{"a rule without a USD limit does not need a price", config.QuotaRule{RPM: 5}, "mystery", "", -1},
		{"price 0 is free, not unpriced", config.QuotaRule{USDPerMonth: 1}, "free-model", "", 0},
		{"priced model is charged", config.QuotaRule{USDPerMonth: 1}, "gpt-4o", "", 1250},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := tt.rule
			r.Name, r.Scope = "r", "key"
			s := mustStage(t, rules(r), newClock(noon).now)
			up := &upstream{usage: fixedUsage(100, 100)}
			_, err := serveOne(t, s, up, tt.model)
			if tt.wantErr != "" {
				e := quotaErr(t, err)
				if e.Code != tt.wantErr || e.Status != 503 || !strings.Contains(e.Message, tt.model) {
					t.Errorf("error = %d %s %q", e.Status, e.Code, e.Message)
				}
				if up.calls.Load() != 0 || s.Stats().Unpriced != 1 {
					t.Errorf("upstream calls %d, stats %+v", up.calls.Load(), s.Stats())
				}
				return
			}
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
			if tt.usd >= 0 {
				ax := "usd_per_day"
				if r.USDPerMonth > 0 {
					ax = "usd_per_month"
				}
				if got := used(t, s, keyA, "r", ax); got != tt.usd {
					t.Errorf("%s used = %d, want %d", ax, got, tt.usd)
				}
			}
		})
	}
}

func TestLabelScopeSharesOneBudgetAndMatchFilters(t *testing.T) {
	team := config.QuotaRule{Name: "team", Scope: "label:team", RPM: 3}
	filtered := config.QuotaRule{Name: "ci-prod", Scope: "key", RPM: 1,
		Match: config.QuotaMatch{Keys: []string{"ci-*"}, Labels: map[string]string{"env": "prod"}}}
	s := mustStage(t, rules(team, filtered), newClock(noon).now)
	up := &upstream{usage: fixedUsage(10, 10)}
	k := func(id, name string, labels map[string]string) *pipeline.Key {
		return &pipeline.Key{ID: id, Name: name, Labels: labels}
	}
	a := k("a", "a", map[string]string{"team": "search"})
	b := k("b", "b", map[string]string{"team": "search"})
	c := k("c", "c", map[string]string{"team": "ads"})
	d := k("d", "d", nil)
	ciProd := k("e", "ci-1", map[string]string{"env": "prod"})
	ciDev := k("f", "ci-2", map[string]string{"env": "dev"})
	webProd := k("g", "web", map[string]string{"env": "prod"})
	steps := []struct {
		key   *pipeline.Key
		admit bool
	}{
		{a, true}, {b, true}, {a, true}, // team=search: 3 of 3
		{b, false},           // shared budget exhausted for every search key
		{c, true},            // team=ads has its own
		{d, true}, {d, true}, // no team label: the rule does not apply
		{ciProd, true},  // ci-* with env=prod: 1 rpm
		{ciProd, false}, //
		{ciDev, true},   // env=dev does not match
		{ciDev, true},   //
		{webProd, true}, // name does not match ci-*
		{webProd, true}, //
	}
	for i, st := range steps {
		_, err := s.Serve(context.Background(), request(t, st.key, "gpt-4o", 100, 10), up)
		if (err == nil) != st.admit {
			t.Fatalf("step %d (key %s): err = %v, want admitted=%v", i, st.key.Name, err, st.admit)
		}
		if err != nil && st.key == b && !strings.Contains(err.Error(), "label team=search") {
			t.Errorf("message %q does not name the label group", err)
		}
	}
	if got := used(t, s, a, "team", "rpm"); got != 3 {
		t.Errorf("team=search rpm = %d, want 3 (the refused request is not counted)", got)
	}
}

func TestUsedAndLimitHeadersReportKeyLevelUSD(t *testing.T) {
	pricey := fakePricer{"pricey": {10000, 10000}} // 200 tokens = $2
	q := rules(config.QuotaRule{Name: "r", Scope: "key", USDPerDay: 5, USDPerMonth: 100},
		config.QuotaRule{Name: "team", Scope: "label:team", USDPerDay: 1000})
	s, err := New(q, pricey, nil, newClock(noon).now)
	if err != nil {
		t.Fatal(err)
	}
	up := &upstream{usage: fixedUsage(50, 50)} // real cost $1
	x := request(t, keyA, "pricey", 400, 100)  // reserved $2
	if _, err := s.Serve(context.Background(), x, up); err != nil {
		t.Fatal(err)
	}
	// The day budget is the tighter of the key's two (1/5 > 1/100); the
	// label rule is not key-level. After settlement Used is the real cost.
	if x.ResponseHeader.Get(HeaderUsed) != "1.00" || x.ResponseHeader.Get(HeaderLimit) != "5.00" {
		t.Errorf("Used/Limit = %q/%q, want 1.00/5.00", x.ResponseHeader.Get(HeaderUsed), x.ResponseHeader.Get(HeaderLimit))
	}
	// A stream reports the state at admission (its estimate included).
	up.stream = true
	x = request(t, keyA, "pricey", 400, 100)
	resp, err := s.Serve(context.Background(), x, up)
	if err != nil {
		t.Fatal(err)
	}
	if x.ResponseHeader.Get(HeaderUsed) != "3.00" {
		t.Errorf("stream Used = %q, want 3.00 ($1 settled + $2 reserved)", x.ResponseHeader.Get(HeaderUsed))
	}
	drain(t, resp.Stream)
	if got := used(t, s, keyA, "r", "usd_per_day"); got != 2_000_000 {
		t.Errorf("usd_per_day after the stream = %d µ$, want 2000000", got)
	}
	// Rejections carry the state too.
	x = request(t, keyA, "pricey", 400, 100)
	up.usage = fixedUsage(150, 150) // $3: the day reaches exactly $5
	up.stream = false
	if _, err := s.Serve(context.Background(), x, up); err != nil {
		t.Fatal(err)
	}
	x = request(t, keyA, "pricey", 400, 100)
	if _, err := s.Serve(context.Background(), x, up); err == nil {
		t.Fatal("admitted over the day budget")
	}
	if x.ResponseHeader.Get(HeaderUsed) != "5.00" || x.ResponseHeader.Get(HeaderLimit) != "5.00" {
		t.Errorf("rejection Used/Limit = %q/%q, want 5.00/5.00", x.ResponseHeader.Get(HeaderUsed), x.ResponseHeader.Get(HeaderLimit))
	}
}
