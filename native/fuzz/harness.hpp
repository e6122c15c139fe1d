// The NF fuzzers' common driver: an Engine over a LocalStore with a fixed configuration, fed
// batches of frames split from the fuzz input, with invariants checked on every verdict.
//
// Input: [flags] then records [ctl][len_hi][len_lo][len bytes]...
//   flags: configuration variant (the target decides what its bits mean)
//   ctl bit 0: side the frame arrives on (0 inside, 1 outside)
//   ctl bit 1: the batch ends after this frame
//   ctl bit 2: the bytes describe a frame to build (see build()), else they are the frame
// Built frames draw addresses and ports from the configuration's own tables and from endpoints
// seen in earlier verdicts, so the fuzzer reaches NAT mappings and LB assignments, not only
// "no such flow".
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <vector>

#include "packet/rewrite.hpp"
#include "test/csum_verify.hpp"
#include "test/engine_fixture.hpp"

namespace fuzz {

using frames::Bytes;
using snf::Addr;

inline void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

struct Reader {
  const uint8_t* p;
  size_t n;
  uint8_t u8() {
    if (!n) return 0;
    n--;
    return *p++;
  }
  uint16_t u16() { return static_cast<uint16_t>(u8() << 8 | u8()); }
  uint32_t u32() { return static_cast<uint32_t>(u16()) << 16 | u16(); }
};

struct Endpoint {
  Addr a;
  uint16_t port;
};

// Addresses the fixture's tables know about, per family, plus strangers.
inline const std::vector<Addr>& addrs(bool v6) {
  static const std::vector<Addr> v4s = {
      frames::A("10.0.0.5"),     frames::A("10.0.0.22"),   frames::A("10.200.1.1"),  frames::A("203.0.113.9"),
      frames::A("198.51.100.1"), frames::A("198.51.100.2"), frames::A("192.0.2.10"),  frames::A("10.1.0.1"),
      frames::A("10.1.0.2"),     frames::A("10.1.0.3"),    frames::A("192.168.1.1"), frames::A("0.0.0.0")};
  static const std::vector<Addr> v6s = {
      frames::A("2001:db8:a::5"),  frames::A("2001:db8:ff::1"),  frames::A("2001:db8:c::9"),
      frames::A("2001:db8:b::10"), frames::A("2001:db8:b::100"), frames::A("2001:db8:b::101"),
      frames::A("fe80::1"),        frames::A("::")};
  return v6 ? v6s : v4s;
}

class Driver {
 public:
  explicit Driver(const snf::EngineCfg& cfg) : cfg_(cfg), engine_(fixture::engine(cfg)) {}

  // Runs the whole input; `check` sees each frame's input copy, its output and the verdict.
  template <typename Check>
  void run(Reader r, Check&& check) {
    std::vector<Bytes> batch;
    std::vector<snf::Side> sides;
    int frames_left = 256;
    while (r.n && frames_left-- > 0) {
      uint8_t ctl = r.u8();
      size_t len = r.u16() & 0x7ff;
      if (len > r.n) len = r.n;
      Reader body{r.p, len};
      r.p += len;
      r.n -= len;
      bool outside = ctl & 1;
      batch.push_back((ctl & 4) ? build(body) : Bytes(body.p, body.p + body.n));
      sides.push_back(outside ? snf::Side::Outside : snf::Side::Inside);
      if ((ctl & 2) || batch.size() == 64) flush(batch, sides, check);
    }
    flush(batch, sides, check);
    engine_->flush();
    snf::EngineCounters c = engine_->counters();
    require(c.rx == c.tx + c.dropped, "rx = tx + dropped");
    uint64_t sum = 0;
    for (uint64_t d : c.drops) sum += d;
    require(sum == c.dropped && c.drops[0] == 0, "drop counters add up");
  }

 private:
  // [sel][port] or [sel][port_hi >= 12][port_lo]; the bytes read do not depend on state, so a
  // description means the same layout whatever the fuzzer's history.
  Endpoint pick(Reader& r, bool v6) {
    uint8_t sel = r.u8();
    static const uint16_t ports[] = {22, 53, 80, 8080, 5353, 40000, 20000, 50000, 0, 65535, 443, 1024};
    uint8_t ps = r.u8();
    uint16_t port = ps < 12 ? ports[ps] : static_cast<uint16_t>(ps << 8 | r.u8());
    if (sel & 0x80) {
      // An endpoint from an earlier verdict, counting back from the newest: 0x80 is the last
      // forwarded frame's (rewritten) flow destination, 0x81 its flow source, 0x82 the one
      // before's destination... skipping endpoints of the other family.
      for (size_t k = sel & 0x7f; k < seen_.size(); k++)
        if (seen_[k].a.is_v4() == !v6) return seen_[k];
    }
    const auto& t = addrs(v6);
    return {t[sel % t.size()], port};
  }

