// One interface through AF_PACKET: a TPACKET_V3 receive ring (the kernel fills whole blocks,
// we read them in place without a copy or a syscall per frame) and batched transmit with
// sendmmsg on a PACKET_QDISC_BYPASS socket.
#pragma once
#include <linux/if_packet.h>

#include <cstdint>
#include <string>
#include <vector>

#include "port.hpp"

namespace snf {

class AfPacketPort final : public Port {
 public:
  AfPacketPort() = default;
  ~AfPacketPort() override;
  AfPacketPort(const AfPacketPort&) = delete;
  AfPacketPort& operator=(const AfPacketPort&) = delete;

  // With several queues, each joins a PACKET_FANOUT hash group so the kernel spreads flows.
  std::string open(const std::string& iface, int queue, int queues) override;
  int fd() const override { return rx_fd_; }
  const uint8_t* mac() const override { return mac_; }

  // Appends up to `max` frames of ready blocks to `out`. The frames stay valid (and writable:
  // the engine rewrites in place) until release().
  size_t rx_burst(std::vector<RxFrame>& out, size_t max) override;
  // Hands the blocks read since the last release back to the kernel.
  void release() override;
  // Sends frames (one sendmmsg per up to 64). Counts failures.
  void tx_burst(const std::vector<RxFrame>& frames) override;
  PortCounters counters() override;

 private:
  int rx_fd_ = -1, tx_fd_ = -1;
  int ifindex_ = 0;
  uint8_t mac_[6] = {0};
  uint8_t* ring_ = nullptr;
  size_t ring_size_ = 0;
  tpacket_req3 req_{};
  unsigned block_ = 0;        // next block to read
  unsigned pkt_in_block_ = 0; // packets of the current block already handed out
  uint8_t* pkt_ptr_ = nullptr;
  std::vector<unsigned> held_;  // blocks handed out, to release
  PortCounters c_;
};

}  // namespace snf
