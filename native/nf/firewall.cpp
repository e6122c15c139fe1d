#include "firewall.hpp"

#include "keys.hpp"

namespace snf {

// States: SS syn sent, SR syn-ack seen, ES established, FO / FR FIN from the initiator /
// responder, CL both FINs (time-wait), RS reset; U UDP, I ICMP pseudo-connection.

Firewall::Conn Firewall::Conn::parse(const std::string& v) {
  Conn c;
  Fields f = split(v);
  c.state = f.str(0);
  if (f.count > 1 && f.n[1]) c.dir = f.p[1][0];
  if (f.count > 2 && f.n[2]) c.init = f.p[2][0];
  c.isn_i = static_cast<uint32_t>(f.num(3));
  c.isn_r = static_cast<uint32_t>(f.num(4));
  c.stamp = f.num(5);
  return c;
}

std::string Firewall::Conn::str() const {
  std::string s = state;
  s += '|';
  s += dir;
  s += '|';
  s += init;
  s += '|';
  append_num(s, isn_i);
  s += '|';
  append_num(s, isn_r);
  s += '|';
  append_num(s, stamp);
  return s;
}

void Firewall::configure(const EngineCfg& cfg) {
  vnf_ = cfg.vnf;
  cfg_ = cfg.fw;
  t_ = cfg.t;
}

int64_t Firewall::ttl(uint8_t proto, const std::string& st) const {
  if (proto == PROTO_UDP) return t_.udp_ms;
  if (proto != PROTO_TCP) return t_.icmp_ms;
  if (st == "ES") return t_.tcp_established_ms;
  if (st == "CL" || st == "RS") return t_.tcp_closed_ms;
  return t_.tcp_transitory_ms;
}

void Firewall::canonical_key(std::string& k, const Packet& p, bool& src_is_a) const {
  const Addr& s = p.flow_src();
  const Addr& d = p.flow_dst();
  uint16_t sp = p.flow_sport(), dp = p.flow_dport();
  src_is_a = s < d || (s == d && sp <= dp);
  const Addr& a = src_is_a ? s : d;
  const Addr& b = src_is_a ? d : s;
  k.assign("snf:");
  k += vnf_;
  k += ":fw:{";
  k += vnf_;
  k += '|';
  append_num(k, p.flow_proto());
  k += '|';
  append_addr(k, a);
  k += '|';
  append_num(k, src_is_a ? sp : dp);
  k += '|';
  append_addr(k, b);
  k += '|';
  append_num(k, src_is_a ? dp : sp);
  k += '}';
}

namespace {
bool in_ranges(const std::vector<PortRange>& r, uint16_t port) {
  if (r.empty()) return true;
  for (const auto& pr : r)
    if (port >= pr.first && port <= pr.second) return true;
  return false;
}
bool in_prefixes(const std::vector<Prefix>& ps, const Addr& a) {
  if (ps.empty()) return true;
  for (const auto& p : ps)
    if (p.contains(a)) return true;
  return false;
}
// Sequence sanity for RST without per-packet store writes: the RST must lie in the half of
// sequence space ahead of the sender's initial sequence number.
bool ahead_of(uint32_t seq, uint32_t isn) { return static_cast<uint32_t>(seq - isn) < 0x80000000u; }
// An ACK in SR from either side must acknowledge the other's SYN: at least its ISN + 1, and
// at most a send window's worth of data past it (2^30 bytes, RFC 7323's largest window).
// Exactly ISN + 1 is the handshake's own ACK; more is a later segment that acknowledges data
// (the responder may send once it has the handshake's ACK, before this instance, or another,
// has stored ES).
bool acks_syn(uint32_t ack, uint32_t isn) { return static_cast<uint32_t>(ack - (isn + 1)) < (1u << 30); }
}  // namespace

bool Firewall::rules_allow(const Slot& s) const {
  const Packet& p = s.pkt;
  uint8_t proto = p.flow_proto();
  bool l4ports = proto == PROTO_TCP || proto == PROTO_UDP;
  int dir = s.in == Side::Inside ? 1 : 2;
  for (const FwRule& r : cfg_.rules) {
    if (r.dir && r.dir != dir) continue;
    if (r.proto >= 0) {
      bool icmp = proto == PROTO_ICMP || proto == PROTO_ICMPV6;
      if (r.proto == PROTO_ICMP ? !icmp : r.proto != proto) continue;
    }
    if (!in_prefixes(r.src, p.flow_src()) || !in_prefixes(r.dst, p.flow_dst())) continue;
    if (!r.sports.empty() || !r.dports.empty()) {
      if (!l4ports || !in_ranges(r.sports, p.flow_sport()) || !in_ranges(r.dports, p.flow_dport())) continue;
    }
    return r.allow;
  }
  return cfg_.default_allow;
}

// The packets decide() lets open a connection when none exists (a pure SYN, UDP, an ICMP echo
// request), and only if the rules allow them.
bool Firewall::admits_new(const Slot& s) const {
  const Packet& p = s.pkt;
  if (p.icmp_error) return false;
  uint8_t proto = p.flow_proto();
  if (proto == PROTO_TCP) {
    if ((p.tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) != TCP_SYN) return false;
  } else if (proto != PROTO_UDP) {
    if (p.icmp_type != 8 && p.icmp_type != 128) return false;
  }
  return rules_allow(s);
}

Firewall::Step Firewall::tcp_step(const Conn& c, bool orig, const Packet& p) {
  Step s;
  uint8_t f = p.tcp_flags;
  bool syn = f & TCP_SYN, ack = f & TCP_ACK, fin = f & TCP_FIN, rst = f & TCP_RST;
  const std::string& st = c.state;
  bool pure_syn = syn && !ack && !rst && !fin;
  if (rst) {
    bool ok;
    if (st == "SS") ok = !orig && ack && p.ack == c.isn_i + 1;
    else if (st == "RS") ok = false;
    else ok = orig ? ahead_of(p.seq, c.isn_i) : (st == "SR" || ahead_of(p.seq, c.isn_r));
    if (ok) {
      s.forward = true;
      s.next = "RS";
    }
    return s;
  }
  if (st == "SS") {
    if (orig && pure_syn) s.forward = true;  // retransmitted SYN
    else if (!orig && syn && ack && !fin && p.ack == c.isn_i + 1) {
      s.forward = true;
      s.next = "SR";
      s.isn_r = p.seq;
    }
    return s;
  }
  if (st == "SR") {
    // As Linux conntrack does (SYN_RECV): the initiator's ACK establishes the connection, and
    // the responder's ACKs and data pass without changing it. So SR admits every segment ES
    // admits but the responder's FIN, and the SR -> ES write is posted, not waited for: lost,
    // the connection stays SR and the initiator's next segment (every one carries an ACK)
    // establishes it again.
    if (!orig && syn && ack) s.forward = p.ack == c.isn_i + 1;  // retransmitted SYN-ACK
    else if (orig && pure_syn) s.forward = true;
    else if (orig && ack && !syn && acks_syn(p.ack, c.isn_r)) {
      s.forward = true;
      s.next = fin ? "FO" : "ES";
    } else if (!orig && ack && !syn && !fin && acks_syn(p.ack, c.isn_i)) {
      s.forward = true;
    }
    return s;
  }
  if (st == "ES" || st == "FO" || st == "FR") {
    if (syn) {
      // A lost final ACK makes the responder repeat its SYN-ACK: let it through unchanged.
      s.forward = !orig && ack;
      return s;
    }
    s.forward = true;
    if (fin) {
      if (st == "ES") s.next = orig ? "FO" : "FR";
      else if ((st == "FO" && !orig) || (st == "FR" && orig)) s.next = "CL";
    }
    return s;
  }
  if (st == "CL" || st == "RS") {
    if (orig && pure_syn) {
      s.reopen = true;  // port reuse after close: a new connection
      return s;
    }
    // Only the last ACKs (and FIN retransmits) of the close: no new data on a closed connection.
    s.forward = st == "CL" && !syn && p.tcp_payload == 0;
    return s;
  }
  return s;
}

// The entry a packet that opens a connection installs (admits_new says which packets may).
Firewall::Conn Firewall::opening(const Slot& s, bool src_is_a, int64_t now) const {
  const Packet& p = s.pkt;
  uint8_t proto = p.flow_proto();
  Conn n;
  n.state = proto == PROTO_TCP ? "SS" : (proto == PROTO_UDP ? "U" : "I");
  n.dir = s.in == Side::Inside ? 'o' : 'i';
  n.init = src_is_a ? 'A' : 'B';
  n.isn_i = proto == PROTO_TCP ? p.seq : 0;
  n.stamp = now;
  return n;
}

// A CAS call (scripts.cpp): `key` becomes `value` if its state is `expected` ('' = absent).
void Firewall::queue_cas(Cmd& w, const std::string& key, const std::string& expected, const std::string& value,
                         int64_t ttl_ms) {
  w.call(ScriptId::Cas);
  w.keys.assign(1, key);
  w.args.resize(3);
  w.args[0] = expected;
  w.args[1] = value;
  w.args[2].clear();
  append_num(w.args[2], ttl_ms);
}

void Firewall::lookup(std::vector<Slot>& b, const std::vector<uint32_t>& idx, CmdQueue& reads) {
  if (pend_.size() < b.size()) pend_.resize(b.size());
  overlay_.clear();
  int64_t now = 0;  // read once, when a create on read needs a stamp
  for (uint32_t i : idx) {
    Slot& s = b[i];
    Pending& pd = pend_[i];
    pd.read = pd.write = -1;
    pd.early = false;
    pd.wrote.clear();
    stats.packets++;
    bool src_is_a;
    canonical_key(pd.key, s.pkt, src_is_a);
    pd.from_init = src_is_a;  // provisional: corrected against the entry's `init`
    pd.read = static_cast<int32_t>(reads.size());
    Cmd& c = reads.add(static_cast<int32_t>(i));
    // Create on read, as NAT does (native/store/README.md): a connection this packet would open
    // if none existed, whose key the coherent cache does not hold and that this instance has not
    // tried to create lately, is most likely new. Its create-if-absent goes out in place of the
    // read: it returns the entry it found untouched, or the one it made, one round trip instead
    // of a read that misses and then the creating write.
    if (create_on_read && (!create_gate || create_gate->admits_new(s)) && admits_new(s) &&
        create_on_read->cache_miss(pd.key) && !created_->test_and_mark(pd.key)) {
      if (now == 0) now = now_ms();
      pd.early = true;
      Conn n = opening(s, src_is_a, now);
      pd.wrote = n.str();
      queue_cas(c, pd.key, std::string(), pd.wrote, ttl(s.pkt.flow_proto(), n.state));
    } else {
      c.get(pd.key);
    }
  }
}

void Firewall::decide(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& reads,
                      CmdQueue& writes, CmdQueue& deferred) {
  int64_t now = now_ms();
  for (uint32_t i : idx) {
    Slot& s = b[i];
    Pending& pd = pend_[i];
    if (!s.alive()) continue;
    const Reply& r = reads[pd.read];
    if (r.type == Reply::Unavailable || r.type == Reply::Err) {
      s.kill(Drop::StoreUnavailable);  // fail closed
      continue;
    }
    const Packet& p = s.pkt;
    uint8_t proto = p.flow_proto();
    if (pd.early && r.type == Reply::Str && r.s == pd.wrote && overlay_.find(pd.key) == overlay_.end()) {
      // Made, not found: the store held this packet's connection before decide (write before
      // forward), and later packets of it here judge against it.
      pd.from_init = true;
      overlay_[pd.key] = pd.wrote;
      stats.new_flows++;
      continue;
    }
    bool src_is_a = pd.from_init;
    auto ov = overlay_.find(pd.key);
    const std::string* val = ov != overlay_.end() ? &ov->second : (r.type == Reply::Str ? &r.s : nullptr);
    bool exists = val && !val->empty();
    Conn c = exists ? Conn::parse(*val) : Conn{};
    bool orig = exists ? ((c.init == 'A') == src_is_a) : true;
    pd.from_init = orig;
    if (exists) {
      // A connection opened from the inside has its initiator's packets arrive inside and its
      // responder's outside (and the reverse for one opened from outside). A packet carrying a
      // tracked tuple on the wrong side is spoofed: it belongs to no connection.
      bool opened_inside = c.dir == 'o';
      bool arrived_inside = s.in == Side::Inside;
      if ((orig == opened_inside) != arrived_inside) {
        s.kill(Drop::FwNoConnection);
        continue;
      }
    }

    Step st;
    bool create = false;
    if (!exists) {
      if (p.icmp_error) {
        s.kill(Drop::FwNoConnection);
        continue;
      }
      if (proto == PROTO_TCP) {
        bool pure_syn = (p.tcp_flags & (TCP_SYN | TCP_ACK | TCP_RST | TCP_FIN)) == TCP_SYN;
        if (!pure_syn) {
          s.kill(Drop::FwNoConnection);
          continue;
        }
      } else if (proto != PROTO_UDP) {
        // ICMP: only a request opens a pseudo-connection; a reply needs one.
        bool request = p.icmp_type == 8 || p.icmp_type == 128;
        if (!request) {
          s.kill(Drop::FwNoConnection);
          continue;
        }
      }
      create = true;
    } else if (p.icmp_error) {
      st.forward = true;  // related to a tracked connection; changes nothing
    } else if (proto == PROTO_TCP) {
      st = tcp_step(c, orig, p);
      if (st.reopen) create = true;
      else if (!st.forward) {
        s.kill(st.why);
        continue;
      }
    } else {
      st.forward = true;
    }

    if (create) {
      if (!rules_allow(s)) {
        s.kill(Drop::FwRuleDeny);
        continue;
      }
      Conn n = opening(s, src_is_a, now);
      pd.from_init = true;
      pd.wrote = n.str();
      pd.write = static_cast<int32_t>(writes.size());
      queue_cas(writes.add(static_cast<int32_t>(i)), pd.key, exists ? c.state : std::string(), pd.wrote, ttl(proto, n.state));
      overlay_[pd.key] = pd.wrote;
      stats.new_flows++;
      continue;
    }
    if (!st.next.empty() && st.next != c.state) {
      Conn n = c;
      n.state = st.next;
      if (st.next == "SR") n.isn_r = st.isn_r;
      n.stamp = now;
      pd.wrote = n.str();
      // The opening SS -> SR admits packets SS refuses (the initiator's ACK, checked against
      // the responder's ISN it records): the next packet of the flow, at any instance, needs
      // it, so this packet waits for the write. SR -> ES / FO admits nothing SR refuses but the
      // responder's FIN (tcp_step), and lost it is written again by the initiator's next
      // segment. A closing (FIN, RST) only narrows what is admitted and shortens the TTL.
      // Nothing depends on those, and lost with a dying instance they leave the connection in
      // the state that admitted this packet. They are queued with the writes, in packet order
      // (a SYN reopening the connection after this RST must find RS), but nobody waits for
      // them (owner -1).
      // Posted, the cache takes the value written (Cmd::through): the flow's next packets are
      // judged by the new state without a read, and the refill (the script's reply) confirms
      // it, or brings what another instance wrote first.
      bool opening = c.state == "SS" && st.next == "SR";
      if (opening) pd.write = static_cast<int32_t>(writes.size());
      Cmd& w = writes.add(opening ? static_cast<int32_t>(i) : -1);
      queue_cas(w, pd.key, c.state, pd.wrote, ttl(proto, n.state));
      w.through = 1;
      overlay_[pd.key] = pd.wrote;
    } else if (!p.icmp_error && now - c.stamp >= t_.refresh_after(ttl(proto, c.state)) && ov == overlay_.end()) {
      Conn n = c;
      n.stamp = now;
      Cmd& w = deferred.add(-1);
      queue_cas(w, pd.key, c.state, n.str(), ttl(proto, n.state));
      w.through = 1;
    }
  }
}

void Firewall::commit(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& writes) {
  for (uint32_t i : idx) {
    Slot& s = b[i];
    Pending& pd = pend_[i];
    if (s.alive() && pd.write >= 0) {
      const Reply& r = writes[pd.write];
      Drop d = write_outcome(r, nullptr, Drop::StoreUnavailable, Drop::FwNoConnection);
      if (d != Drop::None) {
        s.kill(d);
      } else if (r.s != pd.wrote) {
        // Another instance moved the connection first: judge the packet against what the
        // store holds now, without writing again.
        Conn now = Conn::parse(r.s);
        Conn mine = Conn::parse(pd.wrote);
        if (now.state != mine.state) {
          if (s.pkt.flow_proto() != PROTO_TCP) {
            // UDP / ICMP pseudo-connections have one state: someone else created it.
          } else {
            bool orig = pd.from_init;
            Step st = tcp_step(now, orig, s.pkt);
            if (!st.forward || (!st.next.empty() && st.next != now.state)) s.kill(Drop::FwBadTcpState);
          }
        }
      }
    }
    if (s.alive()) stats.forwarded++;
    else stats.dropped++;
  }
}

}  // namespace snf
