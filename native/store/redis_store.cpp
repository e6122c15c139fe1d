#include "redis_store.hpp"

#include <poll.h>
#include <sched.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "store/redis_conn.hpp"
#include "store/sync_call.hpp"

namespace snf {

namespace {

int64_t mono_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

ConnOptions conn_options(const RedisOptions& o) {
  ConnOptions c;
  c.connect_timeout_ms = o.connect_timeout_ms;
  c.tls = o.tls;
  c.tls_opts = o.tls_opts;
  return c;
}

std::vector<std::string> auth_argv(const RedisOptions& o) {
  if (o.user.empty()) return {"AUTH", o.password};
  return {"AUTH", o.user, o.password};
}

// One-word commands, appended from constants (argv_ may hold the command being built).
const char* kAsking[1] = {"ASKING"};
const size_t kAskingLen[1] = {6};
const char* kMulti[1] = {"MULTI"};
const size_t kMultiLen[1] = {5};
const char* kExec[1] = {"EXEC"};
const size_t kExecLen[1] = {4};

// The major version in an INFO server reply ("redis_version:7.0.15"), 0 if none.
int redis_major(const std::string& info) {
  size_t at = info.find("redis_version:");
  return at == std::string::npos ? 0 : std::atoi(info.c_str() + at + 14);
}

}  // namespace

struct RedisStore::Node {
  int index = 0;  // in the router and the tracker
  std::unique_ptr<RedisConn> c;
  int64_t retry_at_us = 0;
  int64_t backoff_us = 0;
  bool ever_connected = false;
  // Redis 7.0 or later (PEXPIRE ... NX): a nat_claim goes as plain commands, not as its script.
  bool plain_claims = false;
  // The server has the store module (native/redis_module): cas, nat_update and nat_claim go as
  // its commands. Cleared when one is refused (NOPERM, unknown command): the scripts again.
  bool module = false;
  std::vector<Want> want;  // replies expected, in order; those before `head` are read
  size_t head = 0;
  uint64_t base = 0;  // replies read (or given up) before want[0], since the node was added
  uint64_t answered() const { return base + head; }
  uint64_t expected() const { return base + want.size(); }
  Reply reply;  // each reply is parsed here, then swapped into the slot it answers
};

RedisStore::RedisStore(RedisOptions opts)
    : opts_(std::move(opts)), router_(opts_.cluster), tracker_(opts_.cache_bytes, opts_.cache_recheck_us) {
  for (const auto& s : opts_.seeds) {
    std::string h;
    int p;
    if (ClusterRouter::split_host_port(s, h, p)) router_.node_for(h, p);
  }
  add_nodes();
}

RedisStore::~RedisStore() {
  for (auto& n : nodes_) disconnect(*n, false);
}

void RedisStore::add_nodes() {
  while (nodes_.size() < router_.nodes()) {
    auto n = std::make_unique<Node>();
    n->index = static_cast<int>(nodes_.size());
    nodes_.push_back(std::move(n));
  }
}

void RedisStore::disconnect(Node& n, bool count_failure) {
  fail_pending(n);
  n.c.reset();
  tracker_.lost(n.index);
  if (count_failure) {
    // Back off so a dead store costs one failed connect per interval, not one per batch.
    n.backoff_us = n.backoff_us ? std::min<int64_t>(n.backoff_us * 2, 1000000) : 10000;
    n.retry_at_us = mono_us() + n.backoff_us;
    stats_.errors++;
    router_.mark_stale();
  }
}

void RedisStore::fail(Node& n, const std::string& why) {
  stats_.last_error = "store " + router_.addr(n.index).name() + ": " + why;
  if (n.c) disconnect(n, true);
}

bool RedisStore::ensure_connected(Node& n) {
  if (n.c) return true;
  if (mono_us() < n.retry_at_us) return false;
  const NodeAddr& addr = router_.addr(n.index);
  std::string err;
  n.c = RedisConn::open(addr.host, addr.port, conn_options(opts_), &err);
  if (!n.c) {
    stats_.last_error = "store " + addr.name() + ": " + err;
    disconnect(n, true);
    return false;
  }
  if (n.ever_connected) stats_.reconnects++;
  bool auth = !opts_.password.empty() || !opts_.user.empty();
  if (auth) {
    Reply r;
    if (!sync_call(n, auth_argv(opts_), r)) {
      fail(n, "AUTH: no reply");
      return false;
    }
    if (r.type == Reply::Err) {
      // WRONGPASS / NOAUTH / ERR ... as Redis words it; the password is never part of it.
      fail(n, "AUTH" + std::string(opts_.user.empty() ? "" : " as " + opts_.user) + " refused: " + r.s);
      return false;
    }
  }
  Reply info;
  n.plain_claims = sync_call(n, {"INFO", "server"}, info) && info.type == Reply::Str && redis_major(info.s) >= 7;
  Reply mods;
  // All or none: a server with an older build of the module (fewer commands) runs the scripts.
  n.module = n.plain_claims &&
             sync_call(n, {"COMMAND", "INFO", "snf.cas", "snf.natupd", "snf.claim", "snf.lbupd", "snf.lbassign"}, mods) &&
             mods.type == Reply::Arr && mods.a.size() == 5 &&
             std::all_of(mods.a.begin(), mods.a.end(), [](const Reply& e) { return e.type == Reply::Arr; });
  SyncCall call = [this, &n](const std::vector<std::string>& argv, Reply& out) { return sync_call(n, argv, out); };
  if (!scripts_.load(call, &err)) {
    fail(n, err);
    return false;
  }
  if (tracker_.enabled()) {
    std::vector<std::string> a;
    if (auth) a = auth_argv(opts_);
    if (!tracker_.open(n.index, addr.host, addr.port, conn_options(opts_), auth ? &a : nullptr,
                       std::max(opts_.timeout_ms, opts_.connect_timeout_ms), call, &err)) {
      fail(n, err);
      return false;
    }
  }
  n.ever_connected = true;
  n.backoff_us = 0;
  std::string prefix = "store " + addr.name() + ":";
  if (stats_.last_error.compare(0, prefix.size(), prefix) == 0) stats_.last_error.clear();
  return true;
}

void RedisStore::append_raw(Node& n, const std::vector<std::string>& argv) {
  argv_.clear();
  argvlen_.clear();
  for (const auto& a : argv) {
    argv_.push_back(a.data());
    argvlen_.push_back(a.size());
  }
  n.c->append(static_cast<int>(argv_.size()), argv_.data(), argvlen_.data());
}

bool RedisStore::sync_call(Node& n, const std::vector<std::string>& argv, Reply& out) {
  if (!n.c) return false;
  append_raw(n, argv);
  out = Reply{};
  out.type = Reply::Unavailable;
  n.want.push_back({&out, false, false});
  exchange({n.index}, mono_us() + 1000LL * std::max(opts_.timeout_ms, opts_.connect_timeout_ms));
  return out.type != Reply::Unavailable;
}

bool RedisStore::refresh_slots() {
  for (size_t i = 0; i < nodes_.size(); i++) {
    Node& n = *nodes_[i];
    if (!ensure_connected(n)) continue;
    Reply r;
    if (!sync_call(n, {"CLUSTER", "SLOTS"}, r) || !router_.apply_slots(r, n.index)) continue;
    add_nodes();
    return true;
  }
  return false;
}

// A create-if-absent (`cas` expecting no entry) needs no script: SET NX, then a GET of the
// key, as adjacent commands on the key's connection. The GET answers as the script would (the
// value the key holds, this one's or the one found) and, being a read, has Redis track the key
// for the cache again. Not atomic with the SET: a change another instance makes in between is
// what the GET returns, as it would be on the flow's next read. A Lua call costs Redis
// ~25-30 µs of CPU on the replay against ~2-4 µs for the two commands (bench/RESULTS.md).
static bool sent_as_set_nx(const Cmd& c) {
  return c.op == Cmd::Script && c.script == ScriptId::Cas && c.args.size() == 3 && c.args[0].empty();
}

// The scripts the store module has as commands, in the forms it takes (a creation stays SET NX).
static bool native_form(const Cmd& c) {
  if (c.op != Cmd::Script) return false;
  switch (c.script) {
    case ScriptId::Cas: return c.keys.size() == 1 && c.args.size() == 3 && !c.args[0].empty();
    case ScriptId::NatUpdate: return c.keys.size() == 2 && c.args.size() == 4;
    case ScriptId::NatClaim: return c.keys.size() == 2 && c.args.size() == 3;
    case ScriptId::LbUpdate: return c.keys.size() == 3 && c.args.size() == 6;
    case ScriptId::LbAssign: return c.keys.size() == 2 && c.args.size() >= 7 && (c.args.size() - 7) % 3 == 0;
    default: return false;
  }
}

// A module command the server would not run for us: not loaded there (a failover to a node
// without it) or not allowed to our user. The command is sent again as its script.
static bool native_refused(const std::string& err) {
  return err.find("'snf.") != std::string::npos &&
         (err.compare(0, 6, "NOPERM") == 0 || err.compare(0, 19, "ERR unknown command") == 0);
}

int RedisStore::append(Node& n, const Cmd& c, bool eval, bool asking, Reply* target, bool refill) {
  // After ASK, every command of c needs its own ASKING (it covers the next command only).
  auto one = [&](Reply* t, bool r, bool lead) {
    if (asking) {
      n.c->append(1, kAsking, kAskingLen);
      n.want.push_back({nullptr, false, false});
    }
    n.c->append(static_cast<int>(argv_.size()), argv_.data(), argvlen_.data());
    n.want.push_back({t, r, lead});
  };
  argv_.clear();
  argvlen_.clear();
  auto push = [&](const char* p, size_t l) {
    argv_.push_back(p);
    argvlen_.push_back(l);
  };
  if (c.op == Cmd::Get) {
    push("GET", 3);
    push(c.keys[0].data(), c.keys[0].size());
    one(target, refill, false);
    return 1;
  }
  if (c.op == Cmd::Script && c.script == ScriptId::NatLease) {
    push("INCRBY", 6);
    push(c.keys[0].data(), c.keys[0].size());
    push(c.args[0].data(), c.args[0].size());
    one(target, false, false);
    return 1;
  }
  if (n.module && native_form(c)) {
    // The module's command answers with the value it leaves. With the cache, a GET of the key
    // (an MGET of both, for a claim) right behind it answers instead: being a read, it has Redis
    // track the key for us again, as a script's closing GET does; a change another instance
    // makes in between is what it returns, as the flow's next read would.
    bool track = tracker_.enabled();
    const auto& k = c.keys;
    const auto& a = c.args;
    if (c.script == ScriptId::Cas) {
      push("SNF.CAS", 7);
      for (const std::string* x : {&k[0], &a[0], &a[1], &a[2]}) push(x->data(), x->size());
    } else if (c.script == ScriptId::NatUpdate) {
      push("SNF.NATUPD", 10);
      for (const std::string* x : {&k[0], &k[1], &a[0], &a[1], &a[2], &a[3]}) push(x->data(), x->size());
    } else if (c.script == ScriptId::LbUpdate) {
      push("SNF.LBUPD", 9);
      for (const std::string* x : {&k[0], &k[1], &k[2], &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]})
        push(x->data(), x->size());
    } else if (c.script == ScriptId::LbAssign) {
      // The script's (backend, weight, reverse key) per candidate, plus its load set named in
      // full (the script builds it from the prefix in KEYS[2]), so Redis knows every key.
      push("SNF.LBASSIGN", 12);
      push(k[0].data(), k[0].size());
      for (size_t i = 0; i < 7; i++) push(a[i].data(), a[i].size());
      size_t nb = (a.size() - 7) / 3;
      if (load_keys_.size() < nb) load_keys_.resize(nb);
      for (size_t b = 0; b < nb; b++) {
        const std::string& id = a[7 + 3 * b];
        load_keys_[b].assign(k[1]).append(id);
        const std::string& load = load_keys_[b];
        for (const std::string* x : {&id, &a[8 + 3 * b], &a[9 + 3 * b], &load}) push(x->data(), x->size());
      }
    } else {
      push("SNF.CLAIM", 9);
      for (const std::string* x : {&k[0], &a[0], &k[1], &a[1], &a[2]}) push(x->data(), x->size());
    }
    one(target, !track && refill, track);
    if (!track) return 1;
    // The read behind it, with its own ASKING after ASK, as every command of c.
    bool claim = c.script == ScriptId::NatClaim;
    argv_.clear();
    argvlen_.clear();
    push(claim ? "MGET" : "GET", claim ? 4 : 3);
    push(k[0].data(), k[0].size());
    if (!claim) {
      one(target, refill, false);
      return 2;
    }
    // The claim's MGET: the forward value answers, the reverse one refills (as append_claim's).
    push(k[1].data(), k[1].size());
    one(target, false, false);
    n.want.back().pick = 0;
    n.want.back().refill_at = 1;
    tracker_.expect_refill(n.index, k[1]);
    return 2;
  }
  if (c.op == Cmd::Script && c.script == ScriptId::NatClaim && n.plain_claims)
    return append_claim(n, c, asking, target);
  if (sent_as_set_nx(c)) {
    push("SET", 3);
    push(c.keys[0].data(), c.keys[0].size());
    push(c.args[1].data(), c.args[1].size());
    push("NX", 2);
    push("PX", 2);
    push(c.args[2].data(), c.args[2].size());
    one(target, false, true);
    argv_.clear();
    argvlen_.clear();
    push("GET", 3);
    push(c.keys[0].data(), c.keys[0].size());
    one(target, refill, false);
    return 2;
  }
  char nkeys[8];
  ScriptRegistry::Head h = scripts_.head(c.script, eval);
  push(h.verb, h.verb_len);
  push(h.ref, h.ref_len);
  int nk = std::snprintf(nkeys, sizeof nkeys, "%zu", c.keys.size());
  push(nkeys, static_cast<size_t>(nk));
  for (const auto& k : c.keys) push(k.data(), k.size());
  for (const auto& a : c.args) push(a.data(), a.size());
  one(target, refill, false);
  return 1;
}

