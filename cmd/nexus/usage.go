package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nexus-gateway/nexus/internal/store"
)

// usageCmd is `nexus usage [--by key|model|provider|day] [--since 2026-11-01|24h|7d] [--config FILE]`:
// requests, tokens and cost from the audit trail, grouped, as a table.
func usageCmd(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string) error {
	return runUsage(ctx, args, stdout, getenv, time.Now)
}

func runUsage(ctx context.Context, args []string, stdout io.Writer, getenv func(string) string, now func() time.Time) error {
	fs := flag.NewFlagSet("usage", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfgPath := fs.String("config", "", "configuration file")
	by := fs.String("by", store.ByKey, "group by key, model, provider or day")
	since := fs.String("since", "", "a date (2026-11-01, UTC), an RFC 3339 time, or a duration back from now (24h, 7d); default: start of this UTC month")
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("usage: %w", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("usage: unexpected argument %q", fs.Arg(0))
	}
	switch *by {
	case store.ByKey, store.ByModel, store.ByProvider, store.ByDay:
	default:
		return fmt.Errorf("usage: --by %q: want key, model, provider or day", *by)
	}
	from, err := parseSince(*since, now().UTC())
	if err != nil {
		return fmt.Errorf("usage: --since: %w", err)
	}
	cfg, err := loadConfig(*cfgPath, getenv)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	groups, err := db.UsageBy(ctx, *by, from)
	if err != nil {
		return err
	}
	return printUsage(stdout, *by, from, groups)
}

// parseSince reads --since: empty means the start of the current UTC month.
func parseSince(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC), nil
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC(), nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(s, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a number of days", s)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return time.Time{}, fmt.Errorf("%q: want a date (2026-11-01), an RFC 3339 time or a duration (24h, 7d)", s)
		}
	}
	if d <= 0 {
		return time.Time{}, errors.New("the duration must be positive")
	}
	return now.Add(-d), nil
}

func printUsage(w io.Writer, by string, since time.Time, groups []store.UsageGroup) error {
	fmt.Fprintf(w, "usage since %s, by %s\n\n", since.Format(time.RFC3339), by)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := map[string]string{store.ByKey: "KEY ID\tNAME", store.ByModel: "MODEL", store.ByProvider: "PROVIDER", store.ByDay: "DAY"}[by]
	fmt.Fprintln(tw, head+"\tREQUESTS\tERRORS\tINPUT TOKENS\tOUTPUT TOKENS\tCACHED\tREASONING\tCOST USD")
	var total store.UsageTotals
	for _, g := range groups {
		label := dashIfEmpty(g.Group)
		if by == store.ByKey {
			label += "\t" + dashIfEmpty(g.Name)
		}
		fmt.Fprintln(tw, label+"\t"+usageCells(g.UsageTotals))
		addUsage(&total, g.UsageTotals)
	}
	totalLabel := "TOTAL"
	if by == store.ByKey {
		totalLabel += "\t"
	}
	fmt.Fprintln(tw, totalLabel+"\t"+usageCells(total))
	if err := tw.Flush(); err != nil {
		return err
	}
	if total.UnknownCost > 0 {
		fmt.Fprintf(w, "\n* %d request(s) with an unknown cost (unpriced model, or no usage reported) are not in COST USD.\n", total.UnknownCost)
	}
	return nil
}

func usageCells(u store.UsageTotals) string {
	cost := fmt.Sprintf("%d.%06d", u.CostMicros/1_000_000, u.CostMicros%1_000_000)
	if u.UnknownCost > 0 {
		cost += "*"
	}
	return fmt.Sprintf("%d\t%d\t%d\t%d\t%d\t%d\t%s", u.Requests, u.Errors, u.InputTokens, u.OutputTokens, u.CacheReadTokens, u.ReasoningTokens, cost)
}

func addUsage(t *store.UsageTotals, u store.UsageTotals) {
	t.Requests += u.Requests
	t.Errors += u.Errors
	t.InputTokens += u.InputTokens
	t.OutputTokens += u.OutputTokens
	t.CacheReadTokens += u.CacheReadTokens
	t.CacheWriteTokens += u.CacheWriteTokens
	t.ReasoningTokens += u.ReasoningTokens
	t.CostMicros += u.CostMicros
	t.UnknownCost += u.UnknownCost
}

func dashIfEmpty(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
