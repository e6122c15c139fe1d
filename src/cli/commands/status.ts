// `snf status [--watch]`: the local deployment's instances as the registry, the steering and
// their own metrics see them.
import { ramcloudHealth } from '../../vim/local/ramcloud-nodes.js';
import type { Command } from '../main.js';
import type { Sample } from '../../dataplane/metrics.js';
import { sumOf } from '../../dataplane/metrics.js';
import { liveInstances } from '../../store/index.js';
import type { LocalDeployment } from '../../vim/local/deployment.js';
import { readControllerHealth, readSteeringStatus, readSupervisorStatus } from '../../vim/local/state.js';
import { readStoreEpochStatus } from '../../vim/local/steering/epoch-watch.js';
import { alive } from '../../vim/local/sh.js';
import { int, loadDeployment, parseArgs, runCommand, UsageError } from '../../vim/local/cli-args.js';
import { countFlows } from '../../store/flows.js';
import { describeAccess } from '../../vim/local/store-access.js';

const USAGE = `usage: snf status [--name NAME] [--watch] [--interval MS]

Per instance: process, registry heartbeat, whether steering sends it traffic, packets per second
in and out, drops, new flows, store round trips (p50 / p99) — rates over --interval (default 1000 ms).
Then the steering controller (supervisor, active and standby processes, restarts, age of the
last reconcile), the store (its mode: single, sentinel or cluster, and its health: the primary
the Sentinels name, the cluster's served slots, which redis-server processes run), its access
(the ACL users, whether the default user is off, TLS and the CA) and the store epoch (losses of the store's data and the last restore).
--watch repeats until Ctrl-C.

Exit status: 0 when all is well, 1 when something is wrong (listed under 'problems:'), 2 on
bad arguments.`;

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

function ago(ms: number): string {
  return ms < 10_000 ? `${ms} ms ago` : `${Math.round(ms / 1000)} s ago`;
}

async function snapshot(d: LocalDeployment, intervalMs: number): Promise<{ text: string; problems: string[] }> {
  const redis = await d.store();
  const a = await scrapeAll(d);
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, intervalMs));
  const [b, live, flows, store] = await Promise.all([scrapeAll(d), liveInstances(redis, d.state.vnf), countFlows(redis, d.state.vnf), d.storeHealth()]);
  const dt = (Date.now() - t0) / 1000;
  const liveMap = new Map(live.map((l) => [l.id, l]));
  const problems: string[] = [];
  const ctlProblem = d.controllerProblem(Date.now() - 2000);
  if (ctlProblem) problems.push(ctlProblem);
  // What steering.json says is only true while a live controller keeps it: otherwise it is
  // the last word of a dead one, shown as such.
  const steered = new Set(readSteeringStatus(d.state.runDir)?.ids ?? []);
  const steeredWord = (id: string) => (steered.has(id) ? (ctlProblem ? 'stale' : 'yes') : 'no');
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
      steered: steeredWord(i.id),
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
  for (const i of d.state.instances) {
    if (!i.steer) continue;
    if (!alive(i.pid)) problems.push(`instance ${i.id} (pid ${i.pid}) is not running`);
    else if (!liveMap.has(i.id)) problems.push(`instance ${i.id} is not in the registry (no heartbeat)`);
    else if (!ctlProblem && !steered.has(i.id)) problems.push(`instance ${i.id} runs but is not steered`);
  }
  const sup = readSupervisorStatus(d.state.runDir);
  const health = readControllerHealth(d.state.runDir);
  const now = Date.now();
  const ctlLine =
    `controller: supervisor pid ${sup?.pid ?? d.state.controllerPid ?? '-'} ${alive(sup?.pid ?? d.state.controllerPid ?? 0) ? 'up' : 'DOWN'}` +
    `, active pid ${sup?.activePid ?? '-'} ${sup && alive(sup.activePid) ? 'up' : 'DOWN'}` +
    `, standby pid ${sup?.standbyPid || '-'} ${sup && sup.standbyPid && alive(sup.standbyPid) ? 'ready' : 'none'}` +
    `, restarts ${sup?.restarts ?? 0}${sup?.lastRestartAt ? ` (last ${ago(now - sup.lastRestartAt)})` : ''}` +
    `, last reconcile ${health ? ago(now - health.reconciledAt) : 'never'}` +
    (sup?.downed.length ? `, links down: ${sup.downed.map((k) => k.split(':')[0]).join(', ')}` : '');
  if (sup && !(sup.standbyPid && alive(sup.standbyPid))) problems.push('no warm standby controller');
  // A dead node is a problem even after failover: the store runs without its redundancy.
  problems.push(...store.problems);
  const ep = readStoreEpochStatus(d.state.runDir);
  const epLine = ep
    ? `store epoch: ${ep.epoch} (since ${new Date(ep.since).toISOString()}), data losses ${ep.losses}` +
      (ep.lastLoss
        ? `; last: ${ep.lastLoss.reason} ${ago(now - ep.lastLoss.at)}, ` +
          (ep.lastLoss.restoredGeneration !== undefined ? `control tables restored as generation ${ep.lastLoss.restoredGeneration}` : ep.lastLoss.restoreError ? `tables NOT restored: ${ep.lastLoss.restoreError}` : 'tables were intact') +
          (ep.lastLoss.natQuarantine
            ? `, ${ep.lastLoss.natQuarantine.quarantined} NAT ports in quarantine for ${Math.round(ep.lastLoss.natQuarantine.ttlMs / 60_000)} min`
            : ep.lastLoss.natQuarantineError
              ? `, NAT ports NOT quarantined: ${ep.lastLoss.natQuarantineError}`
              : '')
        : '')
    : 'store epoch: unknown (the controller has not recorded one)';
  if (ep?.lastLoss?.restoreError) problems.push(`control tables not restored after the store lost its data: ${ep.lastLoss.restoreError}`);
  const s = d.state;
  const flowText = Object.entries(flows)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const text = [
    `${s.name}: ${s.chain.join(' -> ')}, ${s.mode === 'spray' ? 'per-packet spraying' : 'ECMP by L4 hash'}, ${s.dataStore === 'local' ? 'coupled baseline (local state)' : s.store.ramcloud ? `flows in ${ramcloudHealth(s.store.ramcloud)}, control store ${s.store.seed}` : `store ${s.store.seed}`}`,
    `store: ${store.summary}`,
    `store access: ${describeAccess(d.access())}`,
    s.store.ramcloud ? 'flows: in RAMCloud (not counted here; the instances\' NEW FLOWS below)' : `flows in the store: ${flowText || 'none'}`,
    ctlLine,
    epLine,
    '',
    line(head),
    ...rows.map(line),
    ...(problems.length ? ['', 'problems:', ...problems.map((p) => `  ${p}`)] : []),
  ].join('\n');
  return { text, problems };
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
          const snap = await snapshot(d, interval);
          console.log(snap.text);
          return snap.problems.length ? 1 : 0;
        }
        let stop = false;
        let bad = false;
        process.once('SIGINT', () => (stop = true));
        while (!stop) {
          const snap = await snapshot(d, interval);
          bad = snap.problems.length > 0;
          process.stdout.write(`\x1b[H\x1b[2J${new Date().toISOString()}\n${snap.text}\n`);
        }
        return bad ? 1 : 0;
      } finally {
        await d.close();
      }
    }),
};
