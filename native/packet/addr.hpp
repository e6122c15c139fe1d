// IP addresses and prefixes. IPv4 is held IPv4-mapped (::ffff:a.b.c.d) so every table and key
// handles one 16-byte type. The family is kept beside the bytes, not inferred from them: an IPv6
// header may carry an IPv4-mapped address, and that endpoint is IPv6 (it must get IPv6 NAT, IPv6
// keys and IPv6 rules), never the IPv4 endpoint with the same low 32 bits.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace snf {

struct Addr {
  uint8_t b[16] = {0};
  bool v4_family = false;

  static Addr v4(const uint8_t* p) {
    Addr a;
    a.v4_family = true;
    a.b[10] = 0xff;
    a.b[11] = 0xff;
    std::memcpy(a.b + 12, p, 4);
    return a;
  }
  static Addr v6(const uint8_t* p) {
    Addr a;
    std::memcpy(a.b, p, 16);
    return a;
  }
  bool is_v4() const { return v4_family; }
  bool operator==(const Addr& o) const { return v4_family == o.v4_family && std::memcmp(b, o.b, 16) == 0; }
  bool operator!=(const Addr& o) const { return !(*this == o); }
  bool operator<(const Addr& o) const {
    int c = std::memcmp(b, o.b, 16);
    return c != 0 ? c < 0 : v4_family < o.v4_family;
  }

  // Text form used in store keys and values: dotted quad, or RFC 5952 IPv6 (an IPv4-mapped
  // IPv6 address keeps its "::ffff:" form, so its keys never meet the IPv4 address's).
  std::string str() const;
  // Parses dotted IPv4 or IPv6 text ("::ffff:10.0.0.1" is IPv6). Returns false on bad syntax.
  static bool parse(const std::string& s, Addr& out);
};

struct Prefix {
  Addr net;
  int len = 0;  // in bits of the 128-bit mapped form
  // Never true across families: 0.0.0.0/0 holds no IPv6 address, ::/0 no IPv4 address.
  bool contains(const Addr& a) const;
  // "10.0.0.0/8", "2001:db8::/32", or a bare address (host prefix).
  static bool parse(const std::string& s, Prefix& out);
};

}  // namespace snf
