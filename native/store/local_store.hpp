// The coupled baseline: state in a table inside the NF process, as a classic NF keeps it.
// It speaks the same commands as RedisStore (GET and the scripts, with native twins of the
// Lua), so NF code and verdicts are identical across stores; only where state lives differs.
#pragma once
#include <set>
#include <string>
#include <unordered_map>

#include "store.hpp"

namespace snf {

class LocalStore final : public StateStore {
 public:
  explicit LocalStore(size_t max_keys = 0) : max_keys_(max_keys) {}
  void execute(const Cmd* cmds, size_t n, std::vector<Reply>& replies) override;
  const StoreStats& stats() const override { return stats_; }
  int shards() const override { return 1; }
  size_t size() const { return table_.size(); }

 private:
  // An LB load set as Redis keeps a sorted set: by member, and ordered by score (expiry ms), so
  // dropping the expired members (ZREMRANGEBYSCORE -inf now) costs what it drops, not a walk of
  // the whole set; a baseline that walked it ran the LB at 30K pkt/s (bench/RESULTS.md).
  struct ZSet {
    std::unordered_map<std::string, int64_t> score;
    std::set<std::pair<int64_t, std::string>> by_score;
    void add(const std::string& member, int64_t s);
    void prune(int64_t now);  // drops members scored <= now
    size_t size() const { return score.size(); }
    void clear() {
      score.clear();
      by_score.clear();
    }
  };
  struct Entry {
    std::string val;
    ZSet zset;  // LB load sets: member -> expiry ms
    bool is_zset = false;
    int64_t expire_ms = 0;  // 0: no expiry
  };

  Entry* find(const std::string& key, int64_t now);
  void set(const std::string& key, const std::string& val, int64_t ttl_ms, int64_t now);
  Entry& zset(const std::string& key, int64_t now);
  void sweep(int64_t now);

  void nat_alloc(const Cmd& c, Reply& r, int64_t now);
  void nat_update(const Cmd& c, Reply& r, int64_t now);
  void nat_claim(const Cmd& c, Reply& r, int64_t now);
  void nat_lease(const Cmd& c, Reply& r);
  void cas(const Cmd& c, Reply& r, int64_t now);
  void lb_assign(const Cmd& c, Reply& r, int64_t now);
  void lb_update(const Cmd& c, Reply& r, int64_t now);

  std::unordered_map<std::string, Entry> table_;
  size_t max_keys_;
  size_t sweep_bucket_ = 0;  // where the incremental sweep resumes
  StoreStats stats_;
};

}  // namespace snf
