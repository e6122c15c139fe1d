// The parser: every Drop reason it can give, and no read past the frame for any prefix of a
// valid frame (each prefix is parsed from its own exactly-sized heap buffer, under ASan).
#include <set>

#include "frames.hpp"
#include "issue_frames.hpp"
#include "util.hpp"

using namespace frames;
using snf::Drop;
using snf::Packet;

namespace {

Bytes tcp4() { return tcp_frame("10.0.0.1", 1234, "192.0.2.7", 80, snf::TCP_SYN, 77, 0); }
Bytes tcp6() { return tcp_frame("2001:db8::1", 1234, "2001:db8:1::7", 443, snf::TCP_ACK | snf::TCP_PSH, 5, 9); }
Bytes udp4() { return udp_frame("10.0.0.1", 5353, "192.0.2.7", 53); }
Bytes udp6() { return udp_frame("2001:db8::1", 5353, "2001:db8::53", 53); }
Bytes echo4() { return echo_frame("10.0.0.1", "192.0.2.7", 0x4242); }
Bytes echo6() { return echo_frame("2001:db8::1", "2001:db8::2", 0x4242); }
Bytes inner_tcp4() { return ip(A("198.51.100.1"), A("10.0.0.1"), 6, tcp(80, 1234, snf::TCP_ACK, 1, 2, {9, 9, 9})); }
Bytes inner_udp6() { return ip(A("2001:db8::53"), A("2001:db8::1"), 17, udp(53, 5353)); }
Bytes err4() { return error_frame("192.0.2.254", "198.51.100.1", inner_tcp4()); }
Bytes err6() { return error_frame("2001:db8::fe", "2001:db8::53", inner_udp6()); }
Bytes ext6() {
  IpOpts o;
  o.ext = {{0, 8}, {60, 16}, {43, 24}, {44, 8, 0x0001}, {51, 12}};
  return eth(ip(A("2001:db8::1"), A("2001:db8::2"), 6, tcp(1, 2, snf::TCP_SYN), o));
}
Bytes qinq4() { return eth(ip(A("10.0.0.1"), A("192.0.2.7"), 17, udp(1, 2)), {0x88a8, 0x8100}); }
Bytes opts4() {
  IpOpts o;
  o.v4_options = Bytes(40, 1);  // IHL 15, all NOPs
  return eth(ip(A("10.0.0.1"), A("192.0.2.7"), 6, tcp(1, 2, snf::TCP_SYN), o));
}

Bytes ipv6_with_exts(int n, uint8_t proto = 6) {
  IpOpts o;
  for (int i = 0; i < n; i++) o.ext.push_back({60, 8});
  return eth(ip(A("2001:db8::1"), A("2001:db8::2"), proto, tcp(1, 2, snf::TCP_SYN), o));
}

}  // namespace

TEST(parse_tcp4_fields) {
  Bytes b = tcp4();
  Packet p;
  REQUIRE(t::parse(b, p) == Drop::None);
  CHECK_EQ(p.ip.ver, 4);
  CHECK_EQ(p.ip.proto, snf::PROTO_TCP);
  CHECK_EQ(p.ip.l3, 14u);
  CHECK_EQ(p.ip.l4, 34u);
  CHECK_EQ(p.ip.end, static_cast<uint32_t>(b.size()));
  CHECK(p.ip.src == A("10.0.0.1"));
  CHECK(p.ip.dst == A("192.0.2.7"));
  CHECK_EQ(p.ip.sport, 1234);
  CHECK_EQ(p.ip.dport, 80);
  CHECK_EQ(p.tcp_flags, snf::TCP_SYN);
  CHECK_EQ(p.seq, 77u);
  CHECK(!p.icmp_error && !p.icmp_query && !p.later_fragment);
}

TEST(parse_tcp6_udp_both_families) {
  Bytes b = tcp6();
  Packet p;
  REQUIRE(t::parse(b, p) == Drop::None);
  CHECK_EQ(p.ip.ver, 6);
  CHECK_EQ(p.ip.l4, 54u);
  CHECK_EQ(p.ack, 9u);
  CHECK_EQ(p.tcp_flags, snf::TCP_ACK | snf::TCP_PSH);
  for (Bytes u : {udp4(), udp6()}) {
    REQUIRE(t::parse(u, p) == Drop::None);
    CHECK_EQ(p.ip.proto, snf::PROTO_UDP);
    CHECK_EQ(p.ip.sport, 5353);
    CHECK_EQ(p.ip.dport, 53);
  }
}

