// The `dpdk` packet I/O backend: one Port = one queue pair of a DPDK ethdev.
//
// EAL. rte_eal_init may run once per process and cannot be re-run after a failure, so it sits
// behind a process-wide once and its outcome (or error) is remembered. It runs on the thread
// that opens the first DPDK port (the engine host's thread, when the Dataplane is built); that
// thread's CPU affinity is saved before and restored after, because EAL pins its "main lcore"
// and the engine threads the host starts later would otherwise inherit a single CPU.
// Arguments: $SNF_DPDK_EAL_ARGS (split on blanks) or, by default,
//   --no-huge --no-pci -m 256 --file-prefix snf<pid> --log-level=3 --no-shconf --no-telemetry -l <cpu>
// (no hugepages, no PCI scan, no files under /run/dpdk, one lcore on the first allowed CPU).
//
// Devices. Port::open sees one interface at a time (the Dataplane opens inside, then outside,
// queue after queue) and EAL cannot be re-initialised, so rather than guessing every interface
// up front, EAL starts without any --vdev and each interface is hot-plugged with rte_dev_probe()
// when first opened: `net_af_packet<n>,iface=<iface>,qpairs=<queues>` (or net_af_xdp with
// $SNF_DPDK_VDEV=net_af_xdp). The same path serves a second Dataplane in the same process (a
// restart, other interfaces), which a once-only EAL vdev list could not. When `iface` already
// names an ethdev (production: a VF's PCI address such as 0000:03:02.1 allowed with
// `-a 0000:03:02.1` in $SNF_DPDK_EAL_ARGS and bound to vfio-pci, or a --vdev given there), that
// device is used as it is. All queues of an interface share one ethdev (queue i of the
// Dataplane = rx/tx queue i; RSS spreads flows when there are several) and one mempool.
//
// Buffers. rx_burst hands out frames that point into mbuf data; the mbufs are held until
// release(). tx_burst sends a frame that is still in an mbuf held on this thread (by this port
// or by the other side's port) without a copy: it takes a reference (refcnt + 1) so the
// receiving port's release() and the transmitting driver each drop one. Anything else is copied
// into a fresh mbuf of this port's pool. What the driver does not take is freed and counted in
// tx_errors.
//
// fd() is -1: the Dataplane then polls without descriptors, i.e. sleeps up to 10 ms when both
// sides were empty and spins while traffic flows.
#include <net/if.h>
#include <pthread.h>
#include <rte_dev.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <sched.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <unordered_map>

#include "port.hpp"

namespace snf {

namespace {

constexpr uint16_t kRxDesc = 1024, kTxDesc = 1024;
constexpr size_t kChunk = 64;  // mbufs per rte_eth_{rx,tx}_burst call
constexpr unsigned kPoolCache = 256;

std::string eal_error;

std::vector<std::string> eal_args() {
  std::vector<std::string> a{"snf-dataplane"};
  const char* env = std::getenv("SNF_DPDK_EAL_ARGS");
  if (env && *env) {
    std::istringstream in(env);
    for (std::string w; in >> w;) a.push_back(w);
    return a;
  }
  int cpu = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0)
    for (int i = 0; i < CPU_SETSIZE; i++)
      if (CPU_ISSET(i, &set)) {
        cpu = i;
        break;
      }
  for (const char* w : {"--no-huge", "--no-pci", "-m", "256", "--file-prefix"}) a.push_back(w);
  a.push_back("snf" + std::to_string(getpid()));
  for (const char* w : {"--log-level=3", "--no-shconf", "--no-telemetry", "-l"}) a.push_back(w);
  a.push_back(std::to_string(cpu));
  return a;
}

const std::string& eal_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    std::vector<std::string> args = eal_args();
    std::vector<char*> argv;
    for (auto& s : args) argv.push_back(s.data());
    argv.push_back(nullptr);
    cpu_set_t saved;
    bool have_saved = pthread_getaffinity_np(pthread_self(), sizeof saved, &saved) == 0;
    int r = rte_eal_init(static_cast<int>(args.size()), argv.data());
    if (have_saved) pthread_setaffinity_np(pthread_self(), sizeof saved, &saved);
    if (r < 0) {
      std::string joined;
      for (size_t i = 1; i < args.size(); i++) joined += (i > 1 ? " " : "") + args[i];
      eal_error = std::string("rte_eal_init failed (") + rte_strerror(rte_errno) + ") with EAL args: " + joined +
                  " (set SNF_DPDK_EAL_ARGS to change them)";
    }
  });
  return eal_error;
}

