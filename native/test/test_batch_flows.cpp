// Several packets of one new flow in the same batch (issue 12, defects 2 and 3): the flow gets
// one creating write, every packet leaves with what that write created, a RST right behind the
// first packet is forwarded (as it is in a later batch), and nf.newFlows counts flows.
#include <chrono>
#include <thread>

#include "csum_verify.hpp"
#include "engine_fixture.hpp"
#include "nf/keys.hpp"
#include "util.hpp"

using namespace frames;
using snf::Frame;
using snf::NfKind;
using snf::Side;

namespace {

Bytes hex(const char* s) {
  Bytes b;
  for (size_t i = 0; s[i] && s[i + 1]; i += 2) b.push_back(static_cast<uint8_t>(std::stoi(std::string(s + i, 2), nullptr, 16)));
  return b;
}

// The two inside frames, in one batch: 10.0.0.5:40000 -> 192.0.2.80:443, a data
// segment (PSH|ACK "hello", seq 1000) and then a RST (seq 1005).
const char* kData = "02000000000002000000000108004500002d1234000040069c420a000005c00002509c4001bb000003e80000000050182000ddbc000068656c6c6f";
const char* kRst = "0200000000000200000000010800450000281234000040069c470a000005c00002509c4001bb000003ed000000005004200021a30000";

struct Run {
  std::vector<Frame> fs;
  std::vector<snf::Packet> out;
};

// Processes one batch; every forwarded frame must parse again with exact checksums.
Run batch(snf::Engine& e, std::vector<Bytes>& bs, Side in) {
  Run r;
  r.fs.resize(bs.size());
  r.out.resize(bs.size());
  for (size_t i = 0; i < bs.size(); i++) r.fs[i] = Frame{bs[i].data(), static_cast<uint32_t>(bs[i].size()), in};
  e.process(r.fs.data(), r.fs.size());
  for (size_t i = 0; i < bs.size(); i++)
    if (r.fs[i].forward) {
      REQUIRE(t::parse(bs[i], r.out[i]) == snf::Drop::None);
      for (const auto& s : verify::sums(r.out[i])) CHECK_MSG(s.exact(), "checksum " + s.name);
    }
  return r;
}

struct Rig {
  snf::LocalStore* store = nullptr;  // owned by the engine
  std::unique_ptr<snf::Engine> e;
  explicit Rig(std::vector<NfKind> chain) : Rig(fixture::config(std::move(chain))) {}
  explicit Rig(const snf::EngineCfg& cfg) {
    auto s = std::make_unique<snf::LocalStore>();
    store = s.get();
    e = std::make_unique<snf::Engine>(cfg, std::move(s));
  }
  std::string get(const std::string& key) {
    snf::Cmd c;
    c.get(key);
    std::vector<snf::Reply> r;
    store->execute(&c, 1, r);
    return r[0].type == snf::Reply::Str ? r[0].s : std::string("(nil)");
  }
  uint64_t nf_new(NfKind k) const { return e->counters().nf[static_cast<int>(k)].new_flows; }
  uint64_t commands() const { return e->counters().store.commands; }
};

// The forward key of a NAT mapping, as native/store/README.md documents it (fixture: vnf "t",
// 4 shards chosen by the inside endpoint).
std::string nat_fwd_key(const snf::Addr& ext, uint8_t proto, const char* in, uint16_t port) {
  std::string k = "snf:t:nat:f:{t|";
  snf::append_addr(k, ext);
  k += '|';
  snf::append_num(k, static_cast<int64_t>(snf::hash_endpoint(proto, A(in), port) % 4));
  k += "}:";
  snf::append_num(k, proto);
  k += ':';
  k += in;
  k += ':';
  snf::append_num(k, port);
  return k;
}

}  // namespace

TEST(nat_rst_behind_first_packet_in_one_batch_is_forwarded) {
  Rig r({NfKind::Nat});
  std::vector<Bytes> bs{hex(kData), hex(kRst)};
  Run o = batch(*r.e, bs, Side::Inside);
  CHECK_EQ(std::string(snf::drop_name(o.fs[0].reason)), std::string("none"));
  CHECK_EQ(std::string(snf::drop_name(o.fs[1].reason)), std::string("none"));
  REQUIRE(o.fs[0].forward && o.fs[1].forward);
  // Both leave with the one mapping, and the store holds it with the RST's state: as if the
  // two packets had come in separate batches.
  CHECK(o.out[0].ip.src == o.out[1].ip.src);
  CHECK_EQ(o.out[0].ip.sport, o.out[1].ip.sport);
  std::string v = r.get(nat_fwd_key(o.out[0].ip.src, 6, "10.0.0.5", 40000));
  std::string want = o.out[0].ip.src.str() + "|" + std::to_string(o.out[0].ip.sport) + "|R|";
  CHECK_EQ(v.substr(0, want.size()), want);
  CHECK_EQ(r.nf_new(NfKind::Nat), 1u);
}

