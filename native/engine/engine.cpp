#include "engine.hpp"

#include <algorithm>

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
  // picking TTLs only. Outbound frames meet the chain in order and inbound ones in reverse, so
  // in firewall + NAT an outbound frame would meet the firewall one step before an inbound one:
  // a batch's ACK judged before the SYN-ACK ahead of it. So the direction that would meet the
  // firewall first starts that many steps late, and at its step the firewall judges every frame
  // of the batch, in arrival order, in one pass: [FW, NAT] runs NAT (inbound), then the
  // firewall (both), then NAT (outbound). Each step costs an exchange only when it has reads
  // the cache cannot answer or writes a verdict waits for; a whole batch is one run.
  size_t L = chain_.size();
  delay_out_ = delay_in_ = 0;
  for (size_t k = 0; k < L; k++) {
    if (chain_[k]->kind() != NfKind::Firewall) continue;
    size_t mirror = L - 1 - k;  // the inbound frames' step at the firewall
    if (k < mirror) delay_out_ = mirror - k;
    else delay_in_ = k - mirror;
  }
  steps_ = L + std::max(delay_out_, delay_in_);
}

// The NF a frame meets at `step`, or null before its first (a late start) or after its last.
// Outbound frames (arriving inside) meet the chain in order, inbound ones in reverse, so a
// firewall placed before NAT always sees inside addresses.
Nf* Engine::nf_at(size_t step, Side in) const {
  bool out = in == Side::Inside;
  size_t d = out ? delay_out_ : delay_in_;
  if (step < d || step - d >= chain_.size()) return nullptr;
  size_t j = step - d;
  return out ? chain_[j] : chain_[chain_.size() - 1 - j];
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
  // TTL refreshes are posted (run_chain) and nothing waits for them: a batch whose reads all
  // hit the cache pays no round trip, and the refreshed values are back in the cache, most
  // often, before the flows' next packets. (The state changes nobody waits for are in the
  // writes.) What is posted goes out with the next exchange on its connection, or at the end
  // of the batch (send_posted): one socket write, and one wake-up of the store, for what used
  // to take one each.
  run_chain(n);
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

// Queues the reads of `step` for the alive packets into q, behind what q holds, with the NF
// each meets at the step before as the creation gate: a flow the step creates on read is one
// that NF has already let through or, when that is the firewall, would let open (its verdict,
// or its write, may still be pending). Behind any other NF, no creation. A packet that meets
// no NF before this step (a late start, see configure()) has nothing ahead of it to wait for.
void Engine::lookup_ahead(size_t step, size_t n, CmdQueue& q) {
  for (auto& v : next_idx_) v.clear();
  bool behind_fw[kNfKinds] = {true, true, true};
  for (size_t i = 0; i < n; i++) {
    const Slot& s = slots_[i];
    Nf* nf = s.alive() ? nf_at(step, s.in) : nullptr;
    if (!nf) continue;
    int k = static_cast<int>(nf->kind());
    next_idx_[k].push_back(static_cast<uint32_t>(i));
    const Nf* before = nf_at(step - 1, s.in);
    if (before && before->kind() != NfKind::Firewall) behind_fw[k] = false;
  }
  for (int k = 0; k < kNfKinds; k++)
    if (!next_idx_[k].empty()) {
      nfs_[k]->create_on_read = behind_fw[k] ? store_.get() : nullptr;
      nfs_[k]->create_gate = nfs_[static_cast<int>(NfKind::Firewall)].get();
      nfs_[k]->lookup(slots_, next_idx_[k], q);
    }
}

void Engine::run_chain(size_t n) {
  bool prefetched = false;  // this step's reads went out with the previous step's exchange
  for (size_t step = 0; step < steps_; step++) {
    for (auto& v : idx_) v.clear();
    bool any = false;
    for (size_t i = 0; i < n; i++) {
      Nf* nf = slots_[i].alive() ? nf_at(step, slots_[i].in) : nullptr;
      if (!nf) continue;
      idx_[static_cast<int>(nf->kind())].push_back(static_cast<uint32_t>(i));
      any = true;
    }
    if (!any) {
      prefetched = false;
      continue;
    }
    bool last = step + 1 == steps_;

    if (!prefetched) {
      reads_.clear();
      for (int k = 0; k < kNfKinds; k++)
        if (!idx_[k].empty()) {
          nfs_[k]->create_on_read = store_.get();
          nfs_[k]->create_gate = nullptr;
          nfs_[k]->lookup(slots_, idx_[k], reads_);
        }
      // When no packet's NF at this step rewrites it, queue the next step's reads too.
      bool can = !last;
      for (int k = 0; k < kNfKinds; k++)
        if (!idx_[k].empty() && rewrites(static_cast<NfKind>(k))) can = false;
      if (can) lookup_ahead(step + 1, n, reads_);
      exchange(reads_, read_replies_);
      prefetched = can;
    } else {
      prefetched = false;
    }

    writes_.clear();
    for (int k = 0; k < kNfKinds; k++)
      if (!idx_[k].empty()) nfs_[k]->decide(slots_, idx_[k], read_replies_, writes_, deferred_);
    // TTL refreshes go on their connections ahead of this step's writes and any later step's:
    // a refresh rewrites the state it read, so behind a closing of the same flow (queued by a
    // later packet, or by the NF at a later step) it would undo it.
    post_deferred();
    // Write before forward: verdicts that depend on these writes wait for the store's ack.
    // Writes nobody waits for (owner -1: closings, NAT states) are queued among them in packet
    // order; when they are all there is, they are posted and the batch goes on without a round trip.
    bool waited = false;
    for (size_t w = 0; w < writes_.size() && !waited; w++) waited = writes_.owner(w) >= 0;
    if (!waited) {
      if (writes_.size()) store_->post(writes_.data(), writes_.size());
    } else {
      // The next step's reads ride behind these writes when its keys are known already: no
      // write of this step changes its packet at commit (a NAT allocation or an LB assignment
      // does). The store runs them after the writes, as a separate exchange would, and one
      // round trip answers both; a packet the writes' outcome drops has only cost a read.
      bool ahead = !last && !prefetched;
      for (int k = 0; k < kNfKinds && ahead; k++)
        if (!idx_[k].empty() && nfs_[k]->rewrites_on_commit()) ahead = false;
      if (ahead) lookup_ahead(step + 1, n, writes_);
      exchange(writes_, write_replies_);
      if (ahead) {
        // One reply vector holds both: commit reads the writes' replies, and the next step's
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