// MSETNX sets both keys or neither, atomically; PEXPIRE NX gives them the TTL only if they
// have none (ours: every flow key is written with one), so a mapping found is left as it was;
// MGET of both keys has Redis track them for the cache: the forward value answers as the
// script does, and the reverse one refills the cache, so the flow's first reply finds it,
// where a GET posted after the claim (as a mapping nat_alloc made still needs, its port
// unknown until it answers) would often still be on its way when the reply's batch reads (one
// MGET rather than two GETs: 3-7% less redis-server CPU per packet on bench/engine mix). The
// transaction makes it one step: no instance sees the keys without their TTL, and a crash
// cannot leave them so. Slots: both keys carry the (address, shard) tag. After ASK, one ASKING
// before MULTI covers the whole transaction (Redis keeps the flag while it is queued). A Lua
// call costs Redis ~25 µs of CPU on the replay, these six a few µs (bench/RESULTS.md).
int RedisStore::append_claim(Node& n, const Cmd& c, bool asking, Reply* target) {
  if (asking) {
    n.c->append(1, kAsking, kAskingLen);
    n.want.push_back({nullptr, false, false});
  }
  n.c->append(1, kMulti, kMultiLen);
  n.want.push_back({target, false, true});
  const std::string &fk = c.keys[0], &rk = c.keys[1], &ttl = c.args[2];
  {
    const char* a[5] = {"MSETNX", fk.data(), c.args[0].data(), rk.data(), c.args[1].data()};
    size_t l[5] = {6, fk.size(), c.args[0].size(), rk.size(), c.args[1].size()};
    n.c->append(5, a, l);
    n.want.push_back({target, false, true});
  }
  for (const std::string* k : {&fk, &rk}) {
    const char* a[4] = {"PEXPIRE", k->data(), ttl.data(), "NX"};
    size_t l[4] = {7, k->size(), ttl.size(), 2};
    n.c->append(4, a, l);
    n.want.push_back({target, false, true});
  }
  {
    const char* a[3] = {"MGET", fk.data(), rk.data()};
    size_t l[3] = {4, fk.size(), rk.size()};
    n.c->append(3, a, l);
    n.want.push_back({target, false, true});
  }
  n.c->append(1, kExec, kExecLen);
  // The MGET (fourth in the transaction): the forward value answers, the reverse one refills.
  bool refills = tracker_.enabled();
  n.want.push_back({target, false, false, 3, static_cast<int8_t>(refills ? 3 : -1), true});
  if (refills) tracker_.expect_refill(n.index, rk);
  return 6;
}