TEST(parse_icmp_echo_v4_v6) {
  for (Bytes b : {echo4(), echo6()}) {
    Packet p;
    REQUIRE(t::parse(b, p) == Drop::None);
    CHECK(p.icmp_query);
    CHECK(p.ip.has_ports);
    CHECK_EQ(p.ip.sport, 0x4242);
    CHECK_EQ(p.ip.dport, 0x4242);
    CHECK(p.is_icmp_flow());
  }
  Bytes reply = echo_frame("10.0.0.1", "10.0.0.2", 7, true);
  Packet p;
  REQUIRE(t::parse(reply, p) == Drop::None);
  CHECK_EQ(p.icmp_type, 0);
  // ICMP in IPv6 and ICMPv6 in IPv4 are not things a host sends.
  CHECK_DROP(eth(ip(A("2001:db8::1"), A("2001:db8::2"), 1, echo(8, 1))), "unsupported_proto");
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("10.0.0.2"), 58, echo(128, 1))), "unsupported_proto");
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("10.0.0.2"), 1, echo(13, 1))), "unsupported_proto");  // timestamp
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("10.0.0.2"), 1, Bytes{8, 0, 0, 0})), "bad_l4_header");
}

TEST(parse_every_prefix_of_valid_frames) {
  // A prefix of a frame is always rejected (the IP length no longer fits) and never over-read.
  std::vector<Bytes> all = {tcp4(), tcp6(), udp4(), udp6(), echo4(), echo6(), err4(), err6(), ext6(), qinq4(), opts4()};
  for (size_t f = 0; f < all.size(); f++) {
    const Bytes& full = all[f];
    for (size_t k = 0; k <= full.size(); k++) {
      Bytes cut(full.begin(), full.begin() + static_cast<long>(k));
      Packet p;
      Drop d = t::parse(cut, p);
      std::string where = "frame " + std::to_string(f) + " cut at " + std::to_string(k) + ": " + snf::drop_name(d);
      if (k == full.size()) CHECK_MSG(d == Drop::None, where);
      else CHECK_MSG(d == Drop::Truncated || d == Drop::BadIpLength, where);
    }
  }
}

TEST(parse_ipv4_header_checks) {
  Bytes b = tcp4();
  for (uint8_t ihl = 0; ihl < 5; ihl++) {
    b[14] = static_cast<uint8_t>(0x40 | ihl);
    CHECK_DROP(b, "bad_ihl");
  }
  b = tcp4();
  put16(b, 16, static_cast<uint16_t>(b.size() - 14 + 1));  // total length past the frame
  CHECK_DROP(b, "bad_ip_length");
  put16(b, 16, 19);  // shorter than the header
  CHECK_DROP(b, "bad_ip_length");
  b = tcp4();
  b[14] = 0x4f;  // IHL 15: a 60-byte header in a 40-byte datagram
  CHECK_DROP(b, "truncated");
  b.resize(b.size() + 30, 0);
  CHECK_DROP(b, "bad_ip_length");  // header present now, but the total length (40) is below it
  // Ethernet padding after a short datagram is not part of it.
  b = udp4();
  size_t ip_len = b.size() - 14;
  b.resize(b.size() + 18, 0xee);
  Packet p;
  REQUIRE(t::parse(b, p) == Drop::None);
  CHECK_EQ(p.ip.end, static_cast<uint32_t>(14 + ip_len));
}

TEST(parse_version_and_ethertype) {
  Bytes b = tcp4();
  b[14] = 0x55;
  CHECK_DROP(b, "bad_ip_version");
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("10.0.0.2"), 6, tcp(1, 2, 2)), {}, 0x86dd), "bad_ip_version");
  CHECK_DROP(eth(ip(A("::1"), A("::2"), 6, tcp(1, 2, 2)), {}, 0x0800), "bad_ip_version");
  CHECK_DROP(eth(Bytes(28, 0), {}, 0x0806), "bad_ethertype");  // ARP
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("10.0.0.2"), 6, tcp(1, 2, 2)), {0x8100, 0x8100, 0x8100}), "bad_ethertype");
  CHECK_DROP(Bytes(13, 0), "truncated");
}

