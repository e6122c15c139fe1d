#include "cache_tracker.hpp"

#include <algorithm>
#include <chrono>

namespace snf {

namespace {

int64_t mono_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count();
}

// One command on the invalidation connection, waited for: it carries no pipeline of its own,
// so this is all it ever needs before it turns into a subscriber.
bool blocking_call(RedisConn& c, const std::vector<std::string>& argv, int timeout_ms, Reply& out, std::string* err) {
  std::vector<const char*> ptrs;
  std::vector<size_t> lens;
  for (const auto& a : argv) {
    ptrs.push_back(a.data());
    lens.push_back(a.size());
  }
  c.append(static_cast<int>(ptrs.size()), ptrs.data(), lens.data());
  int64_t deadline = mono_us() + 1000LL * timeout_ms;
  if (!c.flush(err)) return false;
  while (mono_us() < deadline) {
    int got = c.next(out, err);
    if (got < 0) return false;
    if (got == 1) return true;
    pollfd pfd{c.fd(), c.events(true), 0};
    poll(&pfd, 1, 5);
    if (!c.service(pfd.revents, err)) return false;
  }
  *err = argv[0] + ": no reply";
  return false;
}

}  // namespace

CacheTracker::CacheTracker(size_t cache_bytes, int recheck_us) : cache_(cache_bytes), recheck_us_(recheck_us) {}

CacheTracker::~CacheTracker() = default;

CacheTracker::Node& CacheTracker::node(int i) {
  if (nodes_.size() <= static_cast<size_t>(i)) nodes_.resize(static_cast<size_t>(i) + 1);
  return nodes_[static_cast<size_t>(i)];
}

bool CacheTracker::tracking(int i) const {
  return i >= 0 && static_cast<size_t>(i) < nodes_.size() && nodes_[static_cast<size_t>(i)].inval != nullptr;
}

// RESP2 pub/sub (the data connections speak RESP2 too).
bool CacheTracker::open(int i, const std::string& host, int port, const ConnOptions& co,
                        const std::vector<std::string>* auth, int timeout_ms, const SyncCall& data_call,
                        std::string* err) {
  std::unique_ptr<RedisConn> c = RedisConn::open(host, port, co, err);
  if (!c) {
    *err = "invalidation connection: " + *err;
    return false;
  }
  Reply r;
  if (auth) {
    if (!blocking_call(*c, *auth, timeout_ms, r, err)) return false;
    if (r.type == Reply::Err) {
      *err = "invalidation connection: AUTH refused: " + r.s;
      return false;
    }
  }
  if (!blocking_call(*c, {"CLIENT", "ID"}, timeout_ms, r, err)) return false;
  if (r.type != Reply::Int) {
    *err = "CLIENT ID: " + r.s;
    return false;
  }
  std::string id = std::to_string(r.i);
  if (!blocking_call(*c, {"SUBSCRIBE", "__redis__:invalidate"}, timeout_ms, r, err)) return false;
  if (r.type != Reply::Arr) {
    // NOPERM when the ACL user lacks the channel.
    *err = "SUBSCRIBE __redis__:invalidate: " + r.s;
    return false;
  }
  node(i).inval = std::move(c);
  // NOLOOP: keys this connection writes leave the cache when the write is sent
  // (uncache_writes), so Redis need not send their invalidations back. That also keeps a
  // refill queued behind our own refresh from being poisoned by our own write.
  Reply t;
  if (!data_call({"CLIENT", "TRACKING", "on", "REDIRECT", id, "NOLOOP"}, t) || t.type == Reply::Err) {
    *err = "CLIENT TRACKING: " + (t.type == Reply::Err ? t.s : std::string("no reply"));
    return false;
  }
  return true;
}

void CacheTracker::lost(int i) {
  if (static_cast<size_t>(i) < nodes_.size()) {
    nodes_[static_cast<size_t>(i)].inval.reset();
    forget_refills(i);
  }
  if (cache_.enabled()) cache_.flush(i);
  flushed();
}

bool CacheTracker::recheck_due() {
  if (!cache_.enabled()) return false;
  int64_t now = mono_us();
  if (now - drained_us_ < recheck_us_) return false;
  drained_us_ = now;
  return true;
}

pollfd CacheTracker::poll_entry(int i) const {
  const RedisConn& c = *nodes_[static_cast<size_t>(i)].inval;
  return {c.fd(), c.events(true), 0};
}

bool CacheTracker::drain(int i, short revents) {
  Node& n = nodes_[static_cast<size_t>(i)];
  std::string err;
  if ((revents & (POLLERR | POLLHUP)) != 0 || !n.inval->service(revents, &err)) return false;
  int got = 0;
  while ((got = n.inval->next(n.msg, &err)) == 1) {
    // ["message", "__redis__:invalidate", [keys...] | nil (the whole keyspace went)]
    if (n.msg.type != Reply::Arr || n.msg.a.size() != 3 || n.msg.a[0].s != "message") continue;
    const Reply& keys = n.msg.a[2];
    if (keys.type == Reply::Arr) {
      for (const Reply& k : keys.a) {
        cache_.stats().invalidations++;
        cache_.erase(k.s);
        poison(n, &k.s);
        changed(k.s);
      }
    } else if (keys.type == Reply::Nil) {
      cache_.flush(i);
      poison(n, nullptr);
      flushed();
    }
  }
  return got >= 0;
}

