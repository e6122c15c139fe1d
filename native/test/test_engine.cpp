// The engine over a LocalStore, end to end: frames in, verdicts and rewritten bytes out.
#include <set>

#include "csum_verify.hpp"
#include "engine_fixture.hpp"
#include "util.hpp"

using namespace frames;
using snf::Drop;
using snf::Frame;
using snf::NfKind;
using snf::Packet;
using snf::Side;

namespace {

struct Out {
  bool forward = false;
  Side out = Side::Inside;
  std::string reason;
  Packet p;  // the frame as it leaves, parsed again
};

// Runs a batch; every forwarded frame must still parse with exact checksums.
std::vector<Out> run(snf::Engine& e, std::vector<Bytes>& bs, std::vector<Side> sides) {
  std::vector<Frame> fs(bs.size());
  for (size_t i = 0; i < bs.size(); i++) {
    fs[i].data = bs[i].data();
    fs[i].len = static_cast<uint32_t>(bs[i].size());
    fs[i].in = sides[i];
  }
  e.process(fs.data(), fs.size());
  std::vector<Out> r(bs.size());
  for (size_t i = 0; i < bs.size(); i++) {
    r[i].forward = fs[i].forward;
    r[i].out = fs[i].out;
    r[i].reason = snf::drop_name(fs[i].reason);
    CHECK_EQ(fs[i].forward, fs[i].reason == Drop::None);
    if (fs[i].forward) {
      CHECK(fs[i].out != fs[i].in);
      REQUIRE(t::parse(bs[i], r[i].p) == Drop::None);
      for (const auto& s : verify::sums(r[i].p)) CHECK_MSG(s.exact(), "checksum " + s.name + " after engine");
    }
  }
  return r;
}
Out run1(snf::Engine& e, Bytes& b, Side s) {
  std::vector<Bytes> v{b};
  Out o = run(e, v, {s})[0];
  b = v[0];
  o.p.data = b.data();
  return o;
}
const Side IN = Side::Inside, OUT = Side::Outside;

}  // namespace

TEST(engine_nat_outbound_then_inbound) {
  auto e = fixture::engine(fixture::config({NfKind::Nat}));
  Bytes syn = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_SYN, 100);
  Out o = run1(*e, syn, IN);
  REQUIRE(o.forward);
  CHECK(o.out == OUT);
  Addr ext = o.p.ip.src;
  uint16_t port = o.p.ip.sport;
  CHECK(ext == A("198.51.100.1") || ext == A("198.51.100.2"));
  CHECK(port >= 20000 && port <= 29999);
  CHECK(o.p.ip.dst == A("203.0.113.9"));
  CHECK_EQ(o.p.ip.dport, 80);

  // The same inside endpoint keeps its mapping, whatever the destination (RFC 4787 EIM).
  Bytes ack = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_ACK, 101, 1);
  o = run1(*e, ack, IN);
  REQUIRE(o.forward);
  CHECK(o.p.ip.src == ext);
  CHECK_EQ(o.p.ip.sport, port);

  std::string exts = ext.str();
  Bytes synack = tcp_frame("203.0.113.9", 80, exts.c_str(), port, snf::TCP_SYN | snf::TCP_ACK, 7, 101);
  o = run1(*e, synack, OUT);
  REQUIRE(o.forward);
  CHECK(o.out == IN);
  CHECK(o.p.ip.dst == A("10.0.0.5"));
  CHECK_EQ(o.p.ip.dport, 40000);
  CHECK(o.p.ip.src == A("203.0.113.9"));

  // An ICMP error about the translated flow comes back translated, quote included.
  Bytes quoted = ip(ext, A("203.0.113.9"), 6, tcp(port, 80, snf::TCP_ACK, 101, 8, {1, 2, 3, 4}));
  Bytes err = error_frame("192.0.2.254", exts.c_str(), quoted);
  o = run1(*e, err, OUT);
  REQUIRE(o.forward);
  CHECK(o.p.icmp_error);
  CHECK(o.p.ip.dst == A("10.0.0.5"));
  CHECK(o.p.inner.src == A("10.0.0.5"));
  CHECK_EQ(o.p.inner.sport, 40000);
  CHECK_EQ(verify::sums(o.p).size(), 4u);

  Bytes stray = tcp_frame("203.0.113.9", 80, exts.c_str(), static_cast<uint16_t>(port + 1), snf::TCP_ACK);
  CHECK_EQ(run1(*e, stray, OUT).reason, std::string("nat_no_mapping"));
  Bytes notours = tcp_frame("203.0.113.9", 80, "198.51.100.99", port, snf::TCP_ACK);
  CHECK_EQ(run1(*e, notours, OUT).reason, std::string("nat_no_mapping"));
  Bytes outsider = tcp_frame("192.168.1.1", 40000, "203.0.113.9", 80, snf::TCP_SYN);
  CHECK_EQ(run1(*e, outsider, IN).reason, std::string("nat_not_inside"));
  Bytes rst = tcp_frame("10.0.0.6", 40000, "203.0.113.9", 80, snf::TCP_RST);
  CHECK_EQ(run1(*e, rst, IN).reason, std::string("nat_no_mapping"));  // no mapping made for a RST
}

