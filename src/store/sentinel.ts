// Following a Sentinel-watched primary from the data plane's host. The native engine connects to
// one host:port; when Sentinel promotes a replica, the host must hand the engine the new address.
// This module is the seam: it asks the Sentinels for the current primary and reports every
// change (+switch-master on any Sentinel, plus a poll for messages lost while disconnected).
import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { Redis } from 'ioredis';
import type { StoreConfig } from '../model/tables.js';
import { parseStoreUrl, type Seed, type StoreTarget } from './url.js';

/** rediss+sentinel://: the Sentinels and the data nodes speak TLS, checked against the URL's CA. */
function tlsOf(target: StoreTarget): ConnectionOptions | undefined {
  const t = target.tls;
  if (!t) return undefined;
  return {
    minVersion: 'TLSv1.2',
    ...(t.caFile !== undefined ? { ca: readFileSync(t.caFile) } : {}),
    ...(t.servername !== undefined ? { servername: t.servername } : {}),
    ...(t.certFile !== undefined && t.keyFile !== undefined ? { cert: readFileSync(t.certFile), key: readFileSync(t.keyFile) } : {}),
  };
}

export interface PrimaryWatch {
  /** The primary as last reported. */
  readonly current: Seed;
  stop(): Promise<void>;
}

function sentinelClient(s: Seed, target: StoreTarget): Redis {
  const c = new Redis({
    host: s.host,
    port: s.port,
    lazyConnect: true,
    connectTimeout: 1000,
    maxRetriesPerRequest: 1,
    retryStrategy: (times) => Math.min(50 * 2 ** times, 1000),
    ...(target.sentinel?.password !== undefined ? { password: target.sentinel.password } : {}),
    ...(target.sentinel?.username !== undefined ? { username: target.sentinel.username } : {}),
    ...(target.tls ? { tls: tlsOf(target) } : {}),
  });
  c.on('error', () => undefined); // the next Sentinel is asked; the poll retries
  return c;
}

