// The local VIM: a whole VNF on one machine. Instances are NF processes in network namespaces,
// steered by kernel ECMP (or nftables spraying) from two steering namespaces; the store is a
// Redis on a UNIX socket in the run directory. Every step leaves state.json consistent, so a
// failed or interrupted step is still undone by down().
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NfKind, NfTables, StoreConfig } from '../../model/tables.js';
import type { InstanceConfig } from '../../dataplane/instance.js';
import { parseMetrics, sumOf, type Sample } from '../../dataplane/metrics.js';
import { get as httpGet } from 'node:http';
import { closeStore, isCluster, liveInstances, parseStoreUrl, redact, writeTables, purgeVnf, type StoreClient } from '../../store/index.js';
import type { SteeringMode } from './steering/routes.js';
import { pinnedPoolAddress } from './steering/routes.js';
import { connectControl } from '../../store/control-client.js';
import { startUnixRedis, stopPid } from './redis-unix.js';
import { alive, inNs, sleep, spawnInNs, tryRun } from './sh.js';
import { createBase, createInstanceNet, deleteInstanceNet, listNamespaces, names, nsPids, NET, MAX_SLOT, leg } from './topology.js';
import { loadState, readControllerHealth, readSteeringStatus, readSupervisorStatus, runDirFor, saveState, type DeploymentState, type InstanceRecord } from './state.js';
import { instanceLinksUp } from './topology.js';
import { initStoreEpoch } from './steering/epoch-watch.js';
import { startStoreSet, stopStoreNodes, storeHealth, type StoreHealth, type StoreMode } from './store-nodes.js';
import { startRelays } from './store-relay.js';
import { ramcloudPids, ramcloudStore, startRamcloud, startSweeper, type RamcloudSet } from './ramcloud-nodes.js';
import { clientTls, createAccess, loadAccess, nodeAuth, roleAuth, seedFor, writePrivate, type StoreAccess } from './store-access.js';

const ROOT = (() => {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) {
    const up = dirname(d);
    if (up === d) throw new Error('cannot find the project root');
    d = up;
  }
  return d;
})();

export interface UpOptions {
  name: string;
  chain: NfKind[];
  instances: number;
  /** `unix:/path` or `host:port`; absent: start a Redis on a UNIX socket in the run directory. */
  store?: string;
  /**
   * The store this deployment starts when `store` is absent: `single` (default) one Redis on a
   * UNIX socket; `sentinel` a primary, a replica and 3 Sentinels; `cluster` 3 masters + 3
   * replicas (store-nodes.ts). Every one persists.
   */
  storeMode?: StoreMode;
  /** sentinel / cluster: the watchdog that fails a dead primary / master over at once (store-watchdog.ts; default on; off only to measure the store's own failover) */
  storeWatchdog?: boolean;
  /**
   * The store this deployment starts serves TLS only (certificates made at deploy time) and
   * every client checks it against the deployment's CA. Its ACL users are there either way.
   */
  storeTls?: boolean;
  mode?: SteeringMode;
  io?: 'afpacket' | 'af_xdp' | 'dpdk' | 'kernel';
  /** Where flow state lives: `redis` (default), `local` (the coupled baseline) or `ramcloud` (ramcloud-nodes.ts). */
  dataStore?: 'redis' | 'local' | 'ramcloud';
  heartbeat?: { periodMs?: number; ttlMs?: number };
  /** Failure detection thresholds (steering/detector.ts); default 40 missed beats / 3 good ones. */
  detection?: { missToRemove: number; goodToAdd: number };
  /** Run root (default /run/snf or $SNF_RUN_DIR). */
  runRoot?: string;
  tables?: NfTables;
  /**
   * The data plane's per-batch store deadline (default 250 ms): past it a batch's store-dependent
   * packets are dropped. Production uses 100 ms on dedicated cores; a shared 2-core box running
   * client, server, Redis and every instance needs more slack.
   */
  storeTimeoutMs?: number;
  /** Start the echo server (src/demo/traffic/server.ts) in the server namespace (the CLI does). */
  echoServer?: boolean;
}

export type Progress = (msg: string) => void;

/**
 * RAMCloud's per-op bound in the local deployment: its servers share 2 cores with everything
 * else here (and sleep when idle), so a round trip takes longer than Redis's.
 */
const RAMCLOUD_TIMEOUT_MS = 1000;

/** What a heal did, measured, for callers to report (not inferred from a status file). */
export interface HealResult {
  id: string;
  pid: number;
  /** ms from the restart until the instance was in the registry */
  registeredMs: number;
  /** ms from the restart until a live controller steered it */
  steeredMs: number;
}

