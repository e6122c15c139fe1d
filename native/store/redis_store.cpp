#include "redis_store.hpp"

#include <hiredis/hiredis.h>
#include <poll.h>

#include "store/redis_conn.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>

namespace snf {

namespace {

int64_t mono_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

uint16_t crc16(const char* buf, size_t len) {
  // CRC16-CCITT (XMODEM), as the Redis Cluster specification defines key slots.
  uint16_t crc = 0;
  for (size_t i = 0; i < len; i++) {
    crc ^= static_cast<uint16_t>(static_cast<uint8_t>(buf[i]) << 8);
    for (int b = 0; b < 8; b++) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

void convert(const redisReply* r, Reply& out) {
  out.a.clear();
  switch (r->type) {
    case REDIS_REPLY_STRING:
    case REDIS_REPLY_STATUS:
      out.type = Reply::Str;
      out.s.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Int;
      out.i = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Arr;
      out.a.resize(r->elements);
      for (size_t i = 0; i < r->elements; i++) convert(r->element[i], out.a[i]);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Err;
      out.s.assign(r->str, r->len);
      break;
    default:
      out.type = Reply::Nil;
  }
}

bool split_host_port(const std::string& s, std::string& host, int& port) {
  if (s.compare(0, 5, "unix:") == 0 && s.size() > 5) {
    // A Unix socket reaches Redis from any network namespace without a management network.
    host = s.substr(5);
    port = 0;
    return true;
  }
  auto c = s.rfind(':');
  if (c == std::string::npos || c == 0) return false;
  host = s.substr(0, c);
  if (!host.empty() && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  port = std::atoi(s.c_str() + c + 1);
  return port > 0 && port < 65536;
}

}  // namespace

struct RedisStore::Node {
  std::string host;
  int port = 0;
  std::unique_ptr<RedisConn> c;
  int64_t retry_at_us = 0;
  int64_t backoff_us = 0;
  bool ever_connected = false;
  std::vector<Want> want;  // replies expected, in order; those before `head` are read
  size_t head = 0;
  size_t fills = 0;  // posted cache refills among the wants not yet read
  // The connection Redis pushes invalidations to (CLIENT TRACKING ... REDIRECT), when caching.
  std::unique_ptr<RedisConn> inval;
  std::string name() const { return port == 0 ? "unix:" + host : host + ":" + std::to_string(port); }
};

namespace {

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

}  // namespace

RedisStore::RedisStore(RedisOptions opts) : opts_(std::move(opts)), cache_(opts_.cache_bytes) {
  for (const auto& s : opts_.seeds) {
    std::string h;
    int p;
    if (split_host_port(s, h, p)) node_for(h, p);
  }
  if (opts_.cluster) slots_.assign(16384, -1);
}

RedisStore::~RedisStore() {
  for (auto& n : nodes_) disconnect(*n, false);
}

int RedisStore::shards() const {
  if (!opts_.cluster) return 1;
  int n = 0;
  std::vector<bool> seen(nodes_.size(), false);
  for (int16_t s : slots_)
    if (s >= 0 && !seen[s]) {
      seen[s] = true;
      n++;
    }
  return std::max(n, 1);
}

int RedisStore::key_slot(const std::string& key) {
  auto open = key.find('{');
  if (open != std::string::npos) {
    auto close = key.find('}', open + 1);
    if (close != std::string::npos && close != open + 1)
      return crc16(key.data() + open + 1, close - open - 1) & 16383;
  }
  return crc16(key.data(), key.size()) & 16383;
}

int RedisStore::node_for(const std::string& host, int port) {
  for (size_t i = 0; i < nodes_.size(); i++)
    if (nodes_[i]->host == host && nodes_[i]->port == port) return static_cast<int>(i);
  auto n = std::make_unique<Node>();
  n->host = host;
  n->port = port;
  nodes_.push_back(std::move(n));
  return static_cast<int>(nodes_.size() - 1);
}

void RedisStore::disconnect(Node& n, bool count_failure) {
  fail_pending(n, n.head);
  n.c.reset();
  n.inval.reset();
  // Tracking lives and dies with the connections: what we cached from this node is unguarded.
  if (cache_.enabled()) {
    for (size_t i = 0; i < nodes_.size(); i++)
      if (nodes_[i].get() == &n) cache_.flush(static_cast<int>(i));
  }
  if (count_failure) {
    // Back off so a dead store costs one failed connect per interval, not one per batch.
    n.backoff_us = n.backoff_us ? std::min<int64_t>(n.backoff_us * 2, 1000000) : 10000;
    n.retry_at_us = mono_us() + n.backoff_us;
    stats_.errors++;
    if (opts_.cluster) slots_stale_ = true;
  }
}

void RedisStore::fail(Node& n, const std::string& why) {
  stats_.last_error = "store " + n.name() + ": " + why;
  if (n.c) disconnect(n, true);
}

bool RedisStore::ensure_connected(Node& n) {
  if (n.c) return true;
  if (mono_us() < n.retry_at_us) return false;
  std::string err;
  n.c = RedisConn::open(n.host, n.port, conn_options(opts_), &err);
  if (!n.c) {
    stats_.last_error = "store " + n.name() + ": " + err;
    disconnect(n, true);
    return false;
  }
  if (n.ever_connected) stats_.reconnects++;
  Reply r;
  if (!opts_.password.empty() || !opts_.user.empty()) {
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
  if (!load_scripts(n, &err) || (cache_.enabled() && !open_invalidation(n, &err))) {
    fail(n, err);
    return false;
  }
  n.ever_connected = true;
  n.backoff_us = 0;
  if (stats_.last_error.compare(0, 6 + n.name().size() + 1, "store " + n.name() + ":") == 0) stats_.last_error.clear();
  return true;
}

bool RedisStore::load_scripts(Node& n, std::string* err) {
  for (int i = 0; i < static_cast<int>(ScriptId::Count); i++) {
    Reply r;
    if (!sync_call(n, {"SCRIPT", "LOAD", script_lua(static_cast<ScriptId>(i))}, r) || r.type != Reply::Str) {
      // NOAUTH (a password is required), NOPERM (the ACL user may not load scripts), ...
      *err = "SCRIPT LOAD: " + (r.type == Reply::Err ? r.s : std::string("no reply"));
      return false;
    }
    shas_[i] = r.s;
  }
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
  n.want.push_back({&out, 0, {}, false});
  int idx = 0;
  for (size_t i = 0; i < nodes_.size(); i++)
    if (nodes_[i].get() == &n) idx = static_cast<int>(i);
  exchange({idx}, mono_us() + 1000LL * std::max(opts_.timeout_ms, opts_.connect_timeout_ms));
  return out.type != Reply::Unavailable;
}

bool RedisStore::refresh_slots() {
  for (size_t i = 0; i < nodes_.size(); i++) {
    Node& n = *nodes_[i];
    if (!ensure_connected(n)) continue;
    Reply r;
    if (!sync_call(n, {"CLUSTER", "SLOTS"}, r) || r.type != Reply::Arr) continue;
    std::vector<int16_t> map(16384, -1);
    for (const Reply& range : r.a) {
      if (range.type != Reply::Arr || range.a.size() < 3 || range.a[2].type != Reply::Arr ||
          range.a[2].a.size() < 2)
        continue;
      std::string host = range.a[2].a[0].s.empty() ? n.host : range.a[2].a[0].s;
      int idx = node_for(host, static_cast<int>(range.a[2].a[1].i));
      for (int64_t s = range.a[0].i; s <= range.a[1].i && s < 16384; s++) map[s] = static_cast<int16_t>(idx);
    }
    slots_ = std::move(map);
    slots_stale_ = false;
    return true;
  }
  return false;
}

int RedisStore::route(const Cmd& c) {
  if (!opts_.cluster) return nodes_.empty() ? -1 : 0;
  int s = slots_[key_slot(c.keys[0])];
  return s;
}

void RedisStore::append(Node& n, const Cmd& c, bool eval) {
  argv_.clear();
  argvlen_.clear();
  auto push = [&](const char* p, size_t l) {
    argv_.push_back(p);
    argvlen_.push_back(l);
  };
  char nkeys[8];
  if (c.op == Cmd::Get) {
    push("GET", 3);
    push(c.keys[0].data(), c.keys[0].size());
  } else {
    int id = static_cast<int>(c.script);
    if (eval) {
      push("EVAL", 4);
      const char* body = script_lua(c.script);
      push(body, std::strlen(body));
    } else {
      push("EVALSHA", 7);
      push(shas_[id].data(), shas_[id].size());
    }
    int nk = std::snprintf(nkeys, sizeof nkeys, "%zu", c.keys.size());
    push(nkeys, static_cast<size_t>(nk));
    for (const auto& k : c.keys) push(k.data(), k.size());
    for (const auto& a : c.args) push(a.data(), a.size());
  }
  n.c->append(static_cast<int>(argv_.size()), argv_.data(), argvlen_.data());
}

// The replies still expected from n, from `from` on, will never come: whoever waits for one
// gets Unavailable, and the list is emptied.
void RedisStore::fail_pending(Node& n, size_t from) {
  for (size_t k = from; k < n.want.size(); k++)
    if (n.want[k].target) n.want[k].target->type = Reply::Unavailable;
  n.want.clear();
  n.head = 0;
  n.fills = 0;
}

// One reply read off node's connection, for the want it answers.
void RedisStore::consume(int node, const Want& w, const redisReply* r) {
  if (w.target) {
    convert(r, *w.target);
    return;
  }
  if (!w.fill.empty()) nodes_[node]->fills--;
  if (r->type == REDIS_REPLY_ERROR) {
    // A posted refresh that failed is redone at the flow's next refresh interval; MOVED
    // means the slot map is out of date.
    stats_.errors++;
    if (r->len >= 6 && std::memcmp(r->str, "MOVED ", 6) == 0) slots_stale_ = true;
    return;
  }
  if (!w.fill.empty() && !w.poisoned && r->type == REDIS_REPLY_STRING && nodes_[node]->inval)
    cache_.put(w.fill, std::string(r->str, r->len), node);
}

// Writes every node's pipeline and reads every expected reply, all nodes at once, until done
// or the deadline. A node that fails or times out is disconnected (its reply stream can no
// longer be trusted) and its outstanding replies become Unavailable. Replies to posted
// commands come first on a connection: they are read (and used) on the way.
void RedisStore::exchange(const std::vector<int>& active, int64_t deadline_us) {
  std::vector<int> live;
  for (int i : active) {
    Node& n = *nodes_[i];
    if (n.c && n.want.size() > n.head) live.push_back(i);
  }
  std::vector<pollfd> pfds;
  std::string err;
  auto failed = [&](int i) { fail(*nodes_[i], err); };
  // Write eagerly: on loopback the whole pipeline usually fits the socket buffer at once.
  for (int i : live)
    if (!nodes_[i]->c->flush(&err)) failed(i);
  for (;;) {
    pfds.clear();
    std::vector<int> idx;
    for (int i : live) {
      Node& n = *nodes_[i];
      if (!n.c || n.head >= n.want.size()) continue;
      pfds.push_back({n.c->fd(), n.c->events(true), 0});
      idx.push_back(i);
    }
    if (pfds.empty()) break;
    int64_t left = deadline_us - mono_us();
    if (left <= 0) {
      err = "no reply within " + std::to_string(opts_.timeout_ms) + " ms";
      for (int i : idx) failed(i);
      break;
    }
    int rc = poll(pfds.data(), pfds.size(), static_cast<int>((left + 999) / 1000));
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) continue;
    for (size_t p = 0; p < pfds.size(); p++) {
      int i = idx[p];
      Node& n = *nodes_[i];
      if (!n.c || pfds[p].revents == 0) continue;
      if (!n.c->service(pfds[p].revents, &err)) {
        failed(i);
        continue;
      }
      void* raw = nullptr;
      int got = 0;
      while (n.head < n.want.size() && (got = n.c->next(&raw, &err)) == 1) {
        consume(i, n.want[n.head++], static_cast<redisReply*>(raw));
        freeReplyObject(raw);
        raw = nullptr;
      }
      if (got < 0) failed(i);
    }
  }
  for (int i : live) {
    Node& n = *nodes_[i];
    if (n.head >= n.want.size()) {
      n.want.clear();
      n.head = 0;
      n.fills = 0;
    }
  }
}

void RedisStore::append_get(Node& n, const std::string& key) {
  const char* argv[2] = {"GET", key.data()};
  size_t len[2] = {3, key.size()};
  n.c->append(2, argv, len);
}

void RedisStore::post(const Cmd* cmds, size_t count) {
  posted_.clear();
  bool caching = cache_.enabled();
  for (size_t i = 0; i < count; i++) {
    const Cmd& c = cmds[i];
    int node = route(c);
    if (node < 0) continue;
    Node& n = *nodes_[node];
    if (!n.c) {
      // No connection now, and nothing waits for this: the flow refreshes at its next interval.
      stats_.errors++;
      continue;
    }
    refill_.clear();
    if (caching && c.op == Cmd::Script) {
      for (const auto& k : c.keys)
        if (cache_.erase(k)) refill_.push_back(&k);
      uncache_writes(c);
    }
    append(n, c, false);
    n.want.push_back({nullptr, i, {}, false});
    stats_.commands++;
    for (const std::string* k : refill_) {
      append_get(n, *k);
      n.want.push_back({nullptr, i, *k, false});
      n.fills++;
      stats_.commands++;
    }
    if (std::find(posted_.begin(), posted_.end(), node) == posted_.end()) posted_.push_back(node);
  }
  std::string err;
  for (int node : posted_) {
    Node& n = *nodes_[node];
    if (n.c && !n.c->flush(&err)) fail(n, err);
  }
}

// An invalidation for `key` (all keys when null) arrived: refills of it still on their way
// may carry the value from before the change.
void RedisStore::poison_fills(Node& n, const std::string* key) {
  if (n.fills == 0) return;
  for (size_t k = n.head; k < n.want.size(); k++)
    if (!n.want[k].fill.empty() && (!key || n.want[k].fill == *key)) n.want[k].poisoned = true;
}

// Opens the node's invalidation connection, subscribes it to __redis__:invalidate and points
// the data connection's tracking at it. RESP2 pub/sub, as hiredis 0.14 speaks. Same TLS and
// credentials as the data connection: the subscriber sees every key the engine caches.
bool RedisStore::open_invalidation(Node& n, std::string* err) {
  std::unique_ptr<RedisConn> c = RedisConn::open(n.host, n.port, conn_options(opts_), err);
  if (!c) {
    *err = "invalidation connection: " + *err;
    return false;
  }
  auto call = [&](std::vector<std::string> argv, Reply& out) -> bool {
    argv_.clear();
    argvlen_.clear();
    for (const auto& a : argv) {
      argv_.push_back(a.data());
      argvlen_.push_back(a.size());
    }
    c->append(static_cast<int>(argv_.size()), argv_.data(), argvlen_.data());
    int64_t deadline = mono_us() + 1000LL * std::max(opts_.timeout_ms, opts_.connect_timeout_ms);
    void* raw = nullptr;
    if (!c->flush(err)) return false;
    while (mono_us() < deadline) {
      int got = c->next(&raw, err);
      if (got < 0) return false;
      if (got == 1) {
        convert(static_cast<redisReply*>(raw), out);
        freeReplyObject(raw);
        return true;
      }
      pollfd pfd{c->fd(), c->events(true), 0};
      poll(&pfd, 1, 5);
      if (!c->service(pfd.revents, err)) return false;
    }
    *err = argv[0] + ": no reply";
    return false;
  };
  Reply r;
  if (!opts_.password.empty() || !opts_.user.empty()) {
    if (!call(auth_argv(opts_), r)) return false;
    if (r.type == Reply::Err) {
      *err = "invalidation connection: AUTH refused: " + r.s;
      return false;
    }
  }
  if (!call({"CLIENT", "ID"}, r)) return false;
  if (r.type != Reply::Int) {
    *err = "CLIENT ID: " + r.s;
    return false;
  }
  std::string id = std::to_string(r.i);
  if (!call({"SUBSCRIBE", "__redis__:invalidate"}, r)) return false;
  if (r.type != Reply::Arr) {
    // NOPERM when the ACL user lacks the channel.
    *err = "SUBSCRIBE __redis__:invalidate: " + r.s;
    return false;
  }
  n.inval = std::move(c);
  // NOLOOP: keys this connection writes leave the cache when the write is sent
  // (uncache_writes), so Redis need not send their invalidations back. That also keeps a
  // refill queued behind our own refresh from being poisoned by our own write.
  Reply t;
  if (!sync_call(n, {"CLIENT", "TRACKING", "on", "REDIRECT", id, "NOLOOP"}, t) || t.type == Reply::Err) {
    *err = "CLIENT TRACKING: " + (t.type == Reply::Err ? t.s : std::string("no reply"));
    return false;
  }
  return true;
}

// Applies every invalidation that has arrived, and reads the replies to posted commands that
// have. Called before a batch trusts the cache, so a change another instance made is never
// ignored once its invalidation is here. One poll() covers both sockets of every node.
void RedisStore::drain_invalidations() {
  pfds_.clear();
  for (size_t i = 0; i < nodes_.size(); i++) {
    Node& n = *nodes_[i];
    if (!n.inval) continue;
    pfds_.push_back({n.inval->fd(), n.inval->events(true), 0});
    short ev = n.c ? n.c->events(n.want.size() > n.head) : 0;
    pfds_.push_back({ev ? n.c->fd() : -1, ev, 0});
  }
  if (pfds_.empty() || poll(pfds_.data(), pfds_.size(), 0) <= 0) return;
  size_t p = 0;
  std::string err;
  for (size_t i = 0; i < nodes_.size(); i++) {
    Node& n = *nodes_[i];
    if (!n.inval) continue;
    const pollfd inv = pfds_[p], data = pfds_[p + 1];
    p += 2;
    if (inv.revents) {
      bool lost = (inv.revents & (POLLERR | POLLHUP)) != 0;
      if (!lost && !n.inval->service(inv.revents, &err)) lost = true;
      void* raw = nullptr;
      int got = 0;
      while (!lost && (got = n.inval->next(&raw, &err)) == 1) {
        auto* r = static_cast<redisReply*>(raw);
        // ["message", "__redis__:invalidate", [keys...] | nil (the whole keyspace went)]
        if (r->type == REDIS_REPLY_ARRAY && r->elements == 3) {
          redisReply* keys = r->element[2];
          if (keys->type == REDIS_REPLY_ARRAY) {
            for (size_t k = 0; k < keys->elements; k++) {
              cache_.stats().invalidations++;
              std::string key(keys->element[k]->str, keys->element[k]->len);
              cache_.erase(key);
              poison_fills(n, &key);
            }
          } else {
            cache_.flush(static_cast<int>(i));
            poison_fills(n, nullptr);
          }
        }
        freeReplyObject(raw);
        raw = nullptr;
      }
      if (lost || got < 0) {
        // No more invalidations from this node: its entries may go stale, so drop them, and
        // reconnect both connections so tracking is set up again. The node may be fine (only
        // the subscriber was killed): reconnect at once; a dead node backs off on that attempt.
        disconnect(n, false);
        stats_.errors++;
        continue;
      }
    }
    // Replies to posted commands (after the invalidations, which may have poisoned a refill).
    if (!n.c || !data.revents) continue;
    if (!n.c->service(data.revents, &err)) {
      fail(n, err);
      continue;
    }
    void* raw = nullptr;
    int got = 0;
    while (n.head < n.want.size() && (got = n.c->next(&raw, &err)) == 1) {
      consume(static_cast<int>(i), n.want[n.head++], static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      raw = nullptr;
    }
    if (got < 0) {
      fail(n, err);
      continue;
    }
    if (n.head >= n.want.size()) {
      n.want.clear();
      n.head = 0;
      n.fills = 0;
    }
  }
}

void RedisStore::uncache_writes(const Cmd& c) {
  for (const auto& k : c.keys) cache_.erase(k);
  if (c.script == ScriptId::LbAssign)
    for (size_t i = 9; i < c.args.size(); i += 3) cache_.erase(c.args[i]);
}

void RedisStore::execute(const Cmd* cmds, size_t n, std::vector<Reply>& replies) {
  if (replies.size() < n) replies.resize(n);
  for (size_t i = 0; i < n; i++) {
    replies[i].type = Reply::Unavailable;
    replies[i].s.clear();
    replies[i].a.clear();
  }
  if (n == 0) return;
  if (opts_.cluster && slots_stale_) {
    if (refresh_slots() && cache_.enabled()) cache_.flush();  // slots may have changed owner
  }
  bool caching = cache_.enabled();
  if (caching) {
    int64_t now = mono_us();
    if (now - drained_us_ >= opts_.cache_recheck_us) {
      drain_invalidations();
      drained_us_ = now;
    }
  }

  std::vector<Retry> todo;
  todo.reserve(n);
  for (size_t i = 0; i < n; i++) {
    const Cmd& c = cmds[i];
    if (caching) {
      if (c.op == Cmd::Get) {
        if (const std::string* v = cache_.get(c.keys[0])) {
          replies[i].type = Reply::Str;
          replies[i].s = *v;
          cache_.stats().hits++;
          continue;
        }
        cache_.stats().misses++;
      } else {
        // Our own write: forget the old value now rather than wait for our own invalidation.
        uncache_writes(c);
      }
    }
    todo.push_back({i, route(c), false, false});
  }
  if (todo.empty()) return;

  // Round 0 is the batch; later rounds only redo commands that were redirected (MOVED / ASK)
  // or whose script was missing (NOSCRIPT after a failover or SCRIPT FLUSH).
  for (int round = 0; round < 3 && !todo.empty(); round++) {
    std::vector<int> active;
    for (const Retry& t : todo) {
      if (t.node < 0) continue;
      Node& n = *nodes_[t.node];
      if (!ensure_connected(n)) continue;
      if (t.asking) {
        append_raw(n, {"ASKING"});
        n.want.push_back({nullptr, t.cmd, {}, false});
      }
      append(n, cmds[t.cmd], t.eval);
      n.want.push_back({&replies[t.cmd], t.cmd, {}, false});
      if (std::find(active.begin(), active.end(), t.node) == active.end()) active.push_back(t.node);
    }
    if (active.empty()) break;
    int64_t t0 = mono_us();
    exchange(active, t0 + 1000LL * opts_.timeout_ms);
    stats_.round_trips++;
    stats_.record_latency_us(static_cast<uint64_t>(mono_us() - t0));

    std::vector<Retry> next;
    for (const Retry& t : todo) {
      Reply& r = replies[t.cmd];
      if (r.type == Reply::Unavailable) continue;
      stats_.commands++;
      if (caching && r.type == Reply::Str && cmds[t.cmd].op == Cmd::Get && nodes_[t.node]->inval)
        cache_.put(cmds[t.cmd].keys[0], r.s, t.node);
      if (r.type != Reply::Err) continue;
      const std::string& e = r.s;
      bool moved = e.compare(0, 6, "MOVED ") == 0, ask = e.compare(0, 4, "ASK ") == 0;
      if (moved || ask) {
        // "MOVED <slot> <host>:<port>"
        auto sp = e.find(' ', moved ? 6 : 4);
        std::string host;
        int port;
        if (sp != std::string::npos && split_host_port(e.substr(sp + 1), host, port)) {
          int node = node_for(host, port);
          if (moved) {
            int slot = std::atoi(e.c_str() + 6);
            if (slot >= 0 && slot < 16384 && opts_.cluster) slots_[slot] = static_cast<int16_t>(node);
            slots_stale_ = true;
          }
          next.push_back({t.cmd, node, ask, t.eval});
        }
      } else if (e.compare(0, 8, "NOSCRIPT") == 0) {
        next.push_back({t.cmd, t.node, t.asking, true});
      } else {
        stats_.errors++;
      }
    }
    todo.swap(next);
  }
}

}  // namespace snf
