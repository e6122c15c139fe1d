// Load balancer alone: client frames reach a backend of the VIP they addressed, backend
// replies leave as the VIP, and a flow keeps its backend for the whole run.
#include "harness.hpp"

namespace {
using Key = std::tuple<uint8_t, std::string, uint16_t, std::string>;  // proto, client, port, vip
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 16384) return 0;
  // flags bit 2: an allow-all firewall in front, so verdicts pass through two stages.
  snf::EngineCfg cfg = fixture::config((data[0] & 4) ? std::vector<snf::NfKind>{snf::NfKind::Firewall, snf::NfKind::Lb}
                                                     : std::vector<snf::NfKind>{snf::NfKind::Lb},
                                       data[0] & 1);
  cfg.fw.default_allow = true;
  if (data[0] & 2) cfg.lb.vips[0].backends[1].drained = true;
  fuzz::Driver drv(cfg);
  std::map<Key, std::string> assigned;
  drv.run(fuzz::Reader{data + 1, size - 1}, [&](const frames::Bytes&, const snf::Packet& p0, const frames::Bytes&,
                                                const snf::Packet& p1, const snf::Frame& f) {
    uint8_t proto = p0.flow_proto();
    const snf::LbVip* vip = nullptr;
    if (f.in == snf::Side::Outside) {
      for (const auto& v : cfg.lb.vips)
        if (v.proto == proto && v.addr == p0.flow_dst() && v.port == p0.flow_dport()) vip = &v;
      fuzz::require(vip != nullptr, "client frame was for a VIP");
      fuzz::require(p1.flow_src() == p0.flow_src() && p1.flow_sport() == p0.flow_sport(), "client untouched");
      const snf::LbBackend* be = nullptr;
      for (const auto& b : vip->backends)
        if (b.addr == p1.flow_dst() && (b.port ? b.port : vip->port) == p1.flow_dport()) be = &b;
      fuzz::require(be != nullptr, "reaches one of the VIP's backends");
      fuzz::require(!be->drained, "never a drained backend for a new or live flow");
      Key k{proto, p0.flow_src().str(), p0.flow_sport(), vip->id};
      auto it = assigned.emplace(k, be->id);
      fuzz::require(it.first->second == be->id, "a flow keeps its backend");
    } else {
      for (const auto& v : cfg.lb.vips)
        if (v.proto == proto && v.addr == p1.flow_src() && v.port == p1.flow_sport()) vip = &v;
      fuzz::require(vip != nullptr, "backend reply leaves as the VIP");
      fuzz::require(p1.flow_dst() == p0.flow_dst() && p1.flow_dport() == p0.flow_dport(), "client side untouched");
    }
  });
  return 0;
}
