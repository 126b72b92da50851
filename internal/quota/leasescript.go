package quota

import "github.com/redis/go-redis/v9"

// leaseScript grants leases (lease.go). ARGV holds (need, want, limit,
// expire-at-ms) per key. For each key, when need fits (the test is fits() in
// memory.go: the counter is below its limit and need takes it no further),
// it adds and grants min(want, limit − counter), else grants 0. It returns
// (grant, counter after) per key. Each key is independent: a grant on one
// budget is kept by the replica even when another of the request's budgets
// is refused. Expire-at (window end plus retention, a constant per key) is
// set when the call creates the key.
var leaseScript = redis.NewScript(`
local out = {}
for i = 1, #KEYS do
  local need, want, limit = tonumber(ARGV[4*i-3]), tonumber(ARGV[4*i-2]), tonumber(ARGV[4*i-1])
  local raw = redis.call('GET', KEYS[i])
  local v = tonumber(raw or '0')
  local grant = 0
  if v < limit and v + need <= limit then
    grant = math.min(want, limit - v)
    v = redis.call('INCRBY', KEYS[i], string.format('%d', grant))
    if not raw then redis.call('PEXPIREAT', KEYS[i], ARGV[4*i]) end
  end
  out[2*i-1] = grant
  out[2*i] = v
end
return out
`)
