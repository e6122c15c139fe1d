#include "local_store.hpp"

#include "lb_pick.hpp"

#include <chrono>
#include <cstdlib>

namespace snf {

const uint32_t kLatencyBucketsUs[StoreStats::kBuckets] = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 50000, 100000, 0xffffffffu};

void StoreStats::record_latency_us(uint64_t us) {
  for (int i = 0; i < kBuckets; i++) {
    if (us <= kLatencyBucketsUs[i]) {
      latency[i]++;
      return;
    }
  }
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

namespace {
int64_t to_i(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }
void str(Reply& r, const std::string& s) {
  r.type = Reply::Str;
  r.s = s;
}
void nil(Reply& r) { r.type = Reply::Nil; }
void err(Reply& r, const char* m) {
  r.type = Reply::Err;
  r.s = m;
}
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
}  // namespace

void LocalStore::ZSet::add(const std::string& member, int64_t s) {
  auto [it, fresh] = score.try_emplace(member, s);
  if (!fresh) {
    by_score.erase({it->second, member});
    it->second = s;
  }
  by_score.emplace(s, member);
}

void LocalStore::ZSet::prune(int64_t now) {
  while (!by_score.empty() && by_score.begin()->first <= now) {
    score.erase(by_score.begin()->second);
    by_score.erase(by_score.begin());
  }
}

LocalStore::Entry* LocalStore::find(const std::string& key, int64_t now) {
  auto it = table_.find(key);
  if (it == table_.end()) return nullptr;
  if (it->second.expire_ms && it->second.expire_ms <= now) {
    table_.erase(it);
    return nullptr;
  }
  return &it->second;
}

void LocalStore::set(const std::string& key, const std::string& val, int64_t ttl, int64_t now) {
  Entry& e = table_[key];
  e.is_zset = false;
  e.zset.clear();
  e.val = val;
  e.expire_ms = ttl > 0 ? now + ttl : 0;
}

LocalStore::Entry& LocalStore::zset(const std::string& key, int64_t now) {
  Entry* e = find(key, now);
  if (e) return *e;
  Entry& n = table_[key];
  n.is_zset = true;
  return n;
}

// Expired keys nobody reads again would pile up: reclaim a few per batch, as Redis does.
// Walks the table bucket by bucket from where the last sweep stopped, so every key is looked
// at in turn (starting from begin() each time would never reach expired keys behind live ones).
void LocalStore::sweep(int64_t now) {
  size_t buckets = table_.bucket_count();
  if (buckets == 0) return;
  std::vector<std::string> dead;
  for (int budget = 16; budget > 0; budget--) {
    size_t b = sweep_bucket_++ % buckets;
    for (auto it = table_.begin(b); it != table_.end(b); ++it)
      if (it->second.expire_ms && it->second.expire_ms <= now) dead.push_back(it->first);
  }
  for (const auto& k : dead) table_.erase(k);
}

void LocalStore::execute(const Cmd* cmds, size_t n, std::vector<Reply>& replies) {
  if (replies.size() < n) replies.resize(n);
  if (n == 0) return;
  auto t0 = std::chrono::steady_clock::now();
  int64_t now = now_ms();
  for (size_t i = 0; i < n; i++) {
    const Cmd& c = cmds[i];
    Reply& r = replies[i];
    r = Reply{};
    if (c.op == Cmd::Get) {
      Entry* e = find(c.keys[0], now);
      if (e && !e->is_zset) str(r, e->val);
      else nil(r);
      continue;
    }
    switch (c.script) {
      case ScriptId::NatAlloc: nat_alloc(c, r, now); break;
      case ScriptId::NatUpdate: nat_update(c, r, now); break;
      case ScriptId::Cas: cas(c, r, now); break;
      case ScriptId::LbAssign: lb_assign(c, r, now); break;
      case ScriptId::LbUpdate: lb_update(c, r, now); break;
      case ScriptId::NatClaim: nat_claim(c, r, now); break;
      case ScriptId::NatLease: nat_lease(c, r); break;
      default: err(r, "unknown script");
    }
  }
  if (max_keys_ == 0 || table_.size() > max_keys_ / 2) sweep(now);
  stats_.round_trips++;
  stats_.commands += n;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  stats_.record_latency_us(static_cast<uint64_t>(us));
}

void LocalStore::nat_alloc(const Cmd& c, Reply& r, int64_t now) {
  const auto& a = c.args;
  if (Entry* e = find(c.keys[0], now)) return str(r, e->val);
  int64_t first = to_i(a[4]), count = to_i(a[5]), step = to_i(a[6]), ttl = to_i(a[7]);
  int64_t tries = std::min(to_i(a[8]), count);
  if (count <= 0) return err(r, "exhausted");
  Entry& cursor = table_[c.keys[1]];
  int64_t cur = to_i(cursor.val) + 1;
  int64_t start = cur % count;
  for (int64_t i = 0; i < tries; i++) {
    int64_t port = first + ((start + i) % count) * step;
    std::string rk = a[1] + std::to_string(port);
    if (!find(rk, now)) {
      std::string fwd = a[3] + "|" + std::to_string(port) + a[0];
      set(rk, a[2], ttl, now);
      set(c.keys[0], fwd, ttl, now);
      table_[c.keys[1]].val = std::to_string(cur + i);
      return str(r, fwd);
    }
  }
  table_[c.keys[1]].val = std::to_string(cur);
  err(r, "exhausted");
}

void LocalStore::nat_update(const Cmd& c, Reply& r, int64_t now) {
  Entry* e = find(c.keys[0], now);
  if (!e) return nil(r);
  if (!starts_with(e->val, c.args[0])) return str(r, e->val);
  int64_t ttl = to_i(c.args[3]);
  set(c.keys[0], c.args[1], ttl, now);
  set(c.keys[1], c.args[2], ttl, now);
  str(r, c.args[1]);
}

void LocalStore::nat_claim(const Cmd& c, Reply& r, int64_t now) {
  Entry* e = find(c.keys[0], now);
  if (e) return str(r, e->val);
  if (find(c.keys[1], now)) return nil(r);
  int64_t ttl = to_i(c.args[2]);
  set(c.keys[1], c.args[1], ttl, now);
  set(c.keys[0], c.args[0], ttl, now);
  str(r, c.args[0]);
}

// The cursor is an integer without a TTL, as nat_alloc keeps it.
void LocalStore::nat_lease(const Cmd& c, Reply& r) {
  Entry& cursor = table_[c.keys[0]];
  cursor.val = std::to_string(to_i(cursor.val) + to_i(c.args[0]));
  r.type = Reply::Int;
  r.i = to_i(cursor.val);
}

void LocalStore::cas(const Cmd& c, Reply& r, int64_t now) {
  Entry* e = find(c.keys[0], now);
  const std::string& want = c.args[0];
  bool ok;
  if (want.empty()) ok = e == nullptr;
  else if (want == "*") ok = e != nullptr;
  else ok = e && e->val.substr(0, e->val.find('|')) == want;
  if (ok) {
    set(c.keys[0], c.args[1], to_i(c.args[2]), now);
    return str(r, c.args[1]);
  }
  if (e) str(r, e->val);
  else nil(r);
}

void LocalStore::lb_assign(const Cmd& c, Reply& r, int64_t now) {
  const auto& a = c.args;
  Entry* e = find(c.keys[0], now);
  if (e && a[6] != "1") return str(r, e->val);
  int64_t ttl = to_i(a[3]);
  LbPick pick = lb_pick(a, [&](const std::string& id) -> int64_t {
    Entry& z = zset(c.keys[1] + id, now);
    z.zset.prune(now);
    return static_cast<int64_t>(z.zset.size());
  });
  const std::string *best = pick.id, *best_rev = pick.rev;
  if (!best) return err(r, "nobackend");
  std::string v = *best + a[4];
  set(c.keys[0], v, ttl, now);
  set(*best_rev, a[5] + *best, ttl, now);
  Entry& z = zset(c.keys[1] + *best, now);
  z.zset.add(a[1], now + ttl);
  if (z.expire_ms && z.expire_ms < now + ttl) z.expire_ms = now + ttl;
  else if (!z.expire_ms) z.expire_ms = now + ttl;
  str(r, v);
}

void LocalStore::lb_update(const Cmd& c, Reply& r, int64_t now) {
  Entry* e = find(c.keys[0], now);
  if (!e) return nil(r);
  if (!starts_with(e->val, c.args[0])) return str(r, e->val);
  int64_t ttl = to_i(c.args[3]);
  set(c.keys[0], c.args[1], ttl, now);
  set(c.keys[1], c.args[2], ttl, now);
  Entry& z = zset(c.keys[2], now);
  z.zset.add(c.args[4], to_i(c.args[5]) + ttl);
  if (!z.expire_ms || z.expire_ms < now + ttl) z.expire_ms = now + ttl;
  str(r, c.args[1]);
}

}  // namespace snf
