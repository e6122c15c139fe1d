#include "packet.hpp"

namespace snf {
namespace {

inline uint16_t rd16(const uint8_t* p) { return static_cast<uint16_t>(p[0] << 8 | p[1]); }
inline uint32_t rd32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 |
         static_cast<uint32_t>(p[2]) << 8 | p[3];
}

// Walks type-length-value options (IPv4 and TCP share the encoding: 0 end, 1 no-op, else a
// length of at least 2 that stays inside the header). A malformed list is hostile: drop it.
bool options_ok(const uint8_t* p, uint32_t n) {
  uint32_t i = 0;
  while (i < n) {
    uint8_t kind = p[i];
    if (kind == 0) return true;
    if (kind == 1) {
      i++;
      continue;
    }
    if (i + 1 >= n) return false;
    uint8_t len = p[i + 1];
    if (len < 2 || i + len > n) return false;
    i += len;
  }
  return true;
}

bool is_icmp4_error(uint8_t t) { return t == 3 || t == 4 || t == 5 || t == 11 || t == 12; }
bool is_icmp6_error(uint8_t t) { return t >= 1 && t <= 4; }

// Parses the IPv4 or IPv6 header at `off` and walks IPv6 extension headers.
// `embedded`: inside an ICMP error the datagram is cut short, so lengths are checked against
// the bytes present, not the header's total length.
Drop parse_ip(const uint8_t* d, uint32_t len, uint32_t off, bool embedded, IpView& ip,
              bool& later_fragment, bool& first_fragment) {
  if (off + 1 > len) return Drop::Truncated;
  uint8_t ver = d[off] >> 4;
  ip.l3 = off;
  later_fragment = false;
  first_fragment = false;
  if (ver == 4) {
    if (off + 20 > len) return Drop::Truncated;
    uint32_t ihl = (d[off] & 0x0f) * 4u;
    if (ihl < 20) return Drop::BadIhl;
    if (off + ihl > len) return Drop::Truncated;
    uint32_t total = rd16(d + off + 2);
    if (total < ihl) return Drop::BadIpLength;
    if (ihl > 20 && !embedded && !options_ok(d + off + 20, ihl - 20)) return Drop::BadOptions;
    if (!embedded && off + total > len) return Drop::BadIpLength;
    ip.ver = 4;
    ip.proto = d[off + 9];
    ip.src_off = off + 12;
    ip.src = Addr::v4(d + off + 12);
    ip.dst = Addr::v4(d + off + 16);
    ip.l4 = off + ihl;
    ip.end = embedded ? len : off + total;
    uint16_t frag = rd16(d + off + 6);
    later_fragment = (frag & 0x1fff) != 0;
    first_fragment = !later_fragment && (frag & 0x2000) != 0;  // MF
    return Drop::None;
  }
  if (ver == 6) {
    if (off + 40 > len) return Drop::Truncated;
    uint32_t payload = rd16(d + off + 4);
    if (!embedded && off + 40 + payload > len) return Drop::BadIpLength;
    ip.ver = 6;
    ip.src_off = off + 8;
    ip.src = Addr::v6(d + off + 8);
    ip.dst = Addr::v6(d + off + 24);
    ip.end = embedded ? len : off + 40 + payload;
    uint8_t nh = d[off + 6];
    uint32_t p = off + 40;
    // A bounded walk: more than 8 extension headers is hostile or broken, never legitimate.
    // One pass more than the limit, so the 8th header's successor still gets read.
    constexpr int kMaxExt = 8;
    for (int i = 0; i <= kMaxExt; i++) {
      switch (nh) {
        case 0:    // hop-by-hop
        case 43:   // routing
        case 60: {  // destination options
          if (p + 8 > ip.end) return embedded ? Drop::Truncated : Drop::BadIpv6Chain;
          uint32_t hlen = (d[p + 1] + 1u) * 8u;
          if (p + hlen > ip.end) return Drop::BadIpv6Chain;
          if (nh == 0 && p != off + 40) return Drop::BadIpv6Chain;  // hop-by-hop only first
          nh = d[p];
          p += hlen;
          continue;
        }
        case 44: {  // fragment
          if (p + 8 > ip.end) return embedded ? Drop::Truncated : Drop::BadIpv6Chain;
          uint16_t fo = rd16(d + p + 2);
          if ((fo & 0xfff8) != 0) later_fragment = true;
          else if ((fo & 0x0001) != 0) first_fragment = true;  // M
          nh = d[p];
          p += 8;
          continue;
        }
        case 51: {  // AH: length in 4-octet units minus 2
          if (p + 8 > ip.end) return Drop::BadIpv6Chain;
          uint32_t hlen = (d[p + 1] + 2u) * 4u;
          if (p + hlen > ip.end) return Drop::BadIpv6Chain;
          nh = d[p];
          p += hlen;
          continue;
        }
        default:
          ip.proto = nh;
          ip.l4 = p;
          return Drop::None;
      }
    }
    return Drop::BadIpv6Chain;
  }
  return Drop::BadIpVersion;
}

// Reads ports / ICMP id of the embedded packet: only the first 8 L4 bytes are guaranteed.
void embedded_ports(const uint8_t* d, IpView& in) {
  in.has_ports = false;
  if (in.l4 + 8 > in.end) return;
  const uint8_t* l4 = d + in.l4;
  if (in.proto == PROTO_TCP || in.proto == PROTO_UDP) {
    in.sport = rd16(l4);
    in.dport = rd16(l4 + 2);
    in.has_ports = true;
  } else if ((in.proto == PROTO_ICMP && (l4[0] == 8 || l4[0] == 0)) ||
             (in.proto == PROTO_ICMPV6 && (l4[0] == 128 || l4[0] == 129))) {
    in.sport = in.dport = rd16(l4 + 4);
    in.has_ports = true;
  }
}

}  // namespace

