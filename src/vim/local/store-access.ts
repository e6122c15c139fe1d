// Who may talk to the local deployment's store, and how. `snf up` makes the credentials once
// (random passwords) and keeps them in <run dir>/store-access.json, root-only (0600): the
// redis-server configuration files and every client read them from there, so no password is
// ever on a command line `ps` shows, nor in state.json. Roles (src/store/acl.ts):
//   dataplane  instances: flows and heartbeats, tables read-only
//   control    the VIM, the steering controller, the snf CLI: tables, registry, inspection, purge
//   admin      the default user: replication, the Sentinels, cluster creation, the store watchdog
//              (a single node has no replication: there the default user is turned off)
//   sentinel   clients asking the Sentinels where the primary is (and nothing else there)
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConnectionOptions } from 'node:tls';
import { aclFileLine, aclRules, aclUser, type StoreRole } from '../../store/acl.js';
import { redisModulePath, redisModuleWanted } from '../../dataplane/redis-module.js';
import { makeStoreCerts, type StoreCerts } from '../../store/tls-certs.js';
import type { StoreTls } from '../../store/url.js';

export interface Credential {
  user: string;
  password: string;
}

export interface StoreAccess {
  version: 1;
  /** the default user's password (absent: the default user is off) */
  admin?: string;
  dataplane: Credential;
  control: Credential;
  /** Sentinel mode: the user clients ask the Sentinels with */
  sentinel?: Credential;
  /** --store-tls: every node serves TLS only, clients check it against this CA */
  tls?: { caFile: string; certFile: string; keyFile: string };
}

export const SENTINEL_CLIENT_USER = 'snf-sentinel-client';

/**
 * What a client may do on a Sentinel: find the primary, the other Sentinels and the replicas,
 * and hear about failovers. SENTINEL FAILOVER / SET / REMOVE stay the admin's.
 */
const SENTINEL_CLIENT_RULES = [
  'resetchannels',
  '&*',
  '-@all',
  '+@connection',
  '+info',
  '+client|setname',
  '+client|getname',
  '+subscribe',
  '+psubscribe',
  '+unsubscribe',
  '+punsubscribe',
  '+sentinel|get-master-addr-by-name',
  '+sentinel|sentinels',
  '+sentinel|master',
  '+sentinel|replicas',
  '+sentinel|slaves',
];

export function accessPath(runDir: string): string {
  return join(runDir, 'store-access.json');
}

function password(): string {
  return randomBytes(24).toString('hex');
}

/** Root-only: the directory holding node configurations and certificates. */
export function privateDir(dir: string): string {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  return dir;
}

/** A file only root reads: created 0600 before anything is written to it. */
export function writePrivate(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
  chmodSync(path, 0o600);
}

/**
 * Makes the deployment's credentials (and, with `tls`, its CA and the store's certificate for
 * 127.0.0.1, the address every client connects to) and saves them.
 */
export function createAccess(runDir: string, vnf: string, o: { tls: boolean; admin: boolean; sentinel: boolean }): StoreAccess {
  const a: StoreAccess = {
    version: 1,
    ...(o.admin ? { admin: password() } : {}),
    dataplane: { user: aclUser(vnf, 'dataplane'), password: password() },
    control: { user: aclUser(vnf, 'control'), password: password() },
    ...(o.sentinel ? { sentinel: { user: SENTINEL_CLIENT_USER, password: password() } } : {}),
  };
  if (o.tls) {
    const c: StoreCerts = makeStoreCerts(privateDir(join(runDir, 'tls')), ['127.0.0.1', 'localhost']);
    a.tls = { caFile: c.caFile, certFile: c.certFile, keyFile: c.keyFile };
  }
  writePrivate(accessPath(runDir), JSON.stringify(a, null, 2) + '\n');
  return a;
}

/** The deployment's credentials, or undefined for a deployment without (an operator's store, older deployments). */
export function loadAccess(runDir: string): StoreAccess | undefined {
  const p = accessPath(runDir);
  if (!existsSync(p)) return undefined;
  let a: StoreAccess;
  try {
    a = JSON.parse(readFileSync(p, 'utf8')) as StoreAccess;
  } catch (e) {
    throw new Error(`${p}: ${(e as Error).message}`);
  }
  if (a.version !== 1 || typeof a.dataplane?.password !== 'string' || typeof a.control?.password !== 'string') throw new Error(`${p}: not a store access file of this version`);
  return a;
}

