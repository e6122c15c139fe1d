// LB_ASSIGN's choice of backend (scripts.cpp), for the stores that run it without Lua
// (LocalStore, PluginStore): one rule, so their choices match Redis's and each other's.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

namespace snf {

struct LbPick {
  const std::string* id = nullptr;   // the chosen backend; null: no candidate
  const std::string* rev = nullptr;  // its reverse key
  bool failed = false;               // a candidate's load could not be read
};

// Over the candidate triples from ARGV[8] on (id, weight, reverse key): 'fixed' (ARGV[1]) takes
// the first; 'wlc' the fewest live flows per unit of weight, the first on a tie. `flows(id)`
// counts a candidate's live flows, or returns a negative number when it cannot.
template <class Flows>
LbPick lb_pick(const std::vector<std::string>& a, Flows flows) {
  LbPick p;
  double best = 0;
  for (size_t i = 7; i + 2 < a.size(); i += 3) {
    if (a[0] == "fixed") return LbPick{&a[i], &a[i + 2], false};
    int64_t n = flows(a[i]);
    if (n < 0) return LbPick{nullptr, nullptr, true};
    double score = (static_cast<double>(n) + 1) / static_cast<double>(std::strtoll(a[i + 1].c_str(), nullptr, 10));
    if (!p.id || score < best) {
      p.id = &a[i];
      p.rev = &a[i + 2];
      best = score;
    }
  }
  return p;
}

}  // namespace snf
