// The store's accelerator: native/redis_module, built next to the data plane as
// native/build/Release/snf-redis-module.so. Loaded into a redis-server (`--loadmodule PATH`),
// it answers the data plane's compare-and-sets as native commands instead of Lua scripts, with
// the same effect (bench/RESULTS.md has what it saves). It is optional: the engine uses it
// where the server has it and the scripts elsewhere, so any Redis 7 stays a valid store.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/repo-root.js';

/** The module's commands: what a data plane user's ACL must allow where the module is loaded. */
export const REDIS_MODULE_COMMANDS = ['snf.cas', 'snf.natupd', 'snf.claim'] as const;

/** Where the built module is (SNF_REDIS_MODULE overrides; it must exist). */
export function redisModulePath(): string {
  const set = process.env.SNF_REDIS_MODULE;
  const path = set && set !== 'off' ? set : join(repoRoot(), 'native', 'build', 'Release', 'snf-redis-module.so');
  if (!existsSync(path)) throw new Error(`store module not built (${path} missing): run 'bash scripts/setup.sh' or 'npm run build:native'`);
  return path;
}

/** Whether the redis-servers this product starts load the module: yes unless SNF_REDIS_MODULE=off. */
export function redisModuleWanted(): boolean {
  return process.env.SNF_REDIS_MODULE !== 'off';
}

/** redis-server arguments that load the module, or none when SNF_REDIS_MODULE=off. */
export function redisModuleArgs(): string[] {
  return redisModuleWanted() ? ['--loadmodule', redisModulePath()] : [];
}
