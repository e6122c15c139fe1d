// IP addresses and prefixes. IPv4 is held IPv4-mapped (::ffff:a.b.c.d) so every table and key
// handles one 16-byte type; `is_v4()` tells the family apart.
#pragma once
#include <cstdint>
#include <cstring>
#include <string>

namespace snf {

struct Addr {
  uint8_t b[16] = {0};

  static Addr v4(const uint8_t* p) {
    Addr a;
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
  bool is_v4() const {
    static const uint8_t pre[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return std::memcmp(b, pre, 12) == 0;
  }
  bool operator==(const Addr& o) const { return std::memcmp(b, o.b, 16) == 0; }
  bool operator!=(const Addr& o) const { return !(*this == o); }
  bool operator<(const Addr& o) const { return std::memcmp(b, o.b, 16) < 0; }

  // Text form used in store keys and values: dotted quad or RFC 5952 IPv6.
  std::string str() const;
  // Parses dotted IPv4 or IPv6 text. Returns false on bad syntax.
  static bool parse(const std::string& s, Addr& out);
};

struct Prefix {
  Addr net;
  int len = 0;  // in bits of the 128-bit mapped form
  bool contains(const Addr& a) const;
  // "10.0.0.0/8", "2001:db8::/32", or a bare address (host prefix).
  static bool parse(const std::string& s, Prefix& out);
};

}  // namespace snf
