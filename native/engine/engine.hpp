// The burst pipeline: parse -> per step of the chain (batched lookup -> decide -> batched write
// -> commit) -> verdicts. At each step every frame meets at most one NF; both directions meet
// the firewall at the same step (see configure()). One instance per thread; callers serialise
// batches on an engine.
//
// Split phase: with set_inflight(k > 1), submit() starts a batch and returns as soon as it
// waits for the store, so up to k batches are in flight; reap() hands them back in the order
// they came, each once every store write its packets depend on is acknowledged (write before
// forward). Each batch in flight has its own lane: its own NF instances and queues, so the
// NFs keep no state across batches as before. Lanes share the store's connections, which
// apply commands in the order they were sent: a later batch's read of a flow sees an earlier
// batch's write of it, and two lanes creating one flow meet in the store's find-or-create as
// two instances would. process() is submit + reap of one batch.
#pragma once
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "../nf/nf.hpp"
#include "../store/store.hpp"

namespace snf {

struct Frame {
  uint8_t* data = nullptr;  // rewritten in place
  uint32_t len = 0;
  Side in = Side::Inside;
  // Results
  bool forward = false;
  Side out = Side::Outside;
  Drop reason = Drop::None;
};

struct EngineCounters {
  uint64_t rx = 0, tx = 0, dropped = 0, batches = 0;
  uint64_t drops[static_cast<int>(Drop::Count)] = {0};
  NfStats nf[kNfKinds];
  bool nf_present[kNfKinds] = {false, false, false};
  StoreStats store;
  bool has_cache = false;
  CacheStats cache;
};

class Engine {
 public:
  Engine(const EngineCfg& cfg, std::unique_ptr<StateStore> store);
  // Replaces the NF tables (pools, rules, VIPs, timeouts); batches in flight finish first.
  void configure(const EngineCfg& cfg);
  // Runs one batch to its verdicts (batches in flight finish first).
  void process(Frame* frames, size_t n);

  // Batches in flight at most (1..kMaxInflight). Batches in flight finish first, with their
  // verdicts in their frames, and are not reaped.
  static constexpr size_t kMaxInflight = 16;
  void set_inflight(size_t k);
  size_t inflight() const { return lanes_.size(); }
  // Starts a batch: parses it and runs it until it waits for the store. The frames are the
  // caller's and must stay in place until reaped. When every lane is busy, the oldest batch
  // is finished first (and waits to be reaped). Returns the batch's number (1, 2, ...).
  uint64_t submit(Frame* frames, size_t n);
  // The oldest batch, once its verdicts are in its frames: its number, or 0 when none is in
  // flight or (wait false) it still waits for the store. With wait, blocks until it is done.
  uint64_t reap(bool wait);
  size_t in_flight() const { return fifo_.size(); }
  // Whether batches in flight can overlap anything: the store answers over a connection.
  bool store_splits() const { return store_->splits(); }

  // Posts TTL refreshes still queued and sends every posted command (process() does both at
  // the end of each batch).
  void flush();
  EngineCounters counters() const;
  const EngineCfg& config() const { return cfg_; }

 private:
  enum class Phase : uint8_t { Idle, Step, Decide, Commit, Done };
  struct Lane {
    std::unique_ptr<Nf> nfs[kNfKinds];
    std::vector<Slot> slots;
    CmdQueue reads, writes, deferred;
    std::vector<Reply> read_replies, write_replies;
    std::vector<uint32_t> idx[kNfKinds], next_idx[kNfKinds];
    Frame* frames = nullptr;
    size_t n = 0;
    uint64_t seq = 0;
    Phase phase = Phase::Idle;
    size_t step = 0;
    bool prefetched = false;  // this step's reads went out with the previous step's exchange
    bool waiting = false;     // `ticket` is open
    StateStore::Ticket ticket = 0;
    // The connections its packets meet the firewall on (see order_behind_older), once known.
    std::vector<uint64_t> fw_flows;
    bool fw_known = false;
  };

  int nf_at(size_t step, Side in) const;  // NfKind index, -1 for none
  void begin(Lane& l, Frame* frames, size_t n);
  void equip(Lane& l);
  // Runs the lane until it waits for the store (false) or its batch is done (true). block:
  // wait for each exchange in place (one batch at a time, as process() does).
  bool advance(Lane& l, bool block);
  void begin_step(Lane& l);
  void decide(Lane& l);
  void commit(Lane& l);
  void lookup_ahead(Lane& l, size_t step, CmdQueue& q);
  void send(Lane& l, CmdQueue& q, std::vector<Reply>& out);
  void done(Lane& l);
  // Moves on every lane whose replies are in, oldest first, without waiting.
  void progress();
  void finish_all();
  void post_deferred(Lane& l);
  // Before the lane's packets meet the firewall at `step`: older lanes whose firewall writes
  // are not sent yet and that may share a connection with it finish first.
  void order_behind_older(Lane& l, size_t step);
  bool passed_fw(const Lane& l) const;

  EngineCfg cfg_;
  std::unique_ptr<StateStore> store_;
  std::vector<NfKind> chain_;
  // Steps before a frame meets its chain's first NF, outbound (arriving inside) and inbound, so
  // that both directions meet the firewall at the same step: see configure().
  size_t delay_out_ = 0, delay_in_ = 0, steps_ = 0;
  size_t fw_step_ = SIZE_MAX;  // the step at which both directions meet the firewall
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::deque<Lane*> fifo_;  // lanes in flight, oldest first
  uint64_t next_seq_ = 1;
  EngineCounters c_;
};

std::unique_ptr<Nf> make_nf(NfKind k);

}  // namespace snf
