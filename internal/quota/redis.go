package quota

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// keyPrefix namespaces the counters in a Redis shared with other software.
const keyPrefix = "nexus:quota:"

// reserveOneScript admits one request: it checks every counter and
// increments them all only if each has room, so a request is admitted
// against all its budgets at once and two replicas can never both take the
// last unit of a budget. ARGV holds (amount, limit, expire-at-ms) per key.
// It returns {0, used…} after the increment, or {i, used…} with the values
// before when KEYS[i] has no room (the test is fits() in memory.go).
// Expire-at (window end plus a retention margin, a constant per key) is set
// when the key was absent or 0; a request alone on the wire takes this
// leaner script, whose run time is part of its round trip.
var reserveOneScript = redis.NewScript(`
local n = #KEYS
local vals = {}
for i = 1, n do
  vals[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
end
for i = 1, n do
  local a = tonumber(ARGV[3*i-2])
  local l = tonumber(ARGV[3*i-1])
  if vals[i] >= l or vals[i] + a > l then
    local out = {i}
    for j = 1, n do out[j+1] = vals[j] end
    return out
  end
end
local out = {0}
for i = 1, n do
  out[i+1] = redis.call('INCRBY', KEYS[i], ARGV[3*i-2])
  if vals[i] == 0 then redis.call('PEXPIREAT', KEYS[i], ARGV[3*i]) end
end
return out
`)

// reserveScript admits a batch of requests in order, atomically (see
// groupcommit.go). KEYS are the distinct counters of the batch. ARGV[1] is
// the number of requests; then, per request, its number of counters c and c
// triples (key index, amount, limit); then one expire-at (ms) per key.
//
// A request is admitted when every one of its counters has room (the test is
// fits() in memory.go), counting the requests admitted before it in the
// batch; then all its amounts are added, else none. It returns, per request,
// 0 or the 1-based index of its first counter without room, followed by its
// counters' values after it (before it when refused).
//
// Each key is read once and written once per batch, whatever the batch size:
// one GET, then one INCRBY of the batch's total. PEXPIREAT (window end plus a
// retention margin, a constant per key) is only needed when the INCRBY
// creates the key; every script that creates a key sets it.
var reserveScript = redis.NewScript(`
local val, had, orig = {}, {}, {}
for i = 1, #KEYS do
  local v = redis.call('GET', KEYS[i])
  had[i] = v
  val[i] = tonumber(v or '0')
  orig[i] = val[i]
end
local out, p = {}, 2
for r = 1, tonumber(ARGV[1]) do
  local c = tonumber(ARGV[p])
  local failed = 0
  for j = 1, c do
    local q = p + 3*j - 2
    local v, a, l = val[tonumber(ARGV[q])], tonumber(ARGV[q+1]), tonumber(ARGV[q+2])
    if v >= l or v + a > l then failed = j break end
  end
  if failed == 0 then
    for j = 1, c do
      local q = p + 3*j - 2
      local k = tonumber(ARGV[q])
      val[k] = val[k] + tonumber(ARGV[q+1])
    end
  end
  out[#out+1] = failed
  for j = 1, c do out[#out+1] = val[tonumber(ARGV[p+3*j-2])] end
  p = p + 1 + 3*c
end
for i = 1, #KEYS do
  if val[i] ~= orig[i] then
    redis.call('INCRBY', KEYS[i], string.format('%d', val[i] - orig[i]))
    if not had[i] then redis.call('PEXPIREAT', KEYS[i], ARGV[p+i-1]) end
  end
end
return out
`)

// adjustScript settles: it adds (delta, expire-at-ms) per key and returns
// the new values. A delta lands in the window the amount was reserved in,
// even when that window has closed since.
var adjustScript = redis.NewScript(`
local out = {}
for i = 1, #KEYS do
  out[i] = redis.call('INCRBY', KEYS[i], ARGV[2*i-1])
  redis.call('PEXPIREAT', KEYS[i], ARGV[2*i])
end
return out
`)

type redisStore struct {
	c *redis.Client
	// windows caches, per axis, the key label and expiry of the current
	// window: they change once a minute at most, and formatting a date per
	// request is measurable.
	windows [numAxes]atomic.Pointer[windowKey]
}

type windowKey struct {
	id       int64
	label    string
	expireAt int64 // unix ms: window end plus retention
}

// newRedisStore connects lazily: a Redis that is down at start-up is the
// same runtime condition as one that goes down later, handled by the
// on_redis_error policy, not a reason to refuse to start.
func newRedisStore(rawURL string, timeout time.Duration) (*redisStore, error) {
	opt, err := redis.ParseURL(rawURL)
	if err != nil {
		// The parser's message may quote the URL, which may hold a password.
		return nil, errors.New("quota: invalid redis URL (value not shown)")
	}
	// Every wait is bounded by the request's own deadline (redis_timeout):
	// no retries, no library-side waits longer than that.
	opt.DialTimeout = timeout
	opt.ReadTimeout = timeout
	opt.WriteTimeout = timeout
	opt.PoolTimeout = timeout
	opt.ContextTimeoutEnabled = true
	opt.MaxRetries = -1
	opt.DialerRetries = 1
	opt.DisableIdentity = true // CLIENT SETINFO is unknown before Redis 7.2; skip the round trip
	return &redisStore{c: redis.NewClient(opt)}, nil
}

func expireAtMillis(c *counter) int64 {
	return c.axis.end(c.window).Add(c.axis.retention()).UnixMilli()
}

