// A StateStore on a key-value store reached through a plugin (plugin_abi.h): RAMCloud today.
//
// A plugin store has no server-side scripts and no TTLs, so what Redis does in Lua
// (scripts.cpp) is done here with the plugin's primitives: reads batched up front, then
// create-if-absent and compare-and-swap writes on object versions, each retried a bounded number
// of times when another instance got there first. Expiry is a stamp in front of every value:
// an expired object reads as absent, is overwritten on its version, and the sweeper (sweep())
// deletes it. Store semantics, round trips per script and the value layout: native/store/README.md.
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "plugin_abi.h"
#include "store.hpp"

namespace snf {

// The dlopen'ed plugin: loaded once per path and process, never unloaded (a plugin's runtime,
// RAMCloud's dispatch threads among it, may not survive dlclose).
class PluginLibrary {
 public:
  // nullptr with the reason in err when the file cannot be loaded or is not a plugin of our ABI.
  static const PluginLibrary* load(const std::string& path, std::string& err);
  const snf_store_plugin& api() const { return *api_; }
  const std::string& path() const { return path_; }

 private:
  PluginLibrary(std::string path, const snf_store_plugin* api) : path_(std::move(path)), api_(api) {}
  std::string path_;
  const snf_store_plugin* api_;
};

struct PluginOptions {
  std::string path;    // the plugin .so
  std::string config;  // the plugin's own "k=v;k=v"
  int max_retries = 8; // per script, when a conditional write loses a race
};

class PluginStore final : public StateStore {
 public:
  // Fails (nullptr, reason in err) only when the plugin cannot be loaded; a store that cannot be
  // reached yet is opened again on later batches, whose store commands meanwhile come back
  // Unavailable, as with a Redis that is down.
  static std::unique_ptr<PluginStore> create(const PluginOptions& o, std::string& err);
  ~PluginStore() override;
  PluginStore(const PluginStore&) = delete;
  PluginStore& operator=(const PluginStore&) = delete;

  void execute(const Cmd* cmds, size_t n, std::vector<Reply>& replies) override;
  const StoreStats& stats() const override { return stats_; }
  int shards() const override { return 1; }

  struct SweepResult {
    size_t scanned = 0;
    size_t deleted = 0;
    bool done = false;  // the scan reached the end of the table (the next call starts over)
    bool ok = true;
  };
  // Looks at up to `max_objects` objects from where the last call stopped and deletes those
  // expired at `now` (each on the version read, so a refresh that lands in between wins).
  SweepResult sweep(int64_t now, size_t max_objects);

 private:
  // What this batch knows of a key: read up front, or the outcome of its own writes.
  struct Obj {
    bool known = false;   // read or written in this batch
    bool exists = false;
    int64_t expire = 0;   // ms since the epoch; 0 = never
    uint64_t version = 0;
    std::string value;    // without the expiry stamp
    bool live(int64_t now) const { return exists && (expire == 0 || expire > now); }
  };
  enum class Put { Ok, Exists, Unavailable, Contention };

  PluginStore(const PluginLibrary* lib, PluginOptions o);
  bool ensure_open();
  uint32_t run(snf_kv_op* ops, size_t n);  // one plugin call, counted
  bool fetch(const std::string& key);      // a GET into known_
  bool put(const std::string& key, const std::string& value, int64_t expire, uint8_t cond, uint64_t version);
  bool put_over(const std::string& key, const std::string& value, int64_t expire, const Obj& seen);
  Put create(const std::string& key, const std::string& value, int64_t expire);
  bool incr(const std::string& key, int64_t delta, int64_t& out);
  void del_version(const std::string& key, uint64_t version);
  bool rmw_load(const std::string& key, const std::string& member, int64_t member_expire, int64_t key_expire, int64_t now);
  Obj& obj(const std::string& key) { return known_[key]; }
  void prefetch(const Cmd* cmds, size_t n);

  // take_port: Taken (the port's reverse key exists, nothing written, r untouched), Made (r is
  // the new mapping) or Done (r is the mapping found, an error, or nothing when unavailable).
  enum class Take { Taken, Made, Done };
  Take take_port(const std::string& fwd_key, const std::string& fwd, const std::string& rev_key, const std::string& rev,
                 int64_t expire, Reply& r);
  void nat_alloc(const Cmd& c, Reply& r, int64_t now);
  void nat_claim(const Cmd& c, Reply& r, int64_t now);
  void nat_lease(const Cmd& c, Reply& r);
  void update(const Cmd& c, Reply& r, int64_t now, bool lb);
  void cas(const Cmd& c, Reply& r, int64_t now);
  void lb_assign(const Cmd& c, Reply& r, int64_t now);

  const PluginLibrary* lib_;
  PluginOptions opts_;
  void* handle_ = nullptr;
  int64_t next_open_ms_ = 0;
  bool unavailable_ = false;  // an op of this batch could not reach the store
  std::unordered_map<std::string, Obj> known_;
  std::vector<snf_kv_op> ops_;
  std::vector<std::string> keys_;
  void* scan_cursor_ = nullptr;
  StoreStats stats_;
};

// The value layout every plugin object carries (exposed for the tests and the sweeper).
std::string encode_stamped(int64_t expire_ms, const std::string& value);
bool decode_stamped(const char* p, size_t n, int64_t& expire_ms, std::string& value);

}  // namespace snf
