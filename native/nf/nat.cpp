#include "nat.hpp"

#include <algorithm>

#include "../packet/rewrite.hpp"
#include "keys.hpp"

namespace snf {

// Mapping states (first field of the values): S opening (TCP SYN seen), E established,
// F closing (FIN), R reset, U UDP, I ICMP query.

void Nat::configure(const EngineCfg& cfg) {
  // A lane's NAT made after the others (set_inflight) shares their leases: only a layout that
  // changes under a configured NAT drops them.
  if (configured_ && (cfg.nat.shards != cfg_.shards || cfg.nat.port_lo != cfg_.port_lo ||
                      cfg.nat.port_hi != cfg_.port_hi || cfg.vnf != vnf_))
    leases_->reset();
  configured_ = true;
  vnf_ = cfg.vnf;
  cfg_ = cfg.nat;
  t_ = cfg.t;
  if (cfg_.shards < 1) cfg_.shards = 1;
}

bool Nat::pool_for(const Addr& inside, Addr& out) const {
  const auto& pool = inside.is_v4() ? cfg_.pool4 : cfg_.pool6;
  if (pool.empty()) return false;
  // Paired pooling (RFC 4787 REQ-2): the choice depends on the inside address alone.
  out = pool[hash_bytes(inside.b, 16) % pool.size()];
  return true;
}

int64_t Nat::ttl(uint8_t proto, char state) const {
  if (proto == PROTO_UDP) return t_.udp_ms;
  if (proto != PROTO_TCP) return t_.icmp_ms;
  switch (state) {
    case 'E': return t_.tcp_established_ms;
    case 'R': return t_.tcp_closed_ms;
    default: return t_.tcp_transitory_ms;
  }
}

char Nat::next_state(const Slot& s, char cur, bool outbound) const {
  const Packet& p = s.pkt;
  if (p.flow_proto() != PROTO_TCP || p.icmp_error) return cur;
  if (p.tcp_flags & TCP_RST) return 'R';
  if (p.tcp_flags & TCP_FIN) return cur == 'R' ? 'R' : 'F';
  // Traffic seen from the outside after an opening means the connection is established.
  if (cur == 'S' && !outbound) return 'E';
  if ((cur == 'R' || cur == 'F') && (p.tcp_flags & TCP_SYN) && !(p.tcp_flags & TCP_ACK)) return 'S';
  return cur;
}

void Nat::tag(std::string& k, const Addr& ext, int shard) const {
  k += '{';
  k += vnf_;
  k += '|';
  append_addr(k, ext);
  k += '|';
  append_num(k, shard);
  k += '}';
}

void Nat::fwd_key(std::string& k, uint8_t proto, const Addr& ext, int shard, const Addr& in,
                  uint16_t port) const {
  k.assign("snf:");
  k += vnf_;
  k += ":nat:f:";
  tag(k, ext, shard);
  k += ':';
  append_num(k, proto);
  k += ':';
  append_addr(k, in);
  k += ':';
  append_num(k, port);
}

void Nat::rev_prefix(std::string& k, uint8_t proto, const Addr& ext, int shard) const {
  k.assign("snf:");
  k += vnf_;
  k += ":nat:r:";
  tag(k, ext, shard);
  k += ':';
  append_num(k, proto);
  k += ':';
}

void Nat::cursor_key(std::string& k, uint8_t proto, const Addr& ext, int shard) const {
  k.assign("snf:");
  k += vnf_;
  k += ":nat:c:";
  tag(k, ext, shard);
  k += ':';
  append_num(k, proto);
}

// A mapping's value on either key: the other side's endpoint, the state and the stamp
// ("addr|port|state|stamp").
void Nat::endpoint_value(std::string& v, const Addr& a, uint16_t port, char state, int64_t now) {
  v.clear();
  append_addr(v, a);
  v += '|';
  append_num(v, port);
  v += '|';
  v += state;
  v += '|';
  append_num(v, now);
}

void Nat::queue_update(Cmd& c, uint8_t proto, const Addr& ext, uint16_t ext_port, const Addr& in,
                       uint16_t in_port, char state, int64_t now) const {
  int shard = ext_port % cfg_.shards;
  c.call(ScriptId::NatUpdate);
  c.keys.resize(2);
  fwd_key(c.keys[0], proto, ext, shard, in, in_port);
  rev_prefix(c.keys[1], proto, ext, shard);
  append_num(c.keys[1], ext_port);
  c.args.resize(4);
  std::string& expect = c.args[0];
  expect.clear();
  append_addr(expect, ext);
  expect += '|';
  append_num(expect, ext_port);
  expect += '|';
  endpoint_value(c.args[1], ext, ext_port, state, now);
  endpoint_value(c.args[2], in, in_port, state, now);
  c.args[3].clear();
  append_num(c.args[3], ttl(proto, state));
  c.through = 1;  // posted (every nat_update is): the cache takes args 1 and 2 for keys 0 and 1
}

// The state-dependent arguments of a NAT_ALLOC call (see scripts.cpp): the forward value's
// "|state|stamp" suffix, the reverse value and the TTL.
void Nat::alloc_state(Cmd& c, uint8_t proto, char st, const Addr& in, uint16_t in_port, int64_t now) const {
  c.args[0].assign("|");
  c.args[0] += st;
  c.args[0] += '|';
  append_num(c.args[0], now);
  endpoint_value(c.args[2], in, in_port, st, now);
  c.args[7].clear();
  append_num(c.args[7], ttl(proto, st));
}

void Nat::shard_ports(int shard, int64_t& first, int64_t& count) const {
  int shards = cfg_.shards;
  int64_t lo = cfg_.port_lo, hi = cfg_.port_hi;
  first = lo + ((shard - lo % shards) % shards + shards) % shards;
  count = first > hi ? 0 : (hi - first) / shards + 1;
}

// A NAT_ALLOC call (see scripts.cpp) for the inside endpoint, in the (address, shard) `pd` chose,
// creating the mapping in state pd.st.
void Nat::queue_alloc(Cmd& c, uint8_t proto, const Pending& pd, const Addr& in, uint16_t in_port, int64_t now) const {
  int shards = cfg_.shards;
  int64_t first, count;
  shard_ports(pd.shard, first, count);
  c.call(ScriptId::NatAlloc);
  c.keys.resize(2);
  fwd_key(c.keys[0], proto, pd.ext, pd.shard, in, in_port);
  cursor_key(c.keys[1], proto, pd.ext, pd.shard);
  c.args.resize(9);
  rev_prefix(c.args[1], proto, pd.ext, pd.shard);
  c.args[3].clear();
  append_addr(c.args[3], pd.ext);
  c.args[4].clear();
  append_num(c.args[4], first);
  c.args[5].clear();
  append_num(c.args[5], count);
  c.args[6].clear();
  append_num(c.args[6], shards);
  c.args[8].assign("64");
  alloc_state(c, proto, pd.st, in, in_port, now);
}

// A NAT_CLAIM call (scripts.cpp): the mapping of the inside endpoint on `port`, in state pd.st,
// if neither it nor the port's reverse key exists.
void Nat::queue_claim(Cmd& c, uint8_t proto, const Pending& pd, const Addr& in, uint16_t in_port, uint16_t port,
                      int64_t now) const {
  c.call(ScriptId::NatClaim);
  c.keys.resize(2);
  fwd_key(c.keys[0], proto, pd.ext, pd.shard, in, in_port);
  rev_prefix(c.keys[1], proto, pd.ext, pd.shard);
  append_num(c.keys[1], port);
  c.args.resize(3);
  endpoint_value(c.args[0], pd.ext, port, pd.st, now);
  endpoint_value(c.args[1], in, in_port, pd.st, now);
  c.args[2].clear();
  append_num(c.args[2], ttl(proto, pd.st));
}

uint16_t Nat::leased_port(const CursorId& cur, int64_t now) {
  int64_t first, count;
  shard_ports(cur.shard, first, count);
  if (count <= 0) return 0;
  bool ask = false;
  int64_t v = leases_->take(cur, now, ask);
  // lookup queues the leases last, behind the run's allocations, so the values a lease gets
  // follow theirs (one instance hands out ports in cursor order).
  if (ask) {
    lease_asks_.push_back(cur);
    if (leases_->first_of_address(cur))
      for (int sh = 0; sh < cfg_.shards; sh++) {
        int64_t f, n;
        shard_ports(sh, f, n);
        CursorId other{cur.ext, sh, cur.proto};
        if (sh != cur.shard && n > 0 && leases_->ask_new(other, now)) lease_asks_.push_back(other);
      }
  }
  if (v < 0) return 0;
  // The port nat_alloc's first try takes for this cursor value.
  return static_cast<uint16_t>(first + (v % count) * cfg_.shards);
}

// The slot whose queued allocation covers this outbound packet's flow (same protocol, inside
// address and port: the mapping is endpoint-independent), or -1.
int32_t Nat::leader_of(const std::vector<Slot>& b, const Slot& s) const {
  const Packet& p = s.pkt;
  for (uint32_t j : allocs_) {
    const Packet& q = b[j].pkt;
    if (q.flow_proto() == p.flow_proto() && q.flow_sport() == p.flow_sport() && q.flow_src() == p.flow_src())
      return static_cast<int32_t>(j);
  }
  return -1;
}

void Nat::lookup(std::vector<Slot>& b, const std::vector<uint32_t>& idx, CmdQueue& reads) {
  if (pend_.size() < b.size()) pend_.resize(b.size());
  lease_asks_.clear();
  int64_t now = 0;  // read once, when a create-on-read allocation needs a stamp
  for (uint32_t i : idx) {
    Slot& s = b[i];
    Pending& pd = pend_[i];
    pd = Pending{};
    stats.packets++;
    const Packet& p = s.pkt;
    uint8_t proto = p.flow_proto();
    if (s.in == Side::Inside) {
      const Addr& src = p.flow_src();
      bool inside = false;
      for (const Prefix& pf : cfg_.inside) inside = inside || pf.contains(src);
      if (!inside) {
        s.kill(Drop::NatNotInside);
        continue;
      }
      if (!pool_for(src, pd.ext)) {
        s.kill(Drop::NatPoolExhausted);
        continue;
      }
      pd.shard = static_cast<int>(hash_endpoint(proto, src, p.flow_sport()) % cfg_.shards);
      pd.read = static_cast<int32_t>(reads.size());
      Cmd& c = reads.add(static_cast<int32_t>(i));
      c.get("");
      fwd_key(c.keys[0], proto, pd.ext, pd.shard, src, p.flow_sport());
      // Create on read: a flow the coherent cache does not hold and this instance has not
      // created lately is most likely new, and a new flow costs a read that misses and then
      // the allocation, two round trips in a row. The find-or-create script in place of the
      // read costs one: it returns the mapping whether it found or made it. Later packets of
      // the flow (in this batch too: same node, same pipeline, after it) read it with GETs.
      bool rst = proto == PROTO_TCP && (p.tcp_flags & TCP_RST);
      if (create_on_read && (!create_gate || create_gate->admits_new(s)) && !rst && !p.icmp_error &&
          create_on_read->cache_miss(c.keys[0]) &&
          !created_->test_and_mark(c.keys[0])) {
        if (now == 0) now = now_ms();
        pd.early = true;
        pd.st = proto == PROTO_TCP ? 'S' : (proto == PROTO_UDP ? 'U' : 'I');
        pd.stamp = now;
        CursorId cur{pd.ext, pd.shard, proto};
        if (uint16_t port = leased_port(cur, now)) {
          pd.claim = true;
          queue_claim(c, proto, pd, src, p.flow_sport(), port, now);
        } else {
          queue_alloc(c, proto, pd, src, p.flow_sport(), now);
        }
      }
    } else {
      const Addr& dst = p.flow_dst();
      const auto& pool = dst.is_v4() ? cfg_.pool4 : cfg_.pool6;
      bool ours = false;
      for (const Addr& a : pool) ours = ours || a == dst;
      if (!ours) {
        s.kill(Drop::NatNoMapping);
        continue;
      }
      pd.ext = dst;
      pd.shard = p.flow_dport() % cfg_.shards;
      pd.read = static_cast<int32_t>(reads.size());
      Cmd& c = reads.add(static_cast<int32_t>(i));
      c.get("");
      rev_prefix(c.keys[0], proto, dst, pd.shard);
      append_num(c.keys[0], p.flow_dport());
    }
  }
  lease_reads_.resize(lease_asks_.size());
  for (size_t k = 0; k < lease_asks_.size(); k++) {
    lease_reads_[k] = static_cast<int32_t>(reads.size());
    Cmd& c = reads.add(-1);
    c.call(ScriptId::NatLease);
    c.keys.resize(1);
    const CursorId& cur = lease_asks_[k];
    cursor_key(c.keys[0], cur.proto, cur.ext, cur.shard);
    c.args.resize(1);
    c.args[0].clear();
    append_num(c.args[0], PortLeases::kValues);
  }
}

void Nat::decide(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& reads,
                 CmdQueue& writes, CmdQueue& deferred) {
  int64_t now = now_ms();
  allocs_.clear();
  queued_.clear();
  for (size_t k = 0; k < lease_asks_.size(); k++) {
    const Reply& r = reads[static_cast<size_t>(lease_reads_[k])];
    if (r.type == Reply::Int) leases_->granted(lease_asks_[k], r.i, now);
    else leases_->refused(lease_asks_[k]);
  }
  for (uint32_t i : idx) {
    Slot& s = b[i];
    Pending& pd = pend_[i];
    if (!s.alive() || pd.read < 0) continue;
    const Reply& r = reads[pd.read];
    Packet& p = s.pkt;
    uint8_t proto = p.flow_proto();
    // A claim whose port was taken after all (nil), or that Redis refused (an error: TRYAGAIN
    // while its slot migrates), falls back to nat_alloc in the write exchange below, as a new
    // flow does without create on read.
    bool claim_lost = pd.claim && (r.type == Reply::Nil || r.type == Reply::Err);
    if (pd.early && !claim_lost) {
      // The allocation went out as this packet's read: its reply is the mapping, or why not.
      Drop d = write_outcome(r, "exhausted", Drop::NatPoolExhausted, Drop::NatNoMapping);
      if (d != Drop::None) {
        s.kill(d);
        continue;
      }
    } else if (!claim_lost && (r.type == Reply::Unavailable || r.type == Reply::Err)) {
      s.kill(Drop::StoreUnavailable);
      continue;
    }
    bool outbound = s.in == Side::Inside;
    if (r.type != Reply::Str) {  // no mapping
      if (!outbound || p.icmp_error) {
        s.kill(Drop::NatNoMapping);
        continue;
      }
      // A later packet of a flow whose first packet in this batch already queued the
      // allocation: one write per flow, not per packet (a second script would only find the
      // first one's mapping). Its state change (e.g. a RST right behind the SYN) is folded
      // into that write, so the store ends as if the packets had gone one by one, and the
      // packet leaves with the allocated mapping once the store holds it.
      int32_t lead = leader_of(b, s);
      if (lead >= 0) {
        Pending& ld = pend_[lead];
        pd.follow = lead;
        char nx = next_state(s, ld.st, true);
        if (nx != ld.st) {
          ld.st = nx;
          alloc_state(writes.at(static_cast<size_t>(ld.write)), proto, nx, p.flow_src(), p.flow_sport(), now);
        }
        continue;
      }
      // New flow: one atomic script finds or allocates the mapping (a racing instance gets
      // the same answer), so the packet is forwarded only with a mapping the store holds.
      char st = proto == PROTO_TCP ? 'S' : (proto == PROTO_UDP ? 'U' : 'I');
      if (proto == PROTO_TCP && (p.tcp_flags & TCP_RST)) {
        s.kill(Drop::NatNoMapping);
        continue;
      }
      pd.write = static_cast<int32_t>(writes.size());
      pd.alloc = true;
      pd.st = st;
      allocs_.push_back(i);
      queue_alloc(writes.add(static_cast<int32_t>(i)), proto, pd, p.flow_src(), p.flow_sport(), now);
      continue;
    }
    Fields f = split(r.s);
    char cur = f.n[2] ? f.p[2][0] : 'U';
    int64_t stamp = f.num(3);
    bool made = pd.early && stamp == pd.stamp && cur == pd.st;
    if (made) stats.new_flows++;  // made, not found
    Addr in_addr, ext_addr;
    uint16_t in_port, ext_port;
    if (outbound) {
      if (!Addr::parse(f.str(0), ext_addr)) {
        s.kill(Drop::NatNoMapping);
        continue;
      }
      ext_port = static_cast<uint16_t>(f.num(1));
      in_addr = p.flow_src();
      in_port = p.flow_sport();
      if (made) {
        // The reverse key the allocation made is named from the port it picked, so the script
        // cannot declare it, and Redis tracks only declared keys for a script's caller: its reply
        // cannot warm the cache for it. A posted GET does (create on read runs with the
        // coherent cache only), and its value is the one the allocation wrote (Cmd::through):
        // the cache answers with it at once, so the flow's first reply finds it even when it
        // comes before the GET's answer.
        Cmd& g = deferred.add(-1);
        g.get("");
        rev_prefix(g.keys[0], proto, ext_addr, ext_port % cfg_.shards);  // as an inbound read names it
        append_num(g.keys[0], ext_port);
        g.args.resize(1);
        endpoint_value(g.args[0], in_addr, in_port, pd.st, pd.stamp);
        g.through = 0;
      }
      rewrite_flow_src(p, ext_addr, ext_port);
    } else {
      if (!Addr::parse(f.str(0), in_addr)) {
        s.kill(Drop::NatNoMapping);
        continue;
      }
      in_port = static_cast<uint16_t>(f.num(1));
      ext_addr = pd.ext;
      ext_port = p.flow_dport();
      rewrite_flow_dst(p, in_addr, in_port);
    }
    Queued* q = nullptr;
    for (Queued& e : queued_)
      if (e.port == ext_port && e.proto == proto && e.ext == ext_addr) {
        q = &e;
        break;
      }
    bool queued = q != nullptr;
    if (queued) cur = q->st;
    char nx = next_state(s, cur, outbound);
    if (queued) q->st = nx;
    else if (nx != cur || now - stamp >= t_.refresh_after(ttl(proto, cur))) queued_.push_back(Queued{proto, ext_addr, ext_port, nx});
    if (nx != cur) {
      // The packet rides on the mapping the store already holds; its state only picks the
      // TTL. It is queued with the writes in packet order, but nothing waits for it (owner -1;
      // see native/store/README.md, "Write before forward"):
      // lost with a dying instance, the mapping keeps the state before it, whose TTL is as long
      // or longer, and an opening that was lost is written again by the flow's next inbound packet.
      // The cache takes the values written (Cmd::through: the forward and reverse values,
      // arguments 1 and 2 of nat_update) until the write's refills confirm them: later steps of
      // this batch (the firewall's, the outbound NAT's) and the next batches read the mapping
      // in its new state without a miss. Should the write not apply (the mapping changed
      // meanwhile, which only a reallocation after expiry does), the refill brings what the
      // store holds; until then a packet is translated by the mapping it would have read.
      queue_update(writes.add(-1), proto, ext_addr, ext_port, in_addr, in_port, nx, now);
    } else if (!queued && now - stamp >= t_.refresh_after(ttl(proto, cur))) {
      // Only the TTL moves: ride along with the next exchange, never wait for it.
      queue_update(deferred.add(-1), proto, ext_addr, ext_port, in_addr, in_port, cur, now);
    }
  }
}

void Nat::commit(std::vector<Slot>& b, const std::vector<uint32_t>& idx, const std::vector<Reply>& writes) {
  for (uint32_t i : idx) {
    Slot& s = b[i];
    Pending& pd = pend_[i];
    // A follower rides on its leader's allocation: the same store answer decides both.
    int32_t w = pd.follow >= 0 ? pend_[pd.follow].write : pd.write;
    bool alloc = pd.alloc || pd.follow >= 0;
    if (s.alive() && w >= 0) {
      const Reply& r = writes[w];
      Drop d = write_outcome(r, "exhausted", Drop::NatPoolExhausted, Drop::NatNoMapping);
      if (d != Drop::None) {
        s.kill(d);
      } else if (alloc) {
        Fields f = split(r.s);
        Addr ext;
        if (!Addr::parse(f.str(0), ext)) {
          s.kill(Drop::NatNoMapping);
        } else {
          rewrite_flow_src(s.pkt, ext, static_cast<uint16_t>(f.num(1)));
          if (pd.alloc) stats.new_flows++;  // flows, not packets
        }
      }
    }
    if (s.alive()) stats.forwarded++;
    else stats.dropped++;
  }
}

}  // namespace snf
