// `snf status [--watch]`: the local deployment's instances as the registry, the steering and
// their own metrics see them.
import type { Command } from '../main.js';
import type { Sample } from '../../dataplane/metrics.js';
import { sumOf } from '../../dataplane/metrics.js';
import { liveInstances } from '../../store/index.js';
import type { LocalDeployment } from '../../vim/local/deployment.js';
import { readSteeringStatus } from '../../vim/local/state.js';
import { alive } from '../../vim/local/sh.js';
import { int, loadDeployment, parseArgs, runCommand, UsageError } from '../../vim/local/cli-args.js';
import { countFlows } from './flows.js';

const USAGE = `usage: snf status [--name NAME] [--watch] [--interval MS]

Per instance: process, registry heartbeat, whether steering sends it traffic, packets per second
in and out, drops, new flows, store round trips (p50 / p99) — rates over --interval (default 1000 ms).
--watch repeats until Ctrl-C.`;

interface Row {
  id: string;
  pid: number;
  proc: string;
  reg: string;
  steered: string;
  rxPps: string;
  txPps: string;
  drops: string;
  flows: string;
  rtt: string;
}

function quantileUs(samples: Sample[], q: number): number | undefined {
  const buckets = samples
    .filter((s) => s.name === 'snf_store_round_trip_seconds_bucket' && s.labels.le !== '+Inf')
    .map((s) => ({ le: Number(s.labels.le), n: s.value }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.length ? buckets[buckets.length - 1].n : 0;
  if (!total) return undefined;
  const b = buckets.find((x) => x.n >= q * total);
  return b ? b.le * 1e6 : undefined;
}

function fmtUs(us: number | undefined): string {
  if (us === undefined) return '-';
  return us >= 1000 ? `${(us / 1000).toFixed(us >= 10_000 ? 0 : 1)}ms` : `${Math.round(us)}us`;
}

async function scrapeAll(d: LocalDeployment): Promise<Map<string, Sample[]>> {
  const out = new Map<string, Sample[]>();
  await Promise.all(
    d.state.instances.map(async (i) => {
      if (!alive(i.pid)) return;
      try {
        out.set(i.id, await d.scrape(i.id));
      } catch {
        /* starting or stopping: shown as no metrics */
      }
    }),
  );
  return out;
}

async function snapshot(d: LocalDeployment, intervalMs: number): Promise<string> {
  const redis = await d.store();
  const a = await scrapeAll(d);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, intervalMs));
  const [b, live, flows] = await Promise.all([scrapeAll(d), liveInstances(redis, d.state.vnf), countFlows(redis, d.state.vnf)]);
  const dt = (Date.now() - t0) / 1000;
  const liveMap = new Map(live.map((l) => [l.id, l]));
  const steered = new Set(readSteeringStatus(d.state.runDir)?.ids ?? []);
  const rate = (id: string, name: string) => {
    const x = a.get(id);
    const y = b.get(id);
    return x && y ? String(Math.round((sumOf(y, name) - sumOf(x, name)) / dt)) : '-';
  };
  const rows: Row[] = d.state.instances.map((i) => {
    const m = b.get(i.id);
    const l = liveMap.get(i.id);
    return {
      id: i.id,
      pid: i.pid,
      proc: alive(i.pid) ? (i.steer ? 'up' : 'draining') : 'dead',
      reg: l ? `${Date.now() - l.lastHeartbeat}ms ago` : 'no',
      steered: steered.has(i.id) ? 'yes' : 'no',
      rxPps: rate(i.id, 'snf_rx_packets_total'),
      txPps: rate(i.id, 'snf_tx_packets_total'),
      drops: m ? String(sumOf(m, 'snf_dropped_packets_total')) : '-',
      flows: m ? String(sumOf(m, 'snf_nf_new_flows_total')) : '-',
      rtt: m ? `${fmtUs(quantileUs(m, 0.5))} / ${fmtUs(quantileUs(m, 0.99))}` : '-',
    };
  });
  const head: Row = { id: 'INSTANCE', pid: 0, proc: 'PROCESS', reg: 'HEARTBEAT', steered: 'STEERED', rxPps: 'RX PPS', txPps: 'TX PPS', drops: 'DROPS', flows: 'NEW FLOWS', rtt: 'STORE RTT p50 / p99' };
  const cols: (keyof Row)[] = ['id', 'pid', 'proc', 'reg', 'steered', 'rxPps', 'txPps', 'drops', 'flows', 'rtt'];
  const cell = (r: Row, c: keyof Row) => (r === head && c === 'pid' ? 'PID' : String(r[c]));
  const width = cols.map((c) => Math.max(...[head, ...rows].map((r) => cell(r, c).length)));
  const line = (r: Row) => cols.map((c, i) => cell(r, c).padEnd(width[i])).join('  ').trimEnd();
  const s = d.state;
  const flowText = Object.entries(flows)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return [
    `${s.name}: ${s.chain.join(' -> ')}, ${s.mode === 'spray' ? 'per-packet spraying' : 'ECMP by L4 hash'}, ${s.dataStore === 'local' ? 'coupled baseline (local state)' : `store ${s.store.seed}`}`,
    `flows in the store: ${flowText || 'none'}`,
    '',
    line(head),
    ...rows.map(line),
  ].join('\n');
}

export const command: Command = {
  summary: 'instances, heartbeats, steering, pps, flows and store latency of the local deployment',
  run: (args) =>
    runCommand('status', USAGE, async () => {
      const p = parseArgs(args, { name: true, watch: false, interval: true });
      if (p.flags.has('help')) {
        console.log(USAGE);
        return 0;
      }
      if (p.positional.length) throw new UsageError(`unexpected argument '${p.positional[0]}'`);
      const interval = int(p, 'interval', 1000, 100, 60_000);
      const d = loadDeployment(p);
      try {
        if (!p.flags.has('watch')) {
          console.log(await snapshot(d, interval));
          return 0;
        }
        let stop = false;
        process.once('SIGINT', () => (stop = true));
        while (!stop) {
          const text = await snapshot(d, interval);
          process.stdout.write(`\x1b[H\x1b[2J${new Date().toISOString()}\n${text}\n`);
        }
        return 0;
      } finally {
        await d.close();
      }
    }),
};