Drop parse_frame(uint8_t* data, uint32_t len, Packet& out) {
  out = Packet{};
  out.data = data;
  out.len = len;
  if (len < 14) return Drop::Truncated;
  uint32_t off = 12;
  uint16_t et = rd16(data + off);
  for (int tags = 0; (et == 0x8100 || et == 0x88a8) && tags < 2; tags++) {
    off += 4;
    if (off + 2 > len) return Drop::Truncated;
    et = rd16(data + off);
  }
  off += 2;
  if (et != 0x0800 && et != 0x86dd) return Drop::BadEthertype;

  Drop d = parse_ip(data, len, off, false, out.ip, out.later_fragment, out.first_fragment);
  if (d != Drop::None) return d;
  if (out.ip.ver == 4 && et != 0x0800) return Drop::BadIpVersion;
  if (out.ip.ver == 6 && et != 0x86dd) return Drop::BadIpVersion;
  if (out.later_fragment) {
    // Non-first fragments carry no L4 header; see native/packet/README.md for the policy.
    return Drop::FragmentNoState;
  }

  const uint8_t* l4 = data + out.ip.l4;
  uint32_t l4len = out.ip.end - out.ip.l4;
  switch (out.ip.proto) {
    case PROTO_TCP: {
      if (l4len < 20) return Drop::BadL4Header;
      uint32_t doff = (l4[12] >> 4) * 4u;
      if (doff < 20 || doff > l4len) return Drop::BadL4Header;
      if (doff > 20 && !options_ok(l4 + 20, doff - 20)) return Drop::BadOptions;
      out.ip.sport = rd16(l4);
      out.ip.dport = rd16(l4 + 2);
      out.ip.has_ports = true;
      out.seq = rd32(l4 + 4);
      out.ack = rd32(l4 + 8);
      out.tcp_flags = l4[13] & 0x3f;
      out.tcp_payload = l4len - doff;
      return Drop::None;
    }
    case PROTO_UDP: {
      if (l4len < 8) return Drop::BadL4Header;
      uint32_t ulen = rd16(l4 + 4);
      // A first fragment's UDP length counts the fragments still to come (real DNS answers
      // over 1,500 bytes); only an unfragmented datagram must fit in the bytes present.
      if (ulen < 8 || (ulen > l4len && !out.first_fragment)) return Drop::BadL4Header;
      out.ip.sport = rd16(l4);
      out.ip.dport = rd16(l4 + 2);
      out.ip.has_ports = true;
      return Drop::None;
    }
    case PROTO_ICMP:
    case PROTO_ICMPV6: {
      bool v6 = out.ip.proto == PROTO_ICMPV6;
      if (v6 != (out.ip.ver == 6)) return Drop::UnsupportedProto;
      if (l4len < 8) return Drop::BadL4Header;
      out.icmp_type = l4[0];
      out.icmp_code = l4[1];
      bool echo = v6 ? (l4[0] == 128 || l4[0] == 129) : (l4[0] == 8 || l4[0] == 0);
      if (echo) {
        out.icmp_query = true;
        out.ip.sport = out.ip.dport = rd16(l4 + 4);
        out.ip.has_ports = true;
        return Drop::None;
      }
      if (v6 ? is_icmp6_error(l4[0]) : is_icmp4_error(l4[0])) {
        bool lf = false, ff = false;
        Drop e = parse_ip(data, out.ip.end, out.ip.l4 + 8, true, out.inner, lf, ff);
        if (e != Drop::None) return e == Drop::Truncated ? Drop::BadL4Header : e;
        if (out.inner.ver != out.ip.ver) return Drop::BadL4Header;
        embedded_ports(data, out.inner);
        if (!out.inner.has_ports || lf) return Drop::BadL4Header;
        out.icmp_error = true;
        return Drop::None;
      }
      return Drop::UnsupportedProto;
    }
    default:
      return Drop::UnsupportedProto;
  }
}

}  // namespace snf
