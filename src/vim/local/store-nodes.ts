// The local deployment's production-shaped stores: a Sentinel-watched primary with a replica, or
// a Redis Cluster of 3 masters + 3 replicas. Every node persists (append-only, fsync every
// second) and listens on 127.0.0.1 and on a UNIX socket in the run directory. The root
// namespace (the VIM, the steering controller, `snf status`) uses the TCP addresses; each
// instance namespace reaches the same 127.0.0.1:port through relays onto the sockets
// (store-relay.ts), so the addresses Sentinel and CLUSTER SLOTS hand out are right everywhere.
// Processes are detached (they outlive `snf up`) and stopped by pid.
//
// Access (store-access.ts): every node has the role users and a random admin password on the
// default user (replication, Sentinels, cluster creation, the watchdog), all in a 0600
// configuration file. With TLS (--store-tls) a node listens on its TLS port only (port 0, no
// UNIX socket of its own: that would be a plain-text way in) and replicates and runs the cluster
// bus over TLS; its UNIX socket in the run directory is then a relay in the root namespace onto
// the TLS port, so the instance namespaces' relays (store-relay.ts) carry the TLS bytes
// end to end, and the instances check the certificate against the CA themselves. The single
// mode takes this path only with TLS (without, it is redis-unix.ts).
import { execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { callOnce, type CallAuth } from '../../store/call-once.js';
import { alive, sleep } from './sh.js';
import { stopPid } from './redis-unix.js';
import { dataNodeConf, nodeAuth, privateDir, sentinelConf, writePrivate, type StoreAccess } from './store-access.js';

export type StoreMode = 'single' | 'sentinel' | 'cluster';
export const STORE_MODES: readonly StoreMode[] = ['single', 'sentinel', 'cluster'];

export type NodeRole = 'primary' | 'replica' | 'sentinel' | 'master';

export interface StoreNode {
  role: NodeRole;
  port: number;
  socket: string;
  pid: number;
  /** TLS: the root namespace's relay from `socket` onto the node's TLS port */
  relayPid?: number;
}

export interface StoreSet {
  mode: StoreMode;
  /** The URL every client is given (src/store/url.ts grammar). */
  seed: string;
  /** The data plane's seed list (the Sentinel URL, or every cluster node). */
  engineNodes: string[];
  nodes: StoreNode[];
}

/** The primary's name as the Sentinels know it. */
export const SENTINEL_NAME = 'snf';

/**
 * Failover timing. Writes must be back within 2 s of a kill -9 and TCP's retransmission backoff
 * (200, 400, 800 ms...) turns a 1.5 s outage into a 3 s stall, so detection is as short as a
 * shared 2-core host allows without false failovers: 400 ms without an answer.
 */
export const TIMING = {
  sentinelDownAfterMs: 400,
  sentinelFailoverTimeoutMs: 3000,
  clusterNodeTimeoutMs: 500,
};

/** A port p with p and p+10000 (the cluster bus) free on 127.0.0.1. */
async function freePortPair(taken: Set<number>): Promise<number> {
  const tryListen = (port: number) =>
    new Promise<boolean>((resolve) => {
      const s = createServer();
      s.once('error', () => resolve(false));
      s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
    });
  for (let i = 0; i < 200; i++) {
    const p = 20000 + Math.floor(Math.random() * 25000);
    if (taken.has(p)) continue;
    if ((await tryListen(p)) && (await tryListen(p + 10000))) {
      taken.add(p);
      return p;
    }
  }
  throw new Error('store: no free port pair (p, p+10000) on 127.0.0.1 after 200 tries');
}

function nodeArgs(dir: string, port: number, socket: string, tls: boolean): string[] {
  return [
    // with TLS the configuration file has `port 0` and the TLS port
    ...(tls ? [] : ['--port', String(port), '--unixsocket', socket, '--unixsocketperm', '700']),
    '--bind', '127.0.0.1',
    '--dir', dir,
    // what a production store runs: every write in the append-only file, fsynced every second
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
  ];
}

/** A process that outlives `snf up` (stopped by pid), its output appended to logFile. */
export function spawnDetached(cmd: string, args: string[], logFile: string, opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): number {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', fd, fd], ...opts });
    if (child.pid === undefined) throw new Error(`cannot start ${cmd} (see ${logFile}); run 'sudo bash scripts/setup.sh'`);
    child.on('error', () => undefined);
    child.unref();
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/**
 * The relay from a node's socket path onto its TCP port (a TLS port, or a RAMCloud server's).
 * Stateless like the instances' relays: the node gone, the connection closes.
 */
export function startTlsRelay(socket: string, port: number, logFile: string): number {
  // nodelay: a data-plane batch is one small request; Nagle would hold it back
  return spawnDetached('socat', [`UNIX-LISTEN:${socket},fork,unlink-early,mode=700`, `TCP:127.0.0.1:${port},nodelay`], logFile);
}

function call(port: number, args: string[], timeoutMs = 1000, auth: CallAuth = {}): Promise<unknown> {
  return callOnce(port, args, timeoutMs, '127.0.0.1', auth);
}

/** `redis-cli --cluster create`, the admin password in its environment (REDISCLI_AUTH), not its arguments. */
function clusterCreate(nodes: StoreNode[], access: StoreAccess): Promise<void> {
  const args = [...(access.tls ? ['--tls', '--cacert', access.tls.caFile] : []), '--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'];
  const env = { ...process.env, ...(access.admin !== undefined ? { REDISCLI_AUTH: access.admin } : {}) };
  return new Promise((resolve, reject) => {
    execFile('redis-cli', args, { env, timeout: 30_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`redis-cli --cluster create: ${(stderr || stdout || err.message).trim().split('\n').slice(-3).join(' | ')}`));
      else resolve();
    });
  });
}

