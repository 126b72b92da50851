package quota

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nexus-gateway/nexus/internal/config"
)

// Lease mode (redis_mode: lease, docs/quotas.md#lease-mode). In exact mode
// every admission waits for a Redis round trip, which bounds throughput at
// low concurrency. In lease mode a replica takes slices of each budget from
// Redis ahead of need (a lease: the Redis counter counts what is leased out
// plus what was charged beyond the leases) and admits requests against the
// slice it holds with the in-process test (fits), so a request normally makes
// no Redis call. The sum of all leases never exceeds the limit, so the
// overspend bound of exact mode holds; the price is that a replica may refuse
// while another holds unused lease, hence unused lease goes back to Redis
// when the window closes, after leaseIdle without use, and on Flush/Close.

const (
	leaseIdle  = time.Second            // unused lease not touched for this long is returned
	leaseSweep = 250 * time.Millisecond // how often the sweeper looks for it
)

// errLeaseWait is a request's own deadline passing while it waited for a
// lease call another request of this replica had sent.
var errLeaseWait = errors.New("quota: redis lease: deadline passed waiting for the lease call in flight")

// leaser holds this replica's leases, one entry per (rule, axis, subject).
type leaser struct {
	s        *Stage
	rs       *redisStore
	fraction float64
	seed     maphash.Seed
	shards   [memShards]leaseShard
	calls    atomic.Uint64 // lease script calls
	closed   atomic.Bool   // set by close: settlements then go straight to Redis
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
}

type leaseShard struct {
	mu sync.RWMutex
	m  map[memKey]*leaseEntry
	_  [40]byte // keep neighbouring shard locks off one cache line
}

// leaseEntry is this replica's lease of one budget in one window.
type leaseEntry struct {
	rule    *rule // with axis and subject: to name the Redis key when returning lease
	axis    axis
	subject string

	mu     sync.Mutex
	window int64
	// held is what this replica has leased in the window and not returned:
	// the Redis counter includes it.
	held int64
	// local is this replica's use of the window: reservations in flight and
	// settled charges. local ≤ held, except for the instant between a
	// settlement above its reservation and the overshoot being leased.
	local int64
	// others is the Redis counter minus held as of the last lease call:
	// what the other replicas lease and charge, as far as this one knows.
	others  int64
	lastUse int64        // unix nanos of the last reservation
	flight  *leaseFlight // the lease call in flight for this entry, nil if none
}

// leaseFlight is one lease call shared by every request of the replica that
// needs more of the same budget while it is in flight (single flight).
type leaseFlight struct {
	done chan struct{} // closed when err and room are set
	err  error
	room int64 // limit minus the Redis counter after the call
}

// leaseFraction checks redis_mode and lease_fraction (config validates them
// too; New may be given a Quotas built in code) and returns the fraction, 0
// in exact mode.
func leaseFraction(cfg config.Quotas) (float64, error) {
	switch cfg.RedisMode {
	case "", config.QuotaModeExact:
		if cfg.LeaseFraction != 0 {
			return 0, errors.New("quota: lease_fraction is only used with redis_mode: lease")
		}
		return 0, nil
	case config.QuotaModeLease:
		f := cfg.LeaseFraction
		if f == 0 {
			f = config.DefaultQuotaLeaseFraction
		}
		if f < 0 || f > config.MaxQuotaLeaseFraction {
			return 0, fmt.Errorf("quota: lease_fraction %g is outside (0, %g]", f, config.MaxQuotaLeaseFraction)
		}
		return f, nil
	}
	return 0, fmt.Errorf("quota: unknown redis_mode %q", cfg.RedisMode)
}

func newLeaser(s *Stage, rs *redisStore, fraction float64) *leaser {
	l := &leaser{s: s, rs: rs, fraction: fraction, seed: maphash.MakeSeed(),
		stop: make(chan struct{}), done: make(chan struct{})}
	for i := range l.shards {
		l.shards[i].m = make(map[memKey]*leaseEntry)
	}
	go l.run()
	return l
}

func (l *leaser) shard(c *counter) (*leaseShard, memKey) {
	h := maphash.String(l.seed, c.subject) + uint64(c.rule.idx)*0x9e3779b97f4a7c15 + uint64(c.axis)
	return &l.shards[h%memShards], memKey{rule: c.rule.idx, axis: c.axis, subject: c.subject}
}

// lookup returns c's entry, nil when this replica has none.
func (l *leaser) lookup(c *counter) *leaseEntry {
	sh, k := l.shard(c)
	sh.mu.RLock()
	e := sh.m[k]
	sh.mu.RUnlock()
	return e
}

