// The packet defects issue 12 found on real traffic, through the Engine over a LocalStore, from
// the frames as filed: each test fails with its fix removed.
#include "csum_verify.hpp"
#include "engine_fixture.hpp"
#include "issue_frames.hpp"
#include "util.hpp"

using namespace frames;
using snf::Drop;
using snf::NfKind;
using snf::Packet;
using snf::Side;

namespace {

struct Out {
  bool forward = false;
  Side out = Side::Inside;
  std::string reason;
  Packet p;  // the frame as it leaves, parsed again (points into the caller's bytes)
};

// One frame through the engine; a forwarded frame must parse again with exact checksums.
Out run1(snf::Engine& e, Bytes& b, Side in) {
  snf::Frame f;
  f.data = b.data();
  f.len = static_cast<uint32_t>(b.size());
  f.in = in;
  e.process(&f, 1);
  Out o;
  o.forward = f.forward;
  o.out = f.out;
  o.reason = snf::drop_name(f.reason);
  if (o.forward) {
    CHECK(o.out != in);
    REQUIRE(t::parse(b, o.p) == Drop::None);
    for (const auto& s : verify::sums(o.p)) CHECK_MSG(s.exact(), "checksum " + s.name + " after engine");
  }
  return o;
}

const Side IN = Side::Inside, OUT = Side::Outside;

}  // namespace

// Defect 1: the first fragment of a large DNS datagram crosses firewall + NAT both ways.
TEST(engine_udp_first_fragment_from_issue12) {
  auto e = fixture::engine(fixture::config({NfKind::Firewall, NfKind::Nat}));
  Bytes q = issue12::udp_first_fragment();
  Out o = run1(*e, q, IN);
  REQUIRE(o.forward);
  CHECK(o.out == OUT);
  CHECK(o.p.first_fragment);
  CHECK(o.p.ip.src == A("198.51.100.1") || o.p.ip.src == A("198.51.100.2"));
  CHECK(o.p.ip.sport >= 20000 && o.p.ip.sport <= 29999);
  CHECK(o.p.ip.dst == A("192.0.2.53"));
  CHECK_EQ(snf::rd16(q.data() + 14 + 6), 0x2000);  // still a first fragment, payload untouched
  CHECK_EQ(q[q.size() - 1], 0xab);

  // The answer's first fragment comes back to the inside host.
  Bytes a = issue12::reply_to(q, false);
  o = run1(*e, a, OUT);
  REQUIRE(o.forward);
  CHECK(o.out == IN);
  CHECK(o.p.ip.dst == A("10.0.0.5"));
  CHECK_EQ(o.p.ip.dport, 40000);
  CHECK(o.p.ip.src == A("192.0.2.53"));
}

// Defect 4: NAT66 whose only free port is 1130 turns the filed datagram's checksum into 0.
TEST(engine_nat66_udp_checksum_never_zero_from_issue12) {
  snf::EngineCfg c = fixture::config({NfKind::Nat});
  c.nat.inside.push_back(fixture::prefix("fd00::/8"));
  c.nat.pool6 = {A("2001:db8:ff::1")};
  c.nat.port_lo = c.nat.port_hi = 1130;
  c.nat.shards = 1;
  auto e = fixture::engine(c);
  Bytes b = issue12::udp6_csum_to_zero();
  Out o = run1(*e, b, IN);
  REQUIRE(o.forward);
  CHECK(o.p.ip.src == A("2001:db8:ff::1"));
  CHECK_EQ(o.p.ip.sport, 1130);
  CHECK_EQ(snf::rd16(b.data() + o.p.ip.l4 + 6), 0xffff);
}

