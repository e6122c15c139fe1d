#include "plugin_store.hpp"

#include "lb_pick.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

namespace snf {

namespace {

// 'S' + 8-byte little-endian expiry + value. The marker keeps the sweeper off objects it did
// not stamp: the NAT cursors are the plugin's 8-byte integers (INCR), never 9 bytes or more.
constexpr char kStampMarker = 'S';
constexpr size_t kStampBytes = 9;
constexpr int kReopenMs = 200;
constexpr size_t kSweepChunk = 64;

int64_t to_i(const std::string& s) { return std::strtoll(s.c_str(), nullptr, 10); }
bool starts_with(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }
void str(Reply& r, const std::string& s) {
  r.type = Reply::Str;
  r.s = s;
}
void err(Reply& r, const char* m) {
  r.type = Reply::Err;
  r.s = m;
}

snf_kv_op make_op(uint8_t kind, const std::string& key) {
  snf_kv_op op{};
  op.kind = kind;
  op.key = key.data();
  op.key_len = static_cast<uint16_t>(key.size());
  return op;
}

// LB load sets ("member\texpiry\n" lines): the flows a backend carries and when each expires,
// so an expired flow stops counting without anyone decrementing (Redis: a sorted set).
using LoadSet = std::map<std::string, int64_t>;
LoadSet parse_load(const std::string& v) {
  LoadSet s;
  size_t p = 0;
  while (p < v.size()) {
    size_t nl = v.find('\n', p);
    if (nl == std::string::npos) nl = v.size();
    size_t tab = v.find('\t', p);
    if (tab != std::string::npos && tab < nl) s[v.substr(p, tab - p)] = std::strtoll(v.c_str() + tab + 1, nullptr, 10);
    p = nl + 1;
  }
  return s;
}
std::string encode_load(const LoadSet& s) {
  std::string v;
  for (const auto& [m, e] : s) {
    v += m;
    v += '\t';
    v += std::to_string(e);
    v += '\n';
  }
  return v;
}
size_t live_members(const std::string& v, int64_t now) {
  size_t n = 0;
  for (const auto& [m, e] : parse_load(v))
    if (e > now) n++;
  return n;
}

}  // namespace

std::string encode_stamped(int64_t expire_ms, const std::string& value) {
  std::string out(kStampBytes + value.size(), '\0');
  out[0] = kStampMarker;
  uint64_t e = static_cast<uint64_t>(expire_ms);
  for (int i = 0; i < 8; i++) out[1 + i] = static_cast<char>((e >> (8 * i)) & 0xff);
  std::memcpy(&out[kStampBytes], value.data(), value.size());
  return out;
}

bool decode_stamped(const char* p, size_t n, int64_t& expire_ms, std::string& value) {
  if (n < kStampBytes || p[0] != kStampMarker) return false;
  uint64_t e = 0;
  for (int i = 0; i < 8; i++) e |= static_cast<uint64_t>(static_cast<uint8_t>(p[1 + i])) << (8 * i);
  expire_ms = static_cast<int64_t>(e);
  value.assign(p + kStampBytes, n - kStampBytes);
  return true;
}

const PluginLibrary* PluginLibrary::load(const std::string& path, std::string& err) {
  static std::mutex mu;
  static std::map<std::string, std::unique_ptr<PluginLibrary>> loaded;
  std::lock_guard<std::mutex> lock(mu);
  auto it = loaded.find(path);
  if (it != loaded.end()) return it->second.get();
  if (path.empty() || path[0] != '/') {
    err = "plugin: must be an absolute path to a store plugin (.so)";
    return nullptr;
  }
  void* dl = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!dl) {
    const char* e = dlerror();
    err = std::string("plugin: cannot load ") + path + ": " + (e ? e : "unknown error");
    return nullptr;
  }
  auto entry = reinterpret_cast<snf_store_plugin_entry>(dlsym(dl, SNF_STORE_PLUGIN_SYMBOL));
  const snf_store_plugin* api = entry ? entry() : nullptr;
  if (!api) {
    dlclose(dl);
    err = "plugin: " + path + " exports no " SNF_STORE_PLUGIN_SYMBOL ": not a StatelessNF store plugin";
    return nullptr;
  }
  if (api->abi_version != SNF_STORE_PLUGIN_ABI_VERSION) {
    err = "plugin: " + path + " speaks store plugin ABI " + std::to_string(api->abi_version) + ", this engine " +
          std::to_string(SNF_STORE_PLUGIN_ABI_VERSION);
    dlclose(dl);
    return nullptr;
  }
  if (!api->open || !api->close || !api->execute || !api->scan || !api->scan_end || !api->last_error) {
    dlclose(dl);
    err = "plugin: " + path + " leaves part of the plugin table empty";
    return nullptr;
  }
  // Never dlclose'd: see the header.
  auto lib = std::unique_ptr<PluginLibrary>(new PluginLibrary(path, api));
  const PluginLibrary* p = lib.get();
  loaded.emplace(path, std::move(lib));
  return p;
}