// entry returns c's entry, created on first use (entries are not evicted,
// as in memStore: at most keys × rules × 4).
func (l *leaser) entry(c *counter) *leaseEntry {
	if e := l.lookup(c); e != nil {
		return e
	}
	sh, k := l.shard(c)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	e := sh.m[k]
	if e == nil {
		e = &leaseEntry{rule: c.rule, axis: c.axis, subject: c.subject, window: c.window}
		sh.m[k] = e
	}
	return e
}

// returning is a lease given back to Redis: −unused on the window it was taken in.
func (e *leaseEntry) returning(window, limit, unused int64) counter {
	return counter{rule: e.rule, axis: e.axis, subject: e.subject, window: window, limit: limit, delta: -unused}
}

// roll moves e to c's window when c is in a later one (the closed window's
// unused lease is appended to back), or c to e's when another request
// already rolled over, as memStore does. e.mu is held.
func (e *leaseEntry) roll(c *counter, back []counter) []counter {
	switch {
	case e.window < c.window:
		if unused := e.held - e.local; unused > 0 {
			back = append(back, e.returning(e.window, c.limit, unused))
		}
		e.window, e.held, e.local, e.others = c.window, 0, 0, 0
	case e.window > c.window:
		c.window = e.window
	}
	return back
}

// reserve admits cs against the replica's leases, all or nothing, taking new
// leases from Redis for the counters the held ones cannot cover. It returns
// the index of the first counter refused (-1 = admitted) and sets every
// counter's used to what this replica knows: others + local.
//
// A counter is refused once a lease call this request sent or waited for
// found less room in Redis than the request lacks: the exact-mode test with
// this replica's unused lease added to the room.
func (l *leaser) reserve(ctx context.Context, cs []counter) (int, error) {
	var stack [16]*leaseEntry
	es := stack[:0]
	for i := range cs {
		e := l.entry(&cs[i])
		cs[i].le = e
		es = append(es, e)
	}
	var (
		waited   []*leaseFlight // per counter: the last flight this request waited on
		short    []int64        // per counter: what the lease lacks for this request
		back     []counter      // closed windows' unused lease to give back
		deadline time.Time
	)
	for {
		now := l.s.now().UnixNano()
		for _, e := range es {
			e.mu.Lock()
		}
		failed, lacking := -1, false
		for i, e := range es {
			c := &cs[i]
			back = e.roll(c, back)
			e.lastUse = now
			if fits(e.local, c.amount, e.held) {
				continue
			}
			need := max(e.local+c.amount-e.held, 1)
			if waited != nil && waited[i] != nil && need > waited[i].room {
				if failed < 0 {
					failed = i
				}
				continue
			}
			if short == nil {
				waited, short = make([]*leaseFlight, len(cs)), make([]int64, len(cs))
			}
			short[i], lacking = need, true
		}
		if failed >= 0 || !lacking {
			for i, e := range es {
				if failed < 0 {
					e.local += cs[i].amount
				}
				cs[i].used = e.others + e.local
				e.mu.Unlock()
			}
			l.giveBack(back)
			return failed, nil
		}
		// Some counter needs more lease: join the call in flight for it,
		// or send one.
		if err := ctx.Err(); err != nil || l.s.isDown() {
			unlockAll(es)
			l.giveBack(back)
			if err != nil {
				return -1, err
			}
			l.s.stats.storeErrors.Add(1)
			return -1, errDown
		}
		var lead []int
		for i, e := range es {
			if short[i] == 0 {
				continue
			}
			if e.flight == nil {
				e.flight = &leaseFlight{done: make(chan struct{})}
				lead = append(lead, i)
			}
			waited[i] = e.flight
		}
		unlockAll(es)
		l.giveBack(back)
		back = back[:0]
		if deadline.IsZero() {
			deadline = time.Now().Add(l.s.timeout)
			if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
				deadline = d
			}
		}
		if len(lead) > 0 {
			l.lease(deadline, cs, es, lead, short)
		}
		if err := l.await(ctx, deadline, waited, short); err != nil {
			return -1, err
		}
		for i := range short {
			short[i] = 0
		}
	}
}

func unlockAll(es []*leaseEntry) {
	for _, e := range es {
		e.mu.Unlock()
	}
}