// Defect 5, NAT: an IPv6 packet from ::ffff:10.0.0.5 is not from the IPv4 inside 10.0.0.0/8,
// so it never gets an IPv4 pool address (written into an IPv6 header as ::ffff:198.51.100.x).
TEST(engine_nat_v4_mapped_ipv6_from_issue12) {
  auto e = fixture::engine(fixture::config({NfKind::Nat}));
  Bytes b = issue12::udp6_v4_mapped();
  CHECK_EQ(run1(*e, b, IN).reason, std::string("nat_not_inside"));
  CHECK(b == issue12::udp6_v4_mapped());

  // Declared inside as IPv6, it is translated with the IPv6 pool, like any IPv6 host.
  snf::EngineCfg c = fixture::config({NfKind::Nat});
  c.nat.inside.push_back(fixture::prefix("::ffff:10.0.0.0/104"));
  auto e6 = fixture::engine(c);
  Out o = run1(*e6, b, IN);
  REQUIRE(o.forward);
  CHECK_EQ(o.p.ip.ver, 6);
  CHECK(o.p.ip.src == A("2001:db8:ff::1"));
  CHECK(o.p.ip.dst == A("::ffff:192.0.2.53"));
  // An IPv4 packet from 10.0.0.5:40000 gets its own, IPv4 mapping.
  Bytes v4 = udp_frame("10.0.0.5", 40000, "192.0.2.53", 53);
  Out o4 = run1(*e6, v4, IN);
  REQUIRE(o4.forward);
  CHECK(o4.p.ip.src == A("198.51.100.1") || o4.p.ip.src == A("198.51.100.2"));
}

// Defect 5, firewall: an IPv4 connection's state never admits an IPv6 packet whose mapped
// addresses spell the same tuple.
TEST(engine_firewall_v4_state_not_for_mapped_ipv6_from_issue12) {
  auto e = fixture::engine(fixture::config({NfKind::Firewall}));
  Bytes open4 = udp_frame("10.0.0.5", 40000, "192.0.2.53", 53);
  REQUIRE(run1(*e, open4, IN).forward);
  Bytes reply6 = issue12::reply_to(issue12::udp6_v4_mapped(), true);
  CHECK_EQ(run1(*e, reply6, OUT).reason, std::string("fw_rule_deny"));
  // The IPv4 reply itself rides the connection (so the state was there to be misused).
  Bytes reply4 = udp_frame("192.0.2.53", 53, "10.0.0.5", 40000);
  CHECK(run1(*e, reply4, OUT).forward);
  // And the other way round: IPv6 state from the filed frame admits no IPv4 reply.
  auto e2 = fixture::engine(fixture::config({NfKind::Firewall}));
  Bytes open6 = issue12::udp6_v4_mapped();
  REQUIRE(run1(*e2, open6, IN).forward);
  Bytes r4 = udp_frame("192.0.2.53", 53, "10.0.0.5", 40000);
  CHECK(!run1(*e2, r4, OUT).forward);
  Bytes r6 = issue12::reply_to(issue12::udp6_v4_mapped(), true);
  CHECK(run1(*e2, r6, OUT).forward);
}

// One batch of frames, in order, through the engine; the verdicts are in what it returns.
static std::vector<snf::Frame> batch(snf::Engine& e, std::initializer_list<std::pair<Bytes*, Side>> frames) {
  std::vector<snf::Frame> f;
  for (const auto& [b, side] : frames) {
    snf::Frame x;
    x.data = b->data();
    x.len = static_cast<uint32_t>(b->size());
    x.in = side;
    f.push_back(x);
  }
  e.process(f.data(), f.size());
  return f;
}

// A TCP connection from 10.0.0.5:sport to 203.0.113.9:80 opened through firewall + NAT (SYN,
// SYN-ACK, ACK, one batch each); the NAT's outside address and port for it.
static std::pair<std::string, uint16_t> open_through_nat(snf::Engine& e, uint16_t sport) {
  Bytes syn = tcp_frame("10.0.0.5", sport, "203.0.113.9", 80, snf::TCP_SYN, 100);
  Out o = run1(e, syn, IN);
  REQUIRE(o.forward);
  std::string ext = o.p.ip.src.str();
  uint16_t port = o.p.ip.sport;
  Bytes synack = tcp_frame("203.0.113.9", 80, ext.c_str(), port, snf::TCP_SYN | snf::TCP_ACK, 7, 101);
  REQUIRE(run1(e, synack, OUT).forward);
  Bytes ack = tcp_frame("10.0.0.5", sport, "203.0.113.9", 80, snf::TCP_ACK, 101, 8);
  REQUIRE(run1(e, ack, IN).forward);
  return {ext, port};
}