void RedisStore::append_get(Node& n, const std::string& key) {
  const char* argv[2] = {"GET", key.data()};
  size_t len[2] = {3, key.size()};
  n.c->append(2, argv, len);
}

// The replies still expected from n will never come: whoever waits for one gets Unavailable,
// and the list is emptied.
void RedisStore::fail_pending(Node& n) {
  for (size_t k = n.head; k < n.want.size(); k++)
    if (n.want[k].target) n.want[k].target->type = Reply::Unavailable;
  n.base += n.want.size();
  n.want.clear();
  n.head = 0;
  tracker_.forget_refills(n.index);
}

void RedisStore::module_refused(Node& n) {
  if (!n.module) return;
  n.module = false;
  stats_.module_fallbacks++;
}

// Every reply expected from n has been read: start the list again (keeping its capacity).
void RedisStore::settle(Node& n) {
  if (n.head < n.want.size()) return;
  n.base += n.want.size();
  n.want.clear();
  n.head = 0;
  tracker_.forget_refills(n.index);
}

// One reply read off n's connection, for the want it answers. A reply moves into its slot by a
// swap: the slot's old buffers become the next reply's, so nothing is copied or allocated.
void RedisStore::consume(Node& n, const Want& w, Reply& r) {
  // First, whatever else the reply does: its refill was expected in order with the others.
  if (w.refill_at >= 0) {
    const Reply* e = r.type == Reply::Arr && static_cast<size_t>(w.refill_at) < r.a.size() ? &r.a[static_cast<size_t>(w.refill_at)] : &r;
    if (w.pair && e->type == Reply::Arr && e->a.size() == 2) e = &e->a[1];
    tracker_.refilled(n.index, *e);
  }
  // The SET of a create sent as SET NX + GET: its reply is the GET's, unless it failed.
  if (w.lead && r.type != Reply::Err) return;
  if (w.target) {
    // A failed SET or queued command has answered already; what follows does not hide that.
    if (!w.lead && w.target->type == Reply::Err) return;
    if (w.pick >= 0 && r.type == Reply::Arr) {
      // An EXEC: a command of the transaction that failed answers (none should), else the pick.
      for (Reply& e : r.a)
        if (e.type == Reply::Err) return std::swap(*w.target, e);
      if (static_cast<size_t>(w.pick) < r.a.size()) {
        Reply& e = r.a[static_cast<size_t>(w.pick)];
        if (w.pair && e.type == Reply::Arr && e.a.size() == 2) return std::swap(*w.target, e.a[0]);
        return std::swap(*w.target, e);
      }
    }
    std::swap(*w.target, r);
    return;
  }
  if (w.refill) tracker_.refilled(n.index, r);
  if (r.type == Reply::Err) {
    // A posted refresh that failed is redone at the flow's next refresh interval; MOVED
    // means the slot map is out of date.
    stats_.errors++;
    router_.note_posted_error(r.s.data(), r.s.size());
    if (native_refused(r.s)) module_refused(n);
  }
}

