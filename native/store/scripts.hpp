// The atomic state transitions, as Lua for Redis (loaded once, called by EVALSHA) and as
// native twins in LocalStore. Documented in native/store/README.md.
#pragma once

namespace snf {

enum class ScriptId : int { NatAlloc = 0, NatUpdate, Cas, LbAssign, LbUpdate, NatClaim, NatLease, Count };

const char* script_name(ScriptId id);
const char* script_lua(ScriptId id);

}  // namespace snf