async function until(what: string, ms: number, check: () => Promise<boolean>, pids: number[]): Promise<void> {
  const end = Date.now() + ms;
  let last = '';
  for (;;) {
    try {
      if (await check()) return;
    } catch (e) {
      last = (e as Error).message;
    }
    const dead = pids.filter((p) => !alive(p));
    if (dead.length) throw new Error(`store: ${what}: redis-server pid ${dead.join(', ')} exited (see its log in the run directory)`);
    if (Date.now() > end) throw new Error(`store: ${what} not within ${ms} ms${last ? `: ${last}` : ''}`);
    await sleep(50);
  }
}

function infoField(info: unknown, field: string): string | undefined {
  const m = new RegExp(`^${field}:(.*)$`, 'm').exec(String(info));
  return m?.[1].trim();
}

/**
 * Starts the store set for `mode` under <runDir>/store, with the users and TLS of `access`. On
 * failure, what was started is stopped. `single` only with TLS (a single node without TLS is
 * redis-unix.ts).
 */
export async function startStoreSet(runDir: string, mode: StoreMode, access: StoreAccess, vnf: string, onPid: (n: StoreNode) => void = () => undefined): Promise<StoreSet> {
  const base = privateDir(join(runDir, 'store'));
  const nodes: StoreNode[] = [];
  const taken = new Set<number>();
  const tls = access.tls !== undefined;
  const auth = nodeAuth(access);
  const add = async (role: NodeRole, extra: (dir: string, port: number) => string[] | { conf: string }): Promise<StoreNode> => {
    const port = await freePortPair(taken);
    const dir = privateDir(join(base, `${role}-${port}`));
    const socket = join(base, `${port}.sock`);
    const x = extra(dir, port);
    let args: string[];
    if (Array.isArray(x)) {
      const conf = join(dir, 'redis.conf');
      writePrivate(conf, dataNodeConf(access, vnf, tls ? port : undefined, mode === 'cluster'));
      args = [conf, ...nodeArgs(dir, port, socket, tls), ...x];
    } else {
      // a Sentinel rewrites its configuration file: it must be its own, writable
      const conf = join(dir, 'sentinel.conf');
      const listen = tls ? '' : `port ${port}\nunixsocket ${socket}\nunixsocketperm 700\n`;
      writePrivate(conf, `${listen}bind 127.0.0.1\ndir ${dir}\n${x.conf}${sentinelConf(access, SENTINEL_NAME, tls ? port : undefined)}`);
      args = [conf, '--sentinel'];
    }
    const n: StoreNode = { role, port, socket, pid: spawnDetached('redis-server', args, join(dir, 'redis.log')) };
    nodes.push(n);
    onPid(n);
    if (tls) {
      n.relayPid = startTlsRelay(socket, port, join(dir, 'relay.log'));
      onPid(n);
    }
    return n;
  };
  const q = tls ? `?ca=${access.tls!.caFile}` : '';
  const scheme = tls ? 'rediss' : 'redis';
  try {
    if (mode === 'single') {
      const primary = await add('primary', () => []);
      await until('the store answering', 5000, async () => (await call(primary.port, ['PING'], 1000, auth)) === 'PONG', [primary.pid]);
      return { mode, seed: `${scheme}://127.0.0.1:${primary.port}${q}`, engineNodes: [`127.0.0.1:${primary.port}`], nodes };
    }
    if (mode === 'sentinel') {
      const primary = await add('primary', () => []);
      await until('the primary answering', 5000, async () => (await call(primary.port, ['PING'], 1000, auth)) === 'PONG', [primary.pid]);
      const replica = await add('replica', () => ['--replicaof', '127.0.0.1', String(primary.port)]);
      await until('the replica in sync', 10_000, async () => infoField(await call(replica.port, ['INFO', 'replication'], 1000, auth), 'master_link_status') === 'up', [primary.pid, replica.pid]);
      const conf = [
        `sentinel monitor ${SENTINEL_NAME} 127.0.0.1 ${primary.port} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_NAME} ${TIMING.sentinelDownAfterMs}`,
        `sentinel failover-timeout ${SENTINEL_NAME} ${TIMING.sentinelFailoverTimeoutMs}`,
        `sentinel parallel-syncs ${SENTINEL_NAME} 1`,
        '',
      ].join('\n');
      const sentinels: StoreNode[] = [];
      for (let i = 0; i < 3; i++) sentinels.push(await add('sentinel', () => ({ conf })));
      // Ready when every Sentinel knows the replica and the two other Sentinels (hello messages
      // every 2 s): a Sentinel alone cannot reach the quorum of 2 that a failover needs.
      await until('the Sentinels to find each other and the replica', 20_000, async () => {
        for (const s of sentinels) {
          const r = (await call(s.port, ['SENTINEL', 'MASTER', SENTINEL_NAME], 1000, auth)) as string[];
          const f = new Map<string, string>();
          for (let i = 0; i + 1 < r.length; i += 2) f.set(r[i], r[i + 1]);
          if (f.get('num-slaves') !== '1' || f.get('num-other-sentinels') !== '2') return false;
        }
        return true;
      }, nodes.map((n) => n.pid));
      const seed = `${scheme}+sentinel://${sentinels.map((s) => `127.0.0.1:${s.port}`).join(',')}/${SENTINEL_NAME}${q}`;
      return { mode, seed, engineNodes: [seed], nodes };
    }
    const clusterArgs = (dir: string) => [
      '--cluster-enabled', 'yes',
      '--cluster-config-file', join(dir, 'nodes.conf'),
      '--cluster-node-timeout', String(TIMING.clusterNodeTimeoutMs),
      // a master down takes only its own slots down, not the whole cluster
      '--cluster-require-full-coverage', 'no',
      // a replica that lost its master a while ago still takes over (no data is older than
      // the append-only file it shares the history of)
      '--cluster-replica-validity-factor', '0',
    ];
    const all: StoreNode[] = [];
    for (let i = 0; i < 6; i++) all.push(await add(i < 3 ? 'master' : 'replica', clusterArgs));
    await until('the cluster nodes answering', 5000, async () => {
      for (const n of all) if ((await call(n.port, ['PING'], 1000, auth)) !== 'PONG') return false;
      return true;
    }, all.map((n) => n.pid));
    // redis-cli makes the first three the masters and gives each one replica
    await clusterCreate(all, access);
    await until('the cluster state ok on every node, every replica linked', 20_000, async () => {
      for (const n of all) {
        if (infoField(await call(n.port, ['CLUSTER', 'INFO'], 1000, auth), 'cluster_state') !== 'ok') return false;
        if (n.role === 'replica' && infoField(await call(n.port, ['INFO', 'replication'], 1000, auth), 'master_link_status') !== 'up') return false;
      }
      return true;
    }, all.map((n) => n.pid));
    const list = all.map((n) => `127.0.0.1:${n.port}`);
    return { mode, seed: `${scheme}://${list.join(',')}${q}`, engineNodes: list, nodes };
  } catch (e) {
    stopStoreNodes(nodes);
    throw e;
  }
}

