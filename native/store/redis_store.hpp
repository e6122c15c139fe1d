// State in Redis or Redis Cluster, on non-blocking sockets driven by poll() (RESP spoken by RedisConn):
// a batch of commands is appended per node and the nodes are exchanged with in parallel, so a
// batch costs one round trip per shard however many packets it holds. RedisStore runs that
// exchange over its connections (RedisConn) and composes the parts that decide: where a key
// goes (ClusterRouter), how a script is called (ScriptRegistry) and what the cache may hold
// (CacheTracker).
#pragma once
#include <poll.h>

#include <memory>
#include <string>
#include <vector>

#include "cache_tracker.hpp"
#include "cluster_router.hpp"
#include "script_registry.hpp"
#include "store.hpp"
#include "store/tls_transport.hpp"

namespace snf {

struct RedisOptions {
  std::vector<std::string> seeds;  // "host:port" or "unix:/path/to/redis.sock"
  bool cluster = false;
  int timeout_ms = 100;          // deadline for one batch exchange
  int connect_timeout_ms = 200;  // deadline for one connect attempt
  // AUTH on every connection: `AUTH <user> <password>` with an ACL user, `AUTH <password>` without.
  std::string user;
  std::string password;
  // TLS on every connection (data, cluster nodes met through redirects, cache invalidations):
  // the server's certificate must chain to tls_opts.ca_file and carry the name connected to
  // (or tls_opts.server_name); tls_opts.cert_file / key_file when the server checks clients.
  bool tls = false;
  store::TlsOptions tls_opts;
  // Bytes of the coherent flow cache; 0 turns it off (every read goes to Redis).
  size_t cache_bytes = 0;
  // How often (µs) the invalidation sockets are checked before a batch trusts the cache: at
  // most this much is added to the window in which a changed value can still be used. 0
  // checks before every batch (a poll() each, which dominates a batch of one packet).
  int cache_recheck_us = 50;
  // How long (µs) an exchange busy-polls for its replies before it sleeps in poll(); 0 always
  // sleeps. Spent only while a batch waits for the store, as a DPDK core polls its queues; on
  // the replay 100-300 µs gave the same gain (bench/RESULTS.md, 2026-11-30 05:40).
  int spin_us = 200;
  // How long (µs) posted commands may wait in their connection's output buffer for an exchange
  // to carry them before the end of a batch writes them on their own (send_posted_due); 0
  // writes them at the end of every batch. Each write of its own wakes Redis, which on a VM
  // costs both sides tens of µs (bench/RESULTS.md, 2026-12-01); nobody waits for these
  // commands, and an idle engine flushes them at once.
  int post_hold_us = 1000;
};

class RedisStore final : public StateStore {
 public:
  explicit RedisStore(RedisOptions opts);
  ~RedisStore() override;
  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  void execute(const Cmd* cmds, size_t n, std::vector<Reply>& replies) override;
  Ticket start(const Cmd* cmds, size_t n, std::vector<Reply>& replies) override;
  void finish(Ticket t) override;
  bool ready(Ticket t) override;
  bool splits() const override { return true; }
  // Appends the commands to their nodes' pipelines and writes what the sockets take, without
  // waiting. With the cache, each key a posted script rewrites that was cached is fetched
  // again right behind it (a tracked GET), so a refreshed flow stays warm.
  void post(const Cmd* cmds, size_t n) override;
  void send_posted() override;
  void send_posted_due() override;
  const StoreStats& stats() const override { return stats_; }
  int shards() const override { return router_.shards(); }
  const CacheStats* cache_stats() const override {
    return tracker_.enabled() ? &tracker_.cache().stats() : nullptr;
  }
  bool cache_miss(const std::string& key) const override {
    return tracker_.enabled() && !tracker_.cache().may_have(key);
  }

  // Redis Cluster hash slot of a key (CRC16 of its hash tag, mod 16384).
  static int key_slot(const std::string& key) { return ClusterRouter::key_slot(key); }

