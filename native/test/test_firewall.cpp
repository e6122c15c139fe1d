// Firewall::tcp_step, the pure TCP state machine, transition by transition.
#include "nf/firewall.hpp"
#include "util.hpp"

using snf::Firewall;
using snf::Packet;
using namespace snf;

namespace {

constexpr uint32_t kIsnI = 1000, kIsnR = 0xfffffff0;  // the responder's ISN wraps on +1 .. +16

Packet seg(uint8_t flags, uint32_t seq = 0, uint32_t ack = 0) {
  Packet p;
  p.ip.proto = PROTO_TCP;
  p.tcp_flags = flags;
  p.seq = seq;
  p.ack = ack;
  return p;
}

Firewall::Conn conn(const char* state) {
  Firewall::Conn c;
  c.state = state;
  c.isn_i = kIsnI;
  c.isn_r = kIsnR;
  return c;
}

// Applies one segment; returns the state after it ("DROP" when not forwarded).
std::string step(const char* state, bool orig, uint8_t flags, uint32_t seq = 0, uint32_t ack = 0) {
  Firewall::Step s = Firewall::tcp_step(conn(state), orig, seg(flags, seq, ack));
  if (s.reopen) return "REOPEN";
  if (!s.forward) {
    CHECK(s.why == Drop::FwBadTcpState);
    return "DROP";
  }
  return s.next.empty() ? state : s.next;
}

const bool I = true, R = false;  // from the initiator / from the responder
const uint8_t SYN = TCP_SYN, ACK = TCP_ACK, FIN = TCP_FIN, RST = TCP_RST, PSH = TCP_PSH;

}  // namespace

TEST(fw_handshake) {
  CHECK_EQ(step("SS", I, SYN, kIsnI), std::string("SS"));  // retransmitted SYN
  CHECK_EQ(step("SS", R, SYN | ACK, kIsnR, kIsnI + 1), std::string("SR"));
  Firewall::Step s = Firewall::tcp_step(conn("SS"), R, seg(SYN | ACK, 555, kIsnI + 1));
  CHECK_EQ(s.isn_r, 555u);
  CHECK_EQ(step("SS", R, SYN | ACK, kIsnR, kIsnI + 2), std::string("DROP"));  // wrong ack
  CHECK_EQ(step("SS", R, ACK, kIsnR, kIsnI + 1), std::string("DROP"));
  CHECK_EQ(step("SS", R, SYN, kIsnR), std::string("DROP"));  // simultaneous open not supported
  CHECK_EQ(step("SS", I, ACK, kIsnI + 1, 0), std::string("DROP"));
  CHECK_EQ(step("SS", R, SYN | ACK | FIN, kIsnR, kIsnI + 1), std::string("DROP"));
  CHECK_EQ(step("SR", R, SYN | ACK, kIsnR, kIsnI + 1), std::string("SR"));  // retransmitted SYN-ACK
  CHECK_EQ(step("SR", I, SYN, kIsnI), std::string("SR"));
  CHECK_EQ(step("SR", I, ACK, kIsnI + 1, kIsnR + 1), std::string("ES"));  // isn_r + 1 wraps
  CHECK_EQ(step("SR", I, ACK | FIN, kIsnI + 1, kIsnR + 1), std::string("FO"));
  CHECK_EQ(step("SR", I, ACK, kIsnI + 1, kIsnR), std::string("DROP"));
}

// SR admits what ES admits but the responder's FIN (conntrack's SYN_RECV), so the SR -> ES write
// need not be waited for: lost, the initiator's next segment establishes the connection again.
TEST(fw_syn_recv_admits_what_established_needs) {
  // The responder's ACKs and data pass, and leave SR as it is.
  CHECK_EQ(step("SR", R, ACK, kIsnR + 1, kIsnI + 1), std::string("SR"));
  CHECK_EQ(step("SR", R, ACK | PSH, kIsnR + 1, kIsnI + 1 + 300), std::string("SR"));
  // The initiator's data, acknowledging what the responder sent: established (the heal).
  CHECK_EQ(step("SR", I, ACK | PSH, kIsnI + 1, kIsnR + 1 + 5000), std::string("ES"));
  CHECK_EQ(step("SR", I, ACK | FIN, kIsnI + 1, kIsnR + 1 + 5000), std::string("FO"));
  // An ACK must acknowledge the other side's SYN, and no more than a window past it.
  CHECK_EQ(step("SR", I, ACK, kIsnI + 1, kIsnR + 1 + (1u << 30)), std::string("DROP"));
  CHECK_EQ(step("SR", R, ACK, kIsnR + 1, kIsnI), std::string("DROP"));
  CHECK_EQ(step("SR", R, ACK, kIsnR + 1, kIsnI + 1 + (1u << 30)), std::string("DROP"));
  // Without an ACK, or closing, the responder waits for ES.
  CHECK_EQ(step("SR", R, PSH, kIsnR + 1), std::string("DROP"));
  CHECK_EQ(step("SR", R, FIN | ACK, kIsnR + 1, kIsnI + 1), std::string("DROP"));
  CHECK_EQ(step("SR", R, SYN, kIsnR), std::string("DROP"));
}

