// Writes seed corpora for the fuzz targets: gen_corpus <dir> creates <dir>/<target>/seed-N.
// Seeds are whole valid frames (fuzz_parse) or short conversations in the harness's record
// format (the NF targets), so fuzzing starts from traffic that reaches deep states.
#include <sys/stat.h>

#include <cstdio>
#include <string>
#include <vector>

#include "test/frames.hpp"

using namespace frames;

namespace {

void write(const std::string& dir, const std::string& target, int n, const Bytes& b) {
  std::string d = dir + "/" + target;
  mkdir(dir.c_str(), 0755);
  mkdir(d.c_str(), 0755);
  std::string path = d + "/seed-" + std::to_string(n);
  FILE* f = std::fopen(path.c_str(), "wb");
  if (!f) {
    std::perror(path.c_str());
    std::exit(1);
  }
  std::fwrite(b.data(), 1, b.size(), f);
  std::fclose(f);
}

// Harness records: ctl (bit0 outside, bit1 end batch, bit2 built), 16-bit length, bytes.
struct Conv {
  Bytes b;
  explicit Conv(uint8_t flags) { b.push_back(flags); }
  Conv& raw(bool outside, const Bytes& frame, bool end = true) { return rec(outside, end, false, frame); }
  Conv& built(bool outside, const Bytes& desc, bool end = true) { return rec(outside, end, true, desc); }
  Conv& rec(bool outside, bool end, bool build, const Bytes& body) {
    b.push_back(static_cast<uint8_t>((outside ? 1 : 0) | (end ? 2 : 0) | (build ? 4 : 0)));
    push16(b, static_cast<uint16_t>(body.size()));
    b.insert(b.end(), body.begin(), body.end());
    return *this;
  }
};

// A built-frame description (see fuzz::Driver::build): kind (bit0 v6, bits 1-2 TCP 0 / UDP 2 /
// echo 4, 0x40 ICMP error sent back to the source, 0x20 quote cut, 0x80 VLAN), two endpoints
// [sel][port-sel], TCP flags, seq, ack. Port selectors < 12 index the harness's table: 0:22
// 1:53 2:80 3:8080 4:5353 5:40000 6:20000 7:50000. Address selectors with 0x80 reuse an
// endpoint of an earlier verdict: 0x80 the last forwarded frame's destination, 0x81 its source.
// Address table (v4): 0 10.0.0.5, 1 10.0.0.22, 3 203.0.113.9, 6 192.0.2.10, 10 192.168.1.1;
// (v6): 0 2001:db8:a::5, 2 2001:db8:c::9, 3 2001:db8:b::10.
Bytes desc(uint8_t kind, uint8_t s, uint8_t sp, uint8_t d, uint8_t dp, uint8_t flags, uint32_t seq = 1,
           uint32_t ack = 0, Bytes router = {}) {
  Bytes b = {kind, s, sp, d, dp, flags};
  push16(b, static_cast<uint16_t>(seq >> 16));
  push16(b, static_cast<uint16_t>(seq));
  push16(b, static_cast<uint16_t>(ack >> 16));
  push16(b, static_cast<uint16_t>(ack));
  b.insert(b.end(), router.begin(), router.end());
  return b;
}

const uint8_t SYN = 2, ACK = 0x10, FIN = 1, RST = 4, SYNACK = 0x12;

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: gen_corpus <dir>\n");
    return 2;
  }
  std::string dir = argv[1];

  // fuzz_parse: one of each shape the parser knows.
  Bytes inner_tcp = ip(A("198.51.100.1"), A("203.0.113.9"), 6, tcp(20000, 80, ACK, 1, 2, {1, 2, 3}));
  Bytes inner_udp6 = ip(A("2001:db8:ff::1"), A("2001:db8:c::9"), 17, udp(20000, 53));
  IpOpts ext;
  ext.ext = {{0, 8}, {60, 16}, {44, 8, 0x0001}};
  IpOpts opt;
  opt.v4_options = {0x94, 0x04, 0, 0};
  IpOpts nocs;
  nocs.udp_zero_csum = true;
  std::vector<Bytes> shapes = {
      tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, SYN, 1000),
      tcp_frame("2001:db8:a::5", 40000, "2001:db8:c::9", 443, SYNACK, 1, 1001),
      udp_frame("10.0.0.5", 5353, "203.0.113.53", 53),
      udp_frame("10.0.0.5", 5353, "203.0.113.53", 53, true),
      udp_frame("2001:db8:a::5", 5353, "2001:db8:c::53", 53),
      echo_frame("10.0.0.5", "203.0.113.1", 7),
      echo_frame("2001:db8:a::5", "2001:db8:c::1", 7),
      error_frame("192.0.2.254", "198.51.100.1", inner_tcp),
      error_frame("192.0.2.254", "198.51.100.1", inner_tcp, 28),
      error_frame("192.0.2.254", "10.0.0.5", ip(A("10.0.0.5"), A("203.0.113.53"), 17, udp(5353, 53), nocs)),
      error_frame("192.0.2.254", "10.0.0.5", ip(A("10.0.0.5"), A("203.0.113.1"), 1, echo(8, 7))),
      error_frame("2001:db8::fe", "2001:db8:ff::1", inner_udp6),
      error_frame("2001:db8::fe", "2001:db8:a::5", ip(A("2001:db8:a::5"), A("2001:db8:c::9"), 58, echo(128, 7))),
      eth(ip(A("2001:db8::1"), A("2001:db8::2"), 6, tcp(1, 2, SYN, 5, 0, {}, 8), ext)),
      eth(ip(A("10.0.0.1"), A("10.0.0.2"), 6, tcp(1, 2, SYN, 5, 0, {0x02, 0x04, 0x05, 0xb4}, 6), opt), {0x88a8, 0x8100}),
  };
  for (size_t i = 0; i < shapes.size(); i++) write(dir, "fuzz_parse", static_cast<int>(i), shapes[i]);

  // fuzz_nat: outbound opens, inbound answers the mapping it made (0x80 = last external source).
  write(dir, "fuzz_nat", 0,
        Conv(0)
            .raw(false, tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, SYN, 1000))
            .built(true, desc(0, 3, 2, 0x81, 0, SYNACK, 5000, 1001))
            .built(false, desc(0, 0, 5, 3, 2, ACK, 1001, 5001))
            .built(true, desc(0, 3, 2, 0x81, 0, FIN | ACK, 5001, 1001))
            .built(false, desc(0, 0, 5, 3, 2, RST, 1001))
            .b);
  write(dir, "fuzz_nat", 1,
        Conv(1)
            .raw(false, udp_frame("10.0.0.5", 5353, "203.0.113.53", 53), false)
            .raw(false, echo_frame("10.0.0.5", "203.0.113.1", 7))
            .built(true, desc(4, 3, 1, 0x81, 0, 1))  // echo reply to the last mapping
            .built(true, desc(0x40 | 2, 0x85, 0, 3, 1, 0, 1, 0, {10, 0}))  // error quoting the UDP mapping
            .b);
  write(dir, "fuzz_nat", 2,
        Conv(2 | 4)
            .raw(false, tcp_frame("2001:db8:a::5", 40000, "2001:db8:c::9", 443, SYN, 1))
            .built(true, desc(1, 2, 10, 0x81, 0, SYNACK, 9, 2))
            .built(false, desc(5, 0, 5, 2, 10, 0, 3))
            .raw(false, tcp_frame("2001:db8:a::5", 40000, "2001:db8:c::9", 443, ACK, 2, 10))
            .built(true, desc(0x40 | 0x20 | 1, 0x81, 0, 2, 10, ACK, 1, 0, {6, 0}))
            .b);

  // fuzz_firewall: a full handshake and close, UDP, ICMP, and inbound attempts.
  write(dir, "fuzz_firewall", 0,
        Conv(0)
            .raw(false, tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, SYN, 1000))
            .raw(true, tcp_frame("203.0.113.9", 80, "10.0.0.5", 40000, SYNACK, 5000, 1001))
            .raw(false, tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, ACK, 1001, 5001), false)
            .raw(true, tcp_frame("203.0.113.9", 80, "10.0.0.5", 40000, FIN | ACK, 5001, 1001))
            .raw(false, tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, FIN | ACK, 1001, 5002))
            .raw(true, tcp_frame("203.0.113.9", 80, "10.0.0.5", 40000, ACK, 5002, 1002))
            .raw(false, tcp_frame("10.0.0.5", 40000, "203.0.113.9", 80, SYN, 90000))
            .b);
  write(dir, "fuzz_firewall", 1,
        Conv(0)
            .raw(true, tcp_frame("203.0.113.9", 4444, "10.0.0.22", 22, SYN, 7))
            .raw(false, tcp_frame("10.0.0.22", 22, "203.0.113.9", 4444, SYNACK, 100, 8))
            .raw(true, tcp_frame("203.0.113.9", 4444, "10.0.0.22", 22, RST, 8))
            .raw(true, tcp_frame("203.0.113.9", 4444, "10.0.0.5", 80, SYN, 7))
            .built(false, desc(2, 0, 5, 3, 2, 0))
            .built(true, desc(2, 3, 2, 0, 5, 1))
            .built(false, desc(3, 0, 4, 2, 1, 0))
            .built(true, desc(0x40 | 2, 0, 5, 3, 2, 0, 1, 0, {10, 0}))
            .built(false, desc(4, 0, 5, 3, 2, 0))
            .built(true, desc(4, 3, 2, 0, 5, 1))
            .b);

  // fuzz_lb: clients to both VIPs, backend replies (0x80 picks an endpoint seen before).
  write(dir, "fuzz_lb", 0,
        Conv(0)
            .raw(true, tcp_frame("203.0.113.9", 50000, "192.0.2.10", 80, SYN, 1))
            .built(false, desc(0, 0x80, 3, 0x81, 7, SYNACK, 9, 2))
            .built(true, desc(0, 3, 7, 6, 2, ACK, 2, 10))
            .built(true, desc(0, 3, 7, 6, 2, FIN | ACK, 2, 10))
            .built(false, desc(0, 0x80, 3, 0x81, 7, RST | ACK, 10, 3))
            .b);
  write(dir, "fuzz_lb", 1,
        Conv(1 | 4)
            .raw(true, udp_frame("2001:db8:c::9", 1000, "2001:db8:b::10", 53))
            .built(false, desc(3, 0x80, 4, 0x81, 7, 0))
            .built(true, desc(3, 2, 7, 3, 1, 0))
            .built(true, desc(0x80 | 0x40 | 3, 3, 1, 2, 7, 0, 1, 0, {2, 7}))  // error about a reply
            .raw(true, tcp_frame("203.0.113.9", 50001, "192.0.2.10", 80, RST, 1))
            .b);
  // fuzz_resp: reply streams as Redis sends them to the store (byte 0 picks where to split).
  const std::vector<std::string> streams = {
      "+OK\r\n$-1\r\n:42\r\n$5\r\nhello\r\n",
      "-NOSCRIPT No matching script.\r\n*-1\r\n*0\r\n$0\r\n\r\n",
      "*6\r\n+OK\r\n:1\r\n:1\r\n:1\r\n$3\r\nv|1\r\n*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$9\r\n127.0.0.1\r\n:7000\r\n",
      "*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n*1\r\n$5\r\nnat:1\r\n",
  };
  for (size_t i = 0; i < streams.size(); i++) {
    Bytes b{static_cast<uint8_t>(7 * i + 3)};
    b.insert(b.end(), streams[i].begin(), streams[i].end());
    write(dir, "fuzz_resp", static_cast<int>(i), b);
  }
  std::printf("seed corpora written under %s\n", dir.c_str());
  return 0;
}
