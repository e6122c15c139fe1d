// The contract between the engine and an NF. Each batch runs, per NF stage:
//   lookup (queue reads) -> one store exchange -> decide (queue writes) -> one store exchange
//   (only if any write) -> commit (apply write results).
// The next stage's lookup may come before this stage's decide (its reads prefetched with these)
// or its commit (its reads sent behind these writes): every index an NF keeps is into the queue
// it was given, and the replies it is handed hold the whole exchange.
// NFs hold no flow state between batches: everything they know about a flow comes from the
// replies of the current batch. A write no verdict depends on (a closing, a NAT state) is queued
// with owner -1: it keeps its place among the writes, and nobody waits for it.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "../packet/packet.hpp"
#include "../store/store.hpp"
#include "config.hpp"

namespace snf {

struct Slot {
  Packet pkt;
  Side in = Side::Inside;
  Drop drop = Drop::None;
  bool alive() const { return drop == Drop::None; }
  void kill(Drop d) {
    if (drop == Drop::None) drop = d;
  }
};

// Commands of one exchange, with the packet each belongs to (-1: engine-owned, e.g. refreshes).
class CmdQueue {
 public:
  Cmd& add(int32_t owner) {
    if (n_ == cmds_.size()) cmds_.emplace_back();
    owners_.resize(n_ + 1);
    owners_[n_] = owner;
    return cmds_[n_++];
  }
  size_t size() const { return n_; }
  void clear() { n_ = 0; }
  // The vector keeps its capacity (and its strings theirs) across batches: no per-packet
  // allocation once warm.
  const Cmd* data() const { return cmds_.data(); }
  // A queued command not yet sent may still be amended (a later packet of the same new flow
  // folds its state change into the flow's one creating write).
  Cmd& at(size_t i) { return cmds_[i]; }
  int32_t owner(size_t i) const { return owners_[i]; }

 private:
  std::vector<Cmd> cmds_;
  std::vector<int32_t> owners_;
  size_t n_ = 0;
};

// What a write's reply means for the packet waiting on it: Drop::None when the store holds the
// write; `on_script` when the script refused with an error starting with `script_err`;
// `on_missing` when it answered nil (the state it was to change is gone); else the store failed.
// Redis 7 words a script's error_reply('x') as "ERR x" (the local and plugin stores as "x").
inline Drop write_outcome(const Reply& r, const char* script_err, Drop on_script, Drop on_missing) {
  if (r.type == Reply::Unavailable) return Drop::StoreUnavailable;
  if (r.type == Reply::Err) {
    if (!script_err) return Drop::StoreUnavailable;
    size_t at = r.s.compare(0, 4, "ERR ") == 0 ? 4 : 0;
    return r.s.compare(at, std::char_traits<char>::length(script_err), script_err) == 0 ? on_script
                                                                                        : Drop::StoreUnavailable;
  }
  if (r.type != Reply::Str) return on_missing;
  return Drop::None;
}

struct NfStats {
  uint64_t packets = 0, forwarded = 0, dropped = 0, new_flows = 0;
  NfStats& operator+=(const NfStats& o) {
    packets += o.packets;
    forwarded += o.forwarded;
    dropped += o.dropped;
    new_flows += o.new_flows;
    return *this;
  }
};

class Nf {
 public:
  virtual ~Nf() = default;
  virtual NfKind kind() const = 0;
  virtual void configure(const EngineCfg& cfg) = 0;
  // What the NF keeps per instance rather than per batch in flight (the NAT's port leases, the
  // keys it sent a create on read for lately) is taken from the NF of the engine's first lane,
  // of the same kind.
  virtual void share_with(Nf& first) { (void)first; }
  virtual void lookup(std::vector<Slot>& b, const std::vector<uint32_t>& idx, CmdQueue& reads) = 0;
  virtual void decide(std::vector<Slot>& b, const std::vector<uint32_t>& idx,
                      const std::vector<Reply>& reads, CmdQueue& writes, CmdQueue& deferred) = 0;
  virtual void commit(std::vector<Slot>& b, const std::vector<uint32_t>& idx,
                      const std::vector<Reply>& writes) = 0;
  NfStats stats;
  // Set by the engine for each lookup: the store, when a flow's creating script may ride in
  // place of a read that would miss: the reads go out in the NF's own exchange (every earlier
  // stage has decided), or ahead of a firewall's verdict or write, gated by create_gate. Null
  // when they go out ahead of another NF's, whose outcome may still drop the packet.
  const StateStore* create_on_read = nullptr;
  // With create_on_read set for a lookup sent ahead of an earlier stage's verdict or write: that
  // stage's NF, the firewall (Engine::lookup_ahead). A flow is created early only for a packet it
  // says it would let open one (admits_new), so a packet it refuses leaves no mapping behind.
  const Nf* create_gate = nullptr;
  // Whether this NF lets the packet through as the first of a new flow, judged on the packet
  // and the rules alone (before any state is read).
  virtual bool admits_new(const Slot&) const { return false; }
};

}  // namespace snf