bool RedisStore::read_replies(Node& n, std::string* err) {
  int got = 0;
  while (n.head < n.want.size() && (got = n.c->next(n.reply, err)) == 1) consume(n, n.want[n.head++], n.reply);
  return got >= 0;
}

// Writes every node's pipeline and reads every expected reply, all nodes at once, until done
// or the deadline. A node that fails or times out is disconnected (its reply stream can no
// longer be trusted) and its outstanding replies become Unavailable. Replies to posted
// commands come first on a connection: they are read (and used) on the way.
void RedisStore::exchange(const std::vector<int>& active, int64_t deadline_us,
                          const std::vector<std::pair<int, uint64_t>>* ends) {
  // What each node must have answered: everything sent, or this exchange's share.
  auto target = [&](int i) {
    if (ends)
      for (const auto& e : *ends)
        if (e.first == i) return e.second;
    return nodes_[i]->expected();
  };
  live_.clear();
  for (int i : active) {
    Node& n = *nodes_[i];
    if (n.c && n.answered() < target(i)) live_.push_back(i);
  }
  std::string err;
  auto failed = [&](int i) { fail(*nodes_[i], err); };
  // Write eagerly: on loopback the whole pipeline usually fits the socket buffer at once.
  for (int i : live_)
    if (!nodes_[i]->c->flush(&err)) failed(i);
  // Busy-poll the replies for up to spin_us before sleeping in poll(): on a loaded VM the wake-up
  // from a blocking poll() costs tens of µs on top of the store's own answer (bench/RESULTS.md).
  // sched_yield() between looks lets a store process sharing this core run.
  int64_t spin_until = opts_.spin_us > 0 ? mono_us() + opts_.spin_us : 0;
  for (;;) {
    pfds_.clear();
    polled_.clear();
    for (int i : live_) {
      Node& n = *nodes_[i];
      if (!n.c || n.answered() >= target(i)) continue;
      pfds_.push_back({n.c->fd(), n.c->events(true), 0});
      polled_.push_back(i);
    }
    if (pfds_.empty()) break;
    int64_t left = deadline_us - mono_us();
    if (left <= 0) {
      err = "no reply within " + std::to_string(opts_.timeout_ms) + " ms";
      for (int i : polled_) failed(i);
      break;
    }
    int rc = 0;
    if (spin_until) {
      while ((rc = poll(pfds_.data(), pfds_.size(), 0)) == 0 && mono_us() < spin_until) sched_yield();
      if (rc == 0) spin_until = 0;  // spent: sleep from now on
    }
    if (rc == 0) {
      left = deadline_us - mono_us();  // the spin counts against the deadline
      if (left > 0) rc = poll(pfds_.data(), pfds_.size(), static_cast<int>((left + 999) / 1000));
    }
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;
    for (size_t p = 0; p < pfds_.size(); p++) {
      int i = polled_[p];
      Node& n = *nodes_[i];
      if (!n.c || pfds_[p].revents == 0) continue;
      if (!n.c->service(pfds_[p].revents, &err) || !read_replies(n, &err)) failed(i);
    }
  }
  for (int i : live_) settle(*nodes_[i]);
}

