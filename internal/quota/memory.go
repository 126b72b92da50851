package quota

import (
	"context"
	"hash/maphash"
	"sync"
)

// counter is one (rule, subject, axis, window) budget a request touches.
type counter struct {
	rule    *rule
	axis    axis
	subject string
	window  int64 // axis window id the amount was reserved in
	limit   int64
	amount  int64       // reserved: 1 request, tokens or micro-dollars
	delta   int64       // settlement: final − reserved, applied by adjust
	used    int64       // the counter's value after the last store call (before it, on a refusal)
	le      *leaseEntry // lease mode: this replica's lease of the counter, set at admission
}

// store keeps the counters. Implementations: memStore (this process) and
// redisStore (shared by replicas).
type store interface {
	// reserve adds every counter's amount if, and only if, each one stays
	// within its limit, atomically across all of them. It returns the index
	// of the first counter without room (nothing is added then) or -1, and
	// sets every counter's used.
	reserve(ctx context.Context, cs []counter) (failed int, err error)
	// adjust adds each non-zero delta to its counter's window (settlement)
	// and refreshes used for those counters.
	adjust(ctx context.Context, cs []counter) error
	// read sets used for every counter.
	read(ctx context.Context, cs []counter) error
	close() error
}

const memShards = 64

// memStore is the in-process store: a sharded map of entries, each with its
// own lock, so requests of different keys never contend and there is no
// lock held across the whole store.
type memStore struct {
	seed   maphash.Seed
	shards [memShards]memShard
}

type memShard struct {
	mu sync.RWMutex
	m  map[memKey]*memEntry
	_  [40]byte // keep neighbouring shard locks off one cache line
}

type memKey struct {
	rule    int
	axis    axis
	subject string
}

type memEntry struct {
	mu     sync.Mutex
	window int64
	value  int64
}

func newMemStore() *memStore {
	m := &memStore{seed: maphash.MakeSeed()}
	for i := range m.shards {
		m.shards[i].m = make(map[memKey]*memEntry)
	}
	return m
}

func (m *memStore) entry(c *counter) *memEntry {
	k := memKey{rule: c.rule.idx, axis: c.axis, subject: c.subject}
	h := maphash.String(m.seed, c.subject) + uint64(c.rule.idx)*0x9e3779b97f4a7c15 + uint64(c.axis)
	sh := &m.shards[h%memShards]
	sh.mu.RLock()
	e := sh.m[k]
	sh.mu.RUnlock()
	if e != nil {
		return e
	}
	sh.mu.Lock()
	if e = sh.m[k]; e == nil {
		e = &memEntry{}
		sh.m[k] = e
	}
	sh.mu.Unlock()
	return e
}

// reserve locks the request's entries in the order of cs. The Stage builds
// cs ordered by (rule, axis) and a request has one subject per rule, so every
// request takes its locks in one global order and two requests can never
// wait on each other in a cycle.
func (m *memStore) reserve(_ context.Context, cs []counter) (int, error) {
	var stack [16]*memEntry
	es := stack[:0]
	for i := range cs {
		es = append(es, m.entry(&cs[i]))
	}
	for _, e := range es {
		e.mu.Lock()
	}
	failed := -1
	for i, e := range es {
		c := &cs[i]
		switch {
		case e.window < c.window: // first use in a new window: the old one is closed
			e.window, e.value = c.window, 0
		case e.window > c.window: // another request already rolled over; count there
			c.window = e.window
		}
		if failed < 0 && !fits(e.value, c.amount, c.limit) {
			failed = i
		}
	}
	for i, e := range es {
		if failed < 0 {
			e.value += cs[i].amount
		}
		cs[i].used = e.value
		e.mu.Unlock()
	}
	return failed, nil
}

// fits is the admission test shared by both stores (the Lua script has the
// same expression): the counter must not already be at its limit, and the
// amount must not take it beyond.
func fits(used, amount, limit int64) bool {
	return used < limit && used+amount <= limit
}

func (m *memStore) adjust(_ context.Context, cs []counter) error {
	for i := range cs {
		c := &cs[i]
		if c.delta == 0 {
			continue
		}
		e := m.entry(c)
		e.mu.Lock()
		// A window that closed meanwhile was reset for its successor; the
		// settlement belongs to the closed one and is dropped with it.
		if e.window == c.window {
			e.value += c.delta
			c.used = e.value
		}
		e.mu.Unlock()
	}
	return nil
}

func (m *memStore) read(_ context.Context, cs []counter) error {
	for i := range cs {
		c := &cs[i]
		e := m.entry(c)
		e.mu.Lock()
		c.used = 0
		if e.window == c.window {
			c.used = e.value
		}
		e.mu.Unlock()
	}
	return nil
}

func (m *memStore) close() error { return nil }
