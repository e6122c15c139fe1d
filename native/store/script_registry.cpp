#include "script_registry.hpp"

#include <cstring>

namespace snf {

bool ScriptRegistry::load(const SyncCall& call, std::string* err) {
  for (int i = 0; i < static_cast<int>(ScriptId::Count); i++) {
    Reply r;
    if (!call({"SCRIPT", "LOAD", script_lua(static_cast<ScriptId>(i))}, r) || r.type != Reply::Str) {
      // NOAUTH (a password is required), NOPERM (the ACL user may not load scripts), ...
      *err = "SCRIPT LOAD: " + (r.type == Reply::Err ? r.s : std::string("no reply"));
      return false;
    }
    // The SHA of a body is the same on every node: the last node loaded on sets it for all.
    shas_[i] = r.s;
  }
  return true;
}

ScriptRegistry::Head ScriptRegistry::head(ScriptId id, bool eval) const {
  if (eval) {
    const char* body = script_lua(id);
    return {"EVAL", 4, body, std::strlen(body)};
  }
  const std::string& sha = shas_[static_cast<int>(id)];
  return {"EVALSHA", 7, sha.data(), sha.size()};
}

bool ScriptRegistry::needs_body(const std::string& err) { return err.compare(0, 8, "NOSCRIPT") == 0; }

}  // namespace snf
