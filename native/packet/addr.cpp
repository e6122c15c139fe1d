#include "addr.hpp"

#include <arpa/inet.h>

namespace snf {

std::string Addr::str() const {
  char buf[INET6_ADDRSTRLEN];
  if (is_v4()) {
    inet_ntop(AF_INET, b + 12, buf, sizeof buf);
  } else {
    inet_ntop(AF_INET6, b, buf, sizeof buf);
  }
  return buf;
}

bool Addr::parse(const std::string& s, Addr& out) {
  uint8_t raw[16];
  if (inet_pton(AF_INET, s.c_str(), raw) == 1) {
    out = Addr::v4(raw);
    return true;
  }
  if (inet_pton(AF_INET6, s.c_str(), raw) == 1) {
    out = Addr::v6(raw);
    return true;
  }
  return false;
}

bool Prefix::contains(const Addr& a) const {
  // Compared bytewise in the mapped form, ::/0 and ::ffff:0:0/96 would cover IPv4 and 10.0.0.0/8
  // an IPv6 packet from ::ffff:10.0.0.1.
  if (net.is_v4() != a.is_v4()) return false;
  int full = len / 8, rest = len % 8;
  if (std::memcmp(a.b, net.b, full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (a.b[full] & mask) == (net.b[full] & mask);
}

bool Prefix::parse(const std::string& s, Prefix& out) {
  auto slash = s.find('/');
  std::string host = slash == std::string::npos ? s : s.substr(0, slash);
  if (!Addr::parse(host, out.net)) return false;
  bool v4 = out.net.is_v4();
  int max = v4 ? 32 : 128;
  int len = max;
  if (slash != std::string::npos) {
    std::string l = s.substr(slash + 1);
    if (l.empty() || l.size() > 3) return false;
    len = 0;
    for (char c : l) {
      if (c < '0' || c > '9') return false;
      len = len * 10 + (c - '0');
    }
    if (len > max) return false;
  }
  out.len = v4 ? len + 96 : len;
  // Canonicalise host bits away so equal prefixes compare equal.
  for (int i = 0; i < 16; i++) {
    int bit0 = i * 8;
    if (bit0 >= out.len) out.net.b[i] = 0;
    else if (bit0 + 8 > out.len) out.net.b[i] &= static_cast<uint8_t>(0xff << (8 - (out.len - bit0)));
  }
  return true;
}

}  // namespace snf
