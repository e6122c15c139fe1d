// Internet checksum helpers. Rewrites use RFC 1624 incremental updates (eqn. 3:
// HC' = ~(~HC + ~m + m')), so a rewrite costs a few adds regardless of packet size.
#pragma once
#include <cstdint>

namespace snf {

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline void wr16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}

inline uint16_t csum_fold(uint32_t s) {
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return static_cast<uint16_t>(s);
}

// Full checksum over a buffer (used by tests and by the fuzzer's invariants, not on rewrites).
inline uint16_t csum_full(const uint8_t* p, uint32_t n, uint32_t seed = 0) {
  uint32_t s = seed;
  for (uint32_t i = 0; i + 1 < n; i += 2) s += rd16(p + i);
  if (n & 1) s += static_cast<uint32_t>(p[n - 1]) << 8;
  return static_cast<uint16_t>(~csum_fold(s));
}

// A checksum field to keep right while a covered word changes.
struct CsumRef {
  uint8_t* field = nullptr;
  // UDP never sends a computed 0: it means "no checksum" on IPv4 and is invalid on IPv6
  // (RFC 768, RFC 8200 8.1), so it goes out as 0xffff, the same one's complement zero.
  bool udp = false;
  bool udp4 = false;  // UDP over IPv4: a received 0 means "no checksum" and stays 0
};

inline void csum_adjust(const CsumRef& c, uint16_t old_w, uint16_t new_w) {
  if (!c.field) return;
  uint16_t hc = rd16(c.field);
  if (c.udp4 && hc == 0) return;
  uint32_t s = static_cast<uint16_t>(~hc) + static_cast<uint16_t>(~old_w) + new_w;
  uint16_t out = static_cast<uint16_t>(~csum_fold(s));
  if (c.udp && out == 0) out = 0xffff;
  wr16(c.field, out);
}

}  // namespace snf