std::unique_ptr<PluginStore> PluginStore::create(const PluginOptions& o, std::string& err) {
  const PluginLibrary* lib = PluginLibrary::load(o.path, err);
  if (!lib) return nullptr;
  return std::unique_ptr<PluginStore>(new PluginStore(lib, o));
}

PluginStore::PluginStore(const PluginLibrary* lib, PluginOptions o) : lib_(lib), opts_(std::move(o)) {
  ensure_open();
}

PluginStore::~PluginStore() {
  if (handle_ && scan_cursor_) lib_->api().scan_end(handle_, scan_cursor_);
  if (handle_) lib_->api().close(handle_);
}

bool PluginStore::ensure_open() {
  if (handle_) return true;
  int64_t now = now_ms();
  if (now < next_open_ms_) return false;
  char e[512] = {0};
  handle_ = lib_->api().open(opts_.config.c_str(), e, sizeof e);
  if (!handle_) {
    next_open_ms_ = now + kReopenMs;
    stats_.last_error = std::string(lib_->api().name ? lib_->api().name : "plugin") + ": " + (e[0] ? e : "open failed");
    return false;
  }
  stats_.reconnects++;
  stats_.last_error.clear();
  return true;
}

uint32_t PluginStore::run(snf_kv_op* ops, size_t n) {
  uint32_t rts = lib_->api().execute(handle_, ops, n);
  stats_.round_trips += rts;
  stats_.commands += n;  // store operations (Redis: commands), not the NFs' Cmds
  for (size_t i = 0; i < n; i++) {
    if (ops[i].status == SNF_KV_UNAVAILABLE || ops[i].status == SNF_KV_ERROR) {
      unavailable_ = true;
      const char* e = lib_->api().last_error(handle_);
      stats_.last_error = std::string(lib_->api().name ? lib_->api().name : "plugin") + ": " + (e ? e : "store error");
    }
  }
  return rts;
}

namespace {
void absorb(const snf_kv_op& op, bool& exists, int64_t& expire, uint64_t& version, std::string& value) {
  exists = op.status == SNF_KV_OK;
  expire = 0;
  version = op.out_version;
  value.clear();
  if (!exists) return;
  if (!decode_stamped(op.out_val, op.out_len, expire, value)) value.assign(op.out_val, op.out_len);
}
}  // namespace

bool PluginStore::fetch(const std::string& key) {
  snf_kv_op op = make_op(SNF_KV_GET, key);
  run(&op, 1);
  if (op.status != SNF_KV_OK && op.status != SNF_KV_NOT_FOUND) return false;
  Obj& o = obj(key);
  o.known = true;
  absorb(op, o.exists, o.expire, o.version, o.value);
  return true;
}

bool PluginStore::put(const std::string& key, const std::string& value, int64_t expire, uint8_t cond, uint64_t version) {
  std::string raw = encode_stamped(expire, value);
  snf_kv_op op = make_op(SNF_KV_PUT, key);
  op.cond = cond;
  op.version = version;
  op.val = raw.data();
  op.val_len = static_cast<uint32_t>(raw.size());
  run(&op, 1);
  if (op.status != SNF_KV_OK) return false;
  Obj& o = obj(key);
  o.known = o.exists = true;
  o.expire = expire;
  o.version = op.out_version;
  o.value = value;
  return true;
}

// A write over what this batch saw of the key: on its version, or only if it is still absent.
bool PluginStore::put_over(const std::string& key, const std::string& value, int64_t expire, const Obj& seen) {
  bool present = seen.known && seen.exists;
  return put(key, value, expire, present ? SNF_KV_VERSION : SNF_KV_ABSENT, present ? seen.version : 0);
}

// Create-if-absent, where an expired object counts as absent (overwritten on its version).
PluginStore::Put PluginStore::create(const std::string& key, const std::string& value, int64_t expire) {
  int64_t now = now_ms();
  for (int t = 0; t <= opts_.max_retries; t++) {
    Obj& o = obj(key);
    if (o.known && o.live(now)) return Put::Exists;
    if (put_over(key, value, expire, o)) return Put::Ok;
    if (unavailable_ || !fetch(key)) return Put::Unavailable;
  }
  return Put::Contention;
}

