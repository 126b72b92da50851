package config

import (
	"math"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml/ast"

	"github.com/nexus-gateway/nexus/internal/catalog"
)

// This file is the YAML schema: which keys exist at each level and where
// their values go. Key names are part of the product contract.

// config decodes the top-level mapping and reports whether a "models:" key
// was present (then only the listed models are served).
func (d *decoder) config(c *Config, n ast.Node) (modelsSet bool) {
	d.object("", n, true, []field{
		{"listen", func(p string, v ast.Node) { c.Listen = d.str(p, v) }},
		{"database", func(p string, v ast.Node) { c.Database = d.str(p, v) }},
		{"secret_file", func(p string, v ast.Node) { c.SecretFile = d.str(p, v) }},
		{"log", func(p string, v ast.Node) {
			d.object(p, v, false, []field{
				{"level", func(p string, v ast.Node) { c.Log.Level = d.str(p, v) }},
				{"format", func(p string, v ast.Node) { c.Log.Format = d.str(p, v) }},
				{"flush_interval", func(p string, v ast.Node) { c.Log.FlushInterval, c.Log.flushSet = d.duration(p, v), true }},
			})
		}},
		{"limits", func(p string, v ast.Node) {
			d.object(p, v, false, []field{
				{"max_body_bytes", func(p string, v ast.Node) { c.Limits.MaxBodyBytes = d.size(p, v) }},
				{"max_in_flight", func(p string, v ast.Node) { c.Limits.MaxInFlight = d.smallInt(p, v) }},
			})
		}},
		{"timeouts", func(p string, v ast.Node) { d.timeouts(p, v, &c.Timeouts, true) }},
		{"providers", func(p string, v ast.Node) {
			items, _ := d.list(p, v)
			for i, item := range items {
				c.Providers = append(c.Providers, d.provider(index(p, i), item))
			}
		}},
		{"quotas", func(p string, v ast.Node) { d.quotas(p, v, &c.Quotas) }},
		{"audit", func(p string, v ast.Node) { d.audit(p, v, &c.Audit) }},
		{"routes", func(p string, v ast.Node) {
			items, _ := d.list(p, v)
			for i, item := range items {
				c.Routes = append(c.Routes, d.route(index(p, i), item))
			}
		}},
		{"retry", func(p string, v ast.Node) { d.retry(p, v, &c.Retry) }},
		{"health", func(p string, v ast.Node) { d.health(p, v, &c.Health) }},
		{"auto", func(p string, v ast.Node) { d.auto(p, v, &c.Auto) }},
		{"models", func(p string, v ast.Node) {
			modelsSet = true
			items, _ := d.list(p, v)
			c.Models = make([]Model, 0, len(items))
			for i, item := range items {
				c.Models = append(c.Models, d.model(index(p, i), item))
			}
		}},
	})
	return modelsSet
}

// timeouts decodes a timeouts block; drain only exists globally.
func (d *decoder) timeouts(path string, n ast.Node, t *Timeouts, global bool) {
	fields := []field{
		{"connect", func(p string, v ast.Node) { t.Connect = d.duration(p, v) }},
		{"first_byte", func(p string, v ast.Node) { t.FirstByte = d.duration(p, v) }},
		{"idle", func(p string, v ast.Node) { t.Idle = d.duration(p, v) }},
		{"total", func(p string, v ast.Node) { t.Total = d.duration(p, v) }},
	}
	if global {
		fields = append(fields, field{"drain", func(p string, v ast.Node) { t.Drain = d.duration(p, v) }})
	}
	d.object(path, n, false, fields)
}

