#include "afpacket.hpp"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace snf {

namespace {
std::string sys_err(const std::string& what) { return what + ": " + std::strerror(errno); }
// Both layouts map 16 MiB per port: bursts of line rate survive a slow store round trip.
constexpr unsigned kRingBytes = 16u << 20;
// V2: one 2 KiB slot per frame (a 1,522-byte tagged frame plus the slot header fits).
constexpr unsigned kV2Frame = 2048;
constexpr unsigned kV2Block = 1 << 16;
constexpr unsigned kV2Frames = kRingBytes / kV2Frame;
// V3: frames packed into 256 KiB blocks.
constexpr unsigned kV3Block = 1 << 18;
constexpr unsigned kV3Blocks = kRingBytes / kV3Block;
constexpr unsigned kV3Frame = 2048;
}  // namespace

std::string afpacket_ring_from_env(AfPacketRing& out) {
  const char* v = std::getenv("SNF_AFPACKET_RING");
  out = AfPacketRing::V2;
  if (!v || !*v || std::strcmp(v, "v2") == 0) return "";
  if (std::strcmp(v, "v3") == 0) {
    out = AfPacketRing::V3;
    return "";
  }
  return std::string("SNF_AFPACKET_RING: must be v2 or v3, got '") + v + "'";
}

AfPacketPort::~AfPacketPort() {
  if (ring_) munmap(ring_, ring_size_);
  if (rx_fd_ >= 0) close(rx_fd_);
  if (tx_fd_ >= 0) close(tx_fd_);
}

