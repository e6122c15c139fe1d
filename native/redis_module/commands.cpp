// snf-redis-module.so: the data plane's compare-and-sets as native Redis commands. Each does exactly what
// its Lua script in native/store/scripts.cpp does (same keys, values, TTLs and reply; the
// tests run both on the same cases), at a third of the server CPU: a Lua call's set-up and its
// redis.call conversions were half of redis-server's command time on the replay
// (bench/RESULTS.md). Like a script, a command runs alone, so each is one atomic step.
//
// Writes go to replicas and the AOF as plain `SET key value PXAT <ms>`: a replica or a restart
// replays them without this module. The engine uses these commands only where COMMAND INFO
// lists all of them, and falls back to the scripts where a call is refused (native/store).
#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>

#include "api.hpp"

using namespace snf::rm;

namespace {

const char kWrongType[] = "WRONGTYPE Operation against a key holding the wrong kind of value";

// An open key, closed when it goes out of scope. Closing does not signal a change (the module
// sets kNoImplicitSignalModified): set() does, for the keys actually written.
class Key {
 public:
  Key(RedisModuleCtx* ctx, RedisModuleString* name)
      : k_(static_cast<RedisModuleKey*>(rm_OpenKey(ctx, name, kRead | kWrite))) {}
  ~Key() { rm_CloseKey(k_); }
  Key(const Key&) = delete;
  Key& operator=(const Key&) = delete;
  bool empty() const { return rm_KeyType(k_) == kKeyEmpty; }
  bool string() const { return rm_KeyType(k_) == kKeyString; }
  // The value, nullptr when the key has none.
  const char* value(size_t* len) const {
    *len = 0;
    return string() ? rm_StringDMA(k_, len, kRead) : nullptr;
  }
  RedisModuleKey* get() const { return k_; }

 private:
  RedisModuleKey* k_;
};

// The TTL argument as SET PX takes it: a positive integer of milliseconds. `at`: when it ends;
// `ttl_out`, where given: the TTL itself.
bool expiry(RedisModuleCtx* ctx, RedisModuleString* arg, const char* cmd, long long* at, long long* ttl_out = nullptr) {
  long long ttl = 0;
  if (rm_StringToLongLong(arg, &ttl) != kOk || ttl <= 0) {
    char msg[80];
    std::snprintf(msg, sizeof msg, "ERR invalid expire time in '%s' command", cmd);
    rm_ReplyWithError(ctx, msg);
    return false;
  }
  *at = rm_Milliseconds() + ttl;
  if (ttl_out) *ttl_out = ttl;
  return true;
}

// A write, signalled as a SET's is: CLIENT TRACKING invalidates the key in other instances'
// caches, WATCH sees it.
void set(RedisModuleCtx* ctx, const Key& k, RedisModuleString* name, RedisModuleString* value, long long at) {
  rm_StringSet(k.get(), value);
  rm_SetAbsExpire(k.get(), at);
  rm_SignalModifiedKey(ctx, name);
  rm_Replicate(ctx, "SET", "sscl", name, value, "PXAT", at);
}

int reply_value(RedisModuleCtx* ctx, const char* v, size_t len) {
  return v ? rm_ReplyWithStringBuffer(ctx, v, len) : rm_ReplyWithNull(ctx);
}

int reply_arg(RedisModuleCtx* ctx, RedisModuleString* s) {
  size_t len = 0;
  const char* p = rm_StringPtrLen(s, &len);
  return rm_ReplyWithStringBuffer(ctx, p, len);
}

// SNF.CAS key expected new ttl-ms: the `cas` script. `expected` is the state field (the text
// before the first '|'), '' for "no value", '*' for "any value". Replies the value now stored.
int cas(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 5) return rm_WrongArity(ctx);
  Key k(ctx, argv[1]);
  if (!k.empty() && !k.string()) return rm_ReplyWithError(ctx, kWrongType);
  size_t el = 0, cl = 0;
  const char* e = rm_StringPtrLen(argv[2], &el);
  const char* cur = k.value(&cl);
  bool ok;
  if (el == 0) {
    ok = cur == nullptr;
  } else if (el == 1 && e[0] == '*') {
    ok = cur != nullptr;
  } else if (cur == nullptr) {
    ok = false;
  } else {
    const void* bar = std::memchr(cur, '|', cl);
    size_t sl = bar ? static_cast<size_t>(static_cast<const char*>(bar) - cur) : cl;
    ok = sl == el && std::memcmp(cur, e, el) == 0;
  }
  if (!ok) return reply_value(ctx, cur, cl);
  long long at = 0;
  if (!expiry(ctx, argv[4], "snf.cas", &at)) return kOk;
  set(ctx, k, argv[1], argv[3], at);
  return reply_arg(ctx, argv[3]);
}

