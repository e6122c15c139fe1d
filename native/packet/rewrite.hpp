// In-place rewrites of a parsed packet's flow-view endpoints, keeping every checksum that
// covers a changed word right: IPv4 header, TCP/UDP/ICMPv6 pseudo-header, ICMP, and for ICMP
// errors the embedded IPv4 header and L4 checksums plus the outer ICMP checksum over them.
#pragma once
#include "packet.hpp"

namespace snf {

// Sets the flow-view source endpoint (Packet::flow_src / flow_sport) to (a, port).
// Plain packets: outer source address and source port (or ICMP echo id).
// ICMP errors: the embedded destination, and the outer source address.
void rewrite_flow_src(Packet& p, const Addr& a, uint16_t port);

// Sets the flow-view destination endpoint. ICMP errors: embedded source and outer destination.
void rewrite_flow_dst(Packet& p, const Addr& a, uint16_t port);

}  // namespace snf
