// Building store keys and values without per-packet allocation once strings are warm, and the
// stable hash every instance must agree on (pool address choice, shards, buckets, Maglev).
#pragma once
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "../packet/addr.hpp"

namespace snf {

inline uint64_t hash_bytes(const void* p, size_t n, uint64_t seed = 0xcbf29ce484222325ULL) {
  // FNV-1a, then a murmur3 finaliser so low bits are well mixed for small moduli.
  const uint8_t* b = static_cast<const uint8_t*>(p);
  uint64_t h = seed;
  for (size_t i = 0; i < n; i++) {
    h ^= b[i];
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

inline uint64_t hash_endpoint(uint8_t proto, const Addr& a, uint16_t port) {
  uint8_t buf[19];
  buf[0] = proto;
  for (int i = 0; i < 16; i++) buf[1 + i] = a.b[i];
  buf[17] = static_cast<uint8_t>(port >> 8);
  buf[18] = static_cast<uint8_t>(port);
  return hash_bytes(buf, sizeof buf);
}

inline void append_num(std::string& s, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  s.append(buf, static_cast<size_t>(r.ptr - buf));
}

// Same text as Addr::str() (dotted quad for IPv4), without inet_ntop's sprintf or a temporary.
inline void append_addr(std::string& s, const Addr& a) {
  if (!a.is_v4()) {
    s += a.str();
    return;
  }
  char buf[16];
  char* p = buf;
  for (int i = 12; i < 16; i++) {
    if (i > 12) *p++ = '.';
    p = std::to_chars(p, buf + sizeof buf, static_cast<unsigned>(a.b[i])).ptr;
  }
  s.append(buf, static_cast<size_t>(p - buf));
}

// Splits "f0|f1|f2..." into up to `max` fields (views into `v`). Returns the field count.
struct Fields {
  const char* p[8] = {};
  size_t n[8] = {};
  int count = 0;
  std::string str(int i) const { return i < count ? std::string(p[i], n[i]) : std::string(); }
  int64_t num(int i) const {
    int64_t v = 0;
    if (i < count) std::from_chars(p[i], p[i] + n[i], v);
    return v;
  }
  bool eq(int i, const char* s) const {
    size_t l = std::char_traits<char>::length(s);
    return i < count && n[i] == l && std::char_traits<char>::compare(p[i], s, l) == 0;
  }
};

inline Fields split(const std::string& v) {
  Fields f;
  size_t start = 0;
  while (f.count < 8) {
    size_t bar = v.find('|', start);
    size_t end = bar == std::string::npos ? v.size() : bar;
    f.p[f.count] = v.data() + start;
    f.n[f.count] = end - start;
    f.count++;
    if (bar == std::string::npos) break;
    start = bar + 1;
  }
  return f;
}

}  // namespace snf
