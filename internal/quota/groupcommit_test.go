package quota

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeRedis is a reserveSender with reserveScript's semantics over counters
// in memory: each batch is applied atomically, its requests in order, each
// all or nothing. Batches can be held at the door (hold) to build queues.
type fakeRedis struct {
	mu      sync.Mutex
	vals    map[counterID]int64
	batches [][]*counter  // first counter of each request, per batch sent
	hold    chan struct{} // non-nil: every send waits for a value from it
	entered chan int      // non-nil: every send reports its size on entry
	fail    error         // every send fails with it
	jitter  bool          // sleep a little inside each send
}

func newFakeRedis() *fakeRedis { return &fakeRedis{vals: map[counterID]int64{}} }

func (f *fakeRedis) send(ctx context.Context, batch []*pendingReserve) ([]int64, error) {
	if f.entered != nil {
		f.entered <- len(batch)
	}
	if f.hold != nil {
		select {
		case <-f.hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	if f.jitter {
		time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	first := make([]*counter, len(batch))
	for i, p := range batch {
		first[i] = &p.cs[0]
	}
	f.batches = append(f.batches, first)
	if f.fail != nil {
		return nil, f.fail
	}
	var out []int64
	for _, p := range batch {
		failed := -1
		for i := range p.cs {
			c := &p.cs[i]
			if !fits(f.vals[id(c)], c.amount, c.limit) {
				failed = i
				break
			}
		}
		if failed < 0 {
			for i := range p.cs {
				f.vals[id(&p.cs[i])] += p.cs[i].amount
			}
		}
		out = append(out, int64(failed))
		for i := range p.cs {
			out = append(out, f.vals[id(&p.cs[i])])
		}
	}
	return out, nil
}

func (f *fakeRedis) sent() [][]*counter {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.batches)
}

func id(c *counter) counterID { return counterID{c.rule, c.axis, c.window, c.subject} }

var gcRule = &rule{name: "g"}

// twoCounters is one request: 1 on an rpm counter limited to rpm, usd on a
// USD counter limited to 1000.
func twoCounters(rpm int64, usd int64) []counter {
	return []counter{
		{rule: gcRule, axis: axisRPM, subject: "k", window: 1, limit: rpm, amount: 1},
		{rule: gcRule, axis: axisUSDDay, subject: "k", window: 1, limit: 1000, amount: usd},
	}
}

func newGroup(f *fakeRedis, wireMax int) *groupCommit {
	return &groupCommit{send: f.send, wireMax: wireMax, batchMax: reserveBatchMax}
}

type result struct {
	failed int
	err    error
}

// submit starts a reservation on its own goroutine; its result arrives on
// the returned channel.
func submit(ctx context.Context, g *groupCommit, cs []counter) <-chan result {
	ch := make(chan result, 1)
	go func() {
		failed, err := g.reserve(ctx, cs)
		ch <- result{failed, err}
	}()
	return ch
}

// queueBehind submits reservations one at a time, each after the previous
// one is queued, so the queue holds them in the given order.
func queueBehind(t *testing.T, g *groupCommit, ctxs []context.Context, reqs [][]counter) []<-chan result {
	t.Helper()
	out := make([]<-chan result, len(reqs))
	for i := range reqs {
		out[i] = submit(ctxs[i], g, reqs[i])
		waitFor(t, func() bool {
			g.mu.Lock()
			defer g.mu.Unlock()
			return len(g.pending) == i+1
		})
	}
	return out
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached within 5s")
		}
		time.Sleep(time.Millisecond)
	}
}

func recv(t *testing.T, ch <-chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no result within 5s")
		return result{}
	}
}

func bg(n int) []context.Context {
	out := make([]context.Context, n)
	for i := range out {
		out[i] = context.Background()
	}
	return out
}