// The compare step of `nat_update` and `lb_update`: whether the forward key still holds a value
// starting with `prefix` (the same mapping or backend). If not, the reply is sent: nil (gone),
// the value found, or WRONGTYPE.
bool still_holds(RedisModuleCtx* ctx, const Key& f, RedisModuleString* prefix) {
  if (!f.empty() && !f.string()) {
    rm_ReplyWithError(ctx, kWrongType);
    return false;
  }
  size_t cl = 0, pl = 0;
  const char* cur = f.value(&cl);
  if (!cur) {
    rm_ReplyWithNull(ctx);
    return false;
  }
  const char* p = rm_StringPtrLen(prefix, &pl);
  if (pl <= cl && std::memcmp(cur, p, pl) == 0) return true;
  reply_value(ctx, cur, cl);
  return false;
}

// SNF.NATUPD forward reverse prefix new-forward new-reverse ttl-ms: the `nat_update` script.
// Rewrites both keys only while the forward value still starts with `prefix` (the same
// address and port). Replies the forward value now stored (nil: the mapping is gone).
int nat_update(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 7) return rm_WrongArity(ctx);
  Key f(ctx, argv[1]);
  if (!still_holds(ctx, f, argv[3])) return kOk;
  long long at = 0;
  if (!expiry(ctx, argv[6], "snf.natupd", &at)) return kOk;
  Key r(ctx, argv[2]);
  set(ctx, f, argv[1], argv[4], at);
  set(ctx, r, argv[2], argv[5], at);
  return reply_arg(ctx, argv[4]);
}

// SNF.CLAIM forward forward-value reverse reverse-value ttl-ms: the `nat_claim` script. Creates
// both keys if neither exists. Replies the forward value now stored: the one made, the one
// found, or nil (only the port's reverse key exists: the port is taken).
int nat_claim(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 6) return rm_WrongArity(ctx);
  Key f(ctx, argv[1]);
  Key r(ctx, argv[3]);
  if (f.empty() && r.empty()) {
    long long at = 0;
    if (!expiry(ctx, argv[5], "snf.claim", &at)) return kOk;
    set(ctx, f, argv[1], argv[2], at);
    set(ctx, r, argv[3], argv[4], at);
    return reply_arg(ctx, argv[2]);
  }
  if (!f.empty() && !f.string()) return rm_ReplyWithError(ctx, kWrongType);
  size_t cl = 0;
  const char* cur = f.value(&cl);
  return reply_value(ctx, cur, cl);
}

// Adds `member` to a backend's load set, scored by when it expires (`now` + `ttl`), and raises
// the set's TTL to `ttl` if lower: the close of `lb_update` and `lb_assign`. False: the key
// holds another type (the caller replies the error, as the script's ZADD would fail).
bool load_add(RedisModuleCtx* ctx, RedisModuleString* name, RedisModuleString* member, long long now,
              long long ttl, long long at) {
  Key load(ctx, name);
  long long expires = now + ttl;  // the member's score: when it leaves the backend's load
  int flags = 0;  // in: no NX / XX; out: added or updated
  if (rm_ZsetAdd(load.get(), static_cast<double>(expires), member, &flags) != kOk) return false;
  rm_SignalModifiedKey(ctx, name);
  rm_Replicate(ctx, "ZADD", "sls", name, expires, member);
  long long left = rm_GetExpire(load.get());
  if (left == kNoExpire || left < ttl) {
    rm_SetAbsExpire(load.get(), at);
    rm_Replicate(ctx, "PEXPIREAT", "sl", name, at);
  }
  return true;
}