// Engine threads are not EAL lcores; registering one gives it an lcore id and so the
// mempools' per-lcore caches. Unregistered at thread exit. Failure only costs the cache.
struct LcoreReg {
  bool done = false, registered = false;
  ~LcoreReg() {
    if (registered) rte_thread_unregister();
  }
  void ensure() {
    if (done) return;
    done = true;
    if (rte_lcore_id() == LCORE_ID_ANY && rte_thread_register() == 0) registered = true;
  }
};
thread_local LcoreReg tl_lcore;

// mbufs held on this thread by any port (rx'd, not yet released), by frame data pointer: lets
// tx_burst send a frame without a copy.
thread_local std::unordered_map<const uint8_t*, rte_mbuf*> tl_held;

// One ethdev shared by the queues of one interface.
struct Dev {
  std::string iface, vdev;  // vdev: the name we hot-plugged ("" if the device was there)
  uint16_t port = 0;
  bool has_port = false, started = false;
  int queues = 1;
  rte_mempool* pool = nullptr;
  uint8_t mac[6] = {0};
};

std::mutex g_mu;
std::map<std::string, std::weak_ptr<Dev>> g_devs;
unsigned g_vdev_seq = 0, g_pool_seq = 0;
int g_live = 0;
// Pools of closed devices: an mbuf of one device's pool may still sit in another device's tx
// ring, so pools are freed only when no device is open.
std::vector<rte_mempool*> g_dead_pools;

// Stops (and unplugs what we plugged) a device, fully or partly set up. Under g_mu.
void teardown_locked(Dev* d) {
  if (d->has_port && d->started) rte_eth_dev_stop(d->port);
  if (!d->vdev.empty()) {
    // The driver's remove closes the port and its sockets; the name is never reused anyway.
    if (rte_eal_hotplug_remove("vdev", d->vdev.c_str()) != 0 && d->has_port) rte_eth_dev_close(d->port);
  }
  if (d->pool) g_dead_pools.push_back(d->pool);
  if (--g_live == 0) {
    for (rte_mempool* p : g_dead_pools) rte_mempool_free(p);
    g_dead_pools.clear();
  }
  delete d;
}

void close_dev(Dev* d) {
  std::lock_guard<std::mutex> lk(g_mu);
  auto it = g_devs.find(d->iface);
  if (it != g_devs.end() && it->second.expired()) g_devs.erase(it);
  teardown_locked(d);
}

std::string dpdk_err(const std::string& what, int r) { return what + ": " + rte_strerror(r < 0 ? -r : r); }