func TestGroupCommitQueuedRequestsShareOneCallInArrivalOrder(t *testing.T) {
	f := newFakeRedis()
	f.hold, f.entered = make(chan struct{}), make(chan int, 8)
	g := newGroup(f, 1)
	lead := twoCounters(3, 300)
	leader := submit(context.Background(), g, lead)
	if n := <-f.entered; n != 1 {
		t.Fatalf("first batch has %d requests, want the leader alone", n)
	}
	// Queued behind the leader's round trip, in this order. rpm is limited
	// to 3 and USD to 1000: the second is refused on USD, the fourth on rpm.
	reqs := [][]counter{twoCounters(3, 500), twoCounters(3, 300), twoCounters(3, 200), twoCounters(3, 0)}
	waiters := queueBehind(t, g, bg(len(reqs)), reqs)
	f.hold <- struct{}{} // the leader's batch answers
	if r := recv(t, leader); r.failed != -1 || r.err != nil || lead[0].used != 1 || lead[1].used != 300 {
		t.Fatalf("leader: %+v used %d/%d, want admitted at 1 request / 300", r, lead[0].used, lead[1].used)
	}
	if n := <-f.entered; n != 4 {
		t.Fatalf("second batch has %d requests, want the 4 that queued", n)
	}
	f.hold <- struct{}{}
	want := []struct {
		failed   int
		rpm, usd int64
		why      string
	}{
		{-1, 2, 800, "fits"},
		{1, 2, 800, "800+300 > 1000: refused on USD, adds nothing"},
		{-1, 3, 1000, "fits exactly, after the refusal added nothing"},
		{0, 3, 1000, "rpm 3 of 3: refused on its first counter"},
	}
	for i, w := range want {
		r := recv(t, waiters[i])
		if r.err != nil || r.failed != w.failed || reqs[i][0].used != w.rpm || reqs[i][1].used != w.usd {
			t.Errorf("request %d (%s): failed=%d err=%v used=%d/%d, want failed=%d used=%d/%d",
				i, w.why, r.failed, r.err, reqs[i][0].used, reqs[i][1].used, w.failed, w.rpm, w.usd)
		}
	}
	batches := f.sent()
	if len(batches) != 2 || g.calls.Load() != 2 {
		t.Fatalf("%d batches sent (calls %d), want 2", len(batches), g.calls.Load())
	}
	for i := range reqs {
		if batches[1][i] != &reqs[i][0] {
			t.Errorf("second batch position %d is not request %d: the batch must keep arrival order", i, i)
		}
	}
	if rpm := f.vals[id(&lead[0])]; rpm != 3 {
		t.Errorf("rpm counter = %d, want 3", rpm)
	}
}

func TestGroupCommitWaiterTimingOutIsNotSentAndOthersGetTheirResults(t *testing.T) {
	f := newFakeRedis()
	f.hold, f.entered = make(chan struct{}), make(chan int, 8)
	g := newGroup(f, 1)
	leader := submit(context.Background(), g, twoCounters(100, 10))
	<-f.entered
	short, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	reqs := [][]counter{twoCounters(100, 10), twoCounters(100, 10), twoCounters(100, 10)}
	start := time.Now()
	waiters := queueBehind(t, g, []context.Context{context.Background(), short, context.Background()}, reqs)
	// The leader's round trip is stuck; the waiter with the short deadline
	// gives up on its own, the others keep waiting.
	if r := recv(t, waiters[1]); !errors.Is(r.err, context.DeadlineExceeded) {
		t.Fatalf("short waiter: %+v, want its deadline", r)
	}
	if took := time.Since(start); took > time.Second {
		t.Errorf("short waiter gave up after %v, want about its 50ms deadline", took)
	}
	f.hold <- struct{}{}
	recv(t, leader)
	if n := <-f.entered; n != 2 {
		t.Fatalf("second batch has %d requests, want 2: the one that gave up is not sent", n)
	}
	f.hold <- struct{}{}
	for _, i := range []int{0, 2} {
		if r := recv(t, waiters[i]); r.err != nil || r.failed != -1 {
			t.Errorf("waiter %d: %+v, want admitted", i, r)
		}
	}
	if usd := f.vals[id(&reqs[0][1])]; usd != 30 {
		t.Errorf("usd counter = %d, want 30: the leader and the two waiters that stayed", usd)
	}
}