export function defaultTables(chain: NfKind[]): NfTables {
  const t: NfTables = {};
  if (chain.includes('nat')) t.nat = { insidePrefixes: [NET.client.prefix], pool: [...NET.natPool.addresses] };
  if (chain.includes('firewall')) {
    // Connections opened from the inside pass (with their replies and ICMP errors); nothing
    // opened from the outside does.
    t.firewall = { rules: [{ id: 'inside-out', action: 'allow', direction: 'out' }], defaultAction: 'deny' };
  }
  if (chain.includes('lb')) {
    const backends = NET.backends.map((address, i) => ({ id: `b${i + 1}`, address }));
    t.lb = {
      algorithm: 'wlc',
      vips: [
        { id: 'tcp', address: NET.vip.address, port: 8080, protocol: 'tcp', backends },
        { id: 'udp', address: NET.vip.address, port: 5353, protocol: 'udp', backends },
      ],
    };
  }
  return t;
}

/** A process is in a namespace iff `ip netns exec` put it there; signal our own pids only. */
function signal(pid: number | undefined, sig: NodeJS.Signals): void {
  if (pid && pid > 1) stopPid(pid, sig);
}

async function waitExit(pid: number, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (!alive(pid)) return true;
    await sleep(20);
  }
  return !alive(pid);
}

export class LocalDeployment {
  private redis: StoreClient | undefined;

  private constructor(public state: DeploymentState) {}

  static load(name: string, runRoot?: string): LocalDeployment {
    return new LocalDeployment(loadState(runDirFor(name, runRoot)));
  }

  static async up(o: UpOptions, progress: Progress = () => undefined): Promise<LocalDeployment> {
    if (!Number.isInteger(o.instances) || o.instances < 1 || o.instances > MAX_SLOT) throw new Error(`instances must be 1..${MAX_SLOT}, got ${o.instances}`);
    if (o.store) assertReachableFromNamespaces(o.store);
    const storeMode = o.storeMode ?? 'single';
    if (o.store && storeMode !== 'single') throw new Error(`store mode ${storeMode}: the deployment starts its own store; it cannot be combined with --store`);
    if (o.dataStore === 'local' && storeMode !== 'single') throw new Error(`store mode ${storeMode}: the coupled baseline keeps flow state in the instances; use the default store mode`);
    if (o.storeTls && o.store) throw new Error('store TLS: the deployment makes certificates only for the store it starts; an operator\'s store names its TLS in its URL (rediss://...?ca=), not with --store-tls');
    if (o.storeTls && o.dataStore === 'local') throw new Error('store TLS: the coupled baseline keeps flow state inside the instances; there is no data-plane store traffic to protect');
    if (o.dataStore === 'ramcloud') {
      if (o.store) throw new Error('store ramcloud: the deployment starts its own RAMCloud (flow state) and Redis (control); it cannot be combined with an operator\'s --store');
      if (storeMode !== 'single') throw new Error(`store mode ${storeMode}: RAMCloud replaces the Redis flow store; its control Redis is a single node`);
      if (o.storeTls) throw new Error('store TLS: RAMCloud\'s transports carry no TLS; run it on a private network (docs/ramcloud.md)');
    }
    const runDir = runDirFor(o.name, o.runRoot);
    if (existsSync(join(runDir, 'state.json'))) throw new Error(`deployment '${o.name}' already exists (${runDir}); 'snf down --name ${o.name}' first`);
    const existing = await listNamespaces(o.name);
    if (existing.length) throw new Error(`namespaces of '${o.name}' already exist (${existing.join(', ')}); remove them or pick another --name`);
    mkdirSync(runDir, { recursive: true });
    const state: DeploymentState = {
      version: 1,
      name: o.name,
      runDir,
      vnf: o.name,
      chain: o.chain,
      mode: o.mode ?? 'hash',
      io: o.io ?? 'afpacket',
      dataStore: o.dataStore ?? 'redis',
      store: { seed: o.store ?? '', mode: storeMode },
      heartbeat: { periodMs: o.heartbeat?.periodMs ?? 50, ttlMs: o.heartbeat?.ttlMs ?? 150 },
      ...(o.detection ? { detection: o.detection } : {}),
      storeTimeoutMs: o.storeTimeoutMs ?? 250,
      namespaces: [],
      instances: [],
      createdAt: Date.now(),
    };
    const d = new LocalDeployment(state);
    saveState(state);
    try {
      // The store this deployment starts has users per role from its first second; an
      // operator's store brings its own (its URL carries them).
      const access = o.store ? undefined : createAccess(runDir, state.vnf, { tls: o.storeTls === true, admin: storeMode !== 'single', sentinel: storeMode === 'sentinel' });
      if (storeMode !== 'single' || access?.tls) {
        progress(storeMode === 'sentinel' ? 'starting the store: a primary, a replica and 3 Sentinels' : storeMode === 'cluster' ? 'starting the store: a Redis Cluster of 3 masters + 3 replicas' : 'starting the store: one redis-server');
        state.store.nodes = [];
        const set = await startStoreSet(runDir, storeMode, access!, state.vnf, (n) => {
          // recorded as each starts, so down() stops it even if the next step fails
          if (!state.store.nodes!.includes(n)) state.store.nodes!.push(n);
          saveState(state);
        });
        state.store = { ...state.store, seed: set.seed, engineNodes: set.engineNodes, nodes: set.nodes, ...(storeMode === 'cluster' ? { cluster: true } : {}) };
        saveState(state);
        if (o.storeWatchdog !== false && storeMode !== 'single') {
          progress('starting the store watchdog (fails a dead primary over at once)');
          d.startStoreWatchdog();
        }
      } else if (!o.store) {
        progress('starting redis-server on a UNIX socket');
        const r = await startUnixRedis(runDir, access!, state.vnf);
        state.store = { seed: `unix:${r.socket}`, redisPid: r.pid };
        saveState(state);
      }
      if (state.dataStore === 'ramcloud') {
        progress('starting RAMCloud: a coordinator and a master (flow state)');
        await d.startRamcloud();
      }
      const redis = await d.client();
      // An operator's Redis Cluster: the engines must be told, or every flow key hits MOVED.
      state.store.cluster = isCluster(redis);
      saveState(state);
      progress('writing control tables');
      const tables = o.tables ?? defaultTables(o.chain);
      const generation = await writeTables(redis, state.vnf, tables);
      // the tables' source for a restore after the store loses its data, and the first epoch
      await initStoreEpoch(redis, state.vnf, runDir, tables, generation);
      const n = names(o.name);
      state.namespaces = [n.client, n.server, n.steerIn, n.steerOut];
      saveState(state);
      await createBase(o.name, (s) => progress(`creating ${s}`));
      progress('starting the steering controller');
      await d.startController();
      await d.doScaleOut(o.instances, progress);
      if (o.echoServer) {
        progress('starting the echo server in the server namespace');
        await d.startEchoServer();
      }
      return d;
    } catch (e) {
      progress(`failed: ${(e as Error).message}; cleaning up`);
      await d.down(() => undefined).catch(() => undefined);
      throw e;
    }
  }

