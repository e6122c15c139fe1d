// A bounded cache of flow values read from Redis, kept coherent by server-assisted
// invalidation (see RedisStore). CLOCK eviction: an entry read since the hand last passed
// gets a second chance, so hot flows stay and one-packet flows leave first.
#pragma once
#include <algorithm>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace snf {

struct CacheStats {
  uint64_t hits = 0, misses = 0, invalidations = 0, flushes = 0, evictions = 0, bytes = 0, entries = 0;
};

class FlowCache {
 public:
  explicit FlowCache(size_t max_bytes) : max_bytes_(max_bytes) {}
  bool enabled() const { return max_bytes_ > 0; }
  bool has(const std::string& key) const { return find(key, hash(key)) != kNone; }
  // Whether some entry's key has the hash `key` has: touches the index alone, never an entry
  // or a key's bytes (a lookup of a key not held costs one cache line, not three). Wrong only
  // on a 64-bit hash collision: good for a hint, not for a value.
  bool may_have(const std::string& key) const {
    return probe(hash(key), [](const Cell&) { return true; }) != kNone;
  }

  const std::string* get(const std::string& key) {
    size_t at = find(key, hash(key));
    if (at == kNone) return nullptr;
    Entry& e = slots_[index_[at].slot];
    e.ref = true;
    return &e.val;
  }

  void put(const std::string& key, const std::string& val, int node) {
    size_t need = cost(key, val);
    if (need > max_bytes_) return;
    uint64_t h = hash(key);
    size_t at = find(key, h);
    if (at != kNone) {
      Entry& e = slots_[index_[at].slot];
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
    e.hash = h;
    insert(h, idx);
    stats_.bytes += need;
    stats_.entries++;
  }

  // A key changed in the store (or we changed it): forget it.
  bool erase(const std::string& key) {
    size_t at = find(key, hash(key));
    if (at == kNone) return false;
    drop(index_[at].slot);
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
    uint64_t hash = 0;
    int node = 0;
    bool ref = false;
    bool live = false;
  };
  // The index is open addressing over (hash, slot) pairs kept inline, rather than a node-based
  // map: a lookup of a key the cache does not hold (every new flow) touches one cache line of
  // the index and never the key's bytes, and a hit touches the one entry it finds. Hash 0
  // marks an empty cell and 1 a deleted one; keys hash to 2 and up.
  struct Cell {
    uint64_t hash = 0;
    size_t slot = 0;
  };
  static constexpr size_t kNone = ~size_t{0};
  static constexpr uint64_t kEmpty = 0, kDeleted = 1;

  static uint64_t hash(const std::string& key) {
    uint64_t h = std::hash<std::string_view>{}(key);
    return h < 2 ? h + 2 : h;
  }

  // The first index cell of hash h that `same` accepts, or kNone.
  template <class Same>
  size_t probe(uint64_t h, Same same) const {
    if (index_.empty()) return kNone;
    size_t mask = index_.size() - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
      const Cell& c = index_[i];
      if (c.hash == kEmpty) return kNone;
      if (c.hash == h && same(c)) return i;
    }
  }

  // The index cell holding `key`, or kNone.
  size_t find(const std::string& key, uint64_t h) const {
    return probe(h, [&](const Cell& c) { return slots_[c.slot].key == key; });
  }

  void insert(uint64_t h, size_t slot) {
    // At most 5/8 of the cells used or deleted, so probes stay short and always end.
    if ((used_ + 1) * 8 > index_.size() * 5) rebuild(std::max<size_t>(64, 4 * (stats_.entries + 1)));
    size_t mask = index_.size() - 1;
    size_t i = h & mask;
    while (index_[i].hash > kDeleted) i = (i + 1) & mask;
    if (index_[i].hash == kEmpty) used_++;
    index_[i] = Cell{h, slot};
  }

  // A fresh index of at least `cells` cells (a power of two) over the live entries: drops the
  // deleted markers.
  void rebuild(size_t cells) {
    size_t n = 64;
    while (n < cells) n <<= 1;
    index_.assign(n, Cell{});
    used_ = 0;
    for (size_t s = 0; s < slots_.size(); s++) {
      if (!slots_[s].live) continue;
      size_t i = slots_[s].hash & (n - 1);
      while (index_[i].hash != kEmpty) i = (i + 1) & (n - 1);
      index_[i] = Cell{slots_[s].hash, s};
      used_++;
    }
  }

  // Accounted size: the strings plus the index and slot overhead, so the bound is real memory.
  static size_t cost(const std::string& k, const std::string& v) { return 2 * k.size() + v.size() + 128; }

  void drop(size_t i) {
    Entry& e = slots_[i];
    stats_.bytes -= cost(e.key, e.val);
    stats_.entries--;
    size_t at = find(e.key, e.hash);
    if (at != kNone) index_[at].hash = kDeleted;  // `used_` counts it until the next rebuild
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
  std::vector<Cell> index_;
  size_t used_ = 0;  // cells not empty (live or deleted)
  size_t hand_ = 0;
  CacheStats stats_;
};

}  // namespace snf
