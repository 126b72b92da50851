package quota

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/nexus-gateway/nexus/internal/config"
	"github.com/nexus-gateway/nexus/internal/pipeline"
)

// axis is one limited dimension of a rule.
type axis uint8

const (
	axisRPM      axis = iota // requests, fixed UTC minute
	axisTPM                  // input+output tokens, fixed UTC minute
	axisUSDDay               // micro-dollars, UTC day
	axisUSDMonth             // micro-dollars, UTC calendar month
	numAxes
)

var axisNames = [numAxes]string{"rpm", "tpm", "usd_per_day", "usd_per_month"}

func (a axis) String() string { return axisNames[a] }

func (a axis) usd() bool { return a == axisUSDDay || a == axisUSDMonth }

// window returns the id of the fixed window holding t. Ids are ordered in
// time, so a larger id is a later window.
func (a axis) window(t time.Time) int64 {
	t = t.UTC()
	switch a {
	case axisUSDDay:
		return floorDiv(t.Unix(), 86400)
	case axisUSDMonth:
		return int64(t.Year())*12 + int64(t.Month()) - 1
	default:
		return floorDiv(t.Unix(), 60)
	}
}

// end returns when window id of this axis closes (its reset time).
func (a axis) end(id int64) time.Time {
	switch a {
	case axisUSDDay:
		return time.Unix((id+1)*86400, 0).UTC()
	case axisUSDMonth:
		next := id + 1
		return time.Date(int(floorDiv(next, 12)), time.Month(next-floorDiv(next, 12)*12+1), 1, 0, 0, 0, 0, time.UTC)
	default:
		return time.Unix((id+1)*60, 0).UTC()
	}
}

// label renders window id for a Redis key: "m29541234" (unix minute),
// "2026-05-07" or "2026-05", readable by an operator inspecting Redis.
func (a axis) label(id int64) string {
	switch a {
	case axisUSDDay:
		return time.Unix(id*86400, 0).UTC().Format(time.DateOnly)
	case axisUSDMonth:
		return fmt.Sprintf("%04d-%02d", floorDiv(id, 12), id-floorDiv(id, 12)*12+1)
	default:
		return "m" + strconv.FormatInt(id, 10)
	}
}

// retention is how long a counter outlives its window: long enough for the
// settlement of a request admitted just before the reset (streams last up to
// the total upstream timeout) to land on a live key.
func (a axis) retention() time.Duration {
	if a.usd() {
		return time.Hour
	}
	return 15 * time.Minute
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// rule is a configured rule compiled for the request path.
type rule struct {
	idx           int
	name          string
	label         string // scope label; "" = scope key
	scope         string // as configured, for messages
	keyGlobs      []string
	labels        map[string]string
	limits        [numAxes]int64 // 0 = axis not limited
	soft          int64          // percent; 0 = no warning
	downgradeTo   string
	allowUnpriced bool
	usdLimited    bool
	// redisPfx[a] is the start of this rule's Redis keys on axis a,
	// "nexus:quota:<rule>:<axis>:", built once rather than per request.
	redisPfx [numAxes]string
}

func compileRules(in []config.QuotaRule) ([]*rule, error) {
	out := make([]*rule, 0, len(in))
	seen := map[string]bool{}
	for i, c := range in {
		r := &rule{idx: i, name: c.Name, scope: c.Scope, keyGlobs: c.Match.Keys, labels: c.Match.Labels,
			soft: int64(c.SoftPercent), allowUnpriced: c.AllowUnpriced}
		switch {
		case c.Name == "" || seen[c.Name]:
			return nil, fmt.Errorf("quota: rule %d: missing or duplicate name %q", i, c.Name)
		case c.Scope == config.QuotaScopeKey:
		case strings.HasPrefix(c.Scope, config.QuotaScopeLabelPrefix) && c.ScopeLabel() != "":
			r.label = c.ScopeLabel()
		default:
			return nil, fmt.Errorf("quota: rule %q: invalid scope %q", c.Name, c.Scope)
		}
		seen[c.Name] = true
		switch c.Action {
		case config.QuotaActionReject, "":
		case config.QuotaActionDowngrade:
			if c.DowngradeTo == "" {
				return nil, fmt.Errorf("quota: rule %q: downgrade needs downgrade_to", c.Name)
			}
			r.downgradeTo = c.DowngradeTo
		default:
			return nil, fmt.Errorf("quota: rule %q: invalid action %q", c.Name, c.Action)
		}
		if c.RPM < 0 || c.TPM < 0 || c.USDPerDay < 0 || c.USDPerMonth < 0 {
			return nil, fmt.Errorf("quota: rule %q: negative limit", c.Name)
		}
		r.limits[axisRPM] = c.RPM
		r.limits[axisTPM] = c.TPM
		r.limits[axisUSDDay] = usdToMicros(c.USDPerDay)
		r.limits[axisUSDMonth] = usdToMicros(c.USDPerMonth)
		r.usdLimited = r.limits[axisUSDDay] > 0 || r.limits[axisUSDMonth] > 0
		if r.limits == [numAxes]int64{} {
			return nil, fmt.Errorf("quota: rule %q sets no limit", c.Name)
		}
		for a := axis(0); a < numAxes; a++ {
			r.redisPfx[a] = keyPrefix + r.name + ":" + a.String() + ":"
		}
		out = append(out, r)
	}
	return out, nil
}

// usdToMicros converts a USD amount to integer micro-dollars, the unit every
// sum is kept in so nothing drifts.
func usdToMicros(usd float64) int64 { return int64(math.Round(usd * 1e6)) }

// subject returns whose budget this rule charges for key, and whether the
// rule applies to the key at all: its filters must match, and a label scope
// needs the key to carry that label.
func (r *rule) subject(k *pipeline.Key) (string, bool) {
	if len(r.keyGlobs) > 0 {
		matched := false
		for _, g := range r.keyGlobs {
			if glob(g, k.Name) {
				matched = true
				break
			}
		}
		if !matched {
			return "", false
		}
	}
	for name, want := range r.labels {
		if v, ok := k.Labels[name]; !ok || v != want {
			return "", false
		}
	}
	if r.label == "" {
		return k.ID, k.ID != ""
	}
	v := k.Labels[r.label]
	return v, v != ""
}

// describe names the subject in messages: "key k_123" or "label team=search".
func (r *rule) describe(subject string) string {
	if r.label == "" {
		return "key " + subject
	}
	return "label " + r.label + "=" + subject
}

// glob matches s against pattern where '*' is any run of characters,
// anchored at both ends; nothing else is special (key names hold dots).
func glob(pattern, s string) bool {
	p, i := 0, 0
	star, mark := -1, 0
	for i < len(s) {
		switch {
		case p < len(pattern) && pattern[p] == '*':
			star, mark = p, i
			p++
		case p < len(pattern) && pattern[p] == s[i]:
			p++
			i++
		case star >= 0:
			p = star + 1
			mark++
			i = mark
		default:
			return false
		}
	}
	for p < len(pattern) && pattern[p] == '*' {
		p++
	}
	return p == len(pattern)
}
