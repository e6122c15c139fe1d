// Real redis-server processes for tests: single nodes and small Redis Clusters on loopback.
//
// Every process is tracked by pid and SIGKILLed when the test process exits, whatever the
// reason (failed assertion, uncaught error, Ctrl-C), so a crashed run never leaves servers behind.
// The harness speaks RESP itself (no ioredis) so that it tests nothing with the code under test.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redisModulePath, redisModuleWanted } from '../../src/dataplane/redis-module.js';

export interface RedisServer {
  host: string;
  port: number;
  /** "127.0.0.1:PORT" */
  node: string;
  /** "redis://127.0.0.1:PORT" */
  url: string;
  /** pid of the current process (changes after restart()). */
  readonly pid: number;
  /** Graceful stop (SIGTERM, then SIGKILL after 2 s); removes the temp dir. */
  stop(): Promise<void>;
  /** SIGKILL, for outage tests; the temp dir stays so restart() can reuse it. */
  kill(): Promise<void>;
  /** Starts again on the same port (and, for cluster nodes, the same nodes.conf). */
  restart(): Promise<void>;
}

export interface RedisClusterHandle {
  /** "127.0.0.1:PORT" of every master. */
  nodes: string[];
  servers: RedisServer[];
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 10_000;

// ---- cleanup on exit ------------------------------------------------------------------------

const livePids = new Set<number>();
const liveDirs = new Set<string>();
let exitHookInstalled = false;

function cleanupSync(): void {
  for (const pid of livePids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
  livePids.clear();
  for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  liveDirs.clear();
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', cleanupSync);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    // Signals skip 'exit' handlers by default: clean up, then die of the same signal.
    process.once(sig, () => {
      cleanupSync();
      process.kill(process.pid, sig);
    });
  }
}

// ---- helpers --------------------------------------------------------------------------------

let redisServerChecked = false;
function assertRedisInstalled(): void {
  if (redisServerChecked) return;
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      'redis-server not found on PATH: install it (Debian: apt-get install redis-server, or run scripts/setup.sh)',
    );
  }
  redisServerChecked = true;
}

/** A port the kernel just handed out on loopback; racy by nature, so callers retry on bind failure. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, HOST, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export type RespValue = string | number | null | RespValue[] | Error;

function encode(args: (string | number)[]): string {
  let s = `*${args.length}\r\n`;
  for (const a of args) {
    const b = Buffer.from(String(a));
    s += `$${b.length}\r\n${b.toString()}\r\n`;
  }
  return s;
}

/** Parses one RESP value at `pos`; returns undefined when the buffer is incomplete. */
function parse(buf: Buffer, pos: number): { value: RespValue; end: number } | undefined {
  const eol = buf.indexOf('\r\n', pos);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[pos]);
  const line = buf.toString('utf8', pos + 1, eol);
  switch (type) {
    case '+':
      return { value: line, end: eol + 2 };
    case '-':
      return { value: new Error(line), end: eol + 2 };
    case ':':
      return { value: Number(line), end: eol + 2 };
    case '$': {
      const n = Number(line);
      if (n < 0) return { value: null, end: eol + 2 };
      if (buf.length < eol + 2 + n + 2) return undefined;
      return { value: buf.toString('utf8', eol + 2, eol + 2 + n), end: eol + 2 + n + 2 };
    }
    case '*': {
      const n = Number(line);
      if (n < 0) return { value: null, end: eol + 2 };
      const out: RespValue[] = [];
      let p = eol + 2;
      for (let i = 0; i < n; i++) {
        const r = parse(buf, p);
        if (!r) return undefined;
        out.push(r.value);
        p = r.end;
      }
      return { value: out, end: p };
    }
    default:
      throw new Error(`unexpected RESP type byte ${JSON.stringify(type)}`);
  }
}

/** Sends one command on a fresh connection and resolves with its reply (a `-ERR` reply resolves as an Error). */
export function rawCommand(port: number, args: (string | number)[], timeoutMs = 2000): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: HOST, port });
    let buf = Buffer.alloc(0);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`redis ${HOST}:${port} ${String(args[0])}: no reply within ${timeoutMs} ms`));
    }, timeoutMs);
    sock.on('connect', () => sock.write(encode(args)));
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      const r = parse(buf, 0);
      if (r) {
        clearTimeout(timer);
        sock.destroy();
        resolve(r.value);
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      sock.destroy();
      reject(e);
    });
  });
}