TEST(engine_nat_udp_icmp_v6) {
  auto e = fixture::engine(fixture::config({NfKind::Nat}));
  Bytes q = udp_frame("10.0.0.5", 5353, "203.0.113.53", 53);
  Out o = run1(*e, q, IN);
  REQUIRE(o.forward);
  std::string ext = o.p.ip.src.str();
  Bytes a = udp_frame("203.0.113.53", 53, ext.c_str(), o.p.ip.sport);
  o = run1(*e, a, OUT);
  REQUIRE(o.forward);
  CHECK(o.p.ip.dst == A("10.0.0.5"));
  CHECK_EQ(o.p.ip.dport, 5353);

  Bytes ping = echo_frame("10.0.0.7", "203.0.113.1", 0x1234);
  o = run1(*e, ping, IN);
  REQUIRE(o.forward);
  uint16_t id = o.p.ip.sport;
  ext = o.p.ip.src.str();
  Bytes pong = echo_frame("203.0.113.1", ext.c_str(), id, true);
  o = run1(*e, pong, OUT);
  REQUIRE(o.forward);
  CHECK(o.p.ip.dst == A("10.0.0.7"));
  CHECK_EQ(o.p.ip.sport, 0x1234);

  Bytes syn6 = tcp_frame("2001:db8:a::5", 40000, "2001:db8:c::9", 443, snf::TCP_SYN);
  o = run1(*e, syn6, IN);
  REQUIRE(o.forward);
  CHECK(o.p.ip.src == A("2001:db8:ff::1"));
  Bytes back = tcp_frame("2001:db8:c::9", 443, "2001:db8:ff::1", o.p.ip.sport, snf::TCP_SYN | snf::TCP_ACK, 1, 1001);
  o = run1(*e, back, OUT);
  REQUIRE(o.forward);
  CHECK(o.p.ip.dst == A("2001:db8:a::5"));
  Bytes ping6 = echo_frame("2001:db8:a::5", "2001:db8:c::9", 77);
  CHECK(run1(*e, ping6, IN).forward);
}

TEST(engine_nat_batch_mappings_distinct) {
  // Many new flows in one batch: every one gets its own external endpoint.
  auto e = fixture::engine(fixture::config({NfKind::Nat}));
  std::vector<Bytes> bs;
  std::vector<Side> sides;
  for (int i = 0; i < 300; i++) {
    std::string src = "10.0." + std::to_string(i % 3) + "." + std::to_string(1 + i % 7);
    bs.push_back(tcp_frame(src.c_str(), static_cast<uint16_t>(30000 + i), "203.0.113.9", 80, snf::TCP_SYN));
    sides.push_back(IN);
  }
  auto r = run(*e, bs, sides);
  std::set<std::pair<std::string, uint16_t>> seen;
  for (auto& o : r) {
    REQUIRE(o.forward);
    CHECK(seen.insert({o.p.ip.src.str(), o.p.ip.sport}).second);
  }
  auto c = e->counters();
  CHECK_EQ(c.rx, 300u);
  CHECK_EQ(c.tx, 300u);
}

