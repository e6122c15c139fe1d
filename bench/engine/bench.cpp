// In-process engine benchmark: snf::Engine over LocalStore (the coupled baseline) and
// RedisStore (the stateless design), side by side, on pre-built 64-byte UDP/IPv4 frames
// arriving on the inside side.
//
// Scenarios
//   established  every packet belongs to a flow created in a warm-up pass
//   mix          every 10th packet starts a new flow (a fresh inside endpoint), the rest are
//                established flows
//   enterprise   mostly short flows plus a few heavy ones: 70% of packets belong to 64 heavy
//                flows, 30% to short flows of 4 packets each (a new flow every 13th packet)
// For each store x scenario x batch size: packets/s (wall clock over the measuring loop,
// frame reset included), store round trips and commands per packet (deltas of
// Engine::counters().store), and the latency of one Engine::process call (p50 / p99, us).
//
// Usage: bench [--redis host:port] [--stores local,redis] [--scenarios established,mix]
//              [--batches 1,8,32,64] [--seconds 1.5] [--flows 10000] [--chain nat|firewall,nat|lb]
//              [--timeout-ms 100] [--refresh-ms N] [--udp-ms N] [--scale 1,2,4]   (redis, batch 64, N engines in N threads)
//              [--inflight K]   (batches in flight per engine: Engine::submit / reap, split phase)
//              [--ref-get N --ref-evalsha N [--ref-update N] [--ref-get-c1 N --ref-evalsha-c1 N --ref-update-c1 N]]
//              [--print-lua nat_alloc]
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>
#include <atomic>

#include <hiredis/hiredis.h>
#include <time.h>

#include "native/engine/engine.hpp"
#include "native/packet/checksum.hpp"
#include "native/store/local_store.hpp"
#include "native/store/redis_store.hpp"

using namespace snf;

namespace {

using Clock = std::chrono::steady_clock;

double secs(Clock::time_point a, Clock::time_point b) { return std::chrono::duration<double>(b - a).count(); }

// CPU seconds this thread has run: the engine's own cost, whatever else the machine is doing.
double thread_cpu() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// CPU seconds the redis-server has run (INFO cpu: used_cpu_user + used_cpu_sys), over a
// side connection; < 0 when unavailable.
double redis_cpu(const std::string& hostport) {
  timeval tv{1, 0};
  redisContext* ctx;
  if (hostport.compare(0, 5, "unix:") == 0) {
    ctx = redisConnectUnixWithTimeout(hostport.c_str() + 5, tv);
  } else {
    auto c = hostport.rfind(':');
    if (c == std::string::npos) return -1;
    ctx = redisConnectWithTimeout(hostport.substr(0, c).c_str(), std::atoi(hostport.c_str() + c + 1), tv);
  }
  if (!ctx || ctx->err) {
    if (ctx) redisFree(ctx);
    return -1;
  }
  double v = -1;
  auto* r = static_cast<redisReply*>(redisCommand(ctx, "INFO cpu"));
  if (r && r->type == REDIS_REPLY_STRING) {
    std::string info(r->str, r->len);
    auto field = [&](const char* name) {
      auto p = info.find(name);
      return p == std::string::npos ? -1.0 : std::atof(info.c_str() + p + std::strlen(name));
    };
    double u = field("used_cpu_user:"), s = field("used_cpu_sys:");
    if (u >= 0 && s >= 0) v = u + s;
  }
  if (r) freeReplyObject(r);
  redisFree(ctx);
  return v;
}

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string x;
  while (std::getline(ss, x, ','))
    if (!x.empty()) out.push_back(x);
  return out;
}

struct Opts {
  std::string redis = "127.0.0.1:6379";
  std::vector<std::string> stores{"local", "redis", "redis-cache"};
  std::vector<std::string> scenarios{"established", "mix", "enterprise"};
  std::vector<int> batches{1, 8, 32, 64};
  double seconds = 1.5;
  int timeout_ms = 100;  // RedisStore batch deadline (the product default)
  int64_t refresh_ms = -1;  // Timeouts::refresh_ms override (-1: the product default)
  int64_t udp_ms = -1;      // Timeouts::udp_ms override: a short TTL brings refreshes into a cell
  int flows = 10000;
  int new_every = 10;  // mix: one packet in `new_every` starts a new flow
  int inflight = 1;    // batches in flight per engine (1: Engine::process, one at a time)
  std::vector<std::string> chain{"nat"};
  std::vector<int> scale;  // engine counts for the redis scaling table (batch 64)
  // redis-benchmark -P 64 requests/s (with 50 clients, and with 1 client) for the commands the
  // engine sends: GET, EVALSHA nat_alloc (new flow), EVALSHA nat_update (refresh).
  double ref_get = 0, ref_eval = 0, ref_upd = 0, ref_get_c1 = 0, ref_eval_c1 = 0, ref_upd_c1 = 0;
};

