// Converts the typed TypeScript EngineConfig into native form. Every problem is reported with
// the path of the offending field; nothing is half-applied.
#pragma once
#include <napi.h>

#include <string>

#include "../nf/config.hpp"
#include "../store/plugin_store.hpp"
#include "../store/redis_store.hpp"

namespace snf {

struct StoreSpec {
  bool redis = false;
  size_t max_keys = 0;
  RedisOptions redis_opts;
  bool plugin = false;  // kind 'plugin': a store behind a dlopen'ed plugin (RAMCloud)
  PluginOptions plugin_opts;
};

// Returns "" on success, else "path: reason".
std::string engine_cfg_from_js(const Napi::Object& o, EngineCfg& cfg, StoreSpec* store);
// Only the tables (nat / firewall / lb / timeouts) for Engine.configure.
std::string tables_from_js(const Napi::Object& o, EngineCfg& cfg);

}  // namespace snf
