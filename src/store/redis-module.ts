// The store's accelerator: native/redis_module, loaded into a redis-server (`--loadmodule PATH`;
// where the product finds the built file: src/dataplane/redis-module.ts). It answers the data
// plane's compare-and-sets as native commands instead of Lua scripts, with the same effect
// (bench/RESULTS.md has what it saves). It is optional: the engine uses it where the server has
// it and the scripts elsewhere, so any Redis 7 stays a valid store.

/** The module's commands: what a data plane user's ACL must allow where the module is loaded. */
export const REDIS_MODULE_COMMANDS = ['snf.cas', 'snf.natupd', 'snf.claim', 'snf.lbupd', 'snf.lbassign'] as const;