TEST(parse_vlan_and_qinq) {
  Packet p;
  Bytes one = eth(ip(A("10.0.0.1"), A("10.0.0.2"), 6, tcp(1, 2, 2)), {0x8100});
  REQUIRE(t::parse(one, p) == Drop::None);
  CHECK_EQ(p.ip.l3, 18u);
  Bytes two = qinq4();
  REQUIRE(t::parse(two, p) == Drop::None);
  CHECK_EQ(p.ip.l3, 22u);
  CHECK_EQ(p.ip.proto, snf::PROTO_UDP);
  Bytes v6 = eth(ip(A("2001:db8::1"), A("2001:db8::2"), 6, tcp(1, 2, 2)), {0x88a8, 0x8100});
  REQUIRE(t::parse(v6, p) == Drop::None);
  CHECK_EQ(p.ip.l3, 22u);
}

TEST(parse_ipv4_options) {
  for (size_t words = 1; words <= 10; words++) {
    IpOpts o;
    o.v4_options = Bytes(words * 4, 1);
    Bytes b = eth(ip(A("10.0.0.1"), A("192.0.2.7"), 6, tcp(1, 2, snf::TCP_SYN), o));
    Packet p;
    REQUIRE(t::parse(b, p) == Drop::None);
    CHECK_EQ(p.ip.l4, static_cast<uint32_t>(34 + words * 4));
    CHECK_EQ(p.ip.dport, 2);
  }
}

TEST(parse_fragments) {
  IpOpts first;
  first.frag = 0x2000;  // MF, offset 0: carries the L4 header
  Packet p;
  Bytes b = eth(ip(A("10.0.0.1"), A("192.0.2.7"), 17, udp(1, 2), first));
  REQUIRE(t::parse(b, p) == Drop::None);
  CHECK_EQ(p.ip.dport, 2);
  IpOpts later;
  later.frag = 0x2000 | 185;
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("192.0.2.7"), 17, Bytes(40, 7), later)), "fragment_no_state");
  later.frag = 185;  // last fragment
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("192.0.2.7"), 17, Bytes(40, 7), later)), "fragment_no_state");

  IpOpts f6;
  f6.ext = {{44, 8, 0x0001}};  // offset 0, M set
  Bytes b6 = eth(ip(A("2001:db8::1"), A("2001:db8::2"), 6, tcp(1, 2, snf::TCP_SYN), f6));
  REQUIRE(t::parse(b6, p) == Drop::None);
  CHECK_EQ(p.ip.proto, snf::PROTO_TCP);
  f6.ext = {{44, 8, static_cast<uint16_t>(100 << 3)}};
  CHECK_DROP(eth(ip(A("2001:db8::1"), A("2001:db8::2"), 6, Bytes(16, 0), f6)), "fragment_no_state");
}

TEST(parse_ipv6_extension_chains) {
  Packet p;
  Bytes b = ext6();
  REQUIRE(t::parse(b, p) == Drop::None);
  CHECK_EQ(p.ip.proto, snf::PROTO_TCP);
  CHECK_EQ(p.ip.l4, static_cast<uint32_t>(54 + 8 + 16 + 24 + 8 + 12));
  for (int n = 1; n <= 8; n++) {
    Bytes c = ipv6_with_exts(n);
    CHECK_MSG(t::parse(c, p) == Drop::None, std::to_string(n) + " extension headers");
  }
  for (int n = 9; n <= 12; n++) CHECK_DROP(ipv6_with_exts(n), "bad_ipv6_chain");
  // Hop-by-hop anywhere but first.
  IpOpts o;
  o.ext = {{60, 8}, {0, 8}};
  CHECK_DROP(eth(ip(A("2001:db8::1"), A("2001:db8::2"), 6, tcp(1, 2, 2), o)), "bad_ipv6_chain");
  // An extension header whose length runs past the payload.
  Bytes c = ipv6_with_exts(1);
  c[54 + 1] = 200;
  CHECK_DROP(c, "bad_ipv6_chain");
  // The payload ends inside an extension header.
  o.ext = {{60, 8}};
  Bytes d = eth(ip(A("2001:db8::1"), A("2001:db8::2"), 60, Bytes(4, 0), o));
  CHECK_DROP(d, "bad_ipv6_chain");
  o.ext = {{51, 12}};
  CHECK_DROP(eth(ip(A("2001:db8::1"), A("2001:db8::2"), 44, Bytes(4, 0), o)), "bad_ipv6_chain");  // cut fragment hdr
  CHECK_DROP(eth(ip(A("2001:db8::1"), A("2001:db8::2"), 51, Bytes(4, 0))), "bad_ipv6_chain");   // cut AH
  // "No next header" and unknown protocols are not translated.
  CHECK_DROP(eth(ip(A("2001:db8::1"), A("2001:db8::2"), 59, Bytes())), "unsupported_proto");
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("10.0.0.2"), 47, Bytes(8, 0))), "unsupported_proto");
  // Payload length beyond the frame.
  Bytes e = tcp6();
  put16(e, 18, static_cast<uint16_t>(e.size()));
  CHECK_DROP(e, "bad_ip_length");
}

