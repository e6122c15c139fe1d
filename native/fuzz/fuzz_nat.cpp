// NAT alone: outbound frames leave from a pool address, inbound ones reach an inside address,
// and within one run every mapping is endpoint-independent and one-to-one.
#include "harness.hpp"

namespace {

using Key = std::tuple<uint8_t, std::string, uint16_t>;  // proto, address, port

bool in_pool(const snf::EngineCfg& c, const snf::Addr& a) {
  for (const auto& x : c.nat.pool4) if (x == a) return true;
  for (const auto& x : c.nat.pool6) if (x == a) return true;
  return false;
}
bool inside(const snf::EngineCfg& c, const snf::Addr& a) {
  for (const auto& p : c.nat.inside) if (p.contains(a)) return true;
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 16384) return 0;
  // flags bit 2: a firewall (allow-all, so NAT still sees traffic) in front, to cover the
  // chain order (outbound: firewall then NAT; inbound: NAT then firewall).
  snf::EngineCfg cfg = fixture::config((data[0] & 4) ? std::vector<snf::NfKind>{snf::NfKind::Firewall, snf::NfKind::Nat}
                                                     : std::vector<snf::NfKind>{snf::NfKind::Nat});
  cfg.fw.default_allow = true;
  if (data[0] & 1) cfg.nat.shards = 1;
  if (data[0] & 2) {  // a tiny pool, to reach exhaustion
    cfg.nat.port_lo = 20000;
    cfg.nat.port_hi = 20007;
  }
  fuzz::Driver drv(cfg);
  std::map<Key, Key> out_map, in_map;  // inside -> external, external -> inside
  drv.run(fuzz::Reader{data + 1, size - 1}, [&](const frames::Bytes&, const snf::Packet& p0, const frames::Bytes&,
                                                const snf::Packet& p1, const snf::Frame& f) {
    uint8_t proto = p0.flow_proto();
    Key in_k, ext_k;
    if (f.in == snf::Side::Inside) {
      fuzz::require(inside(cfg, p0.flow_src()), "outbound source was inside");
      fuzz::require(in_pool(cfg, p1.flow_src()), "outbound leaves from the pool");
      fuzz::require(p1.flow_src().is_v4() == p0.flow_src().is_v4(), "family kept");
      fuzz::require(p1.flow_dst() == p0.flow_dst(), "outbound destination untouched");
      if (!p0.is_icmp_flow()) fuzz::require(p1.flow_dport() == p0.flow_dport(), "outbound port untouched");
      uint16_t ext_port = p1.flow_sport();
      fuzz::require(ext_port >= cfg.nat.port_lo && ext_port <= cfg.nat.port_hi, "port from the range");
      in_k = Key{proto, p0.flow_src().str(), p0.flow_sport()};
      ext_k = Key{proto, p1.flow_src().str(), ext_port};
    } else {
      fuzz::require(in_pool(cfg, p0.flow_dst()), "inbound was for the pool");
      fuzz::require(inside(cfg, p1.flow_dst()), "inbound reaches the inside");
      fuzz::require(p1.flow_src() == p0.flow_src(), "inbound source untouched");
      in_k = Key{proto, p1.flow_dst().str(), p1.flow_dport()};
      ext_k = Key{proto, p0.flow_dst().str(), p0.flow_dport()};
    }
    auto a = out_map.emplace(in_k, ext_k);
    fuzz::require(a.first->second == ext_k, "one external endpoint per inside endpoint");
    auto b = in_map.emplace(ext_k, in_k);
    fuzz::require(b.first->second == in_k, "one inside endpoint per external endpoint");
  });
  return 0;
}
