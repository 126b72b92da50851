package config

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/goccy/go-yaml/ast"
)

// Quota defaults (docs/quotas.md).
const (
	DefaultQuotaRedisTimeout        = 50 * time.Millisecond
	DefaultQuotaOnRedisError        = QuotaFailOpen
	DefaultQuotaDefaultOutputTokens = 1024

	DefaultQuotaLeaseFraction = 0.05
	// MaxQuotaLeaseFraction keeps at least two leases per budget: one
	// replica can never take a whole budget in one lease.
	MaxQuotaLeaseFraction = 0.5

	QuotaModeExact = "exact" // every admission asks Redis (default)
	QuotaModeLease = "lease" // admissions are served from a per-replica lease of each budget

	QuotaFailOpen   = "fail-open"   // admit without a quota check when Redis cannot answer in time
	QuotaFailClosed = "fail-closed" // refuse with 503 when Redis cannot answer in time

	QuotaActionReject    = "reject"
	QuotaActionDowngrade = "downgrade"

	QuotaScopeKey         = "key"
	QuotaScopeLabelPrefix = "label:" // "label:team": one budget per value of the key label "team"

	// maxQuotaUSD keeps a budget, in micro-dollars, far inside int64 and
	// inside the 2^53 integers a Redis Lua number holds exactly.
	maxQuotaUSD = 1e9
)

// Quotas configures the quota stage (internal/quota, docs/quotas.md).
type Quotas struct {
	// Redis holds the counters shared by several gateway replicas:
	// "redis://[user:password@]host:port/db" or "rediss://…". "" = counters
	// in this process only. The URL is a secret (it may hold a password).
	Redis string
	// RedisTimeout bounds every Redis call a request waits on; default 50ms.
	RedisTimeout time.Duration
	// OnRedisError is what happens when Redis fails or is slower than
	// RedisTimeout: "fail-open" (default: admit, unreserved) or "fail-closed"
	// (refuse with 503 QUOTA_UNAVAILABLE).
	OnRedisError string
	// RedisMode is "exact" (default: every admission is one Redis call) or
	// "lease" (each replica serves admissions from a lease of every budget
	// it takes from Redis in slices; docs/quotas.md#lease-mode).
	RedisMode string
	// LeaseFraction is the share of a limit one lease takes, in (0, 0.5];
	// default 0.05. Only with RedisMode "lease".
	LeaseFraction float64
	// DefaultOutputTokens is the output a reservation assumes when the
	// request sets no max_tokens; default 1024.
	DefaultOutputTokens int
	Rules               []QuotaRule
}

// LogValue renders the quotas block for slog with the Redis password hidden.
func (q Quotas) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("redis", redactURL(q.Redis)),
		slog.String("redis_timeout", q.RedisTimeout.String()),
		slog.String("on_redis_error", q.OnRedisError),
		slog.String("redis_mode", q.RedisMode),
		slog.Float64("lease_fraction", q.LeaseFraction),
		slog.Int("default_output_tokens", q.DefaultOutputTokens),
		slog.Int("rules", len(q.Rules)),
	)
}

// Format makes fmt print the quotas block with the Redis password hidden,
// for every verb (see Provider.Format).
func (q Quotas) Format(f fmt.State, _ rune) {
	fmt.Fprintf(f, "{redis=%s redis_timeout=%s on_redis_error=%s redis_mode=%s lease_fraction=%g default_output_tokens=%d rules=%+v}",
		strconv.Quote(redactURL(q.Redis)), q.RedisTimeout, q.OnRedisError, q.RedisMode, q.LeaseFraction, q.DefaultOutputTokens, q.Rules)
}

// MarshalJSON encodes the quotas block with the Redis password hidden.
func (q Quotas) MarshalJSON() ([]byte, error) {
	type plain Quotas // same fields, without this method
	q.Redis = redactURL(q.Redis)
	return json.Marshal(plain(q))
}

// QuotaRule is one budget. Every axis left at 0 is unlimited; at least one
// must be set.
type QuotaRule struct {
	Name  string // unique, [a-z0-9_-]+ (it is part of the counter keys)
	Scope string // "key" (one budget per key) or "label:NAME" (keys sharing a label value share one)
	Match QuotaMatch

	RPM         int64   // requests per minute (fixed UTC minute)
	TPM         int64   // input+output tokens per minute (fixed UTC minute)
	USDPerDay   float64 // USD per UTC day
	USDPerMonth float64 // USD per UTC calendar month

	// SoftPercent: once a request takes an axis to this share of its limit
	// or beyond, X-Nexus-Quota-Warning is set and the request proceeds.
	// 0 = no warning.
	SoftPercent int
	// Action at the hard limit: "reject" (default, 429 QUOTA_EXCEEDED) or
	// "downgrade" (serve DowngradeTo instead when that fits the budget).
	Action        string
	DowngradeTo   string // a served model name or alias; required for downgrade
	AllowUnpriced bool   // admit models without a price under a USD limit (their cost counts as 0)
}