TEST(engine_nat_pool_exhaustion) {
  auto cfg = fixture::config({NfKind::Nat});
  cfg.nat.pool4 = {A("198.51.100.1")};
  cfg.nat.port_lo = 20000;
  cfg.nat.port_hi = 20003;
  cfg.nat.shards = 1;
  auto e = fixture::engine(cfg);
  int ok = 0, exhausted = 0;
  for (int i = 0; i < 6; i++) {
    Bytes b = tcp_frame("10.0.0.5", static_cast<uint16_t>(40000 + i), "203.0.113.9", 80, snf::TCP_SYN);
    Out o = run1(*e, b, IN);
    if (o.forward) ok++;
    else if (o.reason == "nat_pool_exhausted") exhausted++;
  }
  CHECK_EQ(ok, 4);
  CHECK_EQ(exhausted, 2);
}

TEST(engine_firewall_tcp) {
  auto e = fixture::engine(fixture::config({NfKind::Firewall}));
  Bytes syn = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_SYN, 1000);
  Bytes syn_copy = syn;
  Out o = run1(*e, syn, IN);
  REQUIRE(o.forward);
  CHECK(syn == syn_copy);  // the firewall never edits frames
  Bytes bad = tcp_frame("203.0.113.9", 80, "10.0.0.5", 40000, snf::TCP_SYN | snf::TCP_ACK, 5000, 1234);
  CHECK_EQ(run1(*e, bad, OUT).reason, std::string("fw_bad_tcp_state"));
  Bytes synack = tcp_frame("203.0.113.9", 80, "10.0.0.5", 40000, snf::TCP_SYN | snf::TCP_ACK, 5000, 1001);
  CHECK(run1(*e, synack, OUT).forward);
  Bytes ack = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_ACK, 1001, 5001);
  CHECK(run1(*e, ack, IN).forward);
  Bytes data = tcp_frame("203.0.113.9", 80, "10.0.0.5", 40000, snf::TCP_ACK | snf::TCP_PSH, 5001, 1001);
  CHECK(run1(*e, data, OUT).forward);
  Bytes fin1 = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_FIN | snf::TCP_ACK, 1001, 5001);
  CHECK(run1(*e, fin1, IN).forward);
  Bytes fin2 = tcp_frame("203.0.113.9", 80, "10.0.0.5", 40000, snf::TCP_FIN | snf::TCP_ACK, 5001, 1002);
  CHECK(run1(*e, fin2, OUT).forward);
  Bytes last = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_ACK, 1002, 5002);
  CHECK(run1(*e, last, IN).forward);
  // Not a connection from the outside's point of view.
  Bytes in_syn = tcp_frame("203.0.113.9", 4444, "10.0.0.5", 80, snf::TCP_SYN);
  CHECK_EQ(run1(*e, in_syn, OUT).reason, std::string("fw_rule_deny"));
  Bytes in_ack = tcp_frame("203.0.113.9", 4444, "10.0.0.5", 80, snf::TCP_ACK);
  CHECK_EQ(run1(*e, in_ack, OUT).reason, std::string("fw_no_connection"));
  Bytes ssh = tcp_frame("203.0.113.9", 4444, "10.0.0.22", 22, snf::TCP_SYN);
  CHECK(run1(*e, ssh, OUT).forward);  // the rule that admits inbound SSH
  Bytes err = error_frame("192.0.2.254", "10.0.0.5",
                          ip(A("10.0.0.5"), A("203.0.113.99"), 6, tcp(1, 2, snf::TCP_SYN)));
  CHECK_EQ(run1(*e, err, OUT).reason, std::string("fw_no_connection"));
}

