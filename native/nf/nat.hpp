// Source NAT (NAPT) with endpoint-independent mapping (RFC 4787 REQ-1) and paired pooling
// (an inside host always gets the same outside address). Mappings live in the store; see
// native/store/README.md for the key families and scripts.
#pragma once
#include <memory>

#include "created_keys.hpp"
#include "keys.hpp"
#include "nf.hpp"
#include "port_leases.hpp"

namespace snf {

class Nat final : public Nf {
 public:
  NfKind kind() const override { return NfKind::Nat; }
  void configure(const EngineCfg& cfg) override;
  void share_with(Nf& first) override {
    leases_ = static_cast<Nat&>(first).leases_;
    created_ = static_cast<Nat&>(first).created_;
  }
  void lookup(std::vector<Slot>& b, const std::vector<uint32_t>& idx, CmdQueue& reads) override;
  void decide(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& reads,
              CmdQueue& writes, CmdQueue& deferred) override;
  void commit(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& writes) override;

 private:
  struct Pending {
    int32_t read = -1;   // index of the GET in the read exchange
    int32_t write = -1;  // index of the script in the write exchange
    bool alloc = false;  // the write is an allocation (else a state update)
    // A later packet of a flow whose allocation an earlier packet of this batch queued: it
    // waits for that write and takes its mapping (index of the leader's slot).
    int32_t follow = -1;
    char st = 0;  // state the allocation writes (the flow's state after all its packets here)
    // The allocation went out in place of the read (create on read): its reply is the mapping.
    bool early = false;
    // It went out as a nat_claim of a port from this instance's lease (else a nat_alloc).
    bool claim = false;
    int64_t stamp = 0;  // the stamp that allocation wrote, to tell a created mapping from a found one
    Addr ext;            // pool address chosen for an outbound flow
    int shard = 0;
  };

  bool pool_for(const Addr& inside, Addr& out) const;
  int64_t ttl(uint8_t proto, char state) const;
  char next_state(const Slot& s, char cur, bool outbound) const;
  void fwd_key(std::string& k, uint8_t proto, const Addr& ext, int shard, const Addr& in, uint16_t port) const;
  void rev_prefix(std::string& k, uint8_t proto, const Addr& ext, int shard) const;
  void cursor_key(std::string& k, uint8_t proto, const Addr& ext, int shard) const;
  void tag(std::string& k, const Addr& ext, int shard) const;
  void queue_alloc(Cmd& c, uint8_t proto, const Pending& pd, const Addr& in, uint16_t in_port, int64_t now) const;
  void alloc_state(Cmd& c, uint8_t proto, char st, const Addr& in, uint16_t in_port, int64_t now) const;
  static void endpoint_value(std::string& v, const Addr& a, uint16_t port, char state, int64_t now);
  void queue_claim(Cmd& c, uint8_t proto, const Pending& pd, const Addr& in, uint16_t in_port, uint16_t port,
                   int64_t now) const;
  // The ports of a shard: the first, how many, each `shards` apart.
  void shard_ports(int shard, int64_t& first, int64_t& count) const;
  // A port of this instance's lease on the cursor, or 0; the cursor's next lease is asked for
  // with this run's reads when it runs low (port_leases.hpp).
  uint16_t leased_port(const CursorId& cur, int64_t now);
  int32_t leader_of(const std::vector<Slot>& b, const Slot& s) const;
  void queue_update(Cmd& c, uint8_t proto, const Addr& ext, uint16_t ext_port, const Addr& in,
                    uint16_t in_port, char state, int64_t now) const;

  std::string vnf_;
  NatCfg cfg_;
  Timeouts t_;
  std::vector<Pending> pend_;
  std::vector<uint32_t> allocs_;  // slots whose allocation this batch queued, in order
  // Mappings this decide queued a state change or a refresh for, by (protocol, outside address,
  // port), with the state written: the flow's later packets here go on from that state, so
  // each change is written once and the TTL refreshed once per batch, not once per packet.
  struct Queued {
    uint8_t proto = 0;
    Addr ext;
    uint16_t port = 0;
    char st = 0;
  };
  std::vector<Queued> queued_;  // few per batch: searched in order, capacity kept
  // Forward keys this instance sent a create-on-read allocation for: the instance's, shared by
  // every lane, so a flow's packet in a later batch in flight reads what an earlier one creates.
  std::shared_ptr<CreatedKeys> created_ = std::make_shared<CreatedKeys>();

  // Port leasing (create on read only): values of an allocation cursor taken with one INCRBY
  // (nat_lease) for this instance alone, each naming the port nat_alloc's first try would, so
  // a new flow is created by a nat_claim of the next one instead of by Lua. Exclusive as long
  // as the cursor does not wrap around; a port found taken anyway costs a nat_alloc. The table
  // is the instance's, shared by every lane (port_leases.hpp).
  std::shared_ptr<PortLeases> leases_ = std::make_shared<PortLeases>();
  bool configured_ = false;
  std::vector<CursorId> lease_asks_;   // leases asked for in this run
  std::vector<int32_t> lease_reads_;   // their places in the read exchange
};

}  // namespace snf