void RedisStore::post(const Cmd* cmds, size_t count) {
  for (size_t i = 0; i < count; i++) {
    const Cmd& c = cmds[i];
    int node = router_.route(c);
    if (node < 0) continue;
    Node& n = *nodes_[node];
    if (!n.c) {
      // No connection now, and nothing waits for this: the flow refreshes at its next interval.
      stats_.errors++;
      continue;
    }
    // A GET an NF posts warms the cache for a flow's next packet; a key the cache holds is
    // warm already (a claim read its reverse key in its own transaction).
    if (c.op == Cmd::Get && tracker_.enabled() && tracker_.cache().has(c.keys[0])) continue;
    const std::vector<const std::string*>& refill = tracker_.uncache_posted(c, node);
    // The script's reply is its first key's value, read last (scripts.cpp): it refills that
    // key itself; the other keys it wrote that were cached get a GET behind it. A posted GET
    // is a refill of its key (an NF warming the cache for a flow's next packet).
    bool self = tracker_.enabled();
    stats_.commands += append(n, c, false, false, nullptr, self);
    if (self) tracker_.expect_refill(node, c.keys[0]);
    for (const std::string* k : refill) {
      append_get(n, *k);
      n.want.push_back({nullptr, true, false});
      tracker_.expect_refill(node, *k);
      stats_.commands++;
    }
    if (posted_.empty()) posted_since_us_ = mono_us();
    if (std::find(posted_.begin(), posted_.end(), node) == posted_.end()) posted_.push_back(node);
  }
}

