package quota

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// keyPrefix namespaces the counters in a Redis shared with other software.
const keyPrefix = "nexus:quota:"

// reserveScript checks every counter of one request and increments them all
// only if each has room: a request is admitted against all its budgets at
// once, so two replicas can never both take the last unit of a budget.
// ARGV holds (amount, limit, expire-at-ms) per key. It returns {0, used…}
// after the increment, or {i, used…} with the values before when KEYS[i] has
// no room. The test is fits() in memory.go. Expire-at is the window end plus
// a retention margin; setting it on every call is idempotent.
var reserveScript = redis.NewScript(`
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
  redis.call('PEXPIREAT', KEYS[i], ARGV[3*i])
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

func redisKey(c *counter) string {
	return keyPrefix + c.rule.name + ":" + c.axis.String() + ":" + c.axis.label(c.window) + ":" + c.subject
}

func expireAtMillis(c *counter) int64 {
	return c.axis.end(c.window).Add(c.axis.retention()).UnixMilli()
}

func (r *redisStore) reserve(ctx context.Context, cs []counter) (int, error) {
	keys := make([]string, len(cs))
	args := make([]any, 0, 3*len(cs))
	for i := range cs {
		c := &cs[i]
		keys[i] = redisKey(c)
		args = append(args, c.amount, c.limit, expireAtMillis(c))
	}
	res, err := reserveScript.Run(ctx, r.c, keys, args...).Int64Slice()
	if err != nil {
		return -1, fmt.Errorf("quota: redis reserve: %w", err)
	}
	if len(res) != len(cs)+1 {
		return -1, fmt.Errorf("quota: redis reserve: %d values for %d counters", len(res), len(cs))
	}
	for i := range cs {
		cs[i].used = res[i+1]
	}
	return int(res[0]) - 1, nil
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
		keys = append(keys, redisKey(c))
		args = append(args, c.delta, expireAtMillis(c))
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
		keys[i] = redisKey(&cs[i])
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