// Probes (if needed), configures and starts the device for `iface` with `queues` queue pairs.
std::string setup_dev(const std::string& iface, int queues, Dev& d) {
  d.iface = iface;
  d.queues = queues;
  uint16_t port;
  if (rte_eth_dev_get_port_by_name(iface.c_str(), &port) != 0) {
    if (if_nametoindex(iface.c_str()) == 0)
      return "interface '" + iface + "' is neither a DPDK port nor an interface of this network namespace";
    const char* drv_env = std::getenv("SNF_DPDK_VDEV");
    std::string drv = drv_env && *drv_env ? drv_env : "net_af_packet";
    std::string name = drv + std::to_string(g_vdev_seq++);
    std::string args = name + ",iface=" + iface;
    if (drv == "net_af_packet") args += ",qpairs=" + std::to_string(queues);
    else if (drv == "net_af_xdp") args += ",start_queue=0,queue_count=" + std::to_string(queues);
    else return "SNF_DPDK_VDEV: must be net_af_packet or net_af_xdp";
    int r = rte_dev_probe(args.c_str());
    if (r < 0) return dpdk_err("rte_dev_probe(" + args + ")", r);
    d.vdev = name;
    if (rte_eth_dev_get_port_by_name(name.c_str(), &port) != 0) return "no ethdev after probing " + args;
  }
  d.port = port;
  d.has_port = true;

  rte_eth_dev_info info{};
  int r = rte_eth_dev_info_get(port, &info);
  if (r != 0) return dpdk_err("rte_eth_dev_info_get " + iface, r);
  if (info.max_rx_queues < queues || info.max_tx_queues < queues)
    return iface + ": the device has " + std::to_string(info.max_rx_queues) + " rx / " + std::to_string(info.max_tx_queues) +
           " tx queues, " + std::to_string(queues) + " wanted";
  rte_eth_conf conf{};
  if (queues > 1) {
    uint64_t hf = (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
    if (hf) {
      conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
      conf.rx_adv_conf.rss_conf.rss_hf = hf;
    }
  }
  r = rte_eth_dev_configure(port, static_cast<uint16_t>(queues), static_cast<uint16_t>(queues), &conf);
  if (r != 0) return dpdk_err("rte_eth_dev_configure " + iface, r);
  uint16_t nrx = kRxDesc, ntx = kTxDesc;
  rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrx, &ntx);
  int sock = rte_eth_dev_socket_id(port);
  if (sock < 0) sock = SOCKET_ID_ANY;
  // In rx rings, in tx rings (ours or the other side's), held by the engine, in lcore caches.
  unsigned n = static_cast<unsigned>(queues) * (nrx + ntx + 2 * 256) + 4 * kPoolCache + 1024;
  std::string pname = "snf_mp" + std::to_string(g_pool_seq++);
  d.pool = rte_pktmbuf_pool_create(pname.c_str(), n, kPoolCache, 0, RTE_MBUF_DEFAULT_BUF_SIZE, sock);
  if (!d.pool) return std::string("rte_pktmbuf_pool_create (") + std::to_string(n) + " mbufs): " + rte_strerror(rte_errno);
  for (int q = 0; q < queues; q++) {
    r = rte_eth_rx_queue_setup(port, static_cast<uint16_t>(q), nrx, static_cast<unsigned>(sock), nullptr, d.pool);
    if (r < 0) return dpdk_err("rte_eth_rx_queue_setup " + iface, r);
    // No MBUF_FAST_FREE: zero-copy forwarding sends mbufs of the other port's pool, with refcnt 2.
    rte_eth_txconf txc = info.default_txconf;
    txc.offloads &= ~RTE_ETH_TX_OFFLOAD_MBUF_FAST_FREE;
    r = rte_eth_tx_queue_setup(port, static_cast<uint16_t>(q), ntx, static_cast<unsigned>(sock), &txc);
    if (r < 0) return dpdk_err("rte_eth_tx_queue_setup " + iface, r);
  }
  r = rte_eth_dev_start(port);
  if (r < 0) return dpdk_err("rte_eth_dev_start " + iface, r);
  d.started = true;
  r = rte_eth_promiscuous_enable(port);
  if (r != 0 && r != -ENOTSUP) return dpdk_err("rte_eth_promiscuous_enable " + iface, r);
  rte_ether_addr a{};
  r = rte_eth_macaddr_get(port, &a);
  if (r != 0) return dpdk_err("rte_eth_macaddr_get " + iface, r);
  std::memcpy(d.mac, a.addr_bytes, 6);
  return "";
}

class DpdkPort final : public Port {
 public:
  DpdkPort() = default;
  ~DpdkPort() override {
    release();
    dev_.reset();
  }
  DpdkPort(const DpdkPort&) = delete;
  DpdkPort& operator=(const DpdkPort&) = delete;

  std::string open(const std::string& iface, int queue, int queues) override {
    const std::string& e = eal_init();
    if (!e.empty()) return e;
    if (queues < 1) queues = 1;
    std::shared_ptr<Dev> d;  // declared before the lock: if it is the last reference, close_dev locks
    std::lock_guard<std::mutex> lk(g_mu);
    auto it = g_devs.find(iface);
    if (it != g_devs.end()) d = it->second.lock();
    if (!d) {
      Dev* raw = new Dev();
      g_live++;
      std::string err = setup_dev(iface, queues, *raw);
      if (!err.empty()) {
        teardown_locked(raw);
        return err;
      }
      d = std::shared_ptr<Dev>(raw, close_dev);
      g_devs[iface] = d;
    } else if (d->queues != queues) {
      return iface + ": already open with " + std::to_string(d->queues) + " queues";
    }
    if (queue < 0 || queue >= d->queues) return iface + ": no queue " + std::to_string(queue);
    dev_ = d;
    port_ = d->port;
    queue_ = static_cast<uint16_t>(queue);
    return "";
  }

  int fd() const override { return -1; }
  const uint8_t* mac() const override { return dev_ ? dev_->mac : zero_mac_; }

