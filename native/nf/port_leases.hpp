// The NAT's port leases of one instance (see nat.hpp, "Port leasing"): values of allocation
// cursors, each taken with one INCRBY for this instance alone. One table serves the NAT of
// every lane of an engine, so a cursor is leased once per instance rather than once per batch
// in flight (four lanes each leasing, and each sending its first flow of a cursor through a
// nat_alloc, cost Redis a Lua call per cursor per lane). A lease is asked for again while a
// quarter of the values are left, with the reads of the batch that takes them, so a cursor in
// use never runs dry and its new flows never wait for a lease or fall back to Lua.
// Single-threaded, as the engine's lanes are.
#pragma once
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "keys.hpp"

namespace snf {

// The (protocol, outside address, shard) of an allocation cursor: what a lease is held on,
// compared as bytes, so the per-new-flow lookup builds no key string.
struct CursorId {
  Addr ext;
  int32_t shard = 0;
  uint8_t proto = 0;
  bool operator==(const CursorId& o) const { return shard == o.shard && proto == o.proto && ext == o.ext; }
};

struct CursorIdHash {
  size_t operator()(const CursorId& c) const {
    return static_cast<size_t>(hash_endpoint(c.proto, c.ext, static_cast<uint16_t>(c.shard)) ^ c.ext.v4_family);
  }
};

class PortLeases {
 public:
  static constexpr int64_t kValues = 64;  // per lease (one INCRBY)
  static constexpr int64_t kLow = kValues / 4;  // values left when the next lease is asked for
  static constexpr int64_t kMaxAgeMs = 30000;  // older values likely name ports in use again
  static constexpr int64_t kAskRetryMs = 1000;  // an ask whose reply never came is asked again

  // The next cursor value leased on `cur`, or -1 when none is (none left, or too old). `ask`:
  // whether the next lease is to be asked for now (few values left and none asked for yet);
  // true marks it asked until granted() or refused(). One table lookup per new flow.
  int64_t take(const CursorId& cur, int64_t now, bool& ask) {
    Entry& e = map_[cur];
    int64_t v = -1;
    if (e.now.next >= e.now.end || now - e.now.taken_ms > kMaxAgeMs) {
      e.now = e.spare;
      e.spare = Range{};
    }
    if (e.now.next < e.now.end && now - e.now.taken_ms <= kMaxAgeMs) v = e.now.next++;
    ask = (e.asked_ms == 0 || now - e.asked_ms >= kAskRetryMs) && left(e.now, now) + left(e.spare, now) < kLow;
    if (ask) e.asked_ms = now;
    return v;
  }

  // The reply of a lease's INCRBY: the last of its kValues values.
  void granted(const CursorId& cur, int64_t last, int64_t now) {
    Entry& e = map_[cur];
    e.asked_ms = 0;
    Range r{last - kValues + 1, last + 1, now};
    if (left(e.now, now) > 0) e.spare = r;
    else e.now = r;
  }

  // The ask failed (store unavailable, an error): the next flow may ask again.
  void refused(const CursorId& cur) {
    auto it = map_.find(cur);
    if (it != map_.end()) it->second.asked_ms = 0;
  }

  // Whether this is the first lease asked for on the cursor's (protocol, outside address): the
  // NAT then asks for every shard's cursor of that address at once (ask_new), so each shard's
  // first flow finds a lease instead of paying a nat_alloc of its own (64 shards by default: on
  // the replay one new flow in five went through Lua that way, bench/RESULTS.md).
  bool first_of_address(const CursorId& cur) {
    for (const CursorId& a : addresses_)
      if (a.proto == cur.proto && a.ext == cur.ext) return false;
    addresses_.push_back(CursorId{cur.ext, 0, cur.proto});
    return true;
  }

  // Marks a cursor asked for if it was never leased nor asked for; says whether it was.
  bool ask_new(const CursorId& cur, int64_t now) {
    auto [it, fresh] = map_.try_emplace(cur);
    if (fresh) it->second.asked_ms = now;
    return fresh;
  }

  // Leases name ports by the shard layout they were taken under: a new layout drops them.
  void reset() {
    map_.clear();
    addresses_.clear();
  }

 private:
  struct Range {
    int64_t next = 0, end = 0;  // cursor values [next, end) not used yet
    int64_t taken_ms = 0;
  };
  struct Entry {
    Range now, spare;  // spare: the next lease, asked for before `now` ran out
    int64_t asked_ms = 0;  // an INCRBY is on its way since then (0: none)
  };
  static int64_t left(const Range& r, int64_t now) {
    return now - r.taken_ms > kMaxAgeMs ? 0 : r.end - r.next;
  }

  std::unordered_map<CursorId, Entry, CursorIdHash> map_;
  std::vector<CursorId> addresses_;  // (protocol, address) pairs leased on so far: a few
};

}  // namespace snf
