// The local deployment's state on disk (<run root>/<name>/state.json), so `snf status`, `scale`,
// `kill` and `down` find what `snf up` built. Written whole, atomically (write + rename); the
// steering process only reads it.
import { mkdirSync, readFileSync, renameSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { NfKind } from '../../model/tables.js';
import type { SteeringMode } from './steering/routes.js';
import type { StoreMode, StoreNode } from './store-nodes.js';
import type { RamcloudSet } from './ramcloud-nodes.js';

export interface InstanceRecord {
  id: string;
  slot: number;
  ns: string;
  pid: number;
  configFile: string;
  logFile: string;
  metricsSocket: string;
  metricsPort: number;
  /** false while being scaled in or stopped: the steering controller leaves it out. */
  steer: boolean;
  /** stopped by an Operate VNF (its namespace and links stay; start spawns it again) */
  stopped?: boolean;
  createdAt: number;
}

export interface DeploymentState {
  version: 1;
  name: string;
  runDir: string;
  /** VNF name in the store (keys `snf:<vnf>:...`). */
  vnf: string;
  chain: NfKind[];
  mode: SteeringMode;
  /** `kernel`: the test-only stand-in where instance namespaces forward by kernel. */
  io: 'afpacket' | 'af_xdp' | 'dpdk' | 'kernel';
  /** `local`: the coupled baseline (flow state inside each instance); `ramcloud`: flow state in RAMCloud (ramcloud-nodes.ts), control on Redis. */
  dataStore: 'redis' | 'local' | 'ramcloud';
  /** `cluster`: the seed answered as a Redis Cluster node at `up` (the instances' engines then follow the slot map). */
  store: {
    seed: string;
    redisPid?: number;
    cluster?: boolean;
    /** absent in older state files: `single` */
    mode?: StoreMode;
    /** sentinel / cluster: the data plane's seed list (default [seed]) */
    engineNodes?: string[];
    /** sentinel / cluster: every redis-server the deployment started (store-nodes.ts) */
    nodes?: StoreNode[];
    /** sentinel / cluster: the store watchdog (store-watchdog.ts) */
    watchdogPid?: number;
    /** dataStore ramcloud: its coordinator, master, relays and sweeper */
    ramcloud?: RamcloudSet;
  };
  heartbeat: { periodMs: number; ttlMs: number };
  /** the data plane's per-batch store deadline */
  storeTimeoutMs?: number;
  /** The steering supervisor (it runs the controller and a warm standby: supervisor.ts). */
  controllerPid?: number;
  /** Failure detection thresholds (detector.ts); absent: its defaults. */
  detection?: { missToRemove: number; goodToAdd: number };
  echoServerPid?: number;
  namespaces: string[];
  instances: InstanceRecord[];
  createdAt: number;
}

export const NAME_RE = /^[a-z][a-z0-9]{0,11}$/;

export function runRoot(): string {
  return process.env.SNF_RUN_DIR ?? '/run/snf';
}

export function runDirFor(name: string, root = runRoot()): string {
  if (!NAME_RE.test(name)) throw new Error(`deployment name must match ${NAME_RE.source} (it prefixes namespace names), got ${JSON.stringify(name)}`);
  return join(root, name);
}

export function statePath(runDir: string): string {
  return join(runDir, 'state.json');
}

export function saveState(s: DeploymentState): void {
  mkdirSync(s.runDir, { recursive: true });
  const tmp = `${statePath(s.runDir)}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(s, null, 2) + '\n');
  renameSync(tmp, statePath(s.runDir));
}

export function loadState(runDir: string): DeploymentState {
  const p = statePath(runDir);
  if (!existsSync(p)) throw new Error(`no local deployment at ${runDir} (run 'snf up' first)`);
  const s = JSON.parse(readFileSync(p, 'utf8')) as DeploymentState;
  if (s.version !== 1) throw new Error(`${p}: unknown state version ${String(s.version)}`);
  return s;
}

/** What the steering process last programmed (written by it, read by the VIM). */
export interface SteeringStatus {
  ids: string[];
  slots: number[];
  at: number;
  seq: number;
}

export function steeringStatusPath(runDir: string): string {
  return join(runDir, 'steering.json');
}

export function readSteeringStatus(runDir: string): SteeringStatus | undefined {
  try {
    return JSON.parse(readFileSync(steeringStatusPath(runDir), 'utf8')) as SteeringStatus;
  } catch {
    return undefined;
  }
}

export function controllerHealthPath(runDir: string): string {
  return join(runDir, 'controller-health.json');
}

export function supervisorStatusPath(runDir: string): string {
  return join(runDir, 'controller.json');
}

/** When the active steering controller last reconciled (written by it every 200 ms at most). */
export interface ControllerHealth {
  pid: number;
  reconciledAt: number;
}

/** What the supervisor knows (written by it on every change). */
export interface SupervisorStatus {
  pid: number;
  activePid: number;
  standbyPid: number;
  /** times the active controller died and was replaced */
  restarts: number;
  lastRestartAt?: number;
  lastExit?: string;
  /** instances whose links the supervisor took down because their process died */
  downed: string[];
  startedAt: number;
  /** set when the supervisor is being stopped: the controller must not restart it */
  stopping?: boolean;
}

function readJson<T>(p: string): T | undefined {
  try {
    return JSON.parse(readFileSync(p, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export function readControllerHealth(runDir: string): ControllerHealth | undefined {
  return readJson<ControllerHealth>(controllerHealthPath(runDir));
}

export function readSupervisorStatus(runDir: string): SupervisorStatus | undefined {
  return readJson<SupervisorStatus>(supervisorStatusPath(runDir));
}

export function writeJsonAtomic(p: string, v: unknown): void {
  const tmp = `${p}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(v));
  renameSync(tmp, p);
}

/** Exists while standby controller `pid` is loaded, connected and waiting for SIGUSR2. */
export function standbyReadyPath(runDir: string, pid: number): string {
  return join(runDir, `standby-${pid}.ready`);
}
