// One way to reach the state store from the control plane: a single Redis or a Redis Cluster,
// chosen by the caller or detected from the first seed. Connection failures surface as one clear
// error within a bounded time instead of ioredis' endless background retries.

import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis, Cluster, type RedisOptions, type ClusterOptions } from 'ioredis';
import type { StoreConfig } from '../model/tables.js';
import { parseStoreSeeds, parseStoreUrl, redact, StoreUrlError, type Seed, type StoreTarget, type StoreTls } from './url.js';

export type StoreClient = Redis | Cluster;

export interface ConnectOptions {
  /** true: Redis Cluster; false: single node; undefined: what the URL says, else ask the first seed (INFO cluster). */
  cluster?: boolean;
  /** Overrides the URL's password. */
  password?: string;
  /** ACL user; overrides the URL's. */
  username?: string;
  /** TLS settings merged over the URL's (a rediss:// URL turns TLS on by itself). */
  tls?: StoreTls;
  /** Overall deadline for the initial connection (default 3000 ms). */
  connectTimeoutMs?: number;
  /** CLIENT SETNAME, to tell control-plane connections apart in CLIENT LIST. */
  connectionName?: string;
}

export type { Seed } from './url.js';

/**
 * Accepts `host:port`, `[v6]:port`, `redis://[user:password@]host:port` and `rediss://` (TLS);
 * kept for callers that need one node's address. Everything else goes through parseStoreUrl.
 */
export function parseSeed(s: string): Seed & { password?: string } {
  const t = parseStoreUrl(s);
  if (t.mode === 'unix' || t.mode === 'sentinel' || t.seeds.length !== 1) throw new StoreUrlError(s, 'url', 'expected one host:port or redis://host:port');
  return { ...t.seeds[0], ...(t.password !== undefined ? { password: t.password } : {}) };
}

export function isCluster(c: StoreClient): c is Cluster {
  return c instanceof Cluster;
}

/** Resolves once `client` is ready, or disconnects it and rejects at the deadline with the last error seen. */
async function ready(client: StoreClient, what: string, timeoutMs: number): Promise<void> {
  let lastError: Error | undefined;
  const onError = (e: Error) => {
    lastError = e;
  };
  client.on('error', onError);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`store: cannot connect to ${what} within ${timeoutMs} ms${lastError ? `: ${lastError.message}` : ''}`));
      }, timeoutMs);
      client.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      // connect() rejects on the first failed attempt while retries go on; the deadline decides.
      client.connect().catch((e: unknown) => {
        if (e instanceof Error) lastError = e;
      });
    });
  } catch (e) {
    // the client is thrown away, but its socket may still report (a TLS alert after a plain
    // hello arrives late): without a listener ioredis prints it as unhandled
    client.on('error', () => undefined);
    client.disconnect();
    throw e;
  } finally {
    client.off('error', onError);
  }
}

/** Node's TLS options for a target; the CA file is read here so a bad path fails before connecting. */
function tlsOptions(tls: StoreTls | undefined, what: string): ConnectionOptions | undefined {
  if (!tls) return undefined;
  const o: ConnectionOptions = { minVersion: 'TLSv1.2' };
  if (tls.caFile !== undefined) {
    try {
      o.ca = readFileSync(tls.caFile);
    } catch (e) {
      throw new Error(`store ${what}: TLS CA file ${tls.caFile}: ${(e as Error).message}`);
    }
  }
  if (tls.servername !== undefined) o.servername = tls.servername;
  for (const [k, file] of [['cert', tls.certFile], ['key', tls.keyFile]] as const) {
    if (file === undefined) continue;
    try {
      o[k] = readFileSync(file);
    } catch (e) {
      throw new Error(`store ${what}: TLS client ${k} file ${file}: ${(e as Error).message}`);
    }
  }
  return o;
}

interface Resolved {
  target: StoreTarget;
  username?: string;
  password?: string;
  tls?: ConnectionOptions;
  what: string;
  timeoutMs: number;
}

function commonOptions(r: Resolved, opts: ConnectOptions): RedisOptions {
  return {
    ...(r.username !== undefined ? { username: r.username } : {}),
    ...(r.password !== undefined ? { password: r.password } : {}),
    ...(r.tls ? { tls: r.tls } : {}),
    connectTimeout: Math.min(r.timeoutMs, 2000),
    connectionName: opts.connectionName,
  };
}

function singleOptions(seed: Seed, r: Resolved, opts: ConnectOptions): RedisOptions {
  return {
    ...commonOptions(r, opts),
    host: seed.host,
    port: seed.port,
    lazyConnect: true,
    // A control-plane call should fail rather than queue forever while the store is down.
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  };
}

async function detectCluster(seed: Seed, r: Resolved, opts: ConnectOptions): Promise<boolean> {
  const probe = new Redis(singleOptions(seed, r, opts));
  await ready(probe, `${seed.host}:${seed.port}`, r.timeoutMs);
  try {
    const info = await probe.info('cluster');
    return /cluster_enabled:1/.test(info);
  } finally {
    probe.disconnect();
  }
}

