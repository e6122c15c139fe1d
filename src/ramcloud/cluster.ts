// A RAMCloud cluster on loopback: one coordinator and N servers from this checkout's build
// (install.ts), TCP transport, free ports, logs in a private temp dir, stopped by pid.
//
// Replication: with replicas = 0 every server is a master only (--masterOnly) and a dead master's
// data is gone (its tablets stay RECOVERING: clients get SNF_KV_UNAVAILABLE). With replicas = R > 0
// every server also runs a backup (in memory, --backupInMemory), and RAMCloud puts each segment's R
// replicas on other servers' backups, so it needs at least R + 1 servers; a dead master's tablets
// are then recovered onto the survivors.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findRamcloudBuild, type RamcloudBuild } from './install.js';
import { coordinatorArgs, ENLISTED_RE, serverArgs, SHARED_CORES_ENV } from './args.js';
import { accepts, freePort } from '../util/ports.js';

export interface RamcloudClusterOptions {
  /** Servers running a master (default 1). */
  masters?: number;
  /** Backup copies of each segment (default 0: masters only). Needs masters >= replicas + 1. */
  replicas?: number;
  /** Default: a name unique to this process and call. */
  clusterName?: string;
  /** --totalMasterMemory of each master, MB (default 256). */
  masterMemoryMb?: number;
  /** --maxCores of every process (default 2: this is a 2-core machine). */
  maxCores?: number;
  /** How long the coordinator and every master get to come up (default 30 s). */
  startTimeoutMs?: number;
  build?: RamcloudBuild;
}

export interface RamcloudServer {
  pid: number;
  locator: string;
  logFile: string;
}

export interface RamcloudCluster {
  /** The coordinator's service locator, e.g. tcp:host=127.0.0.1,port=40123. */
  coordinator: string;
  clusterName: string;
  coordinatorPid: number;
  masters: RamcloudServer[];
  /** Every process started, coordinator first. */
  pids: number[];
  logDir: string;
  /** The plugin config string for this cluster (plugin_abi.h open()). */
  pluginConfig(extra?: Record<string, string | number>): string;
  /** SIGTERM every process, SIGKILL what is left after 2 s, remove the logs unless keepLogs. */
  stop(opts?: { keepLogs?: boolean }): Promise<void>;
}

export class RamcloudClusterError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RamcloudClusterError';
  }
}

let clusterSeq = 0;



function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}

function tail(file: string, lines = 8): string {
  return readText(file).trimEnd().split('\n').slice(-lines).join('\n');
}

function checkOptions(o: RamcloudClusterOptions): Required<Omit<RamcloudClusterOptions, 'build' | 'clusterName'>> {
  const masters = o.masters ?? 1;
  const replicas = o.replicas ?? 0;
  const masterMemoryMb = o.masterMemoryMb ?? 256;
  const maxCores = o.maxCores ?? 2;
  const startTimeoutMs = o.startTimeoutMs ?? 30_000;
  const int = (name: string, v: number, lo: number, hi: number) => {
    if (!Number.isInteger(v) || v < lo || v > hi) throw new RamcloudClusterError(`ramcloud cluster: ${name} must be an integer in ${lo}..${hi}, got ${v}`);
  };
  int('masters', masters, 1, 16);
  int('replicas', replicas, 0, 15);
  int('masterMemoryMb', masterMemoryMb, 64, 65536);
  int('maxCores', maxCores, 1, 64);
  int('startTimeoutMs', startTimeoutMs, 100, 600_000);
  if (replicas > 0 && masters < replicas + 1) {
    throw new RamcloudClusterError(`ramcloud cluster: replicas ${replicas} needs at least ${replicas + 1} servers (each replica goes to another server's backup), got masters ${masters}`);
  }
  if (o.clusterName !== undefined && !/^[A-Za-z0-9_.-]{1,64}$/.test(o.clusterName)) {
    throw new RamcloudClusterError(`ramcloud cluster: clusterName must be 1..64 of [A-Za-z0-9_.-], got '${o.clusterName}'`);
  }
  return { masters, replicas, masterMemoryMb, maxCores, startTimeoutMs };
}