  size_t rx_burst(std::vector<RxFrame>& out, size_t max) override {
    if (!dev_) return 0;
    tl_lcore.ensure();
    size_t got = 0;
    rte_mbuf* bufs[kChunk];
    while (got < max) {
      uint16_t want = static_cast<uint16_t>(std::min(kChunk, max - got));
      uint16_t n = rte_eth_rx_burst(port_, queue_, bufs, want);
      for (uint16_t i = 0; i < n; i++) {
        rte_mbuf* m = bufs[i];
        if (m->nb_segs != 1) {  // larger than one mbuf: the engine sees contiguous frames only
          rte_pktmbuf_free(m);
          rx_dropped_.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        uint8_t* p = rte_pktmbuf_mtod(m, uint8_t*);
        out.push_back({p, m->data_len});
        held_.push_back(m);
        tl_held[p] = m;
        got++;
      }
      if (n < want) break;
    }
    if (got) rx_.fetch_add(got, std::memory_order_relaxed);
    return got;
  }

  void tx_burst(const std::vector<RxFrame>& frames) override {
    if (!dev_) return;
    tl_lcore.ensure();
    rte_mbuf* bufs[kChunk];
    uint64_t sent_total = 0, failed = 0;
    size_t i = 0;
    while (i < frames.size()) {
      size_t take = std::min(kChunk, frames.size() - i);
      uint16_t n = 0;
      for (size_t k = 0; k < take; k++) {
        const RxFrame& f = frames[i + k];
        rte_mbuf* m = nullptr;
        auto h = tl_held.find(f.data);
        if (h != tl_held.end() && f.len <= static_cast<uint32_t>(h->second->buf_len - h->second->data_off)) {
          m = h->second;  // zero copy: the receiving port keeps its reference until release()
          rte_mbuf_refcnt_update(m, 1);
          m->data_len = static_cast<uint16_t>(f.len);
          m->pkt_len = f.len;
        } else {
          m = f.len <= UINT16_MAX ? rte_pktmbuf_alloc(dev_->pool) : nullptr;
          char* p = m ? rte_pktmbuf_append(m, static_cast<uint16_t>(f.len)) : nullptr;
          if (!p) {
            if (m) rte_pktmbuf_free(m);
            failed++;
            continue;
          }
          std::memcpy(p, f.data, f.len);
        }
        bufs[n++] = m;
      }
      uint16_t sent = 0;
      for (int tries = 0; tries < 4 && sent < n; tries++) sent += rte_eth_tx_burst(port_, queue_, bufs + sent, n - sent);
      if (sent < n) {
        rte_pktmbuf_free_bulk(bufs + sent, n - sent);
        failed += n - sent;
      }
      sent_total += sent;
      i += take;
    }
    tx_.fetch_add(sent_total, std::memory_order_relaxed);
    if (failed) tx_errors_.fetch_add(failed, std::memory_order_relaxed);
  }

  void release() override {
    if (held_.empty()) return;
    for (rte_mbuf* m : held_) tl_held.erase(rte_pktmbuf_mtod(m, const uint8_t*));
    rte_pktmbuf_free_bulk(held_.data(), static_cast<unsigned>(held_.size()));
    held_.clear();
  }

  PortCounters counters() override {
    PortCounters c;
    c.rx = rx_.load(std::memory_order_relaxed);
    c.tx = tx_.load(std::memory_order_relaxed);
    c.rx_dropped = rx_dropped_.load(std::memory_order_relaxed);
    c.tx_errors = tx_errors_.load(std::memory_order_relaxed);
    // Device-wide drops, reported once (by queue 0) so the Dataplane's sum over queues holds.
    rte_eth_stats st{};
    if (dev_ && queue_ == 0 && rte_eth_stats_get(port_, &st) == 0) {
      c.rx_dropped += st.imissed + st.rx_nombuf;
      c.tx_errors += st.oerrors;
    }
    return c;
  }

 private:
  std::shared_ptr<Dev> dev_;
  uint16_t port_ = 0, queue_ = 0;
  std::vector<rte_mbuf*> held_;
  std::atomic<uint64_t> rx_{0}, tx_{0}, rx_dropped_{0}, tx_errors_{0};
  static constexpr uint8_t zero_mac_[6] = {0};
};

}  // namespace

std::unique_ptr<Port> make_dpdk_port() { return std::make_unique<DpdkPort>(); }

}  // namespace snf