func TestGroupCommitWaiterCancelledOnTheWireIsReleased(t *testing.T) {
	f := newFakeRedis()
	f.hold, f.entered = make(chan struct{}), make(chan int, 8)
	g := newGroup(f, 1)
	var orphans [][]counter
	var omu sync.Mutex
	g.orphaned = func(cs []counter) {
		omu.Lock()
		orphans = append(orphans, slices.Clone(cs))
		omu.Unlock()
	}
	leader := submit(context.Background(), g, twoCounters(100, 10))
	<-f.entered
	ctx, cancel := context.WithCancel(context.Background())
	reqs := [][]counter{twoCounters(100, 20), twoCounters(100, 40)}
	waiters := queueBehind(t, g, []context.Context{context.Background(), ctx}, reqs)
	f.hold <- struct{}{}
	recv(t, leader)
	if n := <-f.entered; n != 2 {
		t.Fatalf("second batch has %d requests, want 2", n)
	}
	cancel() // the client goes away while its reservation is on the wire
	if r := recv(t, waiters[1]); !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled waiter: %+v, want context.Canceled", r)
	}
	f.hold <- struct{}{}
	if r := recv(t, waiters[0]); r.err != nil || r.failed != -1 || reqs[0][1].used != 30 {
		t.Errorf("other waiter: %+v used %d, want admitted at 30", r, reqs[0][1].used)
	}
	waitFor(t, func() bool { omu.Lock(); defer omu.Unlock(); return len(orphans) == 1 })
	if o := orphans[0]; len(o) != 2 || o[1].amount != 40 || o[0].amount != 1 {
		t.Errorf("released %+v, want the cancelled request's 1 request and 40 µ$", o)
	}
	if reqs[1][1].used != 0 {
		t.Errorf("the abandoned request's counters were written (used %d) after it gave up", reqs[1][1].used)
	}
}

func TestGroupCommitFailureAppliesToTheWholeBatch(t *testing.T) {
	f := newFakeRedis()
	f.hold, f.entered = make(chan struct{}), make(chan int, 8)
	g := newGroup(f, 1)
	leader := submit(context.Background(), g, twoCounters(100, 10))
	<-f.entered
	waiters := queueBehind(t, g, bg(3), [][]counter{twoCounters(100, 1), twoCounters(100, 2), twoCounters(100, 3)})
	boom := errors.New("connection reset")
	f.mu.Lock()
	f.fail = boom
	f.mu.Unlock()
	f.hold <- struct{}{}
	if r := recv(t, leader); !errors.Is(r.err, boom) {
		t.Errorf("leader: %+v, want the batch's error", r)
	}
	<-f.entered
	f.hold <- struct{}{}
	for i, w := range waiters {
		if r := recv(t, w); !errors.Is(r.err, boom) || r.failed != -1 {
			t.Errorf("waiter %d: %+v, want the batch's error", i, r)
		}
	}
	if got := len(f.sent()); got != 2 {
		t.Errorf("%d calls, want 2: one per batch, not one per request", got)
	}
}

func TestGroupCommitSkipsQueuedBatchAfterAFailure(t *testing.T) {
	f := newFakeRedis()
	f.hold, f.entered = make(chan struct{}), make(chan int, 8)
	g := newGroup(f, 1)
	var down atomic.Bool
	g.skip = func() error {
		if down.Load() {
			return errDown
		}
		return nil
	}
	leader := submit(context.Background(), g, twoCounters(100, 10))
	<-f.entered
	waiters := queueBehind(t, g, bg(2), [][]counter{twoCounters(100, 1), twoCounters(100, 2)})
	f.mu.Lock()
	f.fail = errors.New("i/o timeout")
	f.mu.Unlock()
	down.Store(true) // what the stage does on the leader's failure
	f.hold <- struct{}{}
	recv(t, leader)
	for i, w := range waiters {
		if r := recv(t, w); !errors.Is(r.err, errDown) {
			t.Errorf("waiter %d: %+v, want errDown at once, without a call", i, r)
		}
	}
	if got := g.calls.Load(); got != 1 {
		t.Errorf("calls = %d, want 1: the queued batch is not sent while Redis is marked down", got)
	}
}

func TestGroupCommitLoneRequestLeadsAtOnce(t *testing.T) {
	f := newFakeRedis()
	g := newGroup(f, 1)
	for i := 0; i < 3; i++ {
		cs := twoCounters(100, 10)
		if failed, err := g.reserve(context.Background(), cs); err != nil || failed != -1 {
			t.Fatalf("request %d: failed=%d err=%v", i, failed, err)
		}
	}
	for i, b := range f.sent() {
		if len(b) != 1 {
			t.Errorf("batch %d has %d requests; a request alone is sent alone", i, len(b))
		}
	}
}