// An exchange on a node writes its posted commands ahead of its own (one output buffer per
// connection, in order); this writes those no exchange has carried yet.
void RedisStore::send_posted() {
  std::string err;
  for (int node : posted_) {
    Node& n = *nodes_[node];
    if (n.c && !n.c->flush(&err)) fail(n, err);
  }
  posted_.clear();
  posted_since_us_ = 0;
}

// Posts wait for an exchange on their node to carry them (it writes the connection's whole
// output, in order), for post_hold_us at most.
void RedisStore::send_posted_due() {
  posted_.erase(std::remove_if(posted_.begin(), posted_.end(),
                               [this](int i) { return !nodes_[i]->c || !nodes_[i]->c->has_output(); }),
                posted_.end());
  if (posted_.empty()) {
    posted_since_us_ = 0;
    return;
  }
  if (opts_.post_hold_us > 0 && mono_us() - posted_since_us_ < opts_.post_hold_us) return;
  send_posted();
}

bool RedisStore::holds_posts(int node) const {
  return std::find(posted_.begin(), posted_.end(), node) != posted_.end();
}

// Applies every invalidation that has arrived, and reads the replies to posted commands that
// have. Called before a batch trusts the cache, so a change another instance made is never
// ignored once its invalidation is here. One poll() covers both sockets of every node.
void RedisStore::drain_invalidations() {
  drain_pfds_.clear();
  for (auto& np : nodes_) {
    Node& n = *np;
    if (!tracker_.tracking(n.index)) continue;
    drain_pfds_.push_back(tracker_.poll_entry(n.index));
    short ev = n.c ? n.c->events(n.want.size() > n.head) : 0;
    // Held posts stay held: a drain reads, and writes only what an exchange left unwritten.
    if (holds_posts(n.index)) ev = static_cast<short>(ev & ~POLLOUT);
    drain_pfds_.push_back({ev ? n.c->fd() : -1, ev, 0});
  }
  if (drain_pfds_.empty() || poll(drain_pfds_.data(), drain_pfds_.size(), 0) <= 0) return;
  size_t p = 0;
  std::string err;
  for (auto& np : nodes_) {
    Node& n = *np;
    if (!tracker_.tracking(n.index)) continue;
    const pollfd inv = drain_pfds_[p], data = drain_pfds_[p + 1];
    p += 2;
    if (inv.revents && !tracker_.drain(n.index, inv.revents)) {
      // No more invalidations from this node: its entries may go stale, so drop them, and
      // reconnect both connections so tracking is set up again. The node may be fine (only
      // the subscriber was killed): reconnect at once; a dead node backs off on that attempt.
      disconnect(n, false);
      stats_.errors++;
      continue;
    }
    // Replies to posted commands (after the invalidations, which may have poisoned a refill).
    if (!n.c || !data.revents) continue;
    if (!n.c->service(data.revents, &err) || !read_replies(n, &err)) {
      fail(n, err);
      continue;
    }
    settle(n);
  }
}

void RedisStore::execute(const Cmd* cmds, size_t n, std::vector<Reply>& replies) { finish(start(cmds, n, replies)); }

