package quota

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Group commit of Redis reservations. A round trip to Redis costs far more
// than the script it runs (two system calls and two process wake-ups on each
// side), so concurrent reservations of one replica ride in one script call
// that admits them one after another, atomically: exactly what separate calls
// in that order would have decided, so admission stays exact across replicas.
//
// There is no timer. A reservation that finds nothing on the wire and
// nobody queued is sent at once, in a batch of its own. One that finds a
// batch on the wire queues, with the others that arrive meanwhile, until
// the first batch on the wire comes back, and then all of them go in the
// next batch. So a request waits at most for one round trip already in
// flight plus its own, and never past its own deadline (redis_timeout).
//
// Waiting is only worth it under load. So while the last batch sent was a
// lone request (few requests arrive per round trip), a second lone request
// may go beside it at once: with two concurrent requests neither ever waits
// for the other's round trip, as without batching. Once a batch carries
// several, newcomers queue behind it and calls are shared.

// Tuning, see docs/quotas.md:
const (
	// reserveWire is how many requests may be on the wire, each in a batch
	// of its own, before newcomers queue while the traffic is light.
	reserveWire = 2
	// reserveBatchMax bounds the requests in one script call, so one call
	// never keeps Redis (single-threaded) busy for long.
	reserveBatchMax = 128
)

// pendingReserve states.
const (
	pendWaiting   uint32 = iota // queued or on the wire, nobody gave up
	pendDone                    // result delivered
	pendAbandoned               // its request stopped waiting (deadline, client gone)
)

// pendingReserve is one reservation in a group commit: queued, on the wire,
// or answered.
//
// Once submitted, the submitting goroutine does not write the fields of cs
// a batch reads (rule, axis, subject, window, amount, limit) until it has
// its result, or forever if it gave up; the batch writes used only after it
// won the state to pendDone.
type pendingReserve struct {
	cs       []counter
	deadline time.Time
	state    atomic.Uint32
	ready    chan struct{} // closed on delivery; nil for the batch's leader
	failed   int
	err      error
}

// reserveSender runs one batch in one atomic step, admitting batch[i] after
// batch[i-1]. It returns, for every request in order, the index of the first
// counter without room (-1 = admitted) followed by one value per counter:
// the value after the increment, or before it when refused.
type reserveSender func(ctx context.Context, batch []*pendingReserve) ([]int64, error)

// groupCommit coalesces concurrent reservations into batches.
type groupCommit struct {
	send     reserveSender
	wireMax  int // requests on the wire from which newcomers queue
	batchMax int
	// skip, when it returns an error, fails a batch without sending it
	// (Redis failed a moment ago: the queued requests get the policy now).
	skip func() error
	// orphaned receives the counters of a request that gave up waiting but
	// was admitted by its batch anyway: the caller releases them. Called
	// after the batch's other requests have their results.
	orphaned func(cs []counter)
	calls    atomic.Uint64 // batches sent

	mu      sync.Mutex
	busy    int  // batches on the wire
	onWire  int  // requests in them
	crowded bool // the last batch sent carried several requests: newcomers queue
	pending []*pendingReserve
}

// reserve admits cs (or finds the first counter without room) within ctx.
// A failed batch fails all its requests with the same error.
func (g *groupCommit) reserve(ctx context.Context, cs []counter) (int, error) {
	p := &pendingReserve{cs: cs, failed: -1}
	if d, ok := ctx.Deadline(); ok {
		p.deadline = d
	}
	g.mu.Lock()
	if g.mayLead() {
		// Requests only queue while a batch is on the wire, and a batch
		// that comes back takes the whole queue with it: nobody is left
		// behind, and nobody overtakes the queue.
		g.busy++
		g.onWire++
		g.crowded = false
		g.mu.Unlock()
		g.run([]*pendingReserve{p})
		return p.failed, p.err
	}
	p.ready = make(chan struct{})
	g.pending = append(g.pending, p)
	g.mu.Unlock()
	select {
	case <-p.ready:
	case <-ctx.Done():
		if p.state.CompareAndSwap(pendWaiting, pendAbandoned) {
			return -1, ctx.Err()
		}
		<-p.ready // delivered meanwhile: closing ready is the batch's next step
	}
	return p.failed, p.err
}

// mayLead says whether a new reservation is sent at once rather than
// queued; g.mu is held.
func (g *groupCommit) mayLead() bool {
	return len(g.pending) == 0 && (g.onWire == 0 || (!g.crowded && g.onWire < g.wireMax))
}

// run sends batch, delivers its results, and passes the slot on to the
// requests that queued meanwhile, on a new goroutine so the request that
// led this batch goes on at once.
func (g *groupCommit) run(batch []*pendingReserve) {
	g.execute(batch)
	g.mu.Lock()
	g.onWire -= len(batch)
	if len(g.pending) == 0 {
		g.busy--
		g.mu.Unlock()
		return
	}
	next := g.take()
	g.onWire += len(next)
	g.crowded = len(next) > 1
	g.mu.Unlock()
	go g.run(next)
}

// take removes up to batchMax queued requests; g.mu is held.
func (g *groupCommit) take() []*pendingReserve {
	n := min(len(g.pending), g.batchMax)
	next := make([]*pendingReserve, n)
	copy(next, g.pending)
	rest := copy(g.pending, g.pending[n:])
	clear(g.pending[rest:])
	g.pending = g.pending[:rest]
	return next
}

func (g *groupCommit) execute(batch []*pendingReserve) {
	// Requests that gave up while queued are not sent.
	live := batch[:0:0]
	var deadline time.Time
	for _, p := range batch {
		if p.state.Load() == pendAbandoned {
			continue
		}
		live = append(live, p)
		if !p.deadline.IsZero() && (deadline.IsZero() || p.deadline.Before(deadline)) {
			deadline = p.deadline
		}
	}
	if len(live) == 0 {
		return
	}
	// One client going away must not cancel the others' call, so the call
	// has no parent; it ends at the earliest deadline among its requests.
	ctx := context.Background()
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	var vals []int64
	var err error
	if g.skip != nil {
		err = g.skip()
	}
	if err == nil {
		g.calls.Add(1)
		vals, err = g.send(ctx, live)
	}
	if err == nil {
		want := 0
		for _, p := range live {
			want += 1 + len(p.cs)
		}
		if len(vals) != want {
			err = fmt.Errorf("quota: redis reserve: %d values for %d requests (%d expected)", len(vals), len(live), want)
		}
	}
	var orphans []*pendingReserve
	at := 0
	for _, p := range live {
		var res []int64
		if err == nil {
			res = vals[at : at+1+len(p.cs)]
			at += 1 + len(p.cs)
		}
		if !p.state.CompareAndSwap(pendWaiting, pendDone) {
			// Gave up on the wire. If the batch admitted it, nobody will
			// use or settle that reservation: give it back.
			if err == nil && res[0] < 0 {
				orphans = append(orphans, p)
			}
			continue
		}
		if err != nil {
			p.err = err
		} else {
			p.failed = int(res[0])
			for i := range p.cs {
				p.cs[i].used = res[1+i]
			}
		}
		if p.ready != nil {
			close(p.ready)
		}
	}
	for _, p := range orphans {
		if g.orphaned != nil {
			g.orphaned(p.cs)
		}
	}
}
