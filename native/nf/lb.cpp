#include "lb.hpp"

#include "../packet/rewrite.hpp"
#include "keys.hpp"
#include "maglev.hpp"

namespace snf {

// Assignment states: S opening, E established (the backend answered), F closing, U UDP.

void Lb::configure(const EngineCfg& cfg) {
  vnf_ = cfg.vnf;
  cfg_ = cfg.lb;
  t_ = cfg.t;
  if (cfg_.buckets < 1) cfg_.buckets = 1;
  for (LbVip& v : cfg_.vips) v.maglev = cfg_.maglev ? maglev_table(v.backends, cfg_.table_size) : std::vector<int32_t>{};
}

int64_t Lb::ttl(uint8_t proto, char state) const {
  if (proto == PROTO_UDP) return t_.udp_ms;
  switch (state) {
    case 'E': return t_.tcp_established_ms;
    case 'R': return t_.tcp_closed_ms;
    default: return t_.tcp_transitory_ms;
  }
}

int Lb::bucket(uint8_t proto, const Addr& client, uint16_t port) const {
  return static_cast<int>(hash_endpoint(proto, client, port) % cfg_.buckets);
}

void Lb::tag(std::string& k, int bkt) const {
  k += '{';
  k += vnf_;
  k += '|';
  append_num(k, bkt);
  k += '}';
}

void Lb::flow_id(std::string& s, uint8_t proto, const Addr& c, uint16_t cport, const LbVip& v) const {
  append_num(s, proto);
  s += '|';
  append_addr(s, c);
  s += '|';
  append_num(s, cport);
  s += '|';
  s += v.id;
}

void Lb::fwd_key(std::string& k, int bkt, uint8_t proto, const Addr& c, uint16_t cport, const LbVip& v) const {
  k.assign("snf:");
  k += vnf_;
  k += ":lb:f:";
  tag(k, bkt);
  k += ':';
  flow_id(k, proto, c, cport, v);
}

void Lb::rev_key(std::string& k, int bkt, uint8_t proto, const Addr& c, uint16_t cport, const LbBackend& be,
                 const LbVip& v) const {
  k.assign("snf:");
  k += vnf_;
  k += ":lb:r:";
  tag(k, bkt);
  k += ':';
  append_num(k, proto);
  k += '|';
  append_addr(k, c);
  k += '|';
  append_num(k, cport);
  k += '|';
  append_addr(k, be.addr);
  k += '|';
  append_num(k, be.port ? be.port : v.port);
}

void Lb::load_prefix(std::string& k, int bkt, const LbVip& v) const {
  k.assign("snf:");
  k += vnf_;
  k += ":lb:l:";
  tag(k, bkt);
  k += ':';
  k += v.id;
  k += ':';
}

int Lb::find_backend(const LbVip& v, const std::string& id) const {
  for (size_t i = 0; i < v.backends.size(); i++)
    if (v.backends[i].id == id) return static_cast<int>(i);
  return -1;
}

void Lb::queue_update(Cmd& c, const Slot& s, const LbVip& v, const LbBackend& be, const Addr& client,
                      uint16_t cport, char state, int64_t now) const {
  uint8_t proto = s.pkt.flow_proto();
  int bkt = bucket(proto, client, cport);
  c.call(ScriptId::LbUpdate);
  c.keys.resize(3);
  fwd_key(c.keys[0], bkt, proto, client, cport, v);
  rev_key(c.keys[1], bkt, proto, client, cport, be, v);
  load_prefix(c.keys[2], bkt, v);
  c.keys[2] += be.id;
  c.args.resize(6);
  c.args[0] = be.id;
  c.args[0] += '|';
  c.args[1] = c.args[0];
  c.args[1] += state;
  c.args[1] += '|';
  append_num(c.args[1], now);
  c.args[2] = v.id;
  c.args[2] += '|';
  c.args[2] += be.id;
  c.args[2] += '|';
  c.args[2] += state;  // read back by the backend's side (decide)
  c.args[3].clear();
  append_num(c.args[3], ttl(proto, state));
  c.args[4].clear();
  flow_id(c.args[4], proto, client, cport, v);
  c.args[5].clear();
  append_num(c.args[5], now);
  c.through = 1;  // posted (every lb_update is), the cache takes args 1 and 2 for keys 0 and 1
}

// The state-dependent arguments of an LB_ASSIGN call (see scripts.cpp): the TTL and the
// forward value's "|state|stamp" suffix.
void Lb::assign_state(Cmd& c, uint8_t proto, char st, int64_t now) const {
  c.args[3].clear();
  append_num(c.args[3], ttl(proto, st));
  c.args[4] = "|";
  c.args[4] += st;
  c.args[4] += '|';
  append_num(c.args[4], now);
}

Lb::Update* Lb::queued(int vip, uint8_t proto, const Addr& client, uint16_t cport) {
  for (Update& u : updates_)
    if (u.vip == vip && u.proto == proto && u.cport == cport && u.client == client) return &u;
  return nullptr;
}

char Lb::queued_state(int vip, uint8_t proto, const Addr& client, uint16_t cport) {
  const Update* u = queued(vip, proto, client, cport);
  return u ? u->st : 0;
}

void Lb::note_update(int vip, uint8_t proto, const Addr& client, uint16_t cport, char st) {
  if (Update* u = queued(vip, proto, client, cport)) u->st = st;
  else updates_.push_back({vip, proto, cport, client, st});
}

// The slot whose queued assignment covers this client packet's flow (same VIP, protocol,
// client address and port), or -1.
int32_t Lb::leader_of(const std::vector<Slot>& b, const Slot& s, int vip) const {
  const Packet& p = s.pkt;
  for (uint32_t j : assigns_) {
    const Packet& q = b[j].pkt;
    if (pend_[j].vip == vip && q.flow_proto() == p.flow_proto() && q.flow_sport() == p.flow_sport() &&
        q.flow_src() == p.flow_src())
      return static_cast<int32_t>(j);
  }
  return -1;
}

void Lb::lookup(std::vector<Slot>& b, const std::vector<uint32_t>& idx, CmdQueue& reads) {
  if (pend_.size() < b.size()) pend_.resize(b.size());
  int64_t now = 0;  // read once, when a create on read needs a stamp
  for (uint32_t i : idx) {
    Slot& s = b[i];
    Pending& pd = pend_[i];
    pd = Pending{};
    stats.packets++;
    const Packet& p = s.pkt;
    uint8_t proto = p.flow_proto();
    if (s.in == Side::Outside) {
      for (size_t v = 0; v < cfg_.vips.size(); v++) {
        const LbVip& vip = cfg_.vips[v];
        if (vip.proto == proto && vip.port == p.flow_dport() && vip.addr == p.flow_dst()) {
          pd.vip = static_cast<int>(v);
          break;
        }
      }
      if (pd.vip < 0) {
        s.kill(Drop::LbNoVip);
        continue;
      }
      const LbVip& vip = cfg_.vips[pd.vip];
      pd.read = static_cast<int32_t>(reads.size());
      Cmd& c = reads.add(static_cast<int32_t>(i));
      c.get("");
      fwd_key(c.keys[0], bucket(proto, p.flow_src(), p.flow_sport()), proto, p.flow_src(), p.flow_sport(), vip);
      // Create on read, as NAT does (native/store/README.md): the find-or-create script in place
      // of a read the coherent cache would miss, for a flow this instance has not tried to
      // create lately. Not for a RST or an ICMP error (those never create).
      bool rst = proto == PROTO_TCP && (p.tcp_flags & TCP_RST);
      if (create_on_read && (!create_gate || create_gate->admits_new(s)) && !rst && !p.icmp_error &&
          create_on_read->cache_miss(c.keys[0]) && !created_->test_and_mark(c.keys[0]) && candidates(s, vip)) {
        if (now == 0) now = now_ms();
        pd.early = true;
        pd.st = proto == PROTO_TCP ? 'S' : 'U';
        pd.stamp = now;
        queue_assign(c, s, vip, pd.st, false, now);
      }
    } else {
      for (size_t v = 0; v < cfg_.vips.size() && pd.vip < 0; v++) {
        const LbVip& vip = cfg_.vips[v];
        if (vip.proto != proto) continue;
        for (size_t k = 0; k < vip.backends.size(); k++) {
          const LbBackend& be = vip.backends[k];
          if (be.addr == p.flow_src() && (be.port ? be.port : vip.port) == p.flow_sport()) {
            pd.vip = static_cast<int>(v);
            pd.backend = static_cast<int>(k);
            break;
          }
        }
      }
      if (pd.vip < 0) {
        s.kill(Drop::LbNoVip);
        continue;
      }
      const LbVip& vip = cfg_.vips[pd.vip];
      pd.read = static_cast<int32_t>(reads.size());
      Cmd& c = reads.add(static_cast<int32_t>(i));
      c.get("");
      rev_key(c.keys[0], bucket(proto, p.flow_dst(), p.flow_dport()), proto, p.flow_dst(), p.flow_dport(),
              vip.backends[pd.backend], vip);
    }
  }
}

void Lb::decide(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& reads,
                CmdQueue& writes, CmdQueue& deferred) {
  int64_t now = now_ms();
  assigns_.clear();
  updates_.clear();
  for (uint32_t i : idx) {
    Slot& s = b[i];
    Pending& pd = pend_[i];
    if (!s.alive() || pd.read < 0) continue;
    const Reply& r = reads[pd.read];
    if (pd.early) {
      // The assignment went out as this packet's read: its reply is the assignment, or why not.
      Drop d = write_outcome(r, "nobackend", Drop::LbNoBackend, Drop::LbNoBackend);
      if (d != Drop::None) {
        s.kill(d);
        continue;
      }
    } else if (r.type == Reply::Unavailable || r.type == Reply::Err) {
      s.kill(Drop::StoreUnavailable);
      continue;
    }
    Packet& p = s.pkt;
    uint8_t proto = p.flow_proto();
    const LbVip& vip = cfg_.vips[pd.vip];
    bool tcp = proto == PROTO_TCP;
    char closing = !tcp || p.icmp_error ? 0 : ((p.tcp_flags & TCP_RST) ? 'R' : ((p.tcp_flags & TCP_FIN) ? 'F' : 0));

    if (s.in == Side::Inside) {  // backend -> client: back to the VIP
      if (r.type != Reply::Str) {
        s.kill(Drop::LbNoBackend);
        continue;
      }
      Fields f = split(r.s);
      if (f.str(0) != vip.id || f.str(1) != vip.backends[pd.backend].id) {
        s.kill(Drop::LbNoBackend);
        continue;
      }
      Addr client = p.flow_dst();
      uint16_t cport = p.flow_dport();
      rewrite_flow_src(p, vip.addr, vip.port);
      if (tcp && !p.icmp_error && (closing || (p.tcp_flags & TCP_SYN))) {
        // The flow's state as known here: what this batch queued for it already (the client's
        // FIN may be in the same batch), else what the reverse value carries (an lb_update
        // writes it, an assignment does not: 0); this side reads no forward value. An update
        // that would leave the state as it is (the backend's FIN after the client's, a repeated
        // SYN-ACK, a FIN after a RST) is skipped, as the client's side skips one: a third of
        // the replay's lb_updates were such (bench/RESULTS.md).
        char q = queued_state(pd.vip, proto, client, cport);
        char known = q ? q : (f.count > 2 && f.n[2] == 1 ? f.p[2][0] : 0);
        char nx = closing ? closing : 'E';
        if (nx == known || (closing && known == 'R')) continue;
        // Queued with the writes in packet order, and nobody waits for it (owner -1): no
        // packet's verdict or backend depends on it. The backend's SYN-ACK establishes the
        // flow: E only lengthens the assignment's TTL (transitory to established). Lost with a
        // dying instance, the flow stays S, which its traffic refreshes, and the client's next
        // packet a refresh interval on writes E again (below). A FIN / RST only shortens the
        // TTL (lost, the assignment keeps its longer one). Every posted lb_update puts its
        // values in the cache (Cmd::through: forward and reverse, arguments 1 and 2; the load
        // key is never cached), so the flow's next packets pay no read for it.
        const LbBackend& bk = vip.backends[pd.backend];
        Cmd& w = writes.add(-1);
        queue_update(w, s, vip, bk, client, cport, nx, now);
        note_update(pd.vip, proto, client, cport, nx);
      }
      continue;
    }

    // client -> VIP
    int be = -1;
    char cur = 'S';
    int64_t stamp = 0;
    if (r.type == Reply::Str) {
      Fields f = split(r.s);
      be = find_backend(vip, f.str(0));
      cur = f.n[1] ? f.p[1][0] : 'S';
      stamp = f.num(2);
    }
    if (be >= 0) {
      const LbBackend& bk = vip.backends[be];
      // The reverse key (below) names the client, the source this rewrite leaves alone.
      rewrite_flow_dst(p, bk.addr, bk.port ? bk.port : vip.port);
      if (pd.early && stamp == pd.stamp && cur == pd.st) {
        // Made, not found: the store held it before decide. The creating packet writes nothing
        // more, as when its assignment is a write of its own. The reverse key the script chose
        // among the candidates' is not declared, so its reply cannot warm the cache for it
        // (Redis tracks only declared keys for a script's caller): a posted GET does, and its
        // value is the one the assignment wrote ("vip|backend", Cmd::through), which the cache
        // answers with at once, so the backend's first reply finds it.
        stats.new_flows++;
        Cmd& g = deferred.add(-1);
        g.get("");
        rev_key(g.keys[0], bucket(proto, p.flow_src(), p.flow_sport()), proto, p.flow_src(), p.flow_sport(), bk, vip);
        g.args.assign(1, vip.id);
        g.args[0] += '|';
        g.args[0] += bk.id;
        g.through = 0;
        continue;
      }
      // The state this batch already queued for the flow, if any, counts over the one read.
      char q = queued_state(pd.vip, proto, p.flow_src(), p.flow_sport());
      char base = q ? q : cur;
      char nx = closing && base != 'R' ? closing : base;
      if (nx != base) {
        // A client's FIN / RST: a closing, nobody waiting, like the backend's.
        queue_update(writes.add(-1), s, vip, bk, p.flow_src(), p.flow_sport(), nx, now);
        note_update(pd.vip, proto, p.flow_src(), p.flow_sport(), nx);
      } else if (q) {
        // Written in this batch already: no refresh on top of it.
      } else if (tcp && cur == 'S' && !(p.tcp_flags & TCP_SYN) && now - stamp >= t_.refresh_ms) {
        // Still S a refresh interval after the SYN, and the client is past its handshake:
        // the SYN-ACK's E was lost with an instance that died (or the cache is that far
        // behind); write it again, as a refresh.
        queue_update(deferred.add(-1), s, vip, bk, p.flow_src(), p.flow_sport(), 'E', now);
        note_update(pd.vip, proto, p.flow_src(), p.flow_sport(), 'E');
      } else if (now - stamp >= t_.refresh_after(ttl(proto, cur))) {
        queue_update(deferred.add(-1), s, vip, bk, p.flow_src(), p.flow_sport(), cur, now);
        note_update(pd.vip, proto, p.flow_src(), p.flow_sport(), cur);
      }
      continue;
    }
    // A later packet of a flow whose first packet in this batch already queued the
    // assignment: one write per flow, its state change (a RST behind the SYN) folded into it,
    // and the packet leaves with that backend once the store holds it.
    int32_t lead = leader_of(b, s, pd.vip);
    if (lead >= 0) {
      Pending& ld = pend_[lead];
      pd.follow = lead;
      char nx = closing && ld.st != 'R' ? closing : ld.st;
      if (nx != ld.st) {
        ld.st = nx;
        assign_state(writes.at(static_cast<size_t>(ld.write)), proto, nx, now);
      }
      continue;
    }
    if (p.icmp_error || (tcp && (p.tcp_flags & TCP_RST))) {
      s.kill(Drop::LbNoBackend);
      continue;
    }
    // New flow (or its backend left the pool): one script picks and records the backend.
    if (!candidates(s, vip)) {
      s.kill(Drop::LbNoBackend);
      continue;
    }
    pd.st = tcp ? 'S' : 'U';
    pd.assign = true;
    assigns_.push_back(i);
    pd.write = static_cast<int32_t>(writes.size());
    queue_assign(writes.add(static_cast<int32_t>(i)), s, vip, pd.st, r.type == Reply::Str, now);
  }
}

// The backends a new flow of this client packet may get (cand_): false when the VIP has none to
// offer (all drained or weight 0, or an empty Maglev table).
bool Lb::candidates(const Slot& s, const LbVip& vip) {
  const Packet& p = s.pkt;
  uint8_t proto = p.flow_proto();
  cand_.clear();
  if (cfg_.maglev) {
    if (!vip.maglev.empty()) {
      uint8_t buf[40];
      for (int k = 0; k < 16; k++) buf[k] = p.flow_src().b[k];
      for (int k = 0; k < 16; k++) buf[16 + k] = p.flow_dst().b[k];
      buf[32] = static_cast<uint8_t>(p.flow_sport() >> 8);
      buf[33] = static_cast<uint8_t>(p.flow_sport());
      buf[34] = proto;
      int32_t pick = vip.maglev[hash_bytes(buf, 35) % vip.maglev.size()];
      if (pick >= 0) cand_.push_back(pick);
    }
  } else {
    for (size_t k = 0; k < vip.backends.size(); k++)
      if (!vip.backends[k].drained && vip.backends[k].weight > 0) cand_.push_back(static_cast<int>(k));
  }
  return !cand_.empty();
}

// An LB_ASSIGN call (scripts.cpp) for the flow over the candidates() just found, creating it in
// state `st`; `replace`: overwrite an assignment whose backend left the pool.
void Lb::queue_assign(Cmd& c, const Slot& s, const LbVip& vip, char st, bool replace, int64_t now) const {
  const Packet& p = s.pkt;
  uint8_t proto = p.flow_proto();
  const Addr& client = p.flow_src();
  uint16_t cport = p.flow_sport();
  int bkt = bucket(proto, client, cport);
  c.call(ScriptId::LbAssign);
  c.keys.resize(2);
  fwd_key(c.keys[0], bkt, proto, client, cport, vip);
  load_prefix(c.keys[1], bkt, vip);
  c.args.resize(7 + 3 * cand_.size());
  c.args[0] = cfg_.maglev ? "fixed" : "wlc";
  c.args[1].clear();
  flow_id(c.args[1], proto, client, cport, vip);
  c.args[2].clear();
  append_num(c.args[2], now);
  assign_state(c, proto, st, now);
  c.args[5] = vip.id;
  c.args[5] += '|';
  c.args[6] = replace ? "1" : "0";
  for (size_t k = 0; k < cand_.size(); k++) {
    const LbBackend& bk = vip.backends[cand_[k]];
    c.args[7 + 3 * k] = bk.id;
    c.args[8 + 3 * k].clear();
    append_num(c.args[8 + 3 * k], bk.weight);
    rev_key(c.args[9 + 3 * k], bkt, proto, client, cport, bk, vip);
  }
}

void Lb::commit(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& writes) {
  for (uint32_t i : idx) {
    Slot& s = b[i];
    Pending& pd = pend_[i];
    // A follower rides on its leader's assignment: the same store answer decides both.
    int32_t w = pd.follow >= 0 ? pend_[pd.follow].write : pd.write;
    if (s.alive() && w >= 0) {
      const Reply& r = writes[w];
      Drop d = write_outcome(r, "nobackend", Drop::LbNoBackend, Drop::LbNoBackend);
      if (d != Drop::None) {
        s.kill(d);
      } else if (pd.assign || pd.follow >= 0) {
        const LbVip& vip = cfg_.vips[pd.vip];
        int be = find_backend(vip, split(r.s).str(0));
        if (be < 0) {
          s.kill(Drop::LbNoBackend);
        } else {
          const LbBackend& bk = vip.backends[be];
          rewrite_flow_dst(s.pkt, bk.addr, bk.port ? bk.port : vip.port);
          if (pd.assign) stats.new_flows++;  // flows, not packets
        }
      }
    }
    if (s.alive()) stats.forwarded++;
    else stats.dropped++;
  }
}

}  // namespace snf