// Round 0 of an exchange: replies the cache holds are given at once, the rest are written to
// their nodes' sockets (behind whatever those connections already carry), and nothing waits.
RedisStore::Ticket RedisStore::start(const Cmd* cmds, size_t n, std::vector<Reply>& replies) {
  if (replies.size() < n) replies.resize(n);
  for (size_t i = 0; i < n; i++) {
    replies[i].type = Reply::Unavailable;
    replies[i].s.clear();
    replies[i].a.clear();
  }
  if (n == 0) return 0;
  bool caching = tracker_.enabled();
  if (router_.needs_refresh()) {
    if (refresh_slots() && caching) {
      tracker_.cache().flush();  // slots may have changed owner
      tracker_.flushed();
    }
  }
  if (tracker_.recheck_due()) drain_invalidations();

  std::unique_ptr<Open> op;
  if (!spare_.empty()) {
    op = std::move(spare_.back());
    spare_.pop_back();
  } else {
    op = std::make_unique<Open>();
  }
  Open& o = *op;
  o.todo.clear();
  o.ends.clear();
  o.cmds = cmds;
  o.replies = &replies;
  FlowCache& cache = tracker_.cache();
  o.shared.clear();
  yields_.clear();
  for (size_t i = 0; i < n; i++) {
    const Cmd& c = cmds[i];
    if (caching) {
      if (c.op == Cmd::Get) {
        if (const std::string* v = cache.get(c.keys[0])) {
          replies[i].type = Reply::Str;
          replies[i].s = *v;
          cache.stats().hits++;
          continue;
        }
        cache.stats().misses++;
      } else {
        // Our own write: forget the old value now rather than wait for our own invalidation.
        tracker_.uncache_writes(c);
      }
    }
    int node = router_.route(c);
    int64_t src = shared_read(cmds, i, node);
    if (src >= 0) {
      o.shared.push_back({i, static_cast<size_t>(src)});
      continue;
    }
    o.todo.push_back({i, node, false, false, 0});
  }
  if (o.todo.empty()) {
    spare_.push_back(std::move(op));
    return 0;
  }
  active_.clear();
  for (Retry& t : o.todo) {
    if (t.node < 0) continue;
    Node& nd = *nodes_[t.node];
    if (!ensure_connected(nd)) continue;
    t.sent = append(nd, cmds[t.cmd], t.eval, t.asking, &replies[t.cmd], false);
    if (std::find(active_.begin(), active_.end(), t.node) == active_.end()) active_.push_back(t.node);
  }
  if (active_.empty()) {  // no node reachable: every reply stays Unavailable
    spare_.push_back(std::move(op));
    return 0;
  }
  // Write eagerly: on loopback the whole pipeline usually fits the socket buffer at once.
  std::string err;
  for (int i : active_) {
    Node& nd = *nodes_[i];
    o.ends.push_back({i, nd.expected()});
    if (!nd.c->flush(&err)) fail(nd, err);
  }
  // The exchange carried the posts held on its nodes: a post queued after it is held afresh.
  if (!posted_.empty()) {
    posted_.erase(std::remove_if(posted_.begin(), posted_.end(),
                                 [this](int i) { return std::find(active_.begin(), active_.end(), i) != active_.end(); }),
                  posted_.end());
    if (posted_.empty()) posted_since_us_ = 0;
  }
  o.id = next_ticket_++;
  o.t0 = mono_us();
  o.epoch = tracker_.open_reads();
  open_.push_back(std::move(op));
  return o.id;
}

// Several packets of one flow in a batch read its key (a flow's first packets arrive together):
// a GET behind a command of the same exchange whose reply is that key's value, with nothing in
// between writing it, takes that reply instead of going out. The two would be answered one after
// the other on one connection; taking the first is reading at its instant, as the cache does.
// Every reply that is a key's value says so by its place: a GET's, and a script's or a claim's,
// which end by reading their first key (scripts.cpp). Their other keys are written, as are the
// keys a script names in its arguments: lb_assign's reverse keys, and the reverse key of the port
// nat_alloc picks (under the prefix it is given).
int64_t RedisStore::shared_read(const Cmd* cmds, size_t i, int node) {
  const Cmd& c = cmds[i];
  std::hash<std::string> hash;
  auto find = [&](const std::string& key, size_t h) -> Yield* {
    for (Yield& y : yields_)
      if (y.hash == h && *y.key == key) return &y;
    return nullptr;
  };
  auto note = [&](const std::string& key, size_t h, int64_t cmd) {
    if (Yield* y = find(key, h)) {
      y->node = node;
      y->cmd = cmd;
    } else {
      yields_.push_back({h, &key, node, cmd});
    }
  };
  if (c.keys.empty()) return -1;
  size_t h0 = hash(c.keys[0]);
  if (c.op == Cmd::Get) {
    const Yield* y = find(c.keys[0], h0);
    if (y && y->cmd >= 0 && y->node == node && node >= 0) return y->cmd;
  }
  note(c.keys[0], h0, static_cast<int64_t>(i));
  if (c.op == Cmd::Get) return -1;
  for (size_t k = 1; k < c.keys.size(); k++) note(c.keys[k], hash(c.keys[k]), -1);
  c.for_each_key_in_args([&](const std::string& k) { note(k, hash(k), -1); });
  if (c.script == ScriptId::NatAlloc && c.args.size() > 1) {
    for (Yield& y : yields_)
      if (y.key->compare(0, c.args[1].size(), c.args[1]) == 0) y.cmd = -1;
  }
  return -1;
}

std::vector<std::unique_ptr<RedisStore::Open>>::iterator RedisStore::find_open(Ticket t) {
  return std::find_if(open_.begin(), open_.end(), [t](const std::unique_ptr<Open>& o) { return o->id == t; });
}

