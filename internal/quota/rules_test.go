package quota

import (
	"context"
	"testing"
	"time"
)

func TestWindowsEndsAndLabels(t *testing.T) {
	tests := []struct {
		axis  axis
		at    time.Time
		end   time.Time
		label string
	}{
		{axisRPM, time.Date(2026, 5, 7, 12, 0, 20, 5, time.UTC), time.Date(2026, 5, 7, 12, 1, 0, 0, time.UTC), "m29635920"},
		{axisTPM, time.Date(2026, 5, 7, 12, 0, 0, 0, time.UTC), time.Date(2026, 5, 7, 12, 1, 0, 0, time.UTC), "m29635920"},
		{axisUSDDay, time.Date(2026, 5, 7, 23, 59, 59, 999, time.UTC), time.Date(2026, 5, 8, 0, 0, 0, 0, time.UTC), "2026-05-07"},
		{axisUSDDay, time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC), time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC), "2024-02-29"},
		{axisUSDMonth, time.Date(2026, 12, 31, 23, 59, 59, 0, time.UTC), time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), "2026-12"},
		{axisUSDMonth, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC), "2026-01"},
		// Local clocks are read as UTC: 2026-05-31 20:00 in UTC-7 is June 1st.
		{axisUSDMonth, time.Date(2026, 5, 31, 20, 0, 0, 0, time.FixedZone("", -7*3600)), time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC), "2026-06"},
		{axisUSDDay, time.Date(1969, 12, 31, 12, 0, 0, 0, time.UTC), time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC), "1969-12-31"},
	}
	for _, tt := range tests {
		t.Run(tt.axis.String()+"@"+tt.at.Format(time.RFC3339Nano), func(t *testing.T) {
			id := tt.axis.window(tt.at)
			if got := tt.axis.end(id); !got.Equal(tt.end) {
				t.Errorf("end = %v, want %v", got, tt.end)
			}
			if got := tt.axis.label(id); got != tt.label {
				t.Errorf("label = %q, want %q", got, tt.label)
			}
			if tt.axis.window(tt.end) != id+1 || tt.axis.window(tt.end.Add(-time.Nanosecond)) != id {
				t.Errorf("window ids around the end are not consecutive")
			}
		})
	}
}

func TestGlob(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "anything", true},
		{"*", "", true},
		{"ci-*", "ci-1", true},
		{"ci-*", "xci-1", false},
		{"*-prod", "search-prod", true},
		{"*-prod", "search-prod-2", false},
		{"a*b*c", "aXXbYYc", true},
		{"a*b*c", "aXXbYY", false},
		{"team.search", "team.search", true},
		{"team.search", "teamXsearch", false}, // '.' is literal
		{"k[1]", "k[1]", true},                // no character classes
		{"", "", true},
		{"", "a", false},
	}
	for _, tt := range tests {
		if got := glob(tt.pattern, tt.s); got != tt.want {
			t.Errorf("glob(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}

func TestMemStoreReserveIsAllOrNothing(t *testing.T) {
	m := newMemStore()
	r0, r1 := &rule{idx: 0, name: "a"}, &rule{idx: 1, name: "b"}
	cs := func(a0, a1 int64) []counter {
		return []counter{
			{rule: r0, axis: axisRPM, subject: "k", window: 7, limit: 10, amount: a0},
			{rule: r1, axis: axisUSDDay, subject: "t", window: 3, limit: 100, amount: a1},
		}
	}
	ctx := context.Background()
	if f, _ := m.reserve(ctx, cs(4, 60)); f != -1 {
		t.Fatalf("first reserve refused at %d", f)
	}
	// The second counter has no room: the first must not be charged either.
	c := cs(4, 60)
	if f, _ := m.reserve(ctx, c); f != 1 {
		t.Fatalf("failed = %d, want 1", f)
	}
	if c[0].used != 4 || c[1].used != 60 {
		t.Errorf("used on refusal = %d, %d; want the unchanged 4, 60", c[0].used, c[1].used)
	}
	read := cs(0, 0)
	_ = m.read(ctx, read)
	if read[0].used != 4 || read[1].used != 60 {
		t.Errorf("after a refusal: %d, %d; want 4, 60", read[0].used, read[1].used)
	}
	// A settlement for a window that has since closed is dropped; one for
	// the live window lands.
	late := cs(0, 0)
	late[0].window, late[0].delta = 6, 5
	late[1].delta = -20
	_ = m.adjust(ctx, late)
	_ = m.read(ctx, read)
	if read[0].used != 4 || read[1].used != 40 {
		t.Errorf("after adjust: %d, %d; want 4, 40", read[0].used, read[1].used)
	}
	// A new window starts from zero.
	next := cs(10, 100)
	next[0].window, next[1].window = 8, 4
	if f, _ := m.reserve(ctx, next); f != -1 || next[0].used != 10 || next[1].used != 100 {
		t.Errorf("new windows: failed %d, used %d, %d; want -1, 10, 100", f, next[0].used, next[1].used)
	}
}

func TestFits(t *testing.T) {
	tests := []struct {
		used, amount, limit int64
		want                bool
	}{
		{0, 10, 10, true},
		{0, 11, 10, false},
		{9, 1, 10, true},
		{10, 0, 10, false}, // a zero-cost request does not slip past an exhausted budget
		{12, 0, 10, false},
		{5, 0, 10, true},
	}
	for _, tt := range tests {
		if got := fits(tt.used, tt.amount, tt.limit); got != tt.want {
			t.Errorf("fits(%d, %d, %d) = %v, want %v", tt.used, tt.amount, tt.limit, got, tt.want)
		}
	}
}
