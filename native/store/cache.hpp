// A bounded cache of flow values read from Redis, kept coherent by server-assisted
// invalidation (see RedisStore). CLOCK eviction: an entry read since the hand last passed
// gets a second chance, so hot flows stay and one-packet flows leave first.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace snf {

struct CacheStats {
  uint64_t hits = 0, misses = 0, invalidations = 0, flushes = 0, evictions = 0, bytes = 0, entries = 0;
};

class FlowCache {
 public:
  explicit FlowCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  bool enabled() const { return max_bytes_ > 0; }
  bool has(const std::string& key) const { return index_.count(key) != 0; }

  const std::string* get(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    Entry& e = slots_[it->second];
    e.ref = true;
    return &e.val;
  }

  void put(const std::string& key, const std::string& val, int node) {
    size_t need = cost(key, val);
    if (need > max_bytes_) return;
    auto it = index_.find(key);
    if (it != index_.end()) {
      Entry& e = slots_[it->second];
      stats_.bytes -= cost(e.key, e.val);
      e.val = val;
      e.node = node;
      e.ref = true;
      stats_.bytes += need;
      evict_to_fit();
      return;
    }
    while (stats_.bytes + need > max_bytes_ && evict_one()) {
    }
    size_t idx;
    if (!free_.empty()) {
      idx = free_.back();
      free_.pop_back();
    } else {
      idx = slots_.size();
      slots_.emplace_back();
    }
    Entry& e = slots_[idx];
    e.key = key;
    e.val = val;
    e.node = node;
    e.ref = false;
    e.live = true;
    index_.emplace(e.key, idx);
    stats_.bytes += need;
    stats_.entries++;
  }

  // A key changed in the store (or we changed it): forget it.
  bool erase(const std::string& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return false;
    drop(it->second);
    return true;
  }

  // Entries whose invalidations came from `node` (-1: all) can no longer be trusted.
  void flush(int node = -1) {
    for (size_t i = 0; i < slots_.size(); i++)
      if (slots_[i].live && (node < 0 || slots_[i].node == node)) drop(i);
    stats_.flushes++;
  }

  CacheStats& stats() { return stats_; }
  const CacheStats& stats() const { return stats_; }

 private:
  struct Entry {
    std::string key, val;
    int node = 0;
    bool ref = false;
    bool live = false;
  };
  // Accounted size: the strings plus the index and slot overhead, so the bound is real memory.
  static size_t cost(const std::string& k, const std::string& v) { return 2 * k.size() + v.size() + 128; }

  void drop(size_t i) {
    Entry& e = slots_[i];
    stats_.bytes -= cost(e.key, e.val);
    stats_.entries--;
    index_.erase(e.key);
    e.live = false;
    std::string().swap(e.key);
    std::string().swap(e.val);
    free_.push_back(i);
  }

  bool evict_one() {
    if (stats_.entries == 0) return false;
    for (size_t guard = 0; guard < 2 * slots_.size() + 1; guard++) {
      if (hand_ >= slots_.size()) hand_ = 0;
      Entry& e = slots_[hand_];
      size_t i = hand_++;
      if (!e.live) continue;
      if (e.ref) {
        e.ref = false;
        continue;
      }
      drop(i);
      stats_.evictions++;
      return true;
    }
    return false;
  }

  void evict_to_fit() {
    while (stats_.bytes > max_bytes_ && evict_one()) {
    }
  }

  size_t max_bytes_;
  std::vector<Entry> slots_;
  std::vector<size_t> free_;
  std::unordered_map<std::string, size_t> index_;
  size_t hand_ = 0;
  CacheStats stats_;
};

}  // namespace snf
