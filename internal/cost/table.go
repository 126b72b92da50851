package cost

import (
	"fmt"

	"github.com/nexus-gateway/nexus/internal/canonical"
)

// Entry is one served model and its price.
type Entry struct {
	Model         string   // client-facing model code (what clients send)
	Aliases       []string // other names of the same model; optional
	Provider      string   // provider name from the configuration
	UpstreamModel string   // id sent upstream
	Price         Price
}

// Table prices the served models. It is built once and read-only after
// NewTable, so any number of requests may use it concurrently without
// locks; a configuration reload builds a new Table.
type Table struct {
	byName  map[string]int // model code or alias → index into entries
	entries []tableEntry
}

type tableEntry struct {
	Entry
	rates rates
}

// NewTable indexes entries by model code and alias. A name given twice is
// an error: the same name cannot have two prices.
func NewTable(entries []Entry) (*Table, error) {
	t := &Table{byName: make(map[string]int, len(entries)), entries: make([]tableEntry, 0, len(entries))}
	for _, e := range entries {
		if e.Model == "" {
			return nil, fmt.Errorf("cost: an entry of provider %q has no model name", e.Provider)
		}
		i := len(t.entries)
		t.entries = append(t.entries, tableEntry{Entry: e, rates: ratesOf(e.Price)})
		for _, name := range append([]string{e.Model}, e.Aliases...) {
			if j, dup := t.byName[name]; dup && j != i {
				return nil, fmt.Errorf("cost: model name %q is used by %q and %q", name, t.entries[j].Model, e.Model)
			}
			t.byName[name] = i
		}
	}
	return t, nil
}

func (t *Table) find(model string) (*tableEntry, bool) {
	if t == nil {
		return nil, false
	}
	i, ok := t.byName[model]
	if !ok {
		return nil, false
	}
	return &t.entries[i], true
}

// Lookup returns the price of a model code or alias. ok is false for a
// model the table does not know; a known model may still be unpriced
// (see Price.Priced).
func (t *Table) Lookup(model string) (Price, bool) {
	e, ok := t.find(model)
	if !ok {
		return Price{}, false
	}
	return e.Price, true
}

// Breakdown prices usage reported for model. An unknown model yields an
// Unpriced breakdown and ok false.
func (t *Table) Breakdown(model string, u canonical.Usage) (b Breakdown, ok bool) {
	e, ok := t.find(model)
	if !ok {
		return Breakdown{Unpriced: true}, false
	}
	return e.rates.compute(u), true
}

// Cost prices the usage an upstream reported for model in micro-dollars.
// priced is false when the model is unknown or the usage falls on a price
// that is not known; the amount must then not be charged as the cost.
func (t *Table) Cost(model string, u canonical.Usage) (micros int64, priced bool) {
	b, ok := t.Breakdown(model, u)
	return b.Total, ok && !b.Unpriced
}

// Estimate prices in input and out output tokens of model with no cache
// discount (the quota pre-check, SPEC §11.4).
func (t *Table) Estimate(model string, in, out int) (micros int64, priced bool) {
	return t.Cost(model, canonical.Usage{InputTokens: in, OutputTokens: out})
}