// ---- frames --------------------------------------------------------------------------------

constexpr uint32_t kFrameLen = 64;  // Ethernet 14 + IPv4 20 + UDP 8 + 22 bytes payload

void put32(uint8_t* p, uint32_t v) {
  p[0] = static_cast<uint8_t>(v >> 24);
  p[1] = static_cast<uint8_t>(v >> 16);
  p[2] = static_cast<uint8_t>(v >> 8);
  p[3] = static_cast<uint8_t>(v);
}
uint32_t get32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | static_cast<uint32_t>(p[1]) << 16 | static_cast<uint32_t>(p[2]) << 8 | p[3];
}

uint16_t udp4_csum(const uint8_t* ip) {
  const uint8_t* udp = ip + 20;
  uint32_t ulen = rd16(udp + 4);
  uint32_t s = 0;
  for (int i = 12; i < 20; i += 2) s += rd16(ip + i);
  s += 17 + ulen;
  uint16_t c = csum_full(udp, ulen, s);
  return c == 0 ? 0xffff : c;
}

// Builds a 64-byte Ethernet + IPv4 + UDP frame with correct IPv4 and UDP checksums.
void build_frame(uint8_t* f, uint32_t src, uint16_t sport, uint32_t dst, uint16_t dport) {
  std::memset(f, 0, kFrameLen);
  const uint8_t dmac[6] = {0x02, 0, 0, 0, 0, 0x01}, smac[6] = {0x02, 0, 0, 0, 0, 0x02};
  std::memcpy(f, dmac, 6);
  std::memcpy(f + 6, smac, 6);
  wr16(f + 12, 0x0800);
  uint8_t* ip = f + 14;
  ip[0] = 0x45;
  wr16(ip + 2, kFrameLen - 14);
  wr16(ip + 4, 0x1234);
  ip[8] = 64;
  ip[9] = 17;
  put32(ip + 12, src);
  put32(ip + 16, dst);
  wr16(ip + 10, csum_full(ip, 20));
  uint8_t* udp = ip + 20;
  wr16(udp, sport);
  wr16(udp + 2, dport);
  wr16(udp + 4, kFrameLen - 14 - 20);
  for (uint32_t i = 8; i < kFrameLen - 34; i++) udp[i] = static_cast<uint8_t>('a' + i % 26);
  wr16(udp + 6, udp4_csum(ip));
}

uint32_t ip4(int a, int b, int c, int d) { return static_cast<uint32_t>(a << 24 | b << 16 | c << 8 | d); }

// Flow i of the established set, and flow j of the stream of new flows (disjoint ranges).
// 16 ports per inside host; hosts spread over the 64 pool addresses by paired pooling.
void est_endpoint(int i, uint32_t& src, uint16_t& sport) {
  src = ip4(10, 0, 0, 0) + 1 + static_cast<uint32_t>(i / 16);
  sport = static_cast<uint16_t>(10000 + i % 16);
}
void new_endpoint(uint64_t j, uint32_t& src, uint16_t& sport) {
  src = ip4(10, 128, 0, 0) + 1 + static_cast<uint32_t>(j / 16);
  sport = static_cast<uint16_t>(20000 + j % 16);
}

// ---- engine config -------------------------------------------------------------------------

const uint32_t kDst = ip4(198, 51, 100, 10);
const uint16_t kDport = 5353;
const uint32_t kVip = ip4(192, 0, 2, 10);
const uint16_t kVport = 53;

bool has(const std::vector<std::string>& v, const char* x) { return std::find(v.begin(), v.end(), x) != v.end(); }

EngineCfg make_cfg(const Opts& o, const std::string& vnf) {
  EngineCfg c;
  c.vnf = vnf;
  c.instance = "bench-0";
  if (o.refresh_ms >= 0) c.t.refresh_ms = o.refresh_ms;
  if (o.udp_ms > 0) c.t.udp_ms = o.udp_ms;
  for (const auto& n : o.chain) {
    if (n == "nat") c.chain.push_back(NfKind::Nat);
    else if (n == "firewall" || n == "fw") c.chain.push_back(NfKind::Firewall);
    else if (n == "lb") c.chain.push_back(NfKind::Lb);
  }
  Prefix p;
  Prefix::parse("10.0.0.0/8", p);
  c.nat.inside.push_back(p);
  for (int i = 0; i < 64; i++) {
    Addr a;
    Addr::parse("203.0.113." + std::to_string(i), a);
    c.nat.pool4.push_back(a);
  }
  FwRule allow_out;
  allow_out.allow = true;
  allow_out.dir = 1;
  allow_out.proto = 17;
  c.fw.rules.push_back(allow_out);
  c.fw.default_allow = false;
  LbVip v;
  v.id = "dns";
  uint8_t vb[4] = {192, 0, 2, 10};
  v.addr = Addr::v4(vb);
  v.port = kVport;
  v.proto = 17;
  for (int i = 0; i < 4; i++) {
    LbBackend be;
    be.id = "be" + std::to_string(i);
    uint8_t bb[4] = {10, 1, 0, static_cast<uint8_t>(10 + i)};
    be.addr = Addr::v4(bb);
    v.backends.push_back(be);
  }
  c.lb.vips.push_back(v);
  return c;
}