/** A connection kept open (subscribers, CLIENT TRACKING): replies and pushed messages in arrival order. */
export interface RespConnection {
  send(args: (string | number)[]): void;
  /** The next value to arrive (a reply or a pushed message). */
  next(timeoutMs?: number): Promise<RespValue>;
  /** Sends one command and resolves with the next value (for a connection nothing is pushed to). */
  call(args: (string | number)[]): Promise<RespValue>;
  close(): void;
}

export function openResp(port: number): Promise<RespConnection> {
  return new Promise((resolve, reject) => {
    const sock = createConnection({ host: HOST, port });
    let buf = Buffer.alloc(0);
    const values: RespValue[] = [];
    const waiting: ((v: RespValue) => void)[] = [];
    let failure: Error | undefined;
    sock.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      for (let r = parse(buf, 0); r; r = parse(buf, 0)) {
        buf = buf.subarray(r.end);
        const w = waiting.shift();
        if (w) w(r.value);
        else values.push(r.value);
      }
    });
    sock.on('error', (e) => {
      failure = e;
      reject(e);
    });
    sock.on('connect', () => {
      const conn: RespConnection = {
        send: (args) => void sock.write(encode(args)),
        next: (timeoutMs = 2000) => {
          if (failure) return Promise.reject(failure);
          const v = values.shift();
          if (v !== undefined) return Promise.resolve(v);
          return new Promise((res, rej) => {
            const timer = setTimeout(() => {
              waiting.splice(waiting.indexOf(done), 1);
              rej(new Error(`redis ${HOST}:${port}: nothing arrived within ${timeoutMs} ms`));
            }, timeoutMs);
            const done = (value: RespValue) => {
              clearTimeout(timer);
              res(value);
            };
            waiting.push(done);
          });
        },
        call: (args) => {
          conn.send(args);
          return conn.next();
        },
        close: () => sock.destroy(),
      };
      resolve(conn);
    });
  });
}

async function ok(port: number, args: (string | number)[]): Promise<RespValue> {
  const r = await rawCommand(port, args);
  if (r instanceof Error) throw new Error(`redis ${HOST}:${port} ${args.join(' ')}: ${r.message}`);
  return r;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Thrown by a probe to stop waiting at once (e.g. the process died). */
class Fatal extends Error {}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (e) {
      if (e instanceof Fatal) throw new Error(e.message);
      last = e;
    }
    if (Date.now() > deadline) {
      const why = last instanceof Error ? `: ${last.message}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${why}`);
    }
    await sleep(25);
  }
}

function waitExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

// ---- one server -----------------------------------------------------------------------------

interface Spawned {
  child: ChildProcess;
  stderr: () => string;
}

