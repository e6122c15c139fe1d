#include "dataplane.hpp"

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

#include "afpacket.hpp"

namespace snf {

void add_counters(EngineCounters& a, const EngineCounters& c) {
  a.rx += c.rx;
  a.tx += c.tx;
  a.dropped += c.dropped;
  a.batches += c.batches;
  for (int i = 0; i < static_cast<int>(Drop::Count); i++) a.drops[i] += c.drops[i];
  for (int k = 0; k < kNfKinds; k++) {
    a.nf_present[k] = a.nf_present[k] || c.nf_present[k];
    a.nf[k] += c.nf[k];
  }
  a.store.round_trips += c.store.round_trips;
  a.store.commands += c.store.commands;
  a.store.errors += c.store.errors;
  a.store.reconnects += c.store.reconnects;
  if (!c.store.last_error.empty()) a.store.last_error = c.store.last_error;
  for (int i = 0; i < StoreStats::kBuckets; i++) a.store.latency[i] += c.store.latency[i];
  a.has_cache = a.has_cache || c.has_cache;
  a.cache.hits += c.cache.hits;
  a.cache.misses += c.cache.misses;
  a.cache.invalidations += c.cache.invalidations;
  a.cache.flushes += c.cache.flushes;
  a.cache.evictions += c.cache.evictions;
  a.cache.bytes += c.cache.bytes;
  a.cache.entries += c.cache.entries;
}

Dataplane::Dataplane(const EngineCfg& cfg, StoreFactory stores, const IoCfg& io)
    : cfg_(cfg), stores_(std::move(stores)), io_(io) {}

Dataplane::~Dataplane() { stop(); }

std::string Dataplane::open() {
  int n = io_.queues < 1 ? 1 : io_.queues;
  if (io_.kind == IoKind::AfPacket) {
    AfPacketRing ring;
    std::string e = afpacket_ring_from_env(ring);
    if (!e.empty()) return e;
  }
  if (const char* v = std::getenv("SNF_IO_SPIN_US")) {
    char* end = nullptr;
    long us = std::strtol(v, &end, 10);
    if (!*v || *end || us < 0 || us > 10000)
      return std::string("SNF_IO_SPIN_US: must be an integer from 0 to 10000 (µs), got '") + v + "'";
    io_.idle_spin_us = static_cast<int>(us);
  }
  if (const char* v = std::getenv("SNF_IO_INFLIGHT")) {
    char* end = nullptr;
    long k = std::strtol(v, &end, 10);
    if (!*v || *end || k < 1 || k > static_cast<long>(Engine::kMaxInflight))
      return std::string("SNF_IO_INFLIGHT: must be an integer from 1 to ") + std::to_string(Engine::kMaxInflight) + ", got '" + v + "'";
    io_.inflight = static_cast<int>(k);
  }
  for (int i = 0; i < n; i++) {
    auto q = std::make_unique<Queue>();
    q->engine = std::make_unique<Engine>(cfg_, stores_());
    q->engine->set_inflight(static_cast<size_t>(io_.inflight));
    q->in = make_port(io_.kind);
    q->out = make_port(io_.kind);
    if (!q->in || !q->out) {
      queues_.clear();
      return std::string("io.kind: ") + io_kind_name(io_.kind) + " is not built into this data plane";
    }
    std::string e = q->in->open(io_.in.iface, i, n);
    if (e.empty()) e = q->out->open(io_.out.iface, i, n);
    if (!e.empty()) {
      queues_.clear();
      return e;
    }
    queues_.push_back(std::move(q));
  }
  return "";
}

void Dataplane::start() {
  if (running_.exchange(true)) return;
  for (auto& q : queues_) {
    Queue* qp = q.get();
    q->th = std::thread([this, qp] { run(*qp); });
  }
}

void Dataplane::stop() {
  if (!running_.exchange(false)) return;
  for (auto& q : queues_)
    if (q->th.joinable()) q->th.join();
}

void Dataplane::configure(const EngineCfg& cfg) {
  cfg_ = cfg;
  for (auto& q : queues_) {
    std::lock_guard<std::mutex> lk(q->mu);
    q->engine->configure(cfg);
  }
}

DataplaneCounters Dataplane::counters() {
  DataplaneCounters c;
  for (auto& q : queues_) {
    std::lock_guard<std::mutex> lk(q->mu);
    add_counters(c.engine, q->engine->counters());
    PortCounters i = q->in->counters(), o = q->out->counters();
    c.in.rx += i.rx;
    c.in.tx += i.tx;
    c.in.rx_dropped += i.rx_dropped;
    c.in.tx_errors += i.tx_errors;
    c.out.rx += o.rx;
    c.out.tx += o.tx;
    c.out.rx_dropped += o.rx_dropped;
    c.out.tx_errors += o.tx_errors;
    c.bursts += q->bursts;
  }
  return c;
}

// Nothing was read: send TTL refreshes still waiting for a batch, then poll the rings again at
// once while the last burst is recent, else sleep. Right after a burst the next frame (often
// the reply to what just left) is likely microseconds away: polling the rings for it skips a
// sleep and a wake-up, which on a busy host cost tens of µs each (bench/RESULTS.md). Idle, the
// thread sleeps in poll().
void Dataplane::idle(Queue& q, pollfd* pfd, std::chrono::steady_clock::time_point last_busy) {
  {
    std::lock_guard<std::mutex> lk(q.mu);
    q.engine->flush();
  }
  if (io_.idle_spin_us > 0 && std::chrono::steady_clock::now() - last_busy < std::chrono::microseconds(io_.idle_spin_us)) return;
  if (pfd[0].fd < 0 || pfd[1].fd < 0) usleep(20);  // a polled-mode backend (DPDK): short nap
  else poll(pfd, 2, 10);
}

// Rewrites the Ethernet addresses of a burst's forwarded frames and sends each out of the
// other side.
static void transmit(const IoCfg& io, Port& in, Port& out, const Frame* frames, size_t n, std::vector<RxFrame>& tx_in,
                     std::vector<RxFrame>& tx_out) {
  tx_in.clear();
  tx_out.clear();
  for (size_t i = 0; i < n; i++) {
    const Frame& f = frames[i];
    if (!f.forward || f.len < 14) continue;
    bool to_out = f.out == Side::Outside;
    std::memcpy(f.data, to_out ? io.out.peer_mac : io.in.peer_mac, 6);
    std::memcpy(f.data + 6, to_out ? out.mac() : in.mac(), 6);
    (to_out ? tx_out : tx_in).push_back({f.data, f.len});
  }
  if (!tx_out.empty()) out.tx_burst(tx_out);
  if (!tx_in.empty()) in.tx_burst(tx_in);
}

// The burst loop. One burst at a time, the engine rewrites frames in place in the receive
// rings, and they are sent before the rings are handed back. With bursts in flight (io.inflight
// > 1 on a store over a connection), each burst is copied into a slot of its own (the rings go
// back at once), submitted, and sent once reaped, oldest first, so frames leave in the order
// they came (per flow and overall). Nothing to read: every burst in flight is finished and sent
// before the thread idles, so the split phase never holds a frame back for lack of traffic
// behind it. (An in-process store answers at once: nothing to overlap, nor to copy frames for.)
void Dataplane::run(Queue& q) {
  const size_t burst = static_cast<size_t>(io_.burst < 1 ? 32 : io_.burst);
  const size_t k = io_.inflight > 1 && q.engine->store_splits() ? static_cast<size_t>(io_.inflight) : 1;
  struct Slot {
    std::vector<uint8_t> bytes;
    std::vector<Frame> frames;
  };
  std::vector<Slot> slots(k);
  // Slots are taken in turn and reaped oldest first (the engine's order): those in flight are
  // the `busy` slots before `next`, the oldest at (next - busy) mod k.
  size_t next = 0, busy = 0;
  std::vector<RxFrame> rx, tx_in, tx_out;
  rx.reserve(2 * burst);
  tx_in.reserve(2 * burst);
  tx_out.reserve(2 * burst);
  pollfd pfd[2] = {{q.in->fd(), POLLIN, 0}, {q.out->fd(), POLLIN, 0}};
  auto last_busy = std::chrono::steady_clock::now();
  auto send_oldest = [&](bool wait) {
    uint64_t seq;
    {
      std::lock_guard<std::mutex> lk(q.mu);
      seq = q.engine->reap(wait);
    }
    if (seq == 0) return false;
    Slot& s = slots[(next + k - busy) % k];
    busy--;
    transmit(io_, *q.in, *q.out, s.frames.data(), s.frames.size(), tx_in, tx_out);
    return true;
  };
  while (running_.load(std::memory_order_relaxed)) {
    rx.clear();
    size_t nin = q.in->rx_burst(rx, burst);
    q.out->rx_burst(rx, burst);
    if (rx.empty()) {
      q.in->release();
      q.out->release();
      if (busy > 0) send_oldest(true);
      else idle(q, pfd, last_busy);
      continue;
    }
    last_busy = std::chrono::steady_clock::now();
    if (busy == k) send_oldest(true);
    Slot& s = slots[next];
    s.frames.resize(rx.size());
    if (k > 1) {
      size_t total = 0;
      for (const RxFrame& f : rx) total += f.len;
      if (s.bytes.size() < total) s.bytes.resize(total);
    }
    size_t at = 0;
    for (size_t i = 0; i < rx.size(); i++) {
      s.frames[i] = Frame{};
      s.frames[i].data = rx[i].data;
      if (k > 1) {
        std::memcpy(s.bytes.data() + at, rx[i].data, rx[i].len);
        s.frames[i].data = s.bytes.data() + at;
        at += rx[i].len;
      }
      s.frames[i].len = rx[i].len;
      s.frames[i].in = i < nin ? Side::Inside : Side::Outside;
    }
    if (k > 1) {
      q.in->release();
      q.out->release();
    }
    {
      std::lock_guard<std::mutex> lk(q.mu);
      if (k > 1) q.engine->submit(s.frames.data(), s.frames.size());
      else q.engine->process(s.frames.data(), s.frames.size());
      q.bursts++;
    }
    if (k == 1) {
      transmit(io_, *q.in, *q.out, s.frames.data(), s.frames.size(), tx_in, tx_out);
      q.in->release();
      q.out->release();
      continue;
    }
    busy++;
    next = (next + 1) % k;
    while (busy > 0 && send_oldest(false)) {
    }
  }
  while (busy > 0) send_oldest(true);
  std::lock_guard<std::mutex> lk(q.mu);
  q.engine->flush();  // posted writes still held (store.postHoldUs) go out before the thread ends
}

}  // namespace snf
