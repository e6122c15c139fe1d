// What the burst loop needs from a packet I/O backend, whatever moves the frames (AF_PACKET
// rings, AF_XDP sockets, DPDK ports). One Port = one interface as seen by one queue.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace snf {

struct RxFrame {
  uint8_t* data;
  uint32_t len;
};

struct PortCounters {
  uint64_t rx = 0, tx = 0, rx_dropped = 0, tx_errors = 0;
};

enum class IoKind : uint8_t { AfPacket = 0, AfXdp = 1, Dpdk = 2 };

class Port {
 public:
  virtual ~Port() = default;
  // Opens the interface for queue `queue` of `queues`. "" or the error.
  virtual std::string open(const std::string& iface, int queue, int queues) = 0;
  // A descriptor that polls readable when frames wait (-1: the backend is polled by spinning).
  virtual int fd() const = 0;
  virtual const uint8_t* mac() const = 0;
  // Appends up to `max` received frames to `out`; they stay valid and writable (the engine
  // rewrites in place) until release().
  virtual size_t rx_burst(std::vector<RxFrame>& out, size_t max) = 0;
  // Sends frames. They may belong to this port's or another port's receive buffers.
  virtual void tx_burst(const std::vector<RxFrame>& frames) = 0;
  // Returns the buffers handed out since the last release to the backend.
  virtual void release() = 0;
  virtual PortCounters counters() = 0;
};

// nullptr when the backend was not compiled in (e.g. DPDK without libdpdk).
std::unique_ptr<Port> make_port(IoKind kind);
const char* io_kind_name(IoKind kind);

}  // namespace snf
