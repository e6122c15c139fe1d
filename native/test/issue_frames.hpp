// The frames issue 12 reported from replaying real captures, byte for byte as filed (the first
// fragment's payload, elided there as "abab…", is filled with 0xab up to its IP length).
#pragma once
#include <stdexcept>
#include <string>

#include "frames.hpp"

namespace issue12 {

inline frames::Bytes hex(const std::string& s) {
  if (s.size() % 2) throw std::invalid_argument("odd hex length");
  frames::Bytes b;
  for (size_t i = 0; i < s.size(); i += 2) b.push_back(static_cast<uint8_t>(std::stoul(s.substr(i, 2), nullptr, 16)));
  return b;
}

// Defect 1: IPv4 first fragment (MF, offset 0, IP length 1500) of a UDP datagram whose UDP
// length (1608) covers the fragments still to come. 10.0.0.5:40000 -> 192.0.2.53:53.
inline frames::Bytes udp_first_fragment() {
  frames::Bytes b = hex("0200000000000200000000010800450005dc12342000401176a30a000005c00002359c40003506480000abab");
  b.resize(14 + 1500, 0xab);
  return b;
}

// Defect 4: NAT66 of this datagram to [2001:db8:ff::1]:1130 computes a UDP checksum of 0.
// [fd00::5]:40000 -> [2001:db8:1::53]:53.
inline frames::Bytes udp6_csum_to_zero() {
  return hex("02000000000002000000000186dd6000000000101140fd00000000000000000000000000000520010db80001000000000000000000539c400035001099dc9e69000000000000");
}

// Defect 5: IPv6 with IPv4-mapped addresses, [::ffff:10.0.0.5]:40000 -> [::ffff:192.0.2.53]:53.
inline frames::Bytes udp6_v4_mapped() {
  return hex("02000000000002000000000186dd600000000010114000000000000000000000ffff0a00000500000000000000000000ffffc00002359c4000350010971e0000000000000000");
}

// The reply to a frame: addresses and ports swapped (the checksums stay right: same words).
inline frames::Bytes reply_to(frames::Bytes b, bool v6) {
  size_t ip = 14, src = ip + (v6 ? 8 : 12), alen = v6 ? 16 : 4, l4 = ip + (v6 ? 40 : 20);
  for (size_t i = 0; i < alen; i++) std::swap(b[src + i], b[src + alen + i]);
  std::swap(b[l4], b[l4 + 2]);
  std::swap(b[l4 + 1], b[l4 + 3]);
  return b;
}

}  // namespace issue12