TEST(engine_firewall_handshake_in_one_batch) {
  // SYN, SYN-ACK and ACK of one connection in the same batch see each other's transitions.
  auto e = fixture::engine(fixture::config({NfKind::Firewall}));
  std::vector<Bytes> bs = {tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_SYN, 1000),
                           tcp_frame("203.0.113.9", 80, "10.0.0.5", 40000, snf::TCP_SYN | snf::TCP_ACK, 5000, 1001),
                           tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_ACK, 1001, 5001),
                           tcp_frame("203.0.113.9", 80, "10.0.0.5", 40000, snf::TCP_ACK, 5001, 1001)};
  auto r = run(*e, bs, {IN, OUT, IN, OUT});
  for (auto& o : r) CHECK_EQ(o.reason, std::string("none"));
}

TEST(engine_firewall_udp_icmp) {
  auto e = fixture::engine(fixture::config({NfKind::Firewall}));
  Bytes q = udp_frame("10.0.0.5", 5353, "203.0.113.53", 53);
  CHECK(run1(*e, q, IN).forward);
  Bytes a = udp_frame("203.0.113.53", 53, "10.0.0.5", 5353);
  CHECK(run1(*e, a, OUT).forward);
  Bytes u = udp_frame("203.0.113.53", 53, "10.0.0.5", 5354);
  CHECK_EQ(run1(*e, u, OUT).reason, std::string("fw_rule_deny"));
  Bytes err = error_frame("192.0.2.254", "10.0.0.5", ip(A("10.0.0.5"), A("203.0.113.53"), 17, udp(5353, 53)));
  CHECK(run1(*e, err, OUT).forward);  // related to the tracked UDP flow
  Bytes ping = echo_frame("10.0.0.5", "203.0.113.1", 9);
  CHECK(run1(*e, ping, IN).forward);
  Bytes pong = echo_frame("203.0.113.1", "10.0.0.5", 9, true);
  CHECK(run1(*e, pong, OUT).forward);
  Bytes stray = echo_frame("203.0.113.1", "10.0.0.5", 10, true);
  CHECK_EQ(run1(*e, stray, OUT).reason, std::string("fw_no_connection"));
}

TEST(engine_lb_assignment_stable) {
  for (bool maglev : {false, true}) {
    auto e = fixture::engine(fixture::config({NfKind::Lb}, maglev));
    std::set<std::string> used;
    for (int c = 0; c < 60; c++) {
      std::string client = "203.0.113." + std::to_string(c + 1);
      Bytes syn = tcp_frame(client.c_str(), 50000, "192.0.2.10", 80, snf::TCP_SYN, 1);
      Out o = run1(*e, syn, OUT);
      REQUIRE(o.forward);
      CHECK(o.out == IN);
      Addr be = o.p.ip.dst;
      uint16_t port = o.p.ip.dport;
      used.insert(be.str());
      CHECK(port == (be == A("10.1.0.3") ? 80 : 8080));
      for (int k = 0; k < 3; k++) {
        Bytes more = tcp_frame(client.c_str(), 50000, "192.0.2.10", 80, snf::TCP_ACK, 2, 1);
        Out m = run1(*e, more, OUT);
        REQUIRE(m.forward);
        CHECK(m.p.ip.dst == be);
      }
      std::string bes = be.str();
      Bytes reply = tcp_frame(bes.c_str(), port, client.c_str(), 50000, snf::TCP_SYN | snf::TCP_ACK, 9, 2);
      Out r = run1(*e, reply, IN);
      REQUIRE(r.forward);
      CHECK(r.p.ip.src == A("192.0.2.10"));
      CHECK_EQ(r.p.ip.sport, 80);
    }
    CHECK_MSG(used.size() == 3u, maglev ? "maglev" : "wlc");
    Bytes novip = tcp_frame("203.0.113.1", 50000, "192.0.2.10", 81, snf::TCP_SYN);
    CHECK_EQ(run1(*e, novip, OUT).reason, std::string("lb_no_vip"));
    Bytes stranger = tcp_frame("10.9.9.9", 8080, "203.0.113.1", 50000, snf::TCP_ACK);
    CHECK_EQ(run1(*e, stranger, IN).reason, std::string("lb_no_vip"));
    Bytes rst = tcp_frame("203.0.113.200", 1, "192.0.2.10", 80, snf::TCP_RST);
    CHECK_EQ(run1(*e, rst, OUT).reason, std::string("lb_no_backend"));
    Bytes unasked = tcp_frame("10.1.0.1", 8080, "203.0.113.201", 1, snf::TCP_ACK);
    CHECK_EQ(run1(*e, unasked, IN).reason, std::string("lb_no_backend"));
  }
}

