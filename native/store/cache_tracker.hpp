// What keeps the flow cache (FlowCache, cache.hpp) coherent with Redis: per node, the
// connection Redis pushes invalidations to (CLIENT TRACKING ... REDIRECT), applying them, the
// refills queued behind our own refreshes and their poisoning, and dropping what our own writes
// change. RedisStore owns the data connections and the poll loop; it tells the tracker what it
// sent and read, and the tracker decides what the cache may hold. See native/store/README.md.
#pragma once
#include <poll.h>

#include <cstdint>
#include <memory>
#include <unordered_map>
#include <string>
#include <vector>

#include "cache.hpp"
#include "redis_conn.hpp"
#include "sync_call.hpp"
#include "store.hpp"


namespace snf {

class CacheTracker {
 public:
  // cache_bytes 0: no cache, and every call below is a no-op or answers "not cached".
  CacheTracker(size_t cache_bytes, int recheck_us);
  ~CacheTracker();
  CacheTracker(const CacheTracker&) = delete;
  CacheTracker& operator=(const CacheTracker&) = delete;

  bool enabled() const { return cache_.enabled(); }
  FlowCache& cache() { return cache_; }
  const FlowCache& cache() const { return cache_; }

  // Opens node's invalidation connection (same address, TLS and AUTH as its data connection:
  // the subscriber sees every key the engine caches), subscribes it to __redis__:invalidate
  // and points the data connection's tracking at it through `data_call`. auth: the AUTH
  // command, or null. false and `err` on failure (the caller then calls lost(node)).
  bool open(int node, const std::string& host, int port, const ConnOptions& co, const std::vector<std::string>* auth,
            int timeout_ms, const SyncCall& data_call, std::string* err);
  // Values read from this node may be cached: its invalidations reach us.
  bool tracking(int node) const;
  // The node's connections are gone (tracking lives and dies with them): what we cached from
  // it is unguarded and is dropped, and its refills will not come.
  void lost(int node);

  // True (and restarts the interval) when invalidations should be drained before this batch
  // trusts the cache: at most once per recheck_us.
  bool recheck_due();
  // What to poll the node's invalidation connection for (tracking(node) must hold).
  pollfd poll_entry(int node) const;
  // After poll(): applies every invalidation that arrived on the node's connection (dropped
  // keys, poisoned refills). false when the connection is lost: the caller reconnects the node.
  bool drain(int node, short revents);

  // A value a tracked GET of this node returned: cached while the node is tracked.
  void read(int node, const std::string& key, const std::string& val);
  // Our own write (a script about to be sent): forget its keys now rather than wait for an
  // invalidation (NOLOOP: none comes).
  void uncache_writes(const Cmd& c);
  // The same for a posted script to `node`, which is followed by refills: the keys of it after
  // the first that were cached (valid until the next call), each to be fetched again right
  // behind it. The script's reply refills its first key. With Cmd::through the cache takes the
  // written values at once (a posted GET's: the value it will confirm), until the refills
  // confirm them.
  const std::vector<const std::string*>& uncache_posted(const Cmd& c, int node);
  // A refill GET of `key` was queued on the node, behind its posted script.
  void expect_refill(int node, const std::string& key);
  // The node's next refill reply (replies come in order): cached unless it was poisoned.
  void refilled(int node, const Reply& r);
  // The node's queued refills will never be answered (failed, or all read).
  void forget_refills(int node);

  // Reads still on their way in an exchange that has not finished (RedisStore::start): a
  // change of a key (an invalidation drained, or our own write) while one is open is
  // remembered, so that a value read before it is not cached after it. `epoch` marks when an
  // exchange's own writes had been forgotten; `unchanged_since(key, epoch)` says whether its
  // reply for `key` may be cached.
  uint64_t open_reads();
  void close_reads();
  bool unchanged_since(const std::string& key, uint64_t epoch) const;
  // Something dropped cached values wholesale (slot ownership changed).
  void flushed();

 private:
  struct Refill {
    std::string key;
    // An invalidation of the key arrived while the refill was on its way: its value may
    // predate the change, so it is not cached.
    bool poisoned = false;
  };
  struct Node {
    std::unique_ptr<RedisConn> inval;
    Reply msg;  // the invalidation message being read, buffers reused
    // FIFO of the refills not yet answered, [head, tail); slots are reused so queuing a
    // refill does not allocate once warm.
    std::vector<Refill> refills;
    size_t head = 0, tail = 0;
  };
  Node& node(int i);
  void poison(Node& n, const std::string* key);  // key null: every refill
  bool forget(const std::string& key);

  FlowCache cache_;
  int recheck_us_;
  int64_t drained_us_ = 0;  // when invalidations were last drained
  std::vector<Node> nodes_;
  std::vector<const std::string*> refill_;  // uncache_posted's answer, reused
  void changed(const std::string& key);
  int open_reads_ = 0;
  uint64_t epoch_ = 0, flushed_at_ = 0;
  std::unordered_map<std::string, uint64_t> changed_;  // key -> epoch of its last change, while reads are open
};

}  // namespace snf
