// Where the store module (native/redis_module, src/store/redis-module.ts) is built:
// native/build/Release/snf-redis-module.so, next to the data plane's addon; and whether the
// redis-servers this product starts load it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/repo-root.js';

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