// ---- one cell ------------------------------------------------------------------------------

struct Cell {
  std::string store, scenario;
  int batch = 0;
  int engines = 1;
  double pps = 0;
  double rt_per_pkt = 0, cmd_per_pkt = 0;
  double new_per_pkt = 0;  // flows created (NfStats::new_flows) per packet
  double hit_ratio = -1;   // coherent cache hits / (hits + misses), redis-cache only
  double p50 = 0, p99 = 0;
  double engine_ns = 0;  // engine thread CPU per packet
  double redis_ns = -1;  // redis-server CPU per packet (redis store only)
  uint64_t packets = 0, forwarded = 0;
  bool ok = false;
  std::string note;
};

// A pass-through that remembers the first failed reply, so a drop can be explained.
class TapStore final : public StateStore {
 public:
  explicit TapStore(std::unique_ptr<StateStore> s) : s_(std::move(s)) {}
  void execute(const Cmd* cmds, size_t n, std::vector<Reply>& replies) override {
    s_->execute(cmds, n, replies);
    note(replies, n);
  }
  void note(const std::vector<Reply>& replies, size_t n) {
    for (size_t i = 0; i < n; i++)
      if (!replies[i].ok()) {
        failed++;
        if (first_error.empty())
          first_error = replies[i].type == Reply::Unavailable ? std::string("unavailable (timeout or connection)")
                                                              : replies[i].s;
      }
  }
  Ticket start(const Cmd* cmds, size_t n, std::vector<Reply>& replies) override {
    Ticket t = s_->start(cmds, n, replies);
    open_.push_back({t, &replies, n});
    return t;
  }
  void finish(Ticket t) override {
    s_->finish(t);
    for (size_t k = 0; k < open_.size(); k++)
      if (open_[k].t == t) {
        note(*open_[k].replies, open_[k].n);
        open_.erase(open_.begin() + static_cast<long>(k));
        break;
      }
  }
  bool ready(Ticket t) override { return s_->ready(t); }
  bool splits() const override { return s_->splits(); }
  void post(const Cmd* cmds, size_t n) override { s_->post(cmds, n); }
  void send_posted() override { s_->send_posted(); }
  // Forwarded, not left to the base (which writes every post at once): the bench must hold
  // posts as the engine over RedisStore does (RedisOptions::post_hold_us).
  void send_posted_due() override { s_->send_posted_due(); }
  const StoreStats& stats() const override { return s_->stats(); }
  int shards() const override { return s_->shards(); }
  const CacheStats* cache_stats() const override { return s_->cache_stats(); }
  bool cache_miss(const std::string& key) const override { return s_->cache_miss(key); }
  uint64_t failed = 0;
  std::string first_error;

 private:
  struct Open {
    Ticket t;
    const std::vector<Reply>* replies;
    size_t n;
  };
  std::unique_ptr<StateStore> s_;
  std::vector<Open> open_;
};

std::unique_ptr<StateStore> make_store(const Opts& o, const std::string& kind) {
  if (kind == "local") return std::make_unique<LocalStore>();
  RedisOptions ro;
  ro.seeds.push_back(o.redis);
  ro.timeout_ms = o.timeout_ms;
  // "redis-cache": the coherent flow cache (CLIENT TRACKING), as the product runs by default.
  ro.cache_bytes = kind == "redis-cache" ? size_t{64} << 20 : 0;
  ro.connect_timeout_ms = 1000;
  return std::make_unique<RedisStore>(ro);
}

double pct(std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) - 1;
  k = std::min(k, v.size() - 1);
  std::nth_element(v.begin(), v.begin() + static_cast<long>(k), v.end());
  return v[k];
}

// Checks that a forwarded frame left NAT with a pool source address and right checksums.
bool frame_sane(const uint8_t* f, bool nat) {
  const uint8_t* ip = f + 14;
  if (csum_full(ip, 20) != 0) return false;
  uint32_t s = 0;
  for (int i = 12; i < 20; i += 2) s += rd16(ip + i);
  s += 17 + rd16(ip + 24);
  if (csum_full(ip + 20, rd16(ip + 24), s) != 0) return false;
  if (nat && (get32(ip + 12) & 0xffffffc0u) != ip4(203, 0, 113, 0)) return false;
  return true;
}