function spawnRedis(port: number, dir: string, extra: string[]): Spawned {
  // A config file (Sentinel needs one it can rewrite) must be redis-server's first argument.
  const conf = extra.length > 0 && extra[0].endsWith('.conf') && !extra[0].startsWith('--') ? [extra[0]] : [];
  if (conf.length) extra = extra.slice(1);
  const args = [
    ...conf,
    '--port', String(port),
    '--bind', HOST,
    '--dir', dir,
    '--save', '',
    '--appendonly', 'no',
    '--daemonize', 'no',
    '--protected-mode', 'no',
    '--logfile', '',
    '--loglevel', 'warning',
    ...extra,
  ];
  const child = spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out = (out + d.toString()).slice(-4000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // A test that forgets stop() must not keep mocha alive: the exit hook kills the server anyway.
  child.unref();
  for (const st of [child.stdout, child.stderr]) (st as unknown as { unref?: () => void } | null)?.unref?.();
  if (child.pid !== undefined) livePids.add(child.pid);
  child.once('exit', () => {
    if (child.pid !== undefined) livePids.delete(child.pid);
  });
  return { child, stderr: () => out };
}

async function launch(port: number, dir: string, extra: string[]): Promise<ChildProcess> {
  const s = spawnRedis(port, dir, extra);
  let exited = false;
  s.child.once('exit', () => {
    exited = true;
  });
  try {
    await waitFor(`redis-server on ${HOST}:${port} to answer PING`, START_TIMEOUT_MS, async () => {
      if (exited) throw new Fatal(`redis-server on port ${port} exited: ${s.stderr().trim() || 'no output'}`);
      // Any reply means it is serving; with requirepass the reply is a NOAUTH error.
      const r = await rawCommand(port, ['PING'], 500);
      return r === 'PONG' || (r instanceof Error && /NOAUTH/.test(r.message));
    });
  } catch (e) {
    s.child.kill('SIGKILL');
    await waitExit(s.child, 2000);
    throw e;
  }
  return s.child;
}

function isBindError(e: unknown): boolean {
  return e instanceof Error && /Address already in use|bind/i.test(e.message);
}

class Server implements RedisServer {
  readonly host = HOST;
  readonly node: string;
  readonly url: string;
  private child: ChildProcess | undefined;

  constructor(
    readonly port: number,
    private dir: string,
    private readonly extra: string[],
    child: ChildProcess,
  ) {
    this.node = `${HOST}:${port}`;
    this.url = `redis://${HOST}:${port}`;
    this.child = child;
  }

  get pid(): number {
    return this.child?.pid ?? -1;
  }

  async kill(): Promise<void> {
    const c = this.child;
    if (!c) return;
    c.kill('SIGKILL');
    await waitExit(c, 5000);
    this.child = undefined;
  }

  async stop(): Promise<void> {
    const c = this.child;
    if (c) {
      c.kill('SIGTERM');
      if (!(await waitExit(c, 2000))) {
        c.kill('SIGKILL');
        await waitExit(c, 5000);
      }
      this.child = undefined;
    }
    rmSync(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }

  async restart(): Promise<void> {
    if (this.child) await this.kill();
    if (!existsSync(this.dir)) {
      mkdirSync(this.dir, { recursive: true });
      liveDirs.add(this.dir);
    }
    // The port was ours a moment ago; a TIME_WAIT or a racing test can still hold it briefly.
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        this.child = await launch(this.port, this.dir, this.extra);
        return;
      } catch (e) {
        if (!isBindError(e) || Date.now() > deadline) throw e;
        await sleep(100);
      }
    }
  }
}

/** Starts a throw-away redis-server on a free loopback port; extra `args` go to its command line. */
// The store module (native/redis_module) is loaded like the product loads it, so the suite runs
// the engine's native compare-and-sets; `module: false` gives a plain Redis (the scripts' path).
// Sentinel mode loads no modules. (Appended: a config file stays the first argument.)
function withModule(args: string[], module: boolean): string[] {
  return module && !args.includes('--sentinel') ? [...args, '--loadmodule', redisModulePath()] : args;
}

export async function startRedis(opts: { args?: string[]; module?: boolean } = {}): Promise<RedisServer> {
  assertRedisInstalled();
  installExitHook();
  const extra = withModule(opts.args ?? [], opts.module ?? redisModuleWanted());
  let lastErr: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), `snf-redis-${port}-`));
    liveDirs.add(dir);
    try {
      const child = await launch(port, dir, extra);
      return new Server(port, dir, extra, child);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      liveDirs.delete(dir);
      lastErr = e;
      if (!isBindError(e)) throw e;
    }
  }
  throw lastErr instanceof Error ? lastErr : new Error('could not start redis-server');
}

// ---- cluster --------------------------------------------------------------------------------

const SLOTS = 16384;

/**
 * Starts `masters` cluster-enabled servers, assigns contiguous slot ranges, introduces them with
 * CLUSTER MEET and waits until every node reports cluster_state:ok and knows every other node.
 * Done by hand rather than with `redis-cli --cluster create` so that 1 or 2 masters work too.
 */
