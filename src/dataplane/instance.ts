// One NF instance as a process, as the local VIM runs it inside an instance namespace:
//   node --import tsx src/dataplane/instance.ts <config.json>
// Loads the NF tables from the store's control tables, runs the data plane on the namespace's
// two legs, heartbeats into the registry, serves Prometheus metrics, applies table changes, and
// on SIGTERM deregisters first (so steering drops it at once) and then stops.
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { EngineConfig, NfKind, NfTables, StoreConfig } from './types.js';
import type { IoConfig } from './io-types.js';
import { Dataplane } from './dataplane.js';
import { renderMetrics, type InstanceMetrics } from './metrics.js';
import { closeStore, deregister, heartbeat, readTablesSnapshot, watchTables, type StoreClient } from '../store/index.js';
import { connectControl } from '../store/control-client.js';
import { readEpoch } from '../store/epoch.js';
import { engineStoreConfig, watchPrimary, type PrimaryWatch } from '../store/sentinel.js';
import type { StoreTarget } from '../store/url.js';

export interface InstanceConfig {
  vnf: string;
  instanceId: string;
  chain: NfKind[];
  /** Control-plane store (registry, tables): `unix:/path` or `host:port`. */
  control: string;
  /** The ACL user of the control connection, for a `control` that cannot carry one (unix:/path). */
  controlAuth?: { user: string; password: string };
  /** The data plane's store: Redis (stateless) or `local` (the coupled baseline). */
  store: StoreConfig;
  /** `kernel`: test-only stand-in, the namespace's kernel forwards and this process only registers. */
  io: IoConfig | { kind: 'kernel' };
  heartbeat?: { periodMs?: number; ttlMs?: number };
  metrics?: { port?: number; host?: string; socket?: string };
  /** What the registry shows as the instance's address (its namespace). */
  addr: string;
  /** Merged over the stored tables (e.g. the coupled baseline's per-instance NAT pool). */
  tablesOverride?: NfTables;
}

export function parseInstanceConfig(text: string, source: string): InstanceConfig {
  let c: InstanceConfig;
  try {
    c = JSON.parse(text) as InstanceConfig;
  } catch (e) {
    throw new Error(`${source}: not JSON: ${(e as Error).message}`);
  }
  for (const f of ['vnf', 'instanceId', 'control', 'addr'] as const) {
    if (typeof c[f] !== 'string' || !c[f]) throw new Error(`${source}: ${f}: must be a non-empty string`);
  }
  if (!Array.isArray(c.chain) || c.chain.length === 0) throw new Error(`${source}: chain: must list at least one NF`);
  if (c.controlAuth !== undefined && (typeof c.controlAuth !== 'object' || c.controlAuth === null || typeof c.controlAuth.user !== 'string' || typeof c.controlAuth.password !== 'string'))
    throw new Error(`${source}: controlAuth: must be {"user": string, "password": string}`);
  if (!c.store || (c.store.kind !== 'redis' && c.store.kind !== 'local' && c.store.kind !== 'ramcloud')) throw new Error(`${source}: store.kind: must be redis, ramcloud or local`);
  if (!c.io || !['afpacket', 'af_xdp', 'dpdk', 'kernel'].includes(c.io.kind)) throw new Error(`${source}: io.kind: must be afpacket, af_xdp, dpdk or kernel`);
  return c;
}

function withOverride(t: NfTables, o: NfTables | undefined): NfTables {
  return o ? { ...t, ...o } : t;
}

export interface RunningInstance {
  stop(): Promise<void>;
}