// The backend's side reads the reverse value only: it carries the state the last update wrote,
// so the backend's FIN after the client's (and a repeated SYN-ACK, or a FIN after a RST) posts
// no update, where a change still does. Commands per packet, on the LocalStore (reads and
// posts alike count one).
TEST(engine_lb_backend_side_writes_only_changes) {
  auto e = fixture::engine(fixture::config({NfKind::Lb}));
  const char* client = "203.0.113.77";
  auto commands = [&] { return e->counters().store.commands; };
  auto step = [&](Bytes f, Side in) {
    uint64_t before = commands();
    Out o = run1(*e, f, in);
    CHECK(o.forward);
    return commands() - before;
  };
  Bytes first = tcp_frame(client, 40000, "192.0.2.10", 80, snf::TCP_SYN, 1);
  Out syn = run1(*e, first, OUT);
  REQUIRE(syn.forward);
  std::string be = syn.p.ip.dst.str();
  uint16_t port = syn.p.ip.dport;
  auto from_backend = [&](uint8_t flags) { return tcp_frame(be.c_str(), port, client, 40000, flags, 9, 2); };
  auto from_client = [&](uint8_t flags) { return tcp_frame(client, 40000, "192.0.2.10", 80, flags, 2, 10); };
  CHECK_EQ(step(from_backend(snf::TCP_SYN | snf::TCP_ACK), IN), 2u);  // read, E posted
  CHECK_EQ(step(from_backend(snf::TCP_SYN | snf::TCP_ACK), IN), 1u);  // already E: read only
  CHECK_EQ(step(from_client(snf::TCP_FIN | snf::TCP_ACK), OUT), 2u);  // read, F posted
  CHECK_EQ(step(from_backend(snf::TCP_FIN | snf::TCP_ACK), IN), 1u);  // already F
  CHECK_EQ(step(from_backend(snf::TCP_RST), IN), 2u);                 // F -> R posted
  CHECK_EQ(step(from_backend(snf::TCP_FIN | snf::TCP_ACK), IN), 1u);  // R stays R

  // Both FINs of another flow in one batch: two reads, one update (the second compares with
  // the first's, not with the E both reads found).
  const char* other = "203.0.113.78";
  Bytes syn2 = tcp_frame(other, 40001, "192.0.2.10", 80, snf::TCP_SYN, 1);
  Out o2 = run1(*e, syn2, OUT);
  REQUIRE(o2.forward);
  std::string be2 = o2.p.ip.dst.str();
  Bytes synack2 = tcp_frame(be2.c_str(), o2.p.ip.dport, other, 40001, snf::TCP_SYN | snf::TCP_ACK, 9, 2);
  REQUIRE(run1(*e, synack2, IN).forward);
  for (bool client_first : {true, false}) {
    std::vector<Bytes> fins = {tcp_frame(other, 40001, "192.0.2.10", 80, snf::TCP_FIN | snf::TCP_ACK, 2, 10),
                               tcp_frame(be2.c_str(), o2.p.ip.dport, other, 40001, snf::TCP_FIN | snf::TCP_ACK, 10, 3)};
    std::vector<Side> sides = {OUT, IN};
    if (!client_first) {
      std::swap(fins[0], fins[1]);
      std::swap(sides[0], sides[1]);
    }
    uint64_t before = commands();
    for (const Out& o : run(*e, fins, sides)) CHECK(o.forward);
    // First round: E -> F once. Second: both find F already (nothing to write).
    CHECK_EQ(commands() - before, client_first ? 3u : 2u);
  }
}

