// AF_XDP backend: an XDP program (libxdp's default xsk program) redirects the interface's
// frames into a socket whose rings we read in user space — the kernel's fast path without a
// kernel bypass driver. Each port owns a UMEM: half its frames wait in the fill ring for
// received frames, half are transmit buffers. Frames from the other port are copied into a
// transmit buffer (a few dozen bytes for 64-byte frames; a shared UMEM across two interfaces
// would avoid it at the price of one ring pair per queue pair).
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_link.h>

#include <cerrno>
#include <cstring>

extern "C" {
#include <xdp/xsk.h>
}

#include "port.hpp"

namespace snf {
namespace {

constexpr uint32_t kFrames = 4096;
constexpr uint32_t kFrameSize = XSK_UMEM__DEFAULT_FRAME_SIZE;  // 4096
constexpr uint32_t kRing = 2048;

std::string err_str(const std::string& what, int e) { return what + ": " + std::strerror(e < 0 ? -e : e); }

class AfXdpPort final : public Port {
 public:
  ~AfXdpPort() override {
    if (xsk_) xsk_socket__delete(xsk_);
    if (umem_) xsk_umem__delete(umem_);
    if (buf_) munmap(buf_, static_cast<size_t>(kFrames) * kFrameSize);
  }

  std::string open(const std::string& iface, int queue, int queues) override {
    (void)queues;
    if (if_nametoindex(iface.c_str()) == 0) return "interface '" + iface + "' not found in this network namespace";
    void* m = mmap(nullptr, static_cast<size_t>(kFrames) * kFrameSize, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return err_str("mmap umem", errno);
    buf_ = static_cast<uint8_t*>(m);
    xsk_umem_config ucfg{};
    ucfg.fill_size = kRing;
    ucfg.comp_size = kRing;
    ucfg.frame_size = kFrameSize;
    ucfg.frame_headroom = 0;
    int r = xsk_umem__create(&umem_, buf_, static_cast<uint64_t>(kFrames) * kFrameSize, &fill_, &comp_, &ucfg);
    if (r) return err_str("xsk_umem__create", r);
    xsk_socket_config cfg{};
    cfg.rx_size = kRing;
    cfg.tx_size = kRing;
    // Native (driver) mode: veth runs XDP in its NAPI poll; copy mode because veth has no
    // zero-copy support.
    cfg.xdp_flags = XDP_FLAGS_DRV_MODE;
    cfg.bind_flags = XDP_COPY;
    r = xsk_socket__create(&xsk_, iface.c_str(), static_cast<uint32_t>(queue), umem_, &rx_, &tx_, &cfg);
    if (r) {
      return err_str("xsk_socket__create on " + iface + " queue " + std::to_string(queue) +
                         " (native XDP mode; needs CAP_NET_ADMIN, CAP_BPF and bpffs at /sys/fs/bpf)",
                     r);
    }
    // The lower half of the UMEM feeds the receive side, the upper half is for transmit.
    uint32_t idx = 0;
    uint32_t n = kFrames / 2;
    if (xsk_ring_prod__reserve(&fill_, n, &idx) != n) return "cannot fill the AF_XDP fill ring";
    for (uint32_t i = 0; i < n; i++) *xsk_ring_prod__fill_addr(&fill_, idx + i) = static_cast<uint64_t>(i) * kFrameSize;
    xsk_ring_prod__submit(&fill_, n);
    for (uint32_t i = n; i < kFrames; i++) free_tx_.push_back(static_cast<uint64_t>(i) * kFrameSize);

    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
    bool ok = fd >= 0 && ioctl(fd, SIOCGIFHWADDR, &ifr) == 0;
    if (fd >= 0) close(fd);
    if (!ok) return err_str("SIOCGIFHWADDR " + iface, errno);
    std::memcpy(mac_, ifr.ifr_hwaddr.sa_data, 6);
    return "";
  }

  int fd() const override { return xsk_ ? xsk_socket__fd(xsk_) : -1; }
  const uint8_t* mac() const override { return mac_; }

  size_t rx_burst(std::vector<RxFrame>& out, size_t max) override {
    uint32_t idx = 0;
    uint32_t n = xsk_ring_cons__peek(&rx_, static_cast<uint32_t>(max), &idx);
    for (uint32_t i = 0; i < n; i++) {
      const xdp_desc* d = xsk_ring_cons__rx_desc(&rx_, idx + i);
      uint64_t addr = xsk_umem__add_offset_to_addr(d->addr);
      out.push_back({static_cast<uint8_t*>(xsk_umem__get_data(buf_, addr)), d->len});
      held_.push_back(xsk_umem__extract_addr(d->addr));
    }
    if (n) xsk_ring_cons__release(&rx_, n);
    c_.rx += n;
    return n;
  }

  void release() override {
    if (held_.empty()) return;
    uint32_t idx = 0;
    uint32_t n = static_cast<uint32_t>(held_.size());
    // The fill ring has room for every receive frame, so this cannot come up short.
    if (xsk_ring_prod__reserve(&fill_, n, &idx) != n) return;
    for (uint32_t i = 0; i < n; i++) *xsk_ring_prod__fill_addr(&fill_, idx + i) = held_[i];
    xsk_ring_prod__submit(&fill_, n);
    held_.clear();
  }

  void tx_burst(const std::vector<RxFrame>& frames) override {
    reclaim();
    uint32_t want = static_cast<uint32_t>(frames.size());
    if (want > free_tx_.size()) want = static_cast<uint32_t>(free_tx_.size());
    uint32_t idx = 0;
    uint32_t n = want ? xsk_ring_prod__reserve(&tx_, want, &idx) : 0;
    for (uint32_t i = 0; i < n; i++) {
      uint64_t addr = free_tx_.back();
      free_tx_.pop_back();
      uint32_t len = frames[i].len > kFrameSize ? kFrameSize : frames[i].len;
      std::memcpy(xsk_umem__get_data(buf_, addr), frames[i].data, len);
      xdp_desc* d = xsk_ring_prod__tx_desc(&tx_, idx + i);
      d->addr = addr;
      d->len = len;
    }
    if (n) {
      xsk_ring_prod__submit(&tx_, n);
      // Copy mode transmits from the sendto() kick.
      if (sendto(xsk_socket__fd(xsk_), nullptr, 0, MSG_DONTWAIT, nullptr, 0) < 0 && errno != EAGAIN &&
          errno != EBUSY && errno != ENOBUFS)
        c_.tx_errors++;
    }
    c_.tx += n;
    c_.tx_errors += frames.size() - n;
  }

  PortCounters counters() override {
    xdp_statistics st{};
    socklen_t len = sizeof st;
    PortCounters c = c_;
    if (xsk_ && getsockopt(xsk_socket__fd(xsk_), SOL_XDP, XDP_STATISTICS, &st, &len) == 0)
      c.rx_dropped = st.rx_dropped + st.rx_ring_full + st.rx_fill_ring_empty_descs;
    return c;
  }

 private:
  // Transmit buffers the kernel has finished with come back through the completion ring.
  void reclaim() {
    uint32_t idx = 0;
    uint32_t n = xsk_ring_cons__peek(&comp_, kRing, &idx);
    for (uint32_t i = 0; i < n; i++) free_tx_.push_back(*xsk_ring_cons__comp_addr(&comp_, idx + i));
    if (n) xsk_ring_cons__release(&comp_, n);
  }

  uint8_t* buf_ = nullptr;
  xsk_umem* umem_ = nullptr;
  xsk_socket* xsk_ = nullptr;
  xsk_ring_prod fill_{}, tx_{};
  xsk_ring_cons comp_{}, rx_{};
  std::vector<uint64_t> held_, free_tx_;
  uint8_t mac_[6] = {0};
  PortCounters c_;
};

}  // namespace

std::unique_ptr<Port> make_afxdp_port() { return std::make_unique<AfXdpPort>(); }

}  // namespace snf