bool RedisStore::ready(Ticket t) {
  auto it = find_open(t);
  if (it == open_.end()) return true;
  // Read what has arrived, without waiting: a deadline already passed ends the wait at once
  // but fails no node (exchange fails nodes only past their own deadline, which is later).
  bool all = true;
  std::string err;
  for (const auto& e : (*it)->ends) {
    Node& n = *nodes_[e.first];
    if (!n.c || n.answered() >= e.second) continue;
    pollfd pfd{n.c->fd(), n.c->events(true), 0};
    if (poll(&pfd, 1, 0) > 0 && (!n.c->service(pfd.revents, &err) || !read_replies(n, &err))) fail(n, err);
    if (n.c && n.answered() < e.second) all = false;
  }
  return all;
}

void RedisStore::finish(Ticket t) {
  auto it = find_open(t);
  if (it == open_.end()) return;
  std::unique_ptr<Open> op = std::move(*it);
  open_.erase(it);
  Open& o = *op;
  active_.clear();
  for (const auto& e : o.ends) active_.push_back(e.first);
  exchange(active_, o.t0 + 1000LL * opts_.timeout_ms, &o.ends);
  stats_.round_trips++;
  stats_.record_latency_us(static_cast<uint64_t>(mono_us() - o.t0));
  after_round(o);
  // Later rounds only redo commands that were redirected (MOVED / ASK) or whose script was
  // missing (NOSCRIPT after a failover or SCRIPT FLUSH); they wait for everything their nodes
  // owe, other open exchanges' replies included (read into those exchanges' replies).
  for (int round = 1; round < 3 && !o.todo.empty(); round++)
    if (!redo(o)) break;
  // The GETs that took an earlier reply: a value, none, or no store; a GET goes out after all
  // behind an error (a script's refusal says nothing of what the key holds), in a round of its own.
  std::vector<Reply>& replies = *o.replies;
  o.todo.clear();
  for (const auto& [get, src] : o.shared) {
    const Reply& r = replies[src];
    if (r.type == Reply::Str || r.type == Reply::Nil || r.type == Reply::Unavailable) replies[get] = r;
    else o.todo.push_back({get, router_.route(o.cmds[get]), false, false, 0});
  }
  if (!o.todo.empty()) redo(o);
  for (auto& np : nodes_) settle(*np);
  tracker_.close_reads();
  spare_.push_back(std::move(op));
}

bool RedisStore::redo(Open& o) {
  active_.clear();
  for (Retry& r : o.todo) {
    if (r.node < 0) continue;
    Node& nd = *nodes_[r.node];
    if (!ensure_connected(nd)) continue;
    (*o.replies)[r.cmd].type = Reply::Unavailable;  // forget the redirect this round retries
    r.sent = append(nd, o.cmds[r.cmd], r.eval, r.asking, &(*o.replies)[r.cmd], false);
    if (std::find(active_.begin(), active_.end(), r.node) == active_.end()) active_.push_back(r.node);
  }
  if (active_.empty()) return false;
  int64_t t0 = mono_us();
  exchange(active_, t0 + 1000LL * opts_.timeout_ms);
  stats_.round_trips++;
  stats_.record_latency_us(static_cast<uint64_t>(mono_us() - t0));
  after_round(o);
  return true;
}

void RedisStore::after_round(Open& o) {
  bool caching = tracker_.enabled();
  next_.clear();
  for (const Retry& t : o.todo) {
    Reply& r = (*o.replies)[t.cmd];
    if (r.type == Reply::Unavailable) continue;
    stats_.commands += static_cast<uint64_t>(t.sent);
    // A GET's value, or a script's: each returns what its first key holds as it ends, read
    // last, so Redis tracks the key for us either way (scripts.cpp). Not if the key changed
    // since the exchange started (an invalidation, or a later exchange's write of it): the
    // value may predate the change.
    const std::string& key = o.cmds[t.cmd].keys[0];
    if (caching && r.type == Reply::Str && tracker_.unchanged_since(key, o.epoch)) tracker_.read(t.node, key, r.s);
    if (r.type != Reply::Err) continue;
    ClusterRouter::Redirect to;
    if (router_.redirect(r.s, &to)) {
      if (to.node >= 0) {
        add_nodes();
        next_.push_back({t.cmd, to.node, to.ask, t.eval, 0});
      }
    } else if (ScriptRegistry::needs_body(r.s)) {
      next_.push_back({t.cmd, t.node, t.asking, true, 0});
    } else if (native_refused(r.s) && t.node >= 0) {
      module_refused(*nodes_[t.node]);  // the commands of this round it refused go again as scripts
      next_.push_back({t.cmd, t.node, t.asking, t.eval, 0});
    } else {
      stats_.errors++;
    }
  }
  o.todo.swap(next_);
}

}  // namespace snf