// Issue 12, defect 1: a DNS answer's first fragment was dropped as bad_l4_header, because its
// UDP length (the whole datagram) is larger than the bytes this fragment holds.
TEST(parse_udp_first_fragment_from_issue12) {
  Bytes b = issue12::udp_first_fragment();
  Packet p;
  REQUIRE(t::parse(b, p) == Drop::None);
  CHECK(p.first_fragment);
  CHECK(!p.later_fragment);
  CHECK_EQ(p.ip.proto, snf::PROTO_UDP);
  CHECK(p.ip.src == A("10.0.0.5"));
  CHECK(p.ip.dst == A("192.0.2.53"));
  CHECK_EQ(p.ip.sport, 40000);
  CHECK_EQ(p.ip.dport, 53);
  CHECK_EQ(p.ip.end, static_cast<uint32_t>(b.size()));

  // The same bytes unfragmented (MF cleared): a UDP length past the datagram is still malformed.
  Bytes whole = b;
  put16(whole, 14 + 6, 0);
  CHECK_DROP(whole, "bad_l4_header");
  // A UDP length under 8 is malformed in a first fragment too.
  Bytes tiny = b;
  put16(tiny, 34 + 4, 7);
  CHECK_DROP(tiny, "bad_l4_header");

  // IPv6: fragment header with offset 0 and M set, UDP length past the bytes present.
  IpOpts f6;
  f6.ext = {{44, 8, 0x0001}};
  Bytes u6 = udp(40000, 53, Bytes(64, 0xab));
  put16(u6, 4, 1608);
  Bytes b6 = eth(ip(A("2001:db8:a::5"), A("2001:db8:1::53"), 17, u6, f6));
  REQUIRE(t::parse(b6, p) == Drop::None);
  CHECK(p.first_fragment);
  CHECK_EQ(p.ip.dport, 53);
  IpOpts plain6;
  CHECK_DROP(eth(ip(A("2001:db8:a::5"), A("2001:db8:1::53"), 17, u6, plain6)), "bad_l4_header");
}

// Issue 12, defect 5: an IPv6 header carrying IPv4-mapped addresses is an IPv6 packet with
// IPv6 endpoints, never equal to the IPv4 endpoints with the same low 32 bits.
TEST(parse_ipv6_with_v4_mapped_addresses_from_issue12) {
  Bytes b = issue12::udp6_v4_mapped();
  Packet p;
  REQUIRE(t::parse(b, p) == Drop::None);
  CHECK_EQ(p.ip.ver, 6);
  CHECK(!p.ip.src.is_v4());
  CHECK(!p.ip.dst.is_v4());
  CHECK(p.ip.src != A("10.0.0.5"));
  CHECK(p.ip.dst != A("192.0.2.53"));
  CHECK(p.ip.src == A("::ffff:10.0.0.5"));
  CHECK_EQ(p.ip.src.str(), std::string("::ffff:10.0.0.5"));
}

TEST(parse_tcp_and_udp_headers) {
  for (uint8_t doff = 0; doff < 5; doff++) {
    Bytes b = tcp4();
    b[34 + 12] = static_cast<uint8_t>(doff << 4);
    CHECK_DROP(b, "bad_l4_header");
  }
  Bytes b = tcp4();
  b[34 + 12] = 6 << 4;  // 24 bytes of header in a 20-byte segment
  CHECK_DROP(b, "bad_l4_header");
  Packet p;
  Bytes opt = eth(ip(A("10.0.0.1"), A("10.0.0.2"), 6, tcp(1, 2, 2, 0, 0, {}, 15)));
  REQUIRE(t::parse(opt, p) == Drop::None);
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("10.0.0.2"), 6, Bytes(19, 0))), "bad_l4_header");

  Bytes u = udp4();
  put16(u, 34 + 4, 7);
  CHECK_DROP(u, "bad_l4_header");
  put16(u, 34 + 4, static_cast<uint16_t>(u.size() - 34 + 1));
  CHECK_DROP(u, "bad_l4_header");
  put16(u, 34 + 4, 8);  // shorter than the datagram is allowed (trailing bytes ignored)
  REQUIRE(t::parse(u, p) == Drop::None);
  CHECK_DROP(eth(ip(A("10.0.0.1"), A("10.0.0.2"), 17, Bytes(7, 0))), "bad_l4_header");
}

