package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"
)

// UsageTotals sums a set of audit rows. Every request counts, failed ones
// included (they carry no tokens and, unless the upstream billed them, no
// cost).
type UsageTotals struct {
	Requests         int64
	Errors           int64 // status ≥ 400
	InputTokens      int64 // prompt tokens, cache reads and writes included
	OutputTokens     int64 // completion tokens, reasoning included
	CacheReadTokens  int64
	CacheWriteTokens int64
	ReasoningTokens  int64
	// CostMicros sums the rows whose cost is known, in micro-dollars.
	CostMicros int64
	// UnknownCost counts rows whose cost is unknown (unpriced model or no
	// usage reported): when it is not zero, CostMicros is a lower bound.
	UnknownCost int64
}

// DailyUsage is one (day, model, provider) cell of a key's rollup.
type DailyUsage struct {
	Day      string // YYYY-MM-DD, UTC
	Model    string // routed model code, else the requested model
	Provider string // "" when the request never reached a provider
	UsageTotals
}

// UsageGroup is one row of UsageBy.
type UsageGroup struct {
	// Group is the grouping value: key id, model, provider or day.
	Group string
	// Name is the key's name when grouping by key (its latest recorded
	// name), else "".
	Name string
	UsageTotals
}

// Usage dimensions for UsageBy.
const (
	ByKey      = "key"
	ByModel    = "model"
	ByProvider = "provider"
	ByDay      = "day"
)

// totalsColumns is the aggregate list every usage query selects, in
// scanTotals order. CAST keeps SUM an integer on PostgreSQL, where the sum
// of BIGINTs is NUMERIC; COALESCE turns the empty sum into 0.
const totalsColumns = `COUNT(*),
	CAST(COALESCE(SUM(CASE WHEN status >= 400 THEN 1 ELSE 0 END), 0) AS BIGINT),
	CAST(COALESCE(SUM(input_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(output_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(cache_read_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(cache_write_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(reasoning_tokens), 0) AS BIGINT),
	CAST(COALESCE(SUM(cost_micros), 0) AS BIGINT),
	CAST(COALESCE(SUM(CASE WHEN cost_micros IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT)`

// modelExpr names the model a row is reported under: what served it, or
// what was asked for when routing never happened.
const modelExpr = `COALESCE(NULLIF(routed_model, ''), requested_model)`

func totalsDest(t *UsageTotals) []any {
	return []any{&t.Requests, &t.Errors, &t.InputTokens, &t.OutputTokens, &t.CacheReadTokens,
		&t.CacheWriteTokens, &t.ReasoningTokens, &t.CostMicros, &t.UnknownCost}
}

func usageQueries(d *dialect) (summary, daily string, by map[string]string) {
	summary = d.bind(`SELECT ` + totalsColumns + ` FROM audit_records WHERE key_id = ? AND day >= ? AND day <= ?`)
	daily = d.bind(`SELECT day, ` + modelExpr + `, provider, ` + totalsColumns + `
		FROM audit_records WHERE key_id = ? AND day >= ? AND day <= ?
		GROUP BY day, ` + modelExpr + `, provider
		ORDER BY day, ` + modelExpr + `, provider`)
	by = map[string]string{
		ByKey: d.bind(`SELECT key_id, MAX(key_name), ` + totalsColumns + `
			FROM audit_records WHERE ts >= ? GROUP BY key_id ORDER BY key_id`),
		ByModel: d.bind(`SELECT ` + modelExpr + `, '', ` + totalsColumns + `
			FROM audit_records WHERE ts >= ? GROUP BY ` + modelExpr + ` ORDER BY ` + modelExpr),
		ByProvider: d.bind(`SELECT provider, '', ` + totalsColumns + `
			FROM audit_records WHERE ts >= ? GROUP BY provider ORDER BY provider`),
		ByDay: d.bind(`SELECT day, '', ` + totalsColumns + `
			FROM audit_records WHERE ts >= ? GROUP BY day ORDER BY day`),
	}
	return summary, daily, by
}

// checkDay validates a YYYY-MM-DD day so a malformed bound cannot silently
// compare as text.
func checkDay(s string) error {
	if _, err := time.Parse(time.DateOnly, s); err != nil {
		return fmt.Errorf("store: day %q is not YYYY-MM-DD", s)
	}
	return nil
}

// KeyUsage sums a key's requests on the UTC days from..to inclusive
// (YYYY-MM-DD).
func (db *DB) KeyUsage(ctx context.Context, keyID, from, to string) (UsageTotals, error) {
	var t UsageTotals
	if err := checkDay(from); err != nil {
		return t, err
	}
	if err := checkDay(to); err != nil {
		return t, err
	}
	if err := db.sql.QueryRowContext(ctx, db.q.usageSummary, keyID, from, to).Scan(totalsDest(&t)...); err != nil {
		return UsageTotals{}, fmt.Errorf("store: key usage: %w", err)
	}
	return t, nil
}

// KeyDailyUsage returns a key's usage per day, model and provider on the
// UTC days from..to inclusive, ordered by day, model, provider. Days
// without requests are absent. Order is by byte value on every engine.
func (db *DB) KeyDailyUsage(ctx context.Context, keyID, from, to string) ([]DailyUsage, error) {
	if err := checkDay(from); err != nil {
		return nil, err
	}
	if err := checkDay(to); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, db.q.usageDaily, keyID, from, to)
	if err != nil {
		return nil, fmt.Errorf("store: daily usage: %w", err)
	}
	defer rows.Close()
	var out []DailyUsage
	for rows.Next() {
		var u DailyUsage
		if err := rows.Scan(append([]any{&u.Day, &u.Model, &u.Provider}, totalsDest(&u.UsageTotals)...)...); err != nil {
			return nil, fmt.Errorf("store: daily usage: %w", err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: daily usage: %w", err)
	}
	// Byte order, whatever the server's collation says about punctuation.
	slices.SortFunc(out, func(a, b DailyUsage) int {
		return cmp.Or(cmp.Compare(a.Day, b.Day), cmp.Compare(a.Model, b.Model), cmp.Compare(a.Provider, b.Provider))
	})
	return out, nil
}

// UsageBy groups every key's requests since a moment by one dimension
// (ByKey, ByModel, ByProvider, ByDay), ordered by the group value (byte order).
func (db *DB) UsageBy(ctx context.Context, dimension string, since time.Time) ([]UsageGroup, error) {
	q, ok := db.q.usageBy[dimension]
	if !ok {
		return nil, fmt.Errorf("store: cannot group usage by %q (want key, model, provider or day)", dimension)
	}
	rows, err := db.sql.QueryContext(ctx, q, db.dialect.timeValue(since))
	if err != nil {
		return nil, fmt.Errorf("store: usage by %s: %w", dimension, err)
	}
	defer rows.Close()
	var out []UsageGroup
	for rows.Next() {
		var (
			g    UsageGroup
			name sql.NullString
		)
		if err := rows.Scan(append([]any{&g.Group, &name}, totalsDest(&g.UsageTotals)...)...); err != nil {
			return nil, fmt.Errorf("store: usage by %s: %w", dimension, err)
		}
		g.Name = name.String
		out = append(out, g)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: usage by %s: %w", dimension, err)
	}
	slices.SortFunc(out, func(a, b UsageGroup) int { return cmp.Compare(a.Group, b.Group) })
	return out, nil
}
