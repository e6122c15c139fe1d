// Replays a corpus through one chain on each store in turn, same process, same batches, and
// compares: per packet the verdict (with its drop reason) and the output bytes must be the same
// on every store, and every forwarded frame must carry correct checksums. The loop that builds
// frames, calls the engine and learns the addresses replies go to is timed; checking outputs
// happens after it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Redis } from 'ioredis';
import { Engine } from '../dataplane/engine.js';
import { isUnixSeed, unixPath } from '../store/control-client.js';
import type { EngineConfig, FrameOut } from '../dataplane/types.js';
import { planDependencies, type Batch } from './batches.js';
import { verifyChecksums } from './checksum.js';
import type { Corpus } from './corpus.js';
import { SideMapper } from './sides.js';
import { CHAINS, REPLAY_TABLES, REPLAY_VIPS, storeConfig, type RamcloudTarget, type StoreName } from './tables.js';

export interface Mismatch {
  packet: number;
  expected: string;
  got: string;
}

export interface ChecksumFailure {
  packet: number;
  field: string;
  /** First bytes of the output frame, hex. */
  head: string;
}

export interface StoreResult {
  store: StoreName;
  packets: number;
  /** Seconds of the timed loop (wall clock): building frames, the engine calls, learning replies' addresses. */
  seconds: number;
  /** Seconds inside the engine calls alone (submitSync, reapSync): with one batch in flight, the timing of entries before 2026-11-30. */
  callSeconds: number;
  /** This process's CPU (user + system) during that loop, µs: the engine's own cost (and the loop's), which a busy host does not inflate. */
  engineCpuUs: number;
  pps: number;
  /** Slowest and fastest of the rounds (ReplayOptions.rounds); `pps` is their median. */
  ppsRange: [number, number];
  forwarded: number;
  drops: Record<string, number>;
  roundTrips: number;
  commands: number;
  cacheHits?: number;
  cacheMisses?: number;
  /** The store servers' user + system CPU over the run, µs (redis-server; RAMCloud's coordinator and masters; absent for local). */
  redisCpuUs?: number;
  /** Forwarded frames: every checksum checked and correct / IP header only (fragment, snap length). */
  checksumsOk: number;
  checksumsPartial: number;
  /** Wrong in the output, and already wrong in what was sent (capture made with checksum offload). */
  checksumsInherited: number;
  /** Wrong in the output though right in the input: the NF broke them. */
  checksumFailures: ChecksumFailure[];
  checksumsBroken: number;
  /** Differences from the first store's run. */
  verdictMismatches: number;
  outputMismatches: number;
  /** Whether output bytes were compared (not with batches in flight on a rewriting chain). */
  bytesCompared: boolean;
  mismatches: Mismatch[];
  repliesRewritten: number;
  repliesUnmapped: number;
  /** Per packet `forward <side>` / `drop <reason>`, with ReplayOptions.keepVerdicts. */
  verdicts?: string[];
}

export interface ChainResult {
  nf: string;
  stores: StoreResult[];
}

const KEEP_EXAMPLES = 5;

function verdictOf(o: FrameOut): string {
  return o.verdict === 'forward' ? `forward ${o.side}` : `drop ${o.reason ?? '?'}`;
}