TEST(nat_packets_of_one_new_flow_cost_one_allocation) {
  Rig r({NfKind::Nat});
  std::vector<Bytes> bs;
  for (int i = 0; i < 3; i++) bs.push_back(udp_frame("10.0.0.7", 5000, "203.0.113.9", 53));
  bs.push_back(udp_frame("10.0.0.8", 5000, "203.0.113.9", 53));
  bs.push_back(udp_frame("10.0.0.7", 5000, "203.0.113.10", 53));  // same mapping (endpoint-independent)
  uint64_t c0 = r.commands();
  Run o = batch(*r.e, bs, Side::Inside);
  for (size_t i = 0; i < bs.size(); i++) REQUIRE(o.fs[i].forward);
  for (size_t i : {1u, 2u, 4u}) {
    CHECK(o.out[i].ip.src == o.out[0].ip.src);
    CHECK_EQ(o.out[i].ip.sport, o.out[0].ip.sport);
  }
  CHECK(!(o.out[3].ip.src == o.out[0].ip.src && o.out[3].ip.sport == o.out[0].ip.sport));
  CHECK_EQ(r.nf_new(NfKind::Nat), 2u);
  // 5 reads and 2 allocation scripts, not 5.
  CHECK_EQ(r.commands() - c0, 7u);
}

TEST(lb_rst_behind_first_packet_in_one_batch_is_forwarded) {
  Rig r({NfKind::Lb});
  std::vector<Bytes> bs{tcp_frame("203.0.113.5", 40000, "192.0.2.10", 80, snf::TCP_PSH | snf::TCP_ACK, 1000, 1),
                        tcp_frame("203.0.113.5", 40000, "192.0.2.10", 80, snf::TCP_RST, 1005)};
  Run o = batch(*r.e, bs, Side::Outside);
  CHECK_EQ(std::string(snf::drop_name(o.fs[1].reason)), std::string("none"));
  REQUIRE(o.fs[0].forward && o.fs[1].forward);
  CHECK(o.out[0].ip.dst == o.out[1].ip.dst);
  CHECK_EQ(o.out[0].ip.dport, o.out[1].ip.dport);
  CHECK_EQ(r.nf_new(NfKind::Lb), 1u);
  // The assignment holds the RST's state: a later RST changes nothing, so it writes nothing.
  uint64_t c0 = r.commands();
  std::vector<Bytes> again{tcp_frame("203.0.113.5", 40000, "192.0.2.10", 80, snf::TCP_RST, 1005)};
  Run o2 = batch(*r.e, again, Side::Outside);
  REQUIRE(o2.fs[0].forward);
  CHECK(o2.out[0].ip.dst == o.out[0].ip.dst);
  CHECK_EQ(r.commands() - c0, 1u);
}

TEST(lb_packets_of_one_new_flow_cost_one_assignment) {
  Rig r({NfKind::Lb});
  std::vector<Bytes> bs;
  for (int i = 0; i < 3; i++) bs.push_back(udp_frame("2001:db8:c::1", 1000, "2001:db8:b::10", 53));
  bs.push_back(udp_frame("2001:db8:c::2", 1000, "2001:db8:b::10", 53));
  uint64_t c0 = r.commands();
  Run o = batch(*r.e, bs, Side::Outside);
  for (size_t i = 0; i < bs.size(); i++) REQUIRE(o.fs[i].forward);
  CHECK(o.out[1].ip.dst == o.out[0].ip.dst);
  CHECK(o.out[2].ip.dst == o.out[0].ip.dst);
  CHECK_EQ(r.nf_new(NfKind::Lb), 2u);
  CHECK_EQ(r.commands() - c0, 6u);  // 4 reads, 2 assignment scripts
}