// QuotaMatch narrows the keys a rule applies to; empty means every key.
type QuotaMatch struct {
	Keys   []string          // key name globs ('*' = any run of characters)
	Labels map[string]string // every listed label must be present with this value
}

// ScopeLabel returns the label a "label:NAME" scope groups by ("" for "key").
func (r QuotaRule) ScopeLabel() string {
	return strings.TrimPrefix(r.Scope, QuotaScopeLabelPrefix)
}

func (d *decoder) quotas(path string, n ast.Node, q *Quotas) {
	d.object(path, n, false, []field{
		{"redis", func(p string, v ast.Node) { q.Redis = d.str(p, v) }},
		{"redis_timeout", func(p string, v ast.Node) { q.RedisTimeout = d.duration(p, v) }},
		{"on_redis_error", func(p string, v ast.Node) { q.OnRedisError = d.str(p, v) }},
		{"redis_mode", func(p string, v ast.Node) { q.RedisMode = d.str(p, v) }},
		{"lease_fraction", func(p string, v ast.Node) {
			// Checked here, at the value's line: 0 is out of range, but it
			// is also what an absent key leaves, so checkQuotas cannot tell.
			if f := d.number(p, v); f != nil {
				if *f <= 0 || *f > MaxQuotaLeaseFraction {
					d.fail(v, p, "want a share of the limit above 0 and at most %g, got %g", MaxQuotaLeaseFraction, *f)
					return
				}
				q.LeaseFraction = *f
			}
		}},
		{"default_output_tokens", func(p string, v ast.Node) { q.DefaultOutputTokens = d.smallInt(p, v) }},
		{"rules", func(p string, v ast.Node) {
			items, _ := d.list(p, v)
			for i, item := range items {
				q.Rules = append(q.Rules, d.quotaRule(index(p, i), item))
			}
		}},
	})
}

func (d *decoder) quotaRule(path string, n ast.Node) QuotaRule {
	var r QuotaRule
	d.object(path, n, false, []field{
		{"name", func(p string, v ast.Node) { r.Name = d.str(p, v) }},
		{"scope", func(p string, v ast.Node) { r.Scope = d.str(p, v) }},
		{"match", func(p string, v ast.Node) {
			d.object(p, v, false, []field{
				{"keys", func(p string, v ast.Node) { r.Match.Keys = d.strList(p, v) }},
				{"labels", func(p string, v ast.Node) { r.Match.Labels = d.strMap(p, v) }},
			})
		}},
		{"rpm", func(p string, v ast.Node) { r.RPM = d.integer(p, v) }},
		{"tpm", func(p string, v ast.Node) { r.TPM = d.integer(p, v) }},
		{"usd_per_day", func(p string, v ast.Node) { r.USDPerDay = d.usd(p, v) }},
		{"usd_per_month", func(p string, v ast.Node) { r.USDPerMonth = d.usd(p, v) }},
		{"soft_percent", func(p string, v ast.Node) { r.SoftPercent = d.smallInt(p, v) }},
		{"action", func(p string, v ast.Node) { r.Action = d.str(p, v) }},
		{"downgrade_to", func(p string, v ast.Node) { r.DowngradeTo = d.str(p, v) }},
		{"allow_unpriced", func(p string, v ast.Node) { r.AllowUnpriced = d.boolean(p, v) }},
	})
	return r
}

func (d *decoder) usd(path string, n ast.Node) float64 {
	if v := d.number(path, n); v != nil {
		return *v
	}
	return 0
}

// boolean decodes true/false (also from a ${VAR} string); null or "" is false.
func (d *decoder) boolean(path string, n ast.Node) bool {
	s, ok := d.text(path, n, "a boolean")
	if !ok || s == "" {
		return false
	}
	switch strings.ToLower(s) {
	case "true":
		return true
	case "false":
		return false
	}
	d.fail(n, path, "expected true or false, got %s", quoteShort(s))
	return false
}

func (q *Quotas) applyDefaults() {
	if q.RedisTimeout == 0 {
		q.RedisTimeout = DefaultQuotaRedisTimeout
	}
	if q.OnRedisError == "" {
		q.OnRedisError = DefaultQuotaOnRedisError
	}
	if q.DefaultOutputTokens == 0 {
		q.DefaultOutputTokens = DefaultQuotaDefaultOutputTokens
	}
	if q.RedisMode == "" {
		q.RedisMode = QuotaModeExact
	}
	if q.RedisMode == QuotaModeLease && q.LeaseFraction == 0 {
		q.LeaseFraction = DefaultQuotaLeaseFraction
	}
	for i := range q.Rules {
		if q.Rules[i].Action == "" {
			q.Rules[i].Action = QuotaActionReject
		}
	}
}