func (d *decoder) provider(path string, n ast.Node) Provider {
	var p Provider
	d.object(path, n, false, []field{
		{"name", func(f string, v ast.Node) { p.Name = d.str(f, v) }},
		{"type", func(f string, v ast.Node) { p.Type = d.str(f, v) }},
		{"base_url", func(f string, v ast.Node) { p.BaseURL = d.str(f, v) }},
		{"api_key", func(f string, v ast.Node) { p.APIKey = d.str(f, v) }},
		{"credential", func(f string, v ast.Node) { p.Credential = d.str(f, v) }},
		{"credentials", func(f string, v ast.Node) {
			items, _ := d.list(f, v)
			for i, item := range items {
				p.Credentials = append(p.Credentials, d.credential(index(f, i), item))
			}
		}},
		{"api_version", func(f string, v ast.Node) { p.APIVersion = d.str(f, v) }},
		{"auth_style", func(f string, v ast.Node) { p.AuthStyle = d.str(f, v) }},
		{"quirks", func(f string, v ast.Node) {
			items, _ := d.list(f, v)
			for i, item := range items {
				p.Quirks = append(p.Quirks, d.quirk(index(f, i), item))
			}
		}},
		{"preset_quirks", func(f string, v ast.Node) { p.NoPresetQuirks = !d.boolean(f, v) }},
		{"serves_responses", func(f string, v ast.Node) { b := d.boolean(f, v); p.ServesResponses = &b }},
		{"headers", func(f string, v ast.Node) { p.Headers = d.strMap(f, v) }},
		{"timeouts", func(f string, v ast.Node) { d.timeouts(f, v, &p.Timeouts, false) }},
	})
	return p
}

// quirk decodes one provider quirk rule (docs/providers.md).
func (d *decoder) quirk(path string, n ast.Node) catalog.Quirk {
	var q catalog.Quirk
	d.object(path, n, false, []field{
		{"models", func(f string, v ast.Node) { q.Models = d.strList(f, v) }},
		{"rename", func(f string, v ast.Node) { q.Rename = d.strMap(f, v) }},
		{"drop", func(f string, v ast.Node) { q.Drop = d.strList(f, v) }},
		{"drop_unless", func(f string, v ast.Node) { q.DropUnless = d.strListMap(f, v) }},
		{"drop_with", func(f string, v ast.Node) { q.DropWith = d.strMap(f, v) }},
	})
	return q
}

func (d *decoder) model(path string, n ast.Node) Model {
	var m Model
	d.object(path, n, false, []field{
		{"name", func(f string, v ast.Node) { m.Name = d.str(f, v) }},
		{"provider", func(f string, v ast.Node) { m.Provider = d.str(f, v) }},
		{"upstream_model", func(f string, v ast.Node) { m.UpstreamModel = d.str(f, v) }},
		{"aliases", func(f string, v ast.Node) { m.Aliases = d.strList(f, v) }},
		{"type", func(f string, v ast.Node) { m.Type = d.str(f, v) }},
		{"context_window", func(f string, v ast.Node) { m.ContextWindow = d.smallInt(f, v) }},
		{"max_output", func(f string, v ast.Node) { m.MaxOutput = d.smallInt(f, v) }},
		{"features", func(f string, v ast.Node) {
			// An explicit empty list means "no features", unlike an absent
			// key which takes the catalogue's; keep it non-nil.
			m.Features = d.strList(f, v)
			if m.Features == nil {
				m.Features = []string{}
			}
		}},
		{"pricing", func(f string, v ast.Node) { m.Pricing = d.pricing(f, v) }},
	})
	return m
}

func (d *decoder) pricing(path string, n ast.Node) *Pricing {
	var p Pricing
	d.object(path, n, false, []field{
		{"input", func(f string, v ast.Node) { p.Input = d.number(f, v) }},
		{"output", func(f string, v ast.Node) { p.Output = d.number(f, v) }},
		{"cached_input", func(f string, v ast.Node) { p.CachedInput = d.number(f, v) }},
		{"cache_write", func(f string, v ast.Node) { p.CacheWrite = d.number(f, v) }},
	})
	if p == (Pricing{}) {
		return nil
	}
	return &p
}

// smallInt decodes an integer that must fit an int on every platform.
func (d *decoder) smallInt(path string, n ast.Node) int {
	v := d.integer(path, n)
	if v < math.MinInt32 || v > math.MaxInt32 {
		d.fail(n, path, "number out of range")
		return 0
	}
	return int(v)
}

// suggest returns ` (did you mean "x"?)` for the known key closest to key,
// or "" when nothing is close.
func suggest(key string, fields []field) string {
	best, bestDist := "", 3 // more than two edits away is not a typo
	norm := strings.ToLower(strings.ReplaceAll(key, "-", "_"))
	for _, f := range fields {
		if dist := editDistance(norm, f.key); dist < bestDist {
			best, bestDist = f.key, dist
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean " + strconv.Quote(best) + "?)"
}

// editDistance is the Levenshtein distance between two short strings.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