bool PluginStore::incr(const std::string& key, int64_t delta, int64_t& out) {
  snf_kv_op op = make_op(SNF_KV_INCR, key);
  op.delta = delta;
  run(&op, 1);
  out = op.out_int;
  return op.status == SNF_KV_OK;
}

void PluginStore::del_version(const std::string& key, uint64_t version) {
  snf_kv_op op = make_op(SNF_KV_DEL, key);
  op.cond = SNF_KV_VERSION;
  op.version = version;
  run(&op, 1);
  if (op.status == SNF_KV_OK) obj(key) = Obj{true, false, 0, 0, {}};
}

bool PluginStore::rmw_load(const std::string& key, const std::string& member, int64_t member_expire, int64_t key_expire,
                           int64_t now) {
  for (int t = 0; t <= opts_.max_retries; t++) {
    Obj& o = obj(key);
    if (!o.known && !fetch(key)) return false;
    LoadSet s = o.live(now) ? parse_load(o.value) : LoadSet{};
    for (auto it = s.begin(); it != s.end();) it = it->second <= now ? s.erase(it) : std::next(it);
    s[member] = member_expire;
    int64_t expire = std::max(o.live(now) ? o.expire : 0, key_expire);
    if (put_over(key, encode_load(s), expire, o)) return true;
    if (unavailable_ || !fetch(key)) return false;
  }
  return false;
}

// Every key a batch's commands read first, in one plugin call (one round trip per server).
void PluginStore::prefetch(const Cmd* cmds, size_t n) {
  ops_.clear();
  auto want = [&](const std::string& key) {
    auto [it, fresh] = known_.try_emplace(key);
    if (fresh) ops_.push_back(make_op(SNF_KV_GET, it->first));
  };
  for (size_t i = 0; i < n; i++) {
    const Cmd& c = cmds[i];
    if (c.keys.empty()) continue;
    want(c.keys[0]);
    if (c.op != Cmd::Script) continue;
    // The LB's load sets: the candidates' for an assignment, the backend's for an update.
    if (c.script == ScriptId::LbUpdate && c.keys.size() > 2) keys_.push_back(c.keys[2]);
    if (c.script == ScriptId::LbAssign && c.args.size() > 7 && c.args[0] != "fixed" && c.keys.size() > 1) {
      for (size_t a = 7; a + 2 < c.args.size(); a += 3) {
        keys_.push_back(c.keys[1] + c.args[a]);
      }
    }
  }
  for (const auto& k : keys_) want(k);
  keys_.clear();
  if (ops_.empty()) return;
  run(ops_.data(), ops_.size());
  for (const auto& op : ops_) {
    if (op.status != SNF_KV_OK && op.status != SNF_KV_NOT_FOUND) continue;
    Obj& o = obj(std::string(op.key, op.key_len));
    o.known = true;
    absorb(op, o.exists, o.expire, o.version, o.value);
  }
}

void PluginStore::execute(const Cmd* cmds, size_t n, std::vector<Reply>& replies) {
  if (replies.size() < n) replies.resize(n);
  if (n == 0) return;
  auto t0 = std::chrono::steady_clock::now();
  known_.clear();
  unavailable_ = false;
  if (!ensure_open()) {
    for (size_t i = 0; i < n; i++) {
      replies[i] = Reply{};
      replies[i].type = Reply::Unavailable;
    }
    stats_.errors++;
    return;
  }
  prefetch(cmds, n);
  int64_t now = now_ms();
  for (size_t i = 0; i < n; i++) {
    const Cmd& c = cmds[i];
    Reply& r = replies[i];
    r = Reply{};
    if (unavailable_) {
      r.type = Reply::Unavailable;
      continue;
    }
    if (c.op == Cmd::Get) {
      Obj& o = obj(c.keys[0]);
      if (!o.known) fetch(c.keys[0]);
      if (o.live(now)) str(r, o.value);
    } else {
      switch (c.script) {
        case ScriptId::NatAlloc: nat_alloc(c, r, now); break;
        case ScriptId::NatUpdate: update(c, r, now, false); break;
        case ScriptId::Cas: cas(c, r, now); break;
        case ScriptId::LbAssign: lb_assign(c, r, now); break;
        case ScriptId::LbUpdate: update(c, r, now, true); break;
        case ScriptId::NatClaim: nat_claim(c, r, now); break;
        case ScriptId::NatLease: nat_lease(c, r); break;
        default: err(r, "unknown script");
      }
    }
    if (unavailable_) {
      r = Reply{};
      r.type = Reply::Unavailable;
    }
  }
  if (unavailable_) stats_.errors++;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  stats_.record_latency_us(static_cast<uint64_t>(us));
}