// The concatenation of two strings as a string the module made, freed when it goes out of scope.
class Str {
 public:
  Str(RedisModuleCtx* ctx, const char* a, size_t al, const char* b, size_t bl) : ctx_(ctx) {
    std::string v(a, al);
    v.append(b, bl);
    s_ = rm_CreateString(ctx, v.data(), v.size());
  }
  ~Str() { rm_FreeString(ctx_, s_); }
  Str(const Str&) = delete;
  Str& operator=(const Str&) = delete;
  RedisModuleString* get() const { return s_; }

 private:
  RedisModuleCtx* ctx_;
  RedisModuleString* s_;
};

// SNF.LBUPD forward reverse load prefix new-forward new-reverse ttl-ms member now-ms: the
// `lb_update` script. While the forward value still starts with `prefix` (the same backend),
// rewrites both keys and adds `member` to the backend's load set (load_add). Replies the
// forward value now stored (nil: the assignment is gone). A `now` that is not an integer is
// refused before anything is written (the script would write both keys, then fail at its ZADD).
int lb_update(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc != 10) return rm_WrongArity(ctx);
  Key f(ctx, argv[1]);
  if (!still_holds(ctx, f, argv[4])) return kOk;
  long long at = 0, ttl = 0, now = 0;
  if (!expiry(ctx, argv[7], "snf.lbupd", &at, &ttl)) return kOk;
  if (rm_StringToLongLong(argv[9], &now) != kOk) return rm_ReplyWithError(ctx, "ERR now is not an integer");
  Key r(ctx, argv[2]);
  set(ctx, f, argv[1], argv[5], at);
  set(ctx, r, argv[2], argv[6], at);
  if (!load_add(ctx, argv[3], argv[8], now, ttl, at)) return rm_ReplyWithError(ctx, kWrongType);
  return reply_arg(ctx, argv[5]);
}