export function stopStoreNodes(nodes: StoreNode[], sig: NodeJS.Signals = 'SIGKILL'): void {
  for (const n of nodes) {
    if (n.pid > 1) stopPid(n.pid, sig);
    if (n.relayPid && n.relayPid > 1) stopPid(n.relayPid, 'SIGKILL');
  }
}

export interface StoreHealth {
  mode: StoreMode;
  /** one line for `snf status` */
  summary: string;
  /** the store accepts writes for all of the key space */
  healthy: boolean;
  problems: string[];
}

/** What the store looks like now, from its processes and what the nodes and Sentinels say. */
export async function storeHealth(mode: StoreMode, nodes: StoreNode[], redisPid?: number, auth: CallAuth = {}): Promise<StoreHealth> {
  const h = await nodeHealth(mode, nodes, redisPid, auth);
  // A TLS node's relay is the instances' only way to it: nothing restarts a dead one, so say so.
  const relays = nodes.filter((n) => n.relayPid !== undefined && alive(n.pid) && !alive(n.relayPid));
  for (const n of relays) h.problems.push(`the relay onto store ${n.role} 127.0.0.1:${n.port} (pid ${n.relayPid}) is not running: the instances cannot reach that node`);
  return relays.length ? { ...h, healthy: false } : h;
}

