// The coupled baseline: state in a table inside the NF process, as a classic NF keeps it.
// It speaks the same commands as RedisStore (GET and the scripts, with native twins of the
// Lua), so NF code and verdicts are identical across stores; only where state lives differs.
#pragma once
#include <map>
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
  struct Entry {
    std::string val;
    std::map<std::string, int64_t> zset;  // LB load sets: member -> expiry ms
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
