// The adapter's configuration file (JSON): where its state lives, who may call it, the VNFDs it
// knows, the VIMs it drives. Strings "file:<path>" are replaced by the file's text (paths relative
// to the config file), so HOT templates and certificates stay in their own files.
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { HeatClient, Session } from '../openstack/index.js';
import { OpenStackVim } from '../vim/openstack/index.js';
import { LocalVim } from '../vim/local/vim.js';
import type { Vim } from '../vim/types.js';
import type { VnfmOptions } from './app.js';
import type { AuthConfig } from './auth.js';
import type { VnfdInfo } from './types.js';
import type { PackageApiConfig } from './catalogue.js';

export type VimConfig = { kind: 'openstack'; heatUrl?: string; cloud?: string; pollMs?: number } | { kind: 'local'; runRoot?: string };

export interface VnfmConfigFile {
  redis: string;
  store?: string;
  stateName?: string;
  host?: string;
  port?: number;
  publicUrl?: string;
  tls?: { cert: string; key: string };
  auth?: AuthConfig;
  /** hand-typed VNFDs: the fallback when a VNF has no package (see docs/vnfm.md) */
  vnfds?: VnfdInfo[];
  /** folder of onboarded CSARs (relative to the config file); `snf vnfm onboard` copies into it */
  packagesDir?: string;
  nfvo?: { packageApi?: PackageApiConfig };
  vims: Record<string, VimConfig>;
  defaultVim?: string;
  grant?: { url: string; authorization?: string };
  purgeOnTerminate?: boolean;
  opTimeoutMs?: number;
  hooks?: { inFlightMs?: number; registerTimeoutMs?: number; requireTables?: boolean };
  /** check responses against the schema too: 'log' (default) reports a mismatch, 'enforce' answers 500 */
  responseValidation?: 'off' | 'log' | 'enforce';
  ves?: { url: string; username?: string; password?: string; intervalMs?: number };
}

function inline(v: unknown, base: string): unknown {
  if (typeof v === 'string' && v.startsWith('file:')) return readFileSync(resolve(base, v.slice(5)), 'utf8');
  if (Array.isArray(v)) return v.map((x) => inline(x, base));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, inline(x, base)]));
  return v;
}

export function makeVim(c: VimConfig): Vim {
  if (c.kind === 'local') return new LocalVim(c.runRoot);
  const session = c.heatUrl ? Session.noauth({ orchestration: c.heatUrl }) : Session.fromEnvironment({ cloud: c.cloud });
  return new OpenStackVim(new HeatClient(session), { pollMs: c.pollMs });
}

export function loadConfig(path: string): VnfmOptions {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as VnfmConfigFile;
  const cfg = inline(raw, dirname(resolve(path))) as VnfmConfigFile;
  if (typeof cfg.redis !== 'string') throw new Error(`${path}: "redis" (host:port of the VNFM's state) is required`);
  if (cfg.vnfds !== undefined && !Array.isArray(cfg.vnfds)) throw new Error(`${path}: "vnfds" must be a list of VNFDs`);
  if (cfg.packagesDir !== undefined && (typeof cfg.packagesDir !== 'string' || cfg.packagesDir === '')) throw new Error(`${path}: "packagesDir" must be a folder path`);
  const api = cfg.nfvo?.packageApi;
  if (api !== undefined && (typeof api.url !== 'string' || !/^https?:\/\//.test(api.url))) throw new Error(`${path}: "nfvo.packageApi.url" must be an http(s) URL`);
  if (!cfg.vnfds?.length && !cfg.packagesDir && !api) throw new Error(`${path}: no VNFD source: give "packagesDir" (onboarded CSARs), "nfvo.packageApi", or hand-typed "vnfds"`);
  if (!cfg.vims || Object.keys(cfg.vims).length === 0) throw new Error(`${path}: "vims" must name at least one VIM`);
  return {
    redis: cfg.redis,
    store: cfg.store,
    stateName: cfg.stateName,
    host: cfg.host,
    port: cfg.port,
    publicUrl: cfg.publicUrl,
    tls: cfg.tls,
    auth: cfg.auth,
    catalog: cfg.vnfds ?? [],
    packagesDir: packagesDirOf(path, cfg),
    packageApi: api,
    vims: Object.fromEntries(Object.entries(cfg.vims).map(([n, c]) => [n, makeVim(c)])),
    defaultVim: cfg.defaultVim,
    grant: cfg.grant,
    purgeOnTerminate: cfg.purgeOnTerminate,
    opTimeoutMs: cfg.opTimeoutMs,
    hooks: cfg.hooks,
    responseValidation: cfg.responseValidation ?? 'log',
    ves: cfg.ves,
  };
}

/** The config's packagesDir, resolved against the config file's folder. */
export function packagesDirOf(path: string, cfg?: Pick<VnfmConfigFile, 'packagesDir'>): string | undefined {
  const c = cfg ?? (JSON.parse(readFileSync(path, 'utf8')) as VnfmConfigFile);
  return typeof c.packagesDir === 'string' && c.packagesDir !== '' ? resolve(dirname(resolve(path)), c.packagesDir) : undefined;
}
