#include "scripts.hpp"

namespace snf {
namespace {

// Every script returns the value its first key holds when it ends, or nil (the key is gone),
// or an error. A script that wrote KEYS[1] reads it back last: the write ended Redis's
// tracking of the key for the caller (CLIENT TRACKING), the read starts it again (Redis 7.0.15
// tracks the declared KEYS when a script reads; the key read is KEYS[1] too), so the coherent
// cache may keep the reply as it keeps a GET's (see native/store/README.md).

// NAT_ALLOC: find-or-create an endpoint-independent mapping.
// KEYS[1] forward key, KEYS[2] allocation cursor of the (address, shard).
// ARGV: 1 forward value suffix ("|state|stamp"), 2 reverse key prefix, 3 reverse value,
//       4 external address, 5 first port of the shard, 6 ports in the shard, 7 step (shards),
//       8 ttl ms, 9 tries.
// Returns the forward value ("addr|port|state|stamp"), or an error "exhausted".
// Each redis.call costs Redis a few µs here: the reverse key is taken with SET NX rather than
// EXISTS then SET, the port is formatted as an integer and the TTL passed on as the text it
// came in (a Lua number would be printed back with %.17g); ~12% less server CPU per allocation
// than the EXISTS form (redis-benchmark, bench/RESULTS.md).
const char* kNatAlloc = R"LUA(
local cur = redis.call('GET', KEYS[1])
if cur then return cur end
local first = tonumber(ARGV[5])
local count = tonumber(ARGV[6])
local step = tonumber(ARGV[7])
local tries = math.min(tonumber(ARGV[9]), count)
local start = redis.call('INCR', KEYS[2]) % count
for i = 0, tries - 1 do
  local port = string.format('%d', first + ((start + i) % count) * step)
  if redis.call('SET', ARGV[2] .. port, ARGV[3], 'NX', 'PX', ARGV[8]) then
    local fwd = ARGV[4] .. '|' .. port .. ARGV[1]
    redis.call('SET', KEYS[1], fwd, 'PX', ARGV[8])
    if i > 0 then redis.call('INCRBY', KEYS[2], i) end
    return redis.call('GET', KEYS[1])
  end
end
return redis.error_reply('exhausted')
)LUA";

// NAT_UPDATE: change a mapping's state / refresh its TTL, only if it is still the same mapping.
// KEYS[1] forward, KEYS[2] reverse. ARGV: 1 expected "addr|port|" prefix of the forward value,
// 2 new forward value, 3 new reverse value, 4 ttl ms.
// Returns the forward value now stored (nil if the mapping is gone).
const char* kNatUpdate = R"LUA(
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
if string.sub(cur, 1, string.len(ARGV[1])) ~= ARGV[1] then return cur end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[4])
return redis.call('GET', KEYS[1])
)LUA";

// CAS: compare-and-set on the state field (the text before the first '|').
// KEYS[1] key. ARGV: 1 expected state ('' = key must not exist; '*' = any existing value),
// 2 new value, 3 ttl ms. Returns the value now stored (nil if none).
// RedisStore sends the '' form (a creation) as SET NX PX + GET instead (redis_store.cpp).
const char* kCas = R"LUA(
local cur = redis.call('GET', KEYS[1])
local st = cur and string.match(cur, '^[^|]*') or nil
local ok
if ARGV[1] == '' then ok = (cur == false)
elseif ARGV[1] == '*' then ok = (cur ~= false)
else ok = (st == ARGV[1]) end
if ok then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return redis.call('GET', KEYS[1])
end
return cur
)LUA";

