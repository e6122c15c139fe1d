// `snf replay`: real captures through the engine on the local store and on Redis, same run.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from '../main.js';
import { parseArgs, runCommand, str, int, UsageError } from '../../vim/local/cli-args.js';
import { planBatches } from '../../replay/batches.js';
import { CaptureError } from '../../replay/capture.js';
import { loadCorpus } from '../../replay/corpus.js';
import { startOwnRedis, type OwnRedis } from '../../replay/redis-server.js';
import { corpusLine, findings, table } from '../../replay/report.js';
import { allGood, replay } from '../../replay/runner.js';
import { ALL_STORES, CHAINS, STORES, type StoreName } from '../../replay/tables.js';
import { startRamcloudCluster, type RamcloudCluster } from '../../ramcloud/cluster.js';

const USAGE = `usage: snf replay <capture|directory>... [--nf LIST] [--stores LIST] [--batch N]
                  [--rounds N] [--inflight K] [--redis HOST:PORT|unix:/PATH] [--post-hold-us N]
                  [--json] [--findings]

Replays real packet captures (pcap or pcapng, gzip-wrapped or not; a directory means every
*.pcap, *.pcapng, *.cap and *.gz file under it) through the engine in this process, on each store
in turn, and prints per NF chain and store: packets/s, ratio to the local store (the coupled
baseline), cache hit ratio, store round trips and operations per packet and the store servers'
CPU per packet. It
checks that every packet gets the same verdict and byte-identical output on every store, and
that every forwarded frame's checksums are correct. Exit 0 when all of that holds, 1 when not.

  --nf LIST       chains, comma-separated: ${Object.keys(CHAINS).join(', ')} (default: all)
  --stores LIST   ${ALL_STORES.join(', ')} (default: ${STORES.join(', ')}; the first is the
                  reference); ramcloud starts a private RAMCloud cluster from the build
                  'sudo bash scripts/setup.sh --ramcloud' makes
  --batch N       packets per batch, 1..256 (default 15); a flow's reply never shares a batch
                  with the flow's first packet
  --rounds N      passes per chain and store, 1..20 (default 3), the stores taking turns; the
                  table shows each store's median pass (JSON: ppsRange, its slowest and fastest)
  --inflight K    batches in flight per engine, 1..16 (default 1): the engine starts the next
                  batch while one waits for the store (split phase); a batch goes in once the
                  batches whose packets it answers are back. Above 1, NAT ports and LB backends
                  depend on the order the store sees the batches: output bytes are compared
                  for the firewall only (verdicts and checksums always)
  --redis H:P     Redis to use, HOST:PORT or unix:/PATH (default: start a private redis-server on loopback)
  --post-hold-us N  the Redis stores' store.postHoldUs, 0..10000 (default: the store's, 1000):
                  how long commands nobody waits for may wait for the next round trip
  --json          print the results as JSON
  --findings      also print drop reasons and examples of mismatches per chain and store

Side mapping: a flow's initiator (the first sender seen) is inside; replies are addressed to the
NAT mapping the engine handed out, or come from the backend the load balancer chose.`;

const CAPTURE_RE = /\.(pcap|pcapng|cap)(\.gz)?$/i;

function expand(paths: string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    let st;
    try {
      st = statSync(p);
    } catch {
      throw new UsageError(`capture '${p}': no such file or directory`);
    }
    if (st.isDirectory()) {
      const found = readdirSync(p, { recursive: true, encoding: 'utf8' }).filter((f) => CAPTURE_RE.test(f)).sort().map((f) => join(p, f));
      if (found.length === 0) throw new UsageError(`capture directory '${p}': holds no *.pcap, *.pcapng, *.cap or *.gz file`);
      out.push(...found);
    } else {
      out.push(p);
    }
  }
  return out;
}

function list<T extends string>(value: string | undefined, flag: string, allowed: readonly T[]): T[] {
  if (value === undefined) return [...allowed];
  const items = value.split(',').map((s) => s.trim());
  for (const it of items) {
    if (!(allowed as readonly string[]).includes(it)) throw new UsageError(`--${flag}: '${it}' is not one of ${allowed.join(', ')}`);
  }
  if (new Set(items).size !== items.length) throw new UsageError(`--${flag}: '${value}' names a value twice`);
  return items as T[];
}

export async function runReplay(args: string[]): Promise<number> {
  const p = parseArgs(args, { nf: true, stores: true, batch: true, rounds: true, inflight: true, redis: true, 'post-hold-us': true, json: false, findings: false });
  if (p.flags.has('help')) {
    console.log(USAGE);
    return 0;
  }
  if (p.positional.length === 0) throw new UsageError('at least one capture file or directory is required');
  const nfs = list(str(p, 'nf'), 'nf', Object.keys(CHAINS));
  const stores = str(p, 'stores') === undefined ? STORES : list<StoreName>(str(p, 'stores'), 'stores', ALL_STORES);
  const batch = int(p, 'batch', 15, 1, 256);
  const rounds = int(p, 'rounds', 3, 1, 20);
  const inflight = int(p, 'inflight', 1, 1, 16);
  const postHoldUs = str(p, 'post-hold-us') === undefined ? undefined : int(p, 'post-hold-us', 0, 0, 10000);
  const redisArg = str(p, 'redis');
  if (redisArg !== undefined && !/^[^\s:]+:\d{1,5}$/.test(redisArg) && !/^unix:\/\S+$/.test(redisArg))
    throw new UsageError(`--redis: expected HOST:PORT or unix:/PATH, got '${redisArg}'`);
  const files = expand(p.positional);

  let corpus;
  try {
    corpus = loadCorpus(files);
  } catch (e) {
    if (e instanceof CaptureError) {
      console.error(`snf replay: ${e.message}`);
      return 2;
    }
    throw e;
  }
  if (corpus.packets.length === 0) {
    console.error('snf replay: the captures hold no IPv4 or IPv6 packet to replay');
    return 2;
  }
  const batches = planBatches(corpus, batch);
  let own: OwnRedis | undefined;
  const needsRedis = stores.some((s) => s === 'redis' || s === 'redis+cache');
  let rc: RamcloudCluster | undefined;
  if (needsRedis && !redisArg) own = await startOwnRedis();
  try {
    if (stores.includes('ramcloud')) rc = await startRamcloudCluster();
    // the masters' CPU: the coordinator is off the data path
    const ramcloud = rc ? { coordinator: rc.coordinator, clusterName: rc.clusterName, pids: rc.masters.map((m) => m.pid) } : undefined;
    const results = await replay(corpus, { nfs, stores, batches, rounds, inflight, redisNode: redisArg ?? own?.node, ...(postHoldUs !== undefined ? { postHoldUs } : {}), ...(ramcloud ? { ramcloud } : {}) });
    if (p.flags.has('json')) {
      console.log(JSON.stringify({ corpus: corpus.stats, batches: batches.length, batchSize: batch, rounds, inflight, results }, null, 2));
    } else {
      console.log(`${corpusLine(corpus.stats, batches.length)}; ${rounds} round${rounds === 1 ? '' : 's'}, each store's median pass; ${inflight} batch${inflight === 1 ? '' : 'es'} in flight`);
      console.log();
      console.log(table(results));
      if (p.flags.has('findings') || !allGood(results)) {
        console.log();
        console.log(findings(results));
      }
    }
    return allGood(results) ? 0 : 1;
  } finally {
    await own?.stop();
    await rc?.stop();
  }
}

export const command: Command = {
  summary: 'replay packet captures through the engine on local and Redis stores, compare',
  run: (args) => runCommand('replay', USAGE, () => runReplay(args)),
};
