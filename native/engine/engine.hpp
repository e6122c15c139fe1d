// The burst pipeline: parse -> per NF stage (batched lookup -> decide -> batched write ->
// commit) -> verdicts. One instance per thread; callers serialise batches on an engine.
#pragma once
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
  // Replaces the NF tables (pools, rules, VIPs, timeouts) between batches.
  void configure(const EngineCfg& cfg);
  void process(Frame* frames, size_t n);
  // Posts TTL refreshes still queued and sends every posted command (process() does both at
  // the end of each batch).
  void flush();
  EngineCounters counters() const;
  const EngineCfg& config() const { return cfg_; }

 private:
  Nf* nf_at(size_t stage, Side in) const;
  size_t run_end(size_t begin, size_t n);
  void run_chain(size_t begin, size_t end);
  void lookup_ahead(size_t stage, size_t begin, size_t end, CmdQueue& q);
  void exchange(CmdQueue& q, std::vector<Reply>& out);
  void post_deferred();

  EngineCfg cfg_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Nf> nfs_[kNfKinds];
  std::vector<Nf*> chain_;
  std::vector<Slot> slots_;
  CmdQueue reads_, writes_, deferred_;
  std::vector<Reply> read_replies_, write_replies_;
  std::vector<uint32_t> idx_[kNfKinds], next_idx_[kNfKinds];
  // Peers seen in the current run, by side (bit 0 inside, bit 1 outside): open addressing on a
  // hash of the address; a collision only costs an extra cut.
  std::vector<uint64_t> peer_keys_;
  std::vector<uint8_t> peer_sides_;
  // The side (1 outbound, 2 inbound) at whose frames a run may end, 0 for never: see configure().
  uint8_t cut_at_ = 0;
  EngineCounters c_;
};

std::unique_ptr<Nf> make_nf(NfKind k);

}  // namespace snf