async function nodeHealth(mode: StoreMode, nodes: StoreNode[], redisPid: number | undefined, auth: CallAuth): Promise<StoreHealth> {
  if (mode === 'single' && nodes.length > 0) {
    // a TLS single node (no UNIX socket of its own): its process and its answer
    const n = nodes[0];
    let answers = false;
    if (alive(n.pid)) {
      try {
        answers = (await call(n.port, ['PING'], 500, auth)) === 'PONG';
      } catch {
        /* down */
      }
    }
    const problems = answers ? [] : [`redis-server 127.0.0.1:${n.port} (pid ${n.pid}) ${alive(n.pid) ? 'does not answer' : 'is not running'}`];
    return { mode, summary: `single node 127.0.0.1:${n.port}, pid ${n.pid} ${answers ? 'running' : 'NOT answering'}`, healthy: answers, problems };
  }
  if (mode === 'single') {
    const up = redisPid === undefined || alive(redisPid);
    return { mode, summary: redisPid === undefined ? 'single node (an operator\'s store)' : `single node, pid ${redisPid} ${up ? 'running' : 'NOT running'}`, healthy: up, problems: up ? [] : [`redis-server pid ${redisPid} is not running`] };
  }
  const problems: string[] = [];
  const down = nodes.filter((n) => !alive(n.pid));
  for (const n of down) problems.push(`store ${n.role} 127.0.0.1:${n.port} (pid ${n.pid}) is not running`);
  const data = nodes.filter((n) => n.role !== 'sentinel');
  if (mode === 'sentinel') {
    const sentinels = nodes.filter((n) => n.role === 'sentinel' && alive(n.pid));
    let primary = '';
    for (const s of sentinels) {
      try {
        const r = (await call(s.port, ['SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_NAME], 500, auth)) as string[];
        primary = `${r[0]}:${r[1]}`;
        break;
      } catch {
        /* ask the next */
      }
    }
    let writable = false;
    if (primary) {
      try {
        writable = ((await call(Number(primary.split(':')[1]), ['ROLE'], 500, auth)) as unknown[])[0] === 'master';
      } catch {
        /* down */
      }
    }
    if (!primary) problems.push('no Sentinel names a primary');
    else if (!writable) problems.push(`the primary the Sentinels name (${primary}) does not answer as a primary (failover under way?)`);
    const upData = data.filter((n) => alive(n.pid)).length;
    return {
      mode,
      summary: `sentinel, primary ${primary || '?'}${writable ? '' : ' (not answering)'}, ${upData}/${data.length} data nodes, ${sentinels.length}/${nodes.length - data.length} Sentinels running`,
      healthy: writable && sentinels.length >= 2,
      problems,
    };
  }
  let state = '?';
  let slotsOk = 0;
  let masters = 0;
  for (const n of data.filter((x) => alive(x.pid))) {
    try {
      const info = await call(n.port, ['CLUSTER', 'INFO'], 500, auth);
      state = infoField(info, 'cluster_state') ?? '?';
      slotsOk = Number(infoField(info, 'cluster_slots_ok') ?? 0);
      masters = Number(infoField(info, 'cluster_size') ?? 0);
      break;
    } catch {
      /* ask the next */
    }
  }
  if (slotsOk < 16384) problems.push(`cluster: ${16384 - slotsOk} of 16384 slots not served (state ${state})`);
  return {
    mode,
    summary: `cluster, state ${state}, ${masters} masters serving ${slotsOk}/16384 slots, ${data.length - down.length}/${data.length} nodes running`,
    healthy: slotsOk === 16384,
    problems,
  };
}
