// RFC 1624 rewrites: after every rewrite each checksum the frame carries is recomputed from
// scratch and must equal the incrementally updated field bit for bit.
#include <algorithm>
#include <random>

#include "csum_verify.hpp"
#include "frames.hpp"
#include "issue_frames.hpp"
#include "packet/rewrite.hpp"
#include "util.hpp"

using namespace frames;
using snf::Drop;
using snf::Packet;

namespace {

// Every checksum present must be exact; returns how many there were.
size_t check_sums(const Packet& p, const std::string& ctx) {
  auto sums = verify::sums(p);
  for (const auto& s : sums)
    CHECK_MSG(s.exact(), ctx + " " + s.name + ": field " + std::to_string(s.field) + " expect " +
                             std::to_string(s.expect));
  return sums.size();
}

struct Case {
  std::string name;
  Bytes frame;
  size_t sums;  // checksums verifiable in the frame
};

std::vector<Case> cases() {
  IpOpts opts;
  opts.v4_options = Bytes(8, 1);
  IpOpts ext;
  ext.ext = {{0, 8}, {60, 16}};
  Bytes full_tcp4 = ip(A("198.51.100.9"), A("10.0.0.1"), 6, tcp(443, 40000, snf::TCP_ACK, 5, 6, {1, 2, 3}));
  Bytes full_udp4 = ip(A("10.0.0.1"), A("198.51.100.53"), 17, udp(5353, 53));
  IpOpts nocs;
  nocs.udp_zero_csum = true;
  Bytes zero_udp4 = ip(A("10.0.0.1"), A("198.51.100.53"), 17, udp(5353, 53), nocs);
  Bytes ping4 = ip(A("10.0.0.1"), A("198.51.100.1"), 1, echo(8, 0x1111));
  Bytes full_tcp6 = ip(A("2001:db8:1::9"), A("2001:db8::1"), 6, tcp(443, 40000, snf::TCP_ACK, 5, 6, {7}));
  Bytes full_udp6 = ip(A("2001:db8::1"), A("2001:db8:1::53"), 17, udp(5353, 53));
  Bytes ping6 = ip(A("2001:db8::1"), A("2001:db8:1::1"), 58, echo(128, 0x2222));
  return {
      {"tcp4", tcp_frame("10.0.0.1", 40000, "198.51.100.9", 443, snf::TCP_SYN, 1), 2},
      {"tcp4 options vlan", eth(ip(A("10.0.0.1"), A("198.51.100.9"), 6, tcp(1, 2, snf::TCP_ACK, 9, 9, {5, 5}), opts), {0x8100}), 2},
      {"tcp6", tcp_frame("2001:db8::1", 40000, "2001:db8:1::9", 443, snf::TCP_SYN, 1), 1},
      {"tcp6 ext", eth(ip(A("2001:db8::1"), A("2001:db8:1::9"), 6, tcp(1, 2, snf::TCP_ACK, 3, 4, {1}), ext)), 1},
      {"udp4", udp_frame("10.0.0.1", 5353, "198.51.100.53", 53), 2},
      {"udp4 no checksum", udp_frame("10.0.0.1", 5353, "198.51.100.53", 53, true), 1},
      {"udp6", udp_frame("2001:db8::1", 5353, "2001:db8:1::53", 53), 1},
      {"icmp echo", echo_frame("10.0.0.1", "198.51.100.1", 0x1111), 2},
      {"icmp echo reply", echo_frame("198.51.100.1", "10.0.0.1", 0x1111, true), 2},
      {"icmpv6 echo", echo_frame("2001:db8::1", "2001:db8:1::1", 0x2222), 1},
      {"icmp error tcp", error_frame("192.0.2.254", "198.51.100.9", full_tcp4), 4},
      {"icmp error tcp cut", error_frame("192.0.2.254", "198.51.100.9", full_tcp4, 28), 3},
      {"icmp error udp", error_frame("192.0.2.254", "10.0.0.1", full_udp4), 4},
      {"icmp error udp no checksum", error_frame("192.0.2.254", "10.0.0.1", zero_udp4), 3},
      {"icmp error echo", error_frame("192.0.2.254", "10.0.0.1", ping4), 4},
      {"icmpv6 error tcp", error_frame("2001:db8::fe", "2001:db8:1::9", full_tcp6), 2},
      {"icmpv6 error udp", error_frame("2001:db8::fe", "2001:db8::1", full_udp6), 2},
      {"icmpv6 error echo", error_frame("2001:db8::fe", "2001:db8::1", ping6), 2},
  };
}

struct Endpoint {
  Addr a;
  uint16_t port;
};

// Rewrites one side, then checks the flow view, the other side and every checksum.
void rewrite_and_check(Bytes& b, bool src, const Endpoint& to, size_t nsums, const std::string& ctx) {
  Packet p;
  REQUIRE(t::parse(b, p) == Drop::None);
  Addr keep_a = src ? p.flow_dst() : p.flow_src();
  uint16_t keep_port = src ? p.flow_dport() : p.flow_sport();
  uint8_t proto = p.flow_proto();
  if (src) snf::rewrite_flow_src(p, to.a, to.port);
  else snf::rewrite_flow_dst(p, to.a, to.port);
  // The view the rewrite left behind must match what parsing the bytes again says.
  CHECK_MSG((src ? p.flow_src() : p.flow_dst()) == to.a, ctx + " view address");
  Packet q;
  Drop d = t::parse(b, q);
  REQUIRE(d == Drop::None);
  CHECK_EQ(q.flow_proto(), proto);
  CHECK_MSG((src ? q.flow_src() : q.flow_dst()) == to.a, ctx + " address");
  CHECK_MSG((src ? q.flow_sport() : q.flow_dport()) == to.port, ctx + " port");
  CHECK_MSG((src ? q.flow_dst() : q.flow_src()) == keep_a, ctx + " other address kept");
  // An ICMP echo id is both "ports": it moves with either rewrite.
  if (!q.is_icmp_flow()) CHECK_MSG((src ? q.flow_dport() : q.flow_sport()) == keep_port, ctx + " other port kept");
  if (q.icmp_error) {
    // The error now travels from / to the translated endpoint.
    CHECK_MSG((src ? q.ip.src : q.ip.dst) == to.a, ctx + " outer address");
  }
  CHECK_EQ(check_sums(q, ctx), nsums);
}

}  // namespace