// await waits for the flights of the counters that lacked lease, within the
// request's deadline.
func (l *leaser) await(ctx context.Context, deadline time.Time, waited []*leaseFlight, short []int64) error {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for i, f := range waited {
		if short[i] == 0 {
			continue
		}
		select {
		case <-f.done:
		default:
			if timer == nil {
				timer = time.NewTimer(time.Until(deadline))
			}
			select {
			case <-f.done:
			case <-timer.C:
				l.s.stats.storeErrors.Add(1)
				return errLeaseWait
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		if f.err != nil {
			// Counted where the call failed, once for the request that sent
			// it (markDown) and once here for every other one.
			return f.err
		}
	}
	return nil
}

// lease sends one lease call for the counters of cs listed in lead (this
// request leads their flights) and completes those flights. The call is not
// cancelled with the request: the grant joins the replica's lease, useful to
// the requests waiting on it whatever happens to this one.
func (l *leaser) lease(deadline time.Time, cs []counter, es []*leaseEntry, lead []int, short []int64) {
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	keys := make([]string, len(lead))
	args := make([]any, 0, 4*len(lead))
	for j, i := range lead {
		c := &cs[i]
		w := l.rs.window(c)
		keys[j] = l.rs.keyIn(c, w)
		want := max(short[i], int64(l.fraction*float64(c.limit)))
		args = append(args, short[i], want, c.limit, w.expireAt)
	}
	l.calls.Add(1)
	res, err := leaseScript.Run(ctx, l.rs.c, keys, args...).Int64Slice()
	if err == nil && len(res) != 2*len(lead) {
		err = fmt.Errorf("%d values for %d counters", len(res), len(lead))
	}
	if err != nil {
		err = fmt.Errorf("quota: redis lease: %w", err)
		l.s.markDown(err)
	}
	var back []counter
	for j, i := range lead {
		c, e := &cs[i], es[i]
		e.mu.Lock()
		f := e.flight
		e.flight = nil
		if err != nil {
			f.err = err
		} else {
			grant, val := res[2*j], res[2*j+1]
			f.room = c.limit - val
			if e.window == c.window {
				e.held += grant
				e.others = val - e.held
			} else if grant > 0 { // the window closed meanwhile: not needed any more
				back = append(back, e.returning(c.window, c.limit, grant))
			}
		}
		e.mu.Unlock()
		close(f.done)
	}
	l.giveBack(back)
}

// settle applies a settlement's deltas (r.counters[i].delta) to the leases.
// Within the lease's window the delta changes local use: a release leaves
// more lease for the next requests; a charge above the held lease is leased
// at once, unconditionally (spend that happened is never dropped, as in exact
// mode). A reservation of a closed window, or settling after Close, was
// counted in Redis when the lease went back, so its delta goes straight there.
func (l *leaser) settle(r *reservation) {
	var push []counter
	for i := range r.counters {
		c := &r.counters[i]
		if c.delta == 0 {
			continue
		}
		e := c.le
		if e == nil { // not looked up: cannot happen for an admitted reservation
			push = append(push, *c)
			c.used += c.delta
			continue
		}
		e.mu.Lock()
		if l.closed.Load() || e.window != c.window {
			e.mu.Unlock()
			push = append(push, *c)
			c.used += c.delta
			continue
		}
		e.local += c.delta
		if over := e.local - e.held; over > 0 {
			e.held = e.local
			d := *c
			d.delta = over
			push = append(push, d)
		}
		c.used = e.others + e.local
		e.mu.Unlock()
	}
	l.giveBack(push)
}

// giveBack sends deltas to Redis through the settlement queue.
func (l *leaser) giveBack(cs []counter) {
	if len(cs) > 0 {
		l.s.push(cs)
	}
}

// sweep returns unused lease: every entry's when all is set (Flush, Close),
// else those of closed windows and those idle for leaseIdle.
func (l *leaser) sweep(all bool) {
	now := l.s.now()
	var es []*leaseEntry
	for i := range l.shards {
		sh := &l.shards[i]
		sh.mu.RLock()
		for _, e := range sh.m {
			es = append(es, e)
		}
		sh.mu.RUnlock()
	}
	var back []counter
	for _, e := range es {
		e.mu.Lock()
		idle := now.UnixNano()-e.lastUse >= int64(leaseIdle)
		if unused := e.held - e.local; unused > 0 && (all || idle || e.window < e.axis.window(now)) {
			back = append(back, e.returning(e.window, e.rule.limits[e.axis], unused))
			e.held = e.local
		}
		e.mu.Unlock()
	}
	l.giveBack(back)
}

// adjustRead turns Redis values (read by State) into what this replica
// knows: its unused lease is not use.
func (l *leaser) adjustRead(cs []counter) {
	for i := range cs {
		c := &cs[i]
		if e := l.lookup(c); e != nil {
			e.mu.Lock()
			if e.window == c.window {
				c.used = max(c.used-e.held+e.local, 0)
			}
			e.mu.Unlock()
		}
	}
}

func (l *leaser) run() {
	defer close(l.done)
	t := time.NewTicker(leaseSweep)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			l.sweep(false)
		case <-l.stop:
			return
		}
	}
}

// close stops the sweeper and returns every unused lease (through the
// settlement queue, which the stage drains next). Settlements after it go
// straight to Redis.
func (l *leaser) close() {
	l.once.Do(func() {
		close(l.stop)
		<-l.done
		l.closed.Store(true)
		l.sweep(true)
	})
}
