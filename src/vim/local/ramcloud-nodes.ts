// The local deployment's RAMCloud (`snf up --store ramcloud`): one coordinator and one master
// on 127.0.0.1 over TCP, from the build `scripts/setup.sh --ramcloud` made, and the sweeper that
// expires flow state (RAMCloud has no TTLs). Flow state only: the control plane (tables,
// registry, heartbeats) stays on the deployment's Redis.
//
// The instances reach the servers the way they reach a Redis node (store-relay.ts): in each
// instance namespace 127.0.0.1:<port> is a relay onto a UNIX socket in the run directory, and
// here each socket is a relay onto the server's TCP port. So the locators the coordinator hands
// out (tcp:host=127.0.0.1,port=P) are right in every namespace. Processes are detached (they
// outlive `snf up`) and stopped by pid.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { findRamcloudBuild } from '../../ramcloud/install.js';
import { coordinatorArgs, ENLISTED_RE, serverArgs, SHARED_CORES_ENV } from '../../ramcloud/args.js';
import type { RamcloudStoreConfig } from '../../ramcloud/plugin-config.js';
import { alive, sleep } from './sh.js';
import { spawnDetached, startTlsRelay } from './store-nodes.js';
import { privateDir } from './store-access.js';
import { accepts, freePort } from '../../util/ports.js';

export interface RamcloudNode {
  role: 'coordinator' | 'master';
  port: number;
  /** the root namespace's relay socket onto `port` (the instance namespaces' relays connect here) */
  socket: string;
  pid: number;
  relayPid: number;
  logFile: string;
}

export interface RamcloudSet {
  coordinator: string;
  clusterName: string;
  nodes: RamcloudNode[];
  sweeperPid?: number;
}

const ROOT = join(import.meta.dirname, '..', '..', '..');



function logTail(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-3).join(' | ');
  } catch {
    return `(no log at ${file})`;
  }
}

async function until(what: string, node: { pid: number; logFile: string }, ms: number, check: () => Promise<boolean> | boolean): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (!alive(node.pid)) throw new Error(`ramcloud: ${what}: pid ${node.pid} exited: ${logTail(node.logFile)}`);
    if (Date.now() > end) throw new Error(`ramcloud: ${what} not within ${ms} ms: ${logTail(node.logFile)}`);
    await sleep(100);
  }
}

/**
 * Starts the coordinator, a master and their relays under <runDir>/ramcloud; each node is
 * reported through onNode as soon as it runs, so a failure later leaves nothing unstopped.
 */
export async function startRamcloud(runDir: string, vnf: string, onNode: (n: RamcloudNode) => void): Promise<RamcloudSet> {
  const build = findRamcloudBuild();
  const dir = privateDir(join(runDir, 'ramcloud'));
  const clusterName = `snf-${vnf}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 64);
  const env = { ...process.env, ...SHARED_CORES_ENV };
  const start = async (role: RamcloudNode['role'], bin: string, args: (port: number) => string[]): Promise<RamcloudNode> => {
    const port = await freePort();
    const logFile = join(dir, `${role}.log`);
    // cwd: a stray .ramcloud options file where snf was started must not be read
    const pid = spawnDetached(bin, [...args(port), '--logFile', logFile], join(dir, `${role}.out`), { env, cwd: dir });
    const socket = join(dir, `${role}.sock`);
    const node: RamcloudNode = { role, port, socket, pid, relayPid: 0, logFile };
    onNode(node);
    node.relayPid = startTlsRelay(socket, port, join(dir, 'relay.log'));
    onNode(node);
    return node;
  };
  const coord = await start('coordinator', build.coordinatorBin, (p) => coordinatorArgs(`tcp:host=127.0.0.1,port=${p}`, clusterName, 2));
  const coordinator = `tcp:host=127.0.0.1,port=${coord.port}`;
  await until('the coordinator listening', coord, 30_000, () => accepts(coord.port));
  const master = await start('master', build.serverBin, (p) =>
    serverArgs({ locator: `tcp:host=127.0.0.1,port=${p}`, coordinator, clusterName, masterMemoryMb: 256, maxCores: 2, replicas: 0 }),
  );
  await until('the master enlisting', master, 30_000, () => existsSync(master.logFile) && ENLISTED_RE.test(readFileSync(master.logFile, 'utf8')));
  for (const n of [coord, master]) await until(`the relay of the ${n.role}`, { pid: n.relayPid, logFile: join(dir, 'relay.log') }, 10_000, () => existsSync(n.socket));
  return { coordinator, clusterName, nodes: [coord, master] };
}

/** The store config instances and the sweeper use. */
export function ramcloudStore(set: RamcloudSet, timeoutMs: number): RamcloudStoreConfig {
  return { kind: 'ramcloud', coordinator: set.coordinator, clusterName: set.clusterName, timeoutMs };
}

/** The sweeper: a detached process (src/dataplane/ramcloud-sweeper-main.ts) that expires flow state. */
export function startSweeper(runDir: string, store: RamcloudStoreConfig): number {
  return spawnDetached(process.execPath, ['--import', 'tsx', join(ROOT, 'src/dataplane/ramcloud-sweeper-main.ts'), JSON.stringify(store)], join(runDir, 'ramcloud', 'sweeper.log'), { cwd: ROOT });
}

export function ramcloudHealth(set: RamcloudSet): string {
  const parts = set.nodes.map((n) => `${n.role} pid ${n.pid} ${alive(n.pid) ? 'up' : 'DOWN'}`);
  if (set.sweeperPid) parts.push(`sweeper pid ${set.sweeperPid} ${alive(set.sweeperPid) ? 'up' : 'DOWN'}`);
  return `ramcloud ${set.coordinator} (${parts.join(', ')})`;
}

/** Every process of the set, sweeper first (it would log the servers' exit as errors). */
export function ramcloudPids(set: RamcloudSet): number[] {
  return [...(set.sweeperPid ? [set.sweeperPid] : []), ...set.nodes.flatMap((n) => [n.relayPid, n.pid])].filter((p) => p > 0);
}
