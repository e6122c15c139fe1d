// L4 load balancer: VIPs with weighted backend pools. The first packet of a flow picks a
// backend (weighted least-connections over the shared load sets, or Maglev) and the store
// records the assignment; later packets, on any instance, read it. Backends rewrite to
// (address, port) in the forward direction; their replies are rewritten back to the VIP.
#pragma once
#include <memory>

#include "created_keys.hpp"
#include "nf.hpp"

namespace snf {

class Lb final : public Nf {
 public:
  NfKind kind() const override { return NfKind::Lb; }
  void configure(const EngineCfg& cfg) override;
  void share_with(Nf& first) override { created_ = static_cast<Lb&>(first).created_; }
  void lookup(std::vector<Slot>& b, const std::vector<uint32_t>& idx, CmdQueue& reads) override;
  void decide(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& reads,
              CmdQueue& writes, CmdQueue& deferred) override;
  void commit(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& writes) override;

 private:
  struct Pending {
    int32_t read = -1, write = -1;
    int vip = -1;
    int backend = -1;  // reverse direction: the backend the packet came from
    bool assign = false;
    // A later client packet of a flow whose assignment an earlier packet of this batch queued:
    // it waits for that write and takes its backend (index of the leader's slot).
    int32_t follow = -1;
    char st = 0;  // state the assignment writes (the flow's state after all its packets here)
    // The assignment went out in place of the read (create on read): its reply is the assignment.
    bool early = false;
    int64_t stamp = 0;  // the stamp that assignment wrote, to tell a made assignment from a found one
  };
  int bucket(uint8_t proto, const Addr& client, uint16_t port) const;
  void tag(std::string& k, int bucket) const;
  void flow_id(std::string& s, uint8_t proto, const Addr& c, uint16_t cport, const LbVip& v) const;
  void fwd_key(std::string& k, int bkt, uint8_t proto, const Addr& c, uint16_t cport, const LbVip& v) const;
  void rev_key(std::string& k, int bkt, uint8_t proto, const Addr& c, uint16_t cport, const LbBackend& be, const LbVip& v) const;
  void load_prefix(std::string& k, int bkt, const LbVip& v) const;
  int64_t ttl(uint8_t proto, char state) const;
  int find_backend(const LbVip& v, const std::string& id) const;
  void queue_update(Cmd& c, const Slot& s, const LbVip& v, const LbBackend& be, const Addr& client,
                    uint16_t cport, char state, int64_t now) const;

  std::string vnf_;
  LbCfg cfg_;
  Timeouts t_;
  int32_t leader_of(const std::vector<Slot>& b, const Slot& s, int vip) const;
  void assign_state(Cmd& c, uint8_t proto, char st, int64_t now) const;
  bool candidates(const Slot& s, const LbVip& vip);
  void queue_assign(Cmd& c, const Slot& s, const LbVip& vip, char st, bool replace, int64_t now) const;

  // A flow whose lb_update this batch queued, and the state it writes: a later packet of the
  // flow in the batch (the other side's FIN) compares with it, not with what the store answered.
  struct Update {
    int vip;
    uint8_t proto;
    uint16_t cport;
    Addr client;
    char st;
  };
  Update* queued(int vip, uint8_t proto, const Addr& client, uint16_t cport);
  char queued_state(int vip, uint8_t proto, const Addr& client, uint16_t cport);
  void note_update(int vip, uint8_t proto, const Addr& client, uint16_t cport, char st);

  std::vector<Pending> pend_;
  std::vector<uint32_t> assigns_;  // slots whose assignment this batch queued, in order
  std::vector<Update> updates_;    // flows whose update this batch queued (a batch holds few)
  std::vector<int> cand_;          // candidates(): backend indexes, reused
  // Forward keys this instance sent a create on read for, shared by every lane (as the NAT's).
  std::shared_ptr<CreatedKeys> created_ = std::make_shared<CreatedKeys>();
};

}  // namespace snf
