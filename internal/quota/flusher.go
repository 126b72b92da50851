package quota

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Settlements against Redis leave the request path: a request hands its
// settled reservation to a background flusher, which merges many of them
// into one script call (one round trip). Tuning, see docs/quotas.md:
const (
	flushEvery     = 2 * time.Millisecond  // longest a settlement waits for its batch
	flushBatch     = 256                   // settlements per batch; a full batch goes at once
	settleQueueCap = 4096                  // beyond this, settlements run on the request path again
	retryEvery     = 50 * time.Millisecond // pause between attempts at a failed batch
	retryFor       = 5 * time.Second       // after this a failed batch is dropped and counted
	// batchIDTTL is how long Redis remembers an applied batch id, so a batch
	// retried after a lost reply is not applied twice. It must exceed
	// retryFor plus one redis_timeout.
	batchIDTTL = time.Minute
)

// batchScript applies one merged batch of settlements exactly once. KEYS[1]
// is the batch id marker; KEYS[i>1] are counters with (delta, expire-at-ms)
// in ARGV[2i-2], ARGV[2i-1]; ARGV[1] is the marker's TTL in ms. A counter
// never goes below zero: a release that lands in a window Redis has lost
// (a restart without persistence) must not hand out budget that was never
// reserved there.
var batchScript = redis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then
  return 0
end
for i = 2, #KEYS do
  local v = redis.call('INCRBY', KEYS[i], ARGV[2*i-2])
  if v < 0 then redis.call('SET', KEYS[i], '0') end
  redis.call('PEXPIREAT', KEYS[i], ARGV[2*i-1])
end
return 1
`)

// settleBatch is a merged set of settlements, sent (and retried) as a unit
// under one id.
type settleBatch struct {
	keys  []string // KEYS: the id marker, then the counters
	args  []any    // ARGV: the marker TTL, then (delta, expire-at) per counter
	n     int      // settlements merged in, for Stats().Unsettled if dropped
	first time.Time
}

// flusher owns every asynchronous write of settlements to Redis: one
// goroutine, so batches are applied one after another.
type flusher struct {
	s     *Stage
	rs    *redisStore
	q     chan *reservation
	reqs  chan chan error // Flush requests
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	mu    sync.RWMutex // excludes enqueue from Close: nothing is queued after the final drain
	shut  bool
	idPfx string
	seq   uint64         // flusher goroutine only
	retry *settleBatch   // a batch whose last attempt failed; flusher goroutine only
	items []*reservation // waiting for the next batch; flusher goroutine only
}

func newFlusher(s *Stage, rs *redisStore) (*flusher, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return nil, fmt.Errorf("quota: settlement batch id: %w", err)
	}
	f := &flusher{s: s, rs: rs,
		q:     make(chan *reservation, settleQueueCap),
		reqs:  make(chan chan error),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		idPfx: keyPrefix + "batch:" + hex.EncodeToString(b[:]) + ":",
	}
	go f.run()
	return f, nil
}

// enqueue hands r (deltas computed) to the flusher. false means the queue is
// full or the stage is closed: the caller settles synchronously instead, so
// a settlement is never dropped for lack of room.
func (f *flusher) enqueue(r *reservation) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	if f.shut {
		return false
	}
	select {
	case f.q <- r:
		return true
	default:
		return false
	}
}

// flush asks the flusher to write everything queued so far now and waits
// for the outcome.
func (f *flusher) flush(ctx context.Context) error {
	reply := make(chan error, 1)
	select {
	case f.reqs <- reply:
	case <-f.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case err := <-reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// close stops the flusher after one last attempt at everything queued.
func (f *flusher) close() {
	f.once.Do(func() {
		f.mu.Lock()
		f.shut = true
		f.mu.Unlock()
		close(f.stop)
		<-f.done
	})
}

func (f *flusher) run() {
	defer close(f.done)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	armed := false
	arm := func(d time.Duration) {
		if !armed {
			timer.Reset(d)
			armed = true
		}
	}
	for {
		// While a failed batch waits for its retry, take at most one batch
		// more: the channel then fills and requests settle synchronously,
		// which keeps memory bounded during an outage.
		q := f.q
		if f.retry != nil && len(f.items) >= flushBatch {
			q = nil
		}
		select {
		case r := <-q:
			f.items = append(f.items, r)
			if len(f.items) >= flushBatch && f.retry == nil {
				if f.write(false) != nil {
					arm(retryEvery)
				}
			} else {
				arm(flushEvery)
			}
		case <-timer.C:
			armed = false
			if f.write(false) != nil {
				arm(retryEvery)
			}
		case reply := <-f.reqs:
			f.drainQueue()
			err := f.write(false)
			if err != nil {
				arm(retryEvery)
			}
			reply <- err
		case <-f.stop:
			f.drainQueue()
			// One last attempt at the failed batch and one at the rest
			// (Close waits at most two redis_timeouts); nothing retries
			// after this, so what fails is counted as unsettled.
			if f.write(true) != nil {
				f.drop(f.retry)
				f.retry = nil
				if f.write(true) != nil {
					f.drop(f.retry)
				}
			}
			return
		}
	}
}

func (f *flusher) drainQueue() {
	for {
		select {
		case r := <-f.q:
			f.items = append(f.items, r)
		default:
			return
		}
	}
}

// write sends the batch that failed before, then the waiting settlements.
// final ignores the cooldown (Close makes one last attempt).
func (f *flusher) write(final bool) error {
	if f.retry != nil {
		if err := f.send(f.retry, final); err != nil {
			if f.s.now().Sub(f.retry.first) > retryFor {
				f.drop(f.retry)
				f.retry = nil
			}
			return err
		}
		f.retry = nil
	}
	b := f.batch()
	if b == nil {
		return nil
	}
	if err := f.send(b, final); err != nil {
		f.retry = b
		return err
	}
	return nil
}

// batch merges the waiting settlements by counter key into one batch (nil
// when their deltas cancel out or there are none) and empties the list.
func (f *flusher) batch() *settleBatch {
	if len(f.items) == 0 {
		return nil
	}
	f.seq++
	b := &settleBatch{n: len(f.items), first: f.s.now()}
	b.keys = append(b.keys, f.idPfx+strconv.FormatUint(f.seq, 10))
	b.args = append(b.args, batchIDTTL.Milliseconds())
	idx := make(map[string]int, 8)
	for i, r := range f.items {
		for j := range r.counters {
			c := &r.counters[j]
			if c.delta == 0 {
				continue
			}
			w := f.rs.window(c)
			k := f.rs.keyIn(c, w)
			if at, ok := idx[k]; ok {
				b.args[at] = b.args[at].(int64) + c.delta
				continue
			}
			idx[k] = len(b.args)
			b.keys = append(b.keys, k)
			b.args = append(b.args, c.delta, w.expireAt)
		}
		f.items[i] = nil
	}
	f.items = f.items[:0]
	if len(b.keys) == 1 {
		return nil
	}
	return b
}

func (f *flusher) send(b *settleBatch, final bool) error {
	if !final && f.s.isDown() {
		return errDown
	}
	ctx, cancel := context.WithTimeout(context.Background(), f.s.timeout)
	defer cancel()
	if err := batchScript.Run(ctx, f.rs.c, b.keys, b.args...).Err(); err != nil {
		f.s.markDown(err)
		return fmt.Errorf("quota: redis settle batch: %w", err)
	}
	f.s.stats.batches.Add(1)
	return nil
}

// drop gives up on b: its reservations stay charged as reserved.
func (f *flusher) drop(b *settleBatch) {
	if b != nil {
		f.s.stats.unsettled.Add(uint64(b.n))
	}
}