/**
 * Connects to the store. `seeds`: one URL in the grammar of ./url.ts (a single node, cluster
 * seeds, a Sentinel-watched primary, a UNIX socket; plain or TLS; password or ACL user), or a
 * list of cluster seeds. Throws a clear error if nothing answers within connectTimeoutMs.
 * The caller owns the client: it should listen for 'error' (ioredis logs unhandled ones while it
 * reconnects) and end it with closeStore().
 */
export async function connectStore(seeds: string | string[], opts: ConnectOptions = {}): Promise<StoreClient> {
  const list = (Array.isArray(seeds) ? seeds : splitSeeds(seeds)).filter((s) => s.trim() !== '');
  if (list.length === 0) throw new Error('store: no seed nodes given');
  const target = parseStoreSeeds(list);
  const timeoutMs = opts.connectTimeoutMs ?? 3000;
  const what = list.map(redact).join(', ');
  const tlsSettings = opts.tls || target.tls ? { ...target.tls, ...opts.tls } : undefined;
  const r: Resolved = {
    target,
    username: opts.username ?? target.username,
    password: opts.password ?? target.password,
    tls: tlsOptions(tlsSettings, what),
    what,
    timeoutMs,
  };
  if (target.mode === 'unix') {
    const client = new Redis({ ...commonOptions(r, opts), path: target.path, lazyConnect: true, maxRetriesPerRequest: 2, retryStrategy: (times) => Math.min(20 * 2 ** times, 1000) });
    await ready(client, what, timeoutMs);
    return client;
  }
  if (target.mode === 'sentinel') {
    const s = target.sentinel as NonNullable<StoreTarget['sentinel']>;
    const client = new Redis({
      ...commonOptions(r, opts),
      sentinels: target.seeds,
      name: s.name,
      ...(s.password !== undefined ? { sentinelPassword: s.password } : {}),
      ...(s.username !== undefined ? { sentinelUsername: s.username } : {}),
      ...(r.tls ? { enableTLSForSentinelMode: true, sentinelTLS: r.tls } : {}),
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      // After a failover the Sentinels name the new primary; ioredis asks them again on reconnect.
      retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
      sentinelRetryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
      // A primary demoted to replica answers READONLY: reconnect, which asks the Sentinels.
      reconnectOnError: (e) => e.message.startsWith('READONLY'),
    });
    await ready(client, what, timeoutMs);
    return client;
  }
  const cluster = opts.cluster ?? (target.mode === 'cluster' ? true : target.mode === 'single' ? false : await detectCluster(target.seeds[0], r, opts));
  if (!cluster) {
    const client = new Redis(singleOptions(target.seeds[0], r, opts));
    await ready(client, what, timeoutMs);
    return client;
  }
  const copts: ClusterOptions = {
    lazyConnect: true,
    redisOptions: commonOptions(r, opts),
    maxRedirections: 16,
    clusterRetryStrategy: (times) => Math.min(100 * 2 ** times, 2000),
    // Slot map refreshes on MOVED/ASK; the periodic one catches topology changes between calls.
    slotsRefreshInterval: 5000,
    // With TLS the nodes are reached by the names the slot map gives, checked against the CA.
    ...(r.tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
  };
  const client = new Cluster(
    target.seeds.map(({ host, port }) => ({ host, port })),
    copts,
  );
  await ready(client, what, timeoutMs);
  return client;
}

/**
 * A comma-separated string is a list of seeds unless it is one URL whose host part lists nodes
 * (redis://a:1,b:2/...): commas inside a URL belong to it.
 */
function splitSeeds(s: string): string[] {
  return /^[a-z+]+:\/\//i.test(s.trim()) ? [s] : s.split(',');
}

/** Closes politely, falling back to a hard disconnect when the store is gone. */
export async function closeStore(client: StoreClient): Promise<void> {
  try {
    await Promise.race([client.quit(), new Promise((_, rej) => setTimeout(() => rej(new Error('quit timeout')), 1000))]);
  } catch {
    client.disconnect();
  }
}

/** Connects with the engine's own store settings, so control plane and data plane agree on the store. */
export async function connectFromConfig(
  store: Extract<StoreConfig, { kind: 'redis' }>,
  opts: Omit<ConnectOptions, 'cluster' | 'password'> = {},
): Promise<StoreClient> {
  return connectStore(store.nodes, {
    ...opts,
    cluster: store.cluster ?? false,
    ...(store.password !== undefined ? { password: store.password } : {}),
    ...(store.user !== undefined ? { username: store.user } : {}),
    ...(store.tls !== undefined ? { tls: store.tls } : {}),
    // store.timeoutMs is the engine's per-batch deadline (milliseconds at most), not a connect timeout.
  });
}

export { StoreUrlError, parseStoreUrl, type StoreTarget, type StoreTls };
