// Maglev consistent hashing (Eisenbud et al., NSDI 2016) with weights: each backend fills
// table slots from its own permutation, taking `weight` turns per round, so removing one
// backend moves few flows. Ids, not positions, seed the permutations: the same backend set
// yields the same table on every instance.
#pragma once
#include <algorithm>
#include <string>
#include <vector>

#include "config.hpp"
#include "keys.hpp"

namespace snf {

inline std::vector<int32_t> maglev_table(const std::vector<LbBackend>& backends, int size) {
  std::vector<int32_t> table(static_cast<size_t>(size), -1);
  std::vector<int> active;
  for (size_t i = 0; i < backends.size(); i++)
    if (!backends[i].drained && backends[i].weight > 0) active.push_back(static_cast<int>(i));
  // Fill in id order: the table must not depend on the order the configuration lists them in.
  std::sort(active.begin(), active.end(), [&](int a, int b) { return backends[a].id < backends[b].id; });
  if (active.empty() || size < 2) return table;
  std::vector<uint64_t> offset(active.size()), skip(active.size()), next(active.size(), 0);
  for (size_t j = 0; j < active.size(); j++) {
    const std::string& id = backends[active[j]].id;
    offset[j] = hash_bytes(id.data(), id.size(), 0x9e3779b97f4a7c15ULL) % size;
    skip[j] = hash_bytes(id.data(), id.size(), 0xc2b2ae3d27d4eb4fULL) % (size - 1) + 1;
  }
  int filled = 0;
  while (filled < size) {
    for (size_t j = 0; j < active.size() && filled < size; j++) {
      for (int turn = 0; turn < backends[active[j]].weight && filled < size; turn++) {
        uint64_t c = (offset[j] + next[j] * skip[j]) % size;
        while (table[c] >= 0) {
          next[j]++;
          c = (offset[j] + next[j] * skip[j]) % size;
        }
        table[c] = active[j];
        next[j]++;
        filled++;
      }
    }
  }
  return table;
}

}  // namespace snf
