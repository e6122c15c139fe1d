#include "rewrite.hpp"

#include "checksum.hpp"

namespace snf {
namespace {

struct Covers {
  CsumRef c[3];
  int n = 0;
  void add(const CsumRef& r) {
    if (r.field && n < 3) c[n++] = r;
  }
};

// Writes a 16-bit word and adjusts every checksum covering it.
void patch16(uint8_t* at, uint16_t v, const Covers& cov) {
  uint16_t old = rd16(at);
  if (old == v) return;
  wr16(at, v);
  for (int i = 0; i < cov.n; i++) csum_adjust(cov.c[i], old, v);
}

void patch_addr(uint8_t* at, const Addr& a, bool v4, const Covers& cov) {
  const uint8_t* src = v4 ? a.b + 12 : a.b;
  int words = v4 ? 2 : 8;
  for (int i = 0; i < words; i++) patch16(at + 2 * i, rd16(src + 2 * i), cov);
}

// The L4 checksum of a (possibly embedded) datagram, if its bytes are present.
CsumRef l4_csum(uint8_t* d, const IpView& ip) {
  CsumRef r;
  uint32_t at = 0;
  switch (ip.proto) {
    case PROTO_TCP: at = ip.l4 + 16; break;
    case PROTO_UDP:
      at = ip.l4 + 6;
      r.udp = true;
      r.udp4 = ip.ver == 4;
      break;
    case PROTO_ICMP:
    case PROTO_ICMPV6: at = ip.l4 + 2; break;
    default: return r;
  }
  if (at + 2 > ip.end) return r;
  r.field = d + at;
  return r;
}

// Whether the L4 checksum includes the IP pseudo-header (addresses).
bool pseudo(uint8_t proto) { return proto != PROTO_ICMP; }

CsumRef ip4_csum(uint8_t* d, const IpView& ip) {
  CsumRef r;
  if (ip.ver == 4) r.field = d + ip.l3 + 10;
  return r;
}

uint32_t port_off(const IpView& ip, bool src, bool icmp_query_id) {
  if (icmp_query_id) return ip.l4 + 4;
  return ip.l4 + (src ? 0 : 2);
}

bool is_query_proto(uint8_t proto) { return proto == PROTO_ICMP || proto == PROTO_ICMPV6; }

void rewrite_plain(Packet& p, bool src, const Addr& a, uint16_t port) {
  uint8_t* d = p.data;
  IpView& ip = p.ip;
  bool v4 = ip.ver == 4;
  CsumRef l4 = l4_csum(d, ip);
  Covers addr_cov;
  addr_cov.add(ip4_csum(d, ip));
  if (pseudo(ip.proto)) addr_cov.add(l4);
  uint32_t aoff = ip.src_off + (src ? 0 : (v4 ? 4 : 16));
  patch_addr(d + aoff, a, v4, addr_cov);
  Covers port_cov;
  port_cov.add(l4);
  bool q = is_query_proto(ip.proto);
  patch16(d + port_off(ip, src, q), port, port_cov);
  (src ? ip.src : ip.dst) = a;
  if (q) {
    ip.sport = ip.dport = port;
  } else {
    (src ? ip.sport : ip.dport) = port;
  }
}

// ICMP error: flow src = embedded dst; flow dst = embedded src.
void rewrite_error(Packet& p, bool flow_src, const Addr& a, uint16_t port) {
  uint8_t* d = p.data;
  IpView& out = p.ip;
  IpView& in = p.inner;
  bool v4 = out.ver == 4;
  CsumRef icmp = l4_csum(d, out);  // covers the whole embedded packet (and pseudo-hdr on v6)

  // Outer address: the error now appears to come from / go to the translated endpoint.
  Covers outer_cov;
  outer_cov.add(ip4_csum(d, out));
  if (pseudo(out.proto)) outer_cov.add(icmp);
  patch_addr(d + out.src_off + (flow_src ? 0 : (v4 ? 4 : 16)), a, v4, outer_cov);
  (flow_src ? out.src : out.dst) = a;

  // Embedded checksum fields are themselves inside the ICMP payload: keep the ICMP sum right
  // when they change, by patching them through patch16 with the ICMP checksum as cover.
  CsumRef in_ip = ip4_csum(d, in);
  CsumRef in_l4 = l4_csum(d, in);
  bool inner_src = !flow_src;
  uint32_t aoff = in.src_off + (inner_src ? 0 : (v4 ? 4 : 16));
  const uint8_t* na = v4 ? a.b + 12 : a.b;
  int words = v4 ? 2 : 8;
  for (int i = 0; i < words; i++) {
    uint8_t* at = d + aoff + 2 * i;
    uint16_t old = rd16(at), nw = rd16(na + 2 * i);
    if (old == nw) continue;
    wr16(at, nw);
    csum_adjust(icmp, old, nw);
    if (in_ip.field) {
      uint16_t before = rd16(in_ip.field);
      csum_adjust(in_ip, old, nw);
      csum_adjust(icmp, before, rd16(in_ip.field));
    }
    if (in_l4.field && pseudo(in.proto)) {
      uint16_t before = rd16(in_l4.field);
      csum_adjust(in_l4, old, nw);
      csum_adjust(icmp, before, rd16(in_l4.field));
    }
  }
  (inner_src ? in.src : in.dst) = a;

  bool q = is_query_proto(in.proto);
  uint8_t* pat = d + port_off(in, inner_src, q);
  uint16_t old = rd16(pat);
  if (old != port) {
    wr16(pat, port);
    csum_adjust(icmp, old, port);
    if (in_l4.field) {
      uint16_t before = rd16(in_l4.field);
      csum_adjust(in_l4, old, port);
      csum_adjust(icmp, before, rd16(in_l4.field));
    }
  }
  if (q) {
    in.sport = in.dport = port;
  } else {
    (inner_src ? in.sport : in.dport) = port;
  }
}

}  // namespace

void rewrite_flow_src(Packet& p, const Addr& a, uint16_t port) {
  if (p.icmp_error) rewrite_error(p, true, a, port);
  else rewrite_plain(p, true, a, port);
}

void rewrite_flow_dst(Packet& p, const Addr& a, uint16_t port) {
  if (p.icmp_error) rewrite_error(p, false, a, port);
  else rewrite_plain(p, false, a, port);
}

}  // namespace snf