/** Asks each Sentinel in turn for the primary's address; throws naming every Sentinel's failure. */
export async function resolvePrimary(target: StoreTarget, timeoutMs = 2000): Promise<Seed> {
  if (target.mode !== 'sentinel' || !target.sentinel) throw new Error('resolvePrimary: not a redis+sentinel:// target');
  const errors: string[] = [];
  for (const s of target.seeds) {
    const c = sentinelClient(s, target);
    try {
      const reply = (await Promise.race([
        c.connect().then(() => c.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', target.sentinel!.name)),
        new Promise((_, rej) => setTimeout(() => rej(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)),
      ])) as unknown;
      if (Array.isArray(reply) && reply.length === 2) return { host: String(reply[0]), port: Number(reply[1]) };
      errors.push(`${s.host}:${s.port}: does not know a primary named ${JSON.stringify(target.sentinel.name)}`);
    } catch (e) {
      errors.push(`${s.host}:${s.port}: ${(e as Error).message}`);
    } finally {
      c.disconnect();
    }
  }
  throw new Error(`store: no Sentinel named the primary ${JSON.stringify(target.sentinel.name)}: ${errors.join('; ')}`);
}

/**
 * Calls `onChange(primary)` whenever the primary's address changes. Subscribes to
 * +switch-master on every Sentinel (the first to announce wins), takes a replica being promoted
 * as soon as it answers ROLE as a master (for up to probeMs), and re-asks every pollMs.
 */
export async function watchPrimary(target: StoreTarget, onChange: (primary: Seed) => void, pollMs = 1000, probeMs = 5000): Promise<PrimaryWatch> {
  let current = await resolvePrimary(target);
  let stopped = false;
  const name = target.sentinel!.name;
  const update = (p: Seed) => {
    if (stopped || (p.host === current.host && p.port === current.port)) return;
    current = p;
    onChange(p);
  };
  // The leader Sentinel announces the replica it promotes as soon as it sends it SLAVEOF NO ONE,
  // but +switch-master only once its next INFO (1 s apart) shows the promotion: asking the
  // replica itself (ROLE) saves that second. Only a node that answers "master" is taken.
  let probing: Seed | undefined;
  const probe = (cand: Seed) => {
    if (probing && probing.host === cand.host && probing.port === cand.port) return;
    probing = cand;
    const c = new Redis({
      host: cand.host,
      port: cand.port,
      lazyConnect: true,
      connectTimeout: 500,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => null,
      // the data node's own credentials (a store with ACL users refuses an anonymous probe)
      ...(target.username !== undefined ? { username: target.username } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      ...(target.tls ? { tls: tlsOf(target) } : {}),
    });
    c.on('error', () => undefined);
    const end = Date.now() + probeMs;
    const attempt = async (): Promise<void> => {
      while (!stopped && probing === cand && Date.now() < end) {
        try {
          if (c.status !== 'ready') await c.connect();
          // INFO, not ROLE: a data-plane ACL user may run INFO, ROLE is an admin command
          const info = String(await c.call('INFO', 'replication'));
          if (/^role:master\r?$/m.test(info)) {
            update(cand);
            return;
          }
        } catch {
          c.disconnect();
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    void attempt().finally(() => {
      c.disconnect();
      if (probing === cand) probing = undefined;
    });
  };
  const subs = target.seeds.map((s) => {
    const c = sentinelClient(s, target);
    c.on('message', (channel: string, msg: string) => {
      const f = msg.split(' ');
      // "<name> <old-ip> <old-port> <new-ip> <new-port>"
      if (channel === '+switch-master' && f.length === 5 && f[0] === name) update({ host: f[3], port: Number(f[4]) });
      // "slave <ip>:<port> <ip> <port> @ <name> <primary-ip> <primary-port>"
      if (channel === '+failover-state-send-slaveof-noone' && f.length === 8 && f[5] === name) probe({ host: f[2], port: Number(f[3]) });
    });
    c.connect()
      .then(() => c.subscribe('+switch-master', '+failover-state-send-slaveof-noone'))
      .catch(() => undefined);
    return c;
  });
  // The poll catches what the messages missed; what it names is taken only once it answers as a
  // primary: during a failover the Sentinels still name the dead one until +switch-master.
  const poll = setInterval(() => {
    resolvePrimary(target, Math.min(pollMs, 2000)).then((p) => {
      if (p.host !== current.host || p.port !== current.port) probe(p);
    }, () => undefined);
  }, pollMs);
  poll.unref();
  return {
    get current() {
      return current;
    },
    async stop() {
      stopped = true;
      clearInterval(poll);
      for (const c of subs) c.disconnect();
    },
  };
}

/**
 * The engine's store settings with a `redis+sentinel://` node replaced by the primary's current
 * host:port (and the URL's user, password and TLS settings carried over): the native store takes host:port only. Other
 * settings pass through unchanged. The instance host calls this at start and again, with a new
 * engine, whenever watchPrimary reports a change.
 */
export async function engineStoreConfig(store: Extract<StoreConfig, { kind: 'redis' }>): Promise<{ config: Extract<StoreConfig, { kind: 'redis' }>; sentinel?: StoreTarget }> {
  if (store.nodes.length !== 1 || !/^rediss?\+sentinel:\/\//i.test(store.nodes[0])) return { config: store };
  const target = parseStoreUrl(store.nodes[0]);
  const t = target.tls;
  if (t && t.caFile === undefined && store.tls === undefined) throw new Error('store.nodes[0]: rediss+sentinel:// needs ?ca=/path/to/ca.pem for the data plane (it checks the store against the deployment CA)');
  const p = await resolvePrimary(target);
  const password = store.password ?? target.password;
  const user = store.user ?? target.username;
  const tls = store.tls ?? (t?.caFile !== undefined ? { caFile: t.caFile, ...(t.servername !== undefined ? { servername: t.servername } : {}), ...(t.certFile !== undefined ? { certFile: t.certFile, keyFile: t.keyFile as string } : {}) } : undefined);
  return {
    config: {
      ...store,
      nodes: [p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`],
      cluster: false,
      ...(password !== undefined ? { password } : {}),
      ...(user !== undefined ? { user } : {}),
      ...(tls !== undefined ? { tls } : {}),
    },
    // the watch's probe of a promoted replica logs in as the data plane does
    sentinel: { ...target, ...(user !== undefined ? { username: user } : {}), ...(password !== undefined ? { password } : {}), ...(tls !== undefined && !target.tls ? { tls: { caFile: tls.caFile } } : {}) },
  };
}