// NAT_ALLOC (scripts.cpp) without Lua: the cursor by INCR, then take_port from there on.
void PluginStore::nat_alloc(const Cmd& c, Reply& r, int64_t now) {
  const auto& a = c.args;
  const std::string& fwd_key = c.keys[0];
  Obj& cur = obj(fwd_key);
  if (!cur.known && !fetch(fwd_key)) return;
  if (cur.live(now)) return str(r, cur.value);
  int64_t first = to_i(a[4]), count = to_i(a[5]), step = to_i(a[6]), ttl = to_i(a[7]);
  int64_t tries = std::min(to_i(a[8]), count);
  if (count <= 0) return err(r, "exhausted");
  int64_t cursor = 0;
  if (!incr(c.keys[1], 1, cursor)) return;
  int64_t start = cursor % count;
  for (int64_t i = 0; i < tries; i++) {
    std::string port = std::to_string(first + ((start + i) % count) * step);
    Take t = take_port(fwd_key, a[3] + "|" + port + a[0], a[1] + port, a[2], now + ttl, r);
    if (t == Take::Taken) continue;
    int64_t ignored = 0;
    if (t == Take::Made && i > 0) incr(c.keys[1], i, ignored);
    return;
  }
  err(r, "exhausted");
}

// The reverse key of a port, then the forward key, each created if absent. Losing the forward
// key to another instance means its mapping wins and our reverse key is taken back.
PluginStore::Take PluginStore::take_port(const std::string& fwd_key, const std::string& fwd, const std::string& rev_key,
                                         const std::string& rev, int64_t expire, Reply& r) {
  Put p = create(rev_key, rev, expire);
  if (p == Put::Exists) return Take::Taken;
  if (p == Put::Contention) err(r, "contention");
  if (p != Put::Ok) return Take::Done;
  Put f = create(fwd_key, fwd, expire);
  if (f == Put::Ok) {
    str(r, fwd);
    return Take::Made;
  }
  del_version(rev_key, obj(rev_key).version);
  if (f == Put::Exists) str(r, obj(fwd_key).value);
  if (f == Put::Contention) err(r, "contention");
  return Take::Done;
}

// NAT_CLAIM (scripts.cpp): take_port on the chosen port, one try of nat_alloc. The port taken
// leaves the reply nil.
void PluginStore::nat_claim(const Cmd& c, Reply& r, int64_t now) {
  const std::string& fwd_key = c.keys[0];
  Obj& cur = obj(fwd_key);
  if (!cur.known && !fetch(fwd_key)) return;
  if (cur.live(now)) return str(r, cur.value);
  take_port(fwd_key, c.args[0], c.keys[1], c.args[1], now + to_i(c.args[2]), r);
}

void PluginStore::nat_lease(const Cmd& c, Reply& r) {
  int64_t v = 0;
  if (!incr(c.keys[0], to_i(c.args[0]), v)) return;
  r.type = Reply::Int;
  r.i = v;
}

// NAT_UPDATE / LB_UPDATE: the forward value swapped on its version if it is still the same
// mapping, then the reverse value (and, for the LB, the flow's entry in its backend's load).
void PluginStore::update(const Cmd& c, Reply& r, int64_t now, bool lb) {
  const auto& a = c.args;
  int64_t ttl = to_i(a[3]);
  for (int t = 0; t <= opts_.max_retries; t++) {
    Obj& o = obj(c.keys[0]);
    if (!o.known && !fetch(c.keys[0])) return;
    if (!o.live(now)) return;  // nil: the mapping is gone
    if (!starts_with(o.value, a[0])) return str(r, o.value);
    if (!put(c.keys[0], a[1], now + ttl, SNF_KV_VERSION, o.version)) {
      if (unavailable_ || !fetch(c.keys[0])) return;
      continue;
    }
    if (!put(c.keys[1], a[2], now + ttl, SNF_KV_ANY, 0)) return;
    if (lb && !rmw_load(c.keys[2], a[4], to_i(a[5]) + ttl, now + ttl, now)) {
      if (!unavailable_) err(r, "contention");
      return;
    }
    return str(r, a[1]);
  }
  err(r, "contention");
}

