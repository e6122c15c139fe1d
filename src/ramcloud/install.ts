// Where this checkout's RAMCloud build is: scripts/ramcloud/build.sh keys its cache directory by
// a hash of its inputs, and `build.sh --where` names the directory for the current ones. Nothing
// here builds: a missing build is an error that says how to make it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../util/repo-root.js';

/**
 * scripts/ramcloud/build.sh of this checkout (looked up when asked: an NF VM has no checkout);
 * SNF_RAMCLOUD_BUILD_SCRIPT names another (the tests' stand-in for a machine without a build).
 */
export function buildScript(): string {
  return process.env.SNF_RAMCLOUD_BUILD_SCRIPT ?? join(repoRoot(), 'scripts', 'ramcloud', 'build.sh');
}
export const BUILD_HINT = 'sudo bash scripts/setup.sh --ramcloud';

/** What build.sh writes into build-info.json (the fields we read). */
export interface RamcloudBuildInfo {
  key: string;
  seconds: number;
  date: string;
}

export interface RamcloudBuild {
  dir: string;
  coordinatorBin: string;
  serverBin: string;
  libramcloud: string;
  /** The store plugin (native/store/plugin_abi.h) to dlopen. */
  plugin: string;
  info: RamcloudBuildInfo;
}

export class RamcloudNotBuilt extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RamcloudNotBuilt';
  }
}

function parseInfo(file: string): RamcloudBuildInfo {
  const raw: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (typeof raw !== 'object' || raw === null) throw new RamcloudNotBuilt(`${file}: not a JSON object`);
  const o = raw as Record<string, unknown>;
  if (typeof o.key !== 'string' || typeof o.seconds !== 'number' || typeof o.date !== 'string') {
    throw new RamcloudNotBuilt(`${file}: expected string key, number seconds and string date`);
  }
  return { key: o.key, seconds: o.seconds, date: o.date };
}

/**
 * The RAMCloud build for the current inputs, or RamcloudNotBuilt whose message says how to build
 * it. `env` reaches build.sh (SNF_RAMCLOUD_CACHE, SNF_RAMCLOUD_SRC).
 */
export function findRamcloudBuild(env: NodeJS.ProcessEnv = process.env): RamcloudBuild {
  const BUILD_SCRIPT = buildScript();
  const r = spawnSync('bash', [BUILD_SCRIPT, '--where'], { env, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw new RamcloudNotBuilt(`cannot run ${BUILD_SCRIPT} --where: ${r.error.message}`);
  const dir = r.stdout.trim();
  if (r.status === 1 && dir !== '') {
    throw new RamcloudNotBuilt(`RAMCloud and its store plugin are not built for this checkout (expected in ${dir}): run '${BUILD_HINT}'`);
  }
  if (r.status !== 0 || dir === '') {
    throw new RamcloudNotBuilt(`${BUILD_SCRIPT} --where failed (exit ${r.status}): ${r.stderr.trim() || r.stdout.trim()}; then run '${BUILD_HINT}'`);
  }
  const b = {
    dir,
    coordinatorBin: join(dir, 'bin', 'rc-coordinator'),
    serverBin: join(dir, 'bin', 'rc-server'),
    libramcloud: join(dir, 'lib', 'libramcloud.so'),
    plugin: join(dir, 'lib', 'libsnf_store_ramcloud.so'),
  };
  for (const f of [b.coordinatorBin, b.serverBin, b.libramcloud, b.plugin]) {
    if (!existsSync(f)) throw new RamcloudNotBuilt(`the RAMCloud build in ${dir} lacks ${f}: run '${BUILD_HINT}' again`);
  }
  return { ...b, info: parseInfo(join(dir, 'build-info.json')) };
}
