// Store commands as the NFs build them, for tests that talk to a store directly.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "store/store.hpp"

namespace cmds {

inline snf::Cmd script(snf::ScriptId id, std::vector<std::string> keys, std::vector<std::string> args) {
  snf::Cmd c;
  c.call(id);
  c.keys = std::move(keys);
  c.args = std::move(args);
  return c;
}

inline snf::Cmd get(const std::string& key) {
  snf::Cmd c;
  c.get(key);
  return c;
}

// A compare-and-set of the state field ('' = create), as the firewall sends it.
inline snf::Cmd cas(const std::string& key, const std::string& expected, const std::string& value,
                    const std::string& ttl_ms = "60000") {
  return script(snf::ScriptId::Cas, {key}, {expected, value, ttl_ms});
}

// A NAT claim of a leased port: both keys or neither (RedisStore sends MULTI ... EXEC).
inline snf::Cmd claim(const std::string& fwd, const std::string& rev, const std::string& fwd_value,
                      const std::string& rev_value, const std::string& ttl_ms = "60000") {
  return script(snf::ScriptId::NatClaim, {fwd, rev}, {fwd_value, rev_value, ttl_ms});
}

}  // namespace cmds
