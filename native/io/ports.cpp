// The backends compiled into this data plane. DPDK joins when binding.gyp finds libdpdk.
#include "afpacket.hpp"
#include "port.hpp"

namespace snf {

#ifdef SNF_WITH_AFXDP
std::unique_ptr<Port> make_afxdp_port();
#endif
#ifdef SNF_WITH_DPDK
std::unique_ptr<Port> make_dpdk_port();
#endif

std::unique_ptr<Port> make_port(IoKind kind) {
  switch (kind) {
    case IoKind::AfPacket: {
      AfPacketRing ring;
      if (!afpacket_ring_from_env(ring).empty()) return nullptr;  // Dataplane::open says why
      return std::make_unique<AfPacketPort>(ring);
    }
#ifdef SNF_WITH_AFXDP
    case IoKind::AfXdp: return make_afxdp_port();
#endif
#ifdef SNF_WITH_DPDK
    case IoKind::Dpdk: return make_dpdk_port();
#endif
    default: return nullptr;
  }
}

const char* io_kind_name(IoKind kind) {
  switch (kind) {
    case IoKind::AfPacket: return "afpacket";
    case IoKind::AfXdp: return "af_xdp";
    case IoKind::Dpdk: return "dpdk";
  }
  return "?";
}

}  // namespace snf