TEST(parse_icmp_errors_v4) {
  Packet p;
  Bytes b = err4();
  REQUIRE(t::parse(b, p) == Drop::None);
  CHECK(p.icmp_error);
  CHECK_EQ(p.inner.proto, snf::PROTO_TCP);
  CHECK_EQ(p.inner.l3, 14u + 20 + 8);
  // The flow is the reverse of the quoted packet.
  CHECK(p.flow_src() == A("10.0.0.1"));
  CHECK(p.flow_dst() == A("198.51.100.1"));
  CHECK_EQ(p.flow_sport(), 1234);
  CHECK_EQ(p.flow_dport(), 80);
  CHECK_EQ(p.flow_proto(), snf::PROTO_TCP);

  // Only the first 8 bytes of L4 are quoted: still enough.
  Bytes udp_in = ip(A("10.0.0.1"), A("192.0.2.53"), 17, udp(5353, 53));
  Bytes e = error_frame("192.0.2.254", "10.0.0.1", udp_in, 28);
  REQUIRE(t::parse(e, p) == Drop::None);
  CHECK_EQ(p.flow_sport(), 53);
  CHECK_DROP(error_frame("192.0.2.254", "10.0.0.1", udp_in, 27), "bad_l4_header");
  CHECK_DROP(error_frame("192.0.2.254", "10.0.0.1", udp_in, 19), "bad_l4_header");  // cut IP header

  // Quoted ICMP echo: the id is the port.
  Bytes ping = ip(A("10.0.0.1"), A("192.0.2.7"), 1, echo(8, 0x77));
  Bytes pe = error_frame("192.0.2.254", "10.0.0.1", ping);
  REQUIRE(t::parse(pe, p) == Drop::None);
  CHECK_EQ(p.flow_proto(), snf::PROTO_ICMP);
  CHECK_EQ(p.flow_sport(), 0x77);
  CHECK(p.is_icmp_flow());

  // Time exceeded is an error too.
  Bytes te = eth(ip(A("192.0.2.254"), A("10.0.0.1"), 1, icmp_error(11, 0, inner_tcp4())));
  REQUIRE(t::parse(te, p) == Drop::None);
  CHECK(p.icmp_error);

  // An error about an error, about a non-first fragment, or about the other family: no flow.
  Bytes unreach = ip(A("10.0.0.1"), A("192.0.2.7"), 1, icmp_error(3, 1, inner_tcp4()));
  CHECK_DROP(error_frame("192.0.2.254", "10.0.0.1", unreach), "bad_l4_header");
  IpOpts later;
  later.frag = 10;
  CHECK_DROP(error_frame("192.0.2.254", "10.0.0.1", ip(A("10.0.0.1"), A("192.0.2.7"), 17, udp(1, 2), later)),
             "bad_l4_header");
  CHECK_DROP(eth(ip(A("192.0.2.254"), A("10.0.0.1"), 1, icmp_error(3, 1, inner_udp6()))), "bad_l4_header");
  Bytes badihl = inner_tcp4();
  badihl[0] = 0x43;
  CHECK_DROP(error_frame("192.0.2.254", "10.0.0.1", badihl), "bad_ihl");
}

TEST(parse_icmp_errors_v6) {
  Packet p;
  Bytes b = err6();
  REQUIRE(t::parse(b, p) == Drop::None);
  CHECK(p.icmp_error);
  CHECK_EQ(p.flow_proto(), snf::PROTO_UDP);
  CHECK(p.flow_src() == A("2001:db8::1"));
  CHECK_EQ(p.flow_sport(), 5353);
  Bytes tcp_in = ip(A("2001:db8::1"), A("2001:db8::2"), 6, tcp(1000, 22, snf::TCP_SYN));
  Bytes e = error_frame("2001:db8::fe", "2001:db8::1", tcp_in);
  REQUIRE(t::parse(e, p) == Drop::None);
  CHECK_EQ(p.flow_dport(), 1000);
  Bytes ping = ip(A("2001:db8::1"), A("2001:db8::2"), 58, echo(128, 0x99));
  Bytes pe = error_frame("2001:db8::fe", "2001:db8::1", ping);
  REQUIRE(t::parse(pe, p) == Drop::None);
  CHECK_EQ(p.flow_proto(), snf::PROTO_ICMPV6);
  CHECK_EQ(p.flow_sport(), 0x99);
  // Quoted packet with extension headers, and one cut inside them.
  IpOpts o;
  o.ext = {{0, 8}, {60, 8}};
  Bytes withext = ip(A("2001:db8::1"), A("2001:db8::2"), 17, udp(7, 8), o);
  Bytes we = error_frame("2001:db8::fe", "2001:db8::1", withext);
  REQUIRE(t::parse(we, p) == Drop::None);
  CHECK_EQ(p.flow_sport(), 8);
  CHECK_DROP(error_frame("2001:db8::fe", "2001:db8::1", withext, 44), "bad_l4_header");
  CHECK_DROP(eth(ip(A("2001:db8::fe"), A("2001:db8::1"), 58, icmp_error(1, 4, inner_tcp4()))), "bad_l4_header");
  CHECK_DROP(eth(ip(A("2001:db8::fe"), A("2001:db8::1"), 58, echo(135, 0))), "unsupported_proto");  // NS
}

