#include "engine.hpp"

#include "../nf/firewall.hpp"
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
  configure(cfg);
}

void Engine::configure(const EngineCfg& cfg) {
  cfg_ = cfg;
  chain_.clear();
  for (NfKind k : cfg_.chain) {
    int i = static_cast<int>(k);
    if (!nfs_[i]) nfs_[i] = make_nf(k);
    nfs_[i]->configure(cfg_);
    chain_.push_back(nfs_[i].get());
    c_.nf_present[i] = true;
  }
  // Only the firewall judges a flow's packets by their order (its TCP state machine); NAT and
  // the LB keep a mapping that the flow's packets in either order read alike, their states
  // picking TTLs only. Outbound frames meet the firewall at its position in the chain, inbound
  // ones at the mirror position: the side that meets it first is judged first within a pass.
  cut_at_ = 0;
  for (size_t k = 0; k < chain_.size(); k++) {
    if (chain_[k]->kind() != NfKind::Firewall) continue;
    size_t mirror = chain_.size() - 1 - k;
    if (k < mirror) cut_at_ = 1;       // outbound judged first: cut at an outbound frame behind an inbound one
    else if (k > mirror) cut_at_ = 2;  // inbound judged first: cut at an inbound frame behind an outbound one
  }
}

// Outbound frames (arriving inside) meet the chain in order, inbound ones in reverse, so a
// firewall placed before NAT always sees inside addresses.
Nf* Engine::nf_at(size_t stage, Side in) const {
  return in == Side::Inside ? chain_[stage] : chain_[chain_.size() - 1 - stage];
}

void Engine::exchange(CmdQueue& q, std::vector<Reply>& out) {
  if (q.size() == 0) return;
  store_->execute(q.data(), q.size(), out);
}

// The firewall never rewrites a packet, so the keys of the stage after it are known before
// its verdict: their reads can ride in the same exchange.
static bool rewrites(NfKind k) { return k != NfKind::Firewall; }