// SNF.LBASSIGN forward mode member now-ms ttl-ms suffix reverse-prefix force
//              [backend weight reverse load] ...: the `lb_assign` script, with each backend's
// reverse key and load set named in full so that Redis knows every key it touches (getkeys-api:
// cluster slots, ACL key patterns), where the script builds the load set's name from a prefix.
// Returns the forward value if there is one (unless `force` is 1); else picks the backend ("fixed":
// the first; otherwise the least loaded by weight, its load set pruned of members expired by
// `now`), writes forward ("<backend><suffix>") and reverse ("<reverse-prefix><backend>") with
// the TTL, adds `member` to its load set (load_add), and replies the forward value. No backend:
// the error "ERR nobackend". A malformed `now`, TTL or weight is refused before anything is written.
int lb_assign(RedisModuleCtx* ctx, RedisModuleString** argv, int argc) {
  if (argc < 9 || (argc - 9) % 4 != 0) return rm_WrongArity(ctx);
  int n = (argc - 9) / 4;
  if (rm_IsKeysPositionRequest(ctx)) {
    rm_KeyAtPos(ctx, 1);
    for (int k = 0; k < n; k++) {
      rm_KeyAtPos(ctx, 11 + 4 * k);
      rm_KeyAtPos(ctx, 12 + 4 * k);
    }
    return kOk;
  }
  size_t cl = 0;
  {
    Key f(ctx, argv[1]);
    if (!f.empty() && !f.string()) return rm_ReplyWithError(ctx, kWrongType);
    const char* cur = f.value(&cl);
    size_t fl = 0;
    const char* force = rm_StringPtrLen(argv[8], &fl);
    if (cur && !(fl == 1 && force[0] == '1')) return reply_value(ctx, cur, cl);
  }
  long long at = 0, ttl = 0, now = 0;
  if (!expiry(ctx, argv[5], "snf.lbassign", &at, &ttl)) return kOk;
  if (rm_StringToLongLong(argv[4], &now) != kOk) return rm_ReplyWithError(ctx, "ERR now is not an integer");
  for (int k = 0; k < n; k++) {
    long long w = 0;
    if (rm_StringToLongLong(argv[10 + 4 * k], &w) != kOk) return rm_ReplyWithError(ctx, "ERR weight is not an integer");
  }
  size_t ml = 0;
  const char* mode = rm_StringPtrLen(argv[2], &ml);
  bool fixed = ml == 5 && std::memcmp(mode, "fixed", 5) == 0;
  int best = -1;
  double best_score = 0;
  for (int k = 0; k < n; k++) {
    if (fixed) {
      best = k;
      break;
    }
    RedisModuleString* load = argv[12 + 4 * k];
    size_t count = 0;
    bool expired = false;  // members scored up to `now`: the script's ZREMRANGEBYSCORE removes them
    {
      Key l(ctx, load);
      int type = rm_KeyType(l.get());
      if (type != kKeyEmpty && type != kKeyZset) return rm_ReplyWithError(ctx, kWrongType);
      if (type == kKeyZset && rm_ZsetFirstInScoreRange(l.get(), -HUGE_VAL, static_cast<double>(now), 0, 0) == kOk) {
        expired = !rm_ZsetRangeEndReached(l.get());
        rm_ZsetRangeStop(l.get());
      }
      count = rm_ValueLength(l.get());
    }
    if (expired) {
      // That command itself (most calls have nothing to prune and skip it): replicated as it is,
      // signalled as it signals.
      RedisModuleCallReply* pr = rm_Call(ctx, "ZREMRANGEBYSCORE", "!scl", load, "-inf", now);
      bool failed = pr == nullptr || rm_CallReplyType(pr) == kReplyError;
      if (pr) rm_FreeCallReply(pr);
      if (failed) return rm_ReplyWithError(ctx, kWrongType);
      Key l(ctx, load);
      count = rm_ValueLength(l.get());
    }
    long long w = 0;
    rm_StringToLongLong(argv[10 + 4 * k], &w);
    double score = static_cast<double>(count + 1) / static_cast<double>(w);
    if (best < 0 || score < best_score) {
      best = k;
      best_score = score;
    }
  }
  if (best < 0) return rm_ReplyWithError(ctx, "ERR nobackend");  // as Redis words the script's
  size_t il = 0, sl = 0, rl = 0;
  const char* id = rm_StringPtrLen(argv[9 + 4 * best], &il);
  const char* suffix = rm_StringPtrLen(argv[6], &sl);
  const char* revp = rm_StringPtrLen(argv[7], &rl);
  Str fv(ctx, id, il, suffix, sl);
  Str rv(ctx, revp, rl, id, il);
  {
    Key f(ctx, argv[1]);
    Key r(ctx, argv[11 + 4 * best]);
    set(ctx, f, argv[1], fv.get(), at);
    set(ctx, r, argv[11 + 4 * best], rv.get(), at);
  }
  if (!load_add(ctx, argv[12 + 4 * best], argv[3], now, ttl, at)) return rm_ReplyWithError(ctx, kWrongType);
  return reply_arg(ctx, fv.get());
}

}  // namespace

extern "C" __attribute__((visibility("default"))) int RedisModule_OnLoad(RedisModuleCtx* ctx, RedisModuleString**, int) {
  if (init(ctx, "snf", 1) != kOk) return kErr;
  // By default Redis signals every key a module opened for writing when it is closed, written
  // or not: a compare that failed, or a claim that found its mapping, would then empty every
  // other instance's cached copy, which the scripts never did. set() signals what it writes.
  rm_SetModuleOptions(ctx, kNoImplicitSignalModified);
  // first key, last key, step: how Redis Cluster finds the keys (slot checks, redirects).
  if (rm_CreateCommand(ctx, "snf.cas", cas, "write deny-oom fast", 1, 1, 1) != kOk) return kErr;
  if (rm_CreateCommand(ctx, "snf.natupd", nat_update, "write deny-oom fast", 1, 2, 1) != kOk) return kErr;
  if (rm_CreateCommand(ctx, "snf.claim", nat_claim, "write deny-oom fast", 1, 3, 2) != kOk) return kErr;
  if (rm_CreateCommand(ctx, "snf.lbupd", lb_update, "write deny-oom fast", 1, 3, 1) != kOk) return kErr;
  // Its keys are where its arguments say (getkeys-api): the first is the forward key.
  if (rm_CreateCommand(ctx, "snf.lbassign", lb_assign, "write deny-oom getkeys-api", 1, 1, 1) != kOk) return kErr;
  return kOk;
}