// Found by `snf replay` on real captures: in a firewall + NAT chain, outbound frames meet the
// firewall first and inbound ones last, so a batch [SYN-ACK in, ACK out] had the ACK judged
// before the SYN-ACK it answers (fw_bad_tcp_state), which the firewall alone never did.
TEST(engine_chain_keeps_flow_order_within_a_batch) {
  auto e = fixture::engine(fixture::config({NfKind::Firewall, NfKind::Nat}));
  Bytes syn = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_SYN, 100);
  Out o = run1(*e, syn, IN);
  REQUIRE(o.forward);
  const std::string ext = o.p.ip.src.str();
  const uint16_t port = o.p.ip.sport;

  Bytes synack = tcp_frame("203.0.113.9", 80, ext.c_str(), port, snf::TCP_SYN | snf::TCP_ACK, 7, 101);
  Bytes ack = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_ACK, 101, 8);
  // An unrelated outbound flow in front keeps the batch from being trivially one direction.
  Bytes other = tcp_frame("10.0.0.6", 40001, "198.51.100.77", 443, snf::TCP_SYN, 1);
  std::vector<snf::Frame> f = batch(*e, {{&other, IN}, {&synack, OUT}, {&ack, IN}});
  for (int i = 0; i < 3; i++) CHECK_MSG(f[i].forward, std::string("frame ") + std::to_string(i) + " dropped: " + snf::drop_name(f[i].reason));
  CHECK(f[1].out == IN);
  CHECK(f[2].out == OUT);
  CHECK_EQ(e->counters().drops[static_cast<int>(Drop::FwBadTcpState)], 0u);
}

// Both directions meet the firewall at one step (outbound frames start a step late), so it
// judges a whole batch in one pass, in arrival order, whatever the directions' order: no run
// is cut, and every order of the same frames costs the same exchanges. The local store has no
// cache, so every step with frames reads: NAT (inbound), then the firewall's reads with NAT's
// outbound reads riding along (the firewall rewrites nothing). Cut into runs at each outbound
// frame behind an inbound one (the engine before), the alternating batch cost 2 exchanges a run.
TEST(engine_chain_judges_a_batch_in_one_pass_whatever_the_order) {
  auto e = fixture::engine(fixture::config({NfKind::Firewall, NfKind::Nat}));
  const std::pair<std::string, uint16_t> nat = open_through_nat(*e, 40010);
  const std::string ext = nat.first;
  const uint16_t port = nat.second;

  auto out = [&](uint32_t seq) { return tcp_frame("10.0.0.5", 40010, "203.0.113.9", 80, snf::TCP_ACK | snf::TCP_PSH, seq, 8); };
  auto in = [&](uint32_t ack) { return tcp_frame("203.0.113.9", 80, ext.c_str(), port, snf::TCP_ACK, 8, ack); };
  auto exchanges = [&](std::initializer_list<std::pair<Bytes*, Side>> frames) {
    uint64_t before = e->counters().store.round_trips;
    std::vector<snf::Frame> f = batch(*e, frames);
    for (size_t i = 0; i < f.size(); i++) CHECK_MSG(f[i].forward, "frame " + std::to_string(i) + ": " + snf::drop_name(f[i].reason));
    return e->counters().store.round_trips - before;
  };
  Bytes o1 = out(101), i1 = in(102);
  CHECK_EQ(exchanges({{&o1, IN}, {&i1, OUT}}), 2u);
  Bytes i2 = in(103), o2 = out(102);
  CHECK_EQ(exchanges({{&i2, OUT}, {&o2, IN}}), 2u);
  Bytes a1 = in(104), a2 = out(103), a3 = in(105), a4 = out(104), a5 = in(106), a6 = out(105);
  CHECK_EQ(exchanges({{&a1, OUT}, {&a2, IN}, {&a3, OUT}, {&a4, IN}, {&a5, OUT}, {&a6, IN}}), 2u);
}

