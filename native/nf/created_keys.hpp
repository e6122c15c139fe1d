// Keys an NF sent a create-on-read script for lately (see native/store/README.md, "Create on
// read"): a later packet of the flow reads it with a plain GET instead, pipelined behind the
// script in the same batch, or from the coherent cache, which keeps the script's reply.
// An open-addressing set of 64-bit key hashes, cleared whole when half full: exact but for
// 64-bit hash collisions (a bit set of the same size, at a quarter full, sent one new flow in
// four the two-round-trip way: GET, then the write). "Lately" is the last 4,096 to 8,192 new
// flows; a flow created before that and missing from the cache costs its script again, which
// finds it.
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
    constexpr size_t kSlots = size_t{1} << 14;  // 128 KiB
    if (slots_.empty()) slots_.assign(kSlots, 0);
    uint64_t h = hash_bytes(key.data(), key.size()) | 1;  // 0 marks an empty slot
    size_t i = static_cast<size_t>((h * 0x9E3779B97F4A7C15ULL) >> 50);  // top 14 bits, mixed
    for (; slots_[i] != 0; i = (i + 1) & (kSlots - 1))
      if (slots_[i] == h) return true;
    if (++count_ > kSlots / 2) {  // half full: start over, so probes stay short
      std::fill(slots_.begin(), slots_.end(), 0);
      count_ = 1;
      i = static_cast<size_t>((h * 0x9E3779B97F4A7C15ULL) >> 50);
    }
    slots_[i] = h;
    return false;
  }

 private:
  std::vector<uint64_t> slots_;
  size_t count_ = 0;
};

}  // namespace snf
