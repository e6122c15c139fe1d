// A `{kind: 'ramcloud'}` store as the engine takes it: the plugin's path and its own
// "k=v;k=v" config (native/plugins/ramcloud/). Every field is checked here, naming it, so a bad
// locator is refused before the engine starts rather than found by the plugin's first open.
import { existsSync } from 'node:fs';
import type { StoreConfig } from '../model/tables.js';
import { findRamcloudBuild } from './install.js';

export type RamcloudStoreConfig = Extract<StoreConfig, { kind: 'ramcloud' }>;

/** The engine's store-agnostic form of a plugin store (native/binding/config_js.cpp). */
export interface PluginStoreConfig {
  kind: 'plugin';
  path: string;
  config: string;
  maxRetries?: number;
}

/** Where the VM image installs the plugin (src/image). */
export const IMAGE_PLUGIN = '/opt/snf/ramcloud/lib/libsnf_store_ramcloud.so';

// RAMCloud service locators the fork's transports accept: tcp / basic+udp, host and port.
const LOCATOR_RE = /^(tcp|basic\+udp):host=[A-Za-z0-9.:\-\[\]]+,port=(\d{1,5})$/;
const NAME_RE = /^[A-Za-z0-9_.\-]{1,64}$/;

export function checkRamcloudStore(s: RamcloudStoreConfig, field = 'store'): void {
  const m = LOCATOR_RE.exec(s.coordinator ?? '');
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
    throw new Error(`${field}.coordinator: must be a RAMCloud service locator like tcp:host=10.0.0.5,port=11100, got ${JSON.stringify(s.coordinator)}`);
  if (s.clusterName !== undefined && !NAME_RE.test(s.clusterName)) throw new Error(`${field}.clusterName: must be 1-64 of A-Z a-z 0-9 _ . -`);
  if (s.table !== undefined && !NAME_RE.test(s.table)) throw new Error(`${field}.table: must be 1-64 of A-Z a-z 0-9 _ . -`);
  if (s.span !== undefined && (!Number.isInteger(s.span) || s.span < 1 || s.span > 1024)) throw new Error(`${field}.span: must be an integer from 1 to 1024`);
  if (s.timeoutMs !== undefined && (!Number.isInteger(s.timeoutMs) || s.timeoutMs < 10 || s.timeoutMs > 60000))
    throw new Error(`${field}.timeoutMs: must be an integer from 10 to 60000`);
  if (s.plugin !== undefined && !s.plugin.startsWith('/')) throw new Error(`${field}.plugin: must be an absolute path`);
}

/**
 * The plugin to load: `plugin` when given; else SNF_RAMCLOUD_PLUGIN; else the image's copy;
 * else the build `scripts/setup.sh --ramcloud` left in its cache.
 */
export function ramcloudPluginPath(s: RamcloudStoreConfig, field = 'store'): string {
  const given = s.plugin ?? process.env.SNF_RAMCLOUD_PLUGIN;
  if (given) {
    if (!existsSync(given)) throw new Error(`${field}.plugin: ${given} does not exist`);
    return given;
  }
  if (existsSync(IMAGE_PLUGIN)) return IMAGE_PLUGIN;
  return findRamcloudBuild().plugin;
}

export function ramcloudPluginConfig(s: RamcloudStoreConfig, field = 'store'): PluginStoreConfig {
  checkRamcloudStore(s, field);
  const cfg = [
    `coordinator=${s.coordinator}`,
    `cluster=${s.clusterName ?? 'main'}`,
    `table=${s.table ?? 'snf'}`,
    `span=${s.span ?? 1}`,
    `timeout_ms=${s.timeoutMs ?? 1000}`,
  ].join(';');
  return { kind: 'plugin', path: ramcloudPluginPath(s, field), config: cfg };
}
