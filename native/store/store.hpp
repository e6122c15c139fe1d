// The state store interface the NFs use. A batch of commands goes in, replies come out in the
// same order, in one pipelined round trip per shard. Two implementations: LocalStore (an
// in-process table: the coupled baseline) and RedisStore (hiredis, Redis or Redis Cluster).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "cache.hpp"
#include "scripts.hpp"

namespace snf {

struct Cmd {
  enum Op : uint8_t { Get, Script };
  Op op = Get;
  ScriptId script = ScriptId::Count;
  std::vector<std::string> keys;  // all keys of one command share a Redis Cluster hash tag
  std::vector<std::string> args;
  // A posted write whose values this instance knows: key i will hold args[through + i] (when the
  // script's compare step passes). A coherent cache answers with them from the post on, instead
  // of dropping the keys and costing the flow's next packets a read until the refills come; the
  // refills (the script's reply, a GET behind it for each other cached key) then confirm or
  // correct them. On a posted GET (0): the value the key was just written with (a reverse key a
  // creating script named itself), answered until the GET's reply replaces it. -1: none.
  int8_t through = -1;

  void get(const std::string& key) {
    through = -1;
    op = Get;
    keys.resize(1);
    keys[0] = key;
    args.clear();
  }
  void call(ScriptId s) {
    through = -1;
    op = Script;
    script = s;
    keys.clear();
    args.clear();
  }
  // Calls f with each key the script may write that it names in its arguments, not in KEYS:
  // lb_assign's reverse keys, the third of each candidate's triple from args[9] (scripts.cpp).
  template <class F>
  void for_each_key_in_args(F&& f) const {
    if (op == Script && script == ScriptId::LbAssign)
      for (size_t i = 9; i < args.size(); i += 3) f(args[i]);
  }
};

struct Reply {
  enum Type : uint8_t { Nil, Int, Str, Arr, Err, Unavailable };
  Type type = Nil;
  int64_t i = 0;
  std::string s;  // Str payload or Err message
  std::vector<Reply> a;

  bool ok() const { return type != Err && type != Unavailable; }
};

struct StoreStats {
  uint64_t round_trips = 0;
  uint64_t commands = 0;
  uint64_t errors = 0;
  uint64_t reconnects = 0;
  // Nodes that refused a store module command (NOPERM, unknown command): the engine went back
  // to the scripts there, which work but cost Redis more (native/store/README.md).
  uint64_t module_fallbacks = 0;
  // Why the last connection to the store failed (refused, TLS, AUTH, ...), naming the node;
  // cleared when that node connects again.
  std::string last_error;
  // Round-trip latency histogram; bucket i counts samples <= kLatencyBucketsUs[i].
  static constexpr int kBuckets = 16;
  uint64_t latency[kBuckets] = {0};
  void record_latency_us(uint64_t us);
};

extern const uint32_t kLatencyBucketsUs[StoreStats::kBuckets];

class StateStore {
 public:
  virtual ~StateStore() = default;
  // Executes cmds[0..n) (pipelined per shard) and fills replies[0..n) in the same order.
  // A command that could not reach the store gets Reply::Unavailable.
  virtual void execute(const Cmd* cmds, size_t n, std::vector<Reply>& replies) = 0;
  // The same exchange in two halves, so the caller can work while the store answers: start()
  // sends cmds[0..n) and returns at once (a store without a connection runs them then), and
  // finish() waits for their replies. cmds and replies must stay as they are until finish(),
  // which is called once per ticket; tickets may be finished in any order. Commands started
  // later are applied after those started earlier (one connection per node, in order).
  using Ticket = uint64_t;
  virtual Ticket start(const Cmd* cmds, size_t n, std::vector<Reply>& replies) {
    execute(cmds, n, replies);
    return 0;
  }
  virtual void finish(Ticket) {}
  // Whether finish(t) would return without waiting for the store (reads what has arrived).
  virtual bool ready(Ticket) { return true; }
  // Whether start() returns before the store has answered (a store over a connection): only
  // then do batches in flight overlap anything.
  virtual bool splits() const { return false; }
  // Sends commands whose replies nobody waits for (TTL refreshes: no verdict depends on them;
  // with a coherent cache, a GET whose reply warms the cache).
  // A store with a connection sends them now and reads their replies whenever it next uses the
  // connection; the default executes them at once.
  virtual void post(const Cmd* cmds, size_t n) {
    std::vector<Reply> discard;
    execute(cmds, n, discard);
  }
  // Writes what post() has queued and not sent yet, now. A store with a connection queues posted
  // commands in its output buffer, and the next exchange on that connection carries them: a
  // batch's posts and exchanges share the socket writes, and the store's wake-ups, instead of
  // one write each. The engine calls this when it flushes (idle, or asked to).
  virtual void send_posted() {}
  // The same at the end of a batch, when the store may keep them a little longer for the next
  // exchange to carry (RedisOptions::post_hold_us): nobody waits for a posted command.
  virtual void send_posted_due() { send_posted(); }
  virtual const StoreStats& stats() const = 0;
  // Shards the keys spread over (1 for a single node), for choosing hash-tag fan-out.
  virtual int shards() const = 0;
  // The coherent cache's counters, where the store has one.
  virtual const CacheStats* cache_stats() const { return nullptr; }
  // True when the store has a coherent cache that does not hold `key`: a GET of it would cost a
  // round trip anyway. A hint only (the cache may change before the batch is sent), with which
  // an NF sends a flow's creating script in place of a read that would most likely miss.
  virtual bool cache_miss(const std::string& key) const { return false; }
};

// Milliseconds since the epoch: flow values carry refresh stamps that every instance reads.
int64_t now_ms();

}  // namespace snf