async function redisCpuUs(client: Redis): Promise<number> {
  const info = await client.info('cpu');
  const get = (k: string) => Number(new RegExp(`^${k}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 'NaN');
  return (get('used_cpu_user') + get('used_cpu_sys')) * 1e6;
}

/** user + system CPU of processes, µs, from /proc (clock ticks of 10 ms). */
function procCpuUs(pids: number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(f[11]) + Number(f[12]); // utime, stime (fields 14 and 15)
  }
  return ticks * 10_000;
}

async function deleteKeys(client: Redis, vnf: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await client.scan(cursor, 'MATCH', `snf:${vnf}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await client.unlink(...keys);
  } while (cursor !== '0');
}

interface Reference {
  verdicts: string[];
  digests: string[];
}

let runSeq = 0;

interface PassOptions {
  redisNode: string | undefined;
  postHoldUs: number | undefined;
  ramcloud: RamcloudTarget | undefined;
  keepVerdicts: boolean;
  inflight: number;
}

async function runStore(nf: string, store: StoreName, corpus: Corpus, batches: Batch[], redis: Redis | undefined, ref: Reference | undefined, opts: PassOptions): Promise<{ result: StoreResult; ref: Reference }> {
  const { redisNode, postHoldUs, ramcloud, keepVerdicts } = opts;
  const { chain, mode } = CHAINS[nf];
  const vnf = `replay${process.pid}n${++runSeq}`;
  const config: EngineConfig = { vnf, instanceId: 'replay', chain, store: storeConfig(store, redisNode, ramcloud, postHoldUs), ...REPLAY_TABLES };
  const engine = new Engine(config);
  const mapper = new SideMapper(mode, corpus, REPLAY_VIPS);
  const verdicts: string[] = new Array<string>(corpus.packets.length);
  const digests: string[] = new Array<string>(corpus.packets.length);
  const r: StoreResult = {
    store, packets: corpus.packets.length, seconds: 0, callSeconds: 0, engineCpuUs: 0, pps: 0, ppsRange: [0, 0], forwarded: 0, drops: {}, roundTrips: 0, commands: 0,
    checksumsOk: 0, checksumsPartial: 0, checksumsInherited: 0, checksumFailures: [], checksumsBroken: 0,
    verdictMismatches: 0, outputMismatches: 0, bytesCompared: true, mismatches: [], repliesRewritten: 0, repliesUnmapped: 0,
  };
  const onRedis = redis !== undefined && (store === 'redis' || store === 'redis+cache');
  const cpuBefore = onRedis ? await redisCpuUs(redis) : store === 'ramcloud' && ramcloud ? procCpuUs(ramcloud.pids) : 0;
  let ns = 0n;
  try {
    // Timed: building each batch's frames, the engine calls, and learning from what comes back
    // (the replies of later batches are addressed to it); checking the outputs is done after.
    // With several batches in flight, a batch is submitted once every batch it answers is back.
    const inflight = Math.max(1, opts.inflight);
    engine.setInflight(inflight);
    const deps = mode === 'firewall' ? undefined : planDependencies(corpus, batches);
    r.bytesCompared = inflight === 1 || mode === 'firewall';
    const inputs: Buffer[] = new Array<Buffer>(corpus.packets.length);
    const outs: FrameOut[] = new Array<FrameOut>(corpus.packets.length);
    const inFlight: number[] = [];  // batch indexes submitted, oldest first
    let reaped = 0;  // batches back, in order
    let inCalls = 0n;
    const reapOne = (): void => {
      const c0 = process.hrtime.bigint();
      const got = engine.reapSync(true);
      inCalls += process.hrtime.bigint() - c0;
      const k = inFlight.shift();
      if (!got || k === undefined) throw new Error('replay: the engine handed back no batch while one was in flight');
      const [start] = batches[k];
      for (let j = 0; j < got.frames.length; j++) {
        outs[start + j] = got.frames[j];
        mapper.learn(start + j, got.frames[j]);
      }
      reaped = k + 1;
    };
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    for (const [k, [start, end]] of batches.entries()) {
      while (inFlight.length > 0 && (inFlight.length >= inflight || (deps !== undefined && reaped <= deps[k]))) reapOne();
      const frames = [];
      for (let i = start; i < end; i++) {
        const f = mapper.input(i);
        inputs[i] = f.data;
        frames.push(f);
      }
      const c0 = process.hrtime.bigint();
      engine.submitSync(frames);
      inCalls += process.hrtime.bigint() - c0;
      inFlight.push(k);
    }
    while (inFlight.length > 0) reapOne();
    ns = process.hrtime.bigint() - t0;
    r.callSeconds = Number(inCalls) / 1e9;
    const cpu = process.cpuUsage(cpu0);
    r.engineCpuUs = cpu.user + cpu.system;
    for (let i = 0; i < outs.length; i++) {
      const o = outs[i];
      const v = verdictOf(o);
      verdicts[i] = v;
      digests[i] = o.verdict === 'forward' ? createHash('sha1').update(o.data).digest('base64') : '';
      if (o.verdict === 'forward') {
        r.forwarded++;
        const c = verifyChecksums(o.data);
        if (c.status === 'ok') r.checksumsOk++;
        else if (c.status === 'partial' || c.status === 'none') r.checksumsPartial++;
        else if (verifyChecksums(inputs[i]).status === 'bad') r.checksumsInherited++;
        else {
          r.checksumsBroken++;
          if (r.checksumFailures.length < KEEP_EXAMPLES) r.checksumFailures.push({ packet: i, field: c.field, head: o.data.toString('hex', 0, 80) });
        }
      } else {
        const reason = o.reason ?? '?';
        r.drops[reason] = (r.drops[reason] ?? 0) + 1;
      }
      if (ref) {
        const verdictDiffers = ref.verdicts[i] !== v;
        // Lanes in flight take NAT ports (from leases of their own) and LB backends in the
        // order they reach the store, not the packets': bytes compare one batch at a time.
        const bytesDiffer = ref.digests[i] !== digests[i] && r.bytesCompared;
        if (verdictDiffers) r.verdictMismatches++;
        else if (bytesDiffer) r.outputMismatches++;
        if ((verdictDiffers || bytesDiffer) && r.mismatches.length < KEEP_EXAMPLES) {
          r.mismatches.push({ packet: i, expected: ref.verdicts[i], got: `${v}${verdictDiffers ? '' : ' (other bytes)'} in: ${inputs[i].toString('hex', 0, 80)}` });
        }
      }
    }
    const c = engine.counters();
    r.roundTrips = c.store.roundTrips;
    r.commands = c.store.commands;
    if (c.cache) {
      r.cacheHits = c.cache.hits;
      r.cacheMisses = c.cache.misses;
    }
  } finally {
    engine.close();
  }
  if (onRedis) {
    r.redisCpuUs = (await redisCpuUs(redis)) - cpuBefore;
    await deleteKeys(redis, vnf);
  } else if (store === 'ramcloud' && ramcloud) {
    // the keys stay (each run has its own VNF name; the test cluster is thrown away after)
    r.redisCpuUs = procCpuUs(ramcloud.pids) - cpuBefore;
  }
  r.seconds = Number(ns) / 1e9;
  r.pps = r.seconds > 0 ? r.packets / r.seconds : 0;
  r.ppsRange = [r.pps, r.pps];
  r.repliesRewritten = mapper.stats.rewritten;
  r.repliesUnmapped = mapper.stats.unmapped;
  if (keepVerdicts) r.verdicts = verdicts;
  return { result: r, ref: ref ?? { verdicts, digests } };
}

export interface ReplayOptions {
  nfs: string[];
  stores: StoreName[];
  batches: Batch[];
  /** host:port of the Redis the redis stores use. */
  redisNode?: string;
  /** The Redis stores' store.postHoldUs (default: the store's own). */
  postHoldUs?: number;
  /** the RAMCloud cluster the ramcloud store uses */
  ramcloud?: RamcloudTarget;
  /** Keep every packet's verdict in the results (tests). */
  keepVerdicts?: boolean;
  /**
   * Passes per chain and store (default 1), the stores taking turns: each store's figures are
   * those of its median pass by time. One pass each is unfair to whoever runs later: the heap
   * of the passes before it (and the garbage of checking their outputs) is collected inside
   * its engine calls. Every pass is checked against the first store's first pass.
   */
  rounds?: number;
  /**
   * Batches in flight per engine (Engine.setInflight; default 1): each batch submitted once
   * the batches it answers are back. Above 1, NAT ports and LB backends are handed out in the
   * order lanes reach the store, so output bytes are compared only for the firewall.
   */
  inflight?: number;
}

// A full collection before each timed pass, so no pass pays for its predecessors' garbage.
// `gc` is exposed at run time rather than by a node flag, so `snf replay` needs none.
let collect: (() => void) | undefined;
function collectGarbage(): void {
  if (!collect) {
    setFlagsFromString('--expose-gc');
    collect = runInNewContext('gc') as () => void;
  }
  collect();
}

// The pass to report for one store: the median by time, with the rounds' fastest and slowest
// rate, and every difference any pass had.
function median(runs: StoreResult[]): StoreResult {
  const sorted = [...runs].sort((a, b) => a.seconds - b.seconds);
  const m = { ...sorted[Math.floor((sorted.length - 1) / 2)] };
  m.ppsRange = [Math.min(...runs.map((r) => r.pps)), Math.max(...runs.map((r) => r.pps))];
  const worst = runs.reduce((a, b) => (b.verdictMismatches + b.outputMismatches + b.checksumsBroken > a.verdictMismatches + a.outputMismatches + a.checksumsBroken ? b : a));
  m.verdictMismatches = worst.verdictMismatches;
  m.outputMismatches = worst.outputMismatches;
  m.mismatches = worst.mismatches;
  m.checksumsBroken = worst.checksumsBroken;
  m.checksumFailures = worst.checksumFailures;
  return m;
}

/** Runs every chain on every store, stores in the given order; the first store is the reference. */
export async function replay(corpus: Corpus, opts: ReplayOptions): Promise<ChainResult[]> {
  let redis: Redis | undefined;
  if (opts.redisNode && opts.stores.some((s) => s === 'redis' || s === 'redis+cache')) {
    const node = opts.redisNode;
    const at = isUnixSeed(node)
      ? { path: unixPath(node) }
      : { host: node.slice(0, node.lastIndexOf(':')), port: Number(node.slice(node.lastIndexOf(':') + 1)) };
    redis = new Redis({ ...at, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
    redis.on('error', () => undefined);
    await redis.connect();
  }
  try {
    const out: ChainResult[] = [];
    const rounds = Math.max(1, opts.rounds ?? 1);
    for (const nf of opts.nfs) {
      const runs: StoreResult[][] = opts.stores.map(() => []);
      let ref: Reference | undefined;
      for (let round = 0; round < rounds; round++) {
        for (const [k, s] of opts.stores.entries()) {
          collectGarbage();
          const run = await runStore(nf, s, corpus, opts.batches, redis, ref, { redisNode: opts.redisNode, postHoldUs: opts.postHoldUs, ramcloud: opts.ramcloud, keepVerdicts: opts.keepVerdicts ?? false, inflight: opts.inflight ?? 1 });
          ref = run.ref;
          runs[k].push(run.result);
        }
      }
      out.push({ nf, stores: runs.map(median) });
    }
    return out;
  } finally {
    redis?.disconnect();
  }
}

/** True when every store agreed with the first and no NF broke a checksum. */
export function allGood(results: ChainResult[]): boolean {
  return results.every((c) => c.stores.every((s) => s.verdictMismatches === 0 && s.outputMismatches === 0 && s.checksumsBroken === 0));
}
