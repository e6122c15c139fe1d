// Firewall alone: it never edits a frame, and with default deny the only connection the outside
// may open is TCP to 10.0.0.22:22 (the fixture's one inbound rule).
// This target found conntrack ignoring the arrival side (a tracked inside tuple arriving from
// outside passed); since the fix the invariant holds for every pure SYN from outside.
#include "harness.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1 || size > 16384) return 0;
  snf::EngineCfg cfg = fixture::config({snf::NfKind::Firewall});
  cfg.fw.default_allow = data[0] & 1;
  fuzz::Driver drv(cfg);
  drv.run(fuzz::Reader{data + 1, size - 1}, [&](const frames::Bytes& before, const snf::Packet& p0,
                                                const frames::Bytes& after, const snf::Packet&, const snf::Frame& f) {
    fuzz::require(before == after, "the firewall does not edit frames");
    bool pure_syn = p0.flow_proto() == snf::PROTO_TCP && !p0.icmp_error &&
                    (p0.tcp_flags & (snf::TCP_SYN | snf::TCP_ACK | snf::TCP_RST | snf::TCP_FIN)) == snf::TCP_SYN;
    if (!cfg.fw.default_allow && f.in == snf::Side::Outside && pure_syn) {
      fuzz::require(p0.flow_dst() == frames::A("10.0.0.22") && p0.flow_dport() == 22,
                    "an inbound connection only where a rule allows it");
    }
  });
  return 0;
}