func TestGroupCommitSecondRequestGoesBesideALoneOne(t *testing.T) {
	f := newFakeRedis()
	f.hold, f.entered = make(chan struct{}), make(chan int, 8)
	g := newGroup(f, 2)
	first := submit(context.Background(), g, twoCounters(100, 1))
	<-f.entered
	// One request on the wire: the next one does not wait for it.
	second := submit(context.Background(), g, twoCounters(100, 2))
	if n := <-f.entered; n != 1 {
		t.Fatalf("second request went in a batch of %d, want its own", n)
	}
	// Two on the wire: the next ones queue, and go together.
	waiters := queueBehind(t, g, bg(2), [][]counter{twoCounters(100, 3), twoCounters(100, 4)})
	f.hold <- struct{}{}
	f.hold <- struct{}{}
	recv(t, first)
	recv(t, second)
	if n := <-f.entered; n != 2 {
		t.Fatalf("queued requests went in a batch of %d, want 2 together", n)
	}
	f.hold <- struct{}{}
	for i, w := range waiters {
		if r := recv(t, w); r.err != nil || r.failed != -1 {
			t.Errorf("waiter %d: %+v", i, r)
		}
	}
	if usd := f.vals[counterID{gcRule, axisUSDDay, 1, "k"}]; usd != 10 {
		t.Errorf("usd = %d, want 10", usd)
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.crowded {
		t.Error("after a batch of two, crowded = false")
	}
}

func TestGroupCommitQueuesBehindALoneRequestOnlyUnderLoad(t *testing.T) {
	g := &groupCommit{wireMax: 2}
	for _, tt := range []struct {
		onWire, queued int
		crowded        bool
		lead           bool
	}{
		{0, 0, false, true},  // nothing on the wire
		{0, 0, true, true},   // nothing on the wire, whatever came before
		{1, 0, false, true},  // light traffic: beside a lone request
		{1, 0, true, false},  // the last batch carried several: queue
		{2, 0, false, false}, // two on the wire: queue
		{1, 1, false, false}, // never overtake the queue
	} {
		g.onWire, g.crowded, g.pending = tt.onWire, tt.crowded, make([]*pendingReserve, tt.queued)
		if got := g.mayLead(); got != tt.lead {
			t.Errorf("on the wire %d, queued %d, crowded %v: leads = %v, want %v", tt.onWire, tt.queued, tt.crowded, got, tt.lead)
		}
	}
}

func TestGroupCommitExactUnderConcurrency(t *testing.T) {
	for _, wire := range []int{1, 2, 8} {
		t.Run("wire="+strconv.Itoa(wire), func(t *testing.T) {
			f := newFakeRedis()
			f.jitter = true
			g := newGroup(f, wire)
			const n, limit = 300, 100
			var wg sync.WaitGroup
			var mu sync.Mutex
			var seen []int64 // the rpm value each admitted request saw after its increment
			refused := 0
			for i := 0; i < n; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					cs := twoCounters(limit, 1)
					failed, err := g.reserve(context.Background(), cs)
					mu.Lock()
					defer mu.Unlock()
					switch {
					case err != nil:
						t.Errorf("request %d: %v", i, err)
					case failed == -1:
						seen = append(seen, cs[0].used)
					case failed == 0 && cs[0].used == limit:
						refused++
					default:
						t.Errorf("request %d: failed=%d used=%d", i, failed, cs[0].used)
					}
				}()
			}
			wg.Wait()
			slices.Sort(seen)
			if len(seen) != limit || refused != n-limit || seen[0] != 1 || seen[limit-1] != limit {
				t.Fatalf("admitted %d (values %v…), refused %d; want exactly %d admitted, each seeing a distinct count", len(seen), seen[:min(5, len(seen))], refused, limit)
			}
			for i, v := range seen {
				if v != int64(i+1) {
					t.Fatalf("admitted requests saw counts %v: want 1..%d each once", seen, limit)
				}
			}
			calls := g.calls.Load()
			t.Logf("%d requests in %d calls", n, calls)
			if calls >= n {
				t.Errorf("%d calls for %d concurrent requests: nothing was coalesced", calls, n)
			}
			g.mu.Lock()
			defer g.mu.Unlock()
			if g.busy != 0 || g.onWire != 0 || len(g.pending) != 0 {
				t.Errorf("after the run: %d batches (%d requests) on the wire, %d queued; want none", g.busy, g.onWire, len(g.pending))
			}
		})
	}
}