// CAS on the state field (the text before the first '|'); '' = must not exist, '*' = any.
void PluginStore::cas(const Cmd& c, Reply& r, int64_t now) {
  const std::string& want = c.args[0];
  for (int t = 0; t <= opts_.max_retries; t++) {
    Obj& o = obj(c.keys[0]);
    if (!o.known && !fetch(c.keys[0])) return;
    bool live = o.live(now);
    bool ok;
    if (want.empty()) ok = !live;
    else if (want == "*") ok = live;
    else ok = live && o.value.substr(0, o.value.find('|')) == want;
    if (!ok) {
      if (live) str(r, o.value);
      return;
    }
    if (put_over(c.keys[0], c.args[1], now + to_i(c.args[2]), o))
      return str(r, c.args[1]);
    if (unavailable_ || !fetch(c.keys[0])) return;
  }
  err(r, "contention");
}

// LB_ASSIGN: the least loaded backend by live flows / weight ('fixed': the first candidate),
// the forward value created (or replaced on its version), the reverse value, the load entry.
void PluginStore::lb_assign(const Cmd& c, Reply& r, int64_t now) {
  const auto& a = c.args;
  int64_t ttl = to_i(a[3]);
  for (int t = 0; t <= opts_.max_retries; t++) {
    Obj& o = obj(c.keys[0]);
    if (!o.known && !fetch(c.keys[0])) return;
    if (o.live(now) && a[6] != "1") return str(r, o.value);
    LbPick pick = lb_pick(a, [&](const std::string& id) -> int64_t {
      std::string lk = c.keys[1] + id;
      Obj& l = obj(lk);
      if (!l.known && !fetch(lk)) return -1;
      return static_cast<int64_t>(l.live(now) ? live_members(l.value, now) : 0);
    });
    if (pick.failed) return;
    const std::string *best = pick.id, *best_rev = pick.rev;
    if (!best) return err(r, "nobackend");
    std::string v = *best + a[4];
    if (!put_over(c.keys[0], v, now + ttl, o)) {
      if (unavailable_ || !fetch(c.keys[0])) return;
      continue;
    }
    if (!put(*best_rev, a[5] + *best, now + ttl, SNF_KV_ANY, 0)) return;
    if (!rmw_load(c.keys[1] + *best, a[1], now + ttl, now + ttl, now)) {
      if (!unavailable_) err(r, "contention");
      return;
    }
    return str(r, v);
  }
  err(r, "contention");
}

PluginStore::SweepResult PluginStore::sweep(int64_t now, size_t max_objects) {
  SweepResult res;
  unavailable_ = false;
  if (!ensure_open()) {
    res.ok = false;
    return res;
  }
  const snf_store_plugin& api = lib_->api();
  std::vector<std::string> expired;
  while (res.scanned < max_objects) {
    ops_.resize(kSweepChunk);
    size_t got = api.scan(handle_, &scan_cursor_, ops_.data(), std::min(kSweepChunk, max_objects - res.scanned));
    if (got == 0) {
      scan_cursor_ = nullptr;  // released by the plugin at the end of the scan
      res.done = true;
      break;
    }
    res.scanned += got;
    expired.clear();
    for (size_t i = 0; i < got; i++) {
      int64_t e = 0;
      std::string v;
      if (decode_stamped(ops_[i].out_val, ops_[i].out_len, e, v) && e != 0 && e <= now)
        expired.emplace_back(ops_[i].key, ops_[i].key_len);
    }
    if (expired.empty()) continue;
    // The scan gives no versions: read them, then delete each on the version that was expired.
    ops_.clear();
    for (const auto& k : expired) ops_.push_back(make_op(SNF_KV_GET, k));
    run(ops_.data(), ops_.size());
    std::vector<snf_kv_op> dels;
    for (const auto& op : ops_) {
      int64_t e = 0;
      std::string v;
      if (op.status == SNF_KV_OK && decode_stamped(op.out_val, op.out_len, e, v) && e != 0 && e <= now) {
        snf_kv_op d = make_op(SNF_KV_DEL, expired[&op - ops_.data()]);
        d.cond = SNF_KV_VERSION;
        d.version = op.out_version;
        dels.push_back(d);
      }
    }
    if (!dels.empty()) run(dels.data(), dels.size());
    for (const auto& d : dels)
      if (d.status == SNF_KV_OK) res.deleted++;
    if (unavailable_) {
      res.ok = false;
      break;
    }
  }
  return res;
}

}  // namespace snf
