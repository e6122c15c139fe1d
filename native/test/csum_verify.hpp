// Recomputes, from scratch, every checksum a parsed packet carries: the check the incremental
// (RFC 1624) rewrites are held to. Shared by the unit tests and the fuzzers.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "frames.hpp"
#include "packet/checksum.hpp"
#include "packet/packet.hpp"

namespace verify {

struct Sum {
  std::string name;  // "ip4", "l4", "inner_ip4", "inner_l4"
  uint16_t field = 0;
  uint16_t expect = 0;  // computed over the covered bytes with the field taken as zero
  // Equal as one's complement numbers: 0x0000 and 0xffff are both zero, and the incremental
  // update may legitimately leave either (RFC 1624 section 3).
  bool ok() const { return field == expect || ((field ^ expect) == 0xffff && (field == 0 || field == 0xffff)); }
  bool exact() const { return field == expect; }
};

namespace detail {

inline uint16_t over(const uint8_t* d, uint32_t from, uint32_t to, uint32_t field_at, uint32_t seed) {
  std::vector<uint8_t> tmp(d + from, d + to);
  tmp[field_at - from] = 0;
  tmp[field_at - from + 1] = 0;
  return snf::csum_full(tmp.data(), static_cast<uint32_t>(tmp.size()), seed);
}

// The end of an IP datagram as its header declares it (for an embedded one, maybe past what
// the ICMP error quotes).
inline uint32_t declared_end(const uint8_t* d, const snf::IpView& ip) {
  if (ip.ver == 4) return ip.l3 + snf::rd16(d + ip.l3 + 2);
  return ip.l3 + 40 + snf::rd16(d + ip.l3 + 4);
}

// Adds the L4 checksum of `ip` if its whole covered range is within [.., limit).
inline void l4(std::vector<Sum>& out, const uint8_t* d, const snf::IpView& ip, uint32_t limit, const char* name) {
  uint32_t at = frames::l4_csum_off(ip.proto);
  if (at == 0xffffffffu) return;
  uint32_t end = declared_end(d, ip);
  // The range must also cover the ports / query id a rewrite may change, or the datagram's own
  // length disagrees with what the rewrite (rightly) keeps consistent.
  if (end > limit || ip.l4 + at + 2 > end || ip.l4 + 8 > end) return;
  at += ip.l4;
  uint16_t field = snf::rd16(d + at);
  if (ip.proto == snf::PROTO_UDP && ip.ver == 4 && field == 0) return;  // "no checksum"
  // Addresses from the bytes, not the view: the check must not trust what the rewrite recorded.
  snf::Addr src = ip.ver == 4 ? snf::Addr::v4(d + ip.src_off) : snf::Addr::v6(d + ip.src_off);
  snf::Addr dst = ip.ver == 4 ? snf::Addr::v4(d + ip.src_off + 4) : snf::Addr::v6(d + ip.src_off + 16);
  uint32_t seed = ip.proto == snf::PROTO_ICMP ? 0 : frames::pseudo_sum(src, dst, ip.proto, end - ip.l4);
  uint16_t c = over(d, ip.l4, end, at, seed);
  if (ip.proto == snf::PROTO_UDP && c == 0) c = 0xffff;
  out.push_back({name, field, c});
}

}  // namespace detail

// Every checksum of `p` whose covered bytes are all present in the frame.
inline std::vector<Sum> sums(const snf::Packet& p) {
  std::vector<Sum> out;
  const uint8_t* d = p.data;
  if (p.ip.ver == 4) out.push_back({"ip4", snf::rd16(d + p.ip.l3 + 10), detail::over(d, p.ip.l3, p.ip.l4, p.ip.l3 + 10, 0)});
  detail::l4(out, d, p.ip, p.ip.end, "l4");
  if (p.icmp_error) {
    const snf::IpView& in = p.inner;
    if (in.ver == 4)
      out.push_back({"inner_ip4", snf::rd16(d + in.l3 + 10), detail::over(d, in.l3, in.l4, in.l3 + 10, 0)});
    detail::l4(out, d, in, in.end, "inner_l4");
  }
  return out;
}

}  // namespace verify