export async function startRedisCluster(masters = 3): Promise<RedisClusterHandle> {
  if (!Number.isInteger(masters) || masters < 1) throw new Error(`masters: must be a positive integer, got ${masters}`);
  const servers: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
  };
  try {
    for (let i = 0; i < masters; i++) {
      servers.push(
        await startRedis({
          args: [
            '--cluster-enabled', 'yes',
            '--cluster-config-file', 'nodes.conf',
            '--cluster-node-timeout', '2000',
            // Tests kill nodes on purpose; the survivors should keep serving their own slots.
            '--cluster-require-full-coverage', 'no',
          ],
        }),
      );
    }
    for (let i = 0; i < masters; i++) {
      const lo = Math.floor((i * SLOTS) / masters);
      const hi = Math.floor(((i + 1) * SLOTS) / masters) - 1;
      // Distinct epochs up front avoid the epoch-collision dance and make the slot map settle fast.
      await ok(servers[i].port, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
      await ok(servers[i].port, ['CLUSTER', 'ADDSLOTSRANGE', lo, hi]);
    }
    for (let i = 1; i < masters; i++) await ok(servers[i].port, ['CLUSTER', 'MEET', HOST, servers[0].port]);
    await waitFor(`cluster_state:ok on all ${masters} nodes`, 20_000, async () => {
      for (const s of servers) {
        const info = await ok(s.port, ['CLUSTER', 'INFO']);
        if (typeof info !== 'string' || !/cluster_state:ok/.test(info)) return false;
        if (!new RegExp(`cluster_known_nodes:${masters}\\b`).test(info)) return false;
        if (!new RegExp(`cluster_slots_assigned:${SLOTS}\\b`).test(info)) return false;
      }
      return true;
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { nodes: servers.map((s) => s.node), servers, stop };
}

/**
 * A redis-server and an ioredis client to it for the enclosing mocha `describe`: started in
 * `before`, stopped (by pid) in `after`. Read `server` / `client` inside tests.
 */
export function useRedis(): { readonly server: RedisServer; readonly client: import('ioredis').Redis } {
  let server: RedisServer | undefined;
  let client: import('ioredis').Redis | undefined;
  before(async () => {
    const { Redis } = await import('ioredis');
    server = await startRedis();
    client = new Redis(server.port, '127.0.0.1');
  });
  after(async () => {
    client?.disconnect();
    await server?.stop();
  });
  return {
    get server() {
      if (!server) throw new Error('useRedis: server not started (use it inside a test)');
      return server;
    },
    get client() {
      if (!client) throw new Error('useRedis: client not started (use it inside a test)');
      return client;
    },
  };
}

// ---- TLS ------------------------------------------------------------------------------------

export interface TlsRedis {
  server: RedisServer;
  /** Loopback port speaking only TLS (the plain `server.port` stays for the harness's own checks). */
  tlsPort: number;
  caFile: string;
  /** `rediss://127.0.0.1:<tlsPort>?ca=<caFile>` */
  url: string;
  stop(): Promise<void>;
}

/**
 * A redis-server with a TLS listener and certificates made for this test by the product's own
 * generator (src/store/tls-certs.ts, the openssl CLI), removed on stop.
 */
export async function startTlsRedis(opts: { args?: string[] } = {}): Promise<TlsRedis> {
  const { makeStoreCerts, redisTlsArgs } = await import('../../src/store/tls-certs.js');
  const dir = mkdtempSync(join(tmpdir(), 'snf-redis-tls-'));
  liveDirs.add(dir);
  try {
    const certs = makeStoreCerts(dir, ['127.0.0.1', 'localhost']);
    const tlsPort = await freePort();
    const server = await startRedis({ args: [...redisTlsArgs(certs, tlsPort), ...(opts.args ?? [])] });
    return {
      server,
      tlsPort,
      caFile: certs.caFile,
      url: `rediss://127.0.0.1:${tlsPort}?ca=${certs.caFile}`,
      async stop() {
        await server.stop();
        rmSync(dir, { recursive: true, force: true });
        liveDirs.delete(dir);
      },
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
    throw e;
  }
}

// ---- Sentinel -------------------------------------------------------------------------------

export interface SentinelGroup {
  primary: RedisServer;
  replica: RedisServer;
  /** Sentinels (redis-server --sentinel), quorum 2 of 3. */
  sentinels: RedisServer[];
  name: string;
  /** `redis+sentinel://127.0.0.1:a,127.0.0.1:b,127.0.0.1:c/<name>` */
  url: string;
  stop(): Promise<void>;
}

/**
 * A production-shaped store on loopback: a primary with append-only persistence, one replica,
 * and three Sentinels watching them (down after `downAfterMs`, default 500). Sentinel needs a
 * writable config file; each gets one in its own directory.
 */
export async function startSentinelGroup(opts: { name?: string; downAfterMs?: number } = {}): Promise<SentinelGroup> {
  const name = opts.name ?? 'snf-primary';
  const down = opts.downAfterMs ?? 500;
  const persist = ['--appendonly', 'yes', '--appendfsync', 'everysec'];
  const started: RedisServer[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s.stop()));
  };
  try {
    const primary = await startRedis({ args: persist });
    started.push(primary);
    const replica = await startRedis({ args: [...persist, '--replicaof', HOST, String(primary.port)] });
    started.push(replica);
    await waitFor('the replica to sync', 10_000, async () => /master_link_status:up/.test(String(await rawCommand(replica.port, ['INFO', 'replication']))));
    const sentinels: RedisServer[] = [];
    for (let i = 0; i < 3; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'snf-sentinel-'));
      liveDirs.add(dir);
      const conf = join(dir, 'sentinel.conf');
      writeFileSync(
        conf,
        [
          `sentinel monitor ${name} ${HOST} ${primary.port} 2`,
          `sentinel down-after-milliseconds ${name} ${down}`,
          `sentinel failover-timeout ${name} 5000`,
          `sentinel parallel-syncs ${name} 1`,
          '',
        ].join('\n'),
      );
      // The config file goes first (spawnRedis puts a leading *.conf before its own options).
      const s = await startRedis({ args: [conf, '--sentinel'] });
      sentinels.push(s);
      started.push(s);
    }
    return {
      primary,
      replica,
      sentinels,
      name,
      url: `redis+sentinel://${sentinels.map((s) => s.node).join(',')}/${name}`,
      stop,
    };
  } catch (e) {
    await stop();
    throw e;
  }
}

