package usage

import (
	"net/http"
	"strconv"
	"time"
)

// dailyBody is SPEC §2.5's daily shape.
type dailyBody struct {
	VirtualKeyID string    `json:"virtualKeyId"`
	StartDate    string    `json:"startDate"`
	EndDate      string    `json:"endDate"`
	Daily        []dayBody `json:"daily"`
	Totals       totals    `json:"totals"`
}

type dayBody struct {
	Date string `json:"date"`
	totals
	Models []modelBody `json:"models"`
}

type modelBody struct {
	Model    string `json:"model"`
	Provider string `json:"provider"`
	totals
}

// Daily serves GET /v1/usage/daily?startDate=YYYY-MM-DD&endDate=YYYY-MM-DD:
// the calling key's usage per UTC day, and per model and provider within
// each day. Both bounds are inclusive; endDate defaults to today, startDate
// to 29 days before endDate; at most MaxRangeDays days. Days without
// requests are left out.
func (h *Handler) Daily(w http.ResponseWriter, r *http.Request) {
	key, ok := h.authenticate(w, r)
	if !ok {
		return
	}
	q := r.URL.Query()
	end := h.o.Now().UTC().Truncate(24 * time.Hour)
	if s := q.Get("endDate"); s != "" {
		d, ok := parseDate(w, "endDate", s)
		if !ok {
			return
		}
		end = d
	}
	start := end.AddDate(0, 0, -(defaultRangeDays - 1))
	if s := q.Get("startDate"); s != "" {
		d, ok := parseDate(w, "startDate", s)
		if !ok {
			return
		}
		start = d
	}
	if start.After(end) {
		writeError(w, http.StatusBadRequest, "USAGE_INVALID_DATE", "startDate is after endDate", "")
		return
	}
	if days := int(end.Sub(start)/(24*time.Hour)) + 1; days > MaxRangeDays {
		writeError(w, http.StatusBadRequest, "USAGE_RANGE_TOO_LARGE",
			"the range spans "+strconv.Itoa(days)+" days; at most "+strconv.Itoa(MaxRangeDays)+" are allowed", "request a shorter range")
		return
	}
	from, to := start.Format(time.DateOnly), end.Format(time.DateOnly)
	rows, err := h.o.Store.KeyDailyUsage(r.Context(), key.ID, from, to)
	if err != nil {
		h.queryFailed(w, r, err)
		return
	}
	body := dailyBody{VirtualKeyID: key.ID, StartDate: from, EndDate: to, Daily: []dayBody{}}
	// Rows come ordered by day, then model and provider.
	for _, row := range rows {
		if n := len(body.Daily); n == 0 || body.Daily[n-1].Date != row.Day {
			body.Daily = append(body.Daily, dayBody{Date: row.Day, Models: []modelBody{}})
		}
		day := &body.Daily[len(body.Daily)-1]
		m := modelBody{Model: row.Model, Provider: row.Provider}
		m.add(row.UsageTotals)
		day.Models = append(day.Models, m)
		day.add(row.UsageTotals)
		body.Totals.add(row.UsageTotals)
	}
	writeJSON(w, http.StatusOK, body)
}

// parseDate reads a YYYY-MM-DD (UTC) query value, answering 400 when it
// is not one.
func parseDate(w http.ResponseWriter, name, v string) (time.Time, bool) {
	d, err := time.Parse(time.DateOnly, v)
	if err != nil {
		writeError(w, http.StatusBadRequest, "USAGE_INVALID_DATE", name+" must be a date as YYYY-MM-DD", "for example 2026-05-01")
		return time.Time{}, false
	}
	return d, true
}