  /**
   * One mutating operation at a time per deployment, across processes (the CLI, a VNF manager,
   * tests): a lock directory in the run dir, and the state re-read under it, so no operation
   * works from (and then writes back) a stale copy. A lock whose holder died is taken over.
   */
  private async locked<T>(fn: () => Promise<T>): Promise<T> {
    const dir = join(this.state.runDir, 'lock');
    const end = Date.now() + 120_000;
    for (;;) {
      try {
        mkdirSync(dir);
        writeFileSync(join(dir, 'pid'), String(process.pid));
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
        let holder = 0;
        try {
          holder = Number(readFileSync(join(dir, 'pid'), 'utf8'));
        } catch {
          /* being written: wait */
        }
        if (holder && !alive(holder)) rmSync(dir, { recursive: true, force: true });
        else if (Date.now() > end) throw new Error(`deployment '${this.state.name}' is busy (another operation holds ${dir})`);
        else await sleep(50);
      }
    }
    try {
      if (existsSync(join(this.state.runDir, 'state.json'))) this.state = loadState(this.state.runDir);
      return await fn();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  private async client(): Promise<StoreClient> {
    if (this.redis) return this.redis;
    const a = this.access();
    this.redis = await connectControl(seedFor(this.state.store.seed, a), 'snf-vim', 3000, undefined, roleAuth(a, 'control'));
    return this.redis;
  }

  /** The credentials of the store this deployment started (none for an operator's store). */
  access(): StoreAccess | undefined {
    return loadAccess(this.state.runDir);
  }

  /** Closes this handle's store connection; the deployment keeps running. */
  async close(): Promise<void> {
    if (this.redis) await closeStore(this.redis);
    this.redis = undefined;
  }

  private save(): void {
    saveState(this.state);
  }

  /** Starts the steering supervisor, which runs the controller and its warm standby. */
  private async startController(): Promise<void> {
    const logFile = join(this.state.runDir, 'steering.out');
    const fd = openSync(logFile, 'a');
    try {
      const { pid } = spawnInNs(undefined, [process.execPath, '--import', 'tsx', join(ROOT, 'src/vim/local/steering/supervisor.ts'), this.state.runDir], fd, ROOT);
      this.state.controllerPid = pid;
      this.save();
    } finally {
      closeSync(fd);
    }
    const end = Date.now() + 30_000;
    while (!readSteeringStatus(this.state.runDir)) {
      if (!alive(this.state.controllerPid)) throw new Error(`steering supervisor exited: ${tail(logFile)}`);
      if (Date.now() > end) throw new Error(`steering controller not ready within 30 s: ${tail(logFile) || '(steering.out is empty)'} ${tail(join(this.state.runDir, 'steering.log'))}`);
      await sleep(30);
    }
  }

  /**
   * Why the steering cannot be trusted right now, or undefined when it can: the supervisor and
   * the active controller run, and the controller reconciled since `since` (ms).
   */
  controllerProblem(since = 0): string | undefined {
    const sup = readSupervisorStatus(this.state.runDir);
    // the supervisor may have been restarted by the controller: controller.json has its pid
    const supPid = sup?.pid ?? this.state.controllerPid;
    if (!supPid || !alive(supPid)) return `steering supervisor (pid ${supPid ?? '-'}) is not running`;
    if (!sup || !alive(sup.activePid)) return `steering controller (pid ${sup?.activePid ?? '-'}) is not running`;
    const h = readControllerHealth(this.state.runDir);
    if (!h || h.pid !== sup.activePid) return `steering controller pid ${sup.activePid} has not reconciled yet`;
    if (h.reconciledAt < since) return `steering controller pid ${h.pid} last reconciled ${Date.now() - h.reconciledAt} ms ago`;
    return undefined;
  }

  /**
   * TCP/UDP echo on the server address (7000/7001) and every LB backend (8080/5353). Resolves
   * once it listens: on a loaded machine Node takes seconds to start, and a client started
   * earlier would see its connections refused.
   */
  async startEchoServer(): Promise<void> {
    const logFile = join(this.state.runDir, 'echo-server.log');
    const before = existsSync(logFile) ? readFileSync(logFile, 'utf8').length : 0;
    const fd = openSync(logFile, 'a');
    try {
      const tcp = [`${NET.server.host}:7000`, ...NET.backends.map((b) => `${b}:8080`)].join(',');
      const udp = [`${NET.server.host}:7001`, ...NET.backends.map((b) => `${b}:5353`)].join(',');
      const { pid } = spawnInNs(names(this.state.name).server, [process.execPath, '--import', 'tsx', join(ROOT, 'src/demo/traffic/server.ts'), '--tcp', tcp, '--udp', udp], fd, ROOT);
      this.state.echoServerPid = pid;
      this.save();
    } finally {
      closeSync(fd);
    }
    const end = Date.now() + 30_000;
    while (!readFileSync(logFile, 'utf8').slice(before).includes('"event":"listening"')) {
      if (!alive(this.state.echoServerPid)) throw new Error(`echo server exited: ${tail(logFile)}`);
      if (Date.now() > end) throw new Error(`echo server not listening within 30 s: ${tail(logFile)}`);
      await sleep(30);
    }
  }

  private freeSlots(n: number): number[] {
    const used = new Set(this.state.instances.map((i) => i.slot));
    const out: number[] = [];
    for (let s = 1; s <= MAX_SLOT && out.length < n; s++) if (!used.has(s)) out.push(s);
    if (out.length < n) throw new Error(`no free instance slot (at most ${MAX_SLOT} instances)`);
    return out;
  }

  private instanceConfig(rec: InstanceRecord): InstanceConfig {
    const s = this.state;
    const lin = leg(s.chain, rec.slot, 'in');
    const lout = leg(s.chain, rec.slot, 'out');
    // The instance's inside port is whichever leg faces the NF's inside.
    const [inside, outside] = lin.instIf === 'inside' ? [lin, lout] : [lout, lin];
    const a = this.access();
    const tls = clientTls(a);
    // instances log in as the data-plane user, on their data and control connections alike
    const login = a ? { user: a.dataplane.user, password: a.dataplane.password } : undefined;
    const nodes = (s.store.engineNodes ?? [s.store.seed]).map((n) => seedFor(n, a));
    const store: StoreConfig =
      s.dataStore === 'local'
        ? { kind: 'local' }
        : s.dataStore === 'ramcloud' && s.store.ramcloud
          ? ramcloudStore(s.store.ramcloud, Math.max(s.storeTimeoutMs ?? 250, RAMCLOUD_TIMEOUT_MS))
          : { kind: 'redis', nodes, timeoutMs: s.storeTimeoutMs ?? 250, ...(s.store.cluster ? { cluster: true } : {}), ...(login ?? {}), ...(tls ? { tls } : {}) };
    return {
      vnf: s.vnf,
      instanceId: rec.id,
      chain: s.chain,
      control: seedFor(s.store.seed, a),
      ...(login ? { controlAuth: login } : {}),
      store,
      io:
        s.io === 'kernel'
          ? { kind: 'kernel' }
          : { kind: s.io, inside: { iface: 'inside', peerMac: inside.steerMac }, outside: { iface: 'outside', peerMac: outside.steerMac } },
      heartbeat: s.heartbeat,
      metrics: { port: rec.metricsPort, socket: rec.metricsSocket },
      addr: rec.ns,
      ...(s.dataStore === 'local' && s.chain.includes('nat')
        ? { tablesOverride: { nat: { insidePrefixes: [NET.client.prefix], pool: [pinnedPoolAddress(rec.slot)] } } }
        : {}),
    };
  }

  private async startRamcloud(): Promise<void> {
    const s = this.state;
    const set: RamcloudSet = { coordinator: '', clusterName: '', nodes: [] };
    s.store.ramcloud = set;
    const started = await startRamcloud(s.runDir, s.vnf, (n) => {
      // recorded as each starts, so down() stops it even if the next step fails
      if (!set.nodes.includes(n)) set.nodes.push(n);
      this.save();
    });
    Object.assign(set, started);
    set.sweeperPid = startSweeper(s.runDir, ramcloudStore(set, RAMCLOUD_TIMEOUT_MS));
    this.save();
  }

  private startStoreWatchdog(): void {
    const fd = openSync(join(this.state.runDir, 'store-watchdog.out'), 'a');
    try {
      this.state.store.watchdogPid = spawnInNs(undefined, [process.execPath, '--import', 'tsx', join(ROOT, 'src/vim/local/store-watchdog.ts'), this.state.runDir], fd, ROOT).pid;
      this.save();
    } finally {
      closeSync(fd);
    }
  }

  /** The TCP store nodes on the instance namespace's own loopback (store-relay.ts). */
  private async storeRelays(ns: string): Promise<void> {
    const nodes = [...(this.state.store.nodes ?? []), ...(this.state.store.ramcloud?.nodes ?? [])];
    if (nodes.length === 0) return;
    startRelays(ns, nodes, this.state.runDir);
    const end = Date.now() + 10_000;
    for (;;) {
      const listening = await inNs(ns, ['ss', '-Hltn']);
      if (nodes.every((n) => listening.includes(`127.0.0.1:${n.port} `))) return;
      if (Date.now() > end) throw new Error(`store relays in ${ns} not listening within 10 s (see ${join(this.state.runDir, `${ns}.relays.log`)})`);
      await sleep(20);
    }
  }

  /** The store's mode and health (`snf status`). */
  async storeHealth(): Promise<StoreHealth> {
    return storeHealth(this.state.store.mode ?? 'single', this.state.store.nodes ?? [], this.state.store.redisPid, nodeAuth(this.access()));
  }

  private spawnInstance(rec: InstanceRecord): void {
    // it holds the data-plane user's password: root only
    writePrivate(rec.configFile, JSON.stringify(this.instanceConfig(rec), null, 2));
    const fd = openSync(rec.logFile, 'a');
    try {
      rec.pid = spawnInNs(rec.ns, [process.execPath, '--import', 'tsx', join(ROOT, 'src/dataplane/instance.ts'), rec.configFile], fd, ROOT).pid;
    } finally {
      closeSync(fd);
    }
  }

  /** Waits until every id is in the registry (it registers once its data plane runs). */
  private async waitRegistered(recs: InstanceRecord[], timeoutMs = 30_000): Promise<void> {
    const redis = await this.client();
    const end = Date.now() + timeoutMs;
    for (;;) {
      const live = new Set((await liveInstances(redis, this.state.vnf)).map((i) => i.id));
      if (recs.every((r) => live.has(r.id))) return;
      for (const r of recs) if (!alive(r.pid)) throw new Error(`instance ${r.id} exited before registering: ${tail(r.logFile)}`);
      if (Date.now() > end) throw new Error(`instances not registered within ${timeoutMs} ms: ${recs.filter((r) => !live.has(r.id)).map((r) => r.id).join(', ')}`);
      await sleep(25);
    }
  }

  /**
   * Waits until the steering controller has programmed `pred`, as seen by a controller that
   * reconciled after this call began: steering.json alone may be a dead controller's last word.
   */
  async waitSteered(pred: (ids: Set<string>) => boolean, timeoutMs = 10_000): Promise<void> {
    const t0 = Date.now();
    const end = t0 + timeoutMs;
    for (;;) {
      const st = readSteeringStatus(this.state.runDir);
      const problem = this.controllerProblem(t0);
      if (!problem && st && pred(new Set(st.ids))) return;
      if (Date.now() > end) throw new Error(`steering did not converge within ${timeoutMs} ms (steered: ${st?.ids.join(', ') ?? 'nothing'}${problem ? `; ${problem}` : ''})`);
      await sleep(15);
    }
  }

  /** create -> wait until registered -> steered. Returns the new instance ids. */
  async scaleOut(n: number, progress: Progress = () => undefined): Promise<string[]> {
    return this.locked(() => this.doScaleOut(n, progress));
  }

  private async doScaleOut(n: number, progress: Progress): Promise<string[]> {
    if (!Number.isInteger(n) || n < 1) throw new Error(`scale out: count must be a positive integer, got ${n}`);
    const slots = this.freeSlots(n);
    const recs: InstanceRecord[] = [];
    try {
      for (const slot of slots) {
        const id = `i${slot}`;
        const ns = names(this.state.name).instance(slot);
        const rec: InstanceRecord = {
          id,
          slot,
          ns,
          pid: 0,
          configFile: join(this.state.runDir, `${id}.json`),
          logFile: join(this.state.runDir, `${id}.log`),
          metricsSocket: join(this.state.runDir, `${id}.metrics.sock`),
          metricsPort: 9100,
          steer: true,
          createdAt: Date.now(),
        };
        // Recorded before anything is created, so down() finds it even if the next step fails.
        this.state.instances.push(rec);
        this.state.namespaces.push(ns);
        recs.push(rec);
        this.save();
        progress(`creating ${id}: namespace ${ns}, legs to both steering namespaces`);
        await createInstanceNet(this.state.name, this.state.chain, slot, this.state.io === 'kernel');
        await this.storeRelays(ns);
        this.spawnInstance(rec);
        this.save();
      }
      progress(`waiting for ${recs.map((r) => r.id).join(', ')} to register`);
      await this.waitRegistered(recs);
      progress('waiting for the steering controller to add them');
      await this.waitSteered((ids) => recs.every((r) => ids.has(r.id)));
    } catch (e) {
      // Nothing stays running unsteered: a failed scale out removes what it created.
      progress(`scale out failed: ${(e as Error).message}; removing ${recs.map((r) => r.id).join(', ')}`);
      for (const r of recs) r.steer = false;
      this.save();
      for (const r of recs) await this.removeInstance(r).catch(() => undefined);
      throw e;
    }
    return recs.map((r) => r.id);
  }

  /**
   * unsteer -> wait one in-flight window -> stop. No state to drain: what was in flight on the
   * instance is forwarded within the window, everything after it goes to the others.
   */
  async scaleIn(n: number, progress: Progress = () => undefined, inFlightMs = 100): Promise<string[]> {
    return this.locked(() => this.doScaleIn(n, progress, inFlightMs));
  }

  private async doScaleIn(n: number, progress: Progress, inFlightMs: number): Promise<string[]> {
    const running = this.state.instances.filter((i) => i.steer);
    if (!Number.isInteger(n) || n < 1) throw new Error(`scale in: count must be a positive integer, got ${n}`);
    if (n >= running.length) throw new Error(`scale in: cannot remove ${n} of ${running.length} instances (at least one must stay)`);
    const victims = [...running].sort((a, b) => b.slot - a.slot).slice(0, n);
    for (const v of victims) v.steer = false;
    this.save();
    progress(`removing ${victims.map((v) => v.id).join(', ')} from steering`);
    await this.waitSteered((ids) => victims.every((v) => !ids.has(v.id)));
    await sleep(inFlightMs);
    for (const v of victims) {
      progress(`stopping ${v.id}`);
      await this.removeInstance(v);
    }
    return victims.map((v) => v.id);
  }

  private async removeInstance(rec: InstanceRecord): Promise<void> {
    signal(rec.pid, 'SIGTERM');
    if (!(await waitExit(rec.pid, 3000))) signal(rec.pid, 'SIGKILL');
    for (const pid of await nsPids(rec.ns)) signal(pid, 'SIGKILL');
    await deleteInstanceNet(this.state.name, rec.slot);
    for (const f of [rec.configFile, rec.metricsSocket]) rmSync(f, { force: true });
    this.state.instances = this.state.instances.filter((i) => i !== rec);
    this.state.namespaces = this.state.namespaces.filter((n) => n !== rec.ns);
    this.save();
  }

  /**
   * Operate VNF, stop: every instance leaves steering first (GRACEFUL: then up to `graceMs` for
   * what is in flight; FORCEFUL: at once), then its process is stopped. Namespaces, links and
   * the VNF's state stay, so start() brings the same instances back. No-op for stopped ones.
   */
  async stop(progress: Progress = () => undefined, graceMs = 0): Promise<string[]> {
    return this.locked(async () => {
      const running = this.state.instances.filter((i) => !i.stopped);
      if (!running.length) return [];
      for (const r of running) r.steer = false;
      this.save();
      progress(`removing ${running.map((r) => r.id).join(', ')} from steering`);
      await this.waitSteered((ids) => running.every((r) => !ids.has(r.id)));
      if (graceMs > 0) await sleep(graceMs);
      for (const r of running) {
        progress(`stopping ${r.id} (pid ${r.pid})`);
        signal(r.pid, 'SIGTERM');
        if (!(await waitExit(r.pid, 3000))) signal(r.pid, 'SIGKILL');
        r.stopped = true;
        this.save();
      }
      return running.map((r) => r.id);
    });
  }

  /** Operate VNF, start: each stopped instance runs again, registers and is steered. */
  async start(progress: Progress = () => undefined): Promise<string[]> {
    return this.locked(async () => {
      const stopped = this.state.instances.filter((i) => i.stopped);
      for (const r of stopped) {
        progress(`starting ${r.id} in ${r.ns}`);
        if (!alive(r.pid)) this.spawnInstance(r);
        r.steer = true;
        delete r.stopped;
        this.save();
      }
      if (!stopped.length) return [];
      await this.waitRegistered(stopped);
      for (const r of stopped) await instanceLinksUp(this.state.name, this.state.chain, r.slot);
      progress(`waiting for the steering controller to add ${stopped.map((r) => r.id).join(', ')}`);
      await this.waitSteered((ids) => stopped.every((r) => ids.has(r.id)));
      return stopped.map((r) => r.id);
    });
  }

  /** kill -9 (for tests and demos): no deregistration; the heartbeat TTL tells steering. */
  kill(id: string, sig: NodeJS.Signals = 'SIGKILL'): InstanceRecord {
    const rec = this.instance(id);
    signal(rec.pid, sig);
    return rec;
  }

  /** Restarts a dead instance's process in its namespace; steering re-adds it once it heartbeats. */
  async heal(id: string, progress: Progress = () => undefined, opts: { replace?: boolean } = {}): Promise<HealResult> {
    return this.locked(() => this.doHeal(id, progress, opts));
  }

  private async doHeal(id: string, progress: Progress, opts: { replace?: boolean }): Promise<HealResult> {
    const rec = this.instance(id);
    if (alive(rec.pid) && opts.replace) {
      // a hung instance is replaced: killing it loses nothing
      progress(`killing ${id} (pid ${rec.pid})`);
      signal(rec.pid, 'SIGKILL');
      if (!(await waitExit(rec.pid, 5000))) throw new Error(`instance ${id} (pid ${rec.pid}) did not exit after SIGKILL`);
    }
    if (alive(rec.pid)) throw new Error(`instance ${id} is running (pid ${rec.pid})`);
    const t0 = Date.now();
    progress(`restarting ${id} in ${rec.ns}`);
    this.spawnInstance(rec);
    rec.steer = true;
    this.save();
    await this.waitRegistered([rec]);
    // Its links were taken down when it died (supervisor.ts); they come up only now that it
    // forwards: the kernel's ECMP may still list it (a controller that is down did not remove
    // it), and an instance still starting would blackhole the flows hashed to it.
    await instanceLinksUp(this.state.name, this.state.chain, rec.slot);
    const registeredMs = Date.now() - t0;
    progress(`${id} (pid ${rec.pid}) registered after ${registeredMs} ms`);
    await this.waitSteered((ids) => ids.has(id));
    return { id, pid: rec.pid, registeredMs, steeredMs: Date.now() - t0 };
  }

  /** One instance's metrics as Prometheus would scrape them (over its UNIX socket). */
  async scrape(id: string): Promise<Sample[]> {
    const rec = this.instance(id);
    const text = await new Promise<string>((resolve, reject) => {
      const req = httpGet({ socketPath: rec.metricsSocket, path: '/metrics', timeout: 2000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(body) : reject(new Error(`${id} metrics: HTTP ${res.statusCode}: ${body}`))));
      });
      req.on('timeout', () => req.destroy(new Error(`${id} metrics: timeout`)));
      req.on('error', reject);
    });
    return parseMetrics(text);
  }