void Engine::process(Frame* frames, size_t n) {
  if (slots_.size() < n) slots_.resize(n);
  c_.batches++;
  for (size_t i = 0; i < n; i++) {
    Slot& s = slots_[i];
    s.in = frames[i].in;
    s.drop = parse_frame(frames[i].data, frames[i].len, s.pkt);
    c_.rx++;
  }
  // A chain of two or more NFs meets outbound frames in order and inbound ones in reverse, so
  // within one pass the firewall of firewall + NAT would judge every outbound frame of the
  // batch before any inbound one: an ACK before the SYN-ACK that came ahead of it. A run ends
  // before a frame of the side the firewall judges first whose peer the run has seen from the
  // other side; frames in the order the firewall judges them (data out, then its ACK in) stay
  // in one run. A batch without such a pair is one run, as before.
  // TTL refreshes are posted after each run and nothing waits for them: a batch whose reads
  // all hit the cache pays no round trip, and the refreshed values are back in the cache, most
  // often, before the flows' next packets. (A run's state changes nobody waits for are in its
  // writes, see run_chain.) Posted after each run rather than once per batch, so a refresh is
  // queued on its connection ahead of a later run's change of the same flow, which it would
  // otherwise undo. What is posted goes out with the next exchange on its connection, or at the
  // end of the batch (send_posted): one socket write, and one wake-up of the store, for what
  // used to take one each.
  for (size_t b = 0; b < n;) {
    size_t e = cut_at_ ? run_end(b, n) : n;
    run_chain(b, e);
    post_deferred();
    b = e;
  }
  store_->send_posted();
  for (size_t i = 0; i < n; i++) {
    Frame& f = frames[i];
    Slot& s = slots_[i];
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
}

// The far end of a packet's flow: the address no NF rewrites (SNAT rewrites the inside source,
// the LB the destination VIP), so both directions of one flow name the same peer.
static const Addr& peer_of(const Slot& s) { return s.in == Side::Inside ? s.pkt.flow_dst() : s.pkt.flow_src(); }

static uint64_t addr_hash(const Addr& a) {
  uint64_t h = 1469598103934665603ull ^ (a.v4_family ? 1u : 0u);
  for (uint8_t x : a.b) h = (h ^ x) * 1099511628211ull;
  return h | 1;  // 0 marks an empty slot
}

size_t Engine::run_end(size_t begin, size_t n) {
  size_t cap = 16;
  while (cap < 2 * (n - begin)) cap <<= 1;
  peer_keys_.assign(cap, 0);
  peer_sides_.assign(cap, 0);
  for (size_t i = begin; i < n; i++) {
    const Slot& s = slots_[i];
    if (!s.alive()) continue;
    uint64_t h = addr_hash(peer_of(s));
    uint8_t side = s.in == Side::Inside ? 1 : 2;
    size_t j = h & (cap - 1);
    while (peer_keys_[j] != 0 && peer_keys_[j] != h) j = (j + 1) & (cap - 1);
    if (side == cut_at_ && peer_keys_[j] == h && (peer_sides_[j] & ~side)) return i;
    peer_keys_[j] = h;
    peer_sides_[j] |= side;
  }
  return n;
}

// Queues the reads of `stage` for the alive packets of [begin, end) into q, behind what q
// holds, with the NF at the stage before as the creation gate: a flow the stage creates on
// read is one that NF has already let through or, when that is the firewall, would let open
// (its verdict, or its write, may still be pending). Behind any other NF, no creation.
void Engine::lookup_ahead(size_t stage, size_t begin, size_t end, CmdQueue& q) {
  for (auto& v : next_idx_) v.clear();
  bool behind_fw[kNfKinds] = {true, true, true};
  for (size_t i = begin; i < end; i++) {
    const Slot& s = slots_[i];
    if (!s.alive()) continue;
    int k = static_cast<int>(nf_at(stage, s.in)->kind());
    next_idx_[k].push_back(static_cast<uint32_t>(i));
    if (nf_at(stage - 1, s.in)->kind() != NfKind::Firewall) behind_fw[k] = false;
  }
  for (int k = 0; k < kNfKinds; k++)
    if (!next_idx_[k].empty()) {
      nfs_[k]->create_on_read = behind_fw[k] ? store_.get() : nullptr;
      nfs_[k]->create_gate = nfs_[static_cast<int>(NfKind::Firewall)].get();
      nfs_[k]->lookup(slots_, next_idx_[k], q);
    }
}

void Engine::run_chain(size_t begin, size_t end) {
  bool prefetched = false;  // this stage's reads went out with the previous stage's exchange
  for (size_t stage = 0; stage < chain_.size(); stage++) {
    for (auto& v : idx_) v.clear();
    for (size_t i = begin; i < end; i++)
      if (slots_[i].alive()) idx_[static_cast<int>(nf_at(stage, slots_[i].in)->kind())].push_back(static_cast<uint32_t>(i));
    bool last = stage + 1 == chain_.size();

    if (!prefetched) {
      reads_.clear();
      for (int k = 0; k < kNfKinds; k++)
        if (!idx_[k].empty()) {
          nfs_[k]->create_on_read = store_.get();
          nfs_[k]->create_gate = nullptr;
          nfs_[k]->lookup(slots_, idx_[k], reads_);
        }
      // When no packet's NF at this stage rewrites it, queue the next stage's reads too.
      bool can = !last;
      for (int k = 0; k < kNfKinds; k++)
        if (!idx_[k].empty() && rewrites(static_cast<NfKind>(k))) can = false;
      if (can) lookup_ahead(stage + 1, begin, end, reads_);
      exchange(reads_, read_replies_);
      prefetched = can;
    } else {
      prefetched = false;
    }

    writes_.clear();
    for (int k = 0; k < kNfKinds; k++)
      if (!idx_[k].empty()) nfs_[k]->decide(slots_, idx_[k], read_replies_, writes_, deferred_);
    // Write before forward: verdicts that depend on these writes wait for the store's ack.
    // Writes nobody waits for (owner -1: closings, NAT states) are queued among them in packet
    // order; when they are all there is, they are posted and the run goes on without a round trip.
    bool waited = false;
    for (size_t w = 0; w < writes_.size() && !waited; w++) waited = writes_.owner(w) >= 0;
    if (!waited) {
      if (writes_.size()) store_->post(writes_.data(), writes_.size());
    } else {
      // The next stage's reads ride behind these writes when its keys are known already: no
      // write of this stage changes its packet at commit (a NAT allocation or an LB assignment
      // does). The store runs them after the writes, as a separate exchange would, and one
      // round trip answers both; a packet the writes' outcome drops has only cost a read.
      bool ahead = !last && !prefetched;
      for (int k = 0; k < kNfKinds && ahead; k++)
        if (!idx_[k].empty() && nfs_[k]->rewrites_on_commit()) ahead = false;
      if (ahead) lookup_ahead(stage + 1, begin, end, writes_);
      exchange(writes_, write_replies_);
      if (ahead) {
        // One reply vector holds both: commit reads the writes' replies, and the next stage's
        // decide its reads', each by its own index into the queue.
        for (int k = 0; k < kNfKinds; k++)
          if (!idx_[k].empty()) nfs_[k]->commit(slots_, idx_[k], write_replies_);
        read_replies_.swap(write_replies_);
        prefetched = true;
        continue;
      }
    }
    for (int k = 0; k < kNfKinds; k++)
      if (!idx_[k].empty()) nfs_[k]->commit(slots_, idx_[k], write_replies_);
  }
}

void Engine::post_deferred() {
  if (deferred_.size() == 0) return;
  store_->post(deferred_.data(), deferred_.size());
  deferred_.clear();
}

void Engine::flush() {
  post_deferred();
  store_->send_posted();
}

EngineCounters Engine::counters() const {
  EngineCounters c = c_;
  for (int k = 0; k < kNfKinds; k++)
    if (nfs_[k]) c.nf[k] = nfs_[k]->stats;
  c.store = store_->stats();
  if (const CacheStats* cs = store_->cache_stats()) {
    c.has_cache = true;
    c.cache = *cs;
  }
  return c;
}

}  // namespace snf
