// The burst pipeline: parse -> per step of the chain (batched lookup -> decide -> batched write
// -> commit) -> verdicts. At each step every frame meets at most one NF; both directions meet
// the firewall at the same step (see configure()). One instance per thread; callers serialise
// batches on an engine.
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
  Nf* nf_at(size_t step, Side in) const;
  void run_chain(size_t n);
  void lookup_ahead(size_t step, size_t n, CmdQueue& q);
  void exchange(CmdQueue& q, std::vector<Reply>& out);
  void post_deferred();

  EngineCfg cfg_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Nf> nfs_[kNfKinds];
  std::vector<Nf*> chain_;
  // Steps before a frame meets its chain's first NF, outbound (arriving inside) and inbound, so
  // that both directions meet the firewall at the same step: see configure().
  size_t delay_out_ = 0, delay_in_ = 0, steps_ = 0;
  std::vector<Slot> slots_;
  CmdQueue reads_, writes_, deferred_;
  std::vector<Reply> read_replies_, write_replies_;
  std::vector<uint32_t> idx_[kNfKinds], next_idx_[kNfKinds];
  EngineCounters c_;
};

std::unique_ptr<Nf> make_nf(NfKind k);

}  // namespace snf