// One engine driving its own frames; several of them run in parallel threads for --scale.
struct Worker {
  std::unique_ptr<Engine> eng;
  TapStore* tap = nullptr;
  // One frame set per batch in flight (--inflight), submitted in turn.
  std::vector<std::vector<uint8_t>> bufs;
  std::vector<std::vector<Frame>> sets;
  std::vector<Clock::time_point> sent;
  std::vector<double> lat;
  uint64_t next_est = 0, next_new = 0, pkt_no = 0, pkts = 0, fwd = 0;
  int short_left = 0;  // enterprise: packets left of the current short flow
  uint32_t short_src = 0;
  uint16_t short_sport = 0;
  double cpu = 0;
  bool sane = true;
  Clock::time_point end;
  EngineCounters before, after;
};

Cell run_cell(const Opts& o, const std::string& store, const std::string& scenario, int batch, int seq,
              int engines = 1) {
  Cell c;
  c.store = store;
  c.scenario = scenario;
  c.batch = batch;
  c.engines = engines;
  bool lb = has(o.chain, "lb");
  bool nat = has(o.chain, "nat");
  bool mix = scenario == "mix";
  bool ent = scenario == "enterprise";
  // A fresh key namespace per cell: no cell sees another's flows (and no FLUSHALL needed).
  char vnf[64];
  std::snprintf(vnf, sizeof vnf, "b%d-%ld", seq, static_cast<long>(std::time(nullptr) % 100000));
  std::vector<Worker> ws(static_cast<size_t>(engines));
  for (Worker& w : ws) {
    auto tap = std::make_unique<TapStore>(make_store(o, store));
    w.tap = tap.get();
    w.eng = std::make_unique<Engine>(make_cfg(o, vnf), std::move(tap));
    w.eng->set_inflight(static_cast<size_t>(o.inflight));
    size_t k = static_cast<size_t>(o.inflight);
    w.bufs.assign(k, std::vector<uint8_t>(static_cast<size_t>(batch) * kFrameLen));
    w.sets.assign(k, std::vector<Frame>(static_cast<size_t>(batch)));
    w.sent.resize(k);
    w.lat.reserve(1 << 20);
  }
  auto store_note = [&]() {
    uint64_t failed = 0;
    std::string first;
    for (const Worker& w : ws) {
      failed += w.tap->failed;
      if (first.empty()) first = w.tap->first_error;
    }
    return failed ? " (store: " + std::to_string(failed) + " failed replies, first: " + first + ")" : std::string();
  };

  // Templates of the established flows. With the LB chain, frames are client -> VIP arriving
  // from the outside; otherwise inside host -> remote server.
  Side side = lb ? Side::Outside : Side::Inside;
  auto mk = [&](uint8_t* f, uint32_t src, uint16_t sport) {
    if (lb) build_frame(f, ip4(198, 18, 0, 0) + (src & 0xffffff), sport, kVip, kVport);
    else build_frame(f, src, sport, kDst, kDport);
  };
  std::vector<uint8_t> tmpl(static_cast<size_t>(o.flows) * kFrameLen);
  for (int i = 0; i < o.flows; i++) {
    uint32_t src;
    uint16_t sp;
    est_endpoint(i, src, sp);
    mk(&tmpl[static_cast<size_t>(i) * kFrameLen], src, sp);
  }

  // Warm-up: create every established flow (batches of 64) through the first engine; the
  // others share them through the store, as instances do. Then every engine reads each flow
  // once, so a cache holds them: cells measure the steady state. (A cold instance warming up
  // is what the failover benchmark shows.)
  for (size_t e = 0; e <= ws.size(); e++) {
    Engine& eng = *ws[e == 0 ? 0 : e - 1].eng;
    std::vector<uint8_t> wb(64 * kFrameLen);
    std::vector<Frame> wf(64);
    for (int i = 0; i < o.flows; i += 64) {
      int n = std::min(64, o.flows - i);
      std::memcpy(wb.data(), &tmpl[static_cast<size_t>(i) * kFrameLen], static_cast<size_t>(n) * kFrameLen);
      for (int k = 0; k < n; k++) wf[k] = Frame{&wb[static_cast<size_t>(k) * kFrameLen], kFrameLen, side};
      eng.process(wf.data(), static_cast<size_t>(n));
      for (int k = 0; k < n; k++)
        if (!wf[k].forward) {
          c.note = std::string("warm-up drop: ") + drop_name(wf[k].reason) + store_note();
          return c;
        }
    }
  }

  // Engine t walks the established flows from its own offset and draws new flows from its own
  // range, so engines never create the same flow.
  auto fill = [&](Worker& w, size_t t, size_t slot) {
    for (int k = 0; k < batch; k++) {
      uint8_t* f = &w.bufs[slot][static_cast<size_t>(k) * kFrameLen];
      if (ent) {
        if (w.pkt_no++ % 10 < 7) {
          uint64_t i = (w.next_est++ + t * 64) % std::min<uint64_t>(64, static_cast<uint64_t>(o.flows));
          std::memcpy(f, &tmpl[i * kFrameLen], kFrameLen);
        } else {
          if (w.short_left == 0) {
            new_endpoint((static_cast<uint64_t>(t) << 23) + w.next_new++, w.short_src, w.short_sport);
            w.short_left = 4;
          }
          w.short_left--;
          mk(f, w.short_src, w.short_sport);
        }
      } else if (mix && w.pkt_no++ % static_cast<uint64_t>(o.new_every) == 0) {
        uint32_t src;
        uint16_t sp;
        new_endpoint((static_cast<uint64_t>(t) << 23) + w.next_new++, src, sp);
        mk(f, src, sp);
      } else {
        uint64_t i = (w.next_est++ + t * static_cast<uint64_t>(o.flows) / ws.size()) % static_cast<uint64_t>(o.flows);
        std::memcpy(f, &tmpl[i * kFrameLen], kFrameLen);
      }
      w.sets[slot][k] = Frame{f, kFrameLen, side};
    }
  };

  double rcpu0 = -1;
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  Clock::time_point t0;
  auto body = [&](size_t t) {
    Worker& w = ws[t];
    // A short untimed run of the scenario itself so connections, strings and tables are warm.
    for (auto t_end = Clock::now() + std::chrono::milliseconds(150); Clock::now() < t_end;) {
      fill(w, t, 0);
      w.eng->process(w.sets[0].data(), w.sets[0].size());
    }
    w.before = w.eng->counters();
    ready++;
    while (!go.load()) std::this_thread::yield();
    double cpu0 = thread_cpu();
    auto deadline = t0 + std::chrono::microseconds(static_cast<int64_t>(o.seconds * 1e6));
    Clock::time_point now = Clock::now();
    // A batch's latency: submitted to reaped (with one in flight, one Engine::process call).
    auto account = [&](size_t slot) {
      now = Clock::now();
      w.lat.push_back(std::chrono::duration<double, std::micro>(now - w.sent[slot]).count());
      w.pkts += static_cast<uint64_t>(batch);
      for (const Frame& f : w.sets[slot]) w.fwd += f.forward;
      if ((w.lat.size() & 1023) == 1 && w.sets[slot][0].forward) w.sane = w.sane && frame_sane(w.sets[slot][0].data, nat && !lb);
    };
    const size_t k = w.sets.size();
    size_t slot = 0;
    while (now < deadline) {
      if (k == 1) {
        fill(w, t, 0);
        w.sent[0] = Clock::now();
        w.eng->process(w.sets[0].data(), w.sets[0].size());
        account(0);
        continue;
      }
      // Slots are submitted in turn and batches reaped oldest first: a busy slot is the oldest.
      if (w.eng->in_flight() == k) {
        w.eng->reap(true);
        account(slot);
      }
      fill(w, t, slot);
      w.sent[slot] = Clock::now();
      w.eng->submit(w.sets[slot].data(), w.sets[slot].size());
      slot = (slot + 1) % k;
      now = Clock::now();
    }
    for (size_t left = w.eng->in_flight(); left > 0; left--) {
      size_t oldest = (slot + k - left) % k;
      w.eng->reap(true);
      account(oldest);
    }
    w.end = now;
    w.cpu = thread_cpu() - cpu0;
    w.after = w.eng->counters();
  };
  std::vector<std::thread> th;
  for (size_t t = 1; t < ws.size(); t++)
    th.emplace_back([&, t]() {
      body(t);
    });
  // Engine 0 runs on this thread; the clock starts when every engine is warm.
  std::thread starter([&]() {
    while (ready.load() < static_cast<int>(ws.size())) std::this_thread::sleep_for(std::chrono::microseconds(200));
    if (store != "local") rcpu0 = redis_cpu(o.redis);
    t0 = Clock::now();
    go = true;
  });
  body(0);
  for (auto& x : th) x.join();
  starter.join();

  Clock::time_point last = t0;
  std::vector<double> lat;
  uint64_t pkts = 0, fwd = 0, rt = 0, cmds = 0, created = 0, hits = 0, misses = 0;
  bool has_cache = false;
  uint64_t drops[static_cast<int>(Drop::Count)] = {0};
  double cpu = 0;
  bool sane = true;
  for (Worker& w : ws) {
    last = std::max(last, w.end);
    lat.insert(lat.end(), w.lat.begin(), w.lat.end());
    pkts += w.pkts;
    fwd += w.fwd;
    cpu += w.cpu;
    sane = sane && w.sane;
    rt += w.after.store.round_trips - w.before.store.round_trips;
    cmds += w.after.store.commands - w.before.store.commands;
    for (int k = 0; k < kNfKinds; k++) created += w.after.nf[k].new_flows - w.before.nf[k].new_flows;
    if (w.after.has_cache) {
      has_cache = true;
      hits += w.after.cache.hits - w.before.cache.hits;
      misses += w.after.cache.misses - w.before.cache.misses;
    }
    for (int d = 0; d < static_cast<int>(Drop::Count); d++) drops[d] += w.after.drops[d] - w.before.drops[d];
  }
  double rcpu1 = rcpu0 >= 0 ? redis_cpu(o.redis) : -1;
  double wall = secs(t0, last);
  double np = static_cast<double>(std::max<uint64_t>(pkts, 1));
  c.engine_ns = 1e9 * cpu / np;
  if (rcpu0 >= 0 && rcpu1 >= 0) c.redis_ns = 1e9 * (rcpu1 - rcpu0) / np;
  c.packets = pkts;
  c.forwarded = fwd;
  c.pps = static_cast<double>(pkts) / wall;
  c.rt_per_pkt = static_cast<double>(rt) / np;
  c.cmd_per_pkt = static_cast<double>(cmds) / np;
  c.new_per_pkt = static_cast<double>(created) / np;
  if (has_cache && hits + misses > 0) c.hit_ratio = static_cast<double>(hits) / static_cast<double>(hits + misses);
  c.p50 = pct(lat, 0.50);
  c.p99 = pct(lat, 0.99);
  c.ok = pkts > 0 && fwd == pkts && sane;
  if (fwd != pkts) {
    char b[160];
    std::snprintf(b, sizeof b, "%llu of %llu dropped", static_cast<unsigned long long>(pkts - fwd),
                  static_cast<unsigned long long>(pkts));
    c.note = b;
    for (int d = 1; d < static_cast<int>(Drop::Count); d++)
      if (drops[d]) c.note += std::string(" ") + drop_name(static_cast<Drop>(d)) + "=" + std::to_string(drops[d]);
  }
  if (!sane) c.note += " bad rewrite/checksum";
  if (!c.note.empty()) c.note += store_note();
  return c;
}