  /** Sum of one metric's samples for one instance. */
  async metric(id: string, name: string, labels: Record<string, string> = {}): Promise<number> {
    return sumOf(await this.scrape(id), name, labels);
  }

  instance(id: string): InstanceRecord {
    const rec = this.state.instances.find((i) => i.id === id);
    if (!rec) throw new Error(`no instance '${id}' (have: ${this.state.instances.map((i) => i.id).join(', ') || 'none'})`);
    return rec;
  }

  /** Deletes the VNF's keys (flows, tables, registry) from the store. */
  async purge(): Promise<void> {
    await purgeVnf(await this.client(), this.state.vnf);
  }

  /** The control-plane connection (registry, tables, flow inspection). */
  store(): Promise<StoreClient> {
    return this.client();
  }

  /** Everything by pid and by name: processes, namespaces (and so every veth), Redis, run dir. */
  async down(progress: Progress = () => undefined): Promise<void> {
    const s = this.state;
    await this.close().catch(() => undefined);
    progress('stopping the steering controller');
    const sup = readSupervisorStatus(s.runDir);
    signal(s.controllerPid, 'SIGTERM');
    if (s.controllerPid && !(await waitExit(s.controllerPid, 2000))) signal(s.controllerPid, 'SIGKILL');
    // the supervisor stops its controllers; these are for a supervisor that was already dead
    // (or one the controller restarted)
    for (const pid of [sup?.pid, sup?.activePid, sup?.standbyPid]) {
      if (!pid || !alive(pid)) continue;
      signal(pid, 'SIGTERM');
      if (!(await waitExit(pid, 2000))) signal(pid, 'SIGKILL');
    }
    signal(s.echoServerPid, 'SIGKILL');
    progress(`stopping ${s.instances.length} instances`);
    for (const i of s.instances) signal(i.pid, 'SIGKILL');
    const all = new Set([...s.namespaces, ...(await listNamespaces(s.name))]);
    for (const ns of all) for (const pid of await nsPids(ns)) signal(pid, 'SIGKILL');
    for (const i of s.instances) await waitExit(i.pid, 2000);
    progress(`deleting ${all.size} namespaces`);
    for (const ns of all) await tryRun(['ip', 'netns', 'del', ns]);
    if (s.store.redisPid) {
      progress('stopping redis-server');
      signal(s.store.redisPid, 'SIGTERM');
      if (!(await waitExit(s.store.redisPid, 2000))) signal(s.store.redisPid, 'SIGKILL');
    }
    // first, or it would promote replicas of the masters being stopped
    signal(s.store.watchdogPid, 'SIGKILL');
    if (s.store.nodes?.length) {
      progress(`stopping the store's ${s.store.nodes.length} redis-server processes`);
      stopStoreNodes(s.store.nodes, 'SIGTERM');
      for (const n of s.store.nodes) if (!(await waitExit(n.pid, 2000))) signal(n.pid, 'SIGKILL');
    }
    if (s.store.ramcloud) {
      const rc = s.store.ramcloud;
      progress(`stopping RAMCloud: the sweeper, ${rc.nodes.length} servers and their relays`);
      // the sweeper first and gently (it logs its totals); the servers keep nothing worth a
      // clean shutdown here (one master, no replicas) and take seconds over SIGTERM
      if (rc.sweeperPid) {
        signal(rc.sweeperPid, 'SIGTERM');
        if (!(await waitExit(rc.sweeperPid, 2000))) signal(rc.sweeperPid, 'SIGKILL');
      }
      const pids = ramcloudPids(rc);
      for (const pid of pids) signal(pid, 'SIGKILL');
      for (const pid of pids) await waitExit(pid, 2000);
    }
    rmSync(s.runDir, { recursive: true, force: true });
  }
}

/**
 * Instances run in their own network namespaces, each with its own loopback: a store on the
 * host's 127.0.0.1 answers the controller (root namespace) but never an instance, which used to
 * surface as a timeout far from its cause. Refused up front, before anything is created.
 */
function assertReachableFromNamespaces(store: string): void {
  const t = parseStoreUrl(store);
  const loopback = t.seeds.filter((s) => /^127\./.test(s.host) || s.host === '::1' || s.host === 'localhost');
  if (loopback.length > 0)
    throw new Error(
      `--store ${JSON.stringify(redact(store))}: ${loopback[0].host} is the loopback of each network namespace, so the instances cannot reach it; ` +
        'give an address routed to the instance namespaces, a unix:/path socket, or no --store (a Redis on a UNIX socket is started)',
    );
}

function tail(file: string, lines = 5): string {
  try {
    const text = readFileSync(file, 'utf8').trim();
    // An empty reason ("not ready within 15 s:") told the operator nothing.
    return text === '' ? `(${file} is empty: the process wrote nothing yet; is the store reachable?)` : text.split('\n').slice(-lines).join(' | ');
  } catch {
    return `(no log at ${file})`;
  }
}
