// Why a frame was dropped. Names match DropReason in src/dataplane/types.ts.
#pragma once
#include <cstdint>

namespace snf {

enum class Drop : uint8_t {
  None = 0,
  Truncated,
  BadEthertype,
  BadIpVersion,
  BadIhl,
  BadIpLength,
  BadIpv6Chain,
  BadL4Header,
  BadOptions,
  FragmentNoState,
  UnsupportedProto,
  FwRuleDeny,
  FwNoConnection,
  FwBadTcpState,
  NatNoMapping,
  NatPoolExhausted,
  NatNotInside,
  LbNoVip,
  LbNoBackend,
  StoreUnavailable,
  Count
};

inline const char* drop_name(Drop d) {
  static const char* names[] = {"none",           "truncated",         "bad_ethertype",
                                "bad_ip_version", "bad_ihl",           "bad_ip_length",
                                "bad_ipv6_chain", "bad_l4_header",     "bad_options",       "fragment_no_state",
                                "unsupported_proto", "fw_rule_deny",   "fw_no_connection",
                                "fw_bad_tcp_state", "nat_no_mapping",  "nat_pool_exhausted",
                                "nat_not_inside", "lb_no_vip",         "lb_no_backend",
                                "store_unavailable"};
  static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(Drop::Count), "names");
  return names[static_cast<int>(d)];
}

}  // namespace snf