std::string fmt_rate(double v) {
  char b[32];
  if (v >= 1e6) std::snprintf(b, sizeof b, "%.2fM", v / 1e6);
  else std::snprintf(b, sizeof b, "%.0fK", v / 1e3);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  Opts o;
  for (int i = 1; i < argc; i++) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "missing value for %s\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--redis") o.redis = val();
    else if (a == "--stores") o.stores = split_list(val());
    else if (a == "--scenarios") o.scenarios = split_list(val());
    else if (a == "--batches") {
      o.batches.clear();
      for (const auto& b : split_list(val())) o.batches.push_back(std::atoi(b.c_str()));
    } else if (a == "--seconds") o.seconds = std::atof(val().c_str());
    else if (a == "--scale") {
      o.scale.clear();
      for (const auto& b : split_list(val())) o.scale.push_back(std::atoi(b.c_str()));
    } else if (a == "--timeout-ms") o.timeout_ms = std::atoi(val().c_str());
    else if (a == "--refresh-ms") o.refresh_ms = std::atoll(val().c_str());
    else if (a == "--udp-ms") o.udp_ms = std::atoll(val().c_str());
    else if (a == "--flows") o.flows = std::atoi(val().c_str());
    else if (a == "--inflight") o.inflight = std::atoi(val().c_str());
    else if (a == "--chain") o.chain = split_list(val());
    else if (a == "--ref-get") o.ref_get = std::atof(val().c_str());
    else if (a == "--ref-evalsha") o.ref_eval = std::atof(val().c_str());
    else if (a == "--ref-get-c1") o.ref_get_c1 = std::atof(val().c_str());
    else if (a == "--ref-evalsha-c1") o.ref_eval_c1 = std::atof(val().c_str());
    else if (a == "--ref-update") o.ref_upd = std::atof(val().c_str());
    else if (a == "--ref-update-c1") o.ref_upd_c1 = std::atof(val().c_str());
    else if (a == "--print-lua") {
      std::string n = val();
      for (int s = 0; s < static_cast<int>(ScriptId::Count); s++)
        if (n == script_name(static_cast<ScriptId>(s))) {
          std::fputs(script_lua(static_cast<ScriptId>(s)), stdout);
          return 0;
        }
      std::fprintf(stderr, "no script %s\n", n.c_str());
      return 2;
    } else {
      std::fprintf(stderr, "unknown option %s (see the header of bench.cpp)\n", a.c_str());
      return 2;
    }
  }
  if (o.flows < 64) o.flows = 64;
  if (o.inflight < 1 || o.inflight > static_cast<int>(Engine::kMaxInflight)) {
    std::fprintf(stderr, "--inflight: 1..%zu\n", Engine::kMaxInflight);
    return 2;
  }
  if (has(o.chain, "lb") && has(o.chain, "nat")) {
    std::fprintf(stderr, "--chain: lb is driven from the outside (client -> VIP); combine it with firewall, not nat\n");
    return 2;
  }

  std::string chain;
  for (const auto& n : o.chain) chain += (chain.empty() ? "" : ",") + n;
  std::printf("engine bench: chain=%s flows=%d frame=%uB UDP/IPv4 seconds/cell=%.2f inflight=%d redis=%s\n", chain.c_str(),
              o.flows, kFrameLen, o.seconds, o.inflight, o.redis.c_str());

  std::vector<Cell> cells;
  int seq = 0;
  for (const auto& sc : o.scenarios)
    for (int b : o.batches)
      for (const auto& st : o.stores) {
        Cell c = run_cell(o, st, sc, b, seq++);
        std::fprintf(stderr, "  %-5s %-11s batch %2d: %s pps%s%s\n", st.c_str(), sc.c_str(), b, fmt_rate(c.pps).c_str(),
                     c.note.empty() ? "" : "  ! ", c.note.c_str());
        cells.push_back(c);
      }

  std::vector<Cell> scaled;
  if (has(o.stores, "redis"))
    for (const auto& sc : o.scenarios)
      for (int e : o.scale) {
        Cell c = run_cell(o, "redis", sc, 64, seq++, e);
        std::fprintf(stderr, "  redis %-11s batch 64 x %d engines: %s pps%s%s\n", sc.c_str(), e, fmt_rate(c.pps).c_str(),
                     c.note.empty() ? "" : "  ! ", c.note.c_str());
        scaled.push_back(c);
      }

  auto find = [&](const std::string& st, const std::string& sc, int b) -> const Cell* {
    for (const Cell& c : cells)
      if (c.store == st && c.scenario == sc && c.batch == b) return &c;
    return nullptr;
  };

  std::printf("\n| scenario | batch | local pkt/s | local rt/pkt | local cmd/pkt | local p50/p99 us | local engine CPU ns/pkt "
              "| redis pkt/s | redis rt/pkt | redis cmd/pkt | redis p50/p99 us | redis engine CPU ns/pkt "
              "| redis-server CPU ns/pkt | redis/local |\n");
  std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  for (const auto& sc : o.scenarios)
    for (int b : o.batches) {
      const Cell* l = find("local", sc, b);
      const Cell* r = find("redis", sc, b);
      std::printf("| %s | %d |", sc.c_str(), b);
      for (const Cell* c : {l, r}) {
        if (!c) {
          std::printf(" - | - | - | - | - |");
          continue;
        }
        std::printf(" %s%s | %.3f | %.3f | %.1f / %.1f | %.0f |", fmt_rate(c->pps).c_str(), c->ok ? "" : " (!)",
                    c->rt_per_pkt, c->cmd_per_pkt, c->p50, c->p99, c->engine_ns);
      }
      if (r && r->redis_ns >= 0) std::printf(" %.0f |", r->redis_ns);
      else std::printf(" - |");
      if (l && r && l->pps > 0) std::printf(" %.3f |\n", r->pps / l->pps);
      else std::printf(" - |\n");
    }
  if (has(o.stores, "redis-cache")) {
    std::printf("\nredis with the coherent flow cache (RedisOptions::cache_bytes = 64 MiB, the product default):\n");
    std::printf("| scenario | batch | pkt/s | rt/pkt | cmd/pkt | cache hit ratio | p50/p99 us | engine CPU ns/pkt "
                "| redis-server CPU ns/pkt | cached/local | cached/uncached |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (const auto& sc : o.scenarios)
      for (int b : o.batches) {
        const Cell* c = find("redis-cache", sc, b);
        if (!c) continue;
        const Cell* l = find("local", sc, b);
        const Cell* r = find("redis", sc, b);
        std::printf("| %s | %d | %s%s | %.3f | %.3f | %s | %.1f / %.1f | %.0f | %s |", sc.c_str(), b, fmt_rate(c->pps).c_str(),
                    c->ok ? "" : " (!)", c->rt_per_pkt, c->cmd_per_pkt,
                    c->hit_ratio >= 0 ? (std::to_string(static_cast<int>(100 * c->hit_ratio + 0.5)) + "%").c_str() : "-",
                    c->p50, c->p99, c->engine_ns, c->redis_ns >= 0 ? std::to_string(static_cast<long>(c->redis_ns)).c_str() : "-");
        std::printf(" %s | %s |\n", l && l->pps > 0 ? std::to_string(c->pps / l->pps).substr(0, 5).c_str() : "-",
                    r && r->pps > 0 ? std::to_string(c->pps / r->pps).substr(0, 5).c_str() : "-");
      }
  }
  for (const Cell& c : cells)
    if (!c.note.empty()) std::printf("note: %s %s batch %d: %s\n", c.store.c_str(), c.scenario.c_str(), c.batch, c.note.c_str());

  // Store-bound rate against redis-benchmark for the same commands. Every packet costs one GET
  // per NF in the chain; each new flow one nat_alloc; the remaining commands are refreshes
  // (nat_update). The equivalent rate is the packet rate redis-benchmark's measured command
  // rates would sustain for that mix: 1 / (GET/pkt / GET/s + alloc/pkt / alloc/s + upd/pkt / upd/s).
  bool nat_only = o.chain.size() == 1 && o.chain[0] == "nat";
  auto split_cmds = [&](const Cell& c, double& gets, double& allocs, double& upds) {
    gets = static_cast<double>(o.chain.size());
    allocs = c.new_per_pkt;
    upds = std::max(0.0, c.cmd_per_pkt - gets - allocs);
  };
  auto equiv = [&](const Cell& c, double g, double a, double u) {
    if (u <= 0) u = a;
    if (g <= 0 || a <= 0) return 0.0;
    double gets, allocs, upds;
    split_cmds(c, gets, allocs, upds);
    return 1.0 / (gets / g + allocs / a + upds / u);
  };
  bool have_ref = o.ref_get > 0 && o.ref_eval > 0;
  if (have_ref) {
    std::printf("\nengine store-bound rate vs redis-benchmark -P 64 for the same commands (redis store, batch 64):\n");
    if (!nat_only) std::printf("(the reference prices every script at nat_alloc / nat_update rates: exact for --chain nat only)\n");
    std::printf("| scenario | engine pkt/s | GET/pkt | nat_alloc/pkt | nat_update/pkt | equivalent pkt/s (-c 50) "
                "| engine / ref | goal 70%% | equivalent pkt/s (-c 1) | engine / ref |\n");
    std::printf("|---|---:|---:|---:|---:|---:|---:|---|---:|---:|\n");
    for (const auto& sc : o.scenarios) {
      const Cell* r = find("redis", sc, 64);
      if (!r || r->pps <= 0) continue;
      double gets, allocs, upds;
      split_cmds(*r, gets, allocs, upds);
      double ref = equiv(*r, o.ref_get, o.ref_eval, o.ref_upd), ref1 = equiv(*r, o.ref_get_c1, o.ref_eval_c1, o.ref_upd_c1);
      std::printf("| %s | %s | %.3f | %.3f | %.3f | %s | %.0f%% | %s |", sc.c_str(), fmt_rate(r->pps).c_str(), gets, allocs,
                  upds, fmt_rate(ref).c_str(), 100 * r->pps / ref, r->pps >= 0.7 * ref ? "met" : "NOT met");
      if (ref1 > 0) std::printf(" %s | %.0f%% |\n", fmt_rate(ref1).c_str(), 100 * r->pps / ref1);
      else std::printf(" - | - |\n");
    }
  }
  if (!scaled.empty()) {
    std::printf("\nredis store, batch 64, N engines (one thread and one connection each, sharing the flows):\n");
    std::printf("| scenario | engines | pkt/s | rt/pkt | cmd/pkt | batch p50/p99 us | engine CPU ns/pkt | redis-server CPU ns/pkt |");
    if (have_ref) std::printf(" engine / ref (-c 50) |");
    std::printf("\n|---|---:|---:|---:|---:|---:|---:|---:|%s\n", have_ref ? "---:|" : "");
    for (const Cell& c : scaled) {
      std::printf("| %s | %d | %s%s | %.3f | %.3f | %.1f / %.1f | %.0f | %.0f |", c.scenario.c_str(), c.engines,
                  fmt_rate(c.pps).c_str(), c.ok ? "" : " (!)", c.rt_per_pkt, c.cmd_per_pkt, c.p50, c.p99, c.engine_ns,
                  c.redis_ns);
      if (have_ref) std::printf(" %.0f%% |", 100 * c.pps / equiv(c, o.ref_get, o.ref_eval, o.ref_upd));
      std::printf("\n");
    }
    for (const Cell& c : scaled)
      if (!c.note.empty()) std::printf("note: redis %s x%d: %s\n", c.scenario.c_str(), c.engines, c.note.c_str());
  }
  bool all_ok = true;
  for (const Cell& c : cells) all_ok = all_ok && c.ok;
  for (const Cell& c : scaled) all_ok = all_ok && c.ok;
  return all_ok ? 0 : 1;
}