// ---- TLS cluster ----------------------------------------------------------------------------

export interface TlsRedisCluster {
  servers: RedisServer[];
  /** Each node's TLS port, which the slot map (CLUSTER SLOTS, MOVED) announces with `tls-cluster yes`. */
  tlsPorts: number[];
  caFile: string;
  stop(): Promise<void>;
}

/**
 * `masters` cluster nodes speaking TLS to clients and to each other (certificates from the
 * product's generator); the harness keeps using each node's plain loopback port to set it up.
 */
export async function startTlsRedisCluster(masters = 3): Promise<TlsRedisCluster> {
  const { makeStoreCerts, redisTlsArgs } = await import('../../src/store/tls-certs.js');
  const dir = mkdtempSync(join(tmpdir(), 'snf-redis-tlscluster-'));
  liveDirs.add(dir);
  const servers: RedisServer[] = [];
  const tlsPorts: number[] = [];
  const stop = async () => {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  };
  try {
    const certs = makeStoreCerts(dir, ['127.0.0.1', 'localhost']);
    for (let i = 0; i < masters; i++) {
      let tlsPort = await freePort();
      while (tlsPort + 10000 > 65535) tlsPort = await freePort();  // its bus port must exist too
      tlsPorts.push(tlsPort);
      servers.push(
        await startRedis({
          args: [...redisTlsArgs(certs, tlsPort), '--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--cluster-node-timeout', '2000', '--cluster-require-full-coverage', 'no'],
        }),
      );
    }
    for (let i = 0; i < masters; i++) {
      const lo = Math.floor((i * SLOTS) / masters);
      const hi = Math.floor(((i + 1) * SLOTS) / masters) - 1;
      await ok(servers[i].port, ['CLUSTER', 'SET-CONFIG-EPOCH', i + 1]);
      await ok(servers[i].port, ['CLUSTER', 'ADDSLOTSRANGE', lo, hi]);
    }
    // With tls-cluster the bus is TLS on the TLS port + 10000; TLS clients are told the TLS ports.
    for (let i = 1; i < masters; i++) await ok(servers[i].port, ['CLUSTER', 'MEET', HOST, tlsPorts[0]]);
    await waitFor(`cluster_state:ok on all ${masters} TLS nodes`, 20_000, async () => {
      for (const s of servers) {
        const info = await ok(s.port, ['CLUSTER', 'INFO']);
        if (typeof info !== 'string' || !/cluster_state:ok/.test(info)) return false;
        if (!new RegExp(`cluster_known_nodes:${masters}\\b`).test(info)) return false;
      }
      return true;
    });
    return { servers, tlsPorts, caFile: certs.caFile, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