TEST(fw_established_and_close) {
  CHECK_EQ(step("ES", I, ACK | PSH), std::string("ES"));
  CHECK_EQ(step("ES", R, ACK | PSH), std::string("ES"));
  CHECK_EQ(step("ES", R, SYN | ACK), std::string("ES"));  // SYN-ACK again after a lost ACK
  CHECK_EQ(step("ES", I, SYN), std::string("DROP"));
  CHECK_EQ(step("ES", R, SYN), std::string("DROP"));
  // FIN from the initiator first...
  CHECK_EQ(step("ES", I, FIN | ACK), std::string("FO"));
  CHECK_EQ(step("FO", I, FIN | ACK), std::string("FO"));  // retransmitted FIN
  CHECK_EQ(step("FO", R, ACK), std::string("FO"));
  CHECK_EQ(step("FO", R, FIN | ACK), std::string("CL"));
  // ...or from the responder first.
  CHECK_EQ(step("ES", R, FIN | ACK), std::string("FR"));
  CHECK_EQ(step("FR", R, FIN | ACK), std::string("FR"));
  CHECK_EQ(step("FR", I, FIN | ACK), std::string("CL"));
  // Time-wait: the last ACKs pass, a new SYN from the initiator reopens, anything else not.
  CHECK_EQ(step("CL", I, ACK), std::string("CL"));
  CHECK_EQ(step("CL", R, ACK), std::string("CL"));
  CHECK_EQ(step("CL", I, FIN | ACK), std::string("CL"));
  {
    Packet data = seg(ACK | PSH, kIsnI + 10);
    data.tcp_payload = 100;  // no new data once both sides closed
    CHECK(!Firewall::tcp_step(conn("CL"), I, data).forward);
  }
  CHECK_EQ(step("CL", I, SYN), std::string("REOPEN"));
  CHECK_EQ(step("CL", R, SYN), std::string("DROP"));
  CHECK_EQ(step("CL", R, SYN | ACK), std::string("DROP"));
  CHECK_EQ(step("RS", I, ACK), std::string("DROP"));
  CHECK_EQ(step("RS", I, SYN), std::string("REOPEN"));
  CHECK_EQ(step("", I, ACK), std::string("DROP"));  // unknown state never forwards
}

TEST(fw_rst_sequence_sanity) {
  // In SYN-SENT only the responder's RST+ACK acknowledging the SYN is believable.
  CHECK_EQ(step("SS", R, RST | ACK, 0, kIsnI + 1), std::string("RS"));
  CHECK_EQ(step("SS", R, RST | ACK, 0, kIsnI + 7), std::string("DROP"));
  CHECK_EQ(step("SS", R, RST, 0, kIsnI + 1), std::string("DROP"));
  CHECK_EQ(step("SS", I, RST, kIsnI + 1), std::string("DROP"));
  // After the SYN-ACK: the initiator's RST must lie ahead of its ISN; the responder may reset.
  CHECK_EQ(step("SR", I, RST, kIsnI + 1), std::string("RS"));
  CHECK_EQ(step("SR", I, RST, kIsnI - 1), std::string("DROP"));
  CHECK_EQ(step("SR", R, RST, 12345), std::string("RS"));
  // Established: either side, within the half of sequence space ahead of its ISN (wrapping).
  CHECK_EQ(step("ES", I, RST, kIsnI + 100000), std::string("RS"));
  CHECK_EQ(step("ES", I, RST, kIsnI - 100000), std::string("DROP"));
  CHECK_EQ(step("ES", R, RST, kIsnR + 0x20), std::string("RS"));  // wrapped past 0
  CHECK_EQ(step("ES", R, RST, kIsnR - 1), std::string("DROP"));
  CHECK_EQ(step("ES", R, RST, kIsnR + 0x80000000u), std::string("DROP"));
  CHECK_EQ(step("FO", R, RST | ACK, kIsnR + 5), std::string("RS"));
  CHECK_EQ(step("CL", I, RST, kIsnI + 5), std::string("RS"));
  CHECK_EQ(step("RS", I, RST, kIsnI + 5), std::string("DROP"));  // one reset is enough
}

TEST(fw_conn_round_trip) {
  Firewall::Conn c = conn("ES");
  c.dir = 'i';
  c.init = 'B';
  c.stamp = 1700000000123;
  Firewall::Conn d = Firewall::Conn::parse(c.str());
  CHECK_EQ(d.state, c.state);
  CHECK_EQ(d.dir, 'i');
  CHECK_EQ(d.init, 'B');
  CHECK_EQ(d.isn_i, kIsnI);
  CHECK_EQ(d.isn_r, kIsnR);
  CHECK_EQ(d.stamp, c.stamp);
  Firewall::Conn e = Firewall::Conn::parse("");
  CHECK(e.state.empty());
  Firewall::Conn f = Firewall::Conn::parse("ES|o");  // short values must not read garbage
  CHECK_EQ(f.state, std::string("ES"));
  CHECK_EQ(f.isn_i, 0u);
}
