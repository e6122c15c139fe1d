// A parsed frame: offsets into the caller's buffer plus the fields the NFs decide on.
// Parsing never reads past `len` and never writes; rewriting (rewrite.hpp) edits in place.
#pragma once
#include <cstdint>

#include "addr.hpp"
#include "drop.hpp"

namespace snf {

enum : uint8_t { PROTO_ICMP = 1, PROTO_TCP = 6, PROTO_UDP = 17, PROTO_ICMPV6 = 58 };
enum : uint8_t { TCP_FIN = 0x01, TCP_SYN = 0x02, TCP_RST = 0x04, TCP_PSH = 0x08, TCP_ACK = 0x10 };

// The IP header and L4 fields of one packet, outer or embedded in an ICMP error.
struct IpView {
  uint32_t l3 = 0;       // offset of the IP header
  uint32_t l4 = 0;       // offset of the L4 header
  uint32_t end = 0;      // end of the IP datagram within the frame (or of the embedded bytes)
  uint8_t ver = 0;       // 4 or 6
  uint8_t proto = 0;     // final L4 protocol after the IPv6 extension walk
  uint32_t src_off = 0;  // offset of the source address (dst follows at +4 / +16)
  Addr src, dst;
  bool has_ports = false;  // L4 ports (or ICMP query id) present
  uint16_t sport = 0, dport = 0;
};

struct Packet {
  uint8_t* data = nullptr;
  uint32_t len = 0;
  IpView ip;
  bool later_fragment = false;  // IPv4 offset > 0 or IPv6 fragment offset > 0: no L4 header
  // Offset 0 with more fragments to come: the L4 header is here, but the UDP length and the L4
  // checksum cover the whole datagram, most of which is not.
  bool first_fragment = false;
  // TCP
  uint8_t tcp_flags = 0;
  uint32_t seq = 0, ack = 0;
  uint32_t tcp_payload = 0;  // bytes after the TCP header
  // ICMP / ICMPv6
  uint8_t icmp_type = 0, icmp_code = 0;
  bool icmp_query = false;  // echo request/reply: the id acts as both ports
  bool icmp_error = false;  // destination unreachable, time exceeded, ...: `inner` is valid
  IpView inner;

  // The flow this packet belongs to, seen in the packet's own direction. For an ICMP error
  // that is the reverse of the embedded packet, so NAT and conntrack find the same entry.
  uint8_t flow_proto() const { return icmp_error ? inner.proto : ip.proto; }
  const Addr& flow_src() const { return icmp_error ? inner.dst : ip.src; }
  const Addr& flow_dst() const { return icmp_error ? inner.src : ip.dst; }
  uint16_t flow_sport() const { return icmp_error ? inner.dport : ip.sport; }
  uint16_t flow_dport() const { return icmp_error ? inner.sport : ip.dport; }
  bool is_icmp_flow() const {
    uint8_t p = flow_proto();
    return p == PROTO_ICMP || p == PROTO_ICMPV6;
  }
};

// Parses an Ethernet frame (optionally with up to two 802.1Q / 802.1ad tags).
// Returns Drop::None and fills `out`, or the reason the frame is malformed or unsupported.
Drop parse_frame(uint8_t* data, uint32_t len, Packet& out);

}  // namespace snf
