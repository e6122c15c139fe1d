#include "engine.hpp"

#include <algorithm>

#include "../nf/firewall.hpp"
#include "../nf/keys.hpp"
#include "../nf/lb.hpp"
#include "../nf/nat.hpp"

namespace snf {

std::unique_ptr<Nf> make_nf(NfKind k) {
  switch (k) {
    case NfKind::Nat: return std::make_unique<Nat>();
    case NfKind::Firewall: return std::make_unique<Firewall>();
    case NfKind::Lb: return std::make_unique<Lb>();
  }
  return nullptr;
}

Engine::Engine(const EngineCfg& cfg, std::unique_ptr<StateStore> store) : store_(std::move(store)) {
  lanes_.push_back(std::make_unique<Lane>());
  configure(cfg);
}

void Engine::configure(const EngineCfg& cfg) {
  finish_all();
  cfg_ = cfg;
  chain_ = cfg_.chain;
  for (auto& l : lanes_) equip(*l);
  for (NfKind k : chain_) c_.nf_present[static_cast<int>(k)] = true;
  // Only the firewall judges a flow's packets by their order (its TCP state machine); NAT and
  // the LB keep a mapping that the flow's packets in either order read alike, their states
  // picking TTLs only. Outbound frames meet the chain in order and inbound ones in reverse, so
  // in firewall + NAT an outbound frame would meet the firewall one step before an inbound one:
  // a batch's ACK judged before the SYN-ACK ahead of it. So the direction that would meet the
  // firewall first starts that many steps late, and at its step the firewall judges every frame
  // of the batch, in arrival order, in one pass: [FW, NAT] runs NAT (inbound), then the
  // firewall (both), then NAT (outbound). Each step costs an exchange only when it has reads
  // the cache cannot answer or writes a verdict waits for; a whole batch is one run.
  size_t L = chain_.size();
  delay_out_ = delay_in_ = 0;
  fw_step_ = SIZE_MAX;
  for (size_t k = 0; k < L; k++) {
    if (chain_[k] != NfKind::Firewall) continue;
    size_t mirror = L - 1 - k;  // the inbound frames' step at the firewall
    if (k < mirror) delay_out_ = mirror - k;
    else delay_in_ = k - mirror;
    fw_step_ = delay_out_ + k;
  }
  steps_ = L + std::max(delay_out_, delay_in_);
}

// The lane's NFs for the chain, made where missing, with the current tables.
void Engine::equip(Lane& l) {
  for (NfKind k : chain_) {
    int i = static_cast<int>(k);
    if (!l.nfs[i]) {
      l.nfs[i] = make_nf(k);
      if (&l != lanes_.front().get()) l.nfs[i]->share_with(*lanes_.front()->nfs[i]);
    }
    l.nfs[i]->configure(cfg_);
  }
}

void Engine::set_inflight(size_t k) {
  k = std::min(std::max<size_t>(k, 1), kMaxInflight);
  // Batches in flight finish here, and are not handed back by reap(): their frames hold
  // their verdicts already.
  finish_all();
  fifo_.clear();
  for (auto& l : lanes_) l->phase = Phase::Idle;
  if (k < lanes_.size()) {
    // Keep the NF counters of the lanes that go.
    for (size_t i = k; i < lanes_.size(); i++)
      for (int j = 0; j < kNfKinds; j++)
        if (lanes_[i]->nfs[j]) lanes_[0]->nfs[j]->stats += lanes_[i]->nfs[j]->stats;
    lanes_.resize(k);
  }
  while (lanes_.size() < k) {
    lanes_.push_back(std::make_unique<Lane>());
    equip(*lanes_.back());
  }
}

// The NF a frame meets at `step`, or none before its first (a late start) or after its last.
// Outbound frames (arriving inside) meet the chain in order, inbound ones in reverse, so a
// firewall placed before NAT always sees inside addresses.
int Engine::nf_at(size_t step, Side in) const {
  bool out = in == Side::Inside;
  size_t d = out ? delay_out_ : delay_in_;
  if (step < d || step - d >= chain_.size()) return -1;
  size_t j = step - d;
  return static_cast<int>(out ? chain_[j] : chain_[chain_.size() - 1 - j]);
}

// The firewall never rewrites a packet, so the keys of the step after it are known before
// its verdict: their reads can ride in the same exchange.
static bool rewrites(NfKind k) { return k != NfKind::Firewall; }

void Engine::process(Frame* frames, size_t n) {
  finish_all();
  while (reap(false) != 0) {
  }
  Lane& l = *lanes_[0];
  begin(l, frames, n);
  advance(l, true);
  reap(true);
}

uint64_t Engine::submit(Frame* frames, size_t n) {
  progress();
  for (auto& l : lanes_)
    if (l->phase == Phase::Idle) {
      begin(*l, frames, n);
      advance(*l, lanes_.size() == 1);
      return l->seq;
    }
  return 0;  // every lane holds a batch: reap first
}

// The batch takes the lane: parsed, numbered, queued behind the batches in flight.
void Engine::begin(Lane& l, Frame* frames, size_t n) {
  l.frames = frames;
  l.n = n;
  l.seq = next_seq_++;
  fifo_.push_back(&l);
  if (l.slots.size() < n) l.slots.resize(n);
  c_.batches++;
  for (size_t i = 0; i < n; i++) {
    Slot& s = l.slots[i];
    s.in = frames[i].in;
    s.drop = parse_frame(frames[i].data, frames[i].len, s.pkt);
    c_.rx++;
  }
  l.phase = Phase::Step;
  l.step = 0;
  l.prefetched = false;
  l.fw_known = false;
}

uint64_t Engine::reap(bool wait) {
  if (fifo_.empty()) return 0;
  Lane& l = *fifo_.front();
  if (l.phase != Phase::Done) {
    if (wait) {
      advance(l, true);
    } else {
      progress();
      if (l.phase != Phase::Done) return 0;
    }
  }
  fifo_.pop_front();
  l.phase = Phase::Idle;
  return l.seq;
}

void Engine::progress() {
  for (Lane* l : fifo_)
    if (l->phase != Phase::Done) advance(*l, false);
}

void Engine::finish_all() {
  for (Lane* l : fifo_)
    if (l->phase != Phase::Done) advance(*l, true);
}

bool Engine::advance(Lane& l, bool block) {
  if (l.waiting) {
    if (!block && !store_->ready(l.ticket)) return false;
    store_->finish(l.ticket);
    l.waiting = false;
  }
  for (;;) {
    switch (l.phase) {
      case Phase::Step:
        begin_step(l);
        break;
      case Phase::Decide:
        decide(l);
        break;
      case Phase::Commit:
        commit(l);
        break;
      case Phase::Done:
      case Phase::Idle:
        return true;
    }
    if (l.waiting) {
      if (!block) return false;
      store_->finish(l.ticket);
      l.waiting = false;
    }
  }
}

void Engine::send(Lane& l, CmdQueue& q, std::vector<Reply>& out) {
  if (q.size() == 0) return;
  l.ticket = store_->start(q.data(), q.size(), out);
  l.waiting = true;
}

// Queues the reads of `step` for the alive packets into q, behind what q holds, with the NF
// each meets at the step before as the creation gate: a flow the step creates on read is one
// that NF has already let through or, when that is the firewall, would let open (its verdict,
// or its write, may still be pending). Behind any other NF, no creation. A packet that meets
// no NF before this step (a late start, see configure()) has nothing ahead of it to wait for.
void Engine::lookup_ahead(Lane& l, size_t step, CmdQueue& q) {
  order_behind_older(l, step);
  for (auto& v : l.next_idx) v.clear();
  bool behind_fw[kNfKinds] = {true, true, true};
  for (size_t i = 0; i < l.n; i++) {
    const Slot& s = l.slots[i];
    int k = s.alive() ? nf_at(step, s.in) : -1;
    if (k < 0) continue;
    l.next_idx[k].push_back(static_cast<uint32_t>(i));
    int before = nf_at(step - 1, s.in);
    if (before >= 0 && static_cast<NfKind>(before) != NfKind::Firewall) behind_fw[k] = false;
  }
  for (int k = 0; k < kNfKinds; k++)
    if (!l.next_idx[k].empty()) {
      l.nfs[k]->create_on_read = behind_fw[k] ? store_.get() : nullptr;
      l.nfs[k]->create_gate = l.nfs[static_cast<int>(NfKind::Firewall)].get();
      l.nfs[k]->lookup(l.slots, l.next_idx[k], q);
    }
}

// Finds the lane's next step with frames (or finishes the batch) and sends its reads, unless
// they went out with the step before.
void Engine::begin_step(Lane& l) {
  for (; l.step < steps_; l.step++) {
    for (auto& v : l.idx) v.clear();
    bool any = false;
    for (size_t i = 0; i < l.n; i++) {
      int k = l.slots[i].alive() ? nf_at(l.step, l.slots[i].in) : -1;
      if (k < 0) continue;
      l.idx[k].push_back(static_cast<uint32_t>(i));
      any = true;
    }
    if (any) break;
    l.prefetched = false;
  }
  if (l.step >= steps_) {
    done(l);
    return;
  }
  l.phase = Phase::Decide;
  if (l.prefetched) {
    l.prefetched = false;
    return;
  }
  bool last = l.step + 1 == steps_;
  order_behind_older(l, l.step);
  l.reads.clear();
  for (int k = 0; k < kNfKinds; k++)
    if (!l.idx[k].empty()) {
      l.nfs[k]->create_on_read = store_.get();
      l.nfs[k]->create_gate = nullptr;
      l.nfs[k]->lookup(l.slots, l.idx[k], l.reads);
    }
  // When no packet's NF at this step rewrites it, queue the next step's reads too.
  bool can = !last;
  for (int k = 0; k < kNfKinds; k++)
    if (!l.idx[k].empty() && rewrites(static_cast<NfKind>(k))) can = false;
  if (can) lookup_ahead(l, l.step + 1, l.reads);
  l.prefetched = can;
  send(l, l.reads, l.read_replies);
}

void Engine::decide(Lane& l) {
  l.writes.clear();
  for (int k = 0; k < kNfKinds; k++)
    if (!l.idx[k].empty()) l.nfs[k]->decide(l.slots, l.idx[k], l.read_replies, l.writes, l.deferred);
  // TTL refreshes go on their connections ahead of this step's writes and any later step's:
  // a refresh rewrites the state it read, so behind a closing of the same flow (queued by a
  // later packet, or by the NF at a later step) it would undo it.
  post_deferred(l);
  // Write before forward: verdicts that depend on these writes wait for the store's ack.
  // Writes nobody waits for (owner -1: closings, NAT states) are queued among them in packet
  // order; when they are all there is, they are posted and the batch goes on without a round trip.
  bool waited = false;
  for (size_t w = 0; w < l.writes.size() && !waited; w++) waited = l.writes.owner(w) >= 0;
  l.phase = Phase::Commit;
  if (!waited) {
    if (l.writes.size()) store_->post(l.writes.data(), l.writes.size());
    return;
  }
  // The next step's reads do not ride behind these writes: a step whose writes are waited
  // for is an opening at the firewall, whose step sent the next one's reads with its own
  // already, or an allocation or assignment, which changes its packet at commit.
  send(l, l.writes, l.write_replies);
}

void Engine::commit(Lane& l) {
  for (int k = 0; k < kNfKinds; k++)
    if (!l.idx[k].empty()) l.nfs[k]->commit(l.slots, l.idx[k], l.write_replies);
  l.step++;
  l.phase = Phase::Step;
}

// The batch's verdicts into its frames. TTL refreshes were posted along the way and nothing
// waits for them: a batch whose reads all hit the cache pays no round trip, and the refreshed
// values are back in the cache, most often, before the flows' next packets. What is posted
// goes out with the next exchange on its connection, or here once it has waited long enough
// (send_posted_due): one socket write, and one wake-up of the store, for what used to take one
// each; flush() sends it at once.
void Engine::done(Lane& l) {
  store_->send_posted_due();
  for (size_t i = 0; i < l.n; i++) {
    Frame& f = l.frames[i];
    Slot& s = l.slots[i];
    f.forward = s.alive();
    f.reason = s.drop;
    f.out = f.forward ? other(f.in) : f.in;
    if (f.forward) {
      c_.tx++;
    } else {
      c_.dropped++;
      c_.drops[static_cast<int>(s.drop)]++;
    }
  }
  l.phase = Phase::Done;
}

// Lanes share the store's connections, which apply commands in the order sent, but a lane's
// reads can be sent before an older lane's writes: the older one may still wait for its own
// reads. NAT and the LB do not mind (a mapping is found-or-created atomically, and their states
// only pick TTLs), the firewall does: a packet judged against the state before an older
// packet's transition (an ACK not yet written, a responder's data meets SR) gets another
// verdict than one batch at a time. So before a lane's packets meet the firewall, an older lane
// that has not sent its firewall writes yet finishes first when it may hold one of the same
// connections, or when it has not reached the firewall (its connections are not known yet).
void Engine::order_behind_older(Lane& l, size_t step) {
  if (step != fw_step_ || fifo_.size() < 2) return;
  auto hash_flow = [](const Packet& p) {
    const Addr& a = p.flow_src();
    const Addr& b = p.flow_dst();
    uint16_t ap = p.flow_sport(), bp = p.flow_dport();
    bool a_first = a < b || (a == b && ap <= bp);  // both directions name one connection
    const Addr& x = a_first ? a : b;
    const Addr& y = a_first ? b : a;
    uint64_t h = hash_bytes(x.b, sizeof x.b, hash_bytes(y.b, sizeof y.b));
    uint64_t ports = (uint64_t{a_first ? ap : bp} << 16 | (a_first ? bp : ap)) << 8 | p.flow_proto();
    return (h ^ ports) * 0x9E3779B97F4A7C15ULL;
  };
  if (!l.fw_known) {
    l.fw_flows.clear();
    for (size_t i = 0; i < l.n; i++) {
      const Slot& s = l.slots[i];
      if (s.alive() && nf_at(step, s.in) >= 0) l.fw_flows.push_back(hash_flow(s.pkt));
    }
    std::sort(l.fw_flows.begin(), l.fw_flows.end());
    l.fw_known = true;
  }
  for (Lane* older : fifo_) {
    if (older == &l) break;
    if (passed_fw(*older)) continue;
    bool shared = !older->fw_known;
    for (size_t i = 0, j = 0; !shared && i < older->fw_flows.size() && j < l.fw_flows.size();) {
      if (older->fw_flows[i] == l.fw_flows[j]) shared = true;
      else if (older->fw_flows[i] < l.fw_flows[j]) i++;
      else j++;
    }
    if (shared) advance(*older, true);
  }
}

// Whether the lane's firewall writes are on the wire (or there are none left to make).
bool Engine::passed_fw(const Lane& l) const {
  if (l.phase == Phase::Done || l.phase == Phase::Idle) return true;
  if (l.step != fw_step_) return l.step > fw_step_;
  return l.phase == Phase::Commit;
}

void Engine::post_deferred(Lane& l) {
  if (l.deferred.size() == 0) return;
  store_->post(l.deferred.data(), l.deferred.size());
  l.deferred.clear();
}

void Engine::flush() {
  for (auto& l : lanes_) post_deferred(*l);
  store_->send_posted();
}

EngineCounters Engine::counters() const {
  EngineCounters c = c_;
  for (const auto& l : lanes_)
    for (int k = 0; k < kNfKinds; k++)
      if (l->nfs[k]) c.nf[k] += l->nfs[k]->stats;
  c.store = store_->stats();
  if (const CacheStats* cs = store_->cache_stats()) {
    c.has_cache = true;
    c.cache = *cs;
  }
  return c;
}

}  // namespace snf
