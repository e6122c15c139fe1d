// One way to reach the state store from the control plane: a single Redis or a Redis Cluster,
// chosen by the caller or detected from the first seed. Connection failures surface as one clear
// error within a bounded time instead of ioredis' endless background retries.

import { Redis, Cluster, type RedisOptions, type ClusterOptions } from 'ioredis';
import type { StoreConfig } from '../model/tables.js';

export type StoreClient = Redis | Cluster;

export interface ConnectOptions {
  /** true: Redis Cluster; false: single node; undefined: ask the first seed (INFO cluster). */
  cluster?: boolean;
  password?: string;
  /** Overall deadline for the initial connection (default 3000 ms). */
  connectTimeoutMs?: number;
  /** CLIENT SETNAME, to tell control-plane connections apart in CLIENT LIST. */
  connectionName?: string;
}

export interface Seed {
  host: string;
  port: number;
}

/** Accepts `host:port`, `[v6]:port`, `redis://host:port` (password in the URL is honoured by connectStore). */
export function parseSeed(s: string): Seed & { password?: string } {
  let text = s.trim();
  let password: string | undefined;
  if (/^rediss?:\/\//.test(text)) {
    if (text.startsWith('rediss:')) throw new Error(`store seed ${JSON.stringify(s)}: TLS (rediss://) is not supported`);
    let u: URL;
    try {
      u = new URL(text);
    } catch {
      throw new Error(`store seed ${JSON.stringify(s)}: not a valid redis:// URL`);
    }
    if (u.password) password = decodeURIComponent(u.password);
    text = `${u.hostname}:${u.port || '6379'}`;
  }
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) throw new Error(`store seed ${JSON.stringify(s)}: expected host:port, [ipv6]:port or redis://host:port`);
  const port = Number(m[3]);
  if (port < 1 || port > 65535) throw new Error(`store seed ${JSON.stringify(s)}: port must be 1..65535`);
  return { host: m[1] ?? m[2], port, ...(password !== undefined ? { password } : {}) };
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
    client.disconnect();
    throw e;
  } finally {
    client.off('error', onError);
  }
}

function singleOptions(seed: Seed, opts: ConnectOptions, password: string | undefined): RedisOptions {
  const t = opts.connectTimeoutMs ?? 3000;
  return {
    host: seed.host,
    port: seed.port,
    password,
    lazyConnect: true,
    connectTimeout: Math.min(t, 2000),
    connectionName: opts.connectionName,
    // A control-plane call should fail rather than queue forever while the store is down.
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 2000),
  };
}

async function detectCluster(seed: Seed, opts: ConnectOptions, password: string | undefined): Promise<boolean> {
  const probe = new Redis(singleOptions(seed, opts, password));
  await ready(probe, `${seed.host}:${seed.port}`, opts.connectTimeoutMs ?? 3000);
  try {
    const info = await probe.info('cluster');
    return /cluster_enabled:1/.test(info);
  } finally {
    probe.disconnect();
  }
}

/**
 * Connects to the store. `seeds`: one or more `host:port` / redis:// URLs (a cluster's slot map is
 * read from whichever answers). Throws a clear error if nothing answers within connectTimeoutMs.
 * The caller owns the client: it should listen for 'error' (ioredis logs unhandled ones while it
 * reconnects) and end it with closeStore().
 */
export async function connectStore(seeds: string | string[], opts: ConnectOptions = {}): Promise<StoreClient> {
  const list = (Array.isArray(seeds) ? seeds : seeds.split(',')).filter((s) => s.trim() !== '');
  if (list.length === 0) throw new Error('store: no seed nodes given');
  const parsed = list.map(parseSeed);
  const password = opts.password ?? parsed.find((p) => p.password !== undefined)?.password;
  const timeoutMs = opts.connectTimeoutMs ?? 3000;
  const what = list.join(', ');
  const cluster = opts.cluster ?? (await detectCluster(parsed[0], opts, password));
  if (!cluster) {
    const client = new Redis(singleOptions(parsed[0], opts, password));
    await ready(client, what, timeoutMs);
    return client;
  }
  const copts: ClusterOptions = {
    lazyConnect: true,
    redisOptions: {
      password,
      connectTimeout: Math.min(timeoutMs, 2000),
      connectionName: opts.connectionName,
    },
    maxRedirections: 16,
    clusterRetryStrategy: (times) => Math.min(100 * 2 ** times, 2000),
    // Slot map refreshes on MOVED/ASK; the periodic one catches topology changes between calls.
    slotsRefreshInterval: 5000,
  };
  const client = new Cluster(
    parsed.map(({ host, port }) => ({ host, port })),
    copts,
  );
  await ready(client, what, timeoutMs);
  return client;
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
    // store.timeoutMs is the engine's per-batch deadline (milliseconds at most), not a connect timeout.
  });
}