/** redis.conf lines of a data node: the role users, the admin (or no default user), TLS. */
export function dataNodeConf(a: StoreAccess, vnf: string, tlsPort?: number, cluster = false, module = redisModuleWanted()): string {
  const lines = [
    // The store module (native compare-and-sets) on every node, replicas too: a failover keeps it.
    ...(module ? [`loadmodule ${redisModulePath()}`] : []),
    ...(a.admin !== undefined ? [`requirepass ${a.admin}`, `masterauth ${a.admin}`] : ['user default off']),
    ...(['dataplane', 'control'] as StoreRole[]).map((r) => aclFileLine(a[r].user, aclRules(vnf, r, { module }), a[r].password)),
    ...tlsConf(a, tlsPort),
    // the cluster bus (port + 10000) in TLS too
    ...(a.tls && cluster ? ['tls-cluster yes'] : []),
  ];
  return lines.join('\n') + '\n';
}

/** sentinel.conf lines: the admin is every Sentinel's password (they use it with each other too). */
export function sentinelConf(a: StoreAccess, primaryName: string, tlsPort?: number): string {
  if (a.admin === undefined || a.sentinel === undefined) throw new Error('store access: a Sentinel needs the admin and the Sentinel client credentials');
  return [
    `requirepass ${a.admin}`,
    `sentinel auth-pass ${primaryName} ${a.admin}`,
    aclFileLine(a.sentinel.user, SENTINEL_CLIENT_RULES, a.sentinel.password),
    ...tlsConf(a, tlsPort),
  ].join('\n') + '\n';
}

function tlsConf(a: StoreAccess, tlsPort: number | undefined): string[] {
  if (!a.tls) return [];
  if (tlsPort === undefined) throw new Error('store access: a TLS node needs its TLS port');
  return [
    'port 0',
    `tls-port ${tlsPort}`,
    `tls-cert-file ${a.tls.certFile}`,
    `tls-key-file ${a.tls.keyFile}`,
    `tls-ca-cert-file ${a.tls.caFile}`,
    // clients prove who they are with their ACL user, not a certificate
    'tls-auth-clients no',
    'tls-replication yes',
  ];
}

/** TLS settings in the URL grammar (src/store/url.ts), for connectStore and the native store. */
export function clientTls(a: StoreAccess | undefined): (StoreTls & { caFile: string }) | undefined {
  return a?.tls ? { caFile: a.tls.caFile } : undefined;
}

/** Node's TLS options for one-shot calls to the nodes (call-once.ts). */
export function nodeTls(a: StoreAccess | undefined): ConnectionOptions | undefined {
  return a?.tls ? { ca: readFileSync(a.tls.caFile), minVersion: 'TLSv1.2' } : undefined;
}

/** How the supervising code (node start-up, status, watchdog) authenticates to a node. */
export interface NodeAuth {
  username?: string;
  password?: string;
  tls?: ConnectionOptions;
}

/** Admin on a node where there is one; otherwise the control user (a single node, default user off). */
export function nodeAuth(a: StoreAccess | undefined): NodeAuth {
  if (!a) return {};
  const tls = nodeTls(a);
  return {
    ...(a.admin !== undefined ? { password: a.admin } : { username: a.control.user, password: a.control.password }),
    ...(tls ? { tls } : {}),
  };
}

/** On a Sentinel the admin (requirepass) may do everything, SENTINEL FAILOVER included. */
export function sentinelAdminAuth(a: StoreAccess | undefined): NodeAuth {
  const tls = nodeTls(a);
  return { ...(a?.admin !== undefined ? { password: a.admin } : {}), ...(tls ? { tls } : {}) };
}

/** One line for `snf status`. */
export function describeAccess(a: StoreAccess | undefined): string {
  if (!a) return 'no credentials of its own (an operator\'s store: its URL carries any)';
  return `ACL users ${a.dataplane.user} (instances), ${a.control.user} (control plane), default user ${a.admin !== undefined ? 'admin-only (random password)' : 'off'}; ${a.tls ? `TLS only, CA ${a.tls.caFile}` : 'no TLS'}`;
}

/** The seed a client connects with: a Sentinel URL gets the Sentinel client user in its query. */
export function seedFor(seed: string, a: StoreAccess | undefined): string {
  if (!a?.sentinel || !/^rediss?\+sentinel:\/\//i.test(seed)) return seed;
  const q = new URLSearchParams({ sentinelUser: a.sentinel.user, sentinelPassword: a.sentinel.password });
  return `${seed}${seed.includes('?') ? '&' : '?'}${q.toString()}`;
}

/** A role's login for connectControl / connectStore (nothing for a store without credentials). */
export function roleAuth(a: StoreAccess | undefined, role: StoreRole): { username?: string; password?: string } {
  return a ? { username: a[role].user, password: a[role].password } : {};
}