TEST(parse_malformed_options) {
  // IPv4 and TCP options share the TLV walk: a length under 2 or past the header is hostile.
  auto v4 = [](Bytes opts) {
    IpOpts o;
    o.v4_options = std::move(opts);
    return eth(ip(A("10.0.0.1"), A("192.0.2.7"), 17, udp(1, 2), o));
  };
  Packet p;
  Bytes good = v4({0x94, 0x04, 0, 0});  // router alert
  CHECK(t::parse(good, p) == Drop::None);
  Bytes eol = v4({0, 0xff, 0xff, 0xff});  // anything after end-of-list is padding
  CHECK(t::parse(eol, p) == Drop::None);
  CHECK_DROP(v4({0x07, 0x01, 1, 1}), "bad_options");
  CHECK_DROP(v4({0x07, 0x00, 1, 1}), "bad_options");
  CHECK_DROP(v4({1, 1, 0x83, 0x07}), "bad_options");  // runs past the header
  CHECK_DROP(v4({1, 1, 1, 0x83}), "bad_options");     // kind without a length byte
  auto t4 = [](Bytes opts) {
    Bytes seg = tcp(1, 2, snf::TCP_SYN, 1, 0, {}, static_cast<uint8_t>(5 + opts.size() / 4));
    std::copy(opts.begin(), opts.end(), seg.begin() + 20);
    return eth(ip(A("10.0.0.1"), A("192.0.2.7"), 6, seg));
  };
  Bytes mss = t4({0x02, 0x04, 0x05, 0xb4});
  CHECK(t::parse(mss, p) == Drop::None);
  CHECK_DROP(t4({0x02, 0x05, 0x05, 0xb4}), "bad_options");
  CHECK_DROP(t4({0x08, 0x00, 0, 0}), "bad_options");
  // A quoted header in an ICMP error is not judged on its options.
  IpOpts o;
  o.v4_options = {0x07, 0x01, 1, 1};
  Bytes quoted = ip(A("10.0.0.1"), A("192.0.2.7"), 17, udp(1, 2), o);
  Bytes e = error_frame("192.0.2.254", "10.0.0.1", quoted);
  CHECK(t::parse(e, p) == Drop::None);
}

TEST(parse_every_reason_reachable) {
  // One frame per reason the parser may give, so a reason that became unreachable shows.
  std::set<std::string> seen;
  Bytes ihl = tcp4();
  ihl[14] = 0x44;
  Bytes len = tcp4();
  put16(len, 16, 1000);
  IpOpts frag;
  frag.frag = 8;
  Bytes doff = tcp4();
  doff[34 + 12] = 0x40;
  IpOpts badopt;
  badopt.v4_options = {7, 1, 0, 0};
  for (const Bytes& b : {Bytes(5, 0), eth(Bytes(28, 0), {}, 0x0806), eth(Bytes(40, 0x50)), ihl, len,
                         ipv6_with_exts(9), doff,
                         eth(ip(A("10.0.0.1"), A("10.0.0.2"), 17, udp(1, 2), frag)),
                         eth(ip(A("10.0.0.1"), A("10.0.0.2"), 47, Bytes(8, 0))), tcp4(),
                         eth(ip(A("10.0.0.1"), A("10.0.0.2"), 17, udp(1, 2), badopt))})
    seen.insert(t::parse_reason(b));
  std::set<std::string> want = {"none", "truncated", "bad_ethertype", "bad_ip_version", "bad_ihl",
                                "bad_ip_length", "bad_ipv6_chain", "bad_l4_header", "bad_options", "fragment_no_state",
                                "unsupported_proto"};
  CHECK(seen == want);
}