// Found by `snf replay` once closings stopped waiting: a RST and the SYN that reopens the
// connection, in one batch. The RST's write is one nobody waits for; queued apart from the
// SYN's, it reached the store after it, so the SYN's create-over-RS found ES and was dropped
// (fw_bad_tcp_state). In packet order among the writes, the SYN finds RS and reopens.
TEST(firewall_rst_then_reopening_syn_in_one_batch) {
  auto e = fixture::engine(fixture::config({NfKind::Firewall}));
  Bytes syn = tcp_frame("10.0.0.5", 40020, "203.0.113.9", 80, snf::TCP_SYN, 100);
  REQUIRE(run1(*e, syn, IN).forward);
  Bytes synack = tcp_frame("203.0.113.9", 80, "10.0.0.5", 40020, snf::TCP_SYN | snf::TCP_ACK, 7, 101);
  REQUIRE(run1(*e, synack, OUT).forward);
  Bytes ack = tcp_frame("10.0.0.5", 40020, "203.0.113.9", 80, snf::TCP_ACK, 101, 8);
  REQUIRE(run1(*e, ack, IN).forward);
  Bytes rst = tcp_frame("10.0.0.5", 40020, "203.0.113.9", 80, snf::TCP_RST, 101);
  Bytes again = tcp_frame("10.0.0.5", 40020, "203.0.113.9", 80, snf::TCP_SYN, 5000);
  std::vector<snf::Frame> f = batch(*e, {{&rst, IN}, {&again, IN}});
  CHECK_MSG(f[0].forward, std::string("RST: ") + snf::drop_name(f[0].reason));
  CHECK_MSG(f[1].forward, std::string("reopening SYN: ") + snf::drop_name(f[1].reason));
  // The reopened connection answers its own SYN-ACK.
  Bytes synack2 = tcp_frame("203.0.113.9", 80, "10.0.0.5", 40020, snf::TCP_SYN | snf::TCP_ACK, 900, 5001);
  CHECK(run1(*e, synack2, OUT).forward);
}

// The firewall rewrites no packet, so the reads of the step after it (NAT, outbound) ride with
// its own. An inbound frame of an open connection and a new outbound flow through firewall +
// NAT: NAT's inbound read, then the firewall's reads with NAT's outbound read, then the
// firewall's creation, then the NAT allocation (the local store has no cache, so no create on
// read): 4 exchanges, not 5.
TEST(engine_chain_next_step_reads_ride_with_the_firewalls) {
  auto e = fixture::engine(fixture::config({NfKind::Firewall, NfKind::Nat}));
  const auto [ext, port] = open_through_nat(*e, 40030);
  Bytes in = tcp_frame("203.0.113.9", 80, ext.c_str(), port, snf::TCP_ACK | snf::TCP_PSH, 8, 101);
  Bytes syn = tcp_frame("10.0.0.7", 40031, "198.51.100.77", 443, snf::TCP_SYN, 1);
  uint64_t before = e->counters().store.round_trips;
  std::vector<snf::Frame> f = batch(*e, {{&in, OUT}, {&syn, IN}});
  CHECK_MSG(f[0].forward, std::string("inbound: ") + snf::drop_name(f[0].reason));
  CHECK_MSG(f[1].forward, std::string("new flow: ") + snf::drop_name(f[1].reason));
  CHECK_EQ(e->counters().store.round_trips - before, 4u);
  // The new flow is whole: its SYN-ACK comes back through NAT and the firewall.
  Packet p;
  REQUIRE(t::parse(syn, p) == Drop::None);
  Bytes synack = tcp_frame("198.51.100.77", 443, p.ip.src.str().c_str(), p.ip.sport, snf::TCP_SYN | snf::TCP_ACK, 50, 2);
  Out o = run1(*e, synack, OUT);
  CHECK_MSG(o.forward, "SYN-ACK: " + o.reason);
}

// The next stage's reads wait for a commit that rewrites: with NAT before the firewall, an
// outbound packet's firewall key holds the address its allocation hands out. Reads sent with
// the allocation would name the inside address, and the connection would be tracked under a
// key its SYN-ACK never finds.
TEST(engine_chain_next_stage_waits_for_a_rewriting_commit) {
  auto e = fixture::engine(fixture::config({NfKind::Nat, NfKind::Firewall}));
  Bytes in_other = tcp_frame("203.0.113.10", 80, "10.0.0.99", 1, snf::TCP_ACK, 1, 1);  // an inbound frame: a mixed run
  Bytes syn = tcp_frame("10.0.0.8", 40040, "198.51.100.78", 443, snf::TCP_SYN, 1);
  std::vector<snf::Frame> f = batch(*e, {{&in_other, OUT}, {&syn, IN}});
  CHECK_MSG(f[1].forward, std::string("SYN: ") + snf::drop_name(f[1].reason));
  Packet p;
  REQUIRE(t::parse(syn, p) == Drop::None);
  Bytes synack = tcp_frame("198.51.100.78", 443, p.ip.src.str().c_str(), p.ip.sport, snf::TCP_SYN | snf::TCP_ACK, 50, 2);
  Out o = run1(*e, synack, OUT);
  CHECK_MSG(o.forward, "SYN-ACK: " + o.reason);
}