std::string AfPacketPort::open_ring() {
  bool v3 = ring_kind_ == AfPacketRing::V3;
  int ver = v3 ? TPACKET_V3 : TPACKET_V2;
  if (setsockopt(rx_fd_, SOL_PACKET, PACKET_VERSION, &ver, sizeof ver) < 0) return sys_err("PACKET_VERSION");
  if (v3) {
    tpacket_req3 req{};
    req.tp_block_size = kV3Block;
    req.tp_block_nr = kV3Blocks;
    req.tp_frame_size = kV3Frame;
    req.tp_frame_nr = kV3Block / kV3Frame * kV3Blocks;
    req.tp_retire_blk_tov = 1;  // ms, the shortest: a partly filled block still waits this long
    if (setsockopt(rx_fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) return sys_err("PACKET_RX_RING");
  } else {
    tpacket_req req{};
    req.tp_block_size = kV2Block;
    req.tp_block_nr = kRingBytes / kV2Block;
    req.tp_frame_size = kV2Frame;
    req.tp_frame_nr = kV2Frames;
    if (setsockopt(rx_fd_, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) return sys_err("PACKET_RX_RING");
  }
  ring_size_ = kRingBytes;
  void* m = mmap(nullptr, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, rx_fd_, 0);
  if (m == MAP_FAILED) m = mmap(nullptr, ring_size_, PROT_READ | PROT_WRITE, MAP_SHARED, rx_fd_, 0);
  if (m == MAP_FAILED) return sys_err("mmap rx ring");
  ring_ = static_cast<uint8_t*>(m);
  return "";
}

std::string AfPacketPort::open(const std::string& iface, int queue, int queues) {
  // One fanout group per interface, shared by this process's queues on it.
  int fanout_group = queues > 1 ? static_cast<int>((getpid() ^ if_nametoindex(iface.c_str()) * 131) & 0xffff) : 0;
  (void)queue;
  ifindex_ = static_cast<int>(if_nametoindex(iface.c_str()));
  if (ifindex_ == 0) return "interface '" + iface + "' not found in this network namespace";
  rx_fd_ = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
  if (rx_fd_ < 0) return sys_err("socket(AF_PACKET) (needs CAP_NET_RAW)");
  // Frames we send ourselves must not come back to us as input.
  int one = 1;
  setsockopt(rx_fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  std::string e = open_ring();
  if (!e.empty()) return e;
  sockaddr_ll sll{};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = ifindex_;
  if (bind(rx_fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) return sys_err("bind " + iface);
  if (fanout_group > 0) {
    int arg = (fanout_group & 0xffff) | (PACKET_FANOUT_HASH << 16);
    if (setsockopt(rx_fd_, SOL_PACKET, PACKET_FANOUT, &arg, sizeof arg) < 0) return sys_err("PACKET_FANOUT");
  }

  tx_fd_ = socket(AF_PACKET, SOCK_RAW, 0);  // protocol 0: this socket never receives
  if (tx_fd_ < 0) return sys_err("socket(AF_PACKET) for tx");
  // Skip the qdisc layer: the NF is the only sender on this leg and wants the shortest path.
  setsockopt(tx_fd_, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  sockaddr_ll txa{};
  txa.sll_family = AF_PACKET;
  txa.sll_ifindex = ifindex_;
  if (bind(tx_fd_, reinterpret_cast<sockaddr*>(&txa), sizeof txa) < 0) return sys_err("bind tx " + iface);
  int sndbuf = 4 << 20;
  setsockopt(tx_fd_, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  ifreq ifr{};
  std::strncpy(ifr.ifr_name, iface.c_str(), IFNAMSIZ - 1);
  if (ioctl(tx_fd_, SIOCGIFHWADDR, &ifr) < 0) return sys_err("SIOCGIFHWADDR " + iface);
  std::memcpy(mac_, ifr.ifr_hwaddr.sa_data, 6);
  return "";
}

size_t AfPacketPort::rx_burst(std::vector<RxFrame>& out, size_t max) {
  return ring_kind_ == AfPacketRing::V3 ? rx_v3(out, max) : rx_v2(out, max);
}

size_t AfPacketPort::rx_v2(std::vector<RxFrame>& out, size_t max) {
  size_t got = 0;
  // Never run onto a slot still handed out: the ring is walked in order, so at most all of it.
  while (got < max && held_n_ < kV2Frames) {
    uint8_t* slot = ring_ + static_cast<size_t>(next_) * kV2Frame;
    auto* h = reinterpret_cast<tpacket2_hdr*>(slot);
    if (!(__atomic_load_n(&h->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    auto* sll = reinterpret_cast<sockaddr_ll*>(slot + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
    if (h->tp_snaplen < h->tp_len) {
      truncated_++;  // larger than a slot: a cut frame must not be forwarded
    } else if (sll->sll_pkttype != PACKET_OUTGOING) {
      out.push_back({slot + h->tp_mac, h->tp_snaplen});
      got++;
      c_.rx++;
    }
    if (held_n_ == 0) held_from_ = next_;
    held_n_++;
    next_ = (next_ + 1) % kV2Frames;
  }
  return got;
}

size_t AfPacketPort::rx_v3(std::vector<RxFrame>& out, size_t max) {
  size_t got = 0;
  while (got < max) {
    auto* bd = reinterpret_cast<tpacket_block_desc*>(ring_ + static_cast<size_t>(block_) * kV3Block);
    if (!(__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    unsigned n = bd->hdr.bh1.num_pkts;
    if (pkt_in_block_ == 0) pkt_ptr_ = reinterpret_cast<uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt;
    while (pkt_in_block_ < n && got < max) {
      auto* h = reinterpret_cast<tpacket3_hdr*>(pkt_ptr_);
      auto* sll = reinterpret_cast<sockaddr_ll*>(pkt_ptr_ + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
      if (sll->sll_pkttype != PACKET_OUTGOING) {
        out.push_back({pkt_ptr_ + h->tp_mac, h->tp_snaplen});
        got++;
        c_.rx++;
      }
      pkt_in_block_++;
      pkt_ptr_ += h->tp_next_offset;
    }
    if (pkt_in_block_ >= n) {
      held_.push_back(block_);
      block_ = (block_ + 1) % kV3Blocks;
      pkt_in_block_ = 0;
    } else {
      // Partly consumed: remember it so release() does not hand it back too early.
      break;
    }
  }
  return got;
}

void AfPacketPort::release() {
  if (ring_kind_ == AfPacketRing::V2) {
    for (unsigned i = 0; i < held_n_; i++) {
      auto* h = reinterpret_cast<tpacket2_hdr*>(ring_ + static_cast<size_t>((held_from_ + i) % kV2Frames) * kV2Frame);
      __atomic_store_n(&h->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    }
    held_n_ = 0;
    return;
  }
  for (unsigned b : held_) {
    auto* bd = reinterpret_cast<tpacket_block_desc*>(ring_ + static_cast<size_t>(b) * kV3Block);
    __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
  }
  held_.clear();
}

void AfPacketPort::tx_burst(const std::vector<RxFrame>& frames) {
  constexpr size_t kMax = 64;
  mmsghdr msgs[kMax];
  iovec iov[kMax];
  size_t i = 0;
  while (i < frames.size()) {
    size_t n = std::min(kMax, frames.size() - i);
    for (size_t k = 0; k < n; k++) {
      iov[k].iov_base = frames[i + k].data;
      iov[k].iov_len = frames[i + k].len;
      std::memset(&msgs[k], 0, sizeof msgs[k]);
      msgs[k].msg_hdr.msg_iov = &iov[k];
      msgs[k].msg_hdr.msg_iovlen = 1;
    }
    size_t sent = 0;
    while (sent < n) {
      int r = sendmmsg(tx_fd_, msgs + sent, static_cast<unsigned>(n - sent), 0);
      if (r < 0) {
        if (errno == EINTR) continue;
        // ENOBUFS and friends: the frame is lost like on a congested link; count it.
        c_.tx_errors++;
        sent++;
        continue;
      }
      sent += static_cast<size_t>(r);
      c_.tx += static_cast<uint64_t>(r);
    }
    i += n;
  }
}

PortCounters AfPacketPort::counters() {
  tpacket_stats_v3 st{};
  socklen_t len = sizeof st;
  // Reading the statistics resets them in the kernel: accumulate.
  if (rx_fd_ >= 0 && getsockopt(rx_fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) c_.rx_dropped += st.tp_drops;
  PortCounters c = c_;
  c.rx_dropped += truncated_;
  return c;
}

}  // namespace snf