TEST(rewrite_builders_are_consistent) {
  for (const Case& c : cases()) {
    Bytes b = c.frame;
    Packet p;
    REQUIRE(t::parse(b, p) == Drop::None);
    CHECK_MSG(check_sums(p, c.name) == c.sums, c.name + ": unexpected checksum count");
  }
}

TEST(rewrite_src_and_dst_every_kind) {
  for (const Case& c : cases()) {
    Packet p;
    Bytes orig = c.frame;
    REQUIRE(t::parse(orig, p) == Drop::None);
    bool v4 = p.ip.ver == 4;
    std::vector<Endpoint> targets =
        v4 ? std::vector<Endpoint>{{A("203.0.113.5"), 61000}, {A("0.0.0.0"), 0}, {A("255.255.255.255"), 65535},
                                   {A("10.0.0.1"), 1}}
           : std::vector<Endpoint>{{A("2001:db8:ffff::5"), 61000}, {A("::"), 0},
                                   {A("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 65535}, {A("fe80::1"), 7}};
    for (const Endpoint& to : targets) {
      Bytes b = orig;
      std::string ctx = c.name + " -> " + to.a.str() + ":" + std::to_string(to.port);
      rewrite_and_check(b, true, to, c.sums, ctx + " (src)");
      rewrite_and_check(b, false, to, c.sums, ctx + " (dst)");
    }
    // Rewriting back restores the original bytes exactly, checksums included.
    Bytes b = orig;
    Packet q;
    REQUIRE(t::parse(b, q) == Drop::None);
    Endpoint s0{q.flow_src(), q.flow_sport()}, d0{q.flow_dst(), q.flow_dport()};
    rewrite_and_check(b, true, targets[0], c.sums, c.name + " there");
    rewrite_and_check(b, false, targets[2], c.sums, c.name + " there");
    rewrite_and_check(b, true, s0, c.sums, c.name + " back");
    rewrite_and_check(b, false, d0, c.sums, c.name + " back");
    if (!q.icmp_error) {
      CHECK_MSG(b == orig, c.name + ": round trip changed bytes");
    } else {
      // The outer addresses now name the flow's endpoints, not the reporting router; the
      // quoted datagram must be restored byte for byte.
      CHECK_MSG(std::equal(b.begin() + q.inner.l3, b.end(), orig.begin() + q.inner.l3, orig.end()),
                c.name + ": round trip changed the quoted datagram");
    }
  }
}

TEST(rewrite_udp4_zero_checksum_stays_zero) {
  Bytes b = udp_frame("10.0.0.1", 5353, "198.51.100.53", 53, true);
  Packet p;
  REQUIRE(t::parse(b, p) == Drop::None);
  snf::rewrite_flow_src(p, A("203.0.113.200"), 65000);
  snf::rewrite_flow_dst(p, A("1.2.3.4"), 9);
  CHECK_EQ(snf::rd16(b.data() + p.ip.l4 + 6), 0);
  // And quoted inside an ICMP error.
  IpOpts nocs;
  nocs.udp_zero_csum = true;
  Bytes e = error_frame("192.0.2.254", "10.0.0.1", ip(A("10.0.0.1"), A("198.51.100.53"), 17, udp(5353, 53), nocs));
  REQUIRE(t::parse(e, p) == Drop::None);
  snf::rewrite_flow_dst(p, A("203.0.113.200"), 65000);
  CHECK_EQ(snf::rd16(e.data() + p.inner.l4 + 6), 0);
}

TEST(rewrite_udp_checksum_never_becomes_zero) {
  // Search for a rewrite whose arithmetic result is 0x0000: on UDP that must go out as 0xffff
  // (0 would mean "no checksum"), and still verify.
  int hits = 0;
  for (uint32_t port32 = 0; port32 < 65536; port32++) {
    Bytes b = udp_frame("10.0.0.1", 5353, "198.51.100.53", 53);
    Packet p;
    REQUIRE(t::parse(b, p) == Drop::None);
    uint16_t port = static_cast<uint16_t>(port32);
    snf::rewrite_flow_src(p, A("203.0.113.7"), port);
    uint16_t f = snf::rd16(b.data() + p.ip.l4 + 6);
    CHECK(f != 0);
    if (f == 0xffff) {
      hits++;
      Packet q;
      REQUIRE(t::parse(b, q) == Drop::None);
      check_sums(q, "udp 0xffff");
    }
  }
  CHECK(hits > 0);
}

// Issue 12, defect 4: NAT66 to [2001:db8:ff::1]:1130 makes this datagram's UDP checksum
// arithmetic come out 0x0000, which IPv6 receivers drop (RFC 8200 8.1): it must go out 0xffff.
TEST(rewrite_udp6_checksum_never_zero_from_issue12) {
  Bytes b = issue12::udp6_csum_to_zero();
  Packet p;
  REQUIRE(t::parse(b, p) == Drop::None);
  REQUIRE(check_sums(p, "as filed") == 1);
  snf::rewrite_flow_src(p, A("2001:db8:ff::1"), 1130);
  CHECK_EQ(snf::rd16(b.data() + p.ip.l4 + 6), 0xffff);
  Packet q;
  REQUIRE(t::parse(b, q) == Drop::None);
  CHECK(q.ip.src == A("2001:db8:ff::1"));
  CHECK_EQ(q.ip.sport, 1130);
  check_sums(q, "after NAT66");
  // And back: the reverse rewrite restores the frame as filed, checksum included.
  snf::rewrite_flow_src(q, A("fd00::5"), 40000);
  CHECK(b == issue12::udp6_csum_to_zero());

  // The same datagram quoted in an ICMPv6 error: the embedded UDP checksum follows the rule too.
  Bytes filed = issue12::udp6_csum_to_zero();
  Bytes inner(filed.begin() + 14, filed.end());
  Bytes e = error_frame("2001:db8:1::fe", "fd00::5", inner);
  REQUIRE(t::parse(e, p) == Drop::None);
  REQUIRE(p.icmp_error);
  snf::rewrite_flow_dst(p, A("2001:db8:ff::1"), 1130);  // flow dst = the quoted source
  CHECK_EQ(snf::rd16(e.data() + p.inner.l4 + 6), 0xffff);
  REQUIRE(t::parse(e, q) == Drop::None);
  check_sums(q, "quoted after NAT66");
}

TEST(rewrite_random_property) {
  // Random payloads and endpoints over every kind: the incremental result always equals the
  // from-scratch one.
  std::mt19937 rng(12345);
  auto rnd_addr = [&](bool v4) {
    uint8_t raw[16];
    for (auto& x : raw) x = static_cast<uint8_t>(rng());
    return v4 ? Addr::v4(raw) : Addr::v6(raw);
  };
  auto rnd_bytes = [&](size_t n) {
    Bytes b(n);
    for (auto& x : b) x = static_cast<uint8_t>(rng());
    return b;
  };
  for (int i = 0; i < 3000; i++) {
    bool v4 = rng() & 1;
    Addr s = rnd_addr(v4), d = rnd_addr(v4);
    uint16_t sp = static_cast<uint16_t>(rng()), dp = static_cast<uint16_t>(rng());
    Bytes pl = rnd_bytes(rng() % 40);
    Bytes dg;
    int kind = static_cast<int>(rng() % 4);
    size_t nsums = v4 ? 2 : 1;
    switch (kind) {
      case 0: dg = ip(s, d, 6, tcp(sp, dp, static_cast<uint8_t>(rng()), static_cast<uint32_t>(rng()), 0, pl)); break;
      case 1: dg = ip(s, d, 17, udp(sp, dp, pl)); break;
      case 2: dg = ip(s, d, v4 ? 1 : 58, echo(v4 ? 8 : 128, sp, dp, pl)); break;
      default: {
        bool t = rng() & 1;
        Bytes in = ip(d, s, t ? 6 : 17, t ? tcp(dp, sp, 0x10, 1, 2, pl) : udp(dp, sp, pl));
        dg = ip(rnd_addr(v4), s, v4 ? 1 : 58, icmp_error(v4 ? 3 : 1, 0, in));
        nsums = v4 ? 4 : 2;
      }
    }
    Bytes b = eth(dg);
    Packet p;
    if (t::parse(b, p) != Drop::None) continue;  // e.g. random TCP data offset
    std::string ctx = "random case " + std::to_string(i) + " kind " + std::to_string(kind);
    rewrite_and_check(b, true, {rnd_addr(v4), static_cast<uint16_t>(rng())}, nsums, ctx);
    rewrite_and_check(b, false, {rnd_addr(v4), static_cast<uint16_t>(rng())}, nsums, ctx);
  }
}