// Found when firewall + NAT stopped cutting batches into runs: every inbound packet of a flow
// in one batch found the mapping in state S and wrote E, one nat_update each. The NAT goes on
// from the state it queued for the flow: one state change per flow, and the FIN behind them
// is still written (E -> F).
TEST(nat_packets_of_one_flow_write_each_state_change_once) {
  Rig r({NfKind::Nat});
  std::vector<Bytes> syn{tcp_frame("10.0.0.5", 40100, "192.0.2.80", 443, snf::TCP_SYN, 1)};
  Run o = batch(*r.e, syn, Side::Inside);
  REQUIRE(o.fs[0].forward);
  const std::string ext = o.out[0].ip.src.str();
  const uint16_t port = o.out[0].ip.sport;
  std::vector<Bytes> in;
  in.push_back(tcp_frame("192.0.2.80", 443, ext.c_str(), port, snf::TCP_SYN | snf::TCP_ACK, 50, 2));
  for (uint32_t k = 0; k < 3; k++) in.push_back(tcp_frame("192.0.2.80", 443, ext.c_str(), port, snf::TCP_ACK, 51 + k, 2));
  uint64_t c0 = r.commands();
  Run a = batch(*r.e, in, Side::Outside);
  for (size_t i = 0; i < in.size(); i++) REQUIRE(a.fs[i].forward);
  CHECK_EQ(r.commands() - c0, 5u);  // 4 reads, 1 state change (S -> E)
  std::vector<Bytes> more;  // (the frames above were rewritten in place)
  for (uint32_t k = 0; k < 4; k++) more.push_back(tcp_frame("192.0.2.80", 443, ext.c_str(), port, snf::TCP_ACK, 60 + k, 2));
  more.push_back(tcp_frame("192.0.2.80", 443, ext.c_str(), port, snf::TCP_FIN | snf::TCP_ACK, 64, 2));
  c0 = r.commands();
  Run b = batch(*r.e, more, Side::Outside);
  for (size_t i = 0; i < more.size(); i++) REQUIRE(b.fs[i].forward);
  CHECK_EQ(r.commands() - c0, 6u);  // 5 reads, 1 state change (E -> F), nothing for the rest
}

// A flow's TTL refresh (posted, nobody waits) and its closing in one batch: the refresh is
// queued ahead of the closing, so the store ends in the closing's state with its short TTL.
// Posted after the batch, the refresh (nat_update checks the mapping, not its state) wrote the
// established state back over the FIN. NAT alone judges both packets in one pass; firewall +
// NAT meets them at different steps (NAT inbound first, NAT outbound last).
TEST(nat_refresh_never_undoes_a_closing_in_the_same_batch) {
  for (auto chain : {std::vector<NfKind>{NfKind::Nat}, std::vector<NfKind>{NfKind::Firewall, NfKind::Nat}}) {
    snf::EngineCfg cfg = fixture::config(chain);
    cfg.t.tcp_established_ms = 200;  // refreshed once older than 50 ms
    cfg.t.refresh_ms = 0;
    Rig r(cfg);
    const std::string name = chain.size() == 1 ? "nat: " : "fw+nat: ";
    std::vector<Bytes> syn{tcp_frame("10.0.0.5", 40200, "192.0.2.80", 443, snf::TCP_SYN, 1)};
    Run o = batch(*r.e, syn, Side::Inside);
    REQUIRE(o.fs[0].forward);
    const snf::Addr ext = o.out[0].ip.src;
    const std::string ext_s = ext.str();
    const uint16_t port = o.out[0].ip.sport;
    std::vector<Bytes> synack{tcp_frame("192.0.2.80", 443, ext_s.c_str(), port, snf::TCP_SYN | snf::TCP_ACK, 50, 2)};
    REQUIRE(batch(*r.e, synack, Side::Outside).fs[0].forward);
    std::vector<Bytes> ack{tcp_frame("10.0.0.5", 40200, "192.0.2.80", 443, snf::TCP_ACK, 2, 51)};
    REQUIRE(batch(*r.e, ack, Side::Inside).fs[0].forward);
    const std::string key = nat_fwd_key(ext, 6, "10.0.0.5", 40200);
    const std::string est = ext_s + "|" + std::to_string(port) + "|E|";
    REQUIRE(r.get(key).compare(0, est.size(), est) == 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(80));
    Bytes data = tcp_frame("192.0.2.80", 443, ext_s.c_str(), port, snf::TCP_ACK | snf::TCP_PSH, 51, 2);
    Bytes fin = tcp_frame("10.0.0.5", 40200, "192.0.2.80", 443, snf::TCP_FIN | snf::TCP_ACK, 2, 52);
    std::vector<Frame> fs{Frame{data.data(), static_cast<uint32_t>(data.size()), Side::Outside},
                          Frame{fin.data(), static_cast<uint32_t>(fin.size()), Side::Inside}};
    r.e->process(fs.data(), fs.size());
    CHECK_MSG(fs[0].forward && fs[1].forward, name + "both forwarded");
    const std::string closing = ext_s + "|" + std::to_string(port) + "|F|";
    std::string v = r.get(key);
    CHECK_MSG(v.compare(0, closing.size(), closing) == 0, name + "stored " + v);
  }
}