// An invalidation for `key` (all keys when null) arrived: refills of it still on their way
// may carry the value from before the change.
void CacheTracker::poison(Node& n, const std::string* key) {
  for (size_t k = n.head; k < n.tail; k++)
    if (!key || n.refills[k].key == *key) n.refills[k].poisoned = true;
}

void CacheTracker::read(int i, const std::string& key, const std::string& val) {
  if (tracking(i)) cache_.put(key, val, i);
}

// Our own write to `key`: forget the cached value, and poison a refill of it still on its way
// (it was read before this write, and NOLOOP sends no invalidation to say so). True when the
// key was cached or being refilled: a posted write fetches it again behind itself.
bool CacheTracker::forget(const std::string& key) {
  changed(key);
  bool was = cache_.erase(key);
  for (Node& n : nodes_)
    for (size_t k = n.head; k < n.tail; k++)
      if (!n.refills[k].poisoned && n.refills[k].key == key) {
        n.refills[k].poisoned = true;
        was = true;
      }
  return was;
}

// In an exchange (someone waits for the batch's writes) every write drops its keys, one that
// could keep the cache too: only a posted write has its other keys refilled behind it.
void CacheTracker::uncache_writes(const Cmd& c) {
  for (const auto& k : c.keys) forget(k);
  c.for_each_key_in_args([this](const std::string& k) { forget(k); });
}

const std::vector<const std::string*>& CacheTracker::uncache_posted(const Cmd& c, int node) {
  refill_.clear();
  // A posted GET changes nothing; one whose value the NF knows (Cmd::through) puts it in now,
  // and the GET's reply, a refill, replaces or removes it.
  if (c.op == Cmd::Get && c.through == 0 && !c.args.empty() && cache_.enabled() && tracking(node))
    cache_.put(c.keys[0], c.args[0], node);
  if (cache_.enabled() && c.op == Cmd::Script) {
    // Several closings of one connection posted in a row leave the cache with the last, not
    // the first: each refills what the one before it was refilling. The first key is
    // refilled by the script's own reply (RedisStore::post). A write whose values are known
    // (Cmd::through) is dropped like any other (older refills poisoned, a change for reads
    // out since before it: their replies are not cached over its refills), and its values
    // put in place: the first key's always (the reply refills it), another's where the cache
    // held it (a GET behind the write refills it; a key Redis does not track for us is
    // never cached).
    bool put = c.through >= 0 && tracking(node);
    for (size_t i = 0; i < c.keys.size(); i++) {
      bool cached = forget(c.keys[i]);
      size_t a = static_cast<size_t>(c.through) + i;
      if (put && (cached || i == 0) && a < c.args.size()) cache_.put(c.keys[i], c.args[a], node);
      if (cached && i > 0) refill_.push_back(&c.keys[i]);
    }
    c.for_each_key_in_args([this](const std::string& k) { forget(k); });
  }
  return refill_;
}

void CacheTracker::expect_refill(int i, const std::string& key) {
  Node& n = node(i);
  if (n.tail == n.refills.size()) n.refills.emplace_back();
  Refill& f = n.refills[n.tail++];
  f.key = key;
  f.poisoned = false;
}

void CacheTracker::refilled(int i, const Reply& r) {
  Node& n = nodes_[static_cast<size_t>(i)];
  const Refill& f = n.refills[n.head++];
  // Refills are GETs and scripts that end in one (scripts.cpp): a value is a bulk string. Any
  // other answer (the key is gone, an error) takes out what a write put in ahead of it.
  if (!f.poisoned && r.type == Reply::Str && n.inval) cache_.put(f.key, r.s, i);
  else if (!f.poisoned) cache_.erase(f.key);
  if (n.head == n.tail) n.head = n.tail = 0;
}

void CacheTracker::forget_refills(int i) {
  if (static_cast<size_t>(i) >= nodes_.size()) return;
  Node& n = nodes_[static_cast<size_t>(i)];
  n.head = n.tail = 0;
}

void CacheTracker::changed(const std::string& key) {
  if (open_reads_ > 0) changed_[key] = ++epoch_;
}

void CacheTracker::flushed() { flushed_at_ = ++epoch_; }

uint64_t CacheTracker::open_reads() {
  open_reads_++;
  return epoch_;
}

void CacheTracker::close_reads() {
  if (open_reads_ > 0 && --open_reads_ == 0) changed_.clear();
}

bool CacheTracker::unchanged_since(const std::string& key, uint64_t epoch) const {
  if (flushed_at_ > epoch) return false;
  auto it = changed_.find(key);
  return it == changed_.end() || it->second <= epoch;
}

}  // namespace snf
