// One interface through AF_PACKET: a memory-mapped receive ring read in place (no copy, no
// syscall per frame) and batched transmit with sendmmsg on a PACKET_QDISC_BYPASS socket.
//
// Two ring layouts. TPACKET_V2 (the default) hands each frame over as soon as it is written, so
// an idle NF wakes for the first packet at once. TPACKET_V3 hands over whole blocks: a block
// that is not full waits for the kernel's retire timer (at least 1 ms, in jiffies), which put
// ~1.4 ms on every round trip at low rates (bench/RESULTS.md); it stays selectable
// (SNF_AFPACKET_RING=v3) because it packs frames of any length up to the block size.
#pragma once
#include <linux/if_packet.h>

#include <cstdint>
#include <string>
#include <vector>

#include "port.hpp"

namespace snf {

enum class AfPacketRing : uint8_t { V2, V3 };

// The ring named by SNF_AFPACKET_RING ("v2", "v3"; unset: v2). "" or the error.
std::string afpacket_ring_from_env(AfPacketRing& out);

class AfPacketPort final : public Port {
 public:
  explicit AfPacketPort(AfPacketRing ring = AfPacketRing::V2) : ring_kind_(ring) {}
  ~AfPacketPort() override;
  AfPacketPort(const AfPacketPort&) = delete;
  AfPacketPort& operator=(const AfPacketPort&) = delete;

  // With several queues, each joins a PACKET_FANOUT hash group so the kernel spreads flows.
  std::string open(const std::string& iface, int queue, int queues) override;
  int fd() const override { return rx_fd_; }
  const uint8_t* mac() const override { return mac_; }

  // Appends up to `max` ready frames to `out`. The frames stay valid (and writable: the engine
  // rewrites in place) until release().
  size_t rx_burst(std::vector<RxFrame>& out, size_t max) override;
  // Hands the slots read since the last release back to the kernel.
  void release() override;
  // Sends frames (one sendmmsg per up to 64). Counts failures.
  void tx_burst(const std::vector<RxFrame>& frames) override;
  PortCounters counters() override;
  AfPacketRing ring() const { return ring_kind_; }

 private:
  std::string open_ring();
  size_t rx_v2(std::vector<RxFrame>& out, size_t max);
  size_t rx_v3(std::vector<RxFrame>& out, size_t max);

  AfPacketRing ring_kind_;
  int rx_fd_ = -1, tx_fd_ = -1;
  int ifindex_ = 0;
  uint8_t mac_[6] = {0};
  uint8_t* ring_ = nullptr;
  size_t ring_size_ = 0;
  // V2: frame slots in ring order; [held_from_, next_) are handed out until release().
  unsigned next_ = 0, held_from_ = 0, held_n_ = 0;
  // V3: blocks.
  unsigned block_ = 0;        // next block to read
  unsigned pkt_in_block_ = 0; // packets of the current block already handed out
  uint8_t* pkt_ptr_ = nullptr;
  std::vector<unsigned> held_;  // blocks handed out, to release
  PortCounters c_;
  uint64_t truncated_ = 0;  // V2: frames longer than a slot, dropped (never forwarded cut)
};

}  // namespace snf
