// Builds well-formed Ethernet frames for the tests, the fuzzers' structured inputs and the seed
// corpora: every checksum computed from scratch here, independently of the rewrite code.
#pragma once
#include <cstdint>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "packet/addr.hpp"
#include "packet/checksum.hpp"

namespace frames {

using Bytes = std::vector<uint8_t>;
using snf::Addr;

inline Addr A(const char* s) {
  Addr a;
  if (!Addr::parse(s, a)) throw std::invalid_argument(std::string("bad address in test: ") + s);
  return a;
}

inline void put16(Bytes& b, size_t at, uint16_t v) {
  b[at] = static_cast<uint8_t>(v >> 8);
  b[at + 1] = static_cast<uint8_t>(v);
}
inline void put32(Bytes& b, size_t at, uint32_t v) {
  put16(b, at, static_cast<uint16_t>(v >> 16));
  put16(b, at + 2, static_cast<uint16_t>(v));
}
inline void push16(Bytes& b, uint16_t v) {
  b.push_back(static_cast<uint8_t>(v >> 8));
  b.push_back(static_cast<uint8_t>(v));
}
inline void push_addr(Bytes& b, const Addr& a) {
  if (a.is_v4()) b.insert(b.end(), a.b + 12, a.b + 16);
  else b.insert(b.end(), a.b, a.b + 16);
}

// One's complement sum (not inverted) of the pseudo-header of RFC 793 / RFC 8200 8.1.
inline uint32_t pseudo_sum(const Addr& src, const Addr& dst, uint8_t proto, uint32_t len) {
  Bytes p;
  push_addr(p, src);
  push_addr(p, dst);
  uint32_t s = 0;
  for (size_t i = 0; i < p.size(); i += 2) s += snf::rd16(p.data() + i);
  s += proto;
  s += len >> 16;
  s += len & 0xffff;
  return s;
}

// ---- L4 payloads, checksum fields left zero (ip() fills them) ----

inline Bytes tcp(uint16_t sport, uint16_t dport, uint8_t flags, uint32_t seq = 1000, uint32_t ack = 0,
                 const Bytes& payload = {}, uint8_t doff_words = 5) {
  size_t hl = doff_words < 5 ? 20 : doff_words * 4u;
  Bytes b(hl, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put32(b, 4, seq);
  put32(b, 8, ack);
  b[12] = static_cast<uint8_t>(doff_words << 4);
  b[13] = flags;
  put16(b, 14, 65535);
  for (size_t i = 20; i < hl; i++) b[i] = 1;  // NOP options
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

inline Bytes udp(uint16_t sport, uint16_t dport, const Bytes& payload = {0xde, 0xad, 0xbe, 0xef, 0x01}) {
  Bytes b(8, 0);
  put16(b, 0, sport);
  put16(b, 2, dport);
  put16(b, 4, static_cast<uint16_t>(8 + payload.size()));
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// ICMP or ICMPv6 echo: type 8/0 (v4) or 128/129 (v6).
inline Bytes echo(uint8_t type, uint16_t id, uint16_t seq = 1, const Bytes& payload = {1, 2, 3, 4, 5, 6, 7}) {
  Bytes b(8, 0);
  b[0] = type;
  put16(b, 4, id);
  put16(b, 6, seq);
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

// ICMP error (type/code) quoting `embedded` (an IP datagram, possibly cut short).
inline Bytes icmp_error(uint8_t type, uint8_t code, const Bytes& embedded) {
  Bytes b(8, 0);
  b[0] = type;
  b[1] = code;
  b.insert(b.end(), embedded.begin(), embedded.end());
  return b;
}

// ---- IP ----

struct Ext {  // an IPv6 extension header: type and body length in bytes after the 2-byte head
  uint8_t type;
  size_t len;  // total header length in bytes (multiple of 8; AH: multiple of 4)
  uint16_t frag = 0;  // fragment header: offset/flags word
};

struct IpOpts {
  uint8_t ttl = 64;
  Bytes v4_options;        // multiple of 4
  uint16_t frag = 0;       // IPv4 flags + fragment offset word
  std::vector<Ext> ext;    // IPv6 extension headers, in order
  bool udp_zero_csum = false;  // IPv4 UDP: send no checksum
  bool l4_csum = true;         // compute the L4 checksum (false: leave the field as is)
};

inline uint32_t l4_csum_off(uint8_t proto) {
  switch (proto) {
    case 6: return 16;
    case 17: return 6;
    case 1:
    case 58: return 2;
    default: return 0xffffffffu;
  }
}

// An IP datagram (v4 or v6 by the address family) carrying `l4` of protocol `proto`.
inline Bytes ip(const Addr& src, const Addr& dst, uint8_t proto, Bytes l4, const IpOpts& o = {}) {
  bool v4 = src.is_v4();
  uint32_t off = l4_csum_off(proto);
  if (o.l4_csum && off != 0xffffffffu && off + 2 <= l4.size()) {
    put16(l4, off, 0);
    uint32_t seed = proto == 1 ? 0 : pseudo_sum(src, dst, proto, static_cast<uint32_t>(l4.size()));
    uint16_t c = snf::csum_full(l4.data(), static_cast<uint32_t>(l4.size()), seed);
    if (proto == 17 && c == 0) c = 0xffff;
    if (proto == 17 && v4 && o.udp_zero_csum) c = 0;
    put16(l4, off, c);
  }
  Bytes b;
  if (v4) {
    size_t ihl = 20 + o.v4_options.size();
    b.assign(ihl, 0);
    b[0] = static_cast<uint8_t>(0x40 | (ihl / 4));
    put16(b, 2, static_cast<uint16_t>(ihl + l4.size()));
    put16(b, 4, 0x1234);
    put16(b, 6, o.frag);
    b[8] = o.ttl;
    b[9] = proto;
    std::copy(src.b + 12, src.b + 16, b.begin() + 12);
    std::copy(dst.b + 12, dst.b + 16, b.begin() + 16);
    std::copy(o.v4_options.begin(), o.v4_options.end(), b.begin() + 20);
    put16(b, 10, snf::csum_full(b.data(), static_cast<uint32_t>(ihl)));
  } else {
    Bytes exts;
    for (size_t i = 0; i < o.ext.size(); i++) {
      const Ext& e = o.ext[i];
      uint8_t nh = i + 1 < o.ext.size() ? o.ext[i + 1].type : proto;
      Bytes h(e.type == 44 ? 8 : e.len, 0);
      h[0] = nh;
      if (e.type == 44) put16(h, 2, e.frag);
      else if (e.type == 51) h[1] = static_cast<uint8_t>(e.len / 4 - 2);
      else h[1] = static_cast<uint8_t>(e.len / 8 - 1);
      if (e.type == 0 || e.type == 60) h[2] = 1;  // PadN covering the rest
      if (e.type == 0 || e.type == 60) h[3] = static_cast<uint8_t>(h.size() - 4);
      exts.insert(exts.end(), h.begin(), h.end());
    }
    b.assign(40, 0);
    b[0] = 0x60;
    put16(b, 4, static_cast<uint16_t>(exts.size() + l4.size()));
    b[6] = o.ext.empty() ? proto : o.ext[0].type;
    b[7] = o.ttl;
    std::copy(src.b, src.b + 16, b.begin() + 8);
    std::copy(dst.b, dst.b + 16, b.begin() + 24);
    b.insert(b.end(), exts.begin(), exts.end());
  }
  b.insert(b.end(), l4.begin(), l4.end());
  return b;
}

// ---- Ethernet ----

// `tags`: 802.1Q / 802.1ad TPIDs, outermost first (e.g. {0x88a8, 0x8100} for QinQ).
inline Bytes eth(const Bytes& ipdg, std::initializer_list<uint16_t> tags = {}, int ethertype = -1) {
  Bytes b = {0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2};
  uint16_t vid = 100;
  for (uint16_t t : tags) {
    push16(b, t);
    push16(b, vid++);
  }
  uint16_t et = ethertype >= 0 ? static_cast<uint16_t>(ethertype)
                               : (!ipdg.empty() && (ipdg[0] >> 4) == 6 ? 0x86dd : 0x0800);
  push16(b, et);
  b.insert(b.end(), ipdg.begin(), ipdg.end());
  return b;
}

// ---- Shorthands for whole frames ----

inline Bytes tcp_frame(const char* s, uint16_t sp, const char* d, uint16_t dp, uint8_t flags, uint32_t seq = 1000,
                       uint32_t ack = 0) {
  return eth(ip(A(s), A(d), 6, tcp(sp, dp, flags, seq, ack)));
}
inline Bytes udp_frame(const char* s, uint16_t sp, const char* d, uint16_t dp, bool zero_csum = false) {
  IpOpts o;
  o.udp_zero_csum = zero_csum;
  return eth(ip(A(s), A(d), 17, udp(sp, dp), o));
}
inline Bytes echo_frame(const char* s, const char* d, uint16_t id, bool reply = false) {
  Addr sa = A(s);
  bool v4 = sa.is_v4();
  uint8_t type = v4 ? (reply ? 0 : 8) : (reply ? 129 : 128);
  return eth(ip(sa, A(d), v4 ? 1 : 58, echo(type, id)));
}
// An ICMP error from `router` to `to`, quoting the first `keep` bytes (all when 0) of `inner`.
inline Bytes error_frame(const char* router, const char* to, const Bytes& inner, size_t keep = 0) {
  Addr r = A(router);
  bool v4 = r.is_v4();
  Bytes q(inner.begin(), inner.begin() + static_cast<long>(keep && keep < inner.size() ? keep : inner.size()));
  return eth(ip(r, A(to), v4 ? 1 : 58, icmp_error(v4 ? 3 : 1, v4 ? 1 : 4, q)));
}

}  // namespace frames