/** Starts a coordinator and `masters` servers; resolves once every master has enlisted. */
export async function startRamcloudCluster(opts: RamcloudClusterOptions = {}): Promise<RamcloudCluster> {
  const o = checkOptions(opts);
  const build = opts.build ?? findRamcloudBuild();
  const clusterName = opts.clusterName ?? `snf-${process.pid}-${++clusterSeq}`;
  const logDir = mkdtempSync(join(tmpdir(), 'snf-ramcloud-'));
  const children: ChildProcess[] = [];
  const kill = () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  };
  process.once('exit', kill);

  // Each process logs to its own file (--logFile) and runs in logDir, so a stray .ramcloud
  // options file in the caller's directory is not read.
  const start = (bin: string, args: string[], name: string): { child: ChildProcess; logFile: string } => {
    const logFile = join(logDir, `${name}.log`);
    const out = openSync(join(logDir, `${name}.out`), 'a');
    try {
      const child = spawn(bin, [...args, '--logFile', logFile], { cwd: logDir, stdio: ['ignore', out, out], env: { ...process.env, ...SHARED_CORES_ENV } });
      children.push(child);
      return { child, logFile };
    } finally {
      closeSync(out);
    }
  };
  const died = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;

  const stop = async (stopOpts: { keepLogs?: boolean } = {}) => {
    process.removeListener('exit', kill);
    const alive = children.filter((c) => !died(c));
    const exits = alive.map((c) => new Promise((r) => c.once('exit', r)));
    for (const c of alive) c.kill('SIGTERM');
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 2000))]);
    kill();
    await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 1000))]);
    if (!stopOpts.keepLogs) rmSync(logDir, { recursive: true, force: true });
  };

  try {
    const deadline = Date.now() + o.startTimeoutMs;
    const cport = await freePort();
    const coordinator = `tcp:host=127.0.0.1,port=${cport}`;
    // The coordinator listens on its -C locator.
    const coord = start(build.coordinatorBin, coordinatorArgs(coordinator, clusterName, o.maxCores), 'coordinator');
    while (!(await accepts(cport))) {
      if (died(coord.child)) throw new RamcloudClusterError(`ramcloud coordinator exited (${coord.child.exitCode ?? coord.child.signalCode}):\n${tail(coord.logFile)}`);
      if (Date.now() > deadline) throw new RamcloudClusterError(`ramcloud coordinator did not listen on ${coordinator} within ${o.startTimeoutMs} ms:\n${tail(coord.logFile)}`);
      await new Promise((r) => setTimeout(r, 100));
    }

    const masters: { child: ChildProcess; logFile: string; locator: string }[] = [];
    for (let i = 0; i < o.masters; i++) {
      const port = await freePort();
      const locator = `tcp:host=127.0.0.1,port=${port}`;
      const args = serverArgs({ locator, coordinator, clusterName, masterMemoryMb: o.masterMemoryMb, maxCores: o.maxCores, replicas: o.replicas });
      masters.push({ ...start(build.serverBin, args, `server-${i}`), locator });
    }
    for (const m of masters) {
      while (!ENLISTED_RE.test(readText(m.logFile))) {
        if (died(m.child)) throw new RamcloudClusterError(`ramcloud server ${m.locator} exited (${m.child.exitCode ?? m.child.signalCode}):\n${tail(m.logFile)}`);
        if (died(coord.child)) throw new RamcloudClusterError(`ramcloud coordinator exited while servers enlisted:\n${tail(coord.logFile)}`);
        if (Date.now() > deadline) throw new RamcloudClusterError(`ramcloud server ${m.locator} did not enlist within ${o.startTimeoutMs} ms:\n${tail(m.logFile)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const masterInfo = masters.map((m) => ({ pid: m.child.pid ?? -1, locator: m.locator, logFile: m.logFile }));
    return {
      coordinator,
      clusterName,
      coordinatorPid: coord.child.pid ?? -1,
      masters: masterInfo,
      pids: [coord.child.pid ?? -1, ...masterInfo.map((m) => m.pid)],
      logDir,
      pluginConfig(extra: Record<string, string | number> = {}) {
        const kv: Record<string, string | number> = { coordinator, cluster: clusterName, ...extra };
        return Object.entries(kv)
          .map(([k, v]) => `${k}=${v}`)
          .join(';');
      },
      stop,
    };
  } catch (e) {
    await stop({ keepLogs: existsSync(logDir) && process.env.SNF_KEEP_RAMCLOUD_LOGS === '1' });
    throw e;
  }
}
