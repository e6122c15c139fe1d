// Keys an NF sent a create-on-read script for lately (see native/store/README.md, "Create on
// read"): a flow's later packets then read it with plain GETs, which the coherent cache keeps.
// Bits of a hash set that is only ever cleared whole. A collision only sends a new flow the
// two-round-trip way (GET, then the write); a set that forgot single keys on collision let a
// flow that kept colliding send a script for every packet and never be cached.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "keys.hpp"

namespace snf {

class CreatedKeys {
 public:
  // Whether the key was marked lately; marks it from now on either way.
  bool test_and_mark(const std::string& key) {
    constexpr size_t kBits = size_t{1} << 20;  // 128 KiB
    if (bits_.empty()) bits_.assign(kBits / 64, 0);
    uint64_t h = hash_bytes(key.data(), key.size()) & (kBits - 1);
    uint64_t& word = bits_[h / 64];
    uint64_t bit = uint64_t{1} << (h % 64);
    if (word & bit) return true;
    if (++count_ > kBits / 4) {  // a quarter full: start over rather than answer yes to all
      std::fill(bits_.begin(), bits_.end(), 0);
      count_ = 1;
    }
    bits_[h / 64] |= bit;
    return false;
  }

 private:
  std::vector<uint64_t> bits_;
  size_t count_ = 0;
};

}  // namespace snf