func (c *Config) checkQuotas(e *errs) {
	q := c.Quotas
	if q.Redis != "" {
		// Never quote the value: it may carry a password.
		if u, err := url.Parse(q.Redis); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") || u.Host == "" {
			e.add("quotas.redis", "want redis://HOST:PORT/DB or rediss://…, or leave it empty for in-process counters")
		}
	}
	if q.RedisTimeout < 0 {
		e.add("quotas.redis_timeout", "must not be negative")
	}
	switch q.OnRedisError {
	case QuotaFailOpen, QuotaFailClosed:
	default:
		e.add("quotas.on_redis_error", "want fail-open or fail-closed, got %s", quoteShort(q.OnRedisError))
	}
	switch q.RedisMode {
	case QuotaModeExact:
		if q.LeaseFraction != 0 {
			e.add("quotas.lease_fraction", "only used with redis_mode: lease")
		}
	case QuotaModeLease:
		if q.Redis == "" && !e.reported("quotas.redis") {
			e.add("quotas.redis_mode", "lease needs quotas.redis: leases are slices of a budget shared through Redis")
		}
	default:
		e.add("quotas.redis_mode", "want exact or lease, got %s", quoteShort(q.RedisMode))
	}
	if q.DefaultOutputTokens < 0 {
		e.add("quotas.default_output_tokens", "must not be negative")
	}
	names := map[string]string{}
	for i, r := range q.Rules {
		c.checkQuotaRule(e, index("quotas.rules", i), r, names)
	}
}

func (c *Config) checkQuotaRule(e *errs, path string, r QuotaRule, names map[string]string) {
	switch {
	case r.Name == "":
		e.empty(path+".name", "required")
	case !validProviderName(r.Name): // same charset: the name is part of Redis keys and messages
		e.add(path+".name", "%s: use lower-case letters, digits, _ and - only", quoteShort(r.Name))
	case names[r.Name] != "":
		e.add(path+".name", "duplicate rule name %q (already used by %s)", r.Name, names[r.Name])
	default:
		names[r.Name] = path
	}
	switch label, isLabel := strings.CutPrefix(r.Scope, QuotaScopeLabelPrefix); {
	case r.Scope == "":
		e.empty(path+".scope", "required: key or label:NAME")
	case r.Scope == QuotaScopeKey:
	case isLabel && label != "" && !strings.ContainsFunc(label, unicode.IsSpace):
	default:
		e.add(path+".scope", "want key or label:NAME (e.g. label:team), got %s", quoteShort(r.Scope))
	}
	for j, g := range r.Match.Keys {
		if g == "" {
			e.empty(index(path+".match.keys", j), "empty key name pattern")
		}
	}
	if r.RPM < 0 {
		e.add(path+".rpm", "must not be negative")
	}
	if r.TPM < 0 {
		e.add(path+".tpm", "must not be negative")
	}
	for _, f := range []struct {
		key string
		v   float64
	}{{"usd_per_day", r.USDPerDay}, {"usd_per_month", r.USDPerMonth}} {
		if f.v < 0 || f.v > maxQuotaUSD {
			e.add(path+"."+f.key, "want a USD amount between 0 and %s", strconv.FormatFloat(maxQuotaUSD, 'f', 0, 64))
		}
	}
	undecoded := e.reported(path+".rpm") || e.reported(path+".tpm") || e.reported(path+".usd_per_day") || e.reported(path+".usd_per_month")
	if r.RPM <= 0 && r.TPM <= 0 && r.USDPerDay <= 0 && r.USDPerMonth <= 0 && !undecoded {
		e.add(path, "sets no limit: give at least one of rpm, tpm, usd_per_day, usd_per_month")
	}
	if r.SoftPercent < 0 || r.SoftPercent > 100 {
		e.add(path+".soft_percent", "want a percentage from 0 (no warning) to 100")
	}
	switch r.Action {
	case QuotaActionReject:
		if r.DowngradeTo != "" {
			e.add(path+".downgrade_to", "only used with action: downgrade")
		}
	case QuotaActionDowngrade:
		switch {
		case r.DowngradeTo == "":
			e.empty(path+".downgrade_to", "required with action: downgrade")
		case !c.servesModel(r.DowngradeTo):
			e.add(path+".downgrade_to", "unknown model %s (not a served model name or alias)", quoteShort(r.DowngradeTo))
		}
	default:
		e.add(path+".action", "want reject or downgrade, got %s", quoteShort(r.Action))
	}
}

// servesModel reports whether name is a served model name or alias.
func (c *Config) servesModel(name string) bool {
	for _, m := range c.Models {
		if m.Name == name {
			return true
		}
		for _, a := range m.Aliases {
			if a == name {
				return true
			}
		}
	}
	return false
}
