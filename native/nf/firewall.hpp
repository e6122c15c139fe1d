// Stateful firewall: ordered rules decide the first packet of a connection; connection
// tracking (a TCP state machine with sequence sanity, UDP and ICMP pseudo-connections) lets
// return traffic through only for tracked connections. Every transition is a compare-and-set
// in the store, so instances racing on one connection agree.
#pragma once
#include <memory>
#include <unordered_map>

#include "created_keys.hpp"
#include "nf.hpp"

namespace snf {

class Firewall final : public Nf {
 public:
  NfKind kind() const override { return NfKind::Firewall; }
  void configure(const EngineCfg& cfg) override;
  void share_with(Nf& first) override { created_ = static_cast<Firewall&>(first).created_; }
  void lookup(std::vector<Slot>& b, const std::vector<uint32_t>& idx, CmdQueue& reads) override;
  void decide(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& reads,
              CmdQueue& writes, CmdQueue& deferred) override;
  void commit(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& writes) override;

  // Connection entry, as stored: "state|dir|init|isn_i|isn_r|stamp".
  struct Conn {
    std::string state;  // "" when absent
    char dir = 'o';     // 'o' initiated from the inside, 'i' from the outside
    char init = 'A';    // which canonical endpoint initiated
    uint32_t isn_i = 0, isn_r = 0;
    int64_t stamp = 0;
    static Conn parse(const std::string& v);
    std::string str() const;
  };

  struct Step {
    bool forward = false;
    bool reopen = false;  // a fresh SYN on a closed entry: rules decide again
    std::string next;     // new state, empty = unchanged
    uint32_t isn_r = 0;
    Drop why = Drop::FwBadTcpState;
  };
  // The TCP state machine, pure: exposed for tests and the fuzzer.
  static Step tcp_step(const Conn& c, bool from_initiator, const Packet& p);
  bool admits_new(const Slot& s) const override;

 private:
  struct Pending {
    int32_t read = -1, write = -1;
    std::string key;
    std::string wrote;  // value this packet's write installs
    bool from_init = false;
    // Its create-if-absent went out in place of the read (create on read): a reply equal to
    // `wrote` is the entry it made.
    bool early = false;
  };
  Conn opening(const Slot& s, bool src_is_a, int64_t now) const;
  static void queue_cas(Cmd& w, const std::string& key, const std::string& expected, const std::string& value,
                        int64_t ttl_ms);
  bool rules_allow(const Slot& s) const;
  int64_t ttl(uint8_t proto, const std::string& state) const;
  void canonical_key(std::string& k, const Packet& p, bool& src_is_a) const;

  std::string vnf_;
  FwCfg cfg_;
  Timeouts t_;
  std::vector<Pending> pend_;
  // Decisions made earlier in this batch, so packets of one connection in one batch see each
  // other's transitions in order (the scripts then apply in that same order in the pipeline).
  std::unordered_map<std::string, std::string> overlay_;
  // Keys this instance sent a create on read for, shared by every lane (as the NAT's).
  std::shared_ptr<CreatedKeys> created_ = std::make_shared<CreatedKeys>();
};

}  // namespace snf