 private:
  struct Node;
  struct Want {
    Reply* target;  // nullptr: reply nobody waits for (ASKING, posted commands)
    bool refill;    // a posted GET or script whose reply refills the cache (CacheTracker::refilled)
    bool lead;      // a command sent ahead of the one that answers (SET NX + GET, MULTI ... EXEC):
                    // its reply counts only when it is an error
    int8_t pick = -1;  // an EXEC: the element of its array that answers
    int8_t refill_at = -1;  // an EXEC: the element of its array that refills a key (expected at append)
    // pick and refill_at name one element, an MGET of two keys: its first value answers and its
    // second refills (the NAT claim's forward and reverse keys).
    bool pair = false;
  };
  struct Retry {
    size_t cmd;
    int node;
    bool asking;
    bool eval;  // send the script body (EVAL) instead of EVALSHA after NOSCRIPT
    int sent;   // Redis commands it went as (counted when answered)
  };
  // A started exchange (start): its commands' first round is on the wire.
  struct Open {
    Ticket id = 0;
    const Cmd* cmds = nullptr;
    std::vector<Reply>* replies = nullptr;
    std::vector<Retry> todo;
    // For each node written to: the count of its replies (since it connected) at which this
    // exchange's are all in.
    std::vector<std::pair<int, uint64_t>> ends;
    int64_t t0 = 0;
    uint64_t epoch = 0;  // CacheTracker::open_reads
    // GETs not sent: (the GET, the earlier command of this exchange whose reply is its value).
    std::vector<std::pair<size_t, size_t>> shared;
  };
  // An earlier command of the exchange being started whose reply is `key`'s value as it ends
  // (a GET, or a script or claim naming it first), or none (cmd < 0: a later command wrote it).
  struct Yield {
    size_t hash;
    const std::string* key;
    int node;
    int64_t cmd;
  };
  // Whether the GET cmds[i] can take the reply of an earlier command of its exchange; notes what
  // cmds[i] itself yields or writes, for the commands after it.
  int64_t shared_read(const Cmd* cmds, size_t i, int node);

  // Gives every node the router has met (seeds, CLUSTER SLOTS, redirects) its connection slot.
  void add_nodes();
  bool ensure_connected(Node& n);
  void disconnect(Node& n, bool count_failure);
  // Remembers why in stats_.last_error, and disconnect(n, true) unless an exchange already did.
  void fail(Node& n, const std::string& why);
  bool sync_call(Node& n, const std::vector<std::string>& argv, Reply& out);
  bool refresh_slots();
  // Appends c (after ASKING when `asking`) with the wants for its replies: `target` gets its
  // answer, `refill` says the answer refills c's first key. Returns the Redis commands sent.
  int append(Node& n, const Cmd& c, bool eval, bool asking, Reply* target, bool refill);
  void append_raw(Node& n, const std::vector<std::string>& argv);
  // A nat_claim as MULTI MSETNX PEXPIRE NX PEXPIRE NX MGET EXEC (after one ASKING when `asking`).
  int append_claim(Node& n, const Cmd& c, bool asking, Reply* target);
  void append_get(Node& n, const std::string& key);
  // Reads replies until every node in `active` has answered everything sent to it, or (ends)
  // until each listed node has answered up to its count; or the deadline.
  void exchange(const std::vector<int>& active, int64_t deadline_us,
                const std::vector<std::pair<int, uint64_t>>* ends = nullptr);
  // Sends o.todo again as a round of its own and reads its replies; false when no node could
  // take any of it (their replies stay Unavailable).
  bool redo(Open& o);
  // The replies of the exchange's round are in: counts them, caches what it may, and queues
  // what was redirected (MOVED / ASK) or lacked its script (NOSCRIPT) for another round.
  void after_round(Open& o);
  std::vector<std::unique_ptr<Open>>::iterator find_open(Ticket t);
  void drain_invalidations();
  bool holds_posts(int node) const;  // node has posts send_posted_due() keeps back
  // Reads the replies that have arrived on n's connection. false and `err` on a protocol error.
  bool read_replies(Node& n, std::string* err);
  void consume(Node& n, const Want& w, Reply& r);
  void fail_pending(Node& n);
  // n refused a store module command: its compare-and-sets go as scripts from now on.
  void module_refused(Node& n);
  void settle(Node& n);

  RedisOptions opts_;
  ClusterRouter router_;
  ScriptRegistry scripts_;
  CacheTracker tracker_;
  std::vector<std::unique_ptr<Node>> nodes_;  // by the router's node index
  StoreStats stats_;
  // Reused across batches so the packet path does not allocate.
  std::vector<const char*> argv_;
  std::vector<size_t> argvlen_;
  std::vector<std::string> load_keys_;  // SNF.LBASSIGN's load sets, named in full (reused)
  std::vector<Retry> next_;         // after_round: the next round's commands
  std::vector<std::unique_ptr<Open>> open_, spare_;  // started exchanges; finished ones, reused
  std::vector<Yield> yields_;  // start: the exchange's commands so far, by key (shared_read)
  Ticket next_ticket_ = 1;
  std::vector<int> active_;         // execute: nodes written to this round
  // When the oldest post not yet written was queued (0: none), for post_hold_us.
  int64_t posted_since_us_ = 0;
  std::vector<int> posted_;         // post: nodes with posted commands no exchange or send has written
  std::vector<int> live_, polled_;  // exchange: nodes awaiting replies, those in pfds_
  std::vector<pollfd> pfds_;        // exchange
  std::vector<pollfd> drain_pfds_;  // drain_invalidations
};

}  // namespace snf