// window returns the cached label and expiry of c's window.
func (r *redisStore) window(c *counter) *windowKey {
	w := r.windows[c.axis].Load()
	if w == nil || w.id != c.window {
		w = &windowKey{id: c.window, label: c.axis.label(c.window), expireAt: expireAtMillis(c)}
		// A request of the previous window may still arrive; only move forward.
		if old := r.windows[c.axis].Load(); old == nil || old.id < c.window {
			r.windows[c.axis].Store(w)
		}
	}
	return w
}

// key names c's counter in Redis: "nexus:quota:<rule>:<axis>:<window>:<subject>".
func (r *redisStore) key(c *counter) string {
	return r.keyIn(c, r.window(c))
}

func (r *redisStore) keyIn(c *counter, w *windowKey) string {
	return c.rule.redisPfx[c.axis] + w.label + ":" + c.subject
}

// counterID identifies a Redis counter without building its key string.
type counterID struct {
	rule    *rule
	axis    axis
	window  int64
	subject string
}

// sendReserve runs reserveScript for a batch (a reserveSender). Keys shared
// by several requests of the batch are sent once.
func (r *redisStore) sendReserve(ctx context.Context, batch []*pendingReserve) ([]int64, error) {
	if len(batch) == 1 {
		return r.sendOne(ctx, batch[0].cs)
	}
	n := 0
	for _, p := range batch {
		n += len(p.cs)
	}
	keys := make([]string, 0, n)
	expire := make([]any, 0, n)
	args := make([]any, 0, 1+len(batch)+3*n+n)
	args = append(args, len(batch))
	var idx map[counterID]int // only a batch of several requests can repeat a key
	if len(batch) > 1 {
		idx = make(map[counterID]int, n)
	}
	for _, p := range batch {
		args = append(args, len(p.cs))
		for i := range p.cs {
			c := &p.cs[i]
			k := len(keys)
			if idx != nil {
				id := counterID{c.rule, c.axis, c.window, c.subject}
				if at, ok := idx[id]; ok {
					k = at
				} else {
					idx[id] = k
				}
			}
			if k == len(keys) {
				w := r.window(c)
				keys = append(keys, r.keyIn(c, w))
				expire = append(expire, w.expireAt)
			}
			args = append(args, k+1, c.amount, c.limit)
		}
	}
	args = append(args, expire...)
	res, err := reserveScript.Run(ctx, r.c, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("quota: redis reserve: %w", err)
	}
	// Lua counts counters from 1 and says 0 for none; the caller from 0 and -1.
	for at, p := 0, 0; p < len(batch); p++ {
		if at < len(res) {
			res[at]--
		}
		at += 1 + len(batch[p].cs)
	}
	return res, nil
}

// sendOne runs reserveOneScript for a batch of one request.
func (r *redisStore) sendOne(ctx context.Context, cs []counter) ([]int64, error) {
	keys := make([]string, len(cs))
	args := make([]any, 0, 3*len(cs))
	for i := range cs {
		c := &cs[i]
		w := r.window(c)
		keys[i] = r.keyIn(c, w)
		args = append(args, c.amount, c.limit, w.expireAt)
	}
	res, err := reserveOneScript.Run(ctx, r.c, keys, args...).Int64Slice()
	if err != nil {
		return nil, fmt.Errorf("quota: redis reserve: %w", err)
	}
	if len(res) > 0 {
		res[0]-- // Lua counts from 1 and says 0 for none
	}
	return res, nil
}

// reserve is one request alone in a batch.
func (r *redisStore) reserve(ctx context.Context, cs []counter) (int, error) {
	p := &pendingReserve{cs: cs}
	res, err := r.sendReserve(ctx, []*pendingReserve{p})
	if err != nil {
		return -1, err
	}
	if len(res) != len(cs)+1 {
		return -1, fmt.Errorf("quota: redis reserve: %d values for %d counters", len(res), len(cs))
	}
	for i := range cs {
		cs[i].used = res[i+1]
	}
	return int(res[0]), nil
}

func (r *redisStore) adjust(ctx context.Context, cs []counter) error {
	var keys []string
	var args []any
	var idx []int
	for i := range cs {
		c := &cs[i]
		if c.delta == 0 {
			continue
		}
		w := r.window(c)
		keys = append(keys, r.keyIn(c, w))
		args = append(args, c.delta, w.expireAt)
		idx = append(idx, i)
	}
	if len(keys) == 0 {
		return nil
	}
	res, err := adjustScript.Run(ctx, r.c, keys, args...).Int64Slice()
	if err != nil {
		return fmt.Errorf("quota: redis settle: %w", err)
	}
	if len(res) != len(idx) {
		return fmt.Errorf("quota: redis settle: %d values for %d counters", len(res), len(idx))
	}
	for j, i := range idx {
		cs[i].used = res[j]
	}
	return nil
}

func (r *redisStore) read(ctx context.Context, cs []counter) error {
	keys := make([]string, len(cs))
	for i := range cs {
		keys[i] = r.key(&cs[i])
	}
	vals, err := r.c.MGet(ctx, keys...).Result()
	if err != nil {
		return fmt.Errorf("quota: redis read: %w", err)
	}
	for i, v := range vals {
		cs[i].used = 0
		if s, ok := v.(string); ok {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return fmt.Errorf("quota: redis read %s: %w", keys[i], err)
			}
			cs[i].used = n
		}
	}
	return nil
}

func (r *redisStore) close() error { return r.c.Close() }