TEST(engine_lb_maglev_same_on_every_instance) {
  // Two instances with separate stores pick the same backend for the same flow.
  auto a = fixture::engine(fixture::config({NfKind::Lb}, true));
  auto b = fixture::engine(fixture::config({NfKind::Lb}, true));
  for (int c = 0; c < 40; c++) {
    std::string client = "2001:db8:c::" + std::to_string(c + 1);
    Bytes q1 = udp_frame(client.c_str(), 1000, "2001:db8:b::10", 53);
    Bytes q2 = q1;
    Out o1 = run1(*a, q1, OUT), o2 = run1(*b, q2, OUT);
    REQUIRE(o1.forward && o2.forward);
    CHECK(o1.p.ip.dst == o2.p.ip.dst);
    CHECK_EQ(o1.p.ip.dport, 5353);
  }
}

TEST(engine_lb_all_drained) {
  auto cfg = fixture::config({NfKind::Lb});
  for (auto& be : cfg.lb.vips[0].backends) be.drained = true;
  auto e = fixture::engine(cfg);
  Bytes syn = tcp_frame("203.0.113.1", 50000, "192.0.2.10", 80, snf::TCP_SYN);
  CHECK_EQ(run1(*e, syn, OUT).reason, std::string("lb_no_backend"));
}

TEST(engine_chain_firewall_then_nat) {
  // Outbound meets the firewall first; inbound meets NAT first, so the firewall always sees
  // inside addresses.
  auto e = fixture::engine(fixture::config({NfKind::Firewall, NfKind::Nat}));
  Bytes syn = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_SYN, 1000);
  Out o = run1(*e, syn, IN);
  REQUIRE(o.forward);
  std::string ext = o.p.ip.src.str();
  uint16_t port = o.p.ip.sport;
  Bytes synack = tcp_frame("203.0.113.9", 80, ext.c_str(), port, snf::TCP_SYN | snf::TCP_ACK, 5000, 1001);
  o = run1(*e, synack, OUT);
  REQUIRE(o.forward);
  CHECK(o.p.ip.dst == A("10.0.0.5"));
  Bytes badack = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_ACK, 1001, 4000);
  CHECK_EQ(run1(*e, badack, IN).reason, std::string("fw_bad_tcp_state"));
  auto c = e->counters();
  CHECK_EQ(c.rx, c.tx + c.dropped);
  CHECK_EQ(c.drops[static_cast<int>(Drop::FwBadTcpState)], 1u);
}

TEST(fw_tracked_tuple_on_the_wrong_side_is_dropped) {
  // A connection opened from the inside; then the same tuple, initiator's direction, arrives
  // from the outside (spoofed). Conntrack ignores the arrival side, so it is forwarded inward.
  auto e = fixture::engine(fixture::config({NfKind::Firewall}));
  Bytes syn = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_SYN, 1000);
  REQUIRE(run1(*e, syn, IN).forward);
  Bytes spoof = tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, snf::TCP_SYN, 1000);
  CHECK(!run1(*e, spoof, OUT).forward);
  Bytes udp_out = udp_frame("10.0.0.5", 5353, "203.0.113.53", 53);
  REQUIRE(run1(*e, udp_out, IN).forward);
  Bytes udp_spoof = udp_frame("10.0.0.5", 5353, "203.0.113.53", 53);
  CHECK(!run1(*e, udp_spoof, OUT).forward);
}