export async function runInstance(cfg: InstanceConfig, log: (s: string) => void = (s) => console.log(s)): Promise<RunningInstance> {
  const startedAt = Date.now();
  const periodMs = cfg.heartbeat?.periodMs ?? 50;
  const ttlMs = cfg.heartbeat?.ttlMs ?? 150;
  // The control plane lives in the data plane's store when that is a Redis Cluster (a VM's store VDU).
  const controlCluster = cfg.store.kind === 'redis' && cfg.store.cluster === true;
  const redis: StoreClient = await connectControl(
    cfg.control,
    `snf-instance-${cfg.instanceId}`,
    3000,
    controlCluster,
    cfg.controlAuth ? { username: cfg.controlAuth.user, password: cfg.controlAuth.password } : {},
  );
  const snap = await readTablesSnapshot(redis, cfg.vnf);
  const m: InstanceMetrics = { vnf: cfg.vnf, instance: cfg.instanceId, heartbeats: 0, heartbeatFailures: 0, heartbeatMs: 0, tablesGeneration: snap.generation, startedAt, ioKind: cfg.io.kind };

  let dp: Dataplane | undefined;
  let watch: PrimaryWatch | undefined;
  // the tables the data plane runs with now (a restarted data plane starts with them)
  let tables: NfTables = withOverride(snap.tables, cfg.tablesOverride);
  m.storePrimaryChanges = 0;
  if (cfg.io.kind !== 'kernel') {
    const io = cfg.io;
    // A Sentinel-watched store: the native store connects to one host:port, so this host asks
    // the Sentinels where the primary is and, when they promote another, restarts the data
    // plane on it (docs/local-deployment.md#the-store). Everything else passes through.
    const resolved: { config: StoreConfig; sentinel?: StoreTarget } = cfg.store.kind === 'redis' ? await engineStoreConfig(cfg.store) : { config: cfg.store };
    let store: StoreConfig = resolved.config;
    const engineCfg = (): EngineConfig => ({ vnf: cfg.vnf, instanceId: cfg.instanceId, chain: cfg.chain, store, ...tables });
    dp = new Dataplane(engineCfg(), io);
    dp.start();
    log(`data plane started on ${io.inside.iface} / ${io.outside.iface}, tables generation ${snap.generation}${resolved.sentinel ? `, store primary ${store.kind === 'redis' ? store.nodes[0] : ''}` : ''}`);
    if (resolved.sentinel) {
      watch = await watchPrimary(resolved.sentinel, (p) => {
        const t0 = performance.now();
        const node = p.host.includes(':') ? `[${p.host}]:${p.port}` : `${p.host}:${p.port}`;
        if (store.kind !== 'redis') return;
        store = { ...store, nodes: [node] };
        try {
          // Open the new one before stopping the old: its sockets queue what arrives while the
          // old one (stuck on the dead primary, dropping) winds down, and it forwards that once
          // started. Not started before the old one stops: two running data planes on one
          // interface would each forward every frame.
          const next = new Dataplane(engineCfg(), io);
          const t1 = performance.now();
          dp?.stop();
          const t2 = performance.now();
          dp = next;
          dp.start();
          m.storePrimaryChanges = (m.storePrimaryChanges ?? 0) + 1;
          const t3 = performance.now();
          log(`store primary is now ${node}: data plane restarted on it in ${(t3 - t0).toFixed(1)} ms (open ${(t1 - t0).toFixed(1)}, stop the old ${(t2 - t1).toFixed(1)}, start ${(t3 - t2).toFixed(1)})`);
        } catch (e) {
          // without a data plane the instance must not stay registered as forwarding
          log(`store primary is now ${node}: data plane restart failed: ${(e as Error).message}; exiting`);
          process.exit(1);
        }
      });
    }
  } else {
    log('kernel stand-in: the namespace forwards, this process only registers');
  }

  const unwatch = await watchTables(
    redis,
    cfg.vnf,
    (s) => {
      if (s.generation === 0) {
        // The tables vanished (the store restarted empty or was wiped). Keep forwarding with the
        // last good ones until the control plane restores them: empty tables would switch the
        // firewall off and the NAT and LB to nothing.
        log(`control tables missing from the store (generation 0); keeping generation ${m.tablesGeneration} until they are restored`);
        return;
      }
      try {
        const next = withOverride(s.tables, cfg.tablesOverride);
        dp?.configure(next);
        tables = next;
        m.tablesGeneration = s.generation;
        log(`tables generation ${s.generation} applied`);
      } catch (e) {
        log(`tables generation ${s.generation} rejected: ${(e as Error).message}`);
      }
    },
    { onError: (e) => log(`tables: ${e.message}`), pollIntervalMs: 2000 },
  );

  // Where the VNF manager can read this instance's counters (for VES measurements).
  const metricsAt = cfg.metrics?.socket ? `unix:${cfg.metrics.socket}` : cfg.metrics?.port !== undefined ? `http://${cfg.metrics.host && cfg.metrics.host !== '0.0.0.0' ? cfg.metrics.host : '127.0.0.1'}:${cfg.metrics.port}` : undefined;
  const info = { id: cfg.instanceId, pid: process.pid, addr: cfg.addr, startedAt, heartbeatMs: periodMs, ...(metricsAt ? { metrics: metricsAt } : {}) };
  let stopping = false;
  let beat: NodeJS.Timeout | undefined;
  m.storeEpochChanges = 0;
  let epochFailures = 0;
  const beatOnce = async () => {
    const t0 = performance.now();
    try {
      await heartbeat(redis, cfg.vnf, info, ttlMs);
      m.heartbeats++;
      m.heartbeatMs = performance.now() - t0;
    } catch (e) {
      m.heartbeatFailures++;
      if (m.heartbeatFailures % 20 === 1) log(`heartbeat: ${(e as Error).message}`);
      return;
    }
    // The epoch rides along with the heartbeat: a vanished or changed one means the store lost
    // its data (flows, NAT allocations, tables); see docs/store-loss.md.
    try {
      const epoch = (await readEpoch(redis, cfg.vnf)) ?? '';
      const prev = m.storeEpoch;
      if (prev === undefined) {
        if (epoch) m.storeEpoch = epoch;
      } else if (epoch !== prev) {
        // '' = vanished; a loss is counted once, when a known epoch goes away or is replaced
        if (prev) {
          m.storeEpochChanges = (m.storeEpochChanges ?? 0) + 1;
          log(`store epoch ${epoch ? `changed to ${epoch}` : 'vanished'} (was ${prev}): the store lost its data`);
        } else log(`store epoch ${epoch} in force`);
        m.storeEpoch = epoch;
      }
    } catch (e) {
      if (epochFailures++ % 20 === 0) log(`store epoch: ${(e as Error).message}`);
    }
  };
  // The first heartbeat only once the data plane runs: registered means ready to forward.
  await beatOnce();
  const loop = () => {
    if (stopping) return;
    beat = setTimeout(() => void beatOnce().finally(loop), periodMs);
  };
  loop();

  const servers: Server[] = [];
  const handler = (_req: unknown, res: import('node:http').ServerResponse) => {
    let body: string;
    try {
      body = renderMetrics({ ...m, ...(dp ? { counters: dp.counters() } : {}) });
    } catch (e) {
      res.writeHead(500, { 'content-type': 'text/plain' }).end(String(e));
      return;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  };
  const listen = (arg: { port: number; host: string } | { path: string }) =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(handler);
      s.once('error', reject);
      if ('path' in arg) {
        rmSync(arg.path, { force: true });
        s.listen(arg.path, () => resolve());
      } else s.listen(arg.port, arg.host, () => resolve());
      servers.push(s);
    });
  if (cfg.metrics?.port !== undefined) await listen({ port: cfg.metrics.port, host: cfg.metrics.host ?? '0.0.0.0' });
  if (cfg.metrics?.socket) await listen({ path: cfg.metrics.socket });
  log(`registered as ${cfg.instanceId} (heartbeat ${periodMs} ms, ttl ${ttlMs} ms)`);

  return {
    async stop() {
      if (stopping) return;
      stopping = true;
      if (beat) clearTimeout(beat);
      // Deregister before stopping the data plane: steering removes the instance on its next
      // poll while the instance still forwards what is in flight.
      await deregister(redis, cfg.vnf, cfg.instanceId).catch((e: Error) => log(`deregister: ${e.message}`));
      await unwatch().catch(() => undefined);
      await watch?.stop();
      for (const s of servers) s.close();
      if (cfg.metrics?.socket) rmSync(cfg.metrics.socket, { force: true });
      dp?.stop();
      await closeStore(redis);
    },
  };
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: instance.ts <config.json>');
    process.exit(2);
  }
  const cfg = parseInstanceConfig(readFileSync(file, 'utf8'), file);
  const log = (s: string) => console.log(`${new Date().toISOString()} ${cfg.instanceId}: ${s}`);
  stopOnSignals(await runInstance(cfg, log), log);
}

/** SIGTERM / SIGINT deregister the instance and stop it: its flows go on elsewhere at once. */
export function stopOnSignals(inst: { stop(): Promise<void> }, log: (s: string) => void): void {
  const shutdown = (sig: string) => {
    log(`${sig}: deregistering and stopping`);
    inst.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(`instance: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  });
}