  // A frame from a compact description: kind, endpoints, TCP flags and numbers, payload.
  Bytes build(Reader r) {
    // kind: bit 0 IPv6; bits 1-2 TCP, UDP, ICMP echo, ICMP echo; 0x20 quote only 8 L4 bytes;
    // 0x40 wrap in an ICMP error; 0x80 VLAN tag.
    uint8_t kind = r.u8();
    bool v6 = kind & 1;
    uint8_t l4 = (kind >> 1) & 3;
    Endpoint s = pick(r, v6), d = pick(r, v6);
    uint8_t flags = r.u8();
    uint32_t seq = r.u32(), ack = r.u32();
    Bytes payload(r.p, r.p + (r.n > 64 ? 64 : r.n));
    Bytes dg;
    switch (l4) {
      case 0: dg = frames::ip(s.a, d.a, 6, frames::tcp(s.port, d.port, flags & 0x3f, seq, ack, payload)); break;
      case 1: dg = frames::ip(s.a, d.a, 17, frames::udp(s.port, d.port, payload)); break;
      default: {
        // flags bit 0: a reply, which carries the id of the request it answers (the dst's "port").
        bool reply = flags & 1;
        uint8_t type = v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
        uint16_t id = reply ? d.port : s.port;
        dg = frames::ip(s.a, d.a, v6 ? 58 : 1, frames::echo(type, id, static_cast<uint16_t>(seq), payload));
      }
    }
    if (kind & 0x40) {
      // An ICMP error about `dg`, sent back to its source by some router.
      Endpoint router = pick(r, v6);
      size_t keep = (kind & 0x20) ? (v6 ? 48 : 28) : dg.size();
      if (keep > dg.size()) keep = dg.size();
      Bytes q(dg.begin(), dg.begin() + static_cast<long>(keep));
      dg = frames::ip(router.a, s.a, v6 ? 58 : 1, frames::icmp_error(v6 ? 1 : 3, v6 ? 4 : 3, q));
    }
    if (kind & 0x80) return frames::eth(dg, {0x8100});
    return frames::eth(dg);
  }

  template <typename Check>
  void flush(std::vector<Bytes>& batch, std::vector<snf::Side>& sides, Check&& check) {
    if (batch.empty()) return;
    std::vector<Bytes> before = batch;
    std::vector<snf::Frame> fs(batch.size());
    for (size_t i = 0; i < batch.size(); i++) {
      fs[i].data = batch[i].data();
      fs[i].len = static_cast<uint32_t>(batch[i].size());
      fs[i].in = sides[i];
    }
    engine_->process(fs.data(), fs.size());
    for (size_t i = 0; i < batch.size(); i++) {
      const snf::Frame& f = fs[i];
      Bytes orig = before[i];
      if (verbose()) {
        std::fprintf(stderr, "  %s %3zu bytes -> %s\n", f.in == snf::Side::Inside ? "in " : "out", orig.size(),
                     f.forward ? "forward" : snf::drop_name(f.reason));
      }
      snf::Packet p0;
      snf::Drop parsed = snf::parse_frame(orig.data(), static_cast<uint32_t>(orig.size()), p0);
      require(f.forward == (f.reason == snf::Drop::None), "forwarded iff no drop reason");
      require(static_cast<int>(f.reason) < static_cast<int>(snf::Drop::Count), "reason in range");
      if (parsed != snf::Drop::None) {
        require(!f.forward && f.reason == parsed, "unparsable frame dropped with the parser's reason");
        continue;
      }
      if (!f.forward) {
        require(f.out == f.in, "a drop stays on its side");
        continue;
      }
      require(f.out != f.in, "forwarded to the other side");
      snf::Packet p1;
      require(snf::parse_frame(batch[i].data(), static_cast<uint32_t>(batch[i].size()), p1) == snf::Drop::None,
              "forwarded frame still parses");
      require(p1.flow_proto() == p0.flow_proto() && p1.icmp_error == p0.icmp_error, "same kind of packet");
      std::map<std::string, bool> ok0;
      for (const auto& s : verify::sums(p0)) ok0[s.name] = s.ok();
      for (const auto& s : verify::sums(p1))
        if (ok0.count(s.name) && ok0[s.name]) require(s.ok(), "a valid checksum stays valid");
      check(orig, p0, batch[i], p1, f);
      // Remember both ends of what went through, for later frames to answer or reuse.
      remember({p1.flow_src(), p1.flow_sport()});
      remember({p1.flow_dst(), p1.flow_dport()});
    }
    batch.clear();
    sides.clear();
  }

  // SNF_FUZZ_VERBOSE=1 prints every verdict: to see what a seed or a crash input does.
  static bool verbose() {
    static const bool v = std::getenv("SNF_FUZZ_VERBOSE") != nullptr;
    return v;
  }

  void remember(const Endpoint& e) {
    seen_.push_front(e);
    if (seen_.size() > 64) seen_.pop_back();
  }

  snf::EngineCfg cfg_;
  std::unique_ptr<snf::Engine> engine_;
  std::deque<Endpoint> seen_;
};

}  // namespace fuzz
