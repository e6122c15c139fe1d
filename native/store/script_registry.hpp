// The SHAs of the state-transition scripts (scripts.cpp) and how a call of one is spelled. The
// scripts are loaded on every node when it connects and called by SHA (EVALSHA: a few bytes per
// packet instead of the body); a node that answers NOSCRIPT (failover, SCRIPT FLUSH) gets the
// body once (EVAL), which also loads it there again.
#pragma once
#include <cstddef>
#include <string>

#include "sync_call.hpp"
#include "scripts.hpp"

namespace snf {

class ScriptRegistry {
 public:
  // SCRIPT LOAD of every script through `call`. false and `err` (NOAUTH, NOPERM, no reply).
  bool load(const SyncCall& call, std::string* err);

  // The first two words of a call of `id`: EVALSHA <sha>, or EVAL <body> when `eval`. The
  // pointers stay valid until the next load (no copy per packet).
  struct Head {
    const char* verb;
    size_t verb_len;
    const char* ref;
    size_t ref_len;
  };
  Head head(ScriptId id, bool eval) const;

  // The error reply of an EVALSHA says the node lacks the script: send it again as EVAL.
  static bool needs_body(const std::string& err);

 private:
  std::string shas_[static_cast<int>(ScriptId::Count)];
};

}  // namespace snf
