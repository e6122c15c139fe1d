// Engine configuration in native form, converted from the typed TypeScript object by the binding.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "../packet/addr.hpp"

namespace snf {

enum class NfKind : uint8_t { Nat = 0, Firewall = 1, Lb = 2 };
constexpr int kNfKinds = 3;
inline const char* nf_name(NfKind k) {
  static const char* n[] = {"nat", "firewall", "lb"};
  return n[static_cast<int>(k)];
}

enum class Side : uint8_t { Inside = 0, Outside = 1 };
inline Side other(Side s) { return s == Side::Inside ? Side::Outside : Side::Inside; }

struct Timeouts {
  int64_t udp_ms = 30000;
  int64_t tcp_established_ms = 7200000;
  int64_t tcp_transitory_ms = 240000;
  int64_t tcp_closed_ms = 10000;  // after RST or both FINs (TIME_WAIT)
  int64_t icmp_ms = 60000;
  int64_t refresh_ms = 1000;
  // A flow's TTL is refreshed when its value is older than this: at least `refresh_ms`, and at
  // least a quarter of the TTL, so a flow gets several chances before it expires while a busy
  // flow does not cost a script (and an invalidation in every cache) every second.
  int64_t refresh_after(int64_t ttl) const { return refresh_ms > ttl / 4 ? refresh_ms : ttl / 4; }
};

struct NatCfg {
  std::vector<Prefix> inside;
  std::vector<Addr> pool4, pool6;
  uint16_t port_lo = 1024, port_hi = 65535;
  int shards = 64;
};

using PortRange = std::pair<uint16_t, uint16_t>;

struct FwRule {
  bool allow = false;
  int dir = 0;     // 0 any, 1 out (initiated inside), 2 in (initiated outside)
  int proto = -1;  // -1 any, 6, 17, 1 (ICMP and ICMPv6)
  std::vector<Prefix> src, dst;
  std::vector<PortRange> sports, dports;
};

struct FwCfg {
  std::vector<FwRule> rules;
  bool default_allow = false;
};

struct LbBackend {
  std::string id;
  Addr addr;
  uint16_t port = 0;
  int weight = 1;
  bool drained = false;
};

struct LbVip {
  std::string id;
  Addr addr;
  uint16_t port = 0;
  uint8_t proto = 6;
  std::vector<LbBackend> backends;
  std::vector<int32_t> maglev;  // lookup table over active backends (index into `backends`)
};

struct LbCfg {
  std::vector<LbVip> vips;
  bool maglev = false;
  int table_size = 65537;
  int buckets = 1;  // hash-tag buckets per VNF: >1 spreads LB keys over Redis Cluster slots
};

struct EngineCfg {
  std::string vnf;
  std::string instance;
  std::vector<NfKind> chain;
  NatCfg nat;
  FwCfg fw;
  LbCfg lb;
  Timeouts t;
};

}  // namespace snf
