// parse_frame on arbitrary bytes; when it accepts, both flow rewrites must keep the frame
// parsing to the same structure, set exactly the endpoint asked for, and keep every checksum
// that verified before verifying after (the RFC 1624 updates, checked from scratch).
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <vector>

#include "packet/rewrite.hpp"
#include "test/csum_verify.hpp"

namespace {

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "fuzz_parse invariant broken: %s\n", what);
    std::abort();
  }
}

std::map<std::string, bool> verified(const snf::Packet& p) {
  std::map<std::string, bool> m;
  for (const auto& s : verify::sums(p)) m[s.name] = s.ok();
  return m;
}

// Same layout apart from endpoints: a rewrite must not change what the frame is.
void same_shape(const snf::Packet& a, const snf::Packet& b) {
  require(a.ip.l3 == b.ip.l3 && a.ip.l4 == b.ip.l4 && a.ip.end == b.ip.end && a.ip.ver == b.ip.ver, "outer layout");
  require(a.ip.proto == b.ip.proto && a.flow_proto() == b.flow_proto(), "protocol");
  require(a.icmp_error == b.icmp_error && a.icmp_query == b.icmp_query && a.icmp_type == b.icmp_type, "icmp kind");
  require(a.tcp_flags == b.tcp_flags && a.seq == b.seq && a.ack == b.ack, "tcp fields");
  if (a.icmp_error) require(a.inner.l3 == b.inner.l3 && a.inner.l4 == b.inner.l4 && a.inner.proto == b.inner.proto, "inner layout");
}

void rewrite_once(std::vector<uint8_t>& buf, snf::Packet& p, bool src, const snf::Addr& a, uint16_t port) {
  auto before = verified(p);
  snf::Packet shape = p;
  if (src) snf::rewrite_flow_src(p, a, port);
  else snf::rewrite_flow_dst(p, a, port);
  snf::Packet q;
  require(snf::parse_frame(buf.data(), static_cast<uint32_t>(buf.size()), q) == snf::Drop::None, "re-parse");
  same_shape(shape, q);
  require((src ? q.flow_src() : q.flow_dst()) == a, "address set");
  require((src ? q.flow_sport() : q.flow_dport()) == port, "port set");
  require((src ? p.flow_src() : p.flow_dst()) == a, "view updated");
  for (const auto& s : verify::sums(q)) {
    auto it = before.find(s.name);
    if (it != before.end() && it->second) require(s.ok(), ("checksum " + s.name + " broken by rewrite").c_str());
  }
  p = q;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > 4096) return 0;
  std::vector<uint8_t> buf(data, data + size);  // exactly sized: ASan sees any over-read
  snf::Packet p;
  snf::Drop d = snf::parse_frame(buf.data(), static_cast<uint32_t>(buf.size()), p);
  require(static_cast<int>(d) < static_cast<int>(snf::Drop::Count), "reason in range");
  if (d != snf::Drop::None) return 0;
  require(p.ip.l3 < p.ip.l4 && p.ip.l4 <= p.ip.end && p.ip.end <= size, "offsets in frame");
  require(p.ip.has_ports || p.icmp_error, "ports");

  // New endpoints from the input's own bytes, of the packet's family.
  uint8_t raw[16];
  for (int i = 0; i < 16; i++) raw[i] = data[(i * 7 + 3) % size] ^ static_cast<uint8_t>(i * 37);
  bool v4 = p.ip.ver == 4;
  snf::Addr a = v4 ? snf::Addr::v4(raw) : snf::Addr::v6(raw);
  snf::Addr b = v4 ? snf::Addr::v4(raw + 4) : snf::Addr::v6(raw);
  b.b[15] ^= 0x5a;
  uint16_t pa = static_cast<uint16_t>(raw[0] << 8 | raw[5]), pb = static_cast<uint16_t>(raw[9] << 8 | raw[2]);
  rewrite_once(buf, p, true, a, pa);
  rewrite_once(buf, p, false, b, pb);
  rewrite_once(buf, p, true, b, pb);
  return 0;
}