// LB_ASSIGN: find-or-create a flow's backend. KEYS[1] forward key, KEYS[2] load prefix.
// ARGV: 1 mode ('wlc' picks by least active flows / weight; 'fixed' takes the first candidate),
// 2 flow member id, 3 now ms, 4 ttl ms, 5 value suffix ("|state|stamp"), 6 reverse value
// prefix ("vip|", the chosen backend id is appended),
// 7 replace ('1' = overwrite an assignment to a backend that no longer exists),
// then triples: backend id, weight, reverse key.
// Load: one sorted set per backend (members: flows, scores: expiry), so expired flows stop
// counting without anyone decrementing. Returns the forward value ("backend|state|stamp").
const char* kLbAssign = R"LUA(
local cur = redis.call('GET', KEYS[1])
if cur and ARGV[7] ~= '1' then return cur end
local now = tonumber(ARGV[3])
local ttl = tonumber(ARGV[4])
local best, bestScore, bestRev = nil, nil, nil
for i = 8, #ARGV, 3 do
  local id, w = ARGV[i], tonumber(ARGV[i + 1])
  if ARGV[1] == 'fixed' then best, bestRev = id, ARGV[i + 2]; break end
  local lk = KEYS[2] .. id
  redis.call('ZREMRANGEBYSCORE', lk, '-inf', now)
  local score = (redis.call('ZCARD', lk) + 1) / w
  if not bestScore or score < bestScore then best, bestScore, bestRev = id, score, ARGV[i + 2] end
end
if not best then return redis.error_reply('nobackend') end
local v = best .. ARGV[5]
redis.call('SET', KEYS[1], v, 'PX', ttl)
redis.call('SET', bestRev, ARGV[6] .. best, 'PX', ttl)
local lk = KEYS[2] .. best
redis.call('ZADD', lk, now + ttl, ARGV[2])
if redis.call('PTTL', lk) < ttl then redis.call('PEXPIRE', lk, ttl) end
return redis.call('GET', KEYS[1])
)LUA";

// LB_UPDATE: state change / TTL refresh of an assignment, if it still names the same backend.
// KEYS[1] forward, KEYS[2] reverse, KEYS[3] load set of the backend. ARGV: 1 expected
// "backend|" prefix, 2 new forward value, 3 reverse value, 4 ttl ms, 5 member, 6 now ms.
const char* kLbUpdate = R"LUA(
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
if string.sub(cur, 1, string.len(ARGV[1])) ~= ARGV[1] then return cur end
local ttl = tonumber(ARGV[4])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ttl)
redis.call('SET', KEYS[2], ARGV[3], 'PX', ttl)
redis.call('ZADD', KEYS[3], tonumber(ARGV[6]) + ttl, ARGV[5])
if redis.call('PTTL', KEYS[3]) < ttl then redis.call('PEXPIRE', KEYS[3], ttl) end
return redis.call('GET', KEYS[1])
)LUA";

// NAT_CLAIM: create a mapping on a port the caller chose from its lease (NAT_LEASE), if
// neither the forward key nor the port's reverse key exists.
// KEYS[1] forward, KEYS[2] reverse. ARGV: 1 forward value, 2 reverse value, 3 ttl ms.
// Returns the forward value now stored: the one made, the one found (another instance made
// the flow's mapping first), or nil (the port is taken: the caller falls back to NAT_ALLOC).
// RedisStore sends it without Lua, as MULTI MSETNX, PEXPIRE NX (both keys), MGET (both keys),
// EXEC (redis_store.cpp): the same effect, in one atomic step, and the reverse key cached.
const char* kNatClaim = R"LUA(
if redis.call('EXISTS', KEYS[1], KEYS[2]) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[3])
  redis.call('SET', KEYS[2], ARGV[2], 'PX', ARGV[3])
end
return redis.call('GET', KEYS[1])
)LUA";

// NAT_LEASE: take ARGV[1] values of an allocation cursor (KEYS[1]) for this instance alone.
// Returns the cursor's new value: the lease is the ARGV[1] values up to it. RedisStore sends
// it as INCRBY.
const char* kNatLease = R"LUA(
return redis.call('INCRBY', KEYS[1], ARGV[1])
)LUA";

}  // namespace

const char* script_name(ScriptId id) {
  static const char* n[] = {"nat_alloc", "nat_update", "cas", "lb_assign", "lb_update", "nat_claim", "nat_lease"};
  return n[static_cast<int>(id)];
}

const char* script_lua(ScriptId id) {
  static const char* s[] = {kNatAlloc, kNatUpdate, kCas, kLbAssign, kLbUpdate, kNatClaim, kNatLease};
  return s[static_cast<int>(id)];
}

}  // namespace snf
